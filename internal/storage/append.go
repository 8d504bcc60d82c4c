package storage

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// AppendInfo describes an appended batch (or batches).
type AppendInfo struct {
	BaseOffset   int64
	LastOffset   int64
	AppendTime   int64 // ms; -1 unless the topic uses LogAppendTime
	MaxTimestamp int64
	Records      int32
	Bytes        int64
}

// validateProducerBatch checks a batch from a producer (KAFKA-NOTES 2.2).
func validateProducerBatch(b []byte, cfg *Config, trusted bool) (BatchHeader, error) {
	h, err := ParseBatchHeader(b)
	if err != nil {
		return h, err
	}
	if h.Size() > int64(len(b)) {
		return h, corruptf("batch length %d exceeds the %d bytes given", h.Size(), len(b))
	}
	if h.Size() < int64(len(b)) {
		return h, fmt.Errorf("%w: %d bytes after the batch: exactly one batch expected", ErrInvalidRecord, int64(len(b))-h.Size())
	}
	if int64(len(b)) > cfg.MaxMessageBytes {
		return h, fmt.Errorf("%w: batch of %d bytes, max.message.bytes is %d", ErrMessageTooLarge, len(b), cfg.MaxMessageBytes)
	}
	if int64(len(b)) > cfg.SegmentBytes {
		return h, fmt.Errorf("%w: batch of %d bytes, segment.bytes is %d", ErrRecordListTooLarge, len(b), cfg.SegmentBytes)
	}
	if _, err := VerifyBatch(b); err != nil {
		return h, err
	}
	switch {
	case h.BaseOffset != 0:
		return h, fmt.Errorf("%w: base offset %d, producers must send 0", ErrInvalidRecord, h.BaseOffset)
	case h.NumRecords <= 0 || h.NumRecords != h.LastOffsetDelta+1:
		return h, fmt.Errorf("%w: %d records but lastOffsetDelta %d", ErrInvalidRecord, h.NumRecords, h.LastOffsetDelta)
	case h.IsControl() && !trusted:
		return h, fmt.Errorf("%w: control batch from a client", ErrInvalidRecord)
	case h.ProducerID >= 0 && h.BaseSequence < 0 && !h.IsControl():
		return h, fmt.Errorf("%w: producer id %d with base sequence %d", ErrInvalidRecord, h.ProducerID, h.BaseSequence)
	}
	return h, nil
}

// Append appends one RecordBatch v2 from a producer.
//
// It validates the batch (ErrCorrupt class for a bad length, magic or CRC;
// ErrInvalidRecord for baseOffset != 0, a record count that does not match
// lastOffsetDelta, a control batch, or trailing bytes; ErrMessageTooLarge above
// max.message.bytes; ErrRecordListTooLarge above segment.bytes), then rewrites
// baseOffset and partitionLeaderEpoch in place in batch (and, for LogAppendTime
// topics, the attributes, maxTimestamp and CRC) and writes it. The caller keeps
// ownership of batch; the log keeps no reference after Append returns. A
// leaderEpoch newer than the latest in the epoch cache starts a new epoch at
// this batch's base offset.
//
// The batch is readable when Append returns; it is durable after a Sync that
// started after Append returned (or per flush.messages).
func (l *Log) Append(batch []byte, leaderEpoch int32) (AppendInfo, error) {
	return l.appendLeader(batch, leaderEpoch, false)
}

// AppendFromCoordinator is Append for batches the broker itself builds
// (transaction markers, coordinator records): control batches are allowed.
func (l *Log) AppendFromCoordinator(batch []byte, leaderEpoch int32) (AppendInfo, error) {
	return l.appendLeader(batch, leaderEpoch, true)
}

func (l *Log) appendLeader(batch []byte, leaderEpoch int32, trusted bool) (AppendInfo, error) {
	cfg := l.cfg.Load()
	h, err := validateProducerBatch(batch, cfg, trusted)
	if err != nil {
		return AppendInfo{}, err
	}
	l.appendMu.Lock()
	info, flush, err := l.appendLeaderLocked(batch, h, leaderEpoch, cfg)
	l.appendMu.Unlock()
	if err == nil && flush {
		_, err = l.Sync()
	}
	return info, err
}

func (l *Log) appendLeaderLocked(batch []byte, h BatchHeader, leaderEpoch int32, cfg *Config) (AppendInfo, bool, error) {
	if err := l.checkWritable(); err != nil {
		return AppendInfo{}, false, err
	}
	if err := l.markDirtyLocked(); err != nil {
		return AppendInfo{}, false, err
	}
	l.mu.RLock()
	base := l.mu.leo
	l.mu.RUnlock()
	if base > math.MaxInt64-int64(h.LastOffsetDelta)-1 {
		return AppendInfo{}, false, fmt.Errorf("%w: offset overflow", ErrInvalidRecord)
	}
	setBaseOffset(batch, base)
	setLeaderEpoch(batch, leaderEpoch)
	h.BaseOffset, h.PartitionLeaderEpoch = base, leaderEpoch
	info := AppendInfo{BaseOffset: base, LastOffset: h.LastOffset(), AppendTime: -1, Records: h.NumRecords, Bytes: int64(len(batch))}
	if cfg.LogAppendTime {
		now := l.now().UnixMilli()
		setLogAppendTime(batch, now)
		h.MaxTimestamp = now
		h.Attributes |= attrLogAppendTime
		info.AppendTime = now
	}
	info.MaxTimestamp = h.MaxTimestamp
	if leaderEpoch >= 0 && leaderEpoch > l.LatestEpoch() {
		if err := l.assignEpochLocked(leaderEpoch, base); err != nil {
			return AppendInfo{}, false, err
		}
	}
	if err := l.writeBatchLocked(batch, h, cfg); err != nil {
		return AppendInfo{}, false, err
	}
	l.unflushed += int64(h.NumRecords)
	flush := false
	if l.unflushed >= cfg.FlushMessages {
		l.unflushed = 0
		flush = true
	}
	return info, flush, nil
}

// AppendBatches appends batches whose offsets and epochs a leader assigned
// (the follower path). Every batch is checked (length, magic, CRC, offsets
// increasing); the first base offset must not be below LogEndOffset
// (ErrOffsetMismatch); a gap above it is allowed, as in Kafka, because a
// compacted leader log has gaps. The bytes are stored verbatim and the epoch
// cache is extended by any newer partitionLeaderEpoch. batches is not
// retained. Info.BaseOffset/LastOffset span all batches.
func (l *Log) AppendBatches(batches []byte) (AppendInfo, error) {
	cfg := l.cfg.Load()
	var hs []BatchHeader
	for p := batches; len(p) > 0; {
		h, err := VerifyBatch(p)
		if err != nil {
			return AppendInfo{}, err
		}
		if h.Size() > cfg.SegmentBytes {
			return AppendInfo{}, fmt.Errorf("%w: batch of %d bytes, segment.bytes is %d", ErrRecordListTooLarge, h.Size(), cfg.SegmentBytes)
		}
		if n := len(hs); n > 0 && h.BaseOffset <= hs[n-1].LastOffset() {
			return AppendInfo{}, fmt.Errorf("%w: batch at %d follows one ending at %d", ErrOffsetMismatch, h.BaseOffset, hs[n-1].LastOffset())
		}
		hs = append(hs, h)
		p = p[h.Size():]
	}
	if len(hs) == 0 {
		return AppendInfo{}, fmt.Errorf("%w: no batches", ErrInvalidRecord)
	}
	l.appendMu.Lock()
	info, flush, err := l.appendBatchesLocked(batches, hs, cfg)
	l.appendMu.Unlock()
	if err == nil && flush {
		_, err = l.Sync()
	}
	return info, err
}

func (l *Log) appendBatchesLocked(batches []byte, hs []BatchHeader, cfg *Config) (AppendInfo, bool, error) {
	if err := l.checkWritable(); err != nil {
		return AppendInfo{}, false, err
	}
	l.mu.RLock()
	leo := l.mu.leo
	l.mu.RUnlock()
	if hs[0].BaseOffset < leo {
		return AppendInfo{}, false, fmt.Errorf("%w: first batch at %d, log end offset is %d", ErrOffsetMismatch, hs[0].BaseOffset, leo)
	}
	if err := l.markDirtyLocked(); err != nil {
		return AppendInfo{}, false, err
	}
	info := AppendInfo{BaseOffset: hs[0].BaseOffset, AppendTime: -1, MaxTimestamp: -1}
	p := batches
	for _, h := range hs {
		if h.PartitionLeaderEpoch >= 0 && h.PartitionLeaderEpoch > l.LatestEpoch() {
			if err := l.assignEpochLocked(h.PartitionLeaderEpoch, h.BaseOffset); err != nil {
				return info, false, err
			}
		}
		if err := l.writeBatchLocked(p[:h.Size()], h, cfg); err != nil {
			return info, false, err
		}
		p = p[h.Size():]
		info.LastOffset = h.LastOffset()
		info.Records += h.NumRecords
		info.Bytes += h.Size()
		info.MaxTimestamp = max(info.MaxTimestamp, h.MaxTimestamp)
		l.unflushed += int64(h.NumRecords)
	}
	// A gap (compacted leader log) needs no sync of its own: the sync that
	// makes it durable checkpoints past it (writeBatchLocked, syncOnce).
	flush := false
	if l.unflushed >= cfg.FlushMessages {
		l.unflushed = 0
		flush = true
	}
	return info, flush, nil
}

// writeBatchLocked writes one batch (header already final) to the active
// segment, rolling first if needed, and publishes it. appendMu held.
func (l *Log) writeBatchLocked(b []byte, h BatchHeader, cfg *Config) error {
	s, err := l.maybeRollLocked(h, cfg)
	if err != nil {
		return err
	}
	f, err := s.openFile(l.fs)
	if err != nil {
		return err
	}
	pos := s.size // only the appender writes size
	if _, err := f.WriteAt(b, pos); err != nil {
		err = ioErr("append", err)
		l.logger.Warn("append failed", "segment", s.logPath(), "err", err)
		// Drop any partial write so the file ends at the published size.
		if terr := f.Truncate(pos); terr != nil {
			l.logger.Warn("cannot drop partial write", "segment", s.logPath(), "err", terr)
		}
		return err
	}
	l.mu.Lock()
	if h.BaseOffset != l.mu.leo || h.PartitionLeaderEpoch != epochAt(l.mu.epochs, h.LastOffset()) || l.mu.epochsUnsure {
		// Legal, but recovery would take it for damage (strictness): the
		// sync that makes it durable checkpoints past it first.
		l.mu.irregularEnd = h.LastOffset() + 1
	}
	st := s.state()
	st.add(s.base, h, pos, cfg.IndexIntervalBytes)
	s.setState(st)
	s.size = pos + int64(len(b))
	s.next = h.LastOffset() + 1
	l.mu.leo = s.next
	l.mu.Unlock()
	return nil
}

// maybeRollLocked returns the segment the batch goes to, rolling a new one
// when the batch would pass segment.bytes, segment.ms has passed since the
// segment's first batch, an index is full, or the offset no longer fits the
// 32-bit relative offset. appendMu held.
func (l *Log) maybeRollLocked(h BatchHeader, cfg *Config) (*segment, error) {
	l.mu.RLock()
	s := l.mu.segs[len(l.mu.segs)-1]
	l.mu.RUnlock()
	if err := l.loadSegment(s); err != nil {
		return nil, err
	}
	l.mu.RLock()
	size, firstTs, created := s.size, s.firstTs, s.created
	full := s.idx != nil && (&indexState{idx: s.idx, tidx: s.tidx}).indexFull(cfg.SegmentIndexBytes)
	l.mu.RUnlock()
	reason := ""
	switch {
	case h.LastOffset()-s.base > math.MaxInt32 || h.BaseOffset < s.base:
		reason = "offset range"
	case size == 0:
		return s, nil
	case size+h.Size() > cfg.SegmentBytes:
		reason = "segment.bytes"
	case full:
		reason = "segment.index.bytes"
	default:
		rollTs := created.UnixMilli()
		if firstTs >= 0 {
			rollTs = firstTs
		}
		if l.now().UnixMilli()-rollTs > cfg.SegmentMs {
			reason = "segment.ms"
		}
	}
	if reason == "" {
		return s, nil
	}
	return l.rollLocked(h.BaseOffset, reason)
}

// rollLocked closes the active segment (fsync of its data and indexes) and
// starts a new one at base. appendMu held.
func (l *Log) rollLocked(base int64, reason string) (*segment, error) {
	l.mu.RLock()
	old := l.mu.segs[len(l.mu.segs)-1]
	st := old.state()
	oldNext, oldSize := old.next, old.size
	l.mu.RUnlock()
	if base < oldNext {
		return nil, fmt.Errorf("storage: roll to %d below the log end offset %d", base, oldNext)
	}
	// The old segment's data and index files are fsynced by the next Sync
	// (one is started in the background below), not here: a roll must not
	// stall appends behind a 1 GiB fsync.
	if old.reused {
		// The file came from the pool and may run on past the segment
		// (recycle.go); the next Sync makes the new size durable with the
		// data, before the new segment's directory entry.
		f, err := old.openFile(l.fs)
		if err != nil {
			return nil, err
		}
		if err := f.Truncate(oldSize); err != nil {
			return nil, ioErr("truncate reused segment", err)
		}
		old.reused = false
	}
	if err := writeIndexFiles(l.fs, old, st, false); err != nil {
		return nil, err
	}
	s := newSegment(l.dir, base, l.now())
	s.loaded = true
	// The new file's directory entry is made durable by the next sync,
	// after the old segment's data (syncDir): were it durable first, a crash
	// could leave the new segment behind a torn old one, a gap in offsets.
	nf, err := l.createSegmentFile(s)
	if err != nil {
		return nil, err
	}
	s.file = nf
	s.dirDirty = true
	l.mu.Lock()
	segs := make([]*segment, len(l.mu.segs), len(l.mu.segs)+1)
	copy(segs, l.mu.segs)
	l.mu.segs = append(segs, s)
	l.mu.unsynced = append(slices.Clip(l.mu.unsynced), old)
	l.mu.Unlock()
	l.logger.Debug("rolled segment", "base-offset", base, "reason", reason, "old-end", oldNext)
	l.bg.Go(func() {
		if _, err := l.Sync(); err != nil && !errors.Is(err, ErrClosed) {
			l.logger.Warn("background sync after roll failed", "err", err)
		}
	})
	return s, nil
}

// Roll forces a new segment (for tests and tools).
func (l *Log) Roll() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkWritable(); err != nil {
		return err
	}
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	l.mu.RLock()
	s := l.mu.segs[len(l.mu.segs)-1]
	size, leo := s.size, l.mu.leo
	l.mu.RUnlock()
	if size == 0 {
		return nil
	}
	if err := l.loadSegment(s); err != nil {
		return err
	}
	_, err := l.rollLocked(leo, "forced")
	return err
}

var _ vfs.File
