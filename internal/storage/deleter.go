package storage

import (
	"errors"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// deleter removes files after file.delete.delay.ms, closing the handles that
// Read may have handed out only then. Timers run the deletions; close runs
// every pending one at once and waits for running timers.
type deleter struct {
	fs     vfs.FS
	logger *slog.Logger
	pool   *recycler // nil: files are removed, never reused

	mu      sync.Mutex
	pending map[*pendingDelete]*time.Timer
	closed  bool // close ran: later schedules run at once
	wg      sync.WaitGroup
}

type pendingDelete struct {
	files []vfs.File
	paths []string // removed with Remove
	dir   string   // removed with RemoveAll
	reuse []reuseCandidate
}

// reuseCandidate is a deleted segment's .log file that may go to the pool
// (recycle.go) instead of being removed.
type reuseCandidate struct {
	path     string // where the file is now
	size     int64  // the segment's size: where its batches end
	lastRead int64  // segment.lastRead at deletion
}

func (d *deleter) init(fsys vfs.FS, logger *slog.Logger, pool *recycler) {
	d.fs, d.logger, d.pool = fsys, logger, pool
	d.pending = map[*pendingDelete]*time.Timer{}
}

// schedule closes files and removes paths (and dir) after delay. Files
// among reuse that were never read go to the pool at once, in the
// background; the others go there at the end of the delay if they may
// (reusable), and are removed otherwise.
func (d *deleter) schedule(delay time.Duration, files []vfs.File, paths []string, dir string, reuse ...reuseCandidate) {
	p := &pendingDelete{files: files, paths: paths, dir: dir}
	var now []reuseCandidate
	if d.pool != nil {
		for _, c := range reuse {
			if c.lastRead == 0 {
				now = append(now, c)
			} else {
				p.reuse = append(p.reuse, c)
			}
		}
	}
	if len(now) > 0 {
		d.mu.Lock()
		d.wg.Add(1)
		d.mu.Unlock()
		go func() {
			defer d.wg.Done()
			for _, c := range now {
				d.pool.put(c.path, c.size)
			}
			d.schedule(delay, p.files, p.paths, p.dir, p.reuse...)
		}()
		return
	}
	if delay <= 0 {
		d.run(p)
		return
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.run(p)
		return
	}
	defer d.mu.Unlock()
	d.wg.Add(1)
	d.pending[p] = time.AfterFunc(delay, func() {
		defer d.wg.Done()
		d.mu.Lock()
		_, ok := d.pending[p]
		delete(d.pending, p)
		d.mu.Unlock()
		if ok {
			d.run(p)
		}
	})
}

func (d *deleter) run(p *pendingDelete) {
	now := time.Now()
	for _, c := range p.reuse {
		if reusable(c.lastRead, now) {
			d.pool.put(c.path, c.size)
		}
	}
	for _, f := range p.files {
		f.Close()
	}
	for _, path := range p.paths {
		if err := d.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			d.logger.Warn("cannot remove deleted file", "file", path, "err", err)
		}
	}
	if p.dir != "" {
		if err := d.fs.RemoveAll(p.dir); err != nil {
			d.logger.Warn("cannot remove deleted partition", "dir", p.dir, "err", err)
		}
	}
}

// close runs every pending deletion now and waits for timers in flight.
func (d *deleter) close() {
	d.mu.Lock()
	d.closed = true
	var now []*pendingDelete
	for p, t := range d.pending {
		if t.Stop() {
			d.wg.Done()
		}
		now = append(now, p)
		delete(d.pending, p)
	}
	d.mu.Unlock()
	for _, p := range now {
		d.run(p)
	}
	d.wg.Wait()
}

// closeAfterPending is used by Log.Delete: the timers finish on their own.
func (d *deleter) closeAfterPending() {}
