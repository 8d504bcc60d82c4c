package storage

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Compaction (cleanup.policy=compact or compact,delete), KAFKA-NOTES 3.5.
//
// The cleaner rewrites closed segments below the recovery point (and below
// the log's clean limit, which the broker sets to the last stable offset)
// keeping, for each key, only the record with the highest offset. Offsets
// never change: records vanish from inside batches, which keep their base
// offset, lastOffsetDelta, producer fields and codec (the kept records are
// recompressed with it). A batch left empty is dropped, unless it is the last
// batch of its producer id in the cleaned range: that one stays as a header
// with no records, so idempotence state survives. Tombstones (null value) are
// dropped once their batch's max timestamp is older than delete.retention.ms.
// Control batches (transaction markers) are always kept: markers share a key
// and must not be deduplicated, and storage does not know which transactions
// were aborted. Segments are cleaned once min.cleanable.dirty.ratio of the
// cleanable bytes were never cleaned since the log was opened.
//
// Swap protocol, crash-safe: the output is written to <base>.log.cleaned and
// fsynced, renamed to <base>.log.swap (complete), the directory synced, then
// renamed over <base>.log. Open finishes a .swap it finds and removes any
// .cleaned. The replaced file stays open for file.delete.delay.ms.

// Cleaner compacts logs whose cleanup.policy includes compact. It is safe for
// concurrent use, but cleans one log at a time.
type Cleaner struct {
	opts Options
}

// NewCleaner returns a cleaner using opts' I/O rate limit, clock and logger.
func NewCleaner(opts Options) *Cleaner { return &Cleaner{opts: opts.withDefaults()} }

// SetCleanLimit bounds compaction to offsets below limit (set it to the last
// stable offset so open transactions are never compacted). Default: no limit.
func (l *Log) SetCleanLimit(limit int64) { l.cleanLimit.Store(limit) }

// Clean compacts l if its policy includes compact and it is due (dirty ratio
// at least min.cleanable.dirty.ratio), or whenever force is set. It reports
// whether it rewrote anything.
func (c *Cleaner) Clean(ctx context.Context, l *Log, force bool) (bool, error) {
	cfg := l.cfg.Load()
	if !cfg.compact() {
		return false, nil
	}
	segs, _, _, err := l.snapshot()
	if err != nil {
		return false, err
	}
	for _, s := range segs[:len(segs)-1] {
		if err := l.loadSegment(s); err != nil {
			return false, err
		}
	}
	nowMs := l.now().UnixMilli()
	l.mu.RLock()
	rp := l.mu.recoveryPoint
	limit := min(rp, l.cleanLimit.Load())
	var cand []*segment
	var dirty, total int64
	for _, s := range segs[:len(segs)-1] {
		if s.next > limit {
			break
		}
		if cfg.MinCompactionLagMs > 0 && s.maxTs > nowMs-cfg.MinCompactionLagMs {
			break
		}
		cand = append(cand, s)
		total += s.size
		if s.base >= l.cleanedTo {
			dirty += s.size
		}
	}
	l.mu.RUnlock()
	if len(cand) == 0 || total == 0 {
		return false, nil
	}
	if !force && float64(dirty)/float64(total) < cfg.MinCleanableDirtyRatio {
		return false, nil
	}
	l.cleanMu.Lock()
	defer l.cleanMu.Unlock()
	throttle := newThrottle(c.opts.CleanerIOBytesPerSecond)

	// Pass 1: the latest offset of every key, and each producer's last batch.
	latest := map[string]int64{}        // key -> offset of its latest record
	lastOfProducer := map[int64]int64{} // producer id -> base offset of its last batch
	for _, s := range cand {
		err := l.eachBatch(ctx, s, throttle, func(h BatchHeader, b []byte) error {
			if h.ProducerID >= 0 {
				lastOfProducer[h.ProducerID] = h.BaseOffset
			}
			if h.IsControl() {
				return nil
			}
			_, recs, err := batchRecords(b)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if r.Key != nil {
					latest[string(r.Key)] = h.BaseOffset + int64(r.OffsetDelta)
				}
			}
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	// Pass 2: rewrite each segment and swap it in.
	horizon := nowMs - cfg.DeleteRetentionMs
	cleaned := false
	for _, s := range cand {
		did, err := l.cleanSegment(ctx, s, throttle, latest, lastOfProducer, horizon)
		if err != nil {
			return cleaned, err
		}
		cleaned = cleaned || did
	}
	l.mu.Lock()
	l.cleanedTo = max(l.cleanedTo, cand[len(cand)-1].next)
	l.mu.Unlock()
	return cleaned, nil
}

// eachBatch calls fn with every whole, verified batch of s.
func (l *Log) eachBatch(ctx context.Context, s *segment, th *throttle, fn func(BatchHeader, []byte) error) error {
	f, err := s.openForRead(l.fs)
	if err != nil {
		return err
	}
	l.mu.RLock()
	size := s.size
	l.mu.RUnlock()
	sc := newScanner(f, 0, size, true)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, _, b, err := sc.next()
		if err == errScanEnd {
			return nil
		}
		if err != nil {
			return err
		}
		th.wait(h.Size())
		if err := fn(h, b); err != nil {
			return err
		}
	}
}

// cleanSegment rewrites s without the records that lost to a later one with
// the same key or are expired tombstones, and swaps the result in.
func (l *Log) cleanSegment(ctx context.Context, s *segment, th *throttle, latest map[string]int64, lastOfProducer map[int64]int64, horizon int64) (bool, error) {
	tmp := s.logPath() + cleanedSuffix
	out, err := vfs.Create(l.fs, tmp)
	if err != nil {
		return false, ioErr("create cleaned segment", err)
	}
	discard := func() {
		out.Close()
		_ = l.fs.Remove(tmp)
	}
	var pos int64
	changed := false
	err = l.eachBatch(ctx, s, th, func(h BatchHeader, b []byte) error {
		keep := b
		if !h.IsControl() {
			_, recs, err := batchRecords(b)
			if err != nil {
				return err
			}
			var raw []byte
			n := 0
			for _, r := range recs {
				off := h.BaseOffset + int64(r.OffsetDelta)
				if r.Key != nil && latest[string(r.Key)] != off {
					continue // superseded
				}
				if r.Value == nil && h.MaxTimestamp < horizon {
					continue // expired tombstone
				}
				raw = append(raw, r.Raw...)
				n++
			}
			if n < len(recs) {
				changed = true
				if n == 0 && (h.ProducerID < 0 || lastOfProducer[h.ProducerID] != h.BaseOffset) {
					return nil
				}
				nh := h
				nh.NumRecords = int32(n)
				if keep, err = encodeBatch(nh, raw); err != nil {
					return err
				}
			}
		}
		th.wait(int64(len(keep)))
		if _, err := out.WriteAt(keep, pos); err != nil {
			return ioErr("write cleaned segment", err)
		}
		pos += int64(len(keep))
		return nil
	})
	if err != nil || !changed {
		discard()
		return false, err
	}
	if err := out.Sync(); err != nil {
		discard()
		return false, ioErr("sync cleaned segment", err)
	}
	st, _, bad, err := scanIndexes(out, s.base, pos, l.cfg.Load().IndexIntervalBytes, false, 0, lenient)
	if err != nil {
		discard()
		return false, fmt.Errorf("cleaned segment unreadable at %d: %w", bad, err)
	}

	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	i := slices.Index(l.mu.segs, s)
	live := i >= 0 && i < len(l.mu.segs)-1 && !l.mu.closed
	l.mu.RUnlock()
	if !live {
		discard() // deleted or truncated meanwhile
		return false, nil
	}
	// The cleaned segment has offset gaps, which recovery takes for damage
	// past the checkpoint's recovery point (strictness): the recovery point,
	// past this segment in memory, goes to disk before the swap can. A clean
	// checkpoint already vouches for the whole log.
	if !l.ckptClean {
		if err := l.checkpoint(false); err != nil {
			discard()
			return false, err
		}
	}
	swap := s.logPath() + swapSuffix
	if err := l.fs.Rename(tmp, swap); err != nil {
		discard()
		return false, ioErr("rename cleaned segment", err)
	}
	if err := l.syncDir(); err != nil {
		out.Close()
		return false, err
	}
	// From here a crash finishes the swap on open.
	if err := l.fs.Rename(swap, s.logPath()); err != nil {
		out.Close()
		return false, ioErr("swap cleaned segment", err)
	}
	ns := newSegment(l.dir, s.base, s.created)
	ns.file = out
	ns.size = pos
	l.mu.RLock()
	ns.next = s.next
	l.mu.RUnlock()
	ns.setState(st)
	if err := writeIndexFiles(l.fs, ns, st, true); err != nil {
		l.logger.Warn("cannot write cleaned segment's index", "err", err)
	}
	if err := l.syncDir(); err != nil {
		return false, err
	}
	l.mu.Lock()
	segs := slices.Clone(l.mu.segs)
	segs[i] = ns
	l.mu.segs = segs
	l.mu.Unlock()
	var old []vfs.File
	if f := s.takeFile(); f != nil {
		old = append(old, f)
	}
	l.del.schedule(l.delay(), old, nil, "")
	l.logger.Info("compacted segment", "segment", s.logPath(), "size-before", s.size, "size-after", pos)
	return true, nil
}

// throttle bounds the cleaner's I/O rate.
type throttle struct {
	rate  float64
	start time.Time
	bytes float64
}

func newThrottle(rate float64) *throttle { return &throttle{rate: rate, start: time.Now()} }

func (t *throttle) wait(n int64) {
	if t.rate <= 0 {
		return
	}
	t.bytes += float64(n)
	ahead := time.Duration(t.bytes/t.rate*float64(time.Second)) - time.Since(t.start)
	if ahead > 0 {
		time.Sleep(ahead)
	}
}
