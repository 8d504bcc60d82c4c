package storage

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Fuzz targets for everything that parses bytes from disk or the network.
// Seed corpora live in testdata/fuzz/<Target>. Run one with, for example:
//
//	go test ./internal/storage -run '^$' -fuzz FuzzBatchHeader -fuzztime 5m

// FuzzBatchHeader: ParseBatchHeader and VerifyBatch never panic; errors are in
// the ErrCorrupt class; an accepted batch lies within the input and, if it
// verifies, its records decode or fail with ErrCorrupt (never a panic).
func FuzzBatchHeader(f *testing.F) {
	f.Add(mkValues(f, 3, 10, 1))
	f.Add(mkBatch(f, CodecGzip, 5, kv{key: []byte("a"), value: []byte("b")}))
	f.Add(mkBatch(f, CodecZstd, 5, kv{key: []byte("a"), value: nil}))
	f.Add(mkBatch(f, CodecLZ4, 5, kv{value: []byte("x")}))
	f.Add(mkBatch(f, CodecSnappy, 5, kv{value: []byte("x")}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseBatchHeader(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("non-corrupt error %v", err)
			}
			return
		}
		if h.Size() < batchHeaderSize {
			t.Fatalf("accepted size %d", h.Size())
		}
		h2, err := VerifyBatch(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("non-corrupt error %v", err)
			}
			return
		}
		if h2.Size() > int64(len(b)) {
			t.Fatalf("verified a batch past the input")
		}
		if _, _, err := batchRecords(b[:h2.Size()]); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("records: non-corrupt error %v", err)
		}
		cfg := DefaultConfig()
		if _, err := validateProducerBatch(bytes.Clone(b), &cfg, false); err == nil && (h.BaseOffset != 0 || h.NumRecords != h.LastOffsetDelta+1) {
			t.Fatalf("accepted an invalid producer batch %+v", h)
		}
	})
}

// FuzzIndexFiles: decoding arbitrary index bytes either fails with ErrCorrupt
// or yields entries that are in range and strictly increasing; a lookup on
// them stays in the segment.
func FuzzIndexFiles(f *testing.F) {
	f.Add(offsetIndex{{1, 100}, {5, 900}}.encode(), timeIndex{{10, 1}, {20, 5}}.encode(), int64(1000), int64(10))
	f.Add([]byte{1, 2, 3}, []byte{}, int64(10), int64(10))
	f.Fuzz(func(t *testing.T, ib, tb []byte, size, maxRel int64) {
		if size <= 0 || maxRel <= 0 || size > math.MaxInt32 {
			return
		}
		x, err := decodeOffsetIndex(ib, size, maxRel)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatal(err)
			}
		} else {
			for i, e := range x {
				if int64(e.pos) >= size || int64(e.rel) >= maxRel || (i > 0 && (e.pos <= x[i-1].pos || e.rel <= x[i-1].rel)) {
					t.Fatalf("bad entry accepted: %v", x)
				}
			}
			if p := x.lookup(maxRel / 2); p < 0 || p >= size {
				t.Fatalf("lookup out of range: %d", p)
			}
		}
		y, err := decodeTimeIndex(tb, maxRel)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatal(err)
			}
		} else {
			for i, e := range y {
				if int64(e.rel) >= maxRel || (i > 0 && e.ts <= y[i-1].ts) {
					t.Fatalf("bad time entry accepted: %v", y)
				}
			}
		}
	})
}

// FuzzSegmentRecovery: a partition directory whose only segment holds
// arbitrary bytes (after some valid batches) opens without a panic; the
// recovered log holds only whole, CRC-valid, contiguous batches carrying the
// leader epoch the epoch cache gives them, keeps the valid prefix, and
// accepts appends at its end offset.
func FuzzSegmentRecovery(f *testing.F) {
	f.Add([]byte{}, uint8(2))
	f.Add(mkValues(f, 2, 5, 1), uint8(1))
	f.Add(bytes.Repeat([]byte{0}, 100), uint8(3))
	torn := mkValues(f, 1, 5, 1) // CRC-valid at offset 3 after two good batches, epoch -1
	setBaseOffset(torn, 3)
	f.Add(torn, uint8(2))
	f.Fuzz(func(t *testing.T, tail []byte, good uint8) {
		mem := vfs.NewMem()
		mem.MkdirAll("/d/t-0", 0o755)
		var seg []byte
		var next int64
		for i := range int(good % 4) {
			b := mkValues(t, 1+i, 5, 1)
			setBaseOffset(b, next)
			setLeaderEpoch(b, 4)
			next += int64(1 + i)
			seg = append(seg, b...)
		}
		prefix := next
		seg = append(seg, tail...)
		w, _ := vfs.Create(mem, "/d/t-0/"+segmentName(0)+logSuffix)
		w.Write(seg)
		w.Close()
		// The checkpoint a log writes when it is created: recovery point 0.
		vfs.WriteFileAtomic(mem, "/d/t-0/"+partitionCheckpointFile, partitionCheckpoint{}.encode())
		vfs.WriteFileAtomic(mem, "/d/t-0/"+epochCheckpointFile, encodeEpochs([]epochEntry{{epoch: 4, start: 0}}))
		l, err := Open("/d/t-0", testCfg(), Options{FS: mem, Logger: discardLogger()})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		defer l.Close()
		if l.LogEndOffset() < prefix {
			t.Fatalf("lost the valid prefix: LEO %d < %d", l.LogEndOffset(), prefix)
		}
		got := readAll(t, l, 0)
		var n int64
		for _, b := range got {
			h, _ := ParseBatchHeader(b)
			if h.BaseOffset != n {
				t.Fatalf("gap at %d (want %d)", h.BaseOffset, n)
			}
			if h.PartitionLeaderEpoch != 4 {
				t.Fatalf("batch at %d has leader epoch %d, the cache says 4", h.BaseOffset, h.PartitionLeaderEpoch)
			}
			n = h.LastOffset() + 1
		}
		if n != l.LogEndOffset() {
			t.Fatalf("batches end at %d, LEO %d", n, l.LogEndOffset())
		}
		info, err := l.Append(mkValues(t, 1, 1, 1), 4)
		if err != nil || info.BaseOffset != n {
			t.Fatalf("append after recovery: %+v %v", info, err)
		}
	})
}
