package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Segment files are named by their base offset, 20 digits, zero-padded, as in
// Kafka: 00000000000000000000.log, .index, .timeindex. The .log file holds
// RecordBatch v2 bytes exactly as appended (see batch.go), back to back, with
// nothing else: no header, no padding.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	deletedSuffix   = ".deleted" // renamed for deletion after file.delete.delay.ms
	cleanedSuffix   = ".cleaned" // compaction output not yet swapped in
	swapSuffix      = ".swap"    // compaction output being swapped in
)

func segmentName(base int64) string { return fmt.Sprintf("%020d", base) }

// parseSegmentName returns the base offset of "<20 digits><suffix>".
func parseSegmentName(name, suffix string) (int64, bool) {
	s, ok := strings.CutSuffix(name, suffix)
	if !ok || len(s) != 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}

// segment is one .log file with its indexes.
//
// Fields under "Log.mu" are read with Log.mu held for reading and written with
// Log.mu held for writing and Log.appendMu held. The in-memory indexes are
// loaded lazily (loadMu), so idle partitions cost little memory.
type segment struct {
	base int64
	path string // directory + segmentName(base), no suffix

	// Log.mu:
	size     int64       // published bytes: readers never look past it
	next     int64       // offset after the last batch (exact for the active segment and loaded ones)
	loaded   bool        // idx, tidx, maxTs, maxTsOff, bytesSince are valid
	idx      offsetIndex //
	tidx     timeIndex   //
	maxTs    int64       // largest batch max timestamp, -1 if none
	maxTsOff int64       // lastOffset of the batch holding maxTs, -1 if none
	firstTs  int64       // max timestamp of the first batch, for segment.ms; -1 unknown
	dirDirty bool        // the .log file's directory entry may not be durable yet
	created  time.Time   // when this process created or opened the segment

	// Log.appendMu:
	bytesSince int64 // bytes appended since the last index entry

	loadMu sync.Mutex // serialises loading idx/tidx from files

	fileMu   sync.Mutex
	file     vfs.File // the .log file, opened lazily; closed when the segment is dropped
	lastRead int64    // unix nanos of the last openForRead, 0 if never (fileMu)
	retired  bool     // deleted: openFile fails (fileMu)
	reused   bool     // the file came from the pool: its size may exceed the segment's (appendMu)
}

func newSegment(dir string, base int64, now time.Time) *segment {
	return &segment{base: base, path: filepath.Join(dir, segmentName(base)), next: base,
		maxTs: -1, maxTsOff: -1, firstTs: -1, created: now}
}

func (s *segment) logPath() string  { return s.path + logSuffix }
func (s *segment) idxPath() string  { return s.path + indexSuffix }
func (s *segment) tidxPath() string { return s.path + timeIndexSuffix }

// openFile returns the segment's .log file, opening it on first use. The
// handle is shared: callers use ReadAt/WriteAt only and never close it.
func (s *segment) openFile(fsys vfs.FS) (vfs.File, error) { return s.open(fsys, false) }

// openForRead is openFile for a reader: it records the time, so that the
// file is not reused while a range of it may still be in flight (recycle.go).
func (s *segment) openForRead(fsys vfs.FS) (vfs.File, error) { return s.open(fsys, true) }

func (s *segment) open(fsys vfs.FS, read bool) (vfs.File, error) {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if read {
		s.lastRead = time.Now().UnixNano()
	}
	if s.file != nil {
		return s.file, nil
	}
	if s.retired {
		return nil, ioErr("open segment", fmt.Errorf("%s: %w (segment deleted)", s.logPath(), fs.ErrNotExist))
	}
	f, err := fsys.OpenFile(s.logPath(), os.O_RDWR, 0)
	if err != nil && (errors.Is(err, fs.ErrPermission) || isReadOnly(err)) {
		f, err = fsys.OpenFile(s.logPath(), os.O_RDONLY, 0)
	}
	if err != nil {
		return nil, ioErr("open segment", err)
	}
	s.file = f
	return f, nil
}

// retireFile detaches the open file of a deleted segment (nil if none) and
// reports when the segment was last read (0: never). After it the segment's
// file cannot be opened through it any more.
func (s *segment) retireFile() (vfs.File, int64) {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	f := s.file
	s.file = nil
	s.retired = true
	return f, s.lastRead
}

// takeFile detaches the open file (for closing later), or nil.
func (s *segment) takeFile() vfs.File {
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	f := s.file
	s.file = nil
	return f
}

// indexState is the part of a segment that appending a batch updates.
type indexState struct {
	idx        offsetIndex
	tidx       timeIndex
	maxTs      int64
	maxTsOff   int64
	bytesSince int64
	firstTs    int64
}

func newIndexState() indexState { return indexState{maxTs: -1, maxTsOff: -1, firstTs: -1} }

// add records a batch appended at pos (Kafka's LogSegment.append rule).
func (st *indexState) add(base int64, h BatchHeader, pos int64, interval int64) {
	if pos == 0 {
		st.firstTs = h.MaxTimestamp
	}
	if h.MaxTimestamp > st.maxTs {
		st.maxTs = h.MaxTimestamp
		st.maxTsOff = h.LastOffset()
	}
	if st.bytesSince > interval {
		st.idx = append(st.idx, indexEntry{rel: int32(h.LastOffset() - base), pos: int32(pos)})
		if n := len(st.tidx); n == 0 || st.maxTs > st.tidx[n-1].ts {
			st.tidx = append(st.tidx, timeEntry{ts: st.maxTs, rel: int32(st.maxTsOff - base)})
		}
		st.bytesSince = 0
	}
	st.bytesSince += h.Size()
}

func (s *segment) state() indexState {
	return indexState{idx: s.idx, tidx: s.tidx, maxTs: s.maxTs, maxTsOff: s.maxTsOff, bytesSince: s.bytesSince, firstTs: s.firstTs}
}

func (s *segment) setState(st indexState) {
	s.idx, s.tidx, s.maxTs, s.maxTsOff, s.bytesSince, s.firstTs = st.idx, st.tidx, st.maxTs, st.maxTsOff, st.bytesSince, st.firstTs
	s.loaded = true
}

// finalTimeIndex is tidx plus the closing entry holding the max timestamp.
func (st *indexState) finalTimeIndex(base int64) timeIndex {
	t := st.tidx
	if st.maxTs >= 0 && (len(t) == 0 || st.maxTs > t[len(t)-1].ts) {
		t = append(t[:len(t):len(t)], timeEntry{ts: st.maxTs, rel: int32(st.maxTsOff - base)})
	}
	return t
}

// indexFull reports whether either index reached segment.index.bytes.
func (st *indexState) indexFull(limit int64) bool {
	return int64(len(st.idx)+1)*indexEntrySize > limit || int64(len(st.tidx)+2)*timeIndexEntrySize > limit
}

// strictness is what recovery demands of the batches past the recovery
// point of the checkpoint on disk (see doc.go). Two header fields are not
// covered by the CRC, the base offset and the partition leader epoch, so a
// torn tail can hold a batch that passes the CRC check with either damaged.
// Nothing the log writes breaks these rules past that point: what would (an
// offset gap, an epoch other than the cache's, a cache entry starting below
// the log end, a compacted segment) is checkpointed before it is reported
// durable or swapped in.
type strictness struct {
	// from is the checkpoint's recovery point: past it offsets are
	// contiguous. math.MaxInt64 demands nothing.
	from int64
	// epochs is the leader-epoch cache on disk; with checkEpochs set, every
	// batch past from carries the epoch it gives the batch's last offset.
	// The cache is durable before the first batch of a new epoch is written.
	// checkEpochs is unset while the cache is rebuilt, or when it has no
	// file (a log that never had an epoch, or written by an older version).
	epochs      []epochEntry
	checkEpochs bool
	// logStart is the checkpoint's log start offset: batches wholly below it
	// are never read, and the cache may have forgotten their epochs.
	logStart int64
}

// lenient demands nothing past the structure and CRC of each batch.
var lenient = strictness{from: math.MaxInt64}

// check returns an ErrCorrupt-class error if h, found at pos where offset
// next was expected, breaks the rules.
func (r strictness) check(f vfs.File, pos int64, h BatchHeader, next int64) error {
	if next >= r.from && h.BaseOffset != next {
		return corruptf("%s at position %d: batch offset %d, expected %d past the recovery point", f.Name(), pos, h.BaseOffset, next)
	}
	if r.checkEpochs && h.BaseOffset >= r.from && h.LastOffset() >= r.logStart {
		if want := epochAt(r.epochs, h.LastOffset()); h.PartitionLeaderEpoch != want {
			return corruptf("%s at position %d: batch at offset %d has leader epoch %d, the epoch cache says %d past the recovery point", f.Name(), pos, h.BaseOffset, h.PartitionLeaderEpoch, want)
		}
	}
	return nil
}

// scanIndexes rebuilds the index state of a .log file by reading every batch
// header in [0, size). It returns the state, the offset after the last batch,
// and the position of the first bad byte with an ErrCorrupt error if the file
// does not parse to the end (full: CRCs are checked too) or a batch breaks
// the strictness rules (recovery; see strictness).
func scanIndexes(f vfs.File, base, size, interval int64, full bool, prevNext int64, strict strictness) (indexState, int64, int64, error) {
	st := newIndexState()
	next := max(base, prevNext)
	sc := newScanner(f, 0, size, full)
	for {
		h, pos, _, err := sc.next()
		if err == errScanEnd {
			return st, next, size, nil
		}
		if err == nil && h.BaseOffset < next {
			err = corruptf("%s at position %d: batch offset %d below the expected %d", f.Name(), pos, h.BaseOffset, next)
		}
		if err == nil {
			err = strict.check(f, pos, h, next)
		}
		if err == nil && h.LastOffset()-base > math.MaxInt32 {
			err = corruptf("%s at position %d: offset %d too far from segment base %d", f.Name(), pos, h.LastOffset(), base)
		}
		if err != nil {
			return st, next, pos, err
		}
		st.add(base, h, pos, interval)
		next = h.LastOffset() + 1
	}
}

// writeIndexFiles writes the segment's .index and .timeindex whole and, if
// sync is set, makes them durable.
func writeIndexFiles(fsys vfs.FS, s *segment, st indexState, sync bool) error {
	for _, w := range []struct {
		path string
		data []byte
	}{{s.idxPath(), st.idx.encode()}, {s.tidxPath(), st.finalTimeIndex(s.base).encode()}} {
		f, err := vfs.Create(fsys, w.path)
		if err != nil {
			return ioErr("write index", err)
		}
		_, err = f.Write(w.data)
		if err == nil && sync {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return ioErr("write index", err)
		}
	}
	return nil
}

func isReadOnly(err error) bool {
	return errors.Is(ioErr("", err), ErrReadOnly)
}
