package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

type offRec struct {
	off        int64
	key, value string
	tombstone  bool
}

// records decodes every record of a log.
func records(t *testing.T, l *Log) []offRec {
	t.Helper()
	var out []offRec
	for _, b := range readAll(t, l, l.LogStartOffset()) {
		h, recs, err := batchRecords(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out = append(out, offRec{off: h.BaseOffset + int64(r.OffsetDelta), key: string(r.Key), value: string(r.Value), tombstone: r.Value == nil})
		}
	}
	return out
}

func TestCompaction(t *testing.T) {
	for _, codec := range []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			clock := newClock()
			cfg := testCfg()
			cfg.CleanupPolicy = PolicyCompact
			cfg.SegmentBytes = 600
			mem := vfs.NewMem()
			l := openT(t, mem, "/t-0", cfg, clock)
			defer l.Close()
			now := clock.Now().UnixMilli()
			want := map[string]offRec{}
			for i := range 30 {
				var recs []kv
				for j := range 3 {
					k := fmt.Sprintf("k%d", (i*3+j)%7)
					v := []byte(fmt.Sprintf("v%d", i*3+j))
					if (i*3+j)%11 == 0 {
						v = nil // tombstone
					}
					recs = append(recs, kv{key: []byte(k), value: v})
				}
				info := mustAppend(t, l, mkBatch(t, codec, now, recs...))
				for j, r := range recs {
					want[string(r.key)] = offRec{off: info.BaseOffset + int64(j), key: string(r.key), value: string(r.value), tombstone: r.value == nil}
				}
			}
			// One more batch for every key so the closed segments hold only
			// superseded records, then close the active segment.
			if err := l.Roll(); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Sync(); err != nil {
				t.Fatal(err)
			}
			before := records(t, l)
			sizeBefore := l.Size()
			c := NewCleaner(Options{Now: clock.Now})
			did, err := c.Clean(context.Background(), l, true)
			if err != nil || !did {
				t.Fatalf("Clean = %v, %v", did, err)
			}
			after := records(t, l)
			if l.Size() >= sizeBefore || len(after) >= len(before) {
				t.Fatalf("nothing removed: %d -> %d bytes, %d -> %d records", sizeBefore, l.Size(), len(before), len(after))
			}
			// Latest per key, offsets unchanged, fresh tombstones kept.
			orig := map[int64]offRec{}
			for _, r := range before {
				orig[r.off] = r
			}
			seen := map[string]int{}
			for _, r := range after {
				if orig[r.off] != r {
					t.Fatalf("record at %d changed: %+v vs %+v", r.off, r, orig[r.off])
				}
				if want[r.key] != r {
					t.Fatalf("kept a superseded record %+v, latest is %+v", r, want[r.key])
				}
				seen[r.key]++
			}
			for k, w := range want {
				if seen[k] != 1 {
					t.Fatalf("key %s: %d records after compaction (latest %+v)", k, seen[k], w)
				}
			}
			// Tombstones go after delete.retention.ms.
			clock.Add(time.Duration(cfg.DeleteRetentionMs+1) * time.Millisecond)
			if _, err := c.Clean(context.Background(), l, true); err != nil {
				t.Fatal(err)
			}
			for _, r := range records(t, l) {
				if r.tombstone {
					t.Fatalf("expired tombstone kept: %+v", r)
				}
			}
			// Survives a clean reopen and a crash.
			leo := l.LogEndOffset()
			got := records(t, l)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l2 := openT(t, mem.Crash(nil), "/t-0", cfg, clock)
			defer l2.Close()
			if l2.LogEndOffset() != leo || fmt.Sprint(records(t, l2)) != fmt.Sprint(got) {
				t.Fatalf("compacted log changed across reopen")
			}
		})
	}
}

func TestCompactionDueByRatio(t *testing.T) {
	cfg := testCfg()
	cfg.CleanupPolicy = PolicyDelete
	l := openT(t, vfs.NewMem(), "/t-0", cfg, nil)
	defer l.Close()
	c := NewCleaner(Options{})
	if did, err := c.Clean(context.Background(), l, true); did || err != nil {
		t.Fatalf("delete policy compacted: %v %v", did, err)
	}
	cfg.CleanupPolicy = PolicyCompactDelete
	cfg.MinCleanableDirtyRatio = 0.5
	l.SetConfig(cfg)
	for range 4 {
		mustAppend(t, l, mkBatch(t, CodecNone, 1, kv{key: []byte("a"), value: []byte("1")}))
		l.Roll()
	}
	l.Sync()
	if did, err := c.Clean(context.Background(), l, false); !did || err != nil {
		t.Fatalf("dirty log not compacted: %v %v", did, err)
	}
	if did, _ := c.Clean(context.Background(), l, false); did {
		t.Fatal("clean log compacted again without new dirty data")
	}
}
