package handler

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

// fakeEpochs is a leader-epoch cache with Kafka's endOffsetFor semantics
// (KAFKA-NOTES 3.2), written independently of storage's so that epochAt is
// checked against the rule rather than against one implementation.
type fakeEpochs struct {
	entries [][2]int64 // (epoch, start offset), both increasing
	leo     int64
}

func (f fakeEpochs) LatestEpoch() int32 {
	if len(f.entries) == 0 {
		return -1
	}
	return int32(f.entries[len(f.entries)-1][0])
}

func (f fakeEpochs) EndOffsetForEpoch(e int32) (int32, int64) {
	if e < 0 || len(f.entries) == 0 {
		return -1, -1
	}
	if e == f.LatestEpoch() {
		return e, f.leo
	}
	floor := int32(-1)
	for _, en := range f.entries {
		if int32(en[0]) > e {
			if floor < 0 {
				return e, en[1]
			}
			return floor, en[1]
		}
		floor = int32(en[0])
	}
	return -1, -1
}

func TestEpochAt(t *testing.T) {
	cache := fakeEpochs{entries: [][2]int64{{0, 0}, {2, 10}, {5, 10 + 7}, {6, 40}}, leo: 55}
	for _, tc := range []struct {
		offset int64
		want   int32
		ok     bool
	}{
		{0, 0, true}, {9, 0, true}, {10, 2, true}, {16, 2, true}, {17, 5, true},
		{39, 5, true}, {40, 6, true}, {54, 6, true}, {1000, 6, true},
	} {
		got, ok := epochAt(cache, tc.offset)
		if got != tc.want || ok != tc.ok {
			t.Errorf("epochAt(%d) = %d, %v; want %d, %v", tc.offset, got, ok, tc.want, tc.ok)
		}
	}

	// Trimmed from the start: the first cached epoch is 3 at offset 20;
	// offsets below it are older than the cache.
	trimmed := fakeEpochs{entries: [][2]int64{{3, 20}, {4, 30}}, leo: 35}
	if got, ok := epochAt(trimmed, 25); got != 3 || !ok {
		t.Errorf("trimmed: epochAt(25) = %d, %v; want 3, true", got, ok)
	}
	if got, ok := epochAt(trimmed, 10); ok {
		t.Errorf("trimmed: epochAt(10) = %d, true; want not ok", got)
	}
	if _, ok := epochAt(fakeEpochs{}, 0); ok {
		t.Error("empty cache: epochAt ok")
	}

	// More epochs than the walk allows: the caller's fallback is used.
	var many fakeEpochs
	for e := int64(0); e < 3*maxEpochWalk; e++ {
		many.entries = append(many.entries, [2]int64{e, e * 10})
	}
	many.leo = 3 * maxEpochWalk * 10
	if got, ok := epochAt(many, 5); ok {
		t.Errorf("long cache: epochAt(5) = %d, true; want fallback", got)
	}
	if got, ok := epochAt(many, many.leo-1); !ok || got != int32(3*maxEpochWalk-1) {
		t.Errorf("long cache: epochAt(leo-1) = %d, %v", got, ok)
	}
}

func TestValidListTimestamp(t *testing.T) {
	for _, tc := range []struct {
		version int16
		ts      int64
		want    bool
	}{
		{0, -1, true}, {0, -2, true}, {0, 0, true}, {0, 1 << 40, true},
		{6, -3, false}, {7, -3, true}, {7, -4, false}, {8, -4, true},
		{8, -5, false}, {9, -5, true}, {10, -6, false}, {10, -100, false},
	} {
		if got := validListTimestamp(tc.version, tc.ts); got != tc.want {
			t.Errorf("validListTimestamp(v%d, %d) = %v, want %v", tc.version, tc.ts, got, tc.want)
		}
	}
}

func TestDuplicateListOffsetsPartitions(t *testing.T) {
	req := kmsg.NewPtrListOffsetsRequest()
	add := func(topic string, parts ...int32) {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for _, p := range parts {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	add("a", 0, 1)
	add("b", 0)
	add("a", 1, 2) // a-1 again, in a second entry for the same topic
	dups := duplicateListOffsetsPartitions(req)
	if len(dups) != 1 || !dups[topicPartition{"a", 1}] {
		t.Fatalf("duplicates = %v, want only a-1", dups)
	}
}

func TestApplyListOp(t *testing.T) {
	for _, tc := range []struct {
		base, value string
		appendOp    bool
		want        string
	}{
		{"delete", "compact", true, "delete,compact"},
		{"delete,compact", "compact", true, "delete,compact"},
		{"", "compact", true, "compact"},
		{" delete , compact ", "delete", false, "compact"},
		{"delete,compact", "compact,delete", false, ""},
		{"a,b,c", "b", false, "a,c"},
		{"a", "b, c,,", true, "a,b,c"},
	} {
		if got := applyListOp(tc.base, tc.value, tc.appendOp); got != tc.want {
			t.Errorf("applyListOp(%q, %q, append=%v) = %q, want %q", tc.base, tc.value, tc.appendOp, got, tc.want)
		}
	}
}

func strp(s string) *string { return &s }

func incOp(name string, op kmsg.IncrementalAlterConfigOp, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = name, op, value
	return c
}

func TestApplyConfigOps(t *testing.T) {
	current := map[string]string{"retention.ms": "1000", "segment.bytes": "1048576"}
	next, err := applyConfigOps(cluster.ResourceTopic, current, []kmsg.IncrementalAlterConfigsRequestResourceConfig{
		incOp("retention.ms", opSet, strp("2000")),
		incOp("segment.bytes", opDelete, nil),
		incOp("cleanup.policy", opAppend, strp("compact")),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"retention.ms": "2000", "cleanup.policy": "delete,compact"}
	if len(next) != len(want) || next["retention.ms"] != "2000" || next["cleanup.policy"] != "delete,compact" {
		t.Errorf("next = %v, want %v", next, want)
	}
	if current["retention.ms"] != "1000" || current["segment.bytes"] != "1048576" {
		t.Errorf("current was modified: %v", current)
	}

	for _, tc := range []struct {
		name string
		ops  []kmsg.IncrementalAlterConfigsRequestResourceConfig
		code *kerr.Error
		msg  string
	}{
		{"duplicate", []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("retention.ms", opSet, strp("1")), incOp("retention.ms", opDelete, nil)}, kerr.InvalidRequest, "more than once"},
		{"unknown op", []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("retention.ms", 7, strp("1"))}, kerr.InvalidRequest, "unknown operation"},
		{"null set", []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("retention.ms", opSet, nil)}, kerr.InvalidRequest, "null value"},
		{"unknown name", []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("no.such.config", opSet, strp("1"))}, kerr.InvalidConfig, "no.such.config"},
		{"append non-list", []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("retention.ms", opAppend, strp("1"))}, kerr.InvalidConfig, "not LIST"},
	} {
		_, err := applyConfigOps(cluster.ResourceTopic, current, tc.ops)
		if !errors.Is(err, tc.code) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: err = %v, want %s mentioning %q", tc.name, err, tc.code.Message, tc.msg)
		}
	}
	// On a broker an unknown name is a custom config: SET and DELETE work,
	// APPEND does not (it has no type).
	next, err = applyConfigOps(cluster.ResourceBroker, nil, []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("no.such.config", opSet, strp("1"))})
	if err != nil || next["no.such.config"] != "1" {
		t.Errorf("custom broker config: %v %v", next, err)
	}
	if _, err := applyConfigOps(cluster.ResourceBroker, nil, []kmsg.IncrementalAlterConfigsRequestResourceConfig{incOp("no.such.config", opAppend, strp("1"))}); !errors.Is(err, kerr.InvalidConfig) {
		t.Errorf("append to a custom broker config: %v", err)
	}
}

func TestCheckDynamicConfigs(t *testing.T) {
	norm, err := checkDynamicConfigs(cluster.ResourceTopic, map[string]string{"retention.ms": " +0600 "}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if norm["retention.ms"] != "600" {
		t.Errorf("normalized retention.ms = %q, want 600", norm["retention.ms"])
	}
	_, err = checkDynamicConfigs(cluster.ResourceTopic, map[string]string{"retention.ms": "abc", "segment.bytes": "-5"}, nil)
	if !errors.Is(err, kerr.InvalidConfig) {
		t.Fatalf("err = %v, want INVALID_CONFIG", err)
	}
	msg := *errMessage(err)
	for _, want := range []string{`"abc"`, "retention.ms", `"-5"`, "segment.bytes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %s", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message has a newline: %q", msg)
	}
}

func TestConfigDiff(t *testing.T) {
	set := configDiff(map[string]string{"a": "1", "b": "2", "c": "3"}, map[string]string{"a": "1", "b": "20", "d": "4"})
	var got []string
	for k, v := range set {
		if v == nil {
			got = append(got, k+"=nil")
		} else {
			got = append(got, k+"="+*v)
		}
	}
	slices.Sort(got)
	if want := []string{"b=20", "c=nil", "d=4"}; !slices.Equal(got, want) {
		t.Errorf("diff = %v, want %v", got, want)
	}
}

func TestIsBrokerID(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "1": true, "2147483647": true, "2147483648": false, "01": false,
		"": false, "-1": false, "1a": false, " 1": false,
	} {
		if got := isBrokerID(s); got != want {
			t.Errorf("isBrokerID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckCreatePartitions(t *testing.T) {
	img := &cluster.Image{
		Brokers: map[int32]cluster.BrokerInfo{1: {ID: 1}, 2: {ID: 2}, 3: {ID: 3, Fenced: true}},
		Topics: map[string]*cluster.TopicImage{
			"t":    {Name: "t", Partitions: []cluster.PartitionImage{{Partition: 0, Replicas: []int32{1, 2}}, {Partition: 1, Replicas: []int32{2, 1}}}},
			"wide": {Name: "wide", Partitions: []cluster.PartitionImage{{Partition: 0, Replicas: []int32{1, 2, 3}}}},
		},
	}
	for _, tc := range []struct {
		name string
		cmd  cluster.CreatePartitions
		want error
	}{
		{"grow", cluster.CreatePartitions{Topic: "t", Count: 4}, nil},
		{"unknown", cluster.CreatePartitions{Topic: "nope", Count: 4}, cluster.ErrUnknownTopic},
		{"same", cluster.CreatePartitions{Topic: "t", Count: 2}, cluster.ErrInvalidPartitions},
		{"shrink", cluster.CreatePartitions{Topic: "t", Count: 1}, cluster.ErrInvalidPartitions},
		{"too many", cluster.CreatePartitions{Topic: "t", Count: cluster.MaxPartitionsPerTopic + 1}, cluster.ErrInvalidPartitions},
		{"rf above live", cluster.CreatePartitions{Topic: "wide", Count: 2}, cluster.ErrInvalidReplicationFactor},
		{"assignments", cluster.CreatePartitions{Topic: "t", Count: 3, Assignments: [][]int32{{2, 1}}}, nil},
		{"assignment count", cluster.CreatePartitions{Topic: "t", Count: 4, Assignments: [][]int32{{2, 1}}}, cluster.ErrInvalidReplicaAssignment},
		{"assignment rf", cluster.CreatePartitions{Topic: "t", Count: 3, Assignments: [][]int32{{2}}}, cluster.ErrInvalidReplicaAssignment},
		{"assignment dup", cluster.CreatePartitions{Topic: "t", Count: 3, Assignments: [][]int32{{2, 2}}}, cluster.ErrInvalidReplicaAssignment},
		{"assignment unknown broker", cluster.CreatePartitions{Topic: "t", Count: 3, Assignments: [][]int32{{1, 9}}}, cluster.ErrInvalidReplicaAssignment},
	} {
		err := checkCreatePartitions(img, tc.cmd)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCodeError(t *testing.T) {
	err := codeErrorf(kerr.InvalidRequest, "broker id must be an integer, but it is: %q", "x")
	if !errors.Is(err, kerr.InvalidRequest) {
		t.Fatal("codeError does not match its code")
	}
	if got := *errMessage(err); got != `broker id must be an integer, but it is: "x"` {
		t.Errorf("message = %q", got)
	}
}
