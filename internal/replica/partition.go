package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gregor-streaming/gregor/internal/storage"
)

// Errors returned by partitions; handlers map them to Kafka codes.
var (
	// ErrNotLeader: this broker does not lead the partition (NOT_LEADER_OR_FOLLOWER).
	ErrNotLeader = errors.New("replica: not the leader")
	// ErrFencedLeaderEpoch: the request names an older leader epoch.
	ErrFencedLeaderEpoch = errors.New("replica: fenced leader epoch")
	// ErrUnknownLeaderEpoch: the request names a newer leader epoch than ours.
	ErrUnknownLeaderEpoch = errors.New("replica: unknown leader epoch")
	// ErrClosed: the partition was deleted or the broker is stopping.
	ErrClosed = errors.New("replica: partition closed")
)

// Partition is this broker's replica of one partition: its log, its leader
// state and its high watermark.
//
// Locking: appendMu serialises appends together with the idempotence check
// and producer-state update, so a batch's check and its append are atomic.
// The high watermark and leader epoch are atomics, read without locks by
// fetches. wait.mu guards the waiter lists; it is never held across I/O.
type Partition struct {
	Topic   string
	Index   int32
	TopicID [16]byte

	log *storage.Log
	mgr *Manager

	leader      atomic.Bool
	leaderEpoch atomic.Int32
	// hw is the high watermark: consumers read below it. With this broker
	// the only replica it is the log end offset, as in Kafka with an ISR of
	// one: a record is readable as soon as it is in the log (which survives
	// a crash of the process; the page cache keeps it).
	hw atomic.Int64
	// durable is the end of what an fsync covers. acks=all waits for it,
	// so an acknowledged write survives a power cut too; consumers do not
	// wait for it, which keeps fsync latency out of end-to-end latency.
	durable    atomic.Int64
	syncQueued atomic.Bool
	closed     atomic.Bool
	isrSize    atomic.Int32
	minInsync  atomic.Int32
	tsBefore   atomic.Int64 // message.timestamp.before.max.ms
	tsAfter    atomic.Int64 // message.timestamp.after.max.ms

	appendMu  sync.Mutex
	producers producers // guarded by appendMu

	wait struct {
		sync.Mutex
		acks     []ackWaiter
		watchers map[chan<- struct{}]struct{}
	}
}

type ackWaiter struct {
	offset int64 // wait until durable > offset
	done   chan error
}

// Log is the partition's log, for reads and admin operations.
func (p *Partition) Log() *storage.Log { return p.log }

// IsLeader reports whether this broker leads the partition.
func (p *Partition) IsLeader() bool { return p.leader.Load() }

// LeaderEpoch is the current leader epoch.
func (p *Partition) LeaderEpoch() int32 { return p.leaderEpoch.Load() }

// HighWatermark is the committed end of the log.
func (p *Partition) HighWatermark() int64 { return p.hw.Load() }

// LastStableOffset equals the high watermark until transactions exist.
func (p *Partition) LastStableOffset() int64 { return p.hw.Load() }

// EnoughReplicas reports whether the ISR is at least min.insync.replicas,
// the condition for accepting an acks=all write (NOT_ENOUGH_REPLICAS).
func (p *Partition) EnoughReplicas() bool {
	return p.isrSize.Load() >= p.minInsync.Load()
}

// ErrInvalidTimestamp: a record's timestamp is further from the broker's
// clock than message.timestamp.before/after.max.ms allow (INVALID_TIMESTAMP).
var ErrInvalidTimestamp = errors.New("replica: invalid timestamp")

// CheckTimestamps checks a batch's first and max timestamps against the
// topic's bounds, now being the broker's clock in ms. Kafka checks every
// record; the first and the max timestamp bound a batch's records whenever
// its timestamp deltas are not negative, which every client writes.
func (p *Partition) CheckTimestamps(first, max, now int64) error {
	if before := p.tsBefore.Load(); before > 0 && now-first > before {
		return fmt.Errorf("%w: timestamp %d is %d ms behind the broker, message.timestamp.before.max.ms is %d", ErrInvalidTimestamp, first, now-first, before)
	}
	if after := p.tsAfter.Load(); after > 0 && max-now > after {
		return fmt.Errorf("%w: timestamp %d is %d ms ahead of the broker, message.timestamp.after.max.ms is %d", ErrInvalidTimestamp, max, max-now, after)
	}
	return nil
}

// CheckEpoch compares a request's current leader epoch with ours; -1 skips it.
func (p *Partition) CheckEpoch(requested int32) error {
	if requested < 0 {
		return nil
	}
	cur := p.leaderEpoch.Load()
	switch {
	case requested < cur:
		return ErrFencedLeaderEpoch
	case requested > cur:
		return ErrUnknownLeaderEpoch
	}
	return nil
}

// Batch describes a producer batch the handler already validated.
type Batch struct {
	Bytes          []byte // the whole batch; its header is rewritten in place
	ProducerID     int64
	ProducerEpoch  int16
	BaseSequence   int32
	LastDelta      int32
	MaxTimestamp   int64
	FirstTimestamp int64
}

// AppendResult is where a batch landed.
type AppendResult struct {
	BaseOffset     int64
	LastOffset     int64
	LogAppendTime  int64 // -1 unless the topic uses LogAppendTime
	LogStartOffset int64
	Duplicate      bool // an idempotent retry: nothing was appended
}

// Append appends one producer batch as leader, after the idempotence check.
func (p *Partition) Append(b Batch) (AppendResult, error) {
	if p.closed.Load() {
		return AppendResult{}, ErrClosed
	}
	if !p.leader.Load() {
		return AppendResult{}, ErrNotLeader
	}
	idempotent := b.ProducerID >= 0
	p.appendMu.Lock()
	var lastSeq int32
	if idempotent {
		lastSeq = lastSeqOf(b.BaseSequence, b.LastDelta)
		dup, err := p.producers.check(b.ProducerID, b.ProducerEpoch, b.BaseSequence, lastSeq)
		if err != nil {
			p.appendMu.Unlock()
			return AppendResult{}, err
		}
		if dup != nil {
			res := AppendResult{BaseOffset: dup.baseOffset, LastOffset: dup.lastOffset, LogAppendTime: dup.appendTime, LogStartOffset: p.log.LogStartOffset(), Duplicate: true}
			p.appendMu.Unlock()
			return res, nil
		}
	}
	info, err := p.log.Append(b.Bytes, p.leaderEpoch.Load())
	if err != nil {
		p.appendMu.Unlock()
		return AppendResult{}, err
	}
	if idempotent {
		p.producers.update(b.ProducerID, b.ProducerEpoch, seqBatch{
			firstSeq: b.BaseSequence, lastSeq: lastSeq,
			baseOffset: info.BaseOffset, lastOffset: info.LastOffset, appendTime: info.AppendTime,
		}, info.MaxTimestamp)
	}
	p.appendMu.Unlock()
	p.mgr.m.appendedBytes.Add(float64(info.Bytes))
	p.advanceHW(info.LastOffset + 1)
	p.scheduleSync()
	return AppendResult{BaseOffset: info.BaseOffset, LastOffset: info.LastOffset, LogAppendTime: info.AppendTime, LogStartOffset: p.log.LogStartOffset()}, nil
}

// scheduleSync queues the partition for the group-commit syncer unless it is
// queued already. An append that lands while a sync runs re-queues it, so the
// next sync covers it.
func (p *Partition) scheduleSync() {
	if !p.syncQueued.Swap(true) {
		select {
		case p.mgr.syncq <- p:
		case <-p.mgr.done:
			// Stopping: Close syncs every partition itself.
		}
	}
}

// sync runs on a syncer goroutine: one fsync covers every append before it.
func (p *Partition) sync() {
	p.syncQueued.Store(false)
	if p.closed.Load() {
		return
	}
	end, err := p.log.Sync()
	if err != nil {
		p.mgr.log.Error("partition sync failed", "topic", p.Topic, "partition", p.Index, "err", err)
		p.failWaiters(err)
		return
	}
	p.advanceDurable(end)
}

// advance moves v forward to end, never back; it reports whether it moved.
func advance(v *atomic.Int64, end int64) bool {
	for {
		cur := v.Load()
		if end <= cur {
			return false
		}
		if v.CompareAndSwap(cur, end) {
			return true
		}
	}
}

// advanceHW moves the high watermark and wakes parked fetches.
func (p *Partition) advanceHW(end int64) {
	if !advance(&p.hw, end) {
		return
	}
	p.wait.Lock()
	for ch := range p.wait.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.wait.Unlock()
}

// advanceDurable moves the durable end and answers the acks=all waiters it
// now covers.
func (p *Partition) advanceDurable(end int64) {
	if !advance(&p.durable, end) {
		return
	}
	p.wait.Lock()
	kept := p.wait.acks[:0]
	var done []ackWaiter
	for _, w := range p.wait.acks {
		if w.offset < end {
			done = append(done, w)
		} else {
			kept = append(kept, w)
		}
	}
	p.wait.acks = kept
	p.wait.Unlock()
	for _, w := range done {
		w.done <- nil
	}
}

func (p *Partition) failWaiters(err error) {
	p.wait.Lock()
	acks := p.wait.acks
	p.wait.acks = nil
	p.wait.Unlock()
	for _, w := range acks {
		w.done <- err
	}
}

// WaitCommitted blocks until every offset <= lastOffset is committed in the
// acks=all sense, ctx ends, or the partition fails or closes. With this
// broker the only replica, committed means covered by an fsync.
func (p *Partition) WaitCommitted(ctx context.Context, lastOffset int64) error {
	if p.durable.Load() > lastOffset {
		return nil
	}
	w := ackWaiter{offset: lastOffset, done: make(chan error, 1)}
	p.wait.Lock()
	if p.durable.Load() > lastOffset {
		p.wait.Unlock()
		return nil
	}
	if p.closed.Load() {
		p.wait.Unlock()
		return ErrClosed
	}
	p.wait.acks = append(p.wait.acks, w)
	p.wait.Unlock()
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Watch registers ch to receive a non-blocking send whenever the high
// watermark moves or the partition closes; Unwatch removes it.
func (p *Partition) Watch(ch chan<- struct{}) {
	p.wait.Lock()
	if p.wait.watchers == nil {
		p.wait.watchers = make(map[chan<- struct{}]struct{})
	}
	p.wait.watchers[ch] = struct{}{}
	p.wait.Unlock()
}

// Unwatch undoes Watch.
func (p *Partition) Unwatch(ch chan<- struct{}) {
	p.wait.Lock()
	delete(p.wait.watchers, ch)
	p.wait.Unlock()
}

// becomeLeader takes leadership at epoch: the epoch cache records where the
// epoch starts, and producer state is rebuilt from the log so idempotence
// holds across restarts and leader changes.
func (p *Partition) becomeLeader(epoch int32) error {
	p.appendMu.Lock()
	defer p.appendMu.Unlock()
	if p.leader.Load() && p.leaderEpoch.Load() == epoch {
		return nil
	}
	// An empty log needs no entry: its first append records the epoch, and
	// OffsetForLeaderEpoch answers the current epoch from the log end. This
	// spares every idle partition a checkpoint write at each start-up.
	if epoch > p.log.LatestEpoch() && p.log.LogEndOffset() > p.log.LogStartOffset() {
		if err := p.log.AssignEpoch(epoch, p.log.LogEndOffset()); err != nil {
			return fmt.Errorf("replica: %s-%d: assign epoch %d: %w", p.Topic, p.Index, epoch, err)
		}
	}
	if p.producers == nil {
		ps, err := rebuildProducers(p.log)
		if err != nil {
			return fmt.Errorf("replica: %s-%d: rebuild producer state: %w", p.Topic, p.Index, err)
		}
		p.producers = ps
	}
	p.leaderEpoch.Store(epoch)
	p.leader.Store(true)
	return nil
}

// rebuildProducers replays batch headers from the log start.
func rebuildProducers(l *storage.Log) (producers, error) {
	ps := make(producers)
	err := l.ScanBatches(l.LogStartOffset(), func(h storage.BatchHeader, _ int64) bool {
		if h.ProducerID < 0 || h.Attributes&0x20 != 0 {
			return true
		}
		appendTime := int64(-1)
		if h.Attributes&0x08 != 0 {
			appendTime = h.MaxTimestamp
		}
		ps.update(h.ProducerID, h.ProducerEpoch, seqBatch{
			firstSeq:   h.BaseSequence,
			lastSeq:    lastSeqOf(h.BaseSequence, h.LastOffsetDelta),
			baseOffset: h.BaseOffset,
			lastOffset: h.BaseOffset + int64(h.LastOffsetDelta),
			appendTime: appendTime,
		}, h.MaxTimestamp)
		return true
	})
	return ps, err
}

// close stops the partition: waiters fail with ErrClosed and watchers wake.
func (p *Partition) close() {
	p.closed.Store(true)
	p.leader.Store(false)
	p.failWaiters(ErrClosed)
	p.wait.Lock()
	for ch := range p.wait.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	p.wait.Unlock()
}
