package storage

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Range is a byte range of a segment file holding whole batches.
//
// Contract: File stays open and readable (even if its segment is deleted by
// retention, truncated away as a whole segment or replaced by compaction) for
// at least file.delete.delay.ms after Read returned, so callers may ReadAt or
// sendfile(2) it later (OS files expose Fd()). Callers must not Close it or
// use its shared file offset (Read/Write/Seek); ReadAt is safe. Close of the
// Log closes it. Truncation inside the active segment (TruncateTo above the
// high watermark) shortens the file in place; a range into the dropped tail
// then reads short (io.EOF).
type Range struct {
	File     vfs.File
	Pos, Len int64
}

// ReadResult is what Read returns. Ranges are in offset order and together
// hold Bytes bytes of whole batches. NextOffset is lastOffset+1 of the last
// batch returned, or the requested offset if none was.
type ReadResult struct {
	Ranges     []Range
	Bytes      int64
	NextOffset int64
}

// Read returns the batches starting with the one containing offset: whole
// batches only, every one with lastOffset < maxOffset, at most maxBytes in
// total, except that with minOne a first batch larger than maxBytes is
// returned alone. offset below LogStartOffset or above LogEndOffset is
// ErrOffsetOutOfRange; offset >= maxOffset (or no batch ending below it) gives
// an empty result and a nil error.
func (l *Log) Read(offset, maxBytes, maxOffset int64, minOne bool) (ReadResult, error) {
	res := ReadResult{NextOffset: offset}
	segs, logStart, leo, err := l.snapshot()
	if err != nil {
		return res, err
	}
	if offset < logStart || offset > leo {
		return res, fmt.Errorf("%w: offset %d, log has [%d, %d)", ErrOffsetOutOfRange, offset, logStart, leo)
	}
	maxOffset = min(maxOffset, leo)
	if offset >= maxOffset {
		return res, nil
	}
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
	i = max(i, 0)
	for ; i < len(segs); i++ {
		done, err := l.readSegment(segs[i], offset, maxBytes, maxOffset, minOne, &res)
		if err != nil || done {
			return res, err
		}
	}
	return res, nil
}

// readSegment adds s's batches to res; done reports that a limit was reached.
func (l *Log) readSegment(s *segment, offset, maxBytes, maxOffset int64, minOne bool, res *ReadResult) (bool, error) {
	if err := l.loadSegment(s); err != nil {
		return true, err
	}
	l.mu.RLock()
	size, next := s.size, s.next
	pos := int64(0)
	if offset > s.base {
		pos = s.idx.lookup(offset - s.base)
	}
	l.mu.RUnlock()
	if next <= offset || size == 0 {
		return false, nil
	}
	f, err := s.openForRead(l.fs)
	if err != nil {
		return true, err
	}
	sc := newScanner(f, pos, size, false)
	sc.window = 4096
	for {
		h, p, _, err := sc.next()
		if err == errScanEnd {
			return false, nil
		}
		if err != nil {
			l.logger.Error("corrupt segment on read", "segment", s.logPath(), "position", p, "err", err)
			return true, err
		}
		if h.LastOffset() < offset {
			continue
		}
		if h.LastOffset() >= maxOffset {
			return true, nil
		}
		if res.Bytes+h.Size() > maxBytes && !(minOne && res.Bytes == 0) {
			return true, nil
		}
		addRange(res, f, p, h.Size())
		res.NextOffset = h.LastOffset() + 1
		if res.Bytes >= maxBytes {
			return true, nil
		}
		// Skip ahead with the index: every batch before an indexed batch whose
		// last offset is below maxOffset ends below maxOffset too, so the
		// bytes up to the furthest such entry within maxBytes are whole
		// batches that qualify, with no header to read.
		end := sc.pos
		l.mu.RLock()
		e, ok := s.idx.floorPos(end + maxBytes - res.Bytes)
		if ok && e.pos > int32(end) && s.base+int64(e.rel) >= maxOffset {
			e, ok = s.idx.floorRel(maxOffset - 1 - s.base)
		}
		l.mu.RUnlock()
		if ok && int64(e.pos) > end {
			addRange(res, f, end, int64(e.pos)-end)
			sc.pos = int64(e.pos)
			// NextOffset: the skipped batches end right before the
			// indexed one; its header is read next.
			res.NextOffset = -1
		}
		if res.NextOffset == -1 {
			h, _, _, err := sc.peek()
			if err != nil {
				return true, err
			}
			res.NextOffset = h.BaseOffset
		}
	}
}

func addRange(res *ReadResult, f vfs.File, pos, n int64) {
	if k := len(res.Ranges); k > 0 && res.Ranges[k-1].File == f && res.Ranges[k-1].Pos+res.Ranges[k-1].Len == pos {
		res.Ranges[k-1].Len += n
	} else {
		res.Ranges = append(res.Ranges, Range{File: f, Pos: pos, Len: n})
	}
	res.Bytes += n
}

// ReadInto is Read that copies the batches into memory: it appends them to
// dst and returns the extended slice and the next offset.
func (l *Log) ReadInto(dst []byte, offset, maxBytes, maxOffset int64, minOne bool) ([]byte, int64, error) {
	res, err := l.Read(offset, maxBytes, maxOffset, minOne)
	if err != nil {
		return dst, offset, err
	}
	n := len(dst)
	dst = grow(dst, int(res.Bytes))
	for _, r := range res.Ranges {
		m, err := r.File.ReadAt(dst[n:n+int(r.Len)], r.Pos)
		if int64(m) < r.Len {
			if err == nil || errors.Is(err, io.EOF) {
				err = fmt.Errorf("storage: short read of %s: %d of %d bytes (truncated concurrently?)", r.File.Name(), m, r.Len)
			}
			return dst[:len(dst)-int(res.Bytes)], offset, ioErr("read", err)
		}
		n += m
	}
	return dst, res.NextOffset, nil
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// ScanBatches walks batch headers from the batch containing from to the log
// end, calling fn with each header and its position in its segment file, until
// fn returns false. Used to rebuild producer state. It runs concurrently with
// appends and sees the batches published when it reaches them.
func (l *Log) ScanBatches(from int64, fn func(hdr BatchHeader, pos int64) bool) error {
	segs, logStart, _, err := l.snapshot()
	if err != nil {
		return err
	}
	from = max(from, logStart)
	i := sort.Search(len(segs), func(i int) bool { return segs[i].base > from }) - 1
	for i = max(i, 0); i < len(segs); i++ {
		s := segs[i]
		if err := l.loadSegment(s); err != nil {
			return err
		}
		l.mu.RLock()
		size := s.size
		pos := int64(0)
		if from > s.base {
			pos = s.idx.lookup(from - s.base)
		}
		l.mu.RUnlock()
		if pos >= size {
			continue // nothing to read: leave the file unmarked (openForRead)
		}
		f, err := s.openForRead(l.fs)
		if err != nil {
			return err
		}
		sc := newScanner(f, pos, size, false)
		for {
			h, p, _, err := sc.next()
			if err == errScanEnd {
				break
			}
			if err != nil {
				return err
			}
			if h.LastOffset() < from {
				continue
			}
			if !fn(h, p) {
				return nil
			}
		}
	}
	return nil
}
