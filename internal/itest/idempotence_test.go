package itest

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// idempotentBatch builds a batch of n records from producer pid/epoch
// starting at sequence seq.
func idempotentBatch(pid int64, epoch int16, seq int32, n int) []byte {
	var recs []byte
	for i := 0; i < n; i++ {
		r := kmsg.Record{OffsetDelta: int32(i), Value: []byte("v")}
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		recs = r.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(n - 1),
		FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: pid, ProducerEpoch: epoch, FirstSequence: seq, NumRecords: int32(n), Records: recs,
	}
	raw := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return raw
}

// TestIdempotentProducerDedupAndSequenceErrors drives the idempotence rules
// of KAFKA-NOTES 5.1 with hand-built batches, across a restart.
func TestIdempotentProducerDedupAndSequenceErrors(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "idem", 1, nil)
	c := dialRaw(t, b.Addr())
	initReq := kmsg.NewPtrInitProducerIDRequest()
	initReq.Version = 4
	initReq.TransactionTimeoutMillis = -1
	initReq.ProducerID, initReq.ProducerEpoch = -1, -1
	ip := c.roundTrip(initReq).(*kmsg.InitProducerIDResponse)
	if ip.ErrorCode != 0 || ip.ProducerID < 0 || ip.ProducerEpoch != 0 {
		t.Fatalf("InitProducerId: error %d id %d epoch %d", ip.ErrorCode, ip.ProducerID, ip.ProducerEpoch)
	}
	pid := ip.ProducerID
	ip2 := c.roundTrip(initReq).(*kmsg.InitProducerIDResponse)
	if ip2.ProducerID == pid {
		t.Fatalf("second InitProducerId reused id %d", pid)
	}

	expect := func(name string, batch []byte, code *kerr.Error, offset int64) {
		t.Helper()
		p := produceRaw(t, c, "idem", batch)
		if code == nil && p.ErrorCode != 0 || code != nil && p.ErrorCode != code.Code {
			t.Fatalf("%s: error %v, want %v", name, kerr.ErrorForCode(p.ErrorCode), code)
		}
		if code == nil && p.BaseOffset != offset {
			t.Fatalf("%s: base offset %d, want %d", name, p.BaseOffset, offset)
		}
	}
	expect("first", idempotentBatch(pid, 0, 0, 3), nil, 0)
	expect("second", idempotentBatch(pid, 0, 3, 2), nil, 3)
	expect("retry of first", idempotentBatch(pid, 0, 0, 3), nil, 0)
	expect("retry of second", idempotentBatch(pid, 0, 3, 2), nil, 3)
	expect("gap", idempotentBatch(pid, 0, 9, 1), kerr.OutOfOrderSequenceNumber, 0)
	expect("bumped epoch must start at 0", idempotentBatch(pid, 1, 5, 1), kerr.OutOfOrderSequenceNumber, 0)
	expect("bumped epoch", idempotentBatch(pid, 1, 0, 1), nil, 5)
	expect("old epoch", idempotentBatch(pid, 0, 5, 1), kerr.InvalidProducerEpoch, 0)

	// Producer state is rebuilt from the log after a restart.
	b.Restart()
	c = dialRaw(t, b.Addr())
	expect("retry after restart", idempotentBatch(pid, 1, 0, 1), nil, 5)
	expect("next after restart", idempotentBatch(pid, 1, 1, 1), nil, 6)
	expect("gap after restart", idempotentBatch(pid, 1, 7, 1), kerr.OutOfOrderSequenceNumber, 0)

	offs, err := b.Admin(t).ListEndOffsets(ctxT(t, 10*time.Second), "idem")
	if err != nil {
		t.Fatal(err)
	}
	if end := offs["idem"][0].Offset; end != 7 {
		t.Fatalf("end offset %d, want 7: duplicates were appended", end)
	}
}
