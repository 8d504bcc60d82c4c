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
// rule is ErrInvalidRecord. batch is not modified or retained.
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

// walkRecords validates an uncompressed record section without allocating.
func walkRecords(data []byte, n int32, requireKeys bool) error {
	if n < 0 || int64(n) > int64(len(data)) {
		return corruptf("record count %d for %d bytes", n, len(data))
	}
	p := data
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
			return fmt.Errorf("%w: record %d has a null key, which a compacted topic cannot keep", ErrInvalidRecord, i)
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
	return nil
}
