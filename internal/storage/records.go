package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec is a batch compression codec (attribute bits 0-2).
type Codec int8

// Codecs, numbered as in Kafka.
const (
	CodecNone   Codec = 0
	CodecGzip   Codec = 1
	CodecSnappy Codec = 2
	CodecLZ4    Codec = 3
	CodecZstd   Codec = 4
)

func (c Codec) String() string {
	switch c {
	case CodecNone:
		return "none"
	case CodecGzip:
		return "gzip"
	case CodecSnappy:
		return "snappy"
	case CodecLZ4:
		return "lz4"
	case CodecZstd:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", int8(c))
}

// maxDecompressed bounds the size a batch may decompress to, so that a
// compression bomb read from disk or the network cannot exhaust memory.
const maxDecompressed = 256 << 20

// xerialMagic opens the snappy framing that Kafka's Java client writes
// (xerial snappy-java SnappyOutputStream): magic, version 1, compatible 1,
// then blocks of int32 big-endian length + raw snappy block.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// decompress returns the uncompressed records section of a batch.
func decompress(c Codec, in []byte) ([]byte, error) {
	switch c {
	case CodecNone:
		return in, nil
	case CodecGzip:
		r, err := gzip.NewReader(bytes.NewReader(in))
		if err != nil {
			return nil, corruptf("gzip: %v", err)
		}
		return readLimited(r, "gzip")
	case CodecSnappy:
		if bytes.HasPrefix(in, xerialMagic) && len(in) >= 16 {
			var out []byte
			p := in[16:]
			for len(p) > 0 {
				if len(p) < 4 {
					return nil, corruptf("snappy: truncated xerial block header")
				}
				n := int(binary.BigEndian.Uint32(p))
				p = p[4:]
				if n < 0 || n > len(p) {
					return nil, corruptf("snappy: xerial block of %d bytes, %d left", n, len(p))
				}
				if dl, err := snappy.DecodedLen(p[:n]); err != nil || len(out)+dl > maxDecompressed {
					return nil, corruptf("snappy: bad block length (%v)", err)
				}
				d, err := snappy.Decode(nil, p[:n])
				if err != nil {
					return nil, corruptf("snappy: %v", err)
				}
				out = append(out, d...)
				p = p[n:]
			}
			return out, nil
		}
		if dl, err := snappy.DecodedLen(in); err != nil || dl > maxDecompressed {
			return nil, corruptf("snappy: bad length (%v)", err)
		}
		d, err := snappy.Decode(nil, in)
		if err != nil {
			return nil, corruptf("snappy: %v", err)
		}
		return d, nil
	case CodecLZ4:
		return readLimited(lz4.NewReader(bytes.NewReader(in)), "lz4")
	case CodecZstd:
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecompressed))
		if err != nil {
			return nil, err
		}
		defer d.Close()
		out, err := d.DecodeAll(in, nil)
		if err != nil {
			return nil, corruptf("zstd: %v", err)
		}
		return out, nil
	}
	return nil, corruptf("unknown compression codec %d", c)
}

func readLimited(r io.Reader, what string) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, maxDecompressed+1))
	if err != nil {
		return nil, corruptf("%s: %v", what, err)
	}
	if len(out) > maxDecompressed {
		return nil, corruptf("%s: decompresses to more than %d bytes", what, maxDecompressed)
	}
	return out, nil
}

// compress compresses a records section with codec c.
func compress(c Codec, in []byte) ([]byte, error) {
	var buf bytes.Buffer
	switch c {
	case CodecNone:
		return in, nil
	case CodecGzip:
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(in); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case CodecSnappy:
		buf.Write(xerialMagic)
		buf.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		const block = 32 << 10
		for p := in; len(p) > 0; {
			n := min(len(p), block)
			enc := snappy.Encode(nil, p[:n])
			buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(enc))))
			buf.Write(enc)
			p = p[n:]
		}
	case CodecLZ4:
		w := lz4.NewWriter(&buf)
		if _, err := w.Write(in); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case CodecZstd:
		e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		out := e.EncodeAll(in, nil)
		e.Close()
		return out, nil
	default:
		return nil, fmt.Errorf("storage: unknown compression codec %d", c)
	}
	return buf.Bytes(), nil
}

// Record is one decoded record of a batch. Key is nil for a null key, Value
// nil for a tombstone. Key, Value and Raw alias the decoded buffer.
type Record struct {
	OffsetDelta    int32
	TimestampDelta int64
	Key            []byte
	Value          []byte
	Headers        int32
	// Raw is the whole encoded record, length prefix included; it stays
	// valid for a batch with the same base offset and base timestamp.
	Raw []byte
}

// decodeRecords decodes the records section (uncompressed) of a batch that
// claims n records. Errors are in the ErrCorrupt class.
func decodeRecords(data []byte, n int32) ([]Record, error) {
	if n < 0 || int64(n) > int64(len(data)) {
		return nil, corruptf("record count %d for %d bytes", n, len(data))
	}
	recs := make([]Record, 0, n)
	p := data
	for i := int32(0); i < n; i++ {
		l, k := binary.Varint(p)
		if k <= 0 || l < 0 || l > int64(len(p)-k) {
			return nil, corruptf("record %d: bad length", i)
		}
		raw := p[:k+int(l)]
		body := p[k : k+int(l)]
		p = p[k+int(l):]
		var r Record
		r.Raw = raw
		if len(body) < 1 {
			return nil, corruptf("record %d: empty", i)
		}
		body = body[1:] // attributes
		var ok bool
		var v int64
		if r.TimestampDelta, body, ok = varint(body); !ok {
			return nil, corruptf("record %d: bad timestamp delta", i)
		}
		if v, body, ok = varint(body); !ok || v < 0 || v > 1<<31-1 {
			return nil, corruptf("record %d: bad offset delta", i)
		}
		r.OffsetDelta = int32(v)
		if r.Key, body, ok = varbytes(body); !ok {
			return nil, corruptf("record %d: bad key", i)
		}
		if r.Value, body, ok = varbytes(body); !ok {
			return nil, corruptf("record %d: bad value", i)
		}
		if v, body, ok = varint(body); !ok || v < 0 || v > int64(len(body)) {
			return nil, corruptf("record %d: bad header count", i)
		}
		r.Headers = int32(v)
		for j := int64(0); j < v; j++ {
			if _, body, ok = varbytes(body); !ok {
				return nil, corruptf("record %d: bad header key", i)
			}
			if _, body, ok = varbytes(body); !ok {
				return nil, corruptf("record %d: bad header value", i)
			}
		}
		if len(body) != 0 {
			return nil, corruptf("record %d: %d trailing bytes", i, len(body))
		}
		recs = append(recs, r)
	}
	if len(p) != 0 {
		return nil, corruptf("%d bytes after the last record", len(p))
	}
	return recs, nil
}

func varint(b []byte) (int64, []byte, bool) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, b, false
	}
	return v, b[n:], true
}

func varbytes(b []byte) ([]byte, []byte, bool) {
	l, b, ok := varint(b)
	if !ok || l < -1 || l > int64(len(b)) {
		return nil, b, false
	}
	if l == -1 {
		return nil, b, true
	}
	return b[:l:l], b[l:], true
}

// batchRecords decodes the records of a whole verified batch.
func batchRecords(batch []byte) (BatchHeader, []Record, error) {
	h, err := ParseBatchHeader(batch)
	if err != nil {
		return h, nil, err
	}
	if h.Size() > int64(len(batch)) {
		return h, nil, corruptf("batch at offset %d truncated", h.BaseOffset)
	}
	data, err := decompress(h.Codec(), batch[batchHeaderSize:h.Size()])
	if err != nil {
		return h, nil, fmt.Errorf("batch at offset %d: %w", h.BaseOffset, err)
	}
	recs, err := decodeRecords(data, h.NumRecords)
	if err != nil {
		return h, nil, fmt.Errorf("batch at offset %d: %w", h.BaseOffset, err)
	}
	return h, recs, nil
}

// recordTimestamp is a record's timestamp in a batch (LogAppendTime batches
// give every record the batch's max timestamp).
func recordTimestamp(h BatchHeader, r Record) int64 {
	if h.LogAppendTime() {
		return h.MaxTimestamp
	}
	return h.BaseTimestamp + r.TimestampDelta
}

// AppendRecord encodes one record (for tests and the cleaner).
func appendRecord(dst []byte, offsetDelta int32, tsDelta int64, key, value []byte) []byte {
	var body []byte
	body = append(body, 0)
	body = binary.AppendVarint(body, tsDelta)
	body = binary.AppendVarint(body, int64(offsetDelta))
	body = appendVarbytes(body, key)
	body = appendVarbytes(body, value)
	body = binary.AppendVarint(body, 0)
	dst = binary.AppendVarint(dst, int64(len(body)))
	return append(dst, body...)
}

func appendVarbytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// encodeBatch assembles a batch from header fields and uncompressed encoded
// records, compressing them with h's codec; Length and CRC are computed.
func encodeBatch(h BatchHeader, rawRecords []byte) ([]byte, error) {
	payload, err := compress(h.Codec(), rawRecords)
	if err != nil {
		return nil, err
	}
	b := make([]byte, batchHeaderSize, batchHeaderSize+len(payload))
	binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(h.BaseOffset))
	binary.BigEndian.PutUint32(b[offLength:], uint32(batchHeaderSize-logOverhead+len(payload)))
	binary.BigEndian.PutUint32(b[offLeaderEpoch:], uint32(h.PartitionLeaderEpoch))
	b[offMagic] = 2
	binary.BigEndian.PutUint16(b[offAttributes:], uint16(h.Attributes))
	binary.BigEndian.PutUint32(b[offLastDelta:], uint32(h.LastOffsetDelta))
	binary.BigEndian.PutUint64(b[offBaseTimestamp:], uint64(h.BaseTimestamp))
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(h.MaxTimestamp))
	binary.BigEndian.PutUint64(b[offProducerID:], uint64(h.ProducerID))
	binary.BigEndian.PutUint16(b[offProducerEpoch:], uint16(h.ProducerEpoch))
	binary.BigEndian.PutUint32(b[offBaseSequence:], uint32(h.BaseSequence))
	binary.BigEndian.PutUint32(b[offNumRecords:], uint32(h.NumRecords))
	b = append(b, payload...)
	fixCRC(b)
	return b, nil
}
