package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
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
		// Every keyless record is named, not just the first (KIP-467).
		mixed := mkBatch(t, codec, 1000, kv{key: nil, value: []byte("1")}, kv{key: []byte("b"), value: []byte("2")},
			kv{key: nil, value: []byte("3")}, kv{key: []byte("d"), value: []byte("4")}, kv{key: nil, value: []byte("5")})
		var nk *NullKeyError
		if err := ValidateRecords(mixed, true); !errors.As(err, &nk) || !errors.Is(err, ErrInvalidRecord) || fmt.Sprint(nk.Records) != "[0 2 4]" {
			t.Fatalf("%v: keyless records 0, 2 and 4: %v", codec, err)
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

// walkRecordsReference is the straightforward walk (binary.Varint over
// reslicing) that walkRecords replaced; FuzzWalkRecordsMatchesReference
// holds the faster one to the same verdicts.
func walkRecordsReference(data []byte, n int32, requireKeys bool) error {
	if n < 0 || int64(n) > int64(len(data)) {
		return corruptf("record count %d for %d bytes", n, len(data))
	}
	p := data
	var nullKeys []int32
	for i := int32(0); i < n; i++ {
		l, k := binary.Varint(p)
		if k <= 0 || l < 1 || l > int64(len(p)-k) {
			return corruptf("record %d: bad length", i)
		}
		body := p[k+1 : k+int(l)] // skip the attributes byte
		p = p[k+int(l):]
		var ok bool
		var v int64
		if _, body, ok = varint(body); !ok {
			return corruptf("record %d: bad timestamp delta", i)
		}
		if v, body, ok = varint(body); !ok {
			return corruptf("record %d: bad offset delta", i)
		}
		if v != int64(i) {
			return fmt.Errorf("%w: record %d has offset delta %d", ErrInvalidRecord, i, v)
		}
		kl, body, ok := varint(body)
		if !ok || kl < -1 || kl > int64(len(body)) {
			return corruptf("record %d: bad key", i)
		}
		if kl == -1 && requireKeys {
			nullKeys = append(nullKeys, i)
		}
		body = body[max(kl, 0):]
		if _, body, ok = varbytes(body); !ok {
			return corruptf("record %d: bad value", i)
		}
		if v, body, ok = varint(body); !ok || v < 0 || v > int64(len(body)) {
			return corruptf("record %d: bad header count", i)
		}
		for j := int64(0); j < v; j++ {
			if _, body, ok = varbytes(body); !ok {
				return corruptf("record %d: bad header key", i)
			}
			if _, body, ok = varbytes(body); !ok {
				return corruptf("record %d: bad header value", i)
			}
		}
		if len(body) != 0 {
			return corruptf("record %d: %d trailing bytes", i, len(body))
		}
	}
	if len(p) != 0 {
		return corruptf("%d bytes after the last record", len(p))
	}
	if nullKeys != nil {
		return &NullKeyError{Records: nullKeys}
	}
	return nil
}

func FuzzWalkRecordsMatchesReference(f *testing.F) {
	for _, b := range [][]byte{
		mkValues(f, 3, 10, 1),
		mkValues(f, 2, 200, 1),
		mkBatch(f, CodecNone, 1, kv{key: nil, value: []byte("v")}),
	} {
		h, _ := ParseBatchHeader(b)
		f.Add(b[batchHeaderSize:], h.NumRecords, true)
		f.Add(b[batchHeaderSize:], h.NumRecords, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, n int32, keys bool) {
		got, want := walkRecords(data, n, keys), walkRecordsReference(data, n, keys)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("walkRecords: %v\nreference:   %v", got, want)
		}
	})
}
