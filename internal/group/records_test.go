package group

import (
	"bytes"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestBatchRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 300) // multi-byte length varints
	recs := []record{
		offsetRecord("g", "t", 3, Offset{Offset: 42, LeaderEpoch: 7, Metadata: "meta", CommitTime: 1000}),
		{key: big, value: big},
		groupTombstone("g"),
	}
	b := buildBatch(recs, 1234)
	var got []record
	var offs []int64
	if err := decodeBatches(append(b, b...), func(off int64, k, v []byte) error {
		got = append(got, record{key: k, value: v})
		offs = append(offs, off)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Fatalf("decoded %d records, want 6", len(got))
	}
	for i := range recs {
		if !bytes.Equal(got[i].key, recs[i].key) || !bytes.Equal(got[i].value, recs[i].value) || (got[i].value == nil) != (recs[i].value == nil) {
			t.Fatalf("record %d differs", i)
		}
		if offs[i] != int64(i) {
			t.Fatalf("record %d offset %d", i, offs[i])
		}
	}
	var v kmsg.OffsetCommitValue
	if err := v.ReadFrom(got[0].value); err != nil || v.Offset != 42 || v.LeaderEpoch != 7 || v.Metadata != "meta" {
		t.Fatalf("offset value: %+v %v", v, err)
	}
	// A flipped byte fails the CRC.
	b[len(b)-1] ^= 1
	if err := decodeBatches(b, func(int64, []byte, []byte) error { return nil }); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("corrupt batch: err %v, want ErrCorruptRecord", err)
	}
	// Truncated input is an error, not a panic.
	if err := decodeBatches(b[:70], func(int64, []byte, []byte) error { return nil }); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("truncated batch: err %v", err)
	}
}

func FuzzDecodeBatches(f *testing.F) {
	f.Add(buildBatch([]record{offsetRecord("g", "t", 0, Offset{Offset: 1})}, 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = decodeBatches(b, func(_ int64, k, v []byte) error {
			_, _ = parseKey(k)
			return nil
		})
	})
}
