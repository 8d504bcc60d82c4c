package storage

import (
	"encoding/binary"
	"fmt"
)

// ValidateRecords checks the records inside a producer's batch, as Kafka's
// leader does (LogValidator): the record section parses, it holds exactly
// the batch's record count, offset deltas run 0..n-1, and, when requireKeys
// (compacted topics), no key is null. A compressed batch is decompressed to
// be checked. Structural damage is ErrCorrupt; a well-formed batch breaking a
// rule is ErrInvalidRecord. Null keys are reported together, as a
// *NullKeyError naming every such record, so that the producer learns which
// records of the batch were at fault (KIP-467). batch is not modified or
// retained.
func ValidateRecords(batch []byte, requireKeys bool) error {
	h, err := ParseBatchHeader(batch)
	if err != nil {
		return err
	}
	if h.Size() > int64(len(batch)) {
		return corruptf("batch truncated")
	}
	if h.NumRecords <= 0 || h.NumRecords != h.LastOffsetDelta+1 {
		return fmt.Errorf("%w: %d records but lastOffsetDelta %d", ErrInvalidRecord, h.NumRecords, h.LastOffsetDelta)
	}
	data := batch[batchHeaderSize:h.Size()]
	if h.Codec() != CodecNone {
		if data, err = decompress(h.Codec(), data); err != nil {
			return err
		}
	}
	return walkRecords(data, h.NumRecords, requireKeys)
}

// NullKeyError is the ErrInvalidRecord of a batch for a compacted topic in
// which some records have no key. Records holds their indexes in the batch,
// in order.
type NullKeyError struct {
	Records []int32
}

func (e *NullKeyError) Error() string {
	return fmt.Sprintf("%v: %d records have a null key, which a compacted topic cannot keep (the first is record %d)", ErrInvalidRecord, len(e.Records), e.Records[0])
}

func (e *NullKeyError) Unwrap() error { return ErrInvalidRecord }

// walkRecords validates an uncompressed record section without allocating
// (unless records lack the keys requireKeys demands).
// It runs once per produced record, so it walks by index and decodes varints
// with readVarint's one- and two-byte fast paths instead of binary.Varint.
func walkRecords(data []byte, n int32, requireKeys bool) error {
	if n < 0 || int64(n) > int64(len(data)) {
		return corruptf("record count %d for %d bytes", n, len(data))
	}
	pos := 0
	var nullKeys []int32
	for i := int32(0); i < n; i++ {
		l, next := readVarint(data, pos)
		if next < 0 || l < 1 || l > int64(len(data)-next) {
			return corruptf("record %d: bad length", i)
		}
		end := next + int(l)
		rec := data[:end:end]
		p := next + 1 // skip the attributes byte
		if _, p = readVarint(rec, p); p < 0 {
			return corruptf("record %d: bad timestamp delta", i)
		}
		var v int64
		if v, p = readVarint(rec, p); p < 0 {
			return corruptf("record %d: bad offset delta", i)
		}
		if v != int64(i) {
			return fmt.Errorf("%w: record %d has offset delta %d", ErrInvalidRecord, i, v)
		}
		var kl int64
		if kl, p = readVarint(rec, p); p < 0 || kl < -1 || kl > int64(end-p) {
			return corruptf("record %d: bad key", i)
		}
		if kl == -1 && requireKeys {
			nullKeys = append(nullKeys, i)
		}
		p += int(max(kl, 0))
		if p = skipVarbytes(rec, p); p < 0 {
			return corruptf("record %d: bad value", i)
		}
		if v, p = readVarint(rec, p); p < 0 || v < 0 || v > int64(end-p) {
			return corruptf("record %d: bad header count", i)
		}
		for range v {
			if p = skipVarbytes(rec, p); p < 0 {
				return corruptf("record %d: bad header key", i)
			}
			if p = skipVarbytes(rec, p); p < 0 {
				return corruptf("record %d: bad header value", i)
			}
		}
		if p != end {
			return corruptf("record %d: %d trailing bytes", i, end-p)
		}
		pos = end
	}
	if pos != len(data) {
		return corruptf("%d bytes after the last record", len(data)-pos)
	}
	if nullKeys != nil {
		return &NullKeyError{Records: nullKeys}
	}
	return nil
}

// readVarint decodes the zig-zag varint at b[i:] and returns it with the
// index after it, or a negative index if it is truncated or too long.
func readVarint(b []byte, i int) (int64, int) {
	if i < 0 || i >= len(b) {
		return 0, -1
	}
	var u uint64
	if c := b[i]; c < 0x80 {
		u, i = uint64(c), i+1
	} else if i+1 < len(b) && b[i+1] < 0x80 {
		u, i = uint64(c&0x7f)|uint64(b[i+1])<<7, i+2
	} else {
		x, k := binary.Uvarint(b[i:])
		if k <= 0 {
			return 0, -1
		}
		u, i = x, i+k
	}
	return int64(u>>1) ^ -int64(u&1), i
}

// skipVarbytes steps over a varint-length-prefixed byte string (length -1
// is null) and returns the index after it, or -1.
func skipVarbytes(b []byte, i int) int {
	l, i := readVarint(b, i)
	if i < 0 || l < -1 || l > int64(len(b)-i) {
		return -1
	}
	return i + int(max(l, 0))
}
