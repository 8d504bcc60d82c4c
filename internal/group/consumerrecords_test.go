package group

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sp(s string) *string { return &s }

var (
	tid1 = [16]byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}
	tid2 = [16]byte{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00}
)

// consumerValue is what every KIP-848 value type implements.
type consumerValue interface {
	AppendTo([]byte) []byte
	ReadFrom([]byte) error
}

// sampleConsumerValues has one value of each type with every field set,
// including the tagged ones Gregor does not write itself.
func sampleConsumerValues() map[string]consumerValue {
	return map[string]consumerValue{
		"metadata":         &cgMetadataValue{Epoch: 42, MetadataHash: -7, CreationTimeMs: 1700000000000},
		"metadata-default": func() *cgMetadataValue { v := newCGMetadataValue(); v.Epoch = 1; return &v }(),
		"partitions": &cgPartitionMetadataValue{Topics: []cgTopicMetadata{
			{TopicID: tid1, TopicName: "orders", NumPartitions: 3, Partitions: []cgPartitionRacks{{Partition: 0, Racks: []string{"a", "b"}}}},
			{TopicID: tid2, TopicName: "users", NumPartitions: 1, Partitions: []cgPartitionRacks{}},
		}},
		"member": &cgMemberMetadataValue{
			InstanceID: sp("inst-1"), RackID: sp("rack-a"), ClientID: "client", ClientHost: "/127.0.0.1",
			SubscribedTopicNames: []string{"orders", "users"}, SubscribedTopicRegex: sp("ord.*"),
			RebalanceTimeoutMs: 60000, ServerAssignor: sp("uniform"),
			Classic: &cgClassicMemberMetadata{SessionTimeoutMs: 45000, SupportedProtocols: []cgClassicProtocol{{Name: "range", Metadata: []byte{1, 2, 3}}}},
		},
		"member-minimal": &cgMemberMetadataValue{SubscribedTopicNames: []string{}, RebalanceTimeoutMs: -1},
		"target-meta":    &cgTargetAssignmentMetadataValue{AssignmentEpoch: 9, AssignmentTimestamp: 123},
		"target-member": &cgTargetAssignmentMemberValue{Topics: []cgTopicPartitions{
			{TopicID: tid1, Partitions: []int32{0, 2}}, {TopicID: tid2, Partitions: []int32{}},
		}},
		"current": &cgCurrentMemberAssignmentValue{
			MemberEpoch: 5, PreviousMemberEpoch: 4, State: memberStateUnrevokedPartitions,
			Assigned:          []cgTopicPartitions{{TopicID: tid1, Partitions: []int32{1}, AssignmentEpochs: []int32{5}}},
			PendingRevocation: []cgTopicPartitions{{TopicID: tid2, Partitions: []int32{0}}},
		},
	}
}

// zero returns a new zero value of v's type.
func zero(v consumerValue) consumerValue {
	return reflect.New(reflect.TypeOf(v).Elem()).Interface().(consumerValue)
}

func TestConsumerValuesRoundTrip(t *testing.T) {
	for name, v := range sampleConsumerValues() {
		t.Run(name, func(t *testing.T) {
			b := v.AppendTo(nil)
			got := zero(v)
			if err := got.ReadFrom(b); err != nil {
				t.Fatalf("decode: %v\n% x", err, b)
			}
			if !reflect.DeepEqual(got, v) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, v)
			}
			if again := got.AppendTo(nil); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs:\n% x\n% x", again, b)
			}
			// Every truncation is an error, never a panic.
			for i := 0; i < len(b); i++ {
				if err := zero(v).ReadFrom(b[:i]); err == nil {
					t.Fatalf("truncated to %d of %d bytes: no error", i, len(b))
				}
			}
			// Trailing bytes are corruption.
			if err := zero(v).ReadFrom(append(append([]byte{}, b...), 0)); !errors.Is(err, ErrCorruptRecord) {
				t.Fatalf("trailing byte: err %v", err)
			}
			// A newer value version is reported as such.
			nv := append([]byte{}, b...)
			nv[1] = 1
			if err := zero(v).ReadFrom(nv); !errors.Is(err, errUnknownValueVersion) {
				t.Fatalf("version 1: err %v", err)
			}
		})
	}
}

// TestConsumerRecordsGolden pins the bytes of each record type, worked out
// by hand from Kafka's JSON schemas (see the top of consumerrecords.go).
func TestConsumerRecordsGolden(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"key 3", consumerKey{typ: 3, group: "g"}.appendTo(nil), h("0003 0001 67")},
		{"key 5", consumerKey{typ: 5, group: "g", member: "m1"}.appendTo(nil), h("0005 0001 67 0002 6d31")},
		{"key 8", consumerKey{typ: 8, group: "g", member: ""}.appendTo(nil), h("0008 0001 67 0000")},
		{"metadata value", (&cgMetadataValue{Epoch: 5, CreationTimeMs: -1}).AppendTo(nil), h("0000 00000005 00")},
		{"metadata value, tags", (&cgMetadataValue{Epoch: 5, MetadataHash: 1, CreationTimeMs: 2}).AppendTo(nil),
			h("0000 00000005 02 00 08 0000000000000001 01 08 0000000000000002")},
		{"partition metadata", (&cgPartitionMetadataValue{Topics: []cgTopicMetadata{{TopicID: tid1, TopicName: "t", NumPartitions: 2}}}).AppendTo(nil),
			h("0000 02 0102030405060708090a0b0c0d0e0f10 02 74 00000002 01 00 00")},
		{"member metadata", (&cgMemberMetadataValue{ClientID: "c", ClientHost: "h", SubscribedTopicNames: []string{"t"}, RebalanceTimeoutMs: 1000, ServerAssignor: sp("range")}).AppendTo(nil),
			h("0000 00 00 02 63 02 68 02 02 74 00 000003e8 06 72616e6765 00")},
		{"target metadata", (&cgTargetAssignmentMetadataValue{AssignmentEpoch: 3}).AppendTo(nil), h("0000 00000003 00")},
		{"target member", (&cgTargetAssignmentMemberValue{Topics: []cgTopicPartitions{{TopicID: tid2, Partitions: []int32{0, 7}}}}).AppendTo(nil),
			h("0000 02 ffeeddccbbaa99887766554433221100 03 00000000 00000007 00 00")},
		{"current assignment", (&cgCurrentMemberAssignmentValue{MemberEpoch: 3, PreviousMemberEpoch: 2, State: memberStateStable,
			Assigned: []cgTopicPartitions{{TopicID: tid1, Partitions: []int32{1}}}, PendingRevocation: []cgTopicPartitions{}}).AppendTo(nil),
			h("0000 00000003 00000002 00 02 0102030405060708090a0b0c0d0e0f10 02 00000001 00 01 00")},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.name, tc.got, tc.want)
		}
	}
}

func TestParseConsumerKey(t *testing.T) {
	for _, k := range []consumerKey{{typ: 3, group: "g"}, {typ: 4, group: "g"}, {typ: 5, group: "g", member: "m"},
		{typ: 6, group: "grp"}, {typ: 7, group: "g", member: "m"}, {typ: 8, group: "g", member: "mm"}} {
		b := k.appendTo(nil)
		got, err := parseConsumerKey(b)
		if err != nil || got != k {
			t.Fatalf("key %+v: got %+v %v", k, got, err)
		}
		pk, err := parseKey(b)
		if err != nil || pk.kind != keyKindConsumer || pk.consumer != k {
			t.Fatalf("parseKey %+v: got %+v %v", k, pk, err)
		}
		for i := 0; i < len(b); i++ {
			if _, err := parseConsumerKey(b[:i]); !errors.Is(err, ErrCorruptRecord) {
				t.Fatalf("key %+v truncated to %d: err %v", k, i, err)
			}
		}
	}
	if _, err := parseConsumerKey([]byte{0, 9, 0, 0}); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("type 9: err %v", err)
	}
}

// A huge array count in a few bytes is rejected without allocating it.
func TestConsumerValueHugeCount(t *testing.T) {
	b := []byte{0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}
	var v cgTargetAssignmentMemberValue
	if err := v.ReadFrom(b); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("err %v", err)
	}
}

// FuzzConsumerRecords decodes arbitrary bytes as every KIP-848 key and value
// type. Invariants: no panic; bytes that decode re-encode to a value that
// decodes to the same thing (decoding is a function of the encoding).
func FuzzConsumerRecords(f *testing.F) {
	for _, v := range sampleConsumerValues() {
		f.Add(v.AppendTo(nil))
	}
	f.Add(consumerKey{typ: 5, group: "g", member: "m"}.appendTo(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := parseConsumerKey(b); err == nil {
			if k2, err := parseConsumerKey(k.appendTo(nil)); err != nil || k2 != k {
				t.Fatalf("key %+v re-decodes as %+v %v", k, k2, err)
			}
		}
		for _, proto := range sampleConsumerValues() {
			v := zero(proto)
			if err := v.ReadFrom(b); err != nil {
				if !errors.Is(err, ErrCorruptRecord) && !errors.Is(err, errUnknownValueVersion) {
					t.Fatalf("%T: untyped error %v", v, err)
				}
				continue
			}
			v2 := zero(proto)
			if err := v2.ReadFrom(v.AppendTo(nil)); err != nil {
				t.Fatalf("%T: re-encoding does not decode: %v", v, err)
			}
			if !reflect.DeepEqual(v, v2) {
				t.Fatalf("%T: %+v re-decodes as %+v", v, v, v2)
			}
		}
	})
}

func TestFormatRecord(t *testing.T) {
	cur := cgCurrentMemberAssignmentValue{MemberEpoch: 3, PreviousMemberEpoch: 2, Assigned: []cgTopicPartitions{{TopicID: tid1, Partitions: []int32{0, 1}}}}
	for _, tc := range []struct {
		rec  record
		want string
	}{
		{offsetRecord("g", "t", 2, Offset{Offset: 7, LeaderEpoch: 1, Metadata: "m", CommitTime: 5}),
			`OffsetCommit group="g" topic="t" partition=2 -> v3 offset=7 leader_epoch=1 metadata="m" commit_ms=5`},
		{groupTombstone("g"), `GroupMetadata group="g" -> tombstone`},
		{consumerRecord(keyConsumerGroupMetadata, "g", "", (&cgMetadataValue{Epoch: 4, CreationTimeMs: -1}).AppendTo(nil)),
			`ConsumerGroupMetadata group="g" -> epoch=4`},
		{consumerRecord(keyConsumerGroupCurrentMemberAssignment, "g", "m1", cur.AppendTo(nil)),
			`ConsumerGroupCurrentMemberAssignment group="g" member="m1" -> epoch=3 previous_epoch=2 state=0 assigned=[01020304-0506-0708-090a-0b0c0d0e0f10:[0 1]] pending_revocation=[]`},
		{consumerRecord(keyConsumerGroupMemberMetadata, "g", "m1", nil), `ConsumerGroupMemberMetadata group="g" member="m1" -> tombstone`},
	} {
		got, err := FormatRecord(tc.rec.key, tc.rec.value)
		if err != nil || got != tc.want {
			t.Errorf("got %q %v\nwant %q", got, err, tc.want)
		}
	}
	bad := consumerRecord(keyConsumerGroupMetadata, "g", "", []byte{0, 0, 1})
	if _, err := FormatRecord(bad.key, bad.value); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("truncated value: err %v", err)
	}
}
