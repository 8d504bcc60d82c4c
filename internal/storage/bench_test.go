package storage

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Benchmarks run each storage path beside a raw baseline over the same bytes:
//
//	go test ./internal/storage -run '^$' -bench . -benchtime 2s
//
// BenchmarkAppend16K: Log.Append of 16 KiB batches without fsync vs
// os.File.Write of the same bytes. BenchmarkRead1M: Log.ReadInto of 1 MiB vs
// a plain sequential ReadAt. BenchmarkGroupCommit: 8 appenders sharing
// fsyncs through Log.Sync vs an fsync after every append.

var bigStartup = flag.Bool("storage.big", false, "TestIdleMemoryAndStartup: reopen 1,000 partitions on disk (default 100)")

func benchLog(b *testing.B, dir string, cfg Config) *Log {
	b.Helper()
	l, err := Open(dir, cfg, Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func BenchmarkAppend16K(b *testing.B) {
	batch := mkValues(b, 16, 1000, time.Now().UnixMilli())
	b.Run("raw-os-write", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "raw"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		b.SetBytes(int64(len(batch)))
		for b.Loop() {
			if _, err := f.Write(batch); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("log-append", func(b *testing.B) {
		l := benchLog(b, filepath.Join(b.TempDir(), "t-0"), DefaultConfig())
		b.SetBytes(int64(len(batch)))
		for b.Loop() {
			setBaseOffset(batch, 0)
			if _, err := l.Append(batch, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRead1M(b *testing.B) {
	const total = 64 << 20
	batch := mkValues(b, 16, 1000, time.Now().UnixMilli())
	dir := b.TempDir()
	l := benchLog(b, filepath.Join(dir, "t-0"), DefaultConfig())
	for l.Size() < total {
		setBaseOffset(batch, 0)
		if _, err := l.Append(batch, 0); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := l.Sync(); err != nil {
		b.Fatal(err)
	}
	b.Run("raw-read", func(b *testing.B) {
		f, err := os.Open(filepath.Join(dir, "t-0", segmentName(0)+logSuffix))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		pos := int64(0)
		b.SetBytes(1 << 20)
		for b.Loop() {
			if pos+1<<20 > total {
				pos = 0
			}
			if _, err := f.ReadAt(buf, pos); err != nil {
				b.Fatal(err)
			}
			pos += 1 << 20
		}
	})
	b.Run("log-read-into", func(b *testing.B) {
		buf := make([]byte, 0, 2<<20)
		off := int64(0)
		leo := l.LogEndOffset()
		var n int64
		for b.Loop() {
			out, next, err := l.ReadInto(buf[:0], off, 1<<20, leo, true)
			if err != nil {
				b.Fatal(err)
			}
			n += int64(len(out))
			off = next
			if off >= leo {
				off = 0
			}
		}
		b.SetBytes(n / int64(max(b.N, 1)))
	})
	b.Run("log-read-ranges", func(b *testing.B) {
		off := int64(0)
		leo := l.LogEndOffset()
		var n int64
		for b.Loop() {
			res, err := l.Read(off, 1<<20, leo, true)
			if err != nil {
				b.Fatal(err)
			}
			n += res.Bytes
			off = res.NextOffset
			if off >= leo {
				off = 0
			}
		}
		b.SetBytes(n / int64(max(b.N, 1)))
	})
}

func BenchmarkGroupCommit(b *testing.B) {
	const appenders = 8
	batch := mkValues(b, 4, 250, time.Now().UnixMilli())
	run := func(b *testing.B, commit func(l *Log, mu *sync.Mutex, batch []byte) error) {
		l := benchLog(b, filepath.Join(b.TempDir(), "t-0"), DefaultConfig())
		var mu sync.Mutex
		b.SetBytes(int64(len(batch)))
		b.ResetTimer()
		var wg sync.WaitGroup
		per := (b.N + appenders - 1) / appenders
		for range appenders {
			wg.Go(func() {
				mine := append([]byte(nil), batch...)
				for range per {
					setBaseOffset(mine, 0)
					if err := commit(l, &mu, mine); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.Run("fsync-every-append", func(b *testing.B) {
		run(b, func(l *Log, mu *sync.Mutex, batch []byte) error {
			mu.Lock()
			defer mu.Unlock()
			if _, err := l.Append(batch, 0); err != nil {
				return err
			}
			_, err := l.syncOnce()
			return err
		})
	})
	b.Run("group-commit-8", func(b *testing.B) {
		run(b, func(l *Log, _ *sync.Mutex, batch []byte) error {
			if _, err := l.Append(batch, 0); err != nil {
				return err
			}
			_, err := l.Sync()
			return err
		})
	})
}

// TestIdleMemoryAndStartup measures what idle partitions cost and how long a
// clean reopen takes, and prints both:
//   - 10,000 idle open partitions (in-memory FS, so only the logs' own heap is
//     counted): heap per partition, target <= 64 KiB;
//   - 1,000 partitions on the real file system, reopened after a clean
//     shutdown: wall time, target < 1 s.
func TestIdleMemoryAndStartup(t *testing.T) {
	nMem, nDisk := 10000, 100
	if *bigStartup {
		nDisk = 1000 // creating them costs ~15 s of fsyncs
	}
	if testing.Short() {
		nMem, nDisk = 1000, 50
	}
	batch := mkValues(t, 2, 50, 1)
	cfgFor := func(string, int32) Config { return testCfg() }

	mem := vfs.NewMem()
	d, err := OpenDir("/data", Options{FS: mem, Logger: discardLogger()}, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	for i := range nMem {
		l, err := d.Create(fmt.Sprintf("topic%d", i%100), int32(i/100), testCfg())
		if err != nil {
			t.Fatal(err)
		}
		setBaseOffset(batch, 0)
		mustAppend(t, l, batch)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err = OpenDir("/data", Options{FS: mem, Logger: discardLogger()}, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if got := len(d.All()); got != nMem {
		t.Fatalf("reopened %d partitions, want %d", got, nMem)
	}
	per := int64(after.HeapAlloc-before.HeapAlloc) / int64(nMem)
	t.Logf("memory: %d idle open partitions: %d bytes of heap each (target <= 65536)", nMem, per)
	if per > 64<<10 {
		t.Errorf("idle partition costs %d bytes, want <= 64 KiB", per)
	}
	runtime.KeepAlive(d)
	d.Close()

	dir := t.TempDir()
	d, err = OpenDir(dir, Options{Logger: discardLogger()}, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range nDisk {
		l, err := d.Create(fmt.Sprintf("topic%d", i%10), int32(i/10), testCfg())
		if err != nil {
			t.Fatal(err)
		}
		setBaseOffset(batch, 0)
		mustAppend(t, l, batch)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	created := time.Since(start)
	start = time.Now()
	d, err = OpenDir(dir, Options{Logger: discardLogger()}, cfgFor)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("start-up: reopened %d partitions after a clean shutdown in %v (target < 1s; creating them took %v)", nDisk, took, created)
	if len(d.All()) != nDisk {
		t.Fatalf("reopened %d partitions", len(d.All()))
	}
	for _, l := range d.All() {
		if l.LogEndOffset() != 2 {
			t.Fatalf("%s: LEO %d after reopen", l.Dir(), l.LogEndOffset())
		}
	}
	if took > 10*time.Second { // generous: the target is checked by reading the log line
		t.Errorf("reopen took %v", took)
	}
	d.Close()
}

// BenchmarkValidateRecords checks the per-record walk every uncompressed
// produce pays: a 1 MB batch of 100-byte values, as kbench sends.
func BenchmarkValidateRecords(b *testing.B) {
	batch := mkValues(b, 9000, 100, 1_700_000_000_000)
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		if err := ValidateRecords(batch, false); err != nil {
			b.Fatal(err)
		}
	}
}
