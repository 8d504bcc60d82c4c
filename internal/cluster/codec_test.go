package cluster

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// sampleCommands has one of each command type with every field set.
func sampleCommands() []Command {
	return []Command{
		InitCluster{ClusterID: "MkU3OEVBNTcwNTJENDM2Qk"},
		RegisterBroker{ID: 3, Host: "b3.local", Port: 9092, Rack: "r1", Incarnation: uuid.UUID{9, 9},
			Endpoints: []Endpoint{{Name: "PLAINTEXT", Host: "b3.local", Port: 9092}, {Name: "SSL", Host: "b3", Port: 9093, SecurityProtocol: 1}}},
		UnregisterBroker{ID: 7},
		FenceBroker{ID: 2, Epoch: 41, Fenced: true},
		CreateTopic{Name: "t", ID: id16(5), Partitions: 3, ReplicationFactor: 2, Configs: map[string]string{"b": "2", "a": "1"}},
		CreateTopic{Name: "u", ID: id16(6), Assignments: [][]int32{{1, 2}, {2, 1}, {}}},
		DeleteTopic{Name: "t", ID: id16(5)},
		CreatePartitions{Topic: "t", Count: 9, Assignments: [][]int32{{1}}},
		AlterConfigs{Resource: ResourceBroker, Name: "1", Set: map[string]*string{"x": strp(""), "y": nil}, Replace: false},
		AllocateProducerIDs{Count: 1000},
		ChangePartition{Topic: "t", Partition: 1, Leader: i32p(-1), ISR: []int32{}, PartitionEpoch: 7},
		ChangePartition{Topic: "t", Partition: 0, PartitionEpoch: -3},
	}
}

func TestCommandRoundTrip(t *testing.T) {
	for _, c := range sampleCommands() {
		b, err := encodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCommand(b)
		if err != nil {
			t.Fatalf("%T: %v", c, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip of %T:\n got %#v\nwant %#v", c, got, c)
		}
		// Pointers encode like values.
		pb, err := encodeCommand(reflect.New(reflect.TypeOf(c)).Interface().(Command))
		if err != nil || pb[1] != b[1] {
			t.Fatalf("%T pointer encodes as type %d (err %v)", c, pb[1], err)
		}
		// Every strict prefix is corrupt, never a panic or a silent success.
		for i := range len(b) {
			if _, err := decodeCommand(b[:i]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%T prefix %d/%d: %v, want ErrCorrupt", c, i, len(b), err)
			}
		}
		if _, err := decodeCommand(append(bytes.Clone(b), 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%T with a trailing byte: %v, want ErrCorrupt", c, err)
		}
	}
	if _, err := encodeCommand((*CreateTopic)(nil)); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("nil command: %v", err)
	}
}

// TestEntryFormatGolden pins the bytes of entry format version 1: a change
// here breaks every existing metadata log.
func TestEntryFormatGolden(t *testing.T) {
	b, err := encodeCommand(CreateTopic{Name: "t", ID: id16(5), Partitions: 3, ReplicationFactor: 2,
		Assignments: [][]int32{{1, -1}}, Configs: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{1, 5, // version 1, CreateTopic
		1, 't', // name
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, // id
		6, 4, // partitions 3, rf 2 (zig-zag)
		1, 3, 2, 1, // one assignment of 2 replicas: 1, -1
		1, 1, 'k', 1, 'v'} // configs
	if !bytes.Equal(b, want) {
		t.Fatalf("entry bytes\n got %v\nwant %v", b, want)
	}
}

// FuzzDecodeCommand: decoding arbitrary bytes never panics, fails only with
// ErrCorrupt or ErrUnsupportedVersion, and whatever decodes re-encodes to a
// command that decodes to the same value.
func FuzzDecodeCommand(f *testing.F) {
	for _, c := range sampleCommands() {
		b, _ := encodeCommand(c)
		f.Add(b)
	}
	f.Add([]byte{1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCommand(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		b2, err := encodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := decodeCommand(b2)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-encoding changed the command: %v\n%#v\n%#v", err, c, c2)
		}
	})
}
