package replica

import (
	"errors"
	"fmt"
)

// Idempotent producer state for one partition (Kafka's ProducerStateManager
// and ProducerAppendInfo, KAFKA-NOTES 5.1).
//
// For every producer id the partition remembers the producer epoch and the
// last five batches it appended (first and last sequence, offsets, append
// time). Five because clients cap in-flight requests per connection at five
// when idempotence is on: any retry of a batch still in flight is among them.

// Errors of the idempotence check; the produce handler maps them to Kafka codes.
var (
	// ErrOutOfOrderSequence: the batch does not continue the producer's
	// sequence (OUT_OF_ORDER_SEQUENCE_NUMBER).
	ErrOutOfOrderSequence = errors.New("replica: out of order sequence number")
	// ErrInvalidProducerEpoch: the batch's producer epoch is older than the
	// one the partition has seen (INVALID_PRODUCER_EPOCH).
	ErrInvalidProducerEpoch = errors.New("replica: invalid producer epoch")
)

const producerWindow = 5

type seqBatch struct {
	firstSeq, lastSeq int32
	baseOffset        int64
	lastOffset        int64
	appendTime        int64
}

type producerEntry struct {
	epoch   int16
	batches [producerWindow]seqBatch
	n       int // batches held, <= producerWindow
	next    int // ring position of the next batch
	// lastTimestamp is the max timestamp of the latest batch, for expiry.
	lastTimestamp int64
}

func (e *producerEntry) last() *seqBatch {
	if e.n == 0 {
		return nil
	}
	return &e.batches[(e.next+producerWindow-1)%producerWindow]
}

func (e *producerEntry) add(b seqBatch) {
	e.batches[e.next] = b
	e.next = (e.next + 1) % producerWindow
	if e.n < producerWindow {
		e.n++
	}
}

// producers is the per-partition table, guarded by the partition's append lock.
type producers map[int64]*producerEntry

// check validates a batch from producer id pid before it is appended. It
// returns the cached batch when this one is a duplicate of it (the caller
// answers with the original offsets and appends nothing).
func (ps producers) check(pid int64, epoch int16, firstSeq, lastSeq int32) (*seqBatch, error) {
	e := ps[pid]
	if e == nil {
		// Unknown producer (new, expired, or removed by retention): any
		// sequence is accepted, as Kafka does.
		return nil, nil
	}
	switch {
	case epoch < e.epoch:
		return nil, fmt.Errorf("%w: producer %d epoch %d < %d", ErrInvalidProducerEpoch, pid, epoch, e.epoch)
	case epoch > e.epoch:
		// A bumped epoch (KIP-360) restarts the sequence at zero.
		if firstSeq != 0 {
			return nil, fmt.Errorf("%w: producer %d new epoch %d must start at sequence 0, got %d", ErrOutOfOrderSequence, pid, epoch, firstSeq)
		}
		return nil, nil
	}
	for i := 0; i < e.n; i++ {
		b := &e.batches[i]
		if b.firstSeq == firstSeq && b.lastSeq == lastSeq {
			return b, nil
		}
	}
	if last := e.last(); last != nil && firstSeq != nextSeq(last.lastSeq) {
		return nil, fmt.Errorf("%w: producer %d epoch %d expected sequence %d, got %d", ErrOutOfOrderSequence, pid, epoch, nextSeq(last.lastSeq), firstSeq)
	}
	return nil, nil
}

// update records an appended (or replayed) batch.
func (ps producers) update(pid int64, epoch int16, b seqBatch, maxTimestamp int64) {
	e := ps[pid]
	if e == nil || epoch > e.epoch {
		e = &producerEntry{epoch: epoch}
		ps[pid] = e
	}
	e.add(b)
	e.lastTimestamp = maxTimestamp
}

// nextSeq is the sequence after s; sequences wrap from MaxInt32 to 0.
func nextSeq(s int32) int32 {
	if s == 1<<31-1 {
		return 0
	}
	return s + 1
}

// lastSeqOf is the last sequence of a batch starting at first with delta
// lastOffsetDelta, wrapping like nextSeq.
func lastSeqOf(first, lastOffsetDelta int32) int32 {
	return int32((int64(first) + int64(lastOffsetDelta)) % (1 << 31))
}

// ProducerInfo describes one producer's state on a partition, for
// DescribeProducers.
type ProducerInfo struct {
	ProducerID     int64
	ProducerEpoch  int16
	LastSequence   int32
	LastTimestamp  int64
	FirstTxnOffset int64 // -1: no open transaction
}

// Producers lists the idempotent producers the partition remembers.
func (p *Partition) Producers() []ProducerInfo {
	p.appendMu.Lock()
	defer p.appendMu.Unlock()
	out := make([]ProducerInfo, 0, len(p.producers))
	for id, e := range p.producers {
		info := ProducerInfo{ProducerID: id, ProducerEpoch: e.epoch, LastSequence: -1, LastTimestamp: e.lastTimestamp, FirstTxnOffset: -1}
		if last := e.last(); last != nil {
			info.LastSequence = last.lastSeq
		}
		out = append(out, info)
	}
	return out
}
