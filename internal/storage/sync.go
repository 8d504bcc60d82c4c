package storage

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
// log end offset seen before the fsync started.
func (l *Log) syncOnce() (int64, error) {
	l.mu.RLock()
	s := l.mu.segs[len(l.mu.segs)-1]
	end, gen := l.mu.leo, l.mu.truncGen
	l.mu.RUnlock()
	if err := l.syncErr(); err != nil {
		return l.synced.Load(), err
	}
	f, err := s.openFile(l.fs)
	if err != nil {
		return l.synced.Load(), err
	}
	if err := f.Sync(); err != nil {
		err = ioErr("fsync", err)
		l.fail(err)
		return l.synced.Load(), err
	}
	l.mu.Lock()
	if gen == l.mu.truncGen && end > l.mu.recoveryPoint {
		l.mu.recoveryPoint = end
		l.synced.Store(end)
	}
	l.mu.lastSync = l.now()
	l.mu.Unlock()
	return l.synced.Load(), nil
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
