package config

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestTypeAndSourceMatchKmsg(t *testing.T) {
	types := map[Type]kmsg.ConfigType{
		Unknown: kmsg.ConfigTypeUnknown, Boolean: kmsg.ConfigTypeBoolean, String: kmsg.ConfigTypeString,
		Int: kmsg.ConfigTypeInt, Short: kmsg.ConfigTypeShort, Long: kmsg.ConfigTypeLong,
		Double: kmsg.ConfigTypeDouble, List: kmsg.ConfigTypeList, Class: kmsg.ConfigTypeClass,
		Password: kmsg.ConfigTypePassword,
	}
	for ours, theirs := range types {
		if int(ours) != int(theirs) {
			t.Errorf("%v = %d, kmsg %v = %d", ours, ours, theirs, theirs)
		}
		if ours.String() != theirs.String() {
			t.Errorf("name %q, kmsg %q", ours.String(), theirs.String())
		}
	}
	sources := map[int8]kmsg.ConfigSource{
		SourceDynamicTopic: kmsg.ConfigSourceDynamicTopicConfig, SourceDynamicBroker: kmsg.ConfigSourceDynamicBrokerConfig,
		SourceDynamicDefaultBroker: kmsg.ConfigSourceDynamicDefaultBrokerConfig,
		SourceStaticBroker:         kmsg.ConfigSourceStaticBrokerConfig, SourceDefault: kmsg.ConfigSourceDefaultConfig,
	}
	for ours, theirs := range sources {
		if ours != int8(theirs) {
			t.Errorf("source %d, kmsg %v = %d", ours, theirs, theirs)
		}
		if SourceName(ours) != theirs.String() {
			t.Errorf("source name %q, kmsg %q", SourceName(ours), theirs.String())
		}
	}
}

func TestJavaDouble(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {0.5, "0.5"}, {1, "1.0"}, {0.001, "0.001"}, {0.0001, "1.0E-4"},
		{1234567, "1234567.0"}, {1e7, "1.0E7"}, {-2.5, "-2.5"},
		{math.MaxFloat64, "1.7976931348623157E308"}, {0.125, "0.125"},
	} {
		if got := javaDouble(c.f); got != c.want {
			t.Errorf("javaDouble(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// validatorCase lists values a config must accept (with their normalized
// form) and values it must reject.
type validatorCase struct {
	name string
	good map[string]string // input -> normalized
	bad  []string
}

// TestTopicValidators covers every topic config: good values normalize as
// Kafka renders them, bad ones give a *ValueError naming the value and the
// config.
func TestTopicValidators(t *testing.T) {
	cases := []validatorCase{
		{"cleanup.policy", map[string]string{"delete": "delete", "compact": "compact", " compact , delete ": "compact,delete"},
			[]string{"", "Delete", "compact,", "none", "compact,,delete"}},
		{"compression.gzip.level", map[string]string{"-1": "-1", "1": "1", "9": "9"}, []string{"0", "10", "-2", "x"}},
		{"compression.lz4.level", map[string]string{"1": "1", "17": "17"}, []string{"0", "18"}},
		{"compression.type", map[string]string{"producer": "producer", "zstd": "zstd", " lz4 ": "lz4", "uncompressed": "uncompressed", "snappy": "snappy", "gzip": "gzip"},
			[]string{"none", "GZIP", "", "brotli"}},
		{"compression.zstd.level", map[string]string{"-131072": "-131072", "22": "22", "3": "3"}, []string{"23", "-131073"}},
		{"delete.retention.ms", map[string]string{"0": "0", "86400000": "86400000"}, []string{"-1", "1.5", "abc"}},
		{"file.delete.delay.ms", map[string]string{"0": "0", "+60000": "60000"}, []string{"-1"}},
		{"flush.messages", map[string]string{"1": "1", "9223372036854775807": "9223372036854775807"}, []string{"0", "9223372036854775808"}},
		{"flush.ms", map[string]string{"0": "0", "1000": "1000"}, []string{"-1"}},
		{"follower.replication.throttled.replicas", map[string]string{"": "", "*": "*", "0:1, 1:2": "0:1,1:2"}, []string{"0", "a:b", "*,0:1"}},
		{"index.interval.bytes", map[string]string{"0": "0", "4096": "4096", "2147483647": "2147483647"}, []string{"-1", "2147483648"}},
		{"leader.replication.throttled.replicas", map[string]string{"*": "*", "3:4": "3:4"}, []string{"x"}},
		{"local.retention.bytes", map[string]string{"-2": "-2", "-1": "-1", "10": "10"}, []string{"-3"}},
		{"local.retention.ms", map[string]string{"-2": "-2", "100": "100"}, []string{"-3"}},
		{"max.compaction.lag.ms", map[string]string{"1": "1"}, []string{"0", "-1"}},
		{"max.message.bytes", map[string]string{"0": "0", "1048588": "1048588"}, []string{"-1", "2147483648", "1MB"}},
		{"message.downconversion.enable", map[string]string{"true": "true", "FALSE": "false", " True ": "true"}, []string{"yes", "1", ""}},
		{"message.format.version", map[string]string{"3.0-IV1": "3.0-IV1", "2.8": "2.8", "0.10.2": "0.10.2"}, []string{"latest", "3", ""}},
		{"message.timestamp.after.max.ms", map[string]string{"0": "0", "3600000": "3600000"}, []string{"-1"}},
		{"message.timestamp.before.max.ms", map[string]string{"0": "0"}, []string{"-5"}},
		{"message.timestamp.difference.max.ms", map[string]string{"0": "0"}, []string{"-1"}},
		{"message.timestamp.type", map[string]string{"CreateTime": "CreateTime", "LogAppendTime": "LogAppendTime"}, []string{"createtime", "NoTimestamp", ""}},
		{"min.cleanable.dirty.ratio", map[string]string{"0": "0.0", "1": "1.0", "0.5": "0.5", " .25 ": "0.25", "1e-4": "1.0E-4"},
			[]string{"1.01", "-0.1", "NaN", "Infinity", "inf", "0x1p-2", "half"}},
		{"min.compaction.lag.ms", map[string]string{"0": "0"}, []string{"-1"}},
		{"min.insync.replicas", map[string]string{"1": "1", "3": "3"}, []string{"0", "-1", "two"}},
		{"preallocate", map[string]string{"false": "false", "true": "true"}, []string{"no"}},
		{"remote.log.copy.disable", map[string]string{"false": "false", "true": "true"}, []string{"x"}},
		{"remote.log.delete.on.disable", map[string]string{"false": "false", "true": "true"}, []string{"x"}},
		{"remote.storage.enable", map[string]string{"false": "false", "FALSE": "false"}, []string{"true", "TRUE", "x"}},
		{"retention.bytes", map[string]string{"-1": "-1", "-100": "-100", "1073741824": "1073741824"}, []string{"1GB", "9223372036854775808"}},
		{"retention.ms", map[string]string{"-1": "-1", "0": "0", "604800000": "604800000"}, []string{"-2", "abc", "1e3"}},
		{"segment.bytes", map[string]string{"14": "14", "1073741824": "1073741824"}, []string{"13", "0", "2147483648"}},
		{"segment.index.bytes", map[string]string{"4": "4", "10485760": "10485760"}, []string{"3"}},
		{"segment.jitter.ms", map[string]string{"0": "0"}, []string{"-1"}},
		{"segment.ms", map[string]string{"1": "1", "604800000": "604800000"}, []string{"0", "-1"}},
		{"unclean.leader.election.enable", map[string]string{"false": "false", "true": "true"}, []string{"t"}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.name] = true
		d, ok := LookupTopic(c.name)
		if !ok {
			t.Errorf("LookupTopic(%q) not found", c.name)
			continue
		}
		checkValidator(t, d, c)
	}
	for _, d := range TopicDefs() {
		if !covered[d.Name] {
			t.Errorf("topic config %s has no validator test case", d.Name)
		}
	}
}

func checkValidator(t *testing.T, d Def, c validatorCase) {
	t.Helper()
	for in, want := range c.good {
		got, err := d.Normalize(in)
		if err != nil || got != want {
			t.Errorf("%s: Normalize(%q) = %q, %v; want %q", d.Name, in, got, err, want)
		}
		if err := d.Validate(in); err != nil {
			t.Errorf("%s: Validate(%q) = %v", d.Name, in, err)
		}
	}
	for _, in := range c.bad {
		err := d.Validate(in)
		var ve *ValueError
		if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate(%q) = %v, want *ValueError", d.Name, in, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"`+in+`"`) || !strings.Contains(msg, d.Name) || !strings.Contains(msg, "must") {
			t.Errorf("%s: error %q does not name the value, the config and the expectation", d.Name, msg)
		}
	}
}

func TestValueErrorText(t *testing.T) {
	d, _ := LookupTopic("retention.ms")
	err := d.Validate("abc")
	want := `invalid value "abc" for retention.ms: must be a long >= -1`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	d, _ = LookupTopic("min.insync.replicas")
	if err := d.Validate("0"); err == nil || err.Error() != `invalid value "0" for min.insync.replicas: must be an int >= 1` {
		t.Fatalf("got %v", err)
	}
	d, _ = LookupTopic("compression.type")
	if err := d.Validate("brotli"); err == nil || !strings.Contains(err.Error(), "[uncompressed, zstd, lz4, snappy, gzip, producer]") {
		t.Fatalf("got %v", err)
	}
}

// TestDefaultsNormalize checks every default in both tables is a value its
// own validator accepts and already in normalized form, and that every def
// has a doc line and a known type.
func TestDefaultsNormalize(t *testing.T) {
	all := append(TopicDefs(), BrokerDefs()...)
	for _, d := range all {
		if d.Doc == "" || strings.Contains(d.Doc, "\n") {
			t.Errorf("%s: doc must be one line, got %q", d.Name, d.Doc)
		}
		if d.Type == Unknown || d.Validate == nil {
			t.Errorf("%s: type %v, validator %v", d.Name, d.Type, d.Validate != nil)
		}
		if d.NullDefault {
			if d.Default != "" || d.DefaultValue() != nil {
				t.Errorf("%s: null default has Default %q", d.Name, d.Default)
			}
			continue
		}
		n, err := d.Normalize(d.Default)
		if err != nil || n != d.Default {
			t.Errorf("%s: default %q normalizes to %q, %v", d.Name, d.Default, n, err)
		}
		// Numeric and boolean configs reject garbage, naming it.
		switch d.Type {
		case Int, Long, Short, Double, Boolean:
			checkValidator(t, d, validatorCase{name: d.Name, bad: []string{"abc", ""}})
		}
	}
}

// TestTopicTableFacts pins the Kafka facts of the topic table: the defaults
// Kafka 3.9 DescribeConfigs reports, types and broker names.
func TestTopicTableFacts(t *testing.T) {
	want := map[string]struct {
		def, broker string
		typ         Type
	}{
		"cleanup.policy":                          {"delete", "log.cleanup.policy", List},
		"compression.gzip.level":                  {"-1", "compression.gzip.level", Int},
		"compression.lz4.level":                   {"9", "compression.lz4.level", Int},
		"compression.type":                        {"producer", "compression.type", String},
		"compression.zstd.level":                  {"3", "compression.zstd.level", Int},
		"delete.retention.ms":                     {"86400000", "log.cleaner.delete.retention.ms", Long},
		"file.delete.delay.ms":                    {"60000", "log.segment.delete.delay.ms", Long},
		"flush.messages":                          {"9223372036854775807", "log.flush.interval.messages", Long},
		"flush.ms":                                {"9223372036854775807", "log.flush.interval.ms", Long},
		"follower.replication.throttled.replicas": {"", "", List},
		"index.interval.bytes":                    {"4096", "log.index.interval.bytes", Int},
		"leader.replication.throttled.replicas":   {"", "", List},
		"local.retention.bytes":                   {"-2", "log.local.retention.bytes", Long},
		"local.retention.ms":                      {"-2", "log.local.retention.ms", Long},
		"max.compaction.lag.ms":                   {"9223372036854775807", "log.cleaner.max.compaction.lag.ms", Long},
		"max.message.bytes":                       {"1048588", "message.max.bytes", Int},
		"message.downconversion.enable":           {"true", "log.message.downconversion.enable", Boolean},
		"message.format.version":                  {"3.0-IV1", "log.message.format.version", String},
		"message.timestamp.after.max.ms":          {"9223372036854775807", "log.message.timestamp.after.max.ms", Long},
		"message.timestamp.before.max.ms":         {"9223372036854775807", "log.message.timestamp.before.max.ms", Long},
		"message.timestamp.difference.max.ms":     {"9223372036854775807", "log.message.timestamp.difference.max.ms", Long},
		"message.timestamp.type":                  {"CreateTime", "log.message.timestamp.type", String},
		"min.cleanable.dirty.ratio":               {"0.5", "log.cleaner.min.cleanable.ratio", Double},
		"min.compaction.lag.ms":                   {"0", "log.cleaner.min.compaction.lag.ms", Long},
		"min.insync.replicas":                     {"1", "min.insync.replicas", Int},
		"preallocate":                             {"false", "log.preallocate", Boolean},
		"remote.log.copy.disable":                 {"false", "", Boolean},
		"remote.log.delete.on.disable":            {"false", "", Boolean},
		"remote.storage.enable":                   {"false", "", Boolean},
		"retention.bytes":                         {"-1", "log.retention.bytes", Long},
		"retention.ms":                            {"604800000", "log.retention.ms", Long},
		"segment.bytes":                           {"1073741824", "log.segment.bytes", Int},
		"segment.index.bytes":                     {"10485760", "log.index.size.max.bytes", Int},
		"segment.jitter.ms":                       {"0", "log.roll.jitter.ms", Long},
		"segment.ms":                              {"604800000", "log.roll.ms", Long},
		"unclean.leader.election.enable":          {"false", "unclean.leader.election.enable", Boolean},
	}
	defs := TopicDefs()
	if len(defs) != len(want) {
		t.Errorf("%d topic configs, want %d", len(defs), len(want))
	}
	for i, d := range defs {
		if i > 0 && defs[i-1].Name >= d.Name {
			t.Errorf("TopicDefs not sorted at %s", d.Name)
		}
		w, ok := want[d.Name]
		if !ok {
			t.Errorf("unexpected topic config %s", d.Name)
			continue
		}
		if d.Default != w.def || d.BrokerName != w.broker || d.Type != w.typ || d.ReadOnly || d.Sensitive {
			t.Errorf("%s: default %q broker %q type %v ro %v; want %q %q %v", d.Name, d.Default, d.BrokerName, d.Type, d.ReadOnly, w.def, w.broker, w.typ)
		}
		if d.BrokerName != "" {
			if _, ok := LookupBroker(d.BrokerName); !ok {
				t.Errorf("%s: broker name %s is not a broker config", d.Name, d.BrokerName)
			}
		}
	}
	// The copy is the caller's.
	defs[0].Name = "changed"
	if TopicDefs()[0].Name == "changed" {
		t.Error("TopicDefs shares its backing array")
	}
	if _, ok := LookupTopic("no.such.config"); ok {
		t.Error("LookupTopic found an unknown name")
	}
}
