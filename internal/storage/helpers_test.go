package storage

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

type kv struct {
	key, value []byte
	tsDelta    int64
}

// mkBatch builds a producer batch (baseOffset 0, epoch -1) of recs.
func mkBatch(t testing.TB, codec Codec, baseTs int64, recs ...kv) []byte {
	t.Helper()
	var raw []byte
	maxTs := baseTs
	for i, r := range recs {
		raw = appendRecord(raw, int32(i), r.tsDelta, r.key, r.value)
		maxTs = max(maxTs, baseTs+r.tsDelta)
	}
	b, err := encodeBatch(BatchHeader{
		PartitionLeaderEpoch: -1, Attributes: int16(codec), LastOffsetDelta: int32(len(recs) - 1),
		BaseTimestamp: baseTs, MaxTimestamp: maxTs, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		NumRecords: int32(len(recs)),
	}, raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mkValues builds a batch of n records with values of size bytes.
func mkValues(t testing.TB, n, size int, ts int64) []byte {
	recs := make([]kv, n)
	for i := range recs {
		v := make([]byte, size)
		for j := range v {
			v[j] = byte(i + j)
		}
		recs[i] = kv{key: fmt.Appendf(nil, "k%d", i), value: v}
	}
	return mkBatch(t, CodecNone, ts, recs...)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.UnixMilli(1_700_000_000_000)} }
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func testCfg() Config {
	c := DefaultConfig()
	c.FileDeleteDelayMs = 0
	c.SegmentMs = 1 << 50 // tests use small timestamps; segment.ms tests set it
	return c
}

func testOpts(t testing.TB, fsys vfs.FS, clock *fakeClock) Options {
	o := Options{FS: fsys, Logger: testLogger(t)}
	if clock != nil {
		o.Now = clock.Now
	}
	return o
}

func openT(t testing.TB, fsys vfs.FS, dir string, cfg Config, clock *fakeClock) *Log {
	t.Helper()
	l, err := Open(dir, cfg, testOpts(t, fsys, clock))
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return l
}

func mustAppend(t testing.TB, l *Log, b []byte) AppendInfo {
	t.Helper()
	info, err := l.Append(b, 0)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return info
}

// readAll reads every batch from offset to the end.
func readAll(t testing.TB, l *Log, from int64) [][]byte {
	t.Helper()
	var out [][]byte
	for {
		b, next, err := l.ReadInto(nil, from, 1<<20, 1<<62, true)
		if err != nil {
			t.Fatalf("ReadInto(%d): %v", from, err)
		}
		if len(b) == 0 {
			return out
		}
		for len(b) > 0 {
			h, err := VerifyBatch(b)
			if err != nil {
				t.Fatalf("read back a bad batch at %d: %v", from, err)
			}
			out = append(out, b[:h.Size()])
			b = b[h.Size():]
		}
		from = next
	}
}

// checkBatches reads l from offset 0 and compares every batch with want.
func checkBatches(t testing.TB, l *Log, want [][]byte) {
	t.Helper()
	got := readAll(t, l, 0)
	if len(got) != len(want) {
		t.Fatalf("read %d batches, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batch %d differs", i)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
