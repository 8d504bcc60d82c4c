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

// fetchOnce fetches one partition from offset with Fetch v12 (topics by
// name) and returns the partition's answer.
func fetchOnce(t *testing.T, b *testutil.Broker, topic string, partition int32, offset int64) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = 1 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := request[*kmsg.FetchResponse](t, clientAt(t, b, 1, 12), req)
	if resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch answer: top-level %v, %d topics", kerr.ErrorForCode(resp.ErrorCode), len(resp.Topics))
	}
	return resp.Topics[0].Partitions[0]
}

func deleteRecords(t *testing.T, adm *kadm.Client, topic string, partition int32, offset int64) kadm.DeleteRecordsResponse {
	t.Helper()
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: topic, Partition: partition, At: offset})
	rs, err := adm.DeleteRecords(testCtx(t), os)
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	r, ok := rs.Lookup(topic, partition)
	if !ok {
		t.Fatalf("no answer for %s-%d", topic, partition)
	}
	return r
}

func TestDeleteRecords(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "dr", 1, nil)
	cl := producer(t, b)
	for i := 0; i < 10; i++ {
		produceTo(t, cl, &kgo.Record{Topic: "dr", Value: []byte{byte(i)}})
	}

	r := deleteRecords(t, adm, "dr", 0, 4)
	if r.Err != nil || r.LowWatermark != 4 {
		t.Fatalf("delete before 4: low watermark %d, %v", r.LowWatermark, r.Err)
	}
	if p := listOne(t, b.Client(t), "dr", 0, -2); p.Offset != 4 {
		t.Errorf("earliest offset %d after delete, want 4", p.Offset)
	}
	// Below the new start is out of range; at it, data.
	wantCode(t, "fetch below log start", fetchOnce(t, b, "dr", 0, 2).ErrorCode, kerr.OffsetOutOfRange)
	p := fetchOnce(t, b, "dr", 0, 4)
	wantCode(t, "fetch at log start", p.ErrorCode, nil)
	if p.LogStartOffset != 4 || len(p.RecordBatches) == 0 {
		t.Errorf("fetch at 4: log start %d, %d bytes; want 4 and data", p.LogStartOffset, len(p.RecordBatches))
	}

	// Going backwards changes nothing; past the high watermark is refused.
	if r := deleteRecords(t, adm, "dr", 0, 2); r.Err != nil || r.LowWatermark != 4 {
		t.Errorf("delete before 2 after 4: low watermark %d, %v; want 4", r.LowWatermark, r.Err)
	}
	if r := deleteRecords(t, adm, "dr", 0, 11); !errors.Is(r.Err, kerr.OffsetOutOfRange) {
		t.Errorf("delete past the high watermark: %v, want OFFSET_OUT_OF_RANGE", r.Err)
	}

	// The log start survives a restart.
	b.Restart()
	if p := listOne(t, b.Client(t), "dr", 0, -2); p.Offset != 4 {
		t.Errorf("earliest offset %d after restart, want 4", p.Offset)
	}

	// -1 means the high watermark: everything goes.
	if r := deleteRecords(t, b.Admin(t), "dr", 0, -1); r.Err != nil || r.LowWatermark != 10 {
		t.Errorf("delete to the high watermark: low watermark %d, %v; want 10", r.LowWatermark, r.Err)
	}
	if p := listOne(t, b.Client(t), "dr", 0, -2); p.Offset != 10 {
		t.Errorf("earliest offset %d, want 10", p.Offset)
	}
}

func TestDeleteRecordsErrors(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	compact := "compact"
	createTopic(t, adm, "drc", 1, map[string]*string{"cleanup.policy": &compact})
	produceTo(t, producer(t, b), &kgo.Record{Topic: "drc", Key: []byte("k"), Value: []byte("v")})

	if r := deleteRecords(t, adm, "drc", 0, 1); !errors.Is(r.Err, kerr.PolicyViolation) {
		t.Errorf("compacted topic: %v, want POLICY_VIOLATION", r.Err)
	}

	createTopic(t, adm, "drd", 1, nil)
	req := kmsg.NewPtrDeleteRecordsRequest()
	req.TimeoutMillis = 5000
	for _, tc := range []struct {
		topic     string
		partition int32
		offset    int64
	}{{"nope", 0, 0}, {"drd", 3, 0}, {"drd", 0, -7}} {
		rt := kmsg.NewDeleteRecordsRequestTopic()
		rt.Topic = tc.topic
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = tc.partition, tc.offset
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	resp := request[*kmsg.DeleteRecordsResponse](t, b.Client(t), req)
	wantCode(t, "unknown topic", resp.Topics[0].Partitions[0].ErrorCode, kerr.UnknownTopicOrPartition)
	wantCode(t, "unknown partition", resp.Topics[1].Partitions[0].ErrorCode, kerr.UnknownTopicOrPartition)
	wantCode(t, "negative offset", resp.Topics[2].Partitions[0].ErrorCode, kerr.OffsetOutOfRange)
}
