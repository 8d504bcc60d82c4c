package itest

import (
	"bytes"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

func fetchReq(version int16, sessionID, epoch int32, parts map[int32]int64, partMax int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.Version = version
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = 50 << 20
	req.SessionID = sessionID
	req.SessionEpoch = epoch
	if len(parts) > 0 {
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = "f"
		for p := int32(0); p < 4; p++ {
			off, ok := parts[p]
			if !ok {
				continue
			}
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition = p
			rp.FetchOffset = off
			rp.PartitionMaxBytes = partMax
			rp.CurrentLeaderEpoch = -1
			rp.LastFetchedEpoch = -1
			rp.LogStartOffset = -1
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func partitionsIn(resp *kmsg.FetchResponse) map[int32]kmsg.FetchResponseTopicPartition {
	out := map[int32]kmsg.FetchResponseTopicPartition{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[p.Partition] = p
		}
	}
	return out
}

// TestFetchSizeLimitsAndProgressRule: the first partition with data returns
// one whole batch even when it exceeds the limits; later partitions respect
// them strictly and come back empty rather than partial.
func TestFetchSizeLimitsAndProgressRule(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "f", 2, nil)
	p := b.Client(t, kgo.DefaultProduceTopic("f"), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	big := bytes.Repeat([]byte("x"), 64<<10)
	for part := int32(0); part < 2; part++ {
		if err := p.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Partition: part, Value: big}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	c := dialRaw(t, b.Addr())
	resp := c.roundTrip(fetchReq(11, 0, -1, map[int32]int64{0: 0, 1: 0}, 1024)).(*kmsg.FetchResponse)
	got := partitionsIn(resp)
	if n := len(got[0].RecordBatches); n < 64<<10 {
		t.Fatalf("first partition returned %d bytes: the progress rule must return its whole 64 KiB batch", n)
	}
	if n := len(got[1].RecordBatches); n != 0 {
		t.Fatalf("second partition returned %d bytes over its 1 KiB limit", n)
	}
	if got[0].HighWatermark != 1 || got[1].HighWatermark != 1 {
		t.Fatalf("high watermarks %d, %d", got[0].HighWatermark, got[1].HighWatermark)
	}
}

// TestFetchSessions drives KIP-227 by hand: create, incremental fetches that
// list only changed partitions, forgotten partitions, and the error codes
// for a wrong epoch and an unknown session.
func TestFetchSessions(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "f", 2, nil)
	prod := b.Client(t, kgo.DefaultProduceTopic("f"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produce := func(part int32) {
		t.Helper()
		if err := prod.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Partition: part, Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	produce(0)
	produce(1)
	c := dialRaw(t, b.Addr())

	// Full request asking for a session: both partitions, a new id.
	resp := c.roundTrip(fetchReq(12, 0, 0, map[int32]int64{0: 0, 1: 0}, 1<<20)).(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 || resp.SessionID == 0 {
		t.Fatalf("session not created: error %d id %d", resp.ErrorCode, resp.SessionID)
	}
	id := resp.SessionID
	if got := partitionsIn(resp); len(got) != 2 || len(got[0].RecordBatches) == 0 || len(got[1].RecordBatches) == 0 {
		t.Fatalf("full response: %d partitions", len(got))
	}

	// Incremental, both moved to offset 1: nothing changed, nothing listed.
	resp = c.roundTrip(fetchReq(12, id, 1, map[int32]int64{0: 1, 1: 1}, 1<<20)).(*kmsg.FetchResponse)
	if got := partitionsIn(resp); resp.ErrorCode != 0 || len(got) != 0 {
		t.Fatalf("incremental with no news: error %d, %d partitions listed", resp.ErrorCode, len(got))
	}

	// New data on partition 1 only: only it is listed, though the request
	// names no partition at all (the session remembers them).
	produce(1)
	resp = c.roundTrip(fetchReq(12, id, 2, nil, 1<<20)).(*kmsg.FetchResponse)
	got := partitionsIn(resp)
	if len(got) != 1 || len(got[1].RecordBatches) == 0 || got[1].HighWatermark != 2 {
		t.Fatalf("incremental after new data on partition 1: %v", got)
	}

	// Forget partition 1; new data there is no longer reported.
	forget := fetchReq(12, id, 3, nil, 1<<20)
	ft := kmsg.NewFetchRequestForgottenTopic()
	ft.Topic = "f"
	ft.Partitions = []int32{1}
	forget.ForgottenTopics = append(forget.ForgottenTopics, ft)
	c.roundTrip(forget)
	produce(1)
	resp = c.roundTrip(fetchReq(12, id, 4, nil, 1<<20)).(*kmsg.FetchResponse)
	if got := partitionsIn(resp); len(got) != 0 {
		t.Fatalf("forgotten partition still reported: %v", got)
	}

	// Wrong epoch, unknown id.
	if resp := c.roundTrip(fetchReq(12, id, 9, nil, 1<<20)).(*kmsg.FetchResponse); resp.ErrorCode != kerr.InvalidFetchSessionEpoch.Code {
		t.Fatalf("wrong epoch: error %d", resp.ErrorCode)
	}
	if resp := c.roundTrip(fetchReq(12, id+1, 1, nil, 1<<20)).(*kmsg.FetchResponse); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("unknown session: error %d", resp.ErrorCode)
	}
	if resp := c.roundTrip(fetchReq(12, 0, 3, nil, 1<<20)).(*kmsg.FetchResponse); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("incremental without a session id: error %d", resp.ErrorCode)
	}
	// A client that lost track of the epoch resets with its old id and
	// epoch 0, as franz-go does after INVALID_FETCH_SESSION_EPOCH: that
	// closes the old session and opens a new one with a full answer.
	resp = c.roundTrip(fetchReq(12, id, 0, map[int32]int64{0: 0}, 1<<20)).(*kmsg.FetchResponse)
	if got := partitionsIn(resp); resp.ErrorCode != 0 || resp.SessionID == 0 || resp.SessionID == id || len(got[0].RecordBatches) == 0 {
		t.Fatalf("reset with the old id and epoch 0: error %d, id %d (old %d)", resp.ErrorCode, resp.SessionID, id)
	}
	old := id
	id = resp.SessionID
	if resp := c.roundTrip(fetchReq(12, old, 5, nil, 1<<20)).(*kmsg.FetchResponse); resp.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("old session still open after the reset: error %d", resp.ErrorCode)
	}
	if resp := c.roundTrip(fetchReq(12, id, 1, nil, 1<<20)).(*kmsg.FetchResponse); resp.ErrorCode != 0 {
		t.Fatalf("incremental on the new session: error %d", resp.ErrorCode)
	}
	// Closing the session answers as a full sessionless fetch.
	resp = c.roundTrip(fetchReq(12, id, -1, map[int32]int64{0: 0}, 1<<20)).(*kmsg.FetchResponse)
	if got := partitionsIn(resp); resp.ErrorCode != 0 || resp.SessionID != 0 || len(got[0].RecordBatches) == 0 {
		t.Fatalf("close: error %d id %d", resp.ErrorCode, resp.SessionID)
	}
}
