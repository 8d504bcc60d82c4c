package handler_test

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// topicPartitions returns a topic's id and partition count, asking the
// broker directly (kgo caches metadata for MetadataMinAge), or a zero id if
// the topic does not exist.
func topicPartitions(t *testing.T, b *testutil.Broker, topic string) (kadm.TopicID, int) {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = &topic
	req.Topics = append(req.Topics, rt)
	resp := request[*kmsg.MetadataResponse](t, b.Client(t), req)
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		return kadm.TopicID{}, 0
	}
	return resp.Topics[0].TopicID, len(resp.Topics[0].Partitions)
}

func TestDeleteAndRecreateTopic(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	first := createTopic(t, adm, "dt", 1, nil)
	produceTo(t, producer(t, b), &kgo.Record{Topic: "dt", Value: []byte("old")}, &kgo.Record{Topic: "dt", Value: []byte("old2")})

	resp, err := adm.DeleteTopic(testCtx(t), "dt")
	if err != nil || resp.Err != nil {
		t.Fatalf("delete: %v / %v", err, resp.Err)
	}
	if resp.ID != first.ID {
		t.Errorf("deleted topic id %v, want %v", resp.ID, first.ID)
	}
	if id, _ := topicPartitions(t, b, "dt"); id != (kadm.TopicID{}) {
		t.Fatalf("topic still listed after delete")
	}

	second := createTopic(t, adm, "dt", 1, nil)
	if second.ID == first.ID || second.ID == (kadm.TopicID{}) {
		t.Fatalf("recreated topic id %v, old %v: want a new non-zero id", second.ID, first.ID)
	}
	ends, err := adm.ListEndOffsets(testCtx(t), "dt")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("dt", 0); o.Offset != 0 {
		t.Errorf("recreated topic end offset %d, want 0 (a fresh log)", o.Offset)
	}

	// Errors: unknown name, and request-shape errors at v6.
	resp, _ = adm.DeleteTopic(testCtx(t), "never-existed")
	if !errors.Is(resp.Err, kerr.UnknownTopicOrPartition) {
		t.Errorf("delete unknown: %v, want UNKNOWN_TOPIC_OR_PARTITION", resp.Err)
	}
	name := "dt"
	unknownID := [16]byte{1, 2, 3}
	req := kmsg.NewPtrDeleteTopicsRequest()
	for _, tt := range []kmsg.DeleteTopicsRequestTopic{
		{TopicID: unknownID},
		{Topic: &name, TopicID: second.ID},
		{},
	} {
		req.Topics = append(req.Topics, tt)
	}
	dr := request[*kmsg.DeleteTopicsResponse](t, b.Client(t), req)
	if len(dr.Topics) != 3 {
		t.Fatalf("%d answers, want 3", len(dr.Topics))
	}
	wantCode(t, "unknown id", dr.Topics[0].ErrorCode, kerr.UnknownTopicID)
	wantCode(t, "name and id", dr.Topics[1].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "neither", dr.Topics[2].ErrorCode, kerr.InvalidRequest)

	// Duplicates are refused; the topic survives.
	req = kmsg.NewPtrDeleteTopicsRequest()
	req.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: &name}, {Topic: &name}}
	dr = request[*kmsg.DeleteTopicsResponse](t, b.Client(t), req)
	wantCode(t, "duplicate name", dr.Topics[0].ErrorCode, kerr.InvalidRequest)
	if id, _ := topicPartitions(t, b, "dt"); id != second.ID {
		t.Fatal("a duplicate-name request deleted the topic")
	}

	// By id (v6): the answer names the topic.
	req = kmsg.NewPtrDeleteTopicsRequest()
	req.Topics = []kmsg.DeleteTopicsRequestTopic{{TopicID: second.ID}}
	dr = request[*kmsg.DeleteTopicsResponse](t, b.Client(t), req)
	wantCode(t, "delete by id", dr.Topics[0].ErrorCode, nil)
	if dr.Topics[0].Topic == nil || *dr.Topics[0].Topic != "dt" {
		t.Errorf("delete by id answered topic %v, want dt", dr.Topics[0].Topic)
	}
	if id, _ := topicPartitions(t, b, "dt"); id != (kadm.TopicID{}) {
		t.Fatal("topic still listed after delete by id")
	}

	// Old versions list names only.
	createTopic(t, adm, "dt-v0", 1, nil)
	old := kmsg.NewPtrDeleteTopicsRequest()
	old.TopicNames = []string{"dt-v0"}
	dr = request[*kmsg.DeleteTopicsResponse](t, clientAt(t, b, 20, 0), old)
	if dr.Version != 0 {
		t.Fatalf("answered at v%d, want v0", dr.Version)
	}
	wantCode(t, "v0 delete", dr.Topics[0].ErrorCode, nil)
}

func TestCreatePartitions(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "cp", 1, nil)

	rs, err := adm.CreatePartitions(testCtx(t), 2, "cp")
	if err != nil {
		t.Fatal(err)
	}
	if r := rs["cp"]; r.Err != nil {
		t.Fatalf("add 2 partitions: %v", r.Err)
	}
	if _, n := topicPartitions(t, b, "cp"); n != 3 {
		t.Fatalf("%d partitions after adding 2 to 1, want 3", n)
	}
	// The new partition takes writes at once.
	if offs := produceTo(t, producer(t, b), &kgo.Record{Topic: "cp", Partition: 2, Value: []byte("x")}); offs[0] != 0 {
		t.Errorf("first record on new partition at offset %d, want 0", offs[0])
	}

	// Not an increase; validate-only changes nothing; unknown topic.
	rs, _ = adm.UpdatePartitions(testCtx(t), 3, "cp")
	if !errors.Is(rs["cp"].Err, kerr.InvalidPartitions) {
		t.Errorf("set to the current count: %v, want INVALID_PARTITIONS", rs["cp"].Err)
	}
	rs, _ = adm.UpdatePartitions(testCtx(t), 2, "cp")
	if !errors.Is(rs["cp"].Err, kerr.InvalidPartitions) {
		t.Errorf("shrink: %v, want INVALID_PARTITIONS", rs["cp"].Err)
	}
	rs, err = adm.ValidateCreatePartitions(testCtx(t), 5, "cp")
	if err != nil || rs["cp"].Err != nil {
		t.Errorf("validate add 5: %v / %v", err, rs["cp"].Err)
	}
	if _, n := topicPartitions(t, b, "cp"); n != 3 {
		t.Errorf("validate-only changed the partition count to %d", n)
	}

	// Raw requests: explicit assignments and request-shape errors.
	cp := func(topic string, count int32, assign ...[]int32) kmsg.CreatePartitionsRequestTopic {
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = topic, count
		for _, a := range assign {
			rt.Assignment = append(rt.Assignment, kmsg.CreatePartitionsRequestTopicAssignment{Replicas: a})
		}
		return rt
	}
	req := kmsg.NewPtrCreatePartitionsRequest()
	req.Topics = []kmsg.CreatePartitionsRequestTopic{
		cp("cp", 4, []int32{1}),    // ok: node 1 is this broker
		cp("nope", 2),              // unknown topic
		cp("dup", 2), cp("dup", 3), // duplicates
	}
	resp := request[*kmsg.CreatePartitionsResponse](t, b.Client(t), req)
	if len(resp.Topics) != 4 {
		t.Fatalf("%d answers, want 4", len(resp.Topics))
	}
	wantCode(t, "explicit assignment", resp.Topics[0].ErrorCode, nil)
	wantCode(t, "unknown topic", resp.Topics[1].ErrorCode, kerr.UnknownTopicOrPartition)
	wantCode(t, "duplicate 1", resp.Topics[2].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "duplicate 2", resp.Topics[3].ErrorCode, kerr.InvalidRequest)

	for _, bad := range []kmsg.CreatePartitionsRequestTopic{
		cp("cp", 5, []int32{9}),    // unregistered broker
		cp("cp", 6, []int32{1}),    // one assignment for two partitions
		cp("cp", 5, []int32{1, 1}), // replication factor differs
	} {
		req := kmsg.NewPtrCreatePartitionsRequest()
		req.Topics = append(req.Topics, bad)
		r := request[*kmsg.CreatePartitionsResponse](t, b.Client(t), req).Topics[0]
		wantCode(t, "bad assignment", r.ErrorCode, kerr.InvalidReplicaAssignment)
		if r.ErrorMessage == nil || *r.ErrorMessage == "" {
			t.Errorf("bad assignment %v has no message", bad.Assignment)
		}
	}
	if _, n := topicPartitions(t, b, "cp"); n != 4 {
		t.Errorf("%d partitions, want 4", n)
	}
}
