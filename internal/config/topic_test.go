package config

import (
	"errors"
	"strings"
	"testing"
)

func entryByName(t *testing.T, entries []Entry, name string) Entry {
	t.Helper()
	for _, e := range entries {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no entry %s", name)
	return Entry{}
}

// TestTopicPrecedence walks retention.ms down the layers: each layer added
// on top wins, with its Source, and the synonyms list every layer present in
// Kafka's order.
func TestTopicPrecedence(t *testing.T) {
	static := DefaultBroker()
	if err := static.Apply(map[string]string{"log.retention.hours": "48"}); err != nil {
		t.Fatal(err)
	}
	override := map[string]string{"retention.ms": "1000"}
	perBroker := map[string]string{"log.retention.ms": "2000"}
	clusterDefault := map[string]string{"log.retention.ms": "3000"}

	cases := []struct {
		name           string
		over, per, def map[string]string
		static         *Broker
		wantValue      int64
		wantSource     int8
		wantEntry      string
	}{
		{"default", nil, nil, nil, nil, 604800000, SourceDefault,
			"retention.ms=604800000 (DEFAULT_CONFIG) [log.retention.hours=168 DEFAULT_CONFIG]"},
		{"default with untouched static", nil, nil, nil, DefaultBroker(), 604800000, SourceDefault,
			"retention.ms=604800000 (DEFAULT_CONFIG) [log.retention.hours=168 DEFAULT_CONFIG]"},
		{"static", nil, nil, nil, static, 48 * 3600000, SourceStaticBroker,
			"retention.ms=172800000 (STATIC_BROKER_CONFIG) [log.retention.hours=48 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{"dynamic default", nil, nil, clusterDefault, static, 3000, SourceDynamicDefaultBroker,
			"retention.ms=3000 (DYNAMIC_DEFAULT_BROKER_CONFIG) [log.retention.ms=3000 DYNAMIC_DEFAULT_BROKER_CONFIG, log.retention.hours=48 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{"dynamic broker", nil, perBroker, clusterDefault, static, 2000, SourceDynamicBroker,
			"retention.ms=2000 (DYNAMIC_BROKER_CONFIG) [log.retention.ms=2000 DYNAMIC_BROKER_CONFIG, log.retention.ms=3000 DYNAMIC_DEFAULT_BROKER_CONFIG, log.retention.hours=48 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{"override", override, perBroker, clusterDefault, static, 1000, SourceDynamicTopic,
			"retention.ms=1000 (DYNAMIC_TOPIC_CONFIG) [retention.ms=1000 DYNAMIC_TOPIC_CONFIG, log.retention.ms=2000 DYNAMIC_BROKER_CONFIG, log.retention.ms=3000 DYNAMIC_DEFAULT_BROKER_CONFIG, log.retention.hours=48 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{"override alone", override, nil, nil, nil, 1000, SourceDynamicTopic,
			"retention.ms=1000 (DYNAMIC_TOPIC_CONFIG) [retention.ms=1000 DYNAMIC_TOPIC_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			topic, err := ResolveTopicAll(c.over, c.per, c.def, c.static)
			if err != nil {
				t.Fatal(err)
			}
			if topic.RetentionMs != c.wantValue {
				t.Errorf("RetentionMs = %d, want %d", topic.RetentionMs, c.wantValue)
			}
			e := entryByName(t, DescribeTopicAll(c.over, c.per, c.def, c.static), "retention.ms")
			if e.Source != c.wantSource || e.IsDefault != (c.wantSource == SourceDefault) {
				t.Errorf("source %d default %v, want %d", e.Source, e.IsDefault, c.wantSource)
			}
			if got := e.String(); got != c.wantEntry {
				t.Errorf("entry\n got %s\nwant %s", got, c.wantEntry)
			}
			if e.Type != Long || e.ReadOnly || e.Sensitive || e.Doc == "" {
				t.Errorf("entry flags %+v", e)
			}
		})
	}
}

// TestResolveTopicTwoArg checks the short form treats brokerDynamic as this
// broker's dynamic config.
func TestResolveTopicTwoArg(t *testing.T) {
	dyn := map[string]string{"log.segment.bytes": "1048576", "num.io.threads": "4"}
	topic, err := ResolveTopic(nil, dyn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if topic.SegmentBytes != 1048576 {
		t.Errorf("SegmentBytes %d", topic.SegmentBytes)
	}
	e := entryByName(t, DescribeTopic(nil, dyn, nil), "segment.bytes")
	if e.Source != SourceDynamicBroker || len(e.Synonyms) != 2 || e.Synonyms[1].Source != SourceDefault {
		t.Errorf("entry %s", e)
	}
}

func TestResolveTopicDefaults(t *testing.T) {
	got, err := ResolveTopic(nil, nil, DefaultBroker())
	if err != nil {
		t.Fatal(err)
	}
	want := Topic{
		CleanupPolicy: "delete", CompressionType: "producer", CompressionGzipLevel: -1, CompressionLz4Level: 9,
		CompressionZstdLevel: 3, DeleteRetentionMs: 86400000, FileDeleteDelayMs: 60000, FlushMessages: maxLong,
		FlushMs: maxLong, IndexIntervalBytes: 4096, MaxCompactionLagMs: maxLong, MinCompactionLagMs: 0,
		MaxMessageBytes: 1048588, MessageTimestampType: "CreateTime", TimestampBeforeMaxMs: maxLong,
		TimestampAfterMaxMs: maxLong, MinCleanableDirtyRatio: 0.5, MinInsyncReplicas: 1, RetentionBytes: -1,
		RetentionMs: 604800000, SegmentBytes: 1073741824, SegmentIndexBytes: 10485760, SegmentJitterMs: 0,
		SegmentMs: 604800000,
	}
	if got != want {
		t.Errorf("defaults\n got %+v\nwant %+v", got, want)
	}
	if !got.Delete() || got.Compact() || got.LogAppendTime() {
		t.Error("policy helpers wrong for defaults")
	}
	nilStatic, err := ResolveTopic(nil, nil, nil)
	if err != nil || nilStatic != want {
		t.Errorf("nil static: %+v, %v", nilStatic, err)
	}
}

// TestStaticSynonymGroups checks Kafka's order within a group in the static
// layer: ms over minutes over hours, roll.ms over roll.hours, and the flush
// scheduler interval as flush.ms's fallback.
func TestStaticSynonymGroups(t *testing.T) {
	cases := []struct {
		props map[string]string
		check func(Topic) bool
		entry string
		want  string
	}{
		{map[string]string{"log.retention.minutes": "10", "log.retention.hours": "1"},
			func(tp Topic) bool { return tp.RetentionMs == 600000 }, "retention.ms",
			"retention.ms=600000 (STATIC_BROKER_CONFIG) [log.retention.minutes=10 STATIC_BROKER_CONFIG, log.retention.hours=1 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{map[string]string{"log.retention.ms": "5", "log.retention.minutes": "10"},
			func(tp Topic) bool { return tp.RetentionMs == 5 }, "retention.ms",
			"retention.ms=5 (STATIC_BROKER_CONFIG) [log.retention.ms=5 STATIC_BROKER_CONFIG, log.retention.minutes=10 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{map[string]string{"log.retention.hours": "-1"},
			func(tp Topic) bool { return tp.RetentionMs == -1 }, "retention.ms",
			"retention.ms=-1 (STATIC_BROKER_CONFIG) [log.retention.hours=-1 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]"},
		{map[string]string{"log.roll.hours": "2"},
			func(tp Topic) bool { return tp.SegmentMs == 7200000 }, "segment.ms",
			"segment.ms=7200000 (STATIC_BROKER_CONFIG) [log.roll.hours=2 STATIC_BROKER_CONFIG, log.roll.hours=168 DEFAULT_CONFIG]"},
		{map[string]string{"log.roll.jitter.hours": "1"},
			func(tp Topic) bool { return tp.SegmentJitterMs == 3600000 }, "segment.jitter.ms",
			"segment.jitter.ms=3600000 (STATIC_BROKER_CONFIG) [log.roll.jitter.hours=1 STATIC_BROKER_CONFIG, log.roll.jitter.hours=0 DEFAULT_CONFIG]"},
		{map[string]string{"log.flush.scheduler.interval.ms": "1000"},
			func(tp Topic) bool { return tp.FlushMs == 1000 }, "flush.ms",
			"flush.ms=1000 (STATIC_BROKER_CONFIG) [log.flush.scheduler.interval.ms=1000 STATIC_BROKER_CONFIG, log.flush.scheduler.interval.ms=9223372036854775807 DEFAULT_CONFIG]"},
		{map[string]string{"message.max.bytes": "2000000", "log.cleaner.min.cleanable.ratio": "0.25"},
			func(tp Topic) bool { return tp.MaxMessageBytes == 2000000 && tp.MinCleanableDirtyRatio == 0.25 }, "min.cleanable.dirty.ratio",
			"min.cleanable.dirty.ratio=0.25 (STATIC_BROKER_CONFIG) [log.cleaner.min.cleanable.ratio=0.25 STATIC_BROKER_CONFIG, log.cleaner.min.cleanable.ratio=0.5 DEFAULT_CONFIG]"},
	}
	for _, c := range cases {
		b := DefaultBroker()
		if err := b.Apply(c.props); err != nil {
			t.Fatalf("%v: %v", c.props, err)
		}
		tp, err := ResolveTopic(nil, nil, b)
		if err != nil || !c.check(tp) {
			t.Errorf("%v: resolved %+v, %v", c.props, tp, err)
		}
		if got := entryByName(t, DescribeTopic(nil, nil, b), c.entry).String(); got != c.want {
			t.Errorf("%v:\n got %s\nwant %s", c.props, got, c.want)
		}
	}
}

// TestStaticFieldSetDirectly: a typed field set without Apply is still the
// static layer, reported as STATIC_BROKER_CONFIG.
func TestStaticFieldSetDirectly(t *testing.T) {
	b := DefaultBroker()
	b.LogRetentionMs = 1234
	b.LogSegmentBytes = 4096
	tp, err := ResolveTopic(nil, nil, b)
	if err != nil || tp.RetentionMs != 1234 || tp.SegmentBytes != 4096 {
		t.Fatalf("%+v %v", tp, err)
	}
	e := entryByName(t, DescribeTopic(nil, nil, b), "retention.ms")
	if e.String() != "retention.ms=1234 (STATIC_BROKER_CONFIG) [log.retention.ms=1234 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]" {
		t.Errorf("got %s", e)
	}
}

func TestResolveTopicBadValuesSkipped(t *testing.T) {
	over := map[string]string{"retention.ms": "soon", "segment.ms": "60000", "bogus.name": "1"}
	per := map[string]string{"log.retention.ms": "-7x", "log.roll.ms": "1"}
	def := map[string]string{"log.retention.ms": "5000"}
	tp, err := ResolveTopicAll(over, per, def, nil)
	if tp.RetentionMs != 5000 || tp.SegmentMs != 60000 {
		t.Errorf("resolved %+v", tp)
	}
	if !errors.Is(err, ErrInvalidConfig) || !errors.Is(err, ErrUnknownConfig) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{`"soon" for retention.ms`, `"-7x" for log.retention.ms`, `"bogus.name"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	e := entryByName(t, DescribeTopicAll(over, per, def, nil), "retention.ms")
	if e.Source != SourceDynamicDefaultBroker || *e.Value != "5000" {
		t.Errorf("entry %s", e)
	}
}

// A broker value in minutes is converted to the topic's milliseconds with no
// int32 overflow.
func TestBrokerValueConvertedAndClamped(t *testing.T) {
	b := DefaultBroker()
	if err := b.Apply(map[string]string{"log.retention.minutes": "2147483647"}); err != nil {
		t.Fatal(err)
	}
	tp, err := ResolveTopic(nil, nil, b)
	if err != nil || tp.RetentionMs != 2147483647*60000 {
		t.Fatalf("%d %v", tp.RetentionMs, err)
	}
}

func TestTimestampDifferenceFallback(t *testing.T) {
	tp, err := ResolveTopic(map[string]string{"message.timestamp.difference.max.ms": "1000", "message.timestamp.after.max.ms": "50"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tp.TimestampBeforeMaxMs != 1000 || tp.TimestampAfterMaxMs != 50 {
		t.Errorf("before %d after %d", tp.TimestampBeforeMaxMs, tp.TimestampAfterMaxMs)
	}
}

func TestCompactionLagConflict(t *testing.T) {
	tp, err := ResolveTopic(map[string]string{"min.compaction.lag.ms": "100", "max.compaction.lag.ms": "10", "cleanup.policy": "compact,delete"}, nil, nil)
	if !errors.Is(err, ErrInvalidConfig) || tp.MinCompactionLagMs != 10 || !tp.Compact() || !tp.Delete() {
		t.Errorf("%+v %v", tp, err)
	}
}

func TestValidateTopicConfigs(t *testing.T) {
	if err := ValidateTopicConfigs(map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	if err := ValidateTopicConfigs(nil); err != nil {
		t.Fatal(err)
	}
	err := ValidateTopicConfigs(map[string]string{
		"retention.ms": "abc", "retentoin.ms": "1", "segment.bytes": "1", "remote.storage.enable": "true",
	})
	var ue *UnknownError
	if !errors.As(err, &ue) || ue.Name != "retentoin.ms" || !errors.Is(err, ErrUnknownConfig) {
		t.Errorf("unknown: %v", err)
	}
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("invalid: %v", err)
	}
	want := `invalid value "abc" for retention.ms: must be a long >= -1
unknown topic config "retentoin.ms"
invalid value "true" for remote.storage.enable: tiered storage is not supported by Gregor; must be false
invalid value "1" for segment.bytes: must be an int >= 14`
	// errors.Join order: sorted by name.
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %q", err)
	}
	for _, l := range strings.Split(want, "\n") {
		if !strings.Contains(err.Error(), l) {
			t.Errorf("missing %q in\n%s", l, err)
		}
	}
	if !strings.HasPrefix(lines[0], `invalid value "true" for remote.storage.enable`) {
		t.Errorf("not sorted by name: %q", lines)
	}
	err = ValidateTopicConfigs(map[string]string{"min.compaction.lag.ms": "100", "max.compaction.lag.ms": "10"})
	if err == nil || !strings.Contains(err.Error(), `invalid value "100" for min.compaction.lag.ms: must not be greater than max.compaction.lag.ms (10)`) {
		t.Errorf("compaction lag: %v", err)
	}
}

func TestFilter(t *testing.T) {
	all := DescribeTopic(nil, nil, nil)
	if got := Filter(all, nil); len(got) != len(all) {
		t.Errorf("nil names: %d entries", len(got))
	}
	got := Filter(all, []string{"segment.ms", "retention.ms", "nope"})
	if len(got) != 2 || got[0].Name != "retention.ms" || got[1].Name != "segment.ms" {
		t.Errorf("got %v", got)
	}
}

// BenchmarkResolveTopic measures resolving one topic with a few overrides
// and dynamic configs; the broker does this when a topic is loaded or its
// config changes.
func BenchmarkResolveTopic(b *testing.B) {
	static := DefaultBroker()
	if err := static.Apply(map[string]string{"log.retention.hours": "24", "num.partitions": "3"}); err != nil {
		b.Fatal(err)
	}
	over := map[string]string{"cleanup.policy": "compact", "retention.ms": "1000"}
	dyn := map[string]string{"log.segment.bytes": "1048576"}
	for b.Loop() {
		if _, err := ResolveTopic(over, dyn, static); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDescribeTopic(b *testing.B) {
	static := DefaultBroker()
	over := map[string]string{"cleanup.policy": "compact", "retention.ms": "1000"}
	for b.Loop() {
		DescribeTopic(over, nil, static)
	}
}

func TestNormalizeConfigs(t *testing.T) {
	in := map[string]string{"retention.ms": " +1000 ", "cleanup.policy": "compact , delete", "preallocate": "TRUE", "min.cleanable.dirty.ratio": "1"}
	got, err := NormalizeTopicConfigs(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"retention.ms": "1000", "cleanup.policy": "compact,delete", "preallocate": "true", "min.cleanable.dirty.ratio": "1.0"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if in["retention.ms"] != " +1000 " {
		t.Error("input modified")
	}
	if m, err := NormalizeTopicConfigs(map[string]string{"retention.ms": "x"}); err == nil || m != nil {
		t.Errorf("%v %v", m, err)
	}
	bm, err := NormalizeBrokerDynamic(map[string]string{"log.retention.ms": " 5 ", "unclean.leader.election.enable": "True"})
	if err != nil || bm["log.retention.ms"] != "5" || bm["unclean.leader.election.enable"] != "true" {
		t.Errorf("%v %v", bm, err)
	}
}
