package storage

import (
	"errors"
	"testing"
)

func TestValidateRecords(t *testing.T) {
	for _, codec := range []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd} {
		good := mkBatch(t, codec, 1000, kv{key: []byte("a"), value: []byte("1")}, kv{key: []byte("b"), value: []byte("2")})
		if err := ValidateRecords(good, true); err != nil {
			t.Fatalf("%v: valid batch: %v", codec, err)
		}
		nullKey := mkBatch(t, codec, 1000, kv{key: []byte("a"), value: []byte("1")}, kv{key: nil, value: []byte("2")})
		if err := ValidateRecords(nullKey, false); err != nil {
			t.Fatalf("%v: null key on a non-compacted topic: %v", codec, err)
		}
		if err := ValidateRecords(nullKey, true); !errors.Is(err, ErrInvalidRecord) {
			t.Fatalf("%v: null key on a compacted topic: %v", codec, err)
		}
	}
	// Offset deltas must run 0..n-1.
	raw := appendRecord(nil, 0, 0, []byte("k"), []byte("v"))
	raw = appendRecord(raw, 5, 0, []byte("k"), []byte("v"))
	b, err := encodeBatch(BatchHeader{PartitionLeaderEpoch: -1, LastOffsetDelta: 1, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, NumRecords: 2}, raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateRecords(b, false); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("offset delta gap: %v", err)
	}
	// A record count that overstates the records is corruption.
	two := appendRecord(appendRecord(nil, 0, 0, []byte("k"), []byte("v")), 1, 0, []byte("k"), []byte("v"))
	b, _ = encodeBatch(BatchHeader{PartitionLeaderEpoch: -1, LastOffsetDelta: 2, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, NumRecords: 3}, two)
	if err := ValidateRecords(b, false); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("missing record: %v", err)
	}
	// Garbage in the record section.
	b, _ = encodeBatch(BatchHeader{PartitionLeaderEpoch: -1, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, NumRecords: 1}, []byte{0x7f, 1, 2})
	if err := ValidateRecords(b, false); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("garbage records: %v", err)
	}
}

func FuzzValidateRecords(f *testing.F) {
	f.Add(mkBatch(f, CodecNone, 1, kv{key: []byte("a"), value: []byte("b")}), true)
	f.Add(mkBatch(f, CodecZstd, 1, kv{key: nil, value: []byte("b")}), false)
	f.Fuzz(func(t *testing.T, b []byte, keys bool) {
		ValidateRecords(b, keys) // must not panic
	})
}
