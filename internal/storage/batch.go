package storage

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// RecordBatch v2 header, as stored in .log files and sent on the wire. This
// layout is part of the on-disk format (KAFKA-NOTES 2.1); all integers are
// big-endian:
//
//	0   baseOffset            int64   assigned by the leader (not in CRC)
//	8   batchLength           int32   bytes after this field (not in CRC)
//	12  partitionLeaderEpoch  int32   stamped by the leader (not in CRC)
//	16  magic                 int8    2
//	17  crc                   uint32  CRC-32C of bytes 21..end
//	21  attributes            int16   codec bits 0-2, 0x08 LogAppendTime,
//	                                  0x10 transactional, 0x20 control,
//	                                  0x40 delete horizon in baseTimestamp
//	23  lastOffsetDelta       int32
//	27  baseTimestamp         int64
//	35  maxTimestamp          int64
//	43  producerId            int64
//	51  producerEpoch         int16
//	53  baseSequence          int32
//	57  recordCount           int32
//	61  records...
const (
	batchHeaderSize  = 61 // RECORD_BATCH_OVERHEAD
	logOverhead      = 12 // baseOffset + batchLength
	offBaseOffset    = 0
	offLength        = 8
	offLeaderEpoch   = 12
	offMagic         = 16
	offCRC           = 17
	offAttributes    = 21
	offLastDelta     = 23
	offBaseTimestamp = 27
	offMaxTimestamp  = 35
	offProducerID    = 43
	offProducerEpoch = 51
	offBaseSequence  = 53
	offNumRecords    = 57

	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
	attrDeleteHorizon = 0x40
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// BatchHeader is the decoded 61-byte header of a RecordBatch v2.
type BatchHeader struct {
	BaseOffset           int64
	Length               int32 // batchLength: bytes after the length field
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

// Size is the whole batch's size in bytes.
func (h BatchHeader) Size() int64 { return int64(h.Length) + logOverhead }

// LastOffset is the offset of the batch's last record.
func (h BatchHeader) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// Codec is the compression codec (attribute bits 0-2).
func (h BatchHeader) Codec() Codec { return Codec(h.Attributes & attrCodecMask) }

// IsControl reports the control bit (transaction markers).
func (h BatchHeader) IsControl() bool { return h.Attributes&attrControl != 0 }

// IsTransactional reports the transactional bit.
func (h BatchHeader) IsTransactional() bool { return h.Attributes&attrTransactional != 0 }

// LogAppendTime reports whether maxTimestamp is the broker's append time.
func (h BatchHeader) LogAppendTime() bool { return h.Attributes&attrLogAppendTime != 0 }

// ParseBatchHeader decodes the first 61 bytes of b. It checks that b holds a
// whole header, that magic is 2 and that batchLength covers at least the
// header; it does not check the CRC (see VerifyBatch). Errors are in the
// ErrCorrupt class. b is not retained.
func ParseBatchHeader(b []byte) (BatchHeader, error) {
	if len(b) < batchHeaderSize {
		return BatchHeader{}, corruptf("batch header needs %d bytes, have %d", batchHeaderSize, len(b))
	}
	h := BatchHeader{
		BaseOffset:           int64(binary.BigEndian.Uint64(b[offBaseOffset:])),
		Length:               int32(binary.BigEndian.Uint32(b[offLength:])),
		PartitionLeaderEpoch: int32(binary.BigEndian.Uint32(b[offLeaderEpoch:])),
		Magic:                int8(b[offMagic]),
		CRC:                  binary.BigEndian.Uint32(b[offCRC:]),
		Attributes:           int16(binary.BigEndian.Uint16(b[offAttributes:])),
		LastOffsetDelta:      int32(binary.BigEndian.Uint32(b[offLastDelta:])),
		BaseTimestamp:        int64(binary.BigEndian.Uint64(b[offBaseTimestamp:])),
		MaxTimestamp:         int64(binary.BigEndian.Uint64(b[offMaxTimestamp:])),
		ProducerID:           int64(binary.BigEndian.Uint64(b[offProducerID:])),
		ProducerEpoch:        int16(binary.BigEndian.Uint16(b[offProducerEpoch:])),
		BaseSequence:         int32(binary.BigEndian.Uint32(b[offBaseSequence:])),
		NumRecords:           int32(binary.BigEndian.Uint32(b[offNumRecords:])),
	}
	if h.Magic != 2 {
		return h, corruptf("batch magic %d, want 2", h.Magic)
	}
	if h.Length < batchHeaderSize-logOverhead {
		return h, corruptf("batch length %d below the header size", h.Length)
	}
	if h.LastOffsetDelta < 0 {
		return h, corruptf("negative lastOffsetDelta %d", h.LastOffsetDelta)
	}
	if h.BaseOffset < 0 || h.BaseOffset > math.MaxInt64-int64(h.LastOffsetDelta) {
		return h, corruptf("base offset %d out of range", h.BaseOffset)
	}
	return h, nil
}

// VerifyBatch checks that b is exactly one whole batch with a valid header and
// CRC-32C. Errors are in the ErrCorrupt class.
func VerifyBatch(b []byte) (BatchHeader, error) {
	h, err := ParseBatchHeader(b)
	if err != nil {
		return h, err
	}
	if h.Size() > int64(len(b)) {
		return h, corruptf("batch at offset %d: length %d exceeds the %d bytes available", h.BaseOffset, h.Size(), len(b))
	}
	if got := crc32.Checksum(b[offAttributes:h.Size()], crcTable); got != h.CRC {
		return h, corruptf("batch at offset %d: crc %08x, computed %08x", h.BaseOffset, h.CRC, got)
	}
	return h, nil
}

func setBaseOffset(b []byte, off int64) { binary.BigEndian.PutUint64(b[offBaseOffset:], uint64(off)) }
func setLeaderEpoch(b []byte, e int32)  { binary.BigEndian.PutUint32(b[offLeaderEpoch:], uint32(e)) }

// setLogAppendTime stamps the broker's time: attribute bit 3, maxTimestamp,
// then recomputes the CRC (both fields are covered by it).
func setLogAppendTime(b []byte, ts int64) {
	attr := binary.BigEndian.Uint16(b[offAttributes:]) | attrLogAppendTime
	binary.BigEndian.PutUint16(b[offAttributes:], attr)
	binary.BigEndian.PutUint64(b[offMaxTimestamp:], uint64(ts))
	fixCRC(b)
}

func fixCRC(b []byte) {
	binary.BigEndian.PutUint32(b[offCRC:], crc32.Checksum(b[offAttributes:], crcTable))
}

// batchTimestamp is the batch's effective max timestamp.
func (h BatchHeader) timestamp() int64 { return h.MaxTimestamp }
