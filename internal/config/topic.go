package config

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Topic config names. Only names used by other code are given constants; the
// table in topicTable is the full list.
const (
	CleanupPolicyDelete  = "delete"
	CleanupPolicyCompact = "compact"

	TimestampCreateTime    = "CreateTime"
	TimestampLogAppendTime = "LogAppendTime"
)

// CompressionTypes are the values compression.type accepts (broker and topic).
var compressionTypes = []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}

// topicTable holds every topic config Kafka 3.9 DescribeConfigs lists, sorted
// by name. It is built once and never modified; TopicDefs hands out copies.
var topicTable = buildTopicTable()

// topicIndex maps a name to its position in topicTable. Read-only.
var topicIndex = indexDefs(topicTable)

func indexDefs(defs []Def) map[string]int {
	m := make(map[string]int, len(defs))
	for i, d := range defs {
		m[d.Name] = i
	}
	return m
}

var throttledReplicasRE = regexp.MustCompile(`^[0-9]+:[0-9]+$`)

// throttledReplicas validates Kafka's leader/follower throttled replica
// lists: "", "*", or "partition:broker" pairs.
func throttledReplicas(name string) Def {
	d := Def{Name: name, Type: List, Default: ""}
	return d.withNormalizer(func(v string) (string, error) {
		parts := splitList(v)
		if len(parts) == 1 && parts[0] == "*" {
			return "*", nil
		}
		for _, p := range parts {
			if !throttledReplicasRE.MatchString(p) {
				return "", &ValueError{Name: name, Value: v, Reason: `must be "*" or a comma-separated list of partition:broker pairs`}
			}
		}
		return strings.Join(parts, ","), nil
	})
}

var messageFormatRE = regexp.MustCompile(`^[0-9]+\.[0-9]+(\.[0-9]+)?(-IV[0-9]+)?$`)

// messageFormatVersion accepts a Kafka version string such as "2.8" or
// "3.0-IV1". The setting is deprecated since 3.0 and has no effect: every
// batch Gregor stores is a v2 RecordBatch.
func messageFormatVersion(name string) Def {
	return custom(Def{Name: name, Type: String, Default: "3.0-IV1"},
		`must be a Kafka version such as "3.0-IV1"`, messageFormatRE.MatchString)
}

// Kinds shared by a topic config and its broker synonym: the same type,
// default and range under two names.
func gzipLevel(name string) Def {
	d := Def{Name: name, Type: Int, Default: "-1"}
	return d.withNormalizer(func(v string) (string, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil || (n != -1 && (n < 1 || n > 9)) {
			return "", &ValueError{Name: name, Value: v, Reason: "must be -1 or an int in [1, 9]"}
		}
		return strconv.FormatInt(n, 10), nil
	})
}

func lz4Level(name string) Def  { return intDef(name, Int, 9, 1, 17) }
func zstdLevel(name string) Def { return intDef(name, Int, 3, -131072, 22) }

func cleanupPolicy(name string) Def {
	return listDef(name, CleanupPolicyDelete, false, CleanupPolicyCompact, CleanupPolicyDelete)
}

func compressionType(name string) Def { return enumDef(name, "producer", compressionTypes...) }

func timestampType(name string) Def {
	return enumDef(name, TimestampCreateTime, TimestampCreateTime, TimestampLogAppendTime)
}

const (
	maxLong = math.MaxInt64
	maxInt  = math.MaxInt32
)

func buildTopicTable() []Def {
	t := func(d Def, broker, doc string) Def {
		d.BrokerName = broker
		d.Doc = doc
		return d
	}
	remote := boolDef("remote.storage.enable", false)
	remote = remote.withNormalizer(func(v string) (string, error) {
		n, err := boolDef("remote.storage.enable", false).Normalize(v)
		if err != nil {
			return "", err
		}
		if n == "true" {
			return "", &ValueError{Name: "remote.storage.enable", Value: v, Reason: "tiered storage is not supported by Gregor; must be false"}
		}
		return n, nil
	})
	defs := []Def{
		t(cleanupPolicy("cleanup.policy"), "log.cleanup.policy",
			"How old segments are removed: delete by time or size, compact to the newest record per key, or both."),
		t(gzipLevel("compression.gzip.level"), "compression.gzip.level",
			"Level used when the broker compresses with gzip (-1 is the codec's default)."),
		t(lz4Level("compression.lz4.level"), "compression.lz4.level",
			"Level used when the broker compresses with lz4."),
		t(compressionType("compression.type"), "compression.type",
			"Codec batches are stored with; producer keeps what the producer sent, uncompressed stores them uncompressed."),
		t(zstdLevel("compression.zstd.level"), "compression.zstd.level",
			"Level used when the broker compresses with zstd."),
		t(longDef("delete.retention.ms", 86400000, 0), "log.cleaner.delete.retention.ms",
			"How long tombstones survive on a compacted topic after the cleaner first sees them."),
		t(longDef("file.delete.delay.ms", 60000, 0), "log.segment.delete.delay.ms",
			"Delay between marking a segment deleted and removing its files, so in-flight reads finish."),
		t(longDef("flush.messages", maxLong, 1), "log.flush.interval.messages",
			"Force an fsync after this many records have been appended."),
		t(longDef("flush.ms", maxLong, 0), "log.flush.interval.ms",
			"Force an fsync when data has been unflushed for this long."),
		t(throttledReplicas("follower.replication.throttled.replicas"), "",
			"Replicas (partition:broker, or *) whose follower fetches are throttled."),
		t(int32Def("index.interval.bytes", 4096, 0), "log.index.interval.bytes",
			"Bytes of log between two offset index entries."),
		t(throttledReplicas("leader.replication.throttled.replicas"), "",
			"Replicas (partition:broker, or *) whose leader-side replication is throttled."),
		t(longDef("local.retention.bytes", -2, -2), "log.local.retention.bytes",
			"Local bytes kept when tiered storage is on (-2: use retention.bytes)."),
		t(longDef("local.retention.ms", -2, -2), "log.local.retention.ms",
			"Local time kept when tiered storage is on (-2: use retention.ms)."),
		t(longDef("max.compaction.lag.ms", maxLong, 1), "log.cleaner.max.compaction.lag.ms",
			"Longest a record may stay uncompacted before the cleaner must run."),
		t(int32Def("max.message.bytes", 1048588, 0), "message.max.bytes",
			"Largest record batch the topic accepts, after compression."),
		t(boolDef("message.downconversion.enable", true), "log.message.downconversion.enable",
			"Deprecated: whether old fetch versions get down-converted batches."),
		t(messageFormatVersion("message.format.version"), "log.message.format.version",
			"Deprecated and ignored since Kafka 3.0: batches are always stored in format v2."),
		t(longDef("message.timestamp.after.max.ms", maxLong, 0), "log.message.timestamp.after.max.ms",
			"How far in the future a CreateTime timestamp may be, relative to the broker clock."),
		t(longDef("message.timestamp.before.max.ms", maxLong, 0), "log.message.timestamp.before.max.ms",
			"How far in the past a CreateTime timestamp may be, relative to the broker clock."),
		t(longDef("message.timestamp.difference.max.ms", maxLong, 0), "log.message.timestamp.difference.max.ms",
			"Deprecated: the before and after bounds together, used when they are left at their defaults."),
		t(timestampType("message.timestamp.type"), "log.message.timestamp.type",
			"Whether record timestamps are the producer's (CreateTime) or the broker's append time (LogAppendTime)."),
		t(doubleDef("min.cleanable.dirty.ratio", 0.5, 0, 1), "log.cleaner.min.cleanable.ratio",
			"Share of the log that must be uncompacted before the cleaner considers it."),
		t(longDef("min.compaction.lag.ms", 0, 0), "log.cleaner.min.compaction.lag.ms",
			"Shortest time a record stays uncompacted."),
		t(int32Def("min.insync.replicas", 1, 1), "min.insync.replicas",
			"In-sync replicas needed for an acks=all write to succeed."),
		t(boolDef("preallocate", false), "log.preallocate",
			"Preallocate segment files when they are created."),
		t(boolDef("remote.log.copy.disable", false), "",
			"Stop copying segments to tiered storage (tiered storage is not supported)."),
		t(boolDef("remote.log.delete.on.disable", false), "",
			"Delete remote data when tiered storage is turned off (tiered storage is not supported)."),
		t(remote, "", "Tiered storage for this topic; Gregor does not support it, so it must stay false."),
		t(longDef("retention.bytes", -1, math.MinInt64), "log.retention.bytes",
			"Largest size a partition may reach before old segments are deleted; -1 for no limit."),
		t(longDef("retention.ms", 604800000, -1), "log.retention.ms",
			"How long segments are kept before deletion; -1 for no limit."),
		t(int32Def("segment.bytes", 1073741824, 14), "log.segment.bytes",
			"Size at which a new segment is rolled."),
		t(int32Def("segment.index.bytes", 10485760, 4), "log.index.size.max.bytes",
			"Size of a segment's offset and time index files."),
		t(longDef("segment.jitter.ms", 0, 0), "log.roll.jitter.ms",
			"Largest random amount subtracted from segment.ms, to spread rolls."),
		t(longDef("segment.ms", 604800000, 1), "log.roll.ms",
			"Age at which a new segment is rolled even if it is not full."),
		t(boolDef("unclean.leader.election.enable", false), "unclean.leader.election.enable",
			"Allow a replica outside the ISR to become leader, at the cost of losing data."),
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

// TopicDefs returns every topic config, sorted by name. The slice is the
// caller's.
func TopicDefs() []Def { return slices.Clone(topicTable) }

// LookupTopic returns the topic config called name.
func LookupTopic(name string) (Def, bool) {
	i, ok := topicIndex[name]
	if !ok {
		return Def{}, false
	}
	return topicTable[i], true
}

// ValidateTopicConfigs checks topic overrides as given to CreateTopics or
// AlterConfigs. It reports every problem, joined with errors.Join and sorted
// by name: an unknown name is an *UnknownError (ErrUnknownConfig), a bad value
// a *ValueError (ErrInvalidConfig). It also checks pairs that only make sense
// together (min.compaction.lag.ms <= max.compaction.lag.ms when both are set).
func ValidateTopicConfigs(m map[string]string) error {
	_, err := NormalizeTopicConfigs(m)
	return err
}

// NormalizeTopicConfigs is ValidateTopicConfigs that also returns the
// values in normalized form (see Def.Normalize), ready to store. On error the
// map is nil. m is not modified.
func NormalizeTopicConfigs(m map[string]string) (map[string]string, error) {
	norm, errs := normalizeKnown(m, LookupTopic, "topic")
	if err := checkCompactionLag(norm); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return norm, nil
}

// checkCompactionLag reports min.compaction.lag.ms > max.compaction.lag.ms
// when both are present in norm (normalized values).
func checkCompactionLag(norm map[string]string) error {
	minS, ok1 := norm["min.compaction.lag.ms"]
	maxS, ok2 := norm["max.compaction.lag.ms"]
	if !ok1 || !ok2 {
		return nil
	}
	if parseInt(minS) > parseInt(maxS) {
		return &ValueError{Name: "min.compaction.lag.ms", Value: minS,
			Reason: "must not be greater than max.compaction.lag.ms (" + maxS + ")"}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Topic is a topic's resolved configuration, typed. Build it with
// ResolveTopic; the zero value is not meaningful.
type Topic struct {
	CleanupPolicy        string // "delete", "compact" or "compact,delete" (normalized list)
	CompressionType      string // producer|uncompressed|gzip|snappy|lz4|zstd
	CompressionGzipLevel int    // -1 or 1..9
	CompressionLz4Level  int
	CompressionZstdLevel int

	DeleteRetentionMs  int64
	FileDeleteDelayMs  int64
	FlushMessages      int64
	FlushMs            int64
	IndexIntervalBytes int64
	MaxCompactionLagMs int64
	MinCompactionLagMs int64
	MaxMessageBytes    int64

	MessageTimestampType string // CreateTime or LogAppendTime
	// TimestampBeforeMaxMs and TimestampAfterMaxMs are the effective bounds:
	// when one is left at its default (Long.MAX) and
	// message.timestamp.difference.max.ms is set, the latter applies, as in
	// Kafka 3.9.
	TimestampBeforeMaxMs int64
	TimestampAfterMaxMs  int64

	MinCleanableDirtyRatio float64
	MinInsyncReplicas      int
	Preallocate            bool

	RetentionBytes    int64 // -1: no limit
	RetentionMs       int64 // -1: no limit
	SegmentBytes      int64
	SegmentIndexBytes int64
	SegmentJitterMs   int64
	SegmentMs         int64

	UncleanLeaderElection bool
}

// Compact reports whether the cleanup policy includes compaction.
func (t Topic) Compact() bool {
	return slices.Contains(splitList(t.CleanupPolicy), CleanupPolicyCompact)
}

// Delete reports whether the cleanup policy includes time/size deletion.
func (t Topic) Delete() bool { return slices.Contains(splitList(t.CleanupPolicy), CleanupPolicyDelete) }

// LogAppendTime reports whether the broker stamps batches with its own time.
func (t Topic) LogAppendTime() bool { return t.MessageTimestampType == TimestampLogAppendTime }

// ResolveTopic computes a topic's configuration. overrides are the topic's
// own configs (DYNAMIC_TOPIC_CONFIG); brokerDynamic holds the dynamic config
// of this broker (DYNAMIC_BROKER_CONFIG), keyed by broker property names;
// static is the broker's static configuration (nil means all defaults). Use
// ResolveTopicAll to include the cluster-wide dynamic default as well.
//
// See ResolveTopicAll for precedence and errors.
func ResolveTopic(overrides map[string]string, brokerDynamic map[string]string, static *Broker) (Topic, error) {
	return ResolveTopicAll(overrides, brokerDynamic, nil, static)
}

// ResolveTopicAll computes a topic's configuration from every source. For each
// topic config the first of these wins, as in Kafka:
//
//  1. the topic override (overrides[name]),
//  2. perBroker[broker name], the dynamic config of this broker,
//  3. clusterDefault[broker name], the dynamic default for all brokers,
//  4. the static broker config (static), where for grouped broker names the
//     first set one wins (log.retention.ms > .minutes > .hours),
//  5. the default.
//
// The maps are read, never kept or modified. Values that do not validate are
// skipped as if unset, and reported: the returned Topic is always usable, and
// the error (errors.Join of *ValueError and *UnknownError for unknown override
// names) says what was ignored. Unknown names in the broker maps are not
// errors, as they hold every broker property.
func ResolveTopicAll(overrides, perBroker, clusterDefault map[string]string, static *Broker) (Topic, error) {
	l := layers{topic: overrides, perBroker: perBroker, clusterDefault: clusterDefault, static: static}
	var errs []error
	for _, name := range sortedKeys(overrides) {
		if _, ok := LookupTopic(name); !ok {
			errs = append(errs, &UnknownError{Name: name, Resource: "topic"})
		}
	}
	vals := make(map[string]string, len(topicTable))
	for _, d := range topicTable {
		e, dErrs := l.topicEntry(d)
		errs = append(errs, dErrs...)
		vals[d.Name] = *e.Value
	}
	t := topicFromValues(vals)
	if t.MinCompactionLagMs > t.MaxCompactionLagMs {
		errs = append(errs, &ValueError{Name: "min.compaction.lag.ms", Value: vals["min.compaction.lag.ms"],
			Reason: "must not be greater than max.compaction.lag.ms (" + vals["max.compaction.lag.ms"] + "); using max.compaction.lag.ms"})
		t.MinCompactionLagMs = t.MaxCompactionLagMs
	}
	return t, errors.Join(errs...)
}

// topicFromValues fills a Topic from normalized values of every topic config.
func topicFromValues(v map[string]string) Topic {
	i := func(name string) int64 { return parseInt(v[name]) }
	t := Topic{
		CleanupPolicy:          v["cleanup.policy"],
		CompressionType:        v["compression.type"],
		CompressionGzipLevel:   int(i("compression.gzip.level")),
		CompressionLz4Level:    int(i("compression.lz4.level")),
		CompressionZstdLevel:   int(i("compression.zstd.level")),
		DeleteRetentionMs:      i("delete.retention.ms"),
		FileDeleteDelayMs:      i("file.delete.delay.ms"),
		FlushMessages:          i("flush.messages"),
		FlushMs:                i("flush.ms"),
		IndexIntervalBytes:     i("index.interval.bytes"),
		MaxCompactionLagMs:     i("max.compaction.lag.ms"),
		MinCompactionLagMs:     i("min.compaction.lag.ms"),
		MaxMessageBytes:        i("max.message.bytes"),
		MessageTimestampType:   v["message.timestamp.type"],
		TimestampBeforeMaxMs:   i("message.timestamp.before.max.ms"),
		TimestampAfterMaxMs:    i("message.timestamp.after.max.ms"),
		MinCleanableDirtyRatio: parseDouble(v["min.cleanable.dirty.ratio"]),
		MinInsyncReplicas:      int(i("min.insync.replicas")),
		Preallocate:            parseBool(v["preallocate"]),
		RetentionBytes:         i("retention.bytes"),
		RetentionMs:            i("retention.ms"),
		SegmentBytes:           i("segment.bytes"),
		SegmentIndexBytes:      i("segment.index.bytes"),
		SegmentJitterMs:        i("segment.jitter.ms"),
		SegmentMs:              i("segment.ms"),
		UncleanLeaderElection:  parseBool(v["unclean.leader.election.enable"]),
	}
	// Kafka 3.9 LogConfig: the deprecated difference bound applies to each
	// side left at its default.
	diff := i("message.timestamp.difference.max.ms")
	if t.TimestampBeforeMaxMs == maxLong {
		t.TimestampBeforeMaxMs = diff
	}
	if t.TimestampAfterMaxMs == maxLong {
		t.TimestampAfterMaxMs = diff
	}
	return t
}

// normalizeKnown normalizes every config in m that lookup knows, in name
// order, and returns the problems: an *UnknownError (for resource) per name
// lookup does not know, the Normalize error per bad value.
func normalizeKnown(m map[string]string, lookup func(string) (Def, bool), resource string) (map[string]string, []error) {
	var errs []error
	norm := make(map[string]string, len(m))
	for _, name := range sortedKeys(m) {
		d, ok := lookup(name)
		if !ok {
			errs = append(errs, &UnknownError{Name: name, Resource: resource})
			continue
		}
		n, err := d.Normalize(m[name])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		norm[name] = n
	}
	return norm, errs
}
