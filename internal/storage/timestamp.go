package storage

// readBatchAt reads the whole batch at pos of s (verified).
func (l *Log) readBatchAt(s *segment, pos, size int64) ([]byte, error) {
	f, err := s.openForRead(l.fs)
	if err != nil {
		return nil, err
	}
	sc := newScanner(f, pos, size, true)
	sc.window = 0
	_, _, b, err := sc.next()
	if err != nil {
		return nil, err
	}
	return b, nil
}

// OffsetForTimestamp returns the first record (offset order) at or above the
// log start offset whose timestamp is >= ts, with its timestamp (ListOffsets
// with a timestamp). Segments are skipped by their max timestamp, the time
// index gives where to start, and the batch found is decompressed to find the
// exact record. found is false (and offset, timestamp -1) if there is none.
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, found bool) {
	segs, logStart, _, err := l.snapshot()
	if err != nil {
		return -1, -1, false
	}
	for _, s := range segs {
		if err := l.loadSegment(s); err != nil {
			l.logger.Warn("time lookup: segment unreadable", "segment", s.logPath(), "err", err)
			return -1, -1, false
		}
		l.mu.RLock()
		maxTs, size, next := s.maxTs, s.size, s.next
		pos := int64(0)
		if e, ok := s.tidx.floorBelow(ts); ok {
			pos = s.idx.lookup(int64(e.rel))
		}
		if logStart > s.base {
			pos = max(pos, s.idx.lookup(logStart-s.base))
		}
		l.mu.RUnlock()
		if maxTs < ts || next <= logStart || size == 0 {
			continue
		}
		f, err := s.openForRead(l.fs)
		if err != nil {
			return -1, -1, false
		}
		sc := newScanner(f, pos, size, false)
		for {
			h, p, _, err := sc.next()
			if err != nil {
				if err != errScanEnd {
					l.logger.Warn("time lookup: corrupt batch", "segment", s.logPath(), "err", err)
				}
				break
			}
			if h.LastOffset() < logStart || h.MaxTimestamp < ts {
				continue
			}
			if h.LogAppendTime() {
				return max(h.BaseOffset, logStart), h.MaxTimestamp, true
			}
			b, err := l.readBatchAt(s, p, size)
			if err == nil {
				var recs []Record
				if _, recs, err = batchRecords(b); err == nil {
					for _, r := range recs {
						o := h.BaseOffset + int64(r.OffsetDelta)
						if rt := recordTimestamp(h, r); o >= logStart && rt >= ts {
							return o, rt, true
						}
					}
					continue
				}
			}
			// The records cannot be decoded: answer at batch level.
			l.logger.Warn("time lookup: cannot decode batch, answering with its base offset", "offset", h.BaseOffset, "err", err)
			return max(h.BaseOffset, logStart), h.MaxTimestamp, true
		}
	}
	return -1, -1, false
}

// MaxTimestampOffset returns the record with the largest timestamp (the
// earliest one if several share it) and that timestamp (ListOffsets -3), or
// (-1, -1) for an empty log.
func (l *Log) MaxTimestampOffset() (offset int64, timestamp int64) {
	segs, logStart, _, err := l.snapshot()
	if err != nil {
		return -1, -1
	}
	var best *segment
	bestTs, bestOff := int64(-1), int64(-1)
	for _, s := range segs {
		if err := l.loadSegment(s); err != nil {
			return -1, -1
		}
		l.mu.RLock()
		if s.size > 0 && s.next > logStart && s.maxTs > bestTs {
			best, bestTs, bestOff = s, s.maxTs, s.maxTsOff
		}
		l.mu.RUnlock()
	}
	if best == nil {
		return -1, -1
	}
	// Find the batch holding bestOff, then the first record with bestTs.
	l.mu.RLock()
	pos := best.idx.lookup(bestOff - best.base)
	size := best.size
	l.mu.RUnlock()
	f, err := best.openForRead(l.fs)
	if err != nil {
		return bestOff, bestTs
	}
	sc := newScanner(f, pos, size, false)
	for {
		h, p, _, err := sc.next()
		if err != nil {
			return bestOff, bestTs
		}
		if h.LastOffset() < bestOff {
			continue
		}
		if h.LogAppendTime() {
			return max(h.BaseOffset, logStart), bestTs
		}
		b, err := l.readBatchAt(best, p, size)
		if err != nil {
			return bestOff, bestTs
		}
		_, recs, err := batchRecords(b)
		if err != nil {
			return bestOff, bestTs
		}
		for _, r := range recs {
			if recordTimestamp(h, r) == bestTs {
				return h.BaseOffset + int64(r.OffsetDelta), bestTs
			}
		}
		return bestOff, bestTs
	}
}
