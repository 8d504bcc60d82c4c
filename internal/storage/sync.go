package storage

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Sync is group commit: it blocks until every batch appended before the call
// is durable (fsync of the active segment's data; index files are not synced,
// recovery rebuilds them) and returns the durable end offset. Callers that
// arrive while an fsync is running wait for it and, if it started too early
// to cover them, one more: one fsync covers every append made before it
// started, however many callers wait on it.
//
// After an fsync error the log is failed (the page cache state is unknown):
// Sync and every later write return the error.
func (l *Log) Sync() (int64, error) {
	l.mu.RLock()
	target, closed, failed := l.mu.leo, l.mu.closed, l.mu.failed
	l.mu.RUnlock()
	if failed != nil {
		return l.synced.Load(), failed
	}
	if closed {
		return l.synced.Load(), ErrClosed
	}
	l.syncMu.Lock()
	for {
		if done := l.synced.Load(); done >= target {
			l.syncMu.Unlock()
			return done, nil
		}
		if err := l.syncErr(); err != nil {
			l.syncMu.Unlock()
			return l.synced.Load(), err
		}
		if !l.syncMu.running {
			break
		}
		l.syncMu.cond.Wait()
	}
	l.syncMu.running = true
	l.syncMu.Unlock()

	end, err := l.syncOnce()

	l.syncMu.Lock()
	l.syncMu.running = false
	l.syncMu.cond.Broadcast()
	l.syncMu.Unlock()
	return end, err
}

func (l *Log) syncErr() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.mu.failed != nil {
		return l.mu.failed
	}
	if l.mu.closed {
		return ErrClosed
	}
	return nil
}

// syncOnce fsyncs the active segment and advances the recovery point to the
// log end offset seen before the fsync started. If that covers a batch that
// recovery would take for damage (see strictness), the checkpoint is written
// before the new end is reported synced.
func (l *Log) syncOnce() (int64, error) {
	// Let appenders that are already running finish first, so that this
	// fsync covers them too: without it, the callers woken by the previous
	// fsync start a round of one while the rest queue for the next.
	for range 8 {
		before := l.LogEndOffset()
		runtime.Gosched()
		if l.LogEndOffset() == before {
			break
		}
	}
	l.mu.RLock()
	s := l.mu.segs[len(l.mu.segs)-1]
	end, gen := l.mu.leo, l.mu.truncGen
	closed := l.mu.unsynced
	l.mu.RUnlock()
	if err := l.syncErr(); err != nil {
		return l.synced.Load(), err
	}
	// Rolled segments first: data and index files, so that everything below
	// the recovery point can be trusted without a scan.
	for _, c := range closed {
		if err := l.syncClosed(c); err != nil {
			if !l.isLive(c) {
				continue // retired meanwhile: its file may be closed already
			}
			err = ioErr("fsync", err)
			l.fail(err)
			return l.synced.Load(), err
		}
	}
	l.mu.RLock()
	dirDirty := s.dirDirty
	l.mu.RUnlock()
	if dirDirty {
		if err := l.fs.SyncDir(l.dir); err != nil {
			err = ioErr("fsync partition dir", err)
			l.fail(err)
			return l.synced.Load(), err
		}
		l.mu.Lock()
		s.dirDirty = false
		l.mu.Unlock()
	}
	f, err := s.openFile(l.fs)
	if err != nil {
		return l.synced.Load(), err
	}
	if err := f.Sync(); err != nil && l.isLive(s) {
		err = ioErr("fsync", err)
		l.fail(err)
		return l.synced.Load(), err
	}
	l.mu.Lock()
	if gen == l.mu.truncGen && end > l.mu.recoveryPoint {
		l.mu.recoveryPoint = end
	}
	if len(closed) > 0 {
		l.mu.unsynced = slices.DeleteFunc(slices.Clone(l.mu.unsynced), func(x *segment) bool { return slices.Contains(closed, x) })
	}
	l.mu.lastSync = l.now()
	l.mu.Unlock()
	// A batch that recovery would take for damage past the checkpoint's
	// recovery point is durable but not yet safe: checkpoint past it before
	// reporting it synced.
	if err := l.checkpointIrregular(); err != nil {
		return l.synced.Load(), err
	}
	l.mu.Lock()
	if gen == l.mu.truncGen && end > l.synced.Load() {
		l.synced.Store(end)
	}
	l.mu.Unlock()
	return l.synced.Load(), nil
}

// syncDir makes the partition directory's entries durable. Rolled segments
// still waiting for their fsync are synced first, so that a new segment's entry
// never becomes durable before the data of the segment it follows.
func (l *Log) syncDir() error {
	l.mu.RLock()
	closed := l.mu.unsynced
	l.mu.RUnlock()
	for _, c := range closed {
		if err := l.syncClosed(c); err != nil && l.isLive(c) {
			return ioErr("fsync", err)
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return ioErr("fsync partition dir", err)
	}
	l.mu.Lock()
	l.mu.unsynced = slices.DeleteFunc(slices.Clone(l.mu.unsynced), func(x *segment) bool { return slices.Contains(closed, x) })
	for _, s := range l.mu.segs {
		s.dirDirty = false
	}
	l.mu.Unlock()
	return nil
}

// writeFileAtomic writes name in the partition directory atomically: .tmp,
// fsync, rename, then syncDir.
func (l *Log) writeFileAtomic(name string, data []byte) error {
	path := filepath.Join(l.dir, name)
	tmp := path + ".tmp"
	f, err := vfs.Create(l.fs, tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.fs.Rename(tmp, path)
	}
	if err != nil {
		return err
	}
	return l.syncDir()
}

// syncClosed fsyncs a rolled segment's .log, .index and .timeindex.
func (l *Log) syncClosed(s *segment) error {
	f, err := s.openFile(l.fs)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	for _, p := range []string{s.idxPath(), s.tidxPath()} {
		f, err := l.fs.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// isLive reports whether s is still one of the log's segments.
func (l *Log) isLive(s *segment) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return !l.mu.closed && slices.Contains(l.mu.segs, s)
}

// SyncedOffset is the durable end offset: every batch below it survives a
// crash.
func (l *Log) SyncedOffset() int64 { return l.synced.Load() }

// maybeFlush syncs if flush.ms has passed since the last sync and there is
// unsynced data (called by the Dir's background loop).
func (l *Log) maybeFlush() {
	cfg := l.cfg.Load()
	l.mu.RLock()
	due := l.mu.leo > l.synced.Load() && !l.mu.closed && l.now().Sub(l.mu.lastSync).Milliseconds() >= cfg.FlushMs
	l.mu.RUnlock()
	if due {
		if _, err := l.Sync(); err != nil {
			l.logger.Warn("flush.ms sync failed", "err", err)
		}
	}
}
