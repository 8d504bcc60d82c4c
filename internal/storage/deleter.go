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

	mu      sync.Mutex
	pending map[*pendingDelete]*time.Timer
	wg      sync.WaitGroup
}

type pendingDelete struct {
	files []vfs.File
	paths []string // removed with Remove
	dir   string   // removed with RemoveAll
}

func (d *deleter) init(fsys vfs.FS, logger *slog.Logger) {
	d.fs, d.logger = fsys, logger
	d.pending = map[*pendingDelete]*time.Timer{}
}

// schedule closes files and removes paths (and dir) after delay.
func (d *deleter) schedule(delay time.Duration, files []vfs.File, paths []string, dir string) {
	p := &pendingDelete{files: files, paths: paths, dir: dir}
	if delay <= 0 {
		d.run(p)
		return
	}
	d.mu.Lock()
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
