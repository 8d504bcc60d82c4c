package storage

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// forEachFS runs body over the OS and the in-memory file systems.
func forEachFS(t *testing.T, body func(t *testing.T, fsys vfs.FS, dir string)) {
	t.Run("os", func(t *testing.T) { body(t, vfs.Default, t.TempDir()+"/t-0") })
	t.Run("mem", func(t *testing.T) {
		m := vfs.NewMem()
		m.MkdirAll("/data", 0o755)
		body(t, m, "/data/t-0")
	})
}

func TestAppendReadAcrossSegments(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		cfg := testCfg()
		cfg.SegmentBytes = 4000
		cfg.IndexIntervalBytes = 500
		l := openT(t, fsys, dir, cfg, nil)
		defer l.Close()
		if l.Topic() != "t" || l.Partition() != 0 {
			t.Fatalf("topic/partition = %q/%d", l.Topic(), l.Partition())
		}
		var want [][]byte
		next := int64(0)
		for i := range 50 {
			b := mkValues(t, 1+i%3, 200, int64(1000+i))
			info := mustAppend(t, l, b)
			if info.BaseOffset != next || info.LastOffset != next+int64(1+i%3)-1 || info.AppendTime != -1 {
				t.Fatalf("append %d: %+v, want base %d", i, info, next)
			}
			h, _ := ParseBatchHeader(b)
			if h.BaseOffset != next || h.PartitionLeaderEpoch != 0 {
				t.Fatalf("header not rewritten in place: %+v", h)
			}
			next = info.LastOffset + 1
			want = append(want, bytes.Clone(b))
		}
		if l.NumSegments() < 5 {
			t.Fatalf("expected rolls, have %d segments", l.NumSegments())
		}
		if l.LogEndOffset() != next {
			t.Fatalf("LEO %d want %d", l.LogEndOffset(), next)
		}
		checkBatches(t, l, want)
		// Every offset finds the batch containing it.
		for o := int64(0); o < next; o++ {
			b, _, err := l.ReadInto(nil, o, 1, next, true)
			if err != nil {
				t.Fatal(err)
			}
			h, err := VerifyBatch(b)
			if err != nil || h.BaseOffset > o || h.LastOffset() < o {
				t.Fatalf("offset %d: batch [%d,%d] err %v", o, h.BaseOffset, h.LastOffset(), err)
			}
		}
		// maxBytes without minOne returns nothing when the first batch is larger.
		if res, err := l.Read(0, 10, next, false); err != nil || len(res.Ranges) != 0 || res.NextOffset != 0 {
			t.Fatalf("small read = %+v, %v", res, err)
		}
		// maxOffset bounds the batches.
		res, err := l.Read(0, 1<<30, 5, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.NextOffset > 5 || res.NextOffset == 0 {
			t.Fatalf("maxOffset read next = %d", res.NextOffset)
		}
		if res, err := l.Read(next, 100, 1<<40, true); err != nil || res.Bytes != 0 {
			t.Fatalf("read at LEO = %+v, %v", res, err)
		}
		if _, err := l.Read(next+1, 100, 1<<40, true); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("read past LEO: %v", err)
		}
		// Close and reopen cleanly: same content, appends continue.
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l2 := openT(t, fsys, dir, cfg, nil)
		defer l2.Close()
		if l2.LogEndOffset() != next {
			t.Fatalf("reopened LEO %d want %d", l2.LogEndOffset(), next)
		}
		got := readAll(t, l2, 0)
		if len(got) != len(want) || !bytes.Equal(got[len(got)-1], want[len(want)-1]) {
			t.Fatalf("reopen read %d batches", len(got))
		}
		info := mustAppend(t, l2, mkValues(t, 1, 10, 5))
		if info.BaseOffset != next {
			t.Fatalf("append after reopen at %d want %d", info.BaseOffset, next)
		}
	})
}

func TestAppendValidation(t *testing.T) {
	l := openT(t, vfs.NewMem(), "/t-0", testCfg(), nil)
	defer l.Close()
	good := mkValues(t, 2, 10, 1)
	mut := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"short", good[:40], ErrCorrupt},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"trailing", append(bytes.Clone(good), 0), ErrInvalidRecord},
		{"magic", mut(func(b []byte) { b[offMagic] = 1 }), ErrCorrupt},
		{"crc", mut(func(b []byte) { b[len(b)-1] ^= 1 }), ErrCorrupt},
		{"base offset", mut(func(b []byte) { setBaseOffset(b, 7) }), ErrInvalidRecord},
		{"count", mut(func(b []byte) { b[offNumRecords+3] = 5; fixCRC(b) }), ErrInvalidRecord},
		{"control", mut(func(b []byte) { b[offAttributes+1] |= attrControl; fixCRC(b) }), ErrInvalidRecord},
	}
	for _, c := range cases {
		if _, err := l.Append(c.b, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
	cfg := testCfg()
	cfg.MaxMessageBytes = 50
	l.SetConfig(cfg)
	if _, err := l.Append(bytes.Clone(good), 0); !errors.Is(err, ErrMessageTooLarge) {
		t.Errorf("too large: %v", err)
	}
	cfg = testCfg()
	cfg.SegmentBytes = 80
	l.SetConfig(cfg)
	if _, err := l.Append(bytes.Clone(good), 0); !errors.Is(err, ErrRecordListTooLarge) {
		t.Errorf("record list too large: %v", err)
	}
	if l.LogEndOffset() != 0 {
		t.Fatalf("rejected batches moved LEO to %d", l.LogEndOffset())
	}
}

func TestLogAppendTime(t *testing.T) {
	clock := newClock()
	cfg := testCfg()
	cfg.LogAppendTime = true
	l := openT(t, vfs.NewMem(), "/t-0", cfg, clock)
	defer l.Close()
	b := mkValues(t, 3, 10, 5)
	info := mustAppend(t, l, b)
	if info.AppendTime != clock.Now().UnixMilli() || info.MaxTimestamp != info.AppendTime {
		t.Fatalf("info %+v", info)
	}
	got := readAll(t, l, 0)
	h, err := VerifyBatch(got[0]) // CRC recomputed
	if err != nil || !h.LogAppendTime() || h.MaxTimestamp != info.AppendTime {
		t.Fatalf("stored header %+v, %v", h, err)
	}
}

func TestFollowerAppendBatches(t *testing.T) {
	leader := openT(t, vfs.NewMem(), "/l-0", testCfg(), nil)
	defer leader.Close()
	for i := range 5 {
		if _, err := leader.Append(mkValues(t, 2, 10, 1), int32(i/2)); err != nil {
			t.Fatal(err)
		}
	}
	data, _, err := leader.ReadInto(nil, 0, 1<<20, 1<<40, true)
	if err != nil {
		t.Fatal(err)
	}
	f := openT(t, vfs.NewMem(), "/f-0", testCfg(), nil)
	defer f.Close()
	h, _ := ParseBatchHeader(data)
	g := openT(t, vfs.NewMem(), "/g-0", testCfg(), nil)
	defer g.Close()
	if info, err := g.AppendBatches(data[h.Size():]); err != nil || info.BaseOffset != 2 || g.LogEndOffset() != 10 {
		t.Fatalf("append above LEO (compaction gap): %+v %v", info, err)
	}
	if _, err := g.AppendBatches(data[h.Size():]); !errors.Is(err, ErrOffsetMismatch) {
		t.Fatalf("append below LEO: %v", err)
	}
	info, err := f.AppendBatches(data)
	if err != nil || info.BaseOffset != 0 || info.LastOffset != 9 || f.LogEndOffset() != 10 {
		t.Fatalf("follower append %+v %v", info, err)
	}
	if _, err := f.AppendBatches(data); !errors.Is(err, ErrOffsetMismatch) {
		t.Fatalf("re-append: %v", err)
	}
	got, _, _ := f.ReadInto(nil, 0, 1<<20, 1<<40, true)
	if !bytes.Equal(got, data) {
		t.Fatal("follower bytes differ")
	}
	if fmt.Sprint(f.Epochs()) != fmt.Sprint(leader.Epochs()) || f.LatestEpoch() != 2 {
		t.Fatalf("epochs %v vs %v", f.Epochs(), leader.Epochs())
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	forEachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		l := openT(t, fsys, dir, testCfg(), nil)
		defer l.Close()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 20 {
					info, err := l.Append(mkValues(t, 1, 100, int64(w*100+i)), 0)
					if err != nil {
						t.Error(err)
						return
					}
					end, err := l.Sync()
					if err != nil || end <= info.LastOffset {
						t.Errorf("Sync = %d, %v after appending %d", end, err, info.LastOffset)
						return
					}
				}
			})
		}
		wg.Wait()
		if l.SyncedOffset() != 160 || l.LogEndOffset() != 160 {
			t.Fatalf("synced %d leo %d", l.SyncedOffset(), l.LogEndOffset())
		}
	})
}

func TestFlushMessages(t *testing.T) {
	cfg := testCfg()
	cfg.FlushMessages = 3
	l := openT(t, vfs.NewMem(), "/t-0", cfg, nil)
	defer l.Close()
	mustAppend(t, l, mkValues(t, 1, 1, 1))
	mustAppend(t, l, mkValues(t, 1, 1, 1))
	if l.SyncedOffset() != 0 {
		t.Fatalf("synced early: %d", l.SyncedOffset())
	}
	mustAppend(t, l, mkValues(t, 1, 1, 1))
	if l.SyncedOffset() != 3 {
		t.Fatalf("flush.messages did not sync: %d", l.SyncedOffset())
	}
}

func TestConcurrentReadersSeeWholeBatches(t *testing.T) {
	cfg := testCfg()
	cfg.SegmentBytes = 20000
	l := openT(t, vfs.NewMem(), "/t-0", cfg, nil)
	defer l.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				leo := l.LogEndOffset()
				b, _, err := l.ReadInto(nil, 0, 1<<30, leo, true)
				if err != nil {
					t.Error(err)
					return
				}
				var last int64 = -1
				for len(b) > 0 {
					h, err := VerifyBatch(b)
					if err != nil {
						t.Errorf("reader saw a bad batch: %v", err)
						return
					}
					last = h.LastOffset()
					b = b[h.Size():]
				}
				if leo > 0 && last != leo-1 {
					t.Errorf("read up to %d, LEO was %d", last, leo)
					return
				}
			}
		})
	}
	for i := range 300 {
		mustAppend(t, l, mkValues(t, 1+i%4, 50, int64(i)))
	}
	close(done)
	wg.Wait()
}

func TestTimeRoll(t *testing.T) {
	clock := newClock()
	cfg := testCfg()
	cfg.SegmentMs = 1000
	l := openT(t, vfs.NewMem(), "/t-0", cfg, clock)
	defer l.Close()
	mustAppend(t, l, mkValues(t, 1, 1, clock.Now().UnixMilli()))
	mustAppend(t, l, mkValues(t, 1, 1, clock.Now().UnixMilli()))
	clock.Add(2 * time.Second)
	mustAppend(t, l, mkValues(t, 1, 1, clock.Now().UnixMilli()))
	if got := l.SegmentBaseOffsets(); fmt.Sprint(got) != "[0 2]" {
		t.Fatalf("segments %v", got)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	m := vfs.NewMem()
	e := vfs.NewErrorFS(m, nil)
	l := openT(t, e, "/t-0", testCfg(), nil)
	mustAppend(t, l, mkValues(t, 1, 10, 1))
	e.SetInjector(func(op vfs.Op, path string) error {
		if op == vfs.OpWrite {
			return errnoENOSPC
		}
		return nil
	})
	if _, err := l.Append(mkValues(t, 1, 10, 1), 0); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("ENOSPC append: %v", err)
	}
	e.SetInjector(nil)
	info := mustAppend(t, l, mkValues(t, 1, 10, 1))
	if info.BaseOffset != 1 {
		t.Fatalf("after disk full, append at %d", info.BaseOffset)
	}
	e.SetInjector(func(op vfs.Op, path string) error {
		if op == vfs.OpSync {
			return errnoEIO
		}
		return nil
	})
	if _, err := l.Sync(); err == nil {
		t.Fatal("fsync error not reported")
	}
	if _, err := l.Append(mkValues(t, 1, 10, 1), 0); err == nil {
		t.Fatal("append after fsync failure succeeded")
	}
	e.SetInjector(nil)
	l.Close()

	// A read-only directory: opening for create fails with ErrReadOnly.
	e.SetInjector(func(op vfs.Op, path string) error {
		if op == vfs.OpOpen || op == vfs.OpMkdir || op == vfs.OpRename {
			return errnoEROFS
		}
		return nil
	})
	if _, err := Open("/u-0", testCfg(), testOpts(t, e, nil)); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("read-only open: %v", err)
	}
}
