package config

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
)

// brokerDef is a broker property with its binding to Broker's typed fields.
type brokerDef struct {
	Def
	// get renders the typed field(s) the property sets; nil when the
	// property has no field (its value lives in Props only).
	get func(b *Broker) string
	// set stores a normalized value in the typed field(s).
	set func(b *Broker, v string)
	// derive, for the first name of a synonym group, computes the group's
	// effective value from Props alone (nil Props: the defaults). set then
	// takes that value.
	derive func(props map[string]string) string
}

// synonym is one broker name of a synonym group and the factor that turns
// its unit into the group's (minutes and hours into milliseconds).
type synonym struct {
	name string
	mult int64
}

// synonymGroups lists Kafka's broker synonym groups, first name first; the
// first set name wins (DynamicBrokerConfig.brokerConfigSynonyms). Read-only.
var synonymGroups = [][]synonym{
	{{"log.retention.ms", 1}, {"log.retention.minutes", 60000}, {"log.retention.hours", 3600000}},
	{{"log.roll.ms", 1}, {"log.roll.hours", 3600000}},
	{{"log.roll.jitter.ms", 1}, {"log.roll.jitter.hours", 3600000}},
	{{"log.flush.interval.ms", 1}, {"log.flush.scheduler.interval.ms", 1}},
}

// groupOf returns the synonym group containing name, or a group of name
// alone.
func groupOf(name string) []synonym {
	for _, g := range synonymGroups {
		for _, s := range g {
			if s.name == name {
				return g
			}
		}
	}
	return []synonym{{name, 1}}
}

// groupPrimary returns the first name of name's synonym group, or "" when
// name is in none.
func groupPrimary(name string) string {
	g := groupOf(name)
	if len(g) == 1 {
		return ""
	}
	return g[0].name
}

// convert turns a normalized value of synonym s into the group's unit.
// Negative retention means "forever" in every unit: -1.
func (s synonym) convert(v string) string {
	if s.mult == 1 {
		return v
	}
	n := parseInt(v)
	if n < 0 {
		return "-1"
	}
	if n > math.MaxInt64/s.mult {
		return strconv.FormatInt(math.MaxInt64, 10)
	}
	return strconv.FormatInt(n*s.mult, 10)
}

// deriveGroup returns a derive function for group g: the first name set in
// props, converted, else the first default, converted.
func deriveGroup(g []synonym, table func(string) (*brokerDef, bool)) func(map[string]string) string {
	return func(props map[string]string) string {
		for _, s := range g {
			if v, ok := props[s.name]; ok {
				return s.convert(v)
			}
		}
		for _, s := range g {
			if bd, ok := table(s.name); ok && !bd.NullDefault {
				return s.convert(bd.Default)
			}
		}
		return ""
	}
}

// Field binding helpers. Each returns get and set for one typed field.

func bindInt[T ~int | ~int16 | ~int32 | ~int64](f func(*Broker) *T) (func(*Broker) string, func(*Broker, string)) {
	return func(b *Broker) string { return strconv.FormatInt(int64(*f(b)), 10) },
		func(b *Broker, v string) { *f(b) = T(parseInt(v)) }
}

func bindBool(f func(*Broker) *bool) (func(*Broker) string, func(*Broker, string)) {
	return func(b *Broker) string { return strconv.FormatBool(*f(b)) },
		func(b *Broker, v string) { *f(b) = parseBool(v) }
}

func bindString(f func(*Broker) *string) (func(*Broker) string, func(*Broker, string)) {
	return func(b *Broker) string { return *f(b) },
		func(b *Broker, v string) { *f(b) = v }
}

func bindDouble(f func(*Broker) *float64) (func(*Broker) string, func(*Broker, string)) {
	return func(b *Broker) string { return javaDouble(*f(b)) },
		func(b *Broker, v string) { *f(b) = parseDouble(v) }
}

// brokerTable holds every broker property Gregor knows, in application order
// (controller.listener.names before listeners; the rest sorted by name).
// Built once and never modified.
var brokerTable = buildBrokerTable()

var brokerIndex = func() map[string]int {
	m := make(map[string]int, len(brokerTable))
	for i, bd := range brokerTable {
		m[bd.Name] = i
	}
	return m
}()

func lookupBrokerDef(name string) (*brokerDef, bool) {
	i, ok := brokerIndex[name]
	if !ok {
		return nil, false
	}
	return &brokerTable[i], true
}

// listenersGet renders Listen and ControllerListen as Kafka's listeners.
func listenersGet(b *Broker) string {
	s := b.ListenerName + "://" + b.Listen
	if b.ControllerListen != "" {
		s += "," + b.ControllerListenerName + "://" + b.ControllerListen
	}
	return s
}

func listenersSet(b *Broker, v string) {
	ls, _ := ParseListeners(v)
	client, ctrl, _ := splitClientController(ls, b.ControllerListenerName)
	if client != nil {
		b.ListenerName = client.Name
		b.Listen = client.Addr()
	}
	if ctrl != nil {
		b.ControllerListen = ctrl.Addr()
	}
}

func listenersNorm(name string, advertised bool) func(string) (string, error) {
	return func(v string) (string, error) {
		ls, err := ParseListeners(v)
		if err == nil && len(ls) == 0 {
			err = errors.New("no listener given")
		}
		if err != nil {
			return "", &ValueError{Name: name, Value: v, Reason: err.Error() + ` (want NAME://host:port,... such as "PLAINTEXT://:9092")`}
		}
		parts := make([]string, len(ls))
		for i, l := range ls {
			if advertised && l.Host == "" {
				return "", &ValueError{Name: name, Value: v, Reason: "an advertised listener needs a host (port 0 means the port the listener gets)"}
			}
			parts[i] = l.String()
		}
		return strings.Join(parts, ","), nil
	}
}

func buildBrokerTable() []brokerDef {
	var defs []brokerDef
	// add appends a def bound to get/set (either may be nil).
	add := func(d Def, doc string, get func(*Broker) string, set func(*Broker, string)) {
		d.Doc = doc
		defs = append(defs, brokerDef{Def: d, get: get, set: set})
	}
	ro := func(d Def) Def { d.ReadOnly = true; return d }

	// Identity and listeners. Gregor cannot rebind listeners at runtime, so
	// unlike Kafka these are read-only.
	nodeID := func(name string) Def {
		d := intDef(name, Int, DefaultNodeID, 0, maxInt)
		return ro(d)
	}
	g, s := bindInt(func(b *Broker) *int32 { return &b.NodeID })
	add(nodeID("node.id"), "Id of this node in the cluster (Kafka's default is -1, Gregor's 1).", g, s)
	add(nodeID("broker.id"), "Older name of node.id; if both are set they must agree.", g, s)
	g, s = bindString(func(b *Broker) *string { return &b.ControllerListenerName })
	add(ro(custom(Def{Name: "controller.listener.names", Type: List, Default: "CONTROLLER"},
		"must be a single listener name", func(v string) bool { return v != "" && !strings.ContainsAny(v, ", :/") })),
		"Name of the listener in listeners that carries Raft traffic.", g, s)
	add(ro(Def{Name: "listeners", Type: String, Default: "PLAINTEXT://:9092,CONTROLLER://:9093"}.withNormalizer(listenersNorm("listeners", false))),
		"Addresses to listen on: one client listener and optionally the controller listener.", listenersGet, listenersSet)
	add(ro(Def{Name: "advertised.listeners", Type: String, Default: "PLAINTEXT://localhost:9092"}.withNormalizer(listenersNorm("advertised.listeners", true))),
		"Client listener address given to clients in Metadata.",
		func(b *Broker) string { return b.ListenerName + "://" + b.Advertise },
		func(b *Broker, v string) {
			if ls, _ := ParseListeners(v); len(ls) == 1 {
				b.Advertise = ls[0].Addr()
			}
		})
	g, s = bindString(func(b *Broker) *string { return &b.Voters })
	add(ro(Def{Name: "controller.quorum.voters", Type: List, Default: ""}.withNormalizer(votersNorm("controller.quorum.voters"))),
		"Raft voters as id@host:port,...; empty means this node alone.", g, s)
	g, s = bindString(func(b *Broker) *string { return &b.DataDir })
	add(ro(custom(Def{Name: "log.dirs", Type: String, NullDefault: true},
		"must be one non-empty directory: Gregor keeps all data in one directory",
		func(v string) bool { return v != "" && !strings.Contains(v, ",") })),
		"Data directory (a single one); overrides log.dir.", g, s)
	add(ro(custom(Def{Name: "log.dir", Type: String, Default: DefaultDataDir},
		"must be one non-empty directory", func(v string) bool { return v != "" && !strings.Contains(v, ",") })),
		"Data directory used when log.dirs is not set (Kafka's default is /tmp/kafka-logs).", nil,
		func(b *Broker, v string) {
			if _, ok := b.Props["log.dirs"]; !ok {
				b.DataDir = v
			}
		})
	g, s = bindString(func(b *Broker) *string { return &b.BrokerRack })
	add(ro(stringDef("broker.rack", String, "", true)), "Rack of this broker, for rack-aware replica placement.", g, s)

	// Topic creation.
	g, s = bindInt(func(b *Broker) *int32 { return &b.NumPartitions })
	add(ro(int32Def("num.partitions", 1, 1)), "Partitions of auto-created topics and of CreateTopics without a count.", g, s)
	g, s = bindInt(func(b *Broker) *int16 { return &b.DefaultReplicationFactor })
	add(ro(intDef("default.replication.factor", Int, 1, 1, math.MaxInt16)), "Replication factor of auto-created topics and of CreateTopics without one.", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.AutoCreateTopics })
	add(ro(boolDef("auto.create.topics.enable", true)), "Create a topic when Metadata or Produce names an unknown one.", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.DeleteTopicEnable })
	add(ro(boolDef("delete.topic.enable", true)), "Allow DeleteTopics.", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.AutoLeaderRebalanceEnable })
	add(ro(boolDef("auto.leader.rebalance.enable", true)), "Move leadership back to preferred replicas periodically.", g, s)

	// Connections.
	g, s = bindInt(func(b *Broker) *int32 { return &b.SocketRequestMaxBytes })
	add(ro(int32Def("socket.request.max.bytes", 104857600, 1)), "Largest request a client may send; larger ones close the connection.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.ConnectionsMaxIdleMs })
	add(ro(longDef("connections.max.idle.ms", 600000, 1)), "Close connections idle for this long.", g, s)
	g, s = bindInt(func(b *Broker) *int { return &b.MaxConnections })
	add(int32Def("max.connections", 65536, 0), "Most client connections the broker accepts (Kafka's default is unlimited, Gregor's 65536).", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.QueuedMaxRequests })
	add(ro(int32Def("queued.max.requests", 500, 1)), "Requests queued for processing before reads from connections pause.", g, s)

	// Fetch.
	g, s = bindInt(func(b *Broker) *int32 { return &b.FetchMaxBytes })
	add(ro(int32Def("fetch.max.bytes", 57671680, 1024)), "Largest Fetch response the broker builds.", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.MaxIncrementalFetchSessionCacheSlots })
	add(ro(int32Def("max.incremental.fetch.session.cache.slots", 1000, 0)), "Incremental fetch sessions (KIP-227) the broker keeps.", g, s)

	// Topic defaults: the broker names of topic configs. Dynamic, as in
	// Kafka, except log.message.format.version.
	addT := func(d Def, doc string, get func(*Broker) string, set func(*Broker, string)) {
		add(d, doc, get, set)
	}
	g, s = bindInt(func(b *Broker) *int64 { return &b.MessageMaxBytes })
	addT(int32Def("message.max.bytes", 1048588, 0), "Default of max.message.bytes: largest record batch accepted.", g, s)
	g, s = bindString(func(b *Broker) *string { return &b.LogCleanupPolicy })
	addT(cleanupPolicy("log.cleanup.policy"), "Default of cleanup.policy.", g, s)
	g, s = bindString(func(b *Broker) *string { return &b.CompressionType })
	addT(compressionType("compression.type"), "Default of compression.type.", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.CompressionGzipLevel })
	addT(gzipLevel("compression.gzip.level"), "Default of compression.gzip.level.", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.CompressionLz4Level })
	addT(lz4Level("compression.lz4.level"), "Default of compression.lz4.level.", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.CompressionZstdLevel })
	addT(zstdLevel("compression.zstd.level"), "Default of compression.zstd.level.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogCleanerDeleteRetentionMs })
	addT(longDef("log.cleaner.delete.retention.ms", 86400000, 0), "Default of delete.retention.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogSegmentDeleteDelayMs })
	addT(longDef("log.segment.delete.delay.ms", 60000, 0), "Default of file.delete.delay.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogFlushIntervalMessages })
	addT(longDef("log.flush.interval.messages", maxLong, 1), "Default of flush.messages.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogFlushIntervalMs })
	addT(nullInt("log.flush.interval.ms", Long, 0), "Default of flush.ms; when unset, log.flush.scheduler.interval.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogFlushSchedulerIntervalMs })
	addT(ro(longDef("log.flush.scheduler.interval.ms", maxLong, 0)), "How often the flusher checks whether a log needs an fsync.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogFlushOffsetCheckpointMs })
	addT(ro(int32Def("log.flush.offset.checkpoint.interval.ms", 60000, 0)), "How often the recovery point checkpoint is written.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogIndexIntervalBytes })
	addT(int32Def("log.index.interval.bytes", 4096, 0), "Default of index.interval.bytes.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogIndexSizeMaxBytes })
	addT(int32Def("log.index.size.max.bytes", 10485760, 4), "Default of segment.index.bytes.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogCleanerMaxCompactionLagMs })
	addT(longDef("log.cleaner.max.compaction.lag.ms", maxLong, 1), "Default of max.compaction.lag.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogCleanerMinCompactionLagMs })
	addT(longDef("log.cleaner.min.compaction.lag.ms", 0, 0), "Default of min.compaction.lag.ms.", g, s)
	g, s = bindDouble(func(b *Broker) *float64 { return &b.LogCleanerMinCleanableRatio })
	addT(doubleDef("log.cleaner.min.cleanable.ratio", 0.5, 0, 1), "Default of min.cleanable.dirty.ratio.", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.LogCleanerEnable })
	addT(ro(boolDef("log.cleaner.enable", true)), "Run the log cleaner (needed for compacted topics).", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.LogCleanerThreads })
	addT(ro(int32Def("log.cleaner.threads", 1, 0)), "Log cleaner workers.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogCleanerBackoffMs })
	addT(ro(longDef("log.cleaner.backoff.ms", 15000, 0)), "Cleaner sleep when there is nothing to clean.", g, s)
	g, s = bindString(func(b *Broker) *string { return &b.LogMessageTimestampType })
	addT(timestampType("log.message.timestamp.type"), "Default of message.timestamp.type.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogMessageTimestampBeforeMaxMs })
	addT(longDef("log.message.timestamp.before.max.ms", maxLong, 0), "Default of message.timestamp.before.max.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogMessageTimestampAfterMaxMs })
	addT(longDef("log.message.timestamp.after.max.ms", maxLong, 0), "Default of message.timestamp.after.max.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogMessageTimestampDiffMaxMs })
	addT(longDef("log.message.timestamp.difference.max.ms", maxLong, 0), "Default of message.timestamp.difference.max.ms (deprecated).", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.LogMessageDownconversion })
	addT(boolDef("log.message.downconversion.enable", true), "Default of message.downconversion.enable (deprecated).", g, s)
	g, s = bindString(func(b *Broker) *string { return &b.LogMessageFormatVersion })
	addT(ro(messageFormatVersion("log.message.format.version")), "Default of message.format.version (deprecated, ignored).", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.LogPreallocate })
	addT(boolDef("log.preallocate", false), "Default of preallocate.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogRetentionBytes })
	addT(longDef("log.retention.bytes", -1, math.MinInt64), "Default of retention.bytes.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogRetentionMs })
	addT(nullInt("log.retention.ms", Long, math.MinInt64), "Default of retention.ms; wins over log.retention.minutes and .hours. Negative: forever.", g, s)
	addT(ro(nullInt("log.retention.minutes", Int, math.MinInt64)), "Default of retention.ms in minutes, when log.retention.ms is not set.", nil, nil)
	addT(ro(intDef("log.retention.hours", Int, 168, math.MinInt64, maxInt)), "Default of retention.ms in hours, when neither log.retention.ms nor .minutes is set.", nil, nil)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogRetentionCheckIntervalMs })
	addT(ro(longDef("log.retention.check.interval.ms", 300000, 1)), "How often retention is enforced.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogSegmentBytes })
	addT(int32Def("log.segment.bytes", 1073741824, 14), "Default of segment.bytes.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogRollMs })
	addT(nullInt("log.roll.ms", Long, 1), "Default of segment.ms; wins over log.roll.hours.", g, s)
	addT(ro(int32Def("log.roll.hours", 168, 1)), "Default of segment.ms in hours, when log.roll.ms is not set.", nil, nil)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogRollJitterMs })
	addT(nullInt("log.roll.jitter.ms", Long, 0), "Default of segment.jitter.ms; wins over log.roll.jitter.hours.", g, s)
	addT(ro(int32Def("log.roll.jitter.hours", 0, 0)), "Default of segment.jitter.ms in hours, when log.roll.jitter.ms is not set.", nil, nil)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogLocalRetentionMs })
	addT(longDef("log.local.retention.ms", -2, -2), "Default of local.retention.ms.", g, s)
	g, s = bindInt(func(b *Broker) *int64 { return &b.LogLocalRetentionBytes })
	addT(longDef("log.local.retention.bytes", -2, -2), "Default of local.retention.bytes.", g, s)
	g, s = bindInt(func(b *Broker) *int32 { return &b.MinInsyncReplicas })
	addT(int32Def("min.insync.replicas", 1, 1), "Default of min.insync.replicas.", g, s)
	g, s = bindBool(func(b *Broker) *bool { return &b.UncleanLeaderElectionEnable })
	addT(boolDef("unclean.leader.election.enable", false), "Default of unclean.leader.election.enable.", g, s)

	// Groups and offsets.
	i32 := func(name string, def, lo int64, f func(*Broker) *int32, doc string) {
		g, s := bindInt(f)
		add(ro(int32Def(name, def, lo)), doc, g, s)
	}
	i64 := func(name string, t Type, def, lo int64, f func(*Broker) *int64, doc string) {
		g, s := bindInt(f)
		add(ro(intDef(name, t, def, lo, math.MaxInt64)), doc, g, s)
	}
	i16 := func(name string, def, lo int64, f func(*Broker) *int16, doc string) {
		g, s := bindInt(f)
		add(ro(shortDef(name, def, lo)), doc, g, s)
	}
	i32("offsets.topic.num.partitions", 50, 1, func(b *Broker) *int32 { return &b.OffsetsTopicNumPartitions }, "Partitions of __consumer_offsets (fixed once created).")
	i16("offsets.topic.replication.factor", 3, 1, func(b *Broker) *int16 { return &b.OffsetsTopicReplicationFactor }, "Replication factor of __consumer_offsets, capped at the live brokers.")
	i32("offsets.topic.segment.bytes", 104857600, 1, func(b *Broker) *int32 { return &b.OffsetsTopicSegmentBytes }, "segment.bytes of __consumer_offsets.")
	i64("offsets.retention.minutes", Int, 10080, 1, func(b *Broker) *int64 { return &b.OffsetsRetentionMinutes }, "How long committed offsets of an empty group are kept.")
	i64("offsets.retention.check.interval.ms", Long, 600000, 1, func(b *Broker) *int64 { return &b.OffsetsRetentionCheckIntervalMs }, "How often expired offsets are removed.")
	i64("group.initial.rebalance.delay.ms", Int, 3000, 0, func(b *Broker) *int64 { return &b.GroupInitialRebalanceDelayMs }, "Wait for more members before the first rebalance of a new classic group.")
	i64("group.min.session.timeout.ms", Int, 6000, 0, func(b *Broker) *int64 { return &b.GroupMinSessionTimeoutMs }, "Smallest session timeout a classic member may ask for.")
	i64("group.max.session.timeout.ms", Int, 1800000, 0, func(b *Broker) *int64 { return &b.GroupMaxSessionTimeoutMs }, "Largest session timeout a classic member may ask for.")
	i32("group.max.size", maxInt, 1, func(b *Broker) *int32 { return &b.GroupMaxSize }, "Most members a classic group may have.")
	g, s = bindString(func(b *Broker) *string { return &b.GroupCoordinatorProtocols })
	protocols := listDef("group.coordinator.rebalance.protocols", "classic,consumer", false, "classic", "consumer")
	listNorm := protocols.normalize
	protocols = protocols.withNormalizer(func(v string) (string, error) {
		n, err := listNorm(v)
		if err == nil && !slices.Contains(splitList(n), "classic") {
			err = &ValueError{Name: protocols.Name, Value: v, Reason: "must include classic"}
		}
		return n, err
	})
	add(ro(protocols), "Group protocols the coordinator serves (KIP-848 consumer groups need consumer).", g, s)
	i64("group.consumer.session.timeout.ms", Int, 45000, 1, func(b *Broker) *int64 { return &b.GroupConsumerSessionTimeoutMs }, "Session timeout of consumer-protocol (KIP-848) members.")
	i64("group.consumer.min.session.timeout.ms", Int, 45000, 1, func(b *Broker) *int64 { return &b.GroupConsumerMinSessionTimeout }, "Smallest session timeout for consumer-protocol groups.")
	i64("group.consumer.max.session.timeout.ms", Int, 60000, 1, func(b *Broker) *int64 { return &b.GroupConsumerMaxSessionTimeout }, "Largest session timeout for consumer-protocol groups.")
	i64("group.consumer.heartbeat.interval.ms", Int, 5000, 1, func(b *Broker) *int64 { return &b.GroupConsumerHeartbeatMs }, "Heartbeat interval of consumer-protocol members.")
	i64("group.consumer.min.heartbeat.interval.ms", Int, 5000, 1, func(b *Broker) *int64 { return &b.GroupConsumerMinHeartbeatMs }, "Smallest heartbeat interval for consumer-protocol groups.")
	i64("group.consumer.max.heartbeat.interval.ms", Int, 15000, 1, func(b *Broker) *int64 { return &b.GroupConsumerMaxHeartbeatMs }, "Largest heartbeat interval for consumer-protocol groups.")
	i32("group.consumer.max.size", maxInt, 1, func(b *Broker) *int32 { return &b.GroupConsumerMaxSize }, "Most members a consumer-protocol group may have.")

	// Producers and transactions.
	i64("transaction.max.timeout.ms", Int, 900000, 1, func(b *Broker) *int64 { return &b.TransactionMaxTimeoutMs }, "Largest transaction timeout a producer may ask for.")
	i64("transactional.id.expiration.ms", Int, 604800000, 1, func(b *Broker) *int64 { return &b.TransactionalIDExpirationMs }, "Forget a transactional id unused for this long.")
	g, s = bindInt(func(b *Broker) *int64 { return &b.ProducerIDExpirationMs })
	add(int32Def("producer.id.expiration.ms", 86400000, 1), "Forget an idempotent producer's state when it has not written for this long.", g, s)
	i64("producer.id.expiration.check.interval.ms", Int, 600000, 1, func(b *Broker) *int64 { return &b.ProducerIDExpirationCheckIntervalMs }, "How often expired producer ids are removed.")
	i32("transaction.state.log.num.partitions", 50, 1, func(b *Broker) *int32 { return &b.TransactionStateLogNumPartitions }, "Partitions of __transaction_state (fixed once created).")
	i16("transaction.state.log.replication.factor", 3, 1, func(b *Broker) *int16 { return &b.TransactionStateLogReplicationFactor }, "Replication factor of __transaction_state, capped at the live brokers.")
	i32("transaction.state.log.min.isr", 2, 1, func(b *Broker) *int32 { return &b.TransactionStateLogMinISR }, "min.insync.replicas of __transaction_state.")
	i32("transaction.state.log.segment.bytes", 104857600, 1, func(b *Broker) *int32 { return &b.TransactionStateLogSegmentBytes }, "segment.bytes of __transaction_state.")
	i64("transaction.abort.timed.out.transaction.cleanup.interval.ms", Int, 10000, 1, func(b *Broker) *int64 { return &b.TransactionAbortTimedOutIntervalMs }, "How often timed-out transactions are aborted.")
	i64("transaction.remove.expired.transaction.cleanup.interval.ms", Int, 3600000, 1, func(b *Broker) *int64 { return &b.TransactionRemoveExpiredIntervalMs }, "How often expired transactional ids are removed.")
	g, s = bindBool(func(b *Broker) *bool { return &b.TransactionPartitionVerificationEnable })
	add(ro(boolDef("transaction.partition.verification.enable", true)), "Verify that a transactional produce's partition was added to the transaction (KIP-890).", g, s)

	// Replication and cluster membership.
	i64("replica.lag.time.max.ms", Long, 30000, 1, func(b *Broker) *int64 { return &b.ReplicaLagTimeMaxMs }, "A follower that has not caught up for this long leaves the ISR.")
	i32("replica.fetch.max.bytes", 1048576, 0, func(b *Broker) *int32 { return &b.ReplicaFetchMaxBytes }, "Bytes per partition a follower fetch asks for.")
	i32("replica.fetch.min.bytes", 1, 1, func(b *Broker) *int32 { return &b.ReplicaFetchMinBytes }, "min_bytes of follower fetches.")
	i64("replica.fetch.wait.max.ms", Int, 500, 0, func(b *Broker) *int64 { return &b.ReplicaFetchWaitMaxMs }, "max_wait_ms of follower fetches.")
	i32("replica.fetch.response.max.bytes", 10485760, 0, func(b *Broker) *int32 { return &b.ReplicaFetchResponseMaxBytes }, "max_bytes of follower fetches.")
	i64("replica.fetch.backoff.ms", Int, 1000, 0, func(b *Broker) *int64 { return &b.ReplicaFetchBackoffMs }, "Follower pause after a failed fetch.")
	i32("num.replica.fetchers", 1, 1, func(b *Broker) *int32 { return &b.NumReplicaFetchers }, "Fetcher connections per source broker.")
	i64("replica.high.watermark.checkpoint.interval.ms", Long, 5000, 1, func(b *Broker) *int64 { return &b.ReplicaHighWatermarkCheckpointInterval }, "How often high watermarks are checkpointed to disk.")
	i64("broker.heartbeat.interval.ms", Int, 2000, 1, func(b *Broker) *int64 { return &b.BrokerHeartbeatIntervalMs }, "How often a broker heartbeats to the controller.")
	i64("broker.session.timeout.ms", Int, 9000, 1, func(b *Broker) *int64 { return &b.BrokerSessionTimeoutMs }, "A broker silent for this long is fenced.")

	// Order: controller.listener.names before listeners (set reads it), the
	// rest by name.
	slices.SortStableFunc(defs, func(a, b brokerDef) int {
		ra, rb := a.Name != "controller.listener.names", b.Name != "controller.listener.names"
		if ra != rb {
			if !ra {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	// Group primaries derive their field from the whole group.
	lookup := func(name string) (*brokerDef, bool) {
		for i := range defs {
			if defs[i].Name == name {
				return &defs[i], true
			}
		}
		return nil, false
	}
	for _, grp := range synonymGroups {
		p, _ := lookup(grp[0].name)
		p.derive = deriveGroup(grp, lookup)
	}
	return defs
}

// BrokerDefs returns every broker property Gregor knows, sorted by name. The
// slice is the caller's.
func BrokerDefs() []Def {
	out := make([]Def, len(brokerTable))
	for i, bd := range brokerTable {
		out[i] = bd.Def
	}
	slices.SortFunc(out, func(a, b Def) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LookupBroker returns the broker property called name (Kafka's name).
func LookupBroker(name string) (Def, bool) {
	bd, ok := lookupBrokerDef(name)
	if !ok {
		return Def{}, false
	}
	return bd.Def, true
}

// IsCustomBroker reports whether name is not a broker property Gregor knows.
// Such names are accepted as dynamic broker configs, as Kafka accepts custom
// configs (a plugin's, or a Kafka feature Gregor lacks, such as the SASL
// listener settings): stored and described, never used.
func IsCustomBroker(name string) bool {
	_, ok := lookupBrokerDef(name)
	return !ok
}

// ValidateBrokerDynamic checks broker configs to be set at runtime
// (AlterConfigs / IncrementalAlterConfigs on a BROKER resource, for one
// broker or the cluster default). It reports every problem, joined and sorted
// by name: *ReadOnlyError for a property that cannot change at runtime,
// *ValueError for a bad value. A name Gregor does not know is a custom config
// (IsCustomBroker) and passes unchanged, as in Kafka.
func ValidateBrokerDynamic(m map[string]string) error {
	_, err := NormalizeBrokerDynamic(m)
	return err
}

// NormalizeBrokerDynamic is ValidateBrokerDynamic that also returns the
// values in normalized form, ready to store. On error the map is nil. m is
// not modified.
func NormalizeBrokerDynamic(m map[string]string) (map[string]string, error) {
	var errs []error
	norm := map[string]string{}
	for _, name := range sortedKeys(m) {
		bd, ok := lookupBrokerDef(name)
		if !ok {
			norm[name] = m[name]
			continue
		}
		if bd.ReadOnly {
			errs = append(errs, &ReadOnlyError{Name: name})
			continue
		}
		n, err := bd.Normalize(m[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		norm[name] = n
	}
	lo, ok1 := norm["log.cleaner.min.compaction.lag.ms"]
	hi, ok2 := norm["log.cleaner.max.compaction.lag.ms"]
	if ok1 && ok2 && parseInt(lo) > parseInt(hi) {
		errs = append(errs, &ValueError{Name: "log.cleaner.min.compaction.lag.ms", Value: lo,
			Reason: "must not be greater than log.cleaner.max.compaction.lag.ms (" + hi + ")"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return norm, nil
}
