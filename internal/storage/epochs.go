package storage

import (
	"slices"
	"sort"
)

// The leader-epoch cache: (epoch, start offset) pairs, epochs and offsets
// increasing, persisted in leader-epoch-checkpoint (format in checkpoint.go)
// and truncated together with the log (KAFKA-NOTES 3.2).

// LatestEpoch is the newest epoch in the cache, -1 if none.
func (l *Log) LatestEpoch() int32 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if n := len(l.mu.epochs); n > 0 {
		return l.mu.epochs[n-1].epoch
	}
	return -1
}

// Epochs returns a copy of the cache (for tests and tools).
func (l *Log) Epochs() [][2]int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([][2]int64, len(l.mu.epochs))
	for i, e := range l.mu.epochs {
		out[i] = [2]int64{int64(e.epoch), e.start}
	}
	return out
}

// AssignEpoch records that epoch starts at startOffset and persists the cache.
// Re-assigning the latest epoch is a no-op. An entry that conflicts (an epoch
// at or above epoch, or a start offset at or above startOffset) is removed
// first, with a warning, as Kafka's LeaderEpochFileCache.assign does.
func (l *Log) AssignEpoch(epoch int32, startOffset int64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if err := l.checkWritable(); err != nil {
		return err
	}
	return l.assignEpochLocked(epoch, startOffset)
}

func (l *Log) assignEpochLocked(epoch int32, start int64) error {
	if epoch < 0 || start < 0 {
		return nil
	}
	l.mu.RLock()
	es := l.mu.epochs
	l.mu.RUnlock()
	if n := len(es); n > 0 && es[n-1].epoch == epoch && es[n-1].start <= start {
		return nil
	}
	l.mu.RLock()
	leo := l.mu.leo
	l.mu.RUnlock()
	rewrites := start < leo // batches already written get another epoch
	kept := make([]epochEntry, 0, len(es)+1)
	for _, e := range es {
		if e.epoch >= epoch || e.start >= start {
			l.logger.Warn("leader epoch cache: removing conflicting entry", "epoch", e.epoch, "start", e.start, "new-epoch", epoch, "new-start", start)
			rewrites = rewrites || e.start < leo
			continue
		}
		kept = append(kept, e)
	}
	kept = append(kept, epochEntry{epoch: epoch, start: start})
	if err := l.markDirtyLocked(); err != nil {
		return err
	}
	if rewrites {
		// Recovery takes a batch past the checkpoint's recovery point whose
		// epoch is not the cache's for damage (doc.go): make the batches
		// the new cache disagrees with durable and checkpoint past them
		// before the cache says otherwise.
		if _, err := l.Sync(); err != nil {
			return err
		}
		if err := l.checkpoint(false); err != nil {
			return err
		}
	}
	if err := l.writeEpochs(kept); err != nil {
		return err
	}
	l.mu.Lock()
	l.mu.epochs = kept
	l.mu.Unlock()
	return nil
}

// writeEpochs persists the cache. Callers set l.mu.epochs to es, before or
// after, with appendMu held throughout, so no batch is written while the
// file and the memory disagree.
func (l *Log) writeEpochs(es []epochEntry) error {
	err := l.writeFileAtomic(epochCheckpointFile, encodeEpochs(es))
	l.mu.Lock()
	l.mu.epochsUnsure = err != nil
	l.mu.Unlock()
	if err != nil {
		return ioErr("write leader epoch checkpoint", err)
	}
	return nil
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch with Kafka's
// LeaderEpochFileCache.endOffsetFor semantics: epoch -1 (or an empty cache
// asked for an unknown epoch) gives (-1, -1); the latest epoch gives (epoch,
// LogEndOffset); otherwise the end offset is the start offset of the first
// epoch above the requested one and the epoch is the largest known one at or
// below it (the requested epoch itself if none is older); an epoch above every
// known one gives (-1, -1).
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	es := l.mu.epochs
	if epoch < 0 {
		return -1, -1
	}
	if n := len(es); n > 0 && es[n-1].epoch == epoch {
		return epoch, l.mu.leo
	}
	i, _ := slices.BinarySearchFunc(es, epoch+1, func(e epochEntry, t int32) int { return int(e.epoch) - int(t) })
	if i == len(es) {
		return -1, -1
	}
	higher := es[i]
	if i == 0 {
		return epoch, higher.start
	}
	return es[i-1].epoch, higher.start
}

// epochAt is the epoch the cache gives offset: that of the last entry
// starting at or below it, -1 if none.
func epochAt(es []epochEntry, offset int64) int32 {
	i := sort.Search(len(es), func(i int) bool { return es[i].start > offset })
	if i == 0 {
		return -1
	}
	return es[i-1].epoch
}

// truncateEpochsFromEnd drops entries starting at or after end.
func truncateEpochsFromEnd(es []epochEntry, end int64) []epochEntry {
	i := len(es)
	for i > 0 && es[i-1].start >= end {
		i--
	}
	return es[:i:i]
}

// truncateEpochsFromStart drops entries wholly below start; the latest of
// them is kept, moved to start.
func truncateEpochsFromStart(es []epochEntry, start int64) []epochEntry {
	i := 0
	for i+1 < len(es) && es[i+1].start <= start {
		i++
	}
	if len(es) == 0 || es[i].start >= start {
		return es[i:]
	}
	out := slices.Clone(es[i:])
	out[0].start = start
	return out
}
