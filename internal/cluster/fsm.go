package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"
)

// fsm applies the metadata log to the image. Raft calls ApplyBatch, Snapshot
// and Restore from its single FSM goroutine; Image and waitApplied are safe
// from any goroutine.
//
// Lock order: fsm.mu, then fsm.appliedMu. Neither is held across I/O.
type fsm struct {
	log *slog.Logger

	// mu serialises publishers (the FSM goroutine and controller changes from
	// the node's watcher) so that each new image derives from the latest one.
	mu  sync.Mutex
	img atomic.Pointer[Image]

	appliedMu struct {
		sync.Mutex
		index uint64        // index of the last entry handed to the FSM
		ch    chan struct{} // closed and replaced when index advances
	}
}

var _ raft.BatchingFSM = (*fsm)(nil)

func newFSM(log *slog.Logger) *fsm {
	f := &fsm{log: log}
	f.img.Store(emptyImage())
	f.appliedMu.ch = make(chan struct{})
	return f
}

// Image returns the current image; never nil.
func (f *fsm) Image() *Image { return f.img.Load() }

// publishLocked makes img current and wakes waiters on the previous one.
// f.mu must be held; img must not be shared yet.
func (f *fsm) publishLocked(img *Image) {
	img.changed = make(chan struct{})
	old := f.img.Swap(img)
	close(old.changed)
}

// setController publishes an image with a new ControllerID, if it changed.
func (f *fsm) setController(id int32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.img.Load()
	if cur.ControllerID == id {
		return
	}
	next := *cur
	next.ControllerID = id
	f.publishLocked(&next)
}

func (f *fsm) setApplied(index uint64) {
	f.appliedMu.Lock()
	defer f.appliedMu.Unlock()
	if index != f.appliedMu.index {
		f.appliedMu.index = index
		close(f.appliedMu.ch)
		f.appliedMu.ch = make(chan struct{})
	}
}

func (f *fsm) applied() (uint64, <-chan struct{}) {
	f.appliedMu.Lock()
	defer f.appliedMu.Unlock()
	return f.appliedMu.index, f.appliedMu.ch
}

// waitApplied blocks until the FSM has applied index, ctx ends (its error) or
// closing is closed (ErrClosed).
func (f *fsm) waitApplied(ctx context.Context, index uint64, closing <-chan struct{}) error {
	for {
		cur, ch := f.applied()
		if cur >= index {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
			return ErrClosed
		}
	}
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

// ApplyBatch implements raft.BatchingFSM: it applies the commands in order to
// one builder and publishes at most one image for the batch, before raft
// answers the futures (so a Propose that returns sees its change in Image).
// The response of a LogCommand entry is its Result; other entry types get nil.
func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	res := make([]any, len(logs))
	if len(logs) == 0 {
		return res
	}
	f.mu.Lock()
	b := newBuilder(f.img.Load())
	var last uint64
	for i, l := range logs {
		last = l.Index
		if l.Type != raft.LogCommand {
			continue
		}
		cmd, err := decodeCommand(l.Data)
		if err != nil {
			// Every node reads the same bytes, so every node skips this entry.
			f.log.Error("metadata log entry does not decode; skipped", "index", l.Index, "err", err)
			res[i] = Result{Err: err, Index: l.Index}
			continue
		}
		res[i] = b.apply(l.Index, cmd)
	}
	if b.dirty() {
		f.publishLocked(b.img)
	}
	f.mu.Unlock()
	f.setApplied(last)
	return res
}

// Snapshot implements raft.FSM. It captures the current (immutable) image;
// encoding happens in Persist, concurrently with later applies.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	applied, _ := f.applied()
	return &fsmSnapshot{img: f.img.Load(), applied: applied}, nil
}

// Restore implements raft.FSM: it replaces the image with the snapshot's.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("cluster: reading metadata snapshot: %w", err)
	}
	img, applied, err := decodeImage(data)
	if err != nil {
		f.log.Error("metadata snapshot does not decode", "bytes", len(data), "err", err)
		return err
	}
	f.mu.Lock()
	img.ControllerID = f.img.Load().ControllerID
	f.publishLocked(img)
	f.mu.Unlock()
	f.setApplied(applied)
	f.log.Debug("metadata image restored from snapshot", "index", img.Index, "applied", applied,
		"topics", len(img.Topics), "brokers", len(img.Brokers))
	return nil
}

type fsmSnapshot struct {
	img     *Image
	applied uint64
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(encodeImage(s.img, s.applied)); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("cluster: writing metadata snapshot: %w", err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}
