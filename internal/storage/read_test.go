package storage

import (
	"math/rand/v2"
	"testing"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// TestReadMatchesNaive checks Read (which skips ahead with the index) against
// a walk over every batch, for random offsets and limits.
func TestReadMatchesNaive(t *testing.T) {
	cfg := testCfg()
	cfg.SegmentBytes = 20000
	cfg.IndexIntervalBytes = int64(rand.IntN(2000))
	l := openT(t, vfs.NewMem(), "/t-0", cfg, nil)
	defer l.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		mustAppend(t, l, mkValues(t, 1+rng.IntN(5), rng.IntN(800), 1))
	}
	type bt struct{ base, last, size int64 }
	var all []bt
	for _, b := range readAll(t, l, 0) {
		h, _ := ParseBatchHeader(b)
		all = append(all, bt{h.BaseOffset, h.LastOffset(), h.Size()})
	}
	leo := l.LogEndOffset()
	for range 2000 {
		off := rng.Int64N(leo + 1)
		maxBytes := rng.Int64N(30000)
		maxOff := off + rng.Int64N(leo-off+10)
		minOne := rng.IntN(2) == 0
		res, err := l.Read(off, maxBytes, maxOff, minOne)
		if err != nil {
			t.Fatal(err)
		}
		var wantBytes int64
		wantNext := off
		for _, b := range all {
			if b.last < off {
				continue
			}
			if b.last >= min(maxOff, leo) || (wantBytes+b.size > maxBytes && !(minOne && wantBytes == 0)) {
				break
			}
			wantBytes += b.size
			wantNext = b.last + 1
		}
		var sum int64
		for _, r := range res.Ranges {
			sum += r.Len
		}
		if res.Bytes != wantBytes || sum != wantBytes || res.NextOffset != wantNext {
			t.Fatalf("Read(%d, %d, %d, %v) = bytes %d (ranges %d) next %d; want bytes %d next %d",
				off, maxBytes, maxOff, minOne, res.Bytes, sum, res.NextOffset, wantBytes, wantNext)
		}
	}
}
