package handler_test

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// listOffsetsReq builds a one-partition ListOffsets request.
func listOffsetsReq(topic string, partition int32, ts int64, mod ...func(*kmsg.ListOffsetsRequestTopicPartition)) *kmsg.ListOffsetsRequest {
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = partition
	rp.Timestamp = ts
	for _, m := range mod {
		m(&rp)
	}
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// listOne asks for one timestamp and returns the partition's answer.
func listOne(t *testing.T, cl *kgo.Client, topic string, partition int32, ts int64, mod ...func(*kmsg.ListOffsetsRequestTopicPartition)) kmsg.ListOffsetsResponseTopicPartition {
	t.Helper()
	resp := request[*kmsg.ListOffsetsResponse](t, cl, listOffsetsReq(topic, partition, ts, mod...))
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("ListOffsets answer has %d topics, want 1 with 1 partition", len(resp.Topics))
	}
	return resp.Topics[0].Partitions[0]
}

func TestListOffsets(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "lo", 2, nil)
	cl := producer(t, b)

	// Non-monotonic timestamps, some batches holding several records (the
	// time search must look inside batches), on partition 0; partition 1
	// stays empty.
	at := func(ms int64, v string) *kgo.Record {
		return &kgo.Record{Topic: "lo", Partition: 0, Value: []byte(v), Timestamp: time.UnixMilli(ms)}
	}
	produceTo(t, cl, at(1000, "a"))
	produceTo(t, cl, at(3000, "b"), at(2000, "c"))
	produceTo(t, cl, at(5000, "d"))
	produceTo(t, cl, at(4000, "e"), at(4500, "f"))
	// offsets: 0:1000 1:3000 2:2000 3:5000 4:4000 5:4500

	for _, tc := range []struct {
		name       string
		ts         int64
		off, msTS  int64
		wantEpoch0 bool
	}{
		{"earliest", -2, 0, -1, true},
		{"latest", -1, 6, -1, true},
		{"max timestamp", -3, 3, 5000, true},
		{"earliest local", -4, 0, -1, true},
		{"latest tiered", -5, -1, -1, false},
		{"time 0", 0, 0, 1000, true},
		{"time 1000", 1000, 0, 1000, true},
		{"time 1001", 1001, 1, 3000, true},
		{"time 2500 (before a smaller one)", 2500, 1, 3000, true},
		{"time 4200", 4200, 3, 5000, true},
		{"time 4600", 4600, 3, 5000, true},
		{"time 5001 (none)", 5001, -1, -1, false},
	} {
		p := listOne(t, b.Client(t), "lo", 0, tc.ts)
		wantCode(t, tc.name, p.ErrorCode, nil)
		if p.Offset != tc.off || p.Timestamp != tc.msTS {
			t.Errorf("%s: offset %d timestamp %d, want %d %d", tc.name, p.Offset, p.Timestamp, tc.off, tc.msTS)
		}
		if wantEpoch := map[bool]int32{true: 0, false: -1}[tc.wantEpoch0]; p.LeaderEpoch != wantEpoch {
			t.Errorf("%s: leader epoch %d, want %d", tc.name, p.LeaderEpoch, wantEpoch)
		}
	}

	// read_committed latest is the last stable offset, which equals the
	// high watermark without transactions.
	req := listOffsetsReq("lo", 0, -1)
	req.IsolationLevel = 1
	if p := request[*kmsg.ListOffsetsResponse](t, b.Client(t), req).Topics[0].Partitions[0]; p.ErrorCode != 0 || p.Offset != 6 {
		t.Errorf("read_committed latest: %v offset %d, want 6", kerr.ErrorForCode(p.ErrorCode), p.Offset)
	}

	// The empty partition: earliest = latest = 0, no max timestamp.
	if p := listOne(t, b.Client(t), "lo", 1, -1); p.Offset != 0 {
		t.Errorf("empty partition latest %d, want 0", p.Offset)
	}
	if p := listOne(t, b.Client(t), "lo", 1, -3); p.Offset != -1 || p.Timestamp != -1 {
		t.Errorf("empty partition max timestamp: %d/%d, want -1/-1", p.Offset, p.Timestamp)
	}

	// kadm's view agrees.
	ends, err := adm.ListEndOffsets(testCtx(t), "lo")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("lo", 0); o.Offset != 6 {
		t.Errorf("kadm end offset %d, want 6", o.Offset)
	}
	maxes, err := adm.ListMaxTimestampOffsets(testCtx(t), "lo")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := maxes.Lookup("lo", 0); o.Offset != 3 || o.Timestamp != 5000 {
		t.Errorf("kadm max timestamp offset %d/%d, want 3/5000", o.Offset, o.Timestamp)
	}
}

func TestListOffsetsErrors(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "loe", 1, nil)
	cl := b.Client(t)

	wantCode(t, "unknown topic", listOne(t, cl, "nope", 0, -1).ErrorCode, kerr.UnknownTopicOrPartition)
	wantCode(t, "unknown partition", listOne(t, cl, "loe", 7, -1).ErrorCode, kerr.UnknownTopicOrPartition)
	wantCode(t, "undefined special timestamp", listOne(t, cl, "loe", 0, -9).ErrorCode, kerr.InvalidRequest)

	// CurrentLeaderEpoch fencing (v4+): newer than ours is UNKNOWN_LEADER_EPOCH,
	// -1 skips the check, ours passes.
	withEpoch := func(e int32) func(*kmsg.ListOffsetsRequestTopicPartition) {
		return func(p *kmsg.ListOffsetsRequestTopicPartition) { p.CurrentLeaderEpoch = e }
	}
	wantCode(t, "newer epoch", listOne(t, cl, "loe", 0, -1, withEpoch(3)).ErrorCode, kerr.UnknownLeaderEpoch)
	wantCode(t, "epoch -1", listOne(t, cl, "loe", 0, -1, withEpoch(-1)).ErrorCode, nil)
	wantCode(t, "current epoch", listOne(t, cl, "loe", 0, -1, withEpoch(0)).ErrorCode, nil)

	// The same partition twice: INVALID_REQUEST for both, other partitions fine.
	createTopic(t, adm, "loe2", 1, nil)
	req := listOffsetsReq("loe", 0, -1)
	again := kmsg.NewListOffsetsRequestTopic()
	again.Topic = "loe"
	p := kmsg.NewListOffsetsRequestTopicPartition()
	p.Timestamp = -2
	again.Partitions = append(again.Partitions, p)
	other := kmsg.NewListOffsetsRequestTopic()
	other.Topic = "loe2"
	other.Partitions = append(other.Partitions, p)
	req.Topics = append(req.Topics, again, other)
	resp := request[*kmsg.ListOffsetsResponse](t, cl, req)
	if len(resp.Topics) != 3 {
		t.Fatalf("%d topics in the answer, want 3", len(resp.Topics))
	}
	wantCode(t, "duplicate (first)", resp.Topics[0].Partitions[0].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "duplicate (second)", resp.Topics[1].Partitions[0].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "other topic", resp.Topics[2].Partitions[0].ErrorCode, nil)
}

// TestListOffsetsV0 checks the old offsets-list form (MaxNumOffsets).
func TestListOffsetsV0(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "lo0", 1, nil)
	produceTo(t, producer(t, b), &kgo.Record{Topic: "lo0", Value: []byte("x")}, &kgo.Record{Topic: "lo0", Value: []byte("y")})

	cl := clientAt(t, b, 2, 0)
	req := listOffsetsReq("lo0", 0, -1, func(p *kmsg.ListOffsetsRequestTopicPartition) { p.MaxNumOffsets = 1 })
	resp := request[*kmsg.ListOffsetsResponse](t, cl, req)
	if resp.Version != 0 {
		t.Fatalf("answered at v%d, want v0", resp.Version)
	}
	if got := resp.Topics[0].Partitions[0].OldStyleOffsets; len(got) != 1 || got[0] != 2 {
		t.Errorf("v0 latest offsets %v, want [2]", got)
	}
	req = listOffsetsReq("lo0", 0, -2, func(p *kmsg.ListOffsetsRequestTopicPartition) { p.MaxNumOffsets = 0 })
	if got := request[*kmsg.ListOffsetsResponse](t, cl, req).Topics[0].Partitions[0].OldStyleOffsets; len(got) != 0 {
		t.Errorf("v0 with MaxNumOffsets 0: %v, want none", got)
	}
}

func TestOffsetForLeaderEpoch(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "ofle", 1, nil)
	cl := producer(t, b)
	produceTo(t, cl, &kgo.Record{Topic: "ofle", Value: []byte("a")}, &kgo.Record{Topic: "ofle", Value: []byte("b")})
	produceTo(t, cl, &kgo.Record{Topic: "ofle", Value: []byte("c")})

	ask := func(replicaID int32, partition, epoch, current int32) kmsg.OffsetForLeaderEpochResponseTopicPartition {
		t.Helper()
		req := kmsg.NewPtrOffsetForLeaderEpochRequest()
		req.ReplicaID = replicaID
		rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
		rt.Topic = "ofle"
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition, rp.LeaderEpoch, rp.CurrentLeaderEpoch = partition, epoch, current
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := request[*kmsg.OffsetForLeaderEpochResponse](t, b.Client(t), req)
		return resp.Topics[0].Partitions[0]
	}
	for _, tc := range []struct {
		name               string
		replicaID          int32
		partition          int32
		epoch, current     int32
		code               *kerr.Error
		wantEpoch, wantEnd int64
	}{
		// The latest epoch ends at the log end offset, for consumers too.
		{"consumer -1, latest epoch", -1, 0, 0, -1, nil, 0, 3},
		{"consumer -2, latest epoch", -2, 0, 0, 0, nil, 0, 3},
		{"follower id, latest epoch", 7, 0, 0, -1, nil, 0, 3},
		{"epoch above every known", -1, 0, 4, -1, nil, -1, -1},
		{"undefined epoch", -1, 0, -1, -1, nil, -1, -1},
		{"newer current epoch", -1, 0, 0, 2, kerr.UnknownLeaderEpoch, -1, -1},
		{"unknown partition", -1, 5, 0, -1, kerr.UnknownTopicOrPartition, -1, -1},
	} {
		p := ask(tc.replicaID, tc.partition, tc.epoch, tc.current)
		wantCode(t, tc.name, p.ErrorCode, tc.code)
		if int64(p.LeaderEpoch) != tc.wantEpoch || p.EndOffset != tc.wantEnd {
			t.Errorf("%s: epoch %d end %d, want %d %d", tc.name, p.LeaderEpoch, p.EndOffset, tc.wantEpoch, tc.wantEnd)
		}
	}
}
