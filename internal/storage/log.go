package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Options are the process-level settings shared by the logs of a data
// directory. Zero values take the defaults named in the comments.
type Options struct {
	FS     vfs.FS           // default vfs.Default
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now

	// RetentionCheckInterval is log.retention.check.interval.ms (5 min).
	RetentionCheckInterval time.Duration
	// CheckpointInterval is log.flush.offset.checkpoint.interval.ms (60 s):
	// how often recovery points are persisted.
	CheckpointInterval time.Duration
	// FlushCheckInterval is how often flush.ms is checked (1 s).
	FlushCheckInterval time.Duration
	// CleanerBackoff is log.cleaner.backoff.ms (15 s).
	CleanerBackoff time.Duration
	// CleanerIOBytesPerSecond is log.cleaner.io.max.bytes.per.second
	// (0 = unlimited): the cleaner's read+write rate.
	CleanerIOBytesPerSecond float64
	// OpenConcurrency bounds how many partitions OpenDir opens at once (16).
	OpenConcurrency int
	// RecycleBytes bounds the deleted segment files OpenDir keeps for reuse
	// as new segments (recycle.go): 0 is DefaultRecycleBytes, negative
	// turns reuse off.
	RecycleBytes int64

	pool *recycler // set by OpenDir
}

func (o Options) withDefaults() Options {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 5 * time.Minute
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Minute
	}
	if o.FlushCheckInterval <= 0 {
		o.FlushCheckInterval = time.Second
	}
	if o.CleanerBackoff <= 0 {
		o.CleanerBackoff = 15 * time.Second
	}
	if o.OpenConcurrency <= 0 {
		o.OpenConcurrency = 16
	}
	return o
}

// Log is one partition's log: a directory of segments.
//
// Concurrency: every method is safe for concurrent use. Mutations (Append,
// AppendBatches, TruncateTo, DeleteRecordsBefore, retention, compaction swaps,
// AssignEpoch, Close) are serialised by appendMu; reads run concurrently with
// them and see only whole batches, because the end of a segment is published
// (under mu) only after the write returned. Different logs share nothing.
//
// Lock order (see doc.go): cleanMu -> appendMu -> segment.loadMu -> ckptMu ->
// mu -> segment.fileMu; syncMu -> mu. mu is never held across I/O.
type Log struct {
	dir       string
	recovered bool // set once by Open when it ran recovery
	topic     string
	partition int32
	fs        vfs.FS
	logger    *slog.Logger
	now       func() time.Time
	opts      Options
	cfg       atomic.Pointer[Config]

	appendMu  sync.Mutex
	ckptClean bool  // appendMu: the checkpoint on disk says clean; rewrite it before a change
	unflushed int64 // appendMu: records appended since the last forced flush

	ckptMu   sync.Mutex
	lastCkpt partitionCheckpoint // ckptMu: what the file holds

	mu struct {
		sync.RWMutex
		segs          []*segment // by base offset; copy-on-write, never modified in place
		logStart      int64
		leo           int64
		recoveryPoint int64        // every batch below it is durable
		truncGen      uint64       // bumped by truncation, so a racing sync does not claim the new tail
		epochs        []epochEntry // copy-on-write
		closed        bool
		failed        error // set when an fsync failed: the page cache state is unknown
		// unsynced are rolled segments whose data and index files the
		// next sync must fsync (roll does not wait for the disk).
		unsynced []*segment
		lastSync time.Time
		// irregularEnd is the end offset of the latest batch written that
		// recovery would take for damage were it past the checkpoint's
		// recovery point (an offset gap, an epoch other than the cache's;
		// see strictness); 0 if none.
		irregularEnd int64
		// epochsUnsure: a write of the leader-epoch cache failed, so the
		// file may hold the old or the new cache; until a write succeeds
		// every batch counts as irregular.
		epochsUnsure bool
	}

	syncMu struct {
		sync.Mutex
		cond    *sync.Cond
		running bool
	}
	synced atomic.Int64 // mirror of mu.recoveryPoint for lock-free SyncedOffset

	del deleter
	bg  goGroup // background syncs started by roll

	cleanMu    sync.Mutex   // one compaction of this log at a time
	cleanLimit atomic.Int64 // compaction stays below it (the broker sets the LSO)
	cleanedTo  int64        // mu: offsets below it were compacted since open
}

// Topic is the topic parsed from the directory name "<topic>-<partition>".
func (l *Log) Topic() string { return l.topic }

// Partition is the partition parsed from the directory name, -1 if none.
func (l *Log) Partition() int32 { return l.partition }

// Dir is the partition directory.
func (l *Log) Dir() string { return l.dir }

// Config returns the current config.
func (l *Log) Config() Config { return *l.cfg.Load() }

// SetConfig replaces the config (topic config changed at runtime). An invalid
// config is logged and ignored.
func (l *Log) SetConfig(cfg Config) {
	if err := cfg.Validate(); err != nil {
		l.logger.Error("ignoring invalid log config", "dir", l.dir, "err", err)
		return
	}
	l.cfg.Store(&cfg)
}

// parsePartitionDir splits "<topic>-<partition>".
func parsePartitionDir(name string) (string, int32, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 {
		return name, -1, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strconv.Itoa(int(p)) != name[i+1:] {
		return name, -1, false
	}
	return name[:i], int32(p), true
}

// Open opens the partition directory dir, creating it if needed, and recovers
// it if it was not closed cleanly: every segment past the recovery point is
// scanned, each batch's length and CRC checked, and the log is truncated at
// the first bad byte. Corruption that cannot be repaired by truncating a tail
// returns an ErrCorrupt-class error.
func Open(dir string, cfg Config, opts Options) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	l := &Log{dir: filepath.Clean(dir), fs: opts.FS, now: opts.Now, opts: opts}
	l.topic, l.partition, _ = parsePartitionDir(filepath.Base(l.dir))
	l.logger = opts.Logger.With("dir", l.dir)
	l.cfg.Store(&cfg)
	l.cleanLimit.Store(math.MaxInt64)
	l.syncMu.cond = sync.NewCond(&l.syncMu.Mutex)
	l.del.init(l.fs, l.logger, opts.pool)
	if err := l.open(); err != nil {
		l.closeFiles()
		return nil, err
	}
	return l, nil
}

func (l *Log) open() error {
	if _, err := l.fs.Stat(l.dir); errors.Is(err, fs.ErrNotExist) {
		if err := l.fs.MkdirAll(l.dir, 0o755); err != nil {
			return ioErr("create partition dir", err)
		}
		if err := l.fs.SyncDir(filepath.Dir(l.dir)); err != nil {
			return ioErr("sync data dir", err)
		}
	} else if err != nil {
		return ioErr("stat partition dir", err)
	}
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return ioErr("read partition dir", err)
	}
	sizes := map[int64]int64{}
	var bases []int64
	var strays []string
	swaps := map[string]bool{}
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, deletedSuffix), strings.HasSuffix(name, ".tmp"), strings.HasSuffix(name, cleanedSuffix):
			strays = append(strays, name)
		case strings.HasSuffix(name, swapSuffix):
			swaps[name] = true
		}
	}
	// A .swap file is complete compaction output (it was synced before being
	// renamed to .swap): finish the swap.
	for name := range swaps {
		final := strings.TrimSuffix(name, swapSuffix)
		if err := l.fs.Rename(filepath.Join(l.dir, name), filepath.Join(l.dir, final)); err != nil {
			return ioErr("finish compaction swap", err)
		}
		l.logger.Info("finished interrupted compaction swap", "file", final)
	}
	if len(swaps) > 0 {
		if ents, err = l.fs.ReadDir(l.dir); err != nil {
			return ioErr("read partition dir", err)
		}
	}
	for _, e := range ents {
		name := e.Name()
		if base, ok := parseSegmentName(name, logSuffix); ok {
			info, err := e.Info()
			if err != nil {
				return ioErr("stat segment", err)
			}
			bases = append(bases, base)
			sizes[base] = info.Size()
		}
	}
	for _, name := range strays {
		if err := l.fs.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.logger.Warn("cannot remove leftover file", "file", name, "err", err)
		}
	}
	slices.Sort(bases)

	ckpt, err := readPartitionCheckpoint(l.fs, l.dir)
	haveCkpt := err == nil
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			if !errors.Is(err, ErrCorrupt) {
				return ioErr("read checkpoint", err)
			}
			l.logger.Warn("partition checkpoint unreadable, recovering every segment", "err", err)
		}
		ckpt = partitionCheckpoint{}
	}
	l.lastCkpt = ckpt
	if !haveCkpt {
		l.lastCkpt.logStart = -1 // nothing on disk: the next checkpoint writes
	}
	epochs, err := readEpochCheckpoint(l.fs, l.dir)
	haveEpochs := err == nil
	rebuildEpochs := false
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			if !errors.Is(err, ErrCorrupt) {
				return ioErr("read leader epoch checkpoint", err)
			}
			l.logger.Warn("leader epoch checkpoint unreadable, rebuilding it from the batches", "err", err)
			rebuildEpochs = true
		} else if len(bases) > 0 && !haveCkpt {
			rebuildEpochs = true
		}
		epochs = nil
	}

	now := l.now()
	if len(bases) == 0 {
		base := ckpt.logStart
		s := newSegment(l.dir, base, now)
		f, err := l.createSegmentFile(s)
		if err != nil {
			return err
		}
		s.file = f
		s.loaded = true
		if err := l.fs.SyncDir(l.dir); err != nil {
			return ioErr("sync partition dir", err)
		}
		l.mu.segs = []*segment{s}
		l.mu.logStart, l.mu.leo, l.mu.recoveryPoint = base, base, base
		l.mu.epochs = truncateEpochsFromEnd(epochs, base)
		if !slices.Equal(l.mu.epochs, epochs) {
			if err := l.writeEpochs(l.mu.epochs); err != nil {
				return err
			}
		}
		l.synced.Store(base)
		l.mu.lastSync = now
		// A checkpoint from the start: recovery is strict about offset gaps
		// past the recovery point only when it has one.
		return l.checkpoint(false)
	}
	segs := make([]*segment, len(bases))
	for i, b := range bases {
		s := newSegment(l.dir, b, now)
		s.size = sizes[b]
		if i+1 < len(bases) {
			s.next = bases[i+1]
		}
		segs[i] = s
	}
	// Drop index files without a .log.
	for _, e := range ents {
		for _, suf := range []string{indexSuffix, timeIndexSuffix} {
			if b, ok := parseSegmentName(e.Name(), suf); ok {
				if _, has := sizes[b]; !has {
					_ = l.fs.Remove(filepath.Join(l.dir, e.Name()))
				}
			}
		}
	}
	l.mu.segs = segs
	last := segs[len(segs)-1]
	l.mu.epochs = epochs
	clean := ckpt.clean && !rebuildEpochs && ckpt.recoveryPoint >= last.base &&
		(last.size > 0 || ckpt.recoveryPoint == last.base) && (last.size == 0) == (ckpt.recoveryPoint == last.base)
	if clean {
		last.next = ckpt.recoveryPoint
		l.mu.leo = ckpt.recoveryPoint
		l.mu.recoveryPoint = ckpt.recoveryPoint
		l.ckptClean = true
	} else {
		if ckpt.clean {
			l.logger.Warn("clean-shutdown checkpoint does not match the segments, recovering", "recovery-point", ckpt.recoveryPoint)
		}
		from := ckpt.recoveryPoint
		if rebuildEpochs {
			from = 0
		}
		strict := strictness{from: ckpt.recoveryPoint, epochs: epochs, checkEpochs: haveEpochs && !rebuildEpochs, logStart: ckpt.logStart}
		if !haveCkpt {
			strict = lenient // compacted segments may have gaps
		}
		if err := l.recover(from, strict, rebuildEpochs); err != nil {
			return err
		}
	}
	l.mu.logStart = max(ckpt.logStart, l.mu.segs[0].base)
	l.mu.logStart = min(l.mu.logStart, l.mu.leo)
	l.mu.epochs = truncateEpochsFromStart(truncateEpochsFromEnd(l.mu.epochs, l.mu.leo), l.mu.logStart)
	l.synced.Store(l.mu.recoveryPoint)
	l.mu.lastSync = now
	// The checkpoint first: its recovery point covers every batch, so a
	// cache rebuilt from the batches cannot make the next recovery take
	// one of them for damage (strictness).
	if !clean {
		if err := l.checkpoint(false); err != nil {
			return err
		}
	}
	// The cache file is rewritten whenever it changed, after a clean
	// shutdown too (an epoch assigned at the log end and never used): the
	// appenders judge a batch's epoch by the cache in memory, recovery by
	// the one on disk, and the two must agree.
	if !slices.Equal(l.mu.epochs, epochs) {
		if err := l.writeEpochs(l.mu.epochs); err != nil {
			return err
		}
	}
	return nil
}

// recover scans every segment holding offsets at or after from, checking each
// batch (its structure and CRC, and the strictness rules), truncates at the
// first bad byte, drops later segments, rebuilds the indexes of what it
// scanned and makes it durable. With epochs set it also rebuilds the
// leader-epoch cache from the batches (scanning everything).
// Recovered reports whether opening the log had to scan segments after an
// unclean shutdown.
func (l *Log) Recovered() bool { return l.recovered }

func (l *Log) recover(from int64, strict strictness, epochs bool) error {
	segs := l.mu.segs
	k := sort.Search(len(segs), func(i int) bool { return segs[i].base > from }) - 1
	k = max(k, 0)
	interval := l.cfg.Load().IndexIntervalBytes
	l.logger.Debug("recovering log", "from-segment", segs[k].base, "segments", len(segs)-k)
	start := time.Now()
	prevNext := int64(0)
	if k > 0 {
		prevNext = segs[k-1].next
	}
	for i := k; i < len(segs); i++ {
		s := segs[i]
		f, err := s.openFile(l.fs)
		if err != nil {
			return err
		}
		st, next, badPos, err := scanIndexes(f, s.base, s.size, interval, true, prevNext, strict)
		if err != nil && !errors.Is(err, ErrCorrupt) {
			return err
		}
		if epochs {
			if e := l.rebuildEpochsFrom(f, badPos); e != nil {
				return e
			}
		}
		if err != nil && isScrubbed(f, badPos) {
			// Where the new data of a reused file ends (recycle.go).
			l.logger.Debug("reused segment file ends", "segment", s.logPath(), "position", badPos)
		} else if err != nil {
			l.logger.Warn("truncating log at the first bad byte", "segment", s.logPath(), "position", badPos, "size", s.size, "err", err)
		}
		if err != nil {
			if terr := f.Truncate(badPos); terr != nil {
				return ioErr("truncate torn segment", terr)
			}
			s.size = badPos
			for _, d := range segs[i+1:] {
				l.logger.Warn("deleting segment after a torn one", "segment", d.logPath())
				if f := d.takeFile(); f != nil {
					f.Close()
				}
				for _, p := range []string{d.logPath(), d.idxPath(), d.tidxPath()} {
					if rerr := l.fs.Remove(p); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
						return ioErr("remove segment", rerr)
					}
				}
			}
			segs = segs[:i+1]
			if serr := l.fs.SyncDir(l.dir); serr != nil {
				return ioErr("sync partition dir", serr)
			}
		}
		s.next = next
		s.setState(st)
		if serr := f.Sync(); serr != nil {
			return ioErr("sync recovered segment", serr)
		}
		if i < len(segs)-1 {
			if werr := writeIndexFiles(l.fs, s, st, true); werr != nil {
				return werr
			}
		}
		prevNext = next
	}
	l.mu.segs = segs
	last := segs[len(segs)-1]
	l.mu.leo = last.next
	l.mu.recoveryPoint = last.next
	l.logger.Debug("recovered log", "log-end-offset", last.next, "took", time.Since(start))
	l.recovered = true
	return nil
}

func (l *Log) rebuildEpochsFrom(f vfs.File, end int64) error {
	sc := newScanner(f, 0, end, false)
	for {
		h, _, _, err := sc.next()
		if err == errScanEnd {
			return nil
		}
		if err != nil {
			return err
		}
		es := l.mu.epochs
		if h.PartitionLeaderEpoch >= 0 && (len(es) == 0 || h.PartitionLeaderEpoch > es[len(es)-1].epoch) {
			l.mu.epochs = append(slices.Clip(es), epochEntry{epoch: h.PartitionLeaderEpoch, start: h.BaseOffset})
		}
	}
}

// loadSegment makes s's in-memory indexes valid, reading its index files, or
// rebuilding them from the .log file if they are missing or fail the sanity
// check (which is logged).
func (l *Log) loadSegment(s *segment) error {
	l.mu.RLock()
	loaded, size, next := s.loaded, s.size, s.next
	l.mu.RUnlock()
	if loaded {
		return nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	l.mu.RLock()
	loaded = s.loaded
	l.mu.RUnlock()
	if loaded {
		return nil
	}
	maxRel := next - s.base
	if maxRel <= 0 {
		maxRel = 1 << 31
	}
	st := newIndexState()
	var err error
	var ib, tb []byte
	ib, err = vfs.ReadFile(l.fs, s.idxPath())
	if err == nil {
		tb, err = vfs.ReadFile(l.fs, s.tidxPath())
	}
	if err == nil {
		st.idx, err = decodeOffsetIndex(ib, size, maxRel)
	}
	if err == nil {
		st.tidx, err = decodeTimeIndex(tb, maxRel)
	}
	if err == nil && size > 0 && len(st.tidx) == 0 {
		err = corruptf("empty time index for a non-empty segment")
	}
	if err == nil {
		if n := len(st.tidx); n > 0 {
			st.maxTs, st.maxTsOff = st.tidx[n-1].ts, s.base+int64(st.tidx[n-1].rel)
		}
		if n := len(st.idx); n > 0 {
			st.bytesSince = size - int64(st.idx[n-1].pos)
		} else {
			st.bytesSince = size
		}
	} else {
		if errors.Is(err, ErrCorrupt) || errors.Is(err, fs.ErrNotExist) {
			l.logger.Warn("rebuilding segment index", "segment", s.logPath(), "reason", err)
		} else {
			return ioErr("read index", err)
		}
		f, err := s.openForRead(l.fs)
		if err != nil {
			return err
		}
		var n int64
		var bad int64
		st, n, bad, err = scanIndexes(f, s.base, size, l.cfg.Load().IndexIntervalBytes, false, 0, lenient)
		if err != nil {
			l.logger.Error("segment unreadable", "segment", s.logPath(), "position", bad, "err", err)
			return err
		}
		next = n
		if werr := writeIndexFiles(l.fs, s, st, false); werr != nil {
			l.logger.Warn("cannot rewrite index", "segment", s.logPath(), "err", werr)
		}
	}
	l.mu.Lock()
	s.setState(st)
	if s.next < next {
		s.next = next
	}
	l.mu.Unlock()
	return nil
}

// LogStartOffset is the first readable offset.
func (l *Log) LogStartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.mu.logStart
}

// LogEndOffset is the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.mu.leo
}

// Size is the total size of the segment files in bytes.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.mu.segs {
		n += s.size
	}
	return n
}

// NumSegments is the number of segments.
func (l *Log) NumSegments() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.mu.segs)
}

// SegmentBaseOffsets lists the segments' base offsets (ListOffsets v0).
func (l *Log) SegmentBaseOffsets() []int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]int64, len(l.mu.segs))
	for i, s := range l.mu.segs {
		out[i] = s.base
	}
	return out
}

func (l *Log) snapshot() (segs []*segment, logStart, leo int64, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.mu.closed {
		return nil, 0, 0, ErrClosed
	}
	return l.mu.segs, l.mu.logStart, l.mu.leo, nil
}

// checkpoint writes the partition checkpoint if it changed. Callers hold
// appendMu or call during open/close.
func (l *Log) checkpoint(clean bool) error {
	l.ckptMu.Lock()
	defer l.ckptMu.Unlock()
	l.mu.RLock()
	c := partitionCheckpoint{logStart: l.mu.logStart, recoveryPoint: l.mu.recoveryPoint, clean: clean}
	l.mu.RUnlock()
	if c == l.lastCkpt {
		return nil
	}
	if err := l.writeFileAtomic(partitionCheckpointFile, c.encode()); err != nil {
		return ioErr("write partition checkpoint", err)
	}
	l.lastCkpt = c
	return nil
}

// checkpointIrregular writes the checkpoint if a batch that recovery would
// take for damage (see strictness) lies past the recovery point on disk, so
// that a sync reports such a batch durable only once recovery keeps it.
func (l *Log) checkpointIrregular() error {
	l.ckptMu.Lock()
	defer l.ckptMu.Unlock()
	l.mu.RLock()
	c := partitionCheckpoint{logStart: l.mu.logStart, recoveryPoint: l.mu.recoveryPoint}
	need := l.mu.irregularEnd > l.lastCkpt.recoveryPoint
	l.mu.RUnlock()
	if !need || c == l.lastCkpt {
		return nil
	}
	if err := l.writeFileAtomic(partitionCheckpointFile, c.encode()); err != nil {
		return ioErr("write partition checkpoint", err)
	}
	l.lastCkpt = c
	return nil
}

// Checkpoint persists the current log start offset and recovery point (the
// Dir does this every CheckpointInterval). It writes nothing if they did not
// change.
func (l *Log) Checkpoint() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if l.isClosed() {
		return ErrClosed
	}
	if l.ckptClean {
		return nil
	}
	return l.checkpoint(false)
}

func (l *Log) isClosed() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.mu.closed
}

// markDirtyLocked rewrites a clean checkpoint as unclean before the first
// change after a clean open. appendMu held.
func (l *Log) markDirtyLocked() error {
	if !l.ckptClean {
		return nil
	}
	if err := l.checkpoint(false); err != nil {
		return err
	}
	l.ckptClean = false
	return nil
}

// Close flushes the log, writes the indexes and a clean-shutdown checkpoint
// and closes every file. Ranges handed out by Read are not valid after Close.
// Close is idempotent.
func (l *Log) Close() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	closed, failed := l.mu.closed, l.mu.failed
	l.mu.RUnlock()
	if closed {
		return nil
	}
	var err error
	if failed == nil && !l.ckptClean {
		err = l.flushForClose()
	}
	l.mu.Lock()
	l.mu.closed = true
	l.mu.Unlock()
	l.syncMu.Lock()
	l.syncMu.cond.Broadcast()
	l.syncMu.Unlock()
	l.bg.Wait()
	if err == nil && failed == nil && !l.ckptClean {
		err = l.checkpoint(true)
	}
	l.del.close()
	l.closeFiles()
	return err
}

// flushForClose syncs the active segment and writes its index files, then
// sets the recovery point to the log end. appendMu held.
func (l *Log) flushForClose() error {
	l.mu.RLock()
	s := l.mu.segs[len(l.mu.segs)-1]
	leo := l.mu.leo
	loaded := s.loaded
	st := s.state()
	size := s.size
	l.mu.RUnlock()
	f, err := s.openFile(l.fs)
	if err != nil {
		return err
	}
	// Drop bytes of a failed write past the published end, so that the file
	// size is the segment size on the next open.
	if info, err := f.Stat(); err == nil && info.Size() > size {
		if err := f.Truncate(size); err != nil {
			return ioErr("truncate segment", err)
		}
	}
	if _, err := l.syncOnce(); err != nil {
		return err
	}
	if loaded {
		if err := writeIndexFiles(l.fs, s, st, true); err != nil {
			return err
		}
	}
	l.mu.Lock()
	l.mu.recoveryPoint = leo
	l.mu.Unlock()
	l.synced.Store(leo)
	return nil
}

func (l *Log) closeFiles() {
	l.mu.RLock()
	segs := l.mu.segs
	l.mu.RUnlock()
	for _, s := range segs {
		if f := s.takeFile(); f != nil {
			f.Close()
		}
	}
}

// Delete removes the partition directory (topic deletion). The log is closed;
// the directory is renamed to "<dir>.<unix-nanos>-delete" at once and removed
// after file.delete.delay.ms, so that ranges handed out earlier stay readable
// until then.
func (l *Log) Delete() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.mu.closed = true
	segs := l.mu.segs
	l.mu.Unlock()
	l.syncMu.Lock()
	l.syncMu.cond.Broadcast()
	l.syncMu.Unlock()
	l.bg.Wait()
	target := fmt.Sprintf("%s.%d-delete", l.dir, time.Now().UnixNano())
	if err := l.fs.Rename(l.dir, target); err != nil {
		return ioErr("rename deleted partition", err)
	}
	if err := l.fs.SyncDir(filepath.Dir(l.dir)); err != nil {
		l.logger.Warn("cannot sync data dir after delete", "err", err)
	}
	var files []vfs.File
	var reuse []reuseCandidate
	for _, s := range segs {
		f, c := l.retire(s, filepath.Join(target, filepath.Base(s.logPath())))
		if f != nil {
			files = append(files, f)
		}
		reuse = append(reuse, c)
	}
	l.del.schedule(l.delay(), files, nil, target, reuse...)
	l.del.closeAfterPending()
	l.logger.Info("deleted partition", "renamed-to", target)
	return nil
}

// retire detaches the file of s, a deleted segment whose .log file is now at
// path, and describes it for the pool.
func (l *Log) retire(s *segment, path string) (vfs.File, reuseCandidate) {
	f, lastRead := s.retireFile()
	l.mu.RLock()
	size := s.size
	l.mu.RUnlock()
	return f, reuseCandidate{path: path, size: size, lastRead: lastRead}
}

// createSegmentFile creates s's empty .log file, or moves a file from the
// pool there (s.reused). appendMu held, or the log not yet shared.
func (l *Log) createSegmentFile(s *segment) (vfs.File, error) {
	if f, ok := l.opts.pool.take(s.logPath()); ok {
		s.reused = true
		return f, nil
	}
	f, err := l.fs.OpenFile(s.logPath(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, ioErr("create segment", err)
	}
	return f, nil
}

func (l *Log) delay() time.Duration {
	return time.Duration(l.cfg.Load().FileDeleteDelayMs) * time.Millisecond
}

// fail marks the log failed after an fsync error.
func (l *Log) fail(err error) {
	l.mu.Lock()
	if l.mu.failed == nil {
		l.mu.failed = err
	}
	l.mu.Unlock()
	l.logger.Error("log failed: fsync error, refusing further writes", "err", err)
}

func (l *Log) checkWritable() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.mu.closed {
		return ErrClosed
	}
	if l.mu.failed != nil {
		return fmt.Errorf("storage: log failed earlier: %w", l.mu.failed)
	}
	return nil
}

var _ = os.O_RDONLY
