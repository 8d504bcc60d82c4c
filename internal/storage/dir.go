package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Dir is a data directory holding many partitions, one "<topic>-<partition>"
// subdirectory each. It opens them concurrently and runs the background work:
// retention, flush.ms, recovery-point checkpoints and the compaction cleaner.
//
// Dir is safe for concurrent use. Lock order: Dir.mu before any Log lock; Dir
// never holds mu while calling into a Log except to close it.
type Dir struct {
	dir    string
	opts   Options
	cfgFor func(topic string, partition int32) Config

	mu struct {
		sync.Mutex
		logs    map[dirKey]*Log
		closed  bool
		started bool
	}
	bg      goGroup
	cancel  context.CancelFunc
	cleaner *Cleaner
}

type dirKey struct {
	topic     string
	partition int32
}

// OpenDir opens (creating if needed) the data directory dir and every
// partition in it, OpenConcurrency at a time. cfgFor gives each partition's
// config. Leftover "-delete" directories of deleted partitions are removed.
// If any partition fails to open, the others are closed and the errors
// returned joined.
func OpenDir(dir string, opts Options, cfgFor func(topic string, partition int32) Config) (*Dir, error) {
	opts = opts.withDefaults()
	start := time.Now()
	d := &Dir{dir: filepath.Clean(dir), opts: opts, cfgFor: cfgFor}
	d.mu.logs = map[dirKey]*Log{}
	if err := opts.FS.MkdirAll(d.dir, 0o755); err != nil {
		return nil, ioErr("create data dir", err)
	}
	if opts.RecycleBytes == 0 {
		opts.RecycleBytes = DefaultRecycleBytes
	}
	if opts.RecycleBytes > 0 {
		pool, err := openRecycler(opts.FS, d.dir, opts.RecycleBytes, opts.Logger)
		if err != nil {
			return nil, err
		}
		opts.pool = pool
		d.opts.pool = pool
	}
	ents, err := opts.FS.ReadDir(d.dir)
	if err != nil {
		return nil, ioErr("read data dir", err)
	}
	var keys []dirKey
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		if strings.HasSuffix(name, "-delete") {
			if err := opts.FS.RemoveAll(filepath.Join(d.dir, name)); err != nil {
				opts.Logger.Warn("cannot remove deleted partition", "dir", name, "err", err)
			}
			continue
		}
		topic, part, ok := parsePartitionDir(name)
		if !ok {
			continue // meta/ and anything else that is not a partition
		}
		keys = append(keys, dirKey{topic, part})
	}
	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		errs []error
		sem  = make(chan struct{}, opts.OpenConcurrency)
	)
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			l, err := Open(d.partDir(k.topic, k.partition), cfgFor(k.topic, k.partition), opts)
			emu.Lock()
			defer emu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("partition %s-%d: %w", k.topic, k.partition, err))
				return
			}
			d.mu.logs[k] = l
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		for _, l := range d.mu.logs {
			l.Close()
		}
		return nil, errors.Join(errs...)
	}
	recovered := 0
	for _, l := range d.mu.logs {
		if l.Recovered() {
			recovered++
		}
	}
	if recovered > 0 {
		// One line for the directory: per-partition recovery is logged at
		// debug level, truncations at warn.
		opts.Logger.Info("recovered logs after an unclean shutdown", "dir", d.dir, "partitions", recovered)
	}
	opts.Logger.Info("opened data directory", "dir", d.dir, "partitions", len(keys), "took", time.Since(start))
	return d, nil
}

func (d *Dir) partDir(topic string, partition int32) string {
	return filepath.Join(d.dir, fmt.Sprintf("%s-%d", topic, partition))
}

// Get returns an open partition log.
func (d *Dir) Get(topic string, partition int32) (*Log, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l, ok := d.mu.logs[dirKey{topic, partition}]
	return l, ok
}

// Create opens or creates a partition; it is idempotent and returns the
// existing log if there is one (its config is left as is).
func (d *Dir) Create(topic string, partition int32, cfg Config) (*Log, error) {
	if topic == "" || strings.ContainsAny(topic, "/\\") || partition < 0 {
		return nil, fmt.Errorf("storage: bad partition %q-%d", topic, partition)
	}
	k := dirKey{topic, partition}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mu.closed {
		return nil, ErrClosed
	}
	if l, ok := d.mu.logs[k]; ok {
		return l, nil
	}
	l, err := Open(d.partDir(topic, partition), cfg, d.opts)
	if err != nil {
		return nil, err
	}
	d.mu.logs[k] = l
	return l, nil
}

// Remove deletes a partition (Log.Delete) and forgets it. Removing an unknown
// partition is a no-op.
func (d *Dir) Remove(topic string, partition int32) error {
	d.mu.Lock()
	l, ok := d.mu.logs[dirKey{topic, partition}]
	delete(d.mu.logs, dirKey{topic, partition})
	d.mu.Unlock()
	if !ok {
		return nil
	}
	return l.Delete()
}

// All returns every open log, in no particular order.
func (d *Dir) All() []*Log {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*Log, 0, len(d.mu.logs))
	for _, l := range d.mu.logs {
		out = append(out, l)
	}
	return out
}

// StartBackground starts retention (every RetentionCheckInterval), flush.ms
// checks, recovery-point checkpoints and the compaction cleaner. They stop
// when ctx is cancelled or the Dir is closed. Calling it twice is a no-op.
func (d *Dir) StartBackground(ctx context.Context) {
	d.mu.Lock()
	if d.mu.started || d.mu.closed {
		d.mu.Unlock()
		return
	}
	d.mu.started = true
	ctx, d.cancel = context.WithCancel(ctx)
	d.cleaner = NewCleaner(d.opts)
	d.mu.Unlock()
	d.bg.Go(func() { d.every(ctx, d.opts.RetentionCheckInterval, d.runRetention) })
	d.bg.Go(func() { d.every(ctx, d.opts.FlushCheckInterval, d.runFlush) })
	d.bg.Go(func() { d.every(ctx, d.opts.CheckpointInterval, d.runCheckpoint) })
	d.bg.Go(func() { d.every(ctx, d.opts.CleanerBackoff, func() { d.runCleaner(ctx) }) })
}

func (d *Dir) every(ctx context.Context, every time.Duration, fn func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

func (d *Dir) runRetention() {
	for _, l := range d.All() {
		if _, err := l.ApplyRetention(); err != nil && !errors.Is(err, ErrClosed) {
			d.opts.Logger.Warn("retention failed", "dir", l.dir, "err", err)
		}
	}
}

func (d *Dir) runFlush() {
	for _, l := range d.All() {
		l.maybeFlush()
	}
}

func (d *Dir) runCheckpoint() {
	for _, l := range d.All() {
		if err := l.Checkpoint(); err != nil && !errors.Is(err, ErrClosed) {
			d.opts.Logger.Warn("checkpoint failed", "dir", l.dir, "err", err)
		}
	}
}

func (d *Dir) runCleaner(ctx context.Context) {
	for _, l := range d.All() {
		if ctx.Err() != nil {
			return
		}
		if _, err := d.cleaner.Clean(ctx, l, false); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled) {
			d.opts.Logger.Warn("compaction failed", "dir", l.dir, "err", err)
		}
	}
}

// Close stops the background work and closes every log cleanly.
func (d *Dir) Close() error {
	d.mu.Lock()
	if d.mu.closed {
		d.mu.Unlock()
		return nil
	}
	d.mu.closed = true
	cancel := d.cancel
	logs := make([]*Log, 0, len(d.mu.logs))
	for _, l := range d.mu.logs {
		logs = append(logs, l)
	}
	d.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	d.bg.Wait()
	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		errs []error
		sem  = make(chan struct{}, d.opts.OpenConcurrency)
	)
	for _, l := range logs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := l.Close(); err != nil {
				emu.Lock()
				errs = append(errs, err)
				emu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// goGroup starts tracked goroutines and refuses new ones once Wait began.
type goGroup struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool
}

// Go runs fn in a goroutine unless the group is shutting down.
func (g *goGroup) Go(fn func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn()
	}()
	return true
}

// Wait refuses new goroutines and waits for the running ones.
func (g *goGroup) Wait() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.wg.Wait()
}

var _ = fs.ErrNotExist
