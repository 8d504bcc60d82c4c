package storage

// ApplyRetention deletes whole segments, oldest first and never the active
// one, that are past retention.ms (their largest timestamp is older) or that
// keep the log over retention.bytes, when cleanup.policy includes delete; an
// expired non-empty active segment is rolled first so it can go next. Segments
// wholly below the log start offset go under any policy. The log start offset
// moves to the first remaining segment and is persisted. It returns the number
// of segments deleted. The Dir calls it every RetentionCheckInterval.
func (l *Log) ApplyRetention() (int, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkWritable(); err != nil {
		return 0, err
	}
	cfg := l.cfg.Load()
	nowMs := l.now().UnixMilli()
	l.mu.RLock()
	segs, logStart := l.mu.segs, l.mu.logStart
	l.mu.RUnlock()

	n := 0 // segments to delete from the front
	for n+1 < len(segs) && segs[n+1].base <= logStart {
		n++
	}
	reason := "log-start-offset"
	if cfg.delete() && cfg.RetentionMs >= 0 {
		for i := n; i < len(segs); i++ {
			s := segs[i]
			if err := l.loadSegment(s); err != nil {
				return 0, err
			}
			l.mu.RLock()
			maxTs, size := s.maxTs, s.size
			l.mu.RUnlock()
			if size == 0 || nowMs-maxTs <= cfg.RetentionMs {
				break
			}
			if i == len(segs)-1 {
				// The active segment expired: roll it so it can go.
				if err := l.markDirtyLocked(); err != nil {
					return 0, err
				}
				l.mu.RLock()
				leo := l.mu.leo
				l.mu.RUnlock()
				if _, err := l.rollLocked(leo, "retention.ms"); err != nil {
					return 0, err
				}
			}
			n = i + 1
			reason = "retention.ms"
		}
	}
	l.mu.RLock()
	segs = l.mu.segs
	l.mu.RUnlock()
	if cfg.delete() && cfg.RetentionBytes >= 0 {
		var total int64
		for _, s := range segs {
			l.mu.RLock()
			total += s.size
			l.mu.RUnlock()
		}
		for _, s := range segs[:n] {
			l.mu.RLock()
			total -= s.size
			l.mu.RUnlock()
		}
		for n < len(segs)-1 {
			l.mu.RLock()
			sz := segs[n].size
			l.mu.RUnlock()
			if total-sz < cfg.RetentionBytes {
				break
			}
			total -= sz
			n++
			reason = "retention.bytes"
		}
	}
	n = min(n, len(segs)-1)
	if n <= 0 {
		return 0, nil
	}
	if err := l.markDirtyLocked(); err != nil {
		return 0, err
	}
	newStart := segs[n].base
	l.logger.Info("deleting segments", "count", n, "reason", reason, "new-log-start", max(newStart, logStart))
	if newStart > logStart {
		if err := l.advanceLogStartLocked(newStart, reason); err != nil {
			return 0, err
		}
		return n, nil
	}
	return n, l.dropOldestLocked(n)
}
