package storage

import (
	"fmt"
	"os"
	"slices"
	"sort"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// TruncateTo drops every batch at or above offset (a follower dropping a
// divergent tail). Truncation is at batch boundaries: a batch that straddles
// offset is dropped whole, so LogEndOffset may end up below offset. Indexes,
// the recovery point and the leader-epoch cache are fixed; the change is
// durable when TruncateTo returns. offset >= LogEndOffset is a no-op; offset
// below the first segment empties the log and restarts it at offset.
func (l *Log) TruncateTo(offset int64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkWritable(); err != nil {
		return err
	}
	l.mu.RLock()
	segs, leo, logStart := l.mu.segs, l.mu.leo, l.mu.logStart
	l.mu.RUnlock()
	if offset >= leo {
		return nil
	}
	if offset < 0 {
		return fmt.Errorf("%w: truncate to %d", ErrOffsetOutOfRange, offset)
	}
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	l.logger.Info("truncating log", "to", offset, "log-end-offset", leo)
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
	if i < 0 || offset < logStart {
		return l.truncateFullyLocked(offset)
	}
	s := segs[i]
	if err := l.loadSegment(s); err != nil {
		return err
	}
	f, err := s.openFile(l.fs)
	if err != nil {
		return err
	}
	// Find the first batch with lastOffset >= offset.
	l.mu.RLock()
	size := s.size
	pos := int64(0)
	if offset > s.base {
		pos = s.idx.lookup(offset - s.base)
	}
	l.mu.RUnlock()
	cut := size
	sc := newScanner(f, pos, size, false)
	for {
		h, p, _, err := sc.next()
		if err == errScanEnd {
			break
		}
		if err != nil {
			return err
		}
		if h.LastOffset() >= offset {
			cut = p
			break
		}
	}
	if err := f.Truncate(cut); err != nil {
		return ioErr("truncate segment", err)
	}
	if err := f.Sync(); err != nil {
		err = ioErr("sync truncated segment", err)
		l.fail(err)
		return err
	}
	st, next, bad, err := scanIndexes(f, s.base, cut, l.cfg.Load().IndexIntervalBytes, false, 0, lenient)
	if err != nil {
		l.logger.Error("segment unreadable after truncation", "position", bad, "err", err)
		return err
	}
	dropped := segs[i+1:]
	if err := l.retireSegmentsLocked(dropped); err != nil {
		return err
	}
	l.mu.Lock()
	s.setState(st)
	s.size, s.next = cut, next
	l.mu.segs = slices.Clone(segs[:i+1])
	l.mu.leo = next
	l.mu.recoveryPoint = min(l.mu.recoveryPoint, next)
	l.synced.Store(l.mu.recoveryPoint)
	l.mu.truncGen++
	l.mu.irregularEnd = min(l.mu.irregularEnd, next)
	es := l.mu.epochs
	l.mu.epochs = truncateEpochsFromEnd(es, next)
	newEs := l.mu.epochs
	l.mu.logStart = min(l.mu.logStart, next)
	l.mu.Unlock()
	if len(newEs) != len(es) {
		if err := l.writeEpochs(newEs); err != nil {
			return err
		}
	}
	return l.checkpoint(false)
}

// truncateFullyLocked deletes every segment and restarts the log at offset
// (Kafka's truncateFullyAndStartAt).
func (l *Log) truncateFullyLocked(offset int64) error {
	l.mu.RLock()
	segs := l.mu.segs
	l.mu.RUnlock()
	s := newSegment(l.dir, offset, l.now())
	s.loaded = true
	var nf vfs.File
	inUse := slices.ContainsFunc(segs, func(o *segment) bool { return o.base == offset })
	if !inUse {
		f, err := l.createSegmentFile(s)
		if err != nil {
			return err
		}
		nf = f
	}
	if err := l.retireSegmentsLocked(segs); err != nil {
		if nf != nil {
			nf.Close()
		}
		return err
	}
	if inUse {
		f, err := l.createSegmentFile(s)
		if err != nil {
			return err
		}
		nf = f
	}
	s.file = nf
	if err := l.syncDir(); err != nil {
		return err
	}
	l.mu.Lock()
	l.mu.segs = []*segment{s}
	l.mu.leo, l.mu.logStart, l.mu.recoveryPoint = offset, offset, offset
	l.synced.Store(offset)
	l.mu.truncGen++
	l.mu.irregularEnd = 0
	l.mu.epochs = nil
	l.mu.Unlock()
	if err := l.writeEpochs(nil); err != nil {
		return err
	}
	return l.checkpoint(false)
}

// retireSegmentsLocked renames the segments' files to .deleted (durably) and
// schedules their removal after file.delete.delay.ms; open handles stay valid
// until then. It does not touch l.mu.segs.
func (l *Log) retireSegmentsLocked(segs []*segment) error {
	if len(segs) == 0 {
		return nil
	}
	var files []vfs.File
	var paths []string
	var reuse []reuseCandidate
	for _, s := range segs {
		for _, p := range []string{s.logPath(), s.idxPath(), s.tidxPath()} {
			if err := l.fs.Rename(p, p+deletedSuffix); err != nil {
				if os.IsNotExist(err) {
					continue
				}
				return ioErr("rename segment for deletion", err)
			}
			paths = append(paths, p+deletedSuffix)
		}
		f, c := l.retire(s, s.logPath()+deletedSuffix)
		if f != nil {
			files = append(files, f)
		}
		reuse = append(reuse, c)
	}
	if err := l.syncDir(); err != nil {
		return err
	}
	l.mu.Lock()
	l.mu.unsynced = slices.DeleteFunc(slices.Clone(l.mu.unsynced), func(x *segment) bool { return slices.Contains(segs, x) })
	l.mu.Unlock()
	l.del.schedule(l.delay(), files, paths, "", reuse...)
	return nil
}

// DeleteRecordsBefore advances the log start offset to offset (DeleteRecords)
// and persists it; it never moves backwards. offset above LogEndOffset is
// ErrOffsetOutOfRange. Segments wholly below the new start are deleted.
func (l *Log) DeleteRecordsBefore(offset int64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkWritable(); err != nil {
		return err
	}
	l.mu.RLock()
	logStart, leo := l.mu.logStart, l.mu.leo
	l.mu.RUnlock()
	if offset > leo || offset < 0 {
		return fmt.Errorf("%w: delete records before %d, log has [%d, %d)", ErrOffsetOutOfRange, offset, logStart, leo)
	}
	if offset <= logStart {
		return nil
	}
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	return l.advanceLogStartLocked(offset, "delete-records")
}

// advanceLogStartLocked moves the log start to offset, persists it, trims the
// epoch cache and deletes segments wholly below it. appendMu held.
func (l *Log) advanceLogStartLocked(offset int64, reason string) error {
	l.mu.Lock()
	if offset <= l.mu.logStart {
		l.mu.Unlock()
		return nil
	}
	l.mu.logStart = offset
	es := l.mu.epochs
	l.mu.epochs = truncateEpochsFromStart(es, offset)
	newEs := l.mu.epochs
	segs := l.mu.segs
	l.mu.Unlock()
	l.logger.Info("log start offset advanced", "offset", offset, "reason", reason)
	if err := l.checkpoint(false); err != nil {
		return err
	}
	if !slices.Equal(es, newEs) {
		if err := l.writeEpochs(newEs); err != nil {
			return err
		}
	}
	n := 0
	for n+1 < len(segs) && segs[n+1].base <= offset {
		n++
	}
	return l.dropOldestLocked(n)
}

// dropOldestLocked removes the n oldest segments (never the active one).
// The log start offset must already be at or past segs[n].base's data.
func (l *Log) dropOldestLocked(n int) error {
	l.mu.RLock()
	segs := l.mu.segs
	l.mu.RUnlock()
	n = min(n, len(segs)-1)
	if n <= 0 {
		return nil
	}
	l.mu.Lock()
	l.mu.segs = slices.Clone(segs[n:])
	l.mu.Unlock()
	return l.retireSegmentsLocked(segs[:n])
}
