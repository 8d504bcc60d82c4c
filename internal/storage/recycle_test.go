package storage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

func poolLen(p *recycler) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.files)
}

func waitPool(t *testing.T, p *recycler, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for poolLen(p) < n {
		if time.Now().After(deadline) {
			t.Fatalf("pool holds %d files, want %d", poolLen(p), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func reusedFirst(l *Log) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.mu.segs[0].reused
}

// fillBig appends n batches of about 70 KiB (above poolMinAvgBatch).
func fillBig(t *testing.T, l *Log, n int) [][]byte {
	var out [][]byte
	for i := range n {
		b := mkValues(t, 7, 10<<10, int64(i))
		mustAppend(t, l, b)
		out = append(out, b)
	}
	if _, err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSegmentFileReuse: a deleted partition's segment file, never read, is
// scrubbed into the pool at once; a new partition takes it, reads back only
// its own batches, and keeps them across a clean restart and an unclean one,
// with the file cut to the segment on close.
func TestSegmentFileReuse(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Logger: testLogger(t)}
	cfg := testCfg()
	cfg.FileDeleteDelayMs = 0
	cfgFor := func(string, int32) Config { return cfg }
	d, err := OpenDir(dir, opts, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	pool := d.opts.pool
	a, err := d.Create("a", 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	old := fillBig(t, a, 20)
	aSize := a.Size()
	if err := d.Remove("a", 0); err != nil {
		t.Fatal(err)
	}
	waitPool(t, pool, 1)
	pooled := pool.files[0].path
	raw, err := os.ReadFile(pooled)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(raw)) != aSize {
		t.Fatalf("pooled file has %d bytes, the segment had %d", len(raw), aSize)
	}
	pos := 0
	for i, b := range old {
		if !bytes.Equal(raw[pos:pos+12], scrubMark[:]) {
			t.Fatalf("batch %d at %d not scrubbed: % x", i, pos, raw[pos:pos+12])
		}
		if !bytes.Equal(raw[pos+12:pos+len(b)], b[12:]) {
			t.Fatalf("batch %d: scrubbing changed more than its first 12 bytes", i)
		}
		pos += len(b)
	}

	b, err := d.Create("b", 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reusedFirst(b) || poolLen(pool) != 0 {
		t.Fatalf("new partition did not take the pooled file (reused %v, pool %d)", reusedFirst(b), poolLen(pool))
	}
	var mine [][]byte
	for i := range 3 {
		m := mkBatch(t, CodecNone, int64(i), kv{key: []byte("k"), value: fmt.Appendf(nil, "new-%d", i)})
		info := mustAppend(t, b, m)
		setBaseOffset(m, info.BaseOffset)
		setLeaderEpoch(m, 0)
		mine = append(mine, m)
	}
	checkBatches(t, b, mine)
	bPath := filepath.Join(dir, "b-0", segmentName(0)+logSuffix)
	if _, err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	size := b.Size()

	// Unclean: reopen the directory beside the running one, as a crash
	// leaves it (the file still runs on into scrubbed bytes).
	if st, _ := os.Stat(bPath); st.Size() <= size {
		t.Fatalf("file is %d bytes, expected the old size beyond %d", st.Size(), size)
	}
	crashCopy := t.TempDir()
	copyTree(t, filepath.Join(dir, "b-0"), filepath.Join(crashCopy, "b-0"))
	d3, err := OpenDir(crashCopy, opts, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	checkBatches(t, mustGet(t, d3, "b"), mine)
	d3.Close()

	// Clean: the file is cut to the segment and comes back the same.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(bPath); st.Size() != size {
		t.Fatalf("after a clean close the file is %d bytes, want %d", st.Size(), size)
	}
	d, err = OpenDir(dir, opts, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	checkBatches(t, mustGet(t, d, "b"), mine)
}

// TestSegmentFileReuseSkipsReadFiles: a file something read is removed, not
// reused, when its partition is deleted within poolReadGrace; small batches
// are not scrubbed either.
func TestSegmentFileReuseSkipsReadFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := testCfg()
	cfg.FileDeleteDelayMs = 0
	d, err := OpenDir(dir, Options{Logger: testLogger(t)}, func(string, int32) Config { return cfg })
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	pool := d.opts.pool

	read, err := d.Create("read", 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	fillBig(t, read, 20)
	if res, err := read.Read(0, 1<<20, 1<<62, true); err != nil || len(res.Ranges) == 0 {
		t.Fatalf("Read: %v, %d ranges", err, len(res.Ranges))
	}
	small, err := d.Create("small", 0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		mustAppend(t, small, mkValues(t, 1, 500, int64(i)))
	}
	if small.Size() < poolMinFileBytes {
		t.Fatalf("test setup: %d bytes", small.Size())
	}
	for _, topic := range []string{"read", "small"} {
		if err := d.Remove(topic, 0); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ents, _ := os.ReadDir(dir)
		left := 0
		for _, e := range ents {
			if filepath.Ext(e.Name()) != "" && e.IsDir() {
				left++ // "-delete" directories not yet removed
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deleted partitions not removed: %d left", left)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := poolLen(pool); n != 0 {
		t.Fatalf("pool took %d files; a read file and a small-batch file must be removed", n)
	}
	if !reusable(0, time.Now()) || reusable(time.Now().UnixNano(), time.Now()) ||
		!reusable(time.Now().Add(-poolReadGrace).UnixNano(), time.Now()) {
		t.Fatal("reusable: wrong grace rule")
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// TestCrashReusedSegment crashes a partition writing into a reused file
// whose old batches have the very sizes, offsets and epoch of the new ones,
// at random points. Whatever survives is a prefix of the new batches holding
// every synced one; not one old batch comes back. Without the scrub, an old
// batch right after the last new one passes every check recovery makes.
func TestCrashReusedSegment(t *testing.T) {
	oldMin, oldAvg := poolMinFileBytes, poolMinAvgBatch
	poolMinFileBytes, poolMinAvgBatch = 1, 1
	defer func() { poolMinFileBytes, poolMinAvgBatch = oldMin, oldAvg }()
	iters := 300
	if testing.Short() {
		iters = 60
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	for i := range iters {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		crashReusedOnce(t, rng)
		if t.Failed() {
			t.Fatalf("failed at iteration %d (seed %d)", i, seed)
		}
	}
}

func crashReusedOnce(t *testing.T, rng *rand.Rand) {
	mem := vfs.NewMem()
	mem.MkdirAll("/data", 0o755)
	mem.SyncDir("/")
	var (
		armed   atomic.Bool
		ops     atomic.Int64
		crashAt = int64(1 + rng.IntN(60))
		snap    *vfs.MemFS
		synced  int
		snapped = -1
		snapMu  sync.Mutex
	)
	crashRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
	efs := vfs.NewErrorFS(mem, func(op vfs.Op, path string) error {
		if armed.Load() && ops.Add(1) == crashAt {
			snapMu.Lock()
			snap, snapped = mem.Crash(crashRng), synced
			snapMu.Unlock()
		}
		return nil
	})
	pool, err := openRecycler(efs, "/data", 1<<30, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{FS: efs, Logger: discardLogger(), pool: pool}
	cfg := testCfg()
	cfg.FileDeleteDelayMs = 0
	if rng.IntN(2) == 0 {
		cfg.SegmentBytes = 600 + rng.Int64N(3000) // rolls: the reused file is cut to its segment
	}
	n := 5 + rng.IntN(20)
	sizes := make([]int, n)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(400)
	}
	batch := func(i int, fill byte) []byte {
		return mkBatch(t, CodecNone, int64(i), kv{key: []byte("k"), value: bytes.Repeat([]byte{fill}, sizes[i])})
	}
	a, err := Open("/data/a-0", cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		mustAppend(t, a, batch(i, 'A'))
	}
	if _, err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for poolLen(pool) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("file never reached the pool")
		}
		time.Sleep(time.Millisecond)
	}

	armed.Store(true)
	b, err := Open("/data/b-0", cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reusedFirst(b) {
		t.Fatal("b did not reuse a's file")
	}
	var want [][]byte
	for i := range n {
		m := batch(i, 'B')
		info := mustAppend(t, b, m)
		setBaseOffset(m, info.BaseOffset)
		setLeaderEpoch(m, 0)
		want = append(want, m)
		if rng.IntN(3) == 0 {
			if _, err := b.Sync(); err != nil {
				t.Fatal(err)
			}
			snapMu.Lock()
			synced = i + 1
			snapMu.Unlock()
		}
	}
	b.Close()
	snapMu.Lock()
	defer snapMu.Unlock()
	if snap == nil {
		return // the crash point fell after the workload
	}
	r, err := Open("/data/b-0", cfg, Options{FS: snap, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer r.Close()
	got := readAll(t, r, 0)
	if len(got) < snapped {
		t.Fatalf("%d batches after the crash, %d were synced", len(got), snapped)
	}
	if len(got) > n {
		t.Fatalf("%d batches after the crash, only %d written", len(got), n)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batch %d after the crash is not the new batch (old data came back?)", i)
		}
	}
}

func mustGet(t *testing.T, d *Dir, topic string) *Log {
	t.Helper()
	l, ok := d.Get(topic, 0)
	if !ok {
		t.Fatalf("partition %s-0 missing", topic)
	}
	return l
}
