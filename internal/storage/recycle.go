package storage

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Segment file reuse.
//
// Writing a new segment costs more than its bytes: the file system allocates
// blocks and the kernel allocates and zeroes page-cache pages for every byte
// written, and on a virtual machine whose freed memory goes back to the host
// a freshly allocated page costs several times the copy itself. Overwriting a
// file whose pages are still cached costs only the copy, and an fdatasync of
// an overwrite inside the file's size commits no metadata. So the .log files
// of deleted segments (retention, DeleteRecords, topic deletion, compaction)
// go to a bounded pool in the data directory, and new segments take a file
// from the pool instead of creating one, as RocksDB's recycled WAL files and
// PostgreSQL's recycled WAL segments do.
//
// A reused file holds the old segment's batches past the new writes, and
// recovery after a crash reads past the last write until it meets bytes that
// are not a batch. Those old batches have valid CRCs (the CRC covers neither
// the base offset nor the leader epoch), so a file is scrubbed before it
// enters the pool: the first 12 bytes of every batch (base offset and length)
// are overwritten with 0xff, a length no parser accepts, and the file is
// truncated to its last batch and fsynced. After a crash the new segment then
// ends at a torn new batch, at scrubbed bytes, or inside an old batch's
// bytes, which fail the CRC like any torn tail. A file is scrubbed only when
// that writes little: its batches must average poolMinAvgBatch bytes.
//
// Old bytes must never reach a reader of the new segment, and a reader of the
// old segment must never see new bytes: a range handed out by Read may be
// sent with sendfile(2) long after Read returned, and a socket buffer holds
// references to the cached pages, not copies. So a file that was never read
// is reused at once when its segment is deleted, and a file that was read is
// reused only when poolReadGrace has passed since its last read (and
// file.delete.delay.ms since its deletion); otherwise it is removed as
// before.

const (
	recycleDirName = "recycled"
	// poolReadGrace is how long after its last read a file may still be in
	// use by a response in flight (sendfile, socket buffers).
	poolReadGrace = 5 * time.Minute
	// DefaultRecycleBytes bounds the bytes kept in the pool.
	DefaultRecycleBytes = 1 << 30
)

// Smaller files are not worth keeping; files with smaller batches on average
// would need too many scrub writes. Variables for tests.
var (
	poolMinFileBytes int64 = 1 << 20
	poolMinAvgBatch  int64 = 64 << 10
)

// scrubMark overwrites a batch's base offset and length.
var scrubMark = [12]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

type pooledFile struct {
	path string
	size int64
}

// recycler is the pool of scrubbed segment files of one data directory.
type recycler struct {
	fs       vfs.FS
	dir      string
	maxBytes int64
	logger   *slog.Logger

	mu    sync.Mutex
	files []pooledFile // oldest first
	bytes int64
	seq   uint64
}

// openRecycler opens (creating) the pool directory under dataDir and takes
// in the files a previous run left there: they were scrubbed and synced
// before they were renamed in. Anything else there is removed.
func openRecycler(fsys vfs.FS, dataDir string, maxBytes int64, logger *slog.Logger) (*recycler, error) {
	r := &recycler{fs: fsys, dir: filepath.Join(dataDir, recycleDirName), maxBytes: maxBytes, logger: logger}
	if err := fsys.MkdirAll(r.dir, 0o755); err != nil {
		return nil, ioErr("create recycle dir", err)
	}
	ents, err := fsys.ReadDir(r.dir)
	if err != nil {
		return nil, ioErr("read recycle dir", err)
	}
	type found struct {
		seq uint64
		pooledFile
	}
	var keep []found
	for _, e := range ents {
		p := filepath.Join(r.dir, e.Name())
		seq, perr := strconv.ParseUint(strings.TrimSuffix(e.Name(), logSuffix), 10, 64)
		info, ierr := e.Info()
		if e.IsDir() || !strings.HasSuffix(e.Name(), logSuffix) || perr != nil || ierr != nil {
			if err := fsys.RemoveAll(p); err != nil {
				logger.Warn("cannot remove stray file in the recycle dir", "file", p, "err", err)
			}
			continue
		}
		keep = append(keep, found{seq, pooledFile{p, info.Size()}})
		r.seq = max(r.seq, seq)
	}
	slices.SortFunc(keep, func(a, b found) int { return cmp.Compare(a.seq, b.seq) })
	for _, f := range keep {
		r.files = append(r.files, f.pooledFile)
		r.bytes += f.size
	}
	r.trimLocked()
	return r, nil
}

// trimLocked removes the oldest files while the pool holds too much.
func (r *recycler) trimLocked() {
	for len(r.files) > 0 && r.bytes > r.maxBytes {
		f := r.files[0]
		r.files = r.files[1:]
		r.bytes -= f.size
		if err := r.fs.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.logger.Warn("cannot remove recycled segment file", "file", f.path, "err", err)
		}
	}
}

// take moves a pooled file to path and opens it for writing; ok is false
// when the pool is empty (or the move failed). The file keeps its old size:
// the caller writes from position 0 and never trusts the file size.
func (r *recycler) take(path string) (vfs.File, bool) {
	if r == nil {
		return nil, false
	}
	for {
		r.mu.Lock()
		if len(r.files) == 0 {
			r.mu.Unlock()
			return nil, false
		}
		p := r.files[len(r.files)-1]
		r.files = r.files[:len(r.files)-1]
		r.bytes -= p.size
		r.mu.Unlock()
		if err := r.fs.Rename(p.path, path); err != nil {
			r.logger.Warn("cannot reuse recycled segment file", "file", p.path, "err", err)
			_ = r.fs.Remove(p.path)
			continue
		}
		f, err := r.fs.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			r.logger.Warn("cannot open reused segment file", "file", path, "err", err)
			_ = r.fs.Remove(path)
			return nil, false
		}
		return f, true
	}
}

// reusable reports whether a deleted segment's file may go to the pool now:
// never read, or last read more than poolReadGrace ago.
func reusable(lastRead int64, now time.Time) bool {
	return lastRead == 0 || now.UnixNano()-lastRead >= int64(poolReadGrace)
}

// put scrubs the file at path, whose batches end at size, and moves it into
// the pool. It reports whether it did; on false the file is left where it
// was, for the caller to remove.
func (r *recycler) put(path string, size int64) bool {
	if r == nil || size < poolMinFileBytes || size > r.maxBytes {
		return false
	}
	start := time.Now()
	if err := r.scrub(path, size); err != nil {
		r.logger.Debug("segment file not reused", "file", path, "reason", err)
		return false
	}
	r.mu.Lock()
	r.seq++
	dst := filepath.Join(r.dir, fmt.Sprintf("%020d%s", r.seq, logSuffix))
	r.mu.Unlock()
	if err := r.fs.Rename(path, dst); err != nil {
		r.logger.Warn("cannot move segment file to the recycle dir", "file", path, "err", err)
		return false
	}
	r.mu.Lock()
	r.files = append(r.files, pooledFile{dst, size})
	r.bytes += size
	r.trimLocked()
	r.mu.Unlock()
	r.logger.Debug("segment file kept for reuse", "file", path, "bytes", size, "took", time.Since(start))
	return true
}

// scrub overwrites the base offset and length of every batch of the file,
// truncates it to size and fsyncs it.
func (r *recycler) scrub(path string, size int64) error {
	f, err := r.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// Headers only: batches average poolMinAvgBatch or more, so a window
	// would read mostly record bytes.
	sc := newScanner(f, 0, size, false)
	sc.window = 0
	var positions []int64
	for {
		_, pos, _, err := sc.next()
		if err == errScanEnd {
			break
		}
		if err != nil {
			return err
		}
		positions = append(positions, pos)
		if int64(len(positions))*poolMinAvgBatch > size {
			return fmt.Errorf("batches average under %d bytes", poolMinAvgBatch)
		}
	}
	for _, pos := range positions {
		if _, err := f.WriteAt(scrubMark[:], pos); err != nil {
			return err
		}
	}
	if info, err := f.Stat(); err != nil {
		return err
	} else if info.Size() > size {
		if err := f.Truncate(size); err != nil {
			return err
		}
	}
	return f.Sync()
}

// isScrubbed reports whether the bytes at pos are a scrubbed batch header:
// where a reused file's new data ends after a crash.
func isScrubbed(f vfs.File, pos int64) bool {
	var b [12]byte
	if _, err := f.ReadAt(b[:], pos); err != nil {
		return false
	}
	return b == scrubMark
}
