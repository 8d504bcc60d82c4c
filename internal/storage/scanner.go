package storage

import (
	"errors"
	"fmt"
	"io"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// scanner walks the batches of a .log file in [pos, end), reading through a
// window buffer so that small batches cost one read per window. It does not
// own f.
type scanner struct {
	f      vfs.File
	pos    int64 // position of the next batch
	end    int64
	full   bool // load (and CRC-check) whole batches, not only headers
	window int

	buf    []byte
	bufPos int64 // file position of buf[0]
}

func newScanner(f vfs.File, pos, end int64, full bool) *scanner {
	w := 16 << 10
	if full {
		w = 1 << 20
	}
	return &scanner{f: f, pos: pos, end: end, full: full, window: w}
}

// errScanEnd is returned by next at the end of the range.
var errScanEnd = errors.New("storage: end of scan")

// ensure returns the n bytes at file position p, reading as needed. The slice
// is valid until the next call.
func (s *scanner) ensure(p int64, n int) ([]byte, error) {
	if p >= s.bufPos && p+int64(n) <= s.bufPos+int64(len(s.buf)) {
		return s.buf[p-s.bufPos : p-s.bufPos+int64(n)], nil
	}
	want := max(n, s.window)
	if rem := s.end - p; int64(want) > rem {
		want = int(rem)
	}
	if want < n {
		return nil, io.ErrUnexpectedEOF
	}
	if cap(s.buf) < want {
		s.buf = make([]byte, want)
	}
	s.buf = s.buf[:want]
	m, err := s.f.ReadAt(s.buf, p)
	if m < want {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		s.buf = s.buf[:0]
		return nil, err
	}
	s.bufPos = p
	return s.buf[:n], nil
}

// next returns the next batch header and its position. With full set, batch
// holds the whole batch (valid until the next call) and its CRC was checked.
// At the end of the range it returns errScanEnd. A batch that does not fit in
// the range, a bad header or a CRC mismatch returns an ErrCorrupt-class error
// and leaves pos at that batch, so the caller can truncate there.
func (s *scanner) next() (h BatchHeader, pos int64, batch []byte, err error) {
	if s.pos >= s.end {
		return h, s.pos, nil, errScanEnd
	}
	pos = s.pos
	if s.end-pos < batchHeaderSize {
		return h, pos, nil, corruptf("%s: %d trailing bytes at position %d, less than a batch header", s.f.Name(), s.end-pos, pos)
	}
	hb, err := s.ensure(pos, batchHeaderSize)
	if err != nil {
		return h, pos, nil, s.readErr(pos, err)
	}
	h, err = ParseBatchHeader(hb)
	if err != nil {
		return h, pos, nil, fmt.Errorf("%s at position %d: %w", s.f.Name(), pos, err)
	}
	if h.Size() > s.end-pos {
		return h, pos, nil, corruptf("%s at position %d: batch of %d bytes, only %d left", s.f.Name(), pos, h.Size(), s.end-pos)
	}
	if s.full {
		batch, err = s.ensure(pos, int(h.Size()))
		if err != nil {
			return h, pos, nil, s.readErr(pos, err)
		}
		if _, err := VerifyBatch(batch); err != nil {
			return h, pos, nil, fmt.Errorf("%s at position %d: %w", s.f.Name(), pos, err)
		}
	}
	s.pos = pos + h.Size()
	return h, pos, batch, nil
}

// peek returns the next batch header without consuming it.
func (s *scanner) peek() (BatchHeader, int64, []byte, error) {
	pos := s.pos
	h, p, b, err := s.next()
	s.pos = pos
	return h, p, b, err
}

func (s *scanner) readErr(pos int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return corruptf("%s at position %d: file shorter than expected", s.f.Name(), pos)
	}
	return ioErr("read "+s.f.Name(), err)
}
