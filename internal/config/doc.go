// Package config holds Gregor's broker and topic configuration under Apache
// Kafka's names, types, defaults and valid ranges (Kafka 3.9; 4.0 differences
// are noted where they matter), so that kafka-configs.sh, kadm and every
// other admin tool see what they would see on Kafka.
//
// It is a leaf package: it imports nothing from the rest of Gregor, keeps no
// mutable package state (the config tables are built once and only read),
// and does no I/O except LoadFile.
//
// # Static broker configuration
//
// A Broker is built by the command in this order, later steps winning:
//
//  1. DefaultBroker(): `gregor serve` with no flags (node 1, Kafka listener
//     :9092 advertised as localhost:9092, data in ./gregor-data, HTTP on
//     :8080, Raft on :9093, this node the only voter) and Kafka's default for
//     every other property.
//  2. The --config file: LoadFile, then Broker.Apply. The file takes Kafka
//     broker property names (node.id, listeners, advertised.listeners,
//     log.dirs, controller.quorum.voters, num.partitions, ...) and, where
//     Kafka has none, Gregor's flag names (http).
//  3. The environment: Broker.ApplyEnv(os.Environ()). GREGOR_<FLAG> with the
//     flag name upper-cased and '-' as '_' (GREGOR_DATA_DIR), or a Kafka
//     property with '.' as '_' (GREGOR_NUM_PARTITIONS).
//  4. Flags given explicitly on the command line, via Apply with the flag
//     names (listen, advertise, data-dir, http, node-id, controller-listen,
//     voters) or by setting the fields.
//  5. Broker.Validate, which checks everything once more, including fields
//     set directly.
//
// Within one Apply call Gregor's own names win over the Kafka properties
// they stand for (data-dir over log.dirs), and log.dirs wins over log.dir.
// Apply is all-or-nothing: on error the Broker is unchanged.
//
// The advertised address follows the listen address (a wildcard host
// becoming localhost) until advertise or advertised.listeners is set, as
// Kafka advertises its listeners when advertised.listeners is unset; so
// apply flags through Apply rather than by setting Listen directly. Port 0
// in an advertised address means the port the listener gets; the server
// calls Broker.AdvertisedAddr with it once bound.
//
// # Topic configuration
//
// A topic's effective configuration (ResolveTopic, ResolveTopicAll) and what
// DescribeConfigs reports for it (DescribeTopic, DescribeTopicAll) take, for
// each topic config, the first of:
//
//  1. the topic's override (DYNAMIC_TOPIC_CONFIG, source 1);
//  2. the dynamic config of this broker for the config's broker name, e.g.
//     log.retention.ms for retention.ms (DYNAMIC_BROKER_CONFIG, 2);
//  3. the dynamic cluster-wide default for that name
//     (DYNAMIC_DEFAULT_BROKER_CONFIG, 3);
//  4. the static broker configuration (STATIC_BROKER_CONFIG, 4), where a
//     group of broker names counts in order: log.retention.ms, then
//     log.retention.minutes, then log.retention.hours (likewise log.roll.ms /
//     log.roll.hours, log.roll.jitter.ms / .hours, log.flush.interval.ms /
//     log.flush.scheduler.interval.ms);
//  5. the default (DEFAULT_CONFIG, 5).
//
// Only the first name of a group can be set dynamically, as in Kafka.
// Dynamic broker configs are validated with ValidateBrokerDynamic, topic
// overrides with ValidateTopicConfigs; both report every problem at once. A
// dynamic broker config whose name Gregor does not know is a custom config
// (IsCustomBroker): Kafka accepts those (plugins read them; so do Kafka
// features Gregor lacks, such as SASL listener settings), so Gregor stores
// and describes it (sensitive, since its type is unknown) and never uses it.
// The static configuration file still refuses unknown names.
//
// # Errors
//
// Every rejection is a typed error matching one sentinel: ErrUnknownConfig
// (*UnknownError), ErrInvalidConfig (*ValueError, whose text reads
// `invalid value "abc" for retention.ms: must be a long >= -1`),
// ErrReadOnlyConfig (*ReadOnlyError) or ErrSyntax (*SyntaxError). Several
// problems are joined with errors.Join in name order, so errors.Is and
// errors.As work on the result.
//
// # Values
//
// Values are strings in Kafka's rendering; Def.Normalize turns an accepted
// input into that form (trimmed, "+07" -> "7", "TRUE" -> "true", "1" -> "1.0"
// for doubles, list elements trimmed). Store normalized values; DescribeConfigs
// reports them unchanged. A null default (log.retention.ms) is NullDefault
// with an empty Default, reported as a nil *string.
//
// # Deviations from Kafka
//
//   - node.id defaults to 1 (Kafka: -1, must be set); listeners includes the
//     controller listener (PLAINTEXT://:9092,CONTROLLER://:9093);
//     advertised.listeners defaults to PLAINTEXT://localhost:9092; log.dir
//     defaults to ./gregor-data; max.connections defaults to 65536 (Kafka:
//     unlimited); group.coordinator.rebalance.protocols defaults to
//     classic,consumer (Kafka 4.0's default).
//   - listeners, advertised.listeners and the thread-count properties are
//     read-only: Gregor cannot apply them at runtime.
//   - log.dirs must name one directory.
//   - remote.storage.enable=true is rejected: no tiered storage.
//   - cleanup.policy must not be empty (Kafka 3.9 accepts an empty list).
//   - Topic synonyms are not pruned the way Kafka prunes them (see
//     DescribeTopic).
//   - Properties files are read as UTF-8, not ISO-8859-1.
//   - Kafka 4.0 raised the minimum of segment.bytes to 1 MiB and changed
//     message.timestamp.after.max.ms to 1 hour; Gregor keeps 3.9's 14 bytes
//     and Long.MAX.
package config
