package cluster

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"
)

// applyAll applies cmds as one raft batch starting at index 1 on a new FSM
// and returns the FSM and the results.
func applyAll(t *testing.T, f *fsm, start uint64, cmds ...Command) []Result {
	t.Helper()
	logs := make([]*raft.Log, len(cmds))
	for i, c := range cmds {
		data, err := encodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = &raft.Log{Index: start + uint64(i), Type: raft.LogCommand, Data: data}
	}
	out := make([]Result, len(cmds))
	for i, r := range f.ApplyBatch(logs) {
		out[i] = r.(Result)
	}
	return out
}

func id16(b byte) [16]byte { return [16]byte{15: b} }

// threeBrokers returns an FSM with brokers 1-3 registered, at index 3.
func threeBrokers(t *testing.T) *fsm {
	f := newFSM(testLogger(t))
	for i, r := range applyAll(t, f, 1,
		RegisterBroker{ID: 1, Host: "h1", Port: 9092, Incarnation: uuid.UUID{1}},
		RegisterBroker{ID: 2, Host: "h2", Port: 9092, Incarnation: uuid.UUID{2}},
		RegisterBroker{ID: 3, Host: "h3", Port: 9092, Incarnation: uuid.UUID{3}},
	) {
		if r.Err != nil {
			t.Fatalf("register %d: %v", i+1, r.Err)
		}
	}
	return f
}

func TestValidationErrors(t *testing.T) {
	setup := []Command{
		CreateTopic{Name: "a.b", ID: id16(1), Partitions: 2, ReplicationFactor: 2},
		FenceBroker{ID: 3, Epoch: -1, Fenced: true},
	}
	tests := []struct {
		name string
		cmd  Command
		want error
	}{
		{"topic exists", CreateTopic{Name: "a.b", ID: id16(9), Partitions: 1, ReplicationFactor: 1}, ErrTopicExists},
		{"topic id reused", CreateTopic{Name: "x", ID: id16(1), Partitions: 1, ReplicationFactor: 1}, ErrTopicExists},
		{"collision . and _", CreateTopic{Name: "a_b", ID: id16(9), Partitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"empty name", CreateTopic{Name: "", ID: id16(9), Partitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"dot name", CreateTopic{Name: "..", ID: id16(9), Partitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"bad char", CreateTopic{Name: "a/b", ID: id16(9), Partitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"long name", CreateTopic{Name: string(make([]byte, 250)), ID: id16(9), Partitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"no id", CreateTopic{Name: "x", Partitions: 1, ReplicationFactor: 1}, ErrInvalidRequest},
		{"zero partitions", CreateTopic{Name: "x", ID: id16(9), Partitions: 0, ReplicationFactor: 1}, ErrInvalidPartitions},
		{"too many partitions", CreateTopic{Name: "x", ID: id16(9), Partitions: MaxPartitionsPerTopic + 1, ReplicationFactor: 1}, ErrInvalidPartitions},
		{"rf zero", CreateTopic{Name: "x", ID: id16(9), Partitions: 1, ReplicationFactor: 0}, ErrInvalidReplicationFactor},
		{"rf above unfenced", CreateTopic{Name: "x", ID: id16(9), Partitions: 1, ReplicationFactor: 3}, ErrInvalidReplicationFactor},
		{"assignment unknown broker", CreateTopic{Name: "x", ID: id16(9), Assignments: [][]int32{{1, 7}}}, ErrInvalidReplicaAssignment},
		{"assignment duplicate", CreateTopic{Name: "x", ID: id16(9), Assignments: [][]int32{{1, 1}}}, ErrInvalidReplicaAssignment},
		{"assignment uneven", CreateTopic{Name: "x", ID: id16(9), Assignments: [][]int32{{1, 2}, {1}}}, ErrInvalidReplicaAssignment},
		{"assignment count mismatch", CreateTopic{Name: "x", ID: id16(9), Partitions: 3, Assignments: [][]int32{{1}}}, ErrInvalidReplicaAssignment},
		{"assignment all fenced", CreateTopic{Name: "x", ID: id16(9), Assignments: [][]int32{{3}}}, ErrInvalidReplicaAssignment},
		{"bad config name", CreateTopic{Name: "x", ID: id16(9), Partitions: 1, ReplicationFactor: 1, Configs: map[string]string{"a b": "1"}}, ErrInvalidConfig},
		{"delete unknown", DeleteTopic{Name: "nope"}, ErrUnknownTopic},
		{"delete unknown id", DeleteTopic{ID: id16(7)}, ErrUnknownTopicID},
		{"delete id/name mismatch", DeleteTopic{Name: "other", ID: id16(1)}, ErrInvalidRequest},
		{"partitions not increasing", CreatePartitions{Topic: "a.b", Count: 2}, ErrInvalidPartitions},
		{"partitions unknown topic", CreatePartitions{Topic: "nope", Count: 3}, ErrUnknownTopic},
		{"partitions bad assignment rf", CreatePartitions{Topic: "a.b", Count: 3, Assignments: [][]int32{{1}}}, ErrInvalidReplicaAssignment},
		{"alter unknown topic", AlterConfigs{Resource: ResourceTopic, Name: "nope", Set: map[string]*string{"a": strp("1")}}, ErrUnknownTopic},
		{"alter bad broker name", AlterConfigs{Resource: ResourceBroker, Name: "01", Set: map[string]*string{"a": strp("1")}}, ErrInvalidRequest},
		{"alter unnamed group", AlterConfigs{Resource: ResourceGroup, Name: "", Set: map[string]*string{"a": strp("1")}}, ErrInvalidRequest},
		{"alter bad resource", AlterConfigs{Resource: 9, Name: "x"}, ErrInvalidRequest},
		{"alter replace with delete", AlterConfigs{Resource: ResourceTopic, Name: "a.b", Replace: true, Set: map[string]*string{"a": nil}}, ErrInvalidConfig},
		{"pid block zero", AllocateProducerIDs{Count: 0}, ErrInvalidRequest},
		{"pid block huge", AllocateProducerIDs{Count: MaxProducerIDBlock + 1}, ErrInvalidRequest},
		{"change stale epoch", ChangePartition{Topic: "a.b", Partition: 0, ISR: []int32{1}, PartitionEpoch: 5}, ErrInvalidUpdateVersion},
		{"change unknown partition", ChangePartition{Topic: "a.b", Partition: 2, ISR: []int32{1}}, ErrUnknownPartition},
		{"change leader not in isr", ChangePartition{Topic: "a.b", Partition: 0, Leader: i32p(3)}, ErrInvalidRequest},
		{"register no incarnation", RegisterBroker{ID: 4, Host: "h", Port: 1}, ErrInvalidRequest},
		{"register bad port", RegisterBroker{ID: 4, Host: "h", Port: 70000, Incarnation: uuid.New()}, ErrInvalidRequest},
		{"fence unknown", FenceBroker{ID: 9, Epoch: -1, Fenced: true}, ErrUnknownBroker},
		{"fence stale epoch", FenceBroker{ID: 1, Epoch: 99, Fenced: true}, ErrStaleBrokerEpoch},
		{"unregister unknown", UnregisterBroker{ID: 9}, ErrUnknownBroker},
		{"init empty id", InitCluster{}, ErrInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := threeBrokers(t)
			for _, r := range applyAll(t, f, 4, setup...) {
				if r.Err != nil {
					t.Fatalf("setup: %v", r.Err)
				}
			}
			before := f.Image()
			r := applyAll(t, f, 10, tc.cmd)[0]
			if !errors.Is(r.Err, tc.want) {
				t.Fatalf("got %v, want %v", r.Err, tc.want)
			}
			if f.Image() != before {
				t.Fatal("a rejected command published a new image")
			}
			if applied, _ := f.applied(); applied != 10 {
				t.Fatalf("applied index %d after a rejected entry, want 10", applied)
			}
		})
	}
}

func TestPlacementAndPartitionChanges(t *testing.T) {
	f := threeBrokers(t)
	r := applyAll(t, f, 4, CreateTopic{Name: "t", ID: id16(1), Partitions: 9, ReplicationFactor: 2})[0]
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	tp := f.Image().Topic("t")
	leaders := map[int32]int{}
	pairs := map[[2]int32]bool{}
	for _, p := range tp.Partitions {
		if len(p.Replicas) != 2 || p.Replicas[0] == p.Replicas[1] || p.Leader != p.Replicas[0] || !slices.Equal(p.ISR, p.Replicas) {
			t.Fatalf("bad partition %+v", p)
		}
		leaders[p.Leader]++
		pairs[[2]int32{p.Replicas[0], p.Replicas[1]}] = true
	}
	if leaders[1] != 3 || leaders[2] != 3 || leaders[3] != 3 {
		t.Fatalf("leaders %v: want 3 each", leaders)
	}
	if len(pairs) < 4 {
		t.Fatalf("follower placement does not shift (only %d distinct replica pairs)", len(pairs))
	}
	// Same entry, same index, another node: same placement.
	g := threeBrokers(t)
	applyAll(t, g, 4, CreateTopic{Name: "t", ID: id16(1), Partitions: 9, ReplicationFactor: 2})
	if !imagesEqual(f.Image(), g.Image()) {
		t.Fatal("placement is not deterministic")
	}

	old := f.Image()
	p0 := tp.Partitions[0]
	other := p0.Replicas[1]
	res := applyAll(t, f, 5,
		ChangePartition{Topic: "t", Partition: 0, ISR: []int32{p0.Leader}, PartitionEpoch: 0},
		ChangePartition{Topic: "t", Partition: 0, ISR: []int32{p0.Leader, other}, PartitionEpoch: 1},
		ChangePartition{Topic: "t", Partition: 0, Leader: i32p(other), PartitionEpoch: 2},
		ChangePartition{Topic: "t", Partition: 0, Leader: i32p(other), PartitionEpoch: 2}, // stale now
		CreatePartitions{Topic: "t", Count: 12},
	)
	for i, r := range res {
		if (r.Err != nil) != (i == 3) {
			t.Fatalf("change %d: %v", i, r.Err)
		}
	}
	p := f.Image().Topic("t").Partitions[0]
	if p.Leader != other || p.LeaderEpoch != 1 || p.PartitionEpoch != 3 {
		t.Fatalf("after changes %+v: want leader %d, leader epoch 1, partition epoch 3", p, other)
	}
	if len(f.Image().Topic("t").Partitions) != 12 {
		t.Fatal("CreatePartitions did not grow the topic")
	}
	// Copy-on-write: the old image and its slices are untouched.
	if op := old.Topic("t").Partitions[0]; op.Leader != p0.Leader || op.PartitionEpoch != 0 || len(op.ISR) != 2 || len(old.Topic("t").Partitions) != 9 {
		t.Fatalf("old image changed: %+v", op)
	}
	if old.Topics["t"] == f.Image().Topics["t"] {
		t.Fatal("changed topic shared between images")
	}
}

func TestCopyOnWriteSharesUnchangedTopics(t *testing.T) {
	f := threeBrokers(t)
	applyAll(t, f, 4,
		CreateTopic{Name: "a", ID: id16(1), Partitions: 2, ReplicationFactor: 1},
		CreateTopic{Name: "b", ID: id16(2), Partitions: 2, ReplicationFactor: 1})
	before := f.Image()
	applyAll(t, f, 6, AlterConfigs{Resource: ResourceTopic, Name: "a", Set: map[string]*string{"x": strp("1")}})
	after := f.Image()
	if after.Topics["b"] != before.Topics["b"] {
		t.Fatal("unchanged topic b was copied")
	}
	if &after.Topics["b"].Partitions[0] != &before.Topics["b"].Partitions[0] {
		t.Fatal("unchanged partitions were copied")
	}
	if before.Topics["a"].Configs != nil || after.Topics["a"].Configs["x"] != "1" {
		t.Fatal("config change leaked into the old image or is missing")
	}
	select {
	case <-before.Changed():
	default:
		t.Fatal("old image's Changed channel not closed")
	}
}

func TestRegisterBrokerEpochs(t *testing.T) {
	f := newFSM(testLogger(t))
	inc := uuid.New()
	rs := applyAll(t, f, 1,
		RegisterBroker{ID: 1, Host: "h", Port: 1, Incarnation: inc},
		RegisterBroker{ID: 1, Host: "h", Port: 1, Incarnation: inc}, // retry: same epoch
		FenceBroker{ID: 1, Epoch: 1, Fenced: true},
		RegisterBroker{ID: 1, Host: "h", Port: 2, Incarnation: uuid.New()}, // restart: new epoch
	)
	if rs[0].BrokerEpoch != 1 || rs[1].BrokerEpoch != 1 || rs[3].BrokerEpoch != 4 {
		t.Fatalf("epochs %d %d %d: want 1 1 4", rs[0].BrokerEpoch, rs[1].BrokerEpoch, rs[3].BrokerEpoch)
	}
	if b := f.Image().Brokers[1]; b.Fenced || b.Port != 2 || b.Epoch != 4 {
		t.Fatalf("broker after re-registration %+v", b)
	}
}

func TestCorruptEntrySkipped(t *testing.T) {
	f := newFSM(testLogger(t))
	out := f.ApplyBatch([]*raft.Log{
		{Index: 1, Type: raft.LogCommand, Data: []byte{1, 9, 0xff}},
		{Index: 2, Type: raft.LogCommand, Data: []byte{2, 1}},
		{Index: 3, Type: raft.LogCommand, Data: nil},
	})
	for i, want := range []error{ErrCorrupt, ErrUnsupportedVersion, ErrCorrupt} {
		if r := out[i].(Result); !errors.Is(r.Err, want) {
			t.Fatalf("entry %d: %v, want %v", i+1, r.Err, want)
		}
	}
	if applied, _ := f.applied(); applied != 3 {
		t.Fatalf("applied %d, want 3", applied)
	}
}

// TestBatchingDoesNotChangeImages: nodes batch entries differently; the image,
// Index included, must not depend on it.
func TestBatchingDoesNotChangeImages(t *testing.T) {
	cmds := []Command{
		InitCluster{ClusterID: "c"},
		RegisterBroker{ID: 1, Host: "h", Port: 1, Incarnation: uuid.UUID{1}},
		CreateTopic{Name: "a", ID: id16(1), Partitions: 3, ReplicationFactor: 1},
		CreateTopic{Name: "a", ID: id16(2), Partitions: 3, ReplicationFactor: 1}, // rejected
		AllocateProducerIDs{Count: 5},
		AlterConfigs{Resource: ResourceTopic, Name: "a", Set: map[string]*string{"k": strp("v")}},
		InitCluster{ClusterID: "other"},                                                           // no-op
		AlterConfigs{Resource: ResourceTopic, Name: "a", Set: map[string]*string{"k": strp("v")}}, // no-op
	}
	one := newFSM(testLogger(t))
	applyAll(t, one, 1, cmds...)
	each := newFSM(testLogger(t))
	for i, c := range cmds {
		applyAll(t, each, uint64(i+1), c)
	}
	if !imagesEqual(one.Image(), each.Image()) {
		t.Fatalf("batched:\n%s\none by one:\n%s", describe(one.Image()), describe(each.Image()))
	}
	if got := one.Image().Index; got != 6 {
		t.Fatalf("Index %d, want 6 (the last entry that changed something)", got)
	}
}
