package storage

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

var (
	crashIterations = flag.Int("crash.iterations", 400, "random crash points per TestCrashRandom run")
	crashSeed       = flag.Uint64("crash.seed", 0, "seed for TestCrashRandom (0 = time)")
	crashFrom       = flag.Int("crash.from", 0, "first TestCrashRandom iteration (to replay one)")
)

// TestCrashRandom runs a random workload (appends, syncs, rolls, DeleteRecords,
// clean close and reopen) on the crash-simulating FS, takes a crash snapshot
// before a random file-system operation (with a random torn tail of unsynced
// bytes), reopens the snapshot and checks: every synced batch is present and
// byte-identical, nothing partial is readable, the log start offset did not
// move back, and new appends continue at the next offset, surviving another
// crash once synced.
func TestCrashRandom(t *testing.T) {
	iters := *crashIterations
	budget := 20 * time.Second
	if testing.Short() {
		iters, budget = 60, 5*time.Second
	}
	start := time.Now()
	seed := uint64(time.Now().UnixNano())
	if *crashSeed != 0 {
		seed = *crashSeed
	}
	t.Logf("seed %d (replay with -crash.seed=%d -crash.from=N)", seed, seed)
	ran := 0
	for i := *crashFrom; i < iters && time.Since(start) < budget; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		crashOnce(t, rng, i)
		if t.Failed() {
			t.Fatalf("failed at iteration %d (seed %d)", i, seed)
		}
		ran++
	}
	t.Logf("%d crash points in %v", ran, time.Since(start).Round(time.Millisecond))
}

func crashOnce(t *testing.T, rng *rand.Rand, iter int) {
	mem := vfs.NewMem()
	mem.MkdirAll("/data", 0o755)
	mem.SyncDir("/")
	var (
		ops        atomic.Int64
		crashAt    = int64(1 + rng.IntN(400))
		snap       *vfs.MemFS
		synced     atomic.Int64
		logStart   atomic.Int64
		snapSynced int64
		snapStart  int64
	)
	// The injector also runs on background sync goroutines: it uses its own
	// rng and publishes the snapshot under snapMu.
	var snapMu sync.Mutex
	crashRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	efs := vfs.NewErrorFS(mem, func(op vfs.Op, path string) error {
		if ops.Add(1) == crashAt {
			snapMu.Lock()
			snapSynced, snapStart = synced.Load(), logStart.Load()
			snap = mem.Crash(crashRng)
			snapMu.Unlock()
		}
		return nil
	})
	cfg := testCfg()
	cfg.SegmentBytes = 1500 + int64(rng.IntN(2000))
	cfg.IndexIntervalBytes = int64(rng.IntN(300))
	opts := Options{FS: efs, Logger: discardLogger()}
	model := map[int64][]byte{}
	l, err := Open("/data/t-0", cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	epoch := int32(0)
	for step := 0; step < 60; step++ {
		switch r := rng.IntN(100); {
		case r < 65:
			recs := make([]kv, 1+rng.IntN(3))
			for j := range recs {
				recs[j] = kv{key: fmt.Appendf(nil, "k%d", rng.IntN(10)), value: bytes.Repeat([]byte{byte(step)}, rng.IntN(300))}
			}
			if rng.IntN(10) == 0 {
				epoch++
			}
			b := mkBatch(t, CodecNone, int64(step), recs...)
			var info AppendInfo
			var err error
			switch k := rng.IntN(20); {
			case k == 0: // a follower's batch after a gap (compacted leader log)
				setBaseOffset(b, l.LogEndOffset()+1+rng.Int64N(3))
				setLeaderEpoch(b, epoch)
				info, err = l.AppendBatches(b)
			case k == 1: // an epoch the cache does not give it: stale, or -1
				info, err = l.Append(b, epoch-1)
			default:
				info, err = l.Append(b, epoch)
			}
			if err != nil {
				t.Fatalf("append: %v", err)
			}
			model[info.BaseOffset] = bytes.Clone(b)
		case r < 88:
			end, err := l.Sync()
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			synced.Store(end)
		case r < 91:
			leo := l.LogEndOffset()
			to := logStart.Load() + rng.Int64N(leo-logStart.Load()+1)
			if to > synced.Load() {
				to = synced.Load() // only durable offsets, so the check below holds
			}
			if err := l.DeleteRecordsBefore(to); err != nil {
				t.Fatalf("delete records: %v", err)
			}
			logStart.Store(l.LogStartOffset())
		case r < 92:
			// A new epoch starting below the log end: batches already
			// written change epoch in the cache.
			epoch++
			leo := l.LogEndOffset()
			if err := l.AssignEpoch(epoch, max(logStart.Load(), leo-rng.Int64N(5))); err != nil {
				t.Fatalf("assign epoch: %v", err)
			}
		default:
			if err := l.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			synced.Store(l.LogEndOffset())
			if l, err = Open("/data/t-0", cfg, opts); err != nil {
				t.Fatalf("reopen: %v", err)
			}
		}
	}
	l.Close()
	snapMu.Lock()
	if snap == nil {
		snapSynced, snapStart = synced.Load(), logStart.Load()
		snap = mem.Crash(crashRng)
	}
	snapMu.Unlock()

	// Recover the snapshot.
	r, err := Open("/data/t-0", cfg, Options{FS: snap, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("iteration %d: open after crash at op %d: %v", iter, crashAt, err)
	}
	defer r.Close()
	if r.LogEndOffset() < snapSynced {
		t.Fatalf("iteration %d: LEO %d below synced %d (crash at op %d)", iter, r.LogEndOffset(), snapSynced, crashAt)
	}
	if r.LogStartOffset() < snapStart {
		t.Fatalf("iteration %d: log start went back from %d to %d", iter, snapStart, r.LogStartOffset())
	}
	got := readAll(t, r, r.LogStartOffset())
	bases := slices.Sorted(maps.Keys(model))
	next := int64(-1)
	seen := map[int64]bool{}
	for _, b := range got {
		h, _ := ParseBatchHeader(b)
		// The batch after one ending at next is the next one appended
		// (there are gaps where a follower batch skipped offsets).
		if i, _ := slices.BinarySearch(bases, next); next >= 0 && (i == len(bases) || h.BaseOffset != bases[i]) {
			t.Fatalf("iteration %d: gap or overlap: batch at %d after %d", iter, h.BaseOffset, next)
		}
		want, ok := model[h.BaseOffset]
		if !ok || !bytes.Equal(want, b) {
			t.Fatalf("iteration %d: batch at %d is not what was appended", iter, h.BaseOffset)
		}
		seen[h.BaseOffset] = true
		next = h.LastOffset() + 1
	}
	for base, b := range model {
		h, _ := ParseBatchHeader(b)
		if h.LastOffset() < snapSynced && h.LastOffset() >= r.LogStartOffset() && !seen[base] {
			t.Fatalf("iteration %d: synced batch at %d lost (synced %d, crash at op %d)", iter, base, snapSynced, crashAt)
		}
	}
	// The log end is past the last batch only where a follower batch
	// skipped offsets and rolled a segment at its base, then was lost.
	if i, _ := slices.BinarySearch(bases, next); len(got) > 0 && next != r.LogEndOffset() && (i == len(bases) || bases[i] != r.LogEndOffset()) {
		t.Fatalf("iteration %d: last batch ends at %d, LEO %d crashAt %d\n%s", iter, next, r.LogEndOffset(), crashAt, state(r))
	}
	// New appends continue at the next offset and survive a crash once synced.
	leo := r.LogEndOffset()
	info, err := r.Append(mkValues(t, 2, 5, 1), 99)
	if err != nil || info.BaseOffset != leo {
		t.Fatalf("iteration %d: append after recovery at %d (LEO %d): %v", iter, info.BaseOffset, leo, err)
	}
	if _, err := r.Sync(); err != nil {
		t.Fatal(err)
	}
	snap2 := snap.Crash(nil)
	r2, err := Open("/data/t-0", cfg, Options{FS: snap2, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("iteration %d: second recovery: %v", iter, err)
	}
	defer r2.Close()
	if r2.LogEndOffset() != leo+2 || r2.LatestEpoch() != 99 {
		t.Fatalf("iteration %d: after second crash LEO %d (want %d), epoch %d", iter, r2.LogEndOffset(), leo+2, r2.LatestEpoch())
	}
}

// TestCrashTornLeaderEpoch: a torn tail can hold a whole batch whose only
// damage is in its partition leader epoch, which the CRC does not cover.
// Recovery must drop it (and what follows), not serve it: past the recovery
// point every batch carries the epoch the leader-epoch cache gives it.
func TestCrashTornLeaderEpoch(t *testing.T) {
	for _, bad := range []int32{0, -1, 3 | 0x100, 7} {
		t.Run(fmt.Sprintf("epoch=%d", bad), func(t *testing.T) {
			mem := vfs.NewMem()
			mem.MkdirAll("/data", 0o755)
			mem.SyncDir("/")
			l := openT(t, mem, "/data/t-0", testCfg(), nil)
			defer l.Close()
			mustAppend(t, l, mkValues(t, 2, 10, 1)) // epoch 0 at 0
			if _, err := l.Append(mkValues(t, 2, 10, 2), 3); err != nil {
				t.Fatal(err)
			}
			synced, err := l.Sync()
			if err != nil {
				t.Fatal(err)
			}
			want := readAll(t, l, 0)
			if _, err := l.Append(mkValues(t, 1, 10, 3), 3); err != nil { // not synced
				t.Fatal(err)
			}
			torn := readAll(t, l, synced)[0]
			setLeaderEpoch(torn, bad)
			if _, err := VerifyBatch(torn); err != nil {
				t.Fatalf("the damage must be invisible to the CRC: %v", err)
			}

			// The crash keeps the unsynced batch, all but its epoch.
			snap := mem.Crash(nil)
			f, err := snap.OpenFile("/data/t-0/"+segmentName(0)+logSuffix, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := f.Stat()
			if _, err := f.WriteAt(torn, st.Size()); err != nil {
				t.Fatal(err)
			}
			f.Sync()
			f.Close()

			r := openT(t, snap, "/data/t-0", testCfg(), nil)
			defer r.Close()
			if r.LogEndOffset() != synced {
				t.Fatalf("LEO %d after recovery, want %d: the torn batch was kept", r.LogEndOffset(), synced)
			}
			got := readAll(t, r, 0)
			if len(got) != len(want) {
				t.Fatalf("%d batches after recovery, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("synced batch %d changed by recovery", i)
				}
			}
			if info, err := r.Append(mkValues(t, 1, 10, 4), 3); err != nil || info.BaseOffset != synced {
				t.Fatalf("append after recovery at %d, want %d: %v", info.BaseOffset, synced, err)
			}
		})
	}
}

// TestCrashKeepsSyncedIrregularBatches: batches that recovery takes for
// damage past the checkpoint's recovery point are legal to write (a
// follower's offset gap, an epoch other than the cache's, a cache rewritten
// under written batches or trimmed, a compacted segment); once a
// Sync reported them durable they must survive a crash that comes before the
// periodic checkpoint.
func TestCrashKeepsSyncedIrregularBatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, l *Log, mem *vfs.MemFS) *Log
	}{
		{"gap", func(t *testing.T, l *Log, _ *vfs.MemFS) *Log {
			b := mkValues(t, 2, 10, 5)
			setBaseOffset(b, l.LogEndOffset()+3)
			setLeaderEpoch(b, 2)
			if _, err := l.AppendBatches(b); err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"stale-epoch", func(t *testing.T, l *Log, _ *vfs.MemFS) *Log {
			if _, err := l.Append(mkValues(t, 2, 10, 5), 1); err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"no-epoch", func(t *testing.T, l *Log, _ *vfs.MemFS) *Log {
			if _, err := l.Append(mkValues(t, 2, 10, 5), -1); err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"assign-below-leo", func(t *testing.T, l *Log, _ *vfs.MemFS) *Log {
			if err := l.AssignEpoch(5, l.LogEndOffset()-1); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(mkValues(t, 2, 10, 5), 5); err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"compaction", func(t *testing.T, l *Log, mem *vfs.MemFS) *Log {
			if _, err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			did, err := NewCleaner(Options{FS: mem, Logger: testLogger(t)}).Clean(context.Background(), l, true)
			if err != nil || !did {
				t.Fatalf("compaction did nothing: %v", err)
			}
			return l
		}},
		{"truncate", func(t *testing.T, l *Log, _ *vfs.MemFS) *Log {
			// The cache loses epoch 2 with the batches; it comes back later.
			if err := l.TruncateTo(4); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Append(mkValues(t, 2, 10, 5), 2); err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"delete-records", func(t *testing.T, l *Log, _ *vfs.MemFS) *Log {
			// The log start passes the recovery point: the cache forgets
			// the epochs of batches that recovery still scans.
			if err := l.DeleteRecordsBefore(l.LogEndOffset() - 2); err != nil {
				t.Fatal(err)
			}
			return l
		}},
		{"epoch-dropped-by-reopen", func(t *testing.T, l *Log, mem *vfs.MemFS) *Log {
			// An epoch assigned at the log end and never used is dropped
			// from the cache by the next open; the file must say so too.
			if err := l.AssignEpoch(5, l.LogEndOffset()); err != nil {
				t.Fatal(err)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = openT(t, mem, "/data/t-0", l.Config(), nil)
			if _, err := l.Append(mkValues(t, 2, 10, 5), 2); err != nil {
				t.Fatal(err)
			}
			return l
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewMem()
			mem.MkdirAll("/data", 0o755)
			mem.SyncDir("/")
			cfg := testCfg()
			cfg.CleanupPolicy = PolicyCompact
			cfg.SegmentBytes = 600
			l := openT(t, mem, "/data/t-0", cfg, nil)
			defer func() { l.Close() }()
			for i := range 12 {
				b := mkBatch(t, CodecNone, 1, kv{key: fmt.Appendf(nil, "k%d", i%3), value: []byte("v")})
				if _, err := l.Append(b, int32(i/6*2)); err != nil { // epochs 0 and 2
					t.Fatal(err)
				}
			}
			l = tc.do(t, l, mem)
			synced, err := l.Sync()
			if err != nil {
				t.Fatal(err)
			}
			want := readAll(t, l, l.LogStartOffset())

			r := openT(t, mem.Crash(nil), "/data/t-0", cfg, nil)
			defer r.Close()
			if r.LogEndOffset() != synced || r.LogStartOffset() != l.LogStartOffset() {
				t.Fatalf("log [%d, %d) after a crash, [%d, %d) was synced", r.LogStartOffset(), r.LogEndOffset(), l.LogStartOffset(), synced)
			}
			got := readAll(t, r, r.LogStartOffset())
			if len(got) != len(want) {
				t.Fatalf("%d batches after a crash, %d were synced", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("synced batch %d changed by recovery", i)
				}
			}
		})
	}
}

const childEnv = "GREGOR_STORAGE_KILL_CHILD"

// childBatch is the k-th batch the child appends: deterministic, so the
// parent can check what survived byte for byte.
func childBatch(t testing.TB, k int) []byte {
	n := 1 + k%3
	recs := make([]kv, n)
	for j := range recs {
		recs[j] = kv{key: fmt.Appendf(nil, "key-%d", k), value: bytes.Repeat([]byte{byte(k), byte(j)}, 50+k%200)}
	}
	return mkBatch(t, CodecNone, int64(k), recs...)
}

// TestMain lets the test binary act as the SIGKILL child.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		runChild(dir)
		return
	}
	os.Exit(m.Run())
}

// runChild appends childBatch(k) for k = 0, 1, ... forever, syncing every few
// batches and printing "synced <offset> <batches>" after each sync.
func runChild(dir string) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 64 << 10
	cfg.SegmentMs = 1 << 50
	l, err := Open(dir, cfg, Options{Logger: discardLogger()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	tb := &testing.B{}
	k := 0
	// Continue after what survived a previous kill.
	_ = l.ScanBatches(0, func(BatchHeader, int64) bool { k++; return true })
	out := bufio.NewWriter(os.Stdout)
	for {
		if _, err := l.Append(childBatch(tb, k), 1); err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(2)
		}
		k++
		if k%3 == 0 {
			end, err := l.Sync()
			if err != nil {
				fmt.Fprintln(out, "error", err)
				out.Flush()
				os.Exit(2)
			}
			fmt.Fprintf(out, "synced %d %d\n", end, k)
			out.Flush()
		}
	}
}

// TestSIGKILL kills a child process with SIGKILL while it appends, reopens
// the directory on the real file system and checks that every batch the
// child reported synced is there byte for byte, that nothing partial is
// readable, and that appends continue at the next offset.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir() + "/k-0"
	rounds := 3
	total := 0 // batches expected so far across rounds
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var syncedOff, syncedBatches int64
		want := int64(50 + round*37)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) > 0 && f[0] == "error" {
				t.Fatalf("child: %s", sc.Text())
			}
			if len(f) == 3 && f[0] == "synced" {
				syncedOff, _ = strconv.ParseInt(f[1], 10, 64)
				syncedBatches, _ = strconv.ParseInt(f[2], 10, 64)
				if syncedBatches >= int64(total)+want {
					break
				}
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()

		l, err := Open(dir, DefaultConfig(), Options{Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("round %d: reopen after SIGKILL: %v", round, err)
		}
		if l.LogEndOffset() < syncedOff {
			t.Fatalf("round %d: LEO %d below synced %d", round, l.LogEndOffset(), syncedOff)
		}
		got := readAll(t, l, 0)
		if int64(len(got)) < syncedBatches {
			t.Fatalf("round %d: %d batches survived, %d were synced", round, len(got), syncedBatches)
		}
		next := int64(0)
		for k, b := range got {
			want := childBatch(t, k)
			setBaseOffset(want, next)
			setLeaderEpoch(want, 1)
			if !bytes.Equal(want, b) {
				t.Fatalf("round %d: batch %d at offset %d differs from what was appended", round, k, next)
			}
			h, _ := ParseBatchHeader(b)
			next = h.LastOffset() + 1
		}
		if next != l.LogEndOffset() {
			t.Fatalf("round %d: batches end at %d, LEO %d", round, next, l.LogEndOffset())
		}
		total = len(got)
		t.Logf("round %d: killed after %d synced batches, %d survived, LEO %d", round, syncedBatches, len(got), next)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
