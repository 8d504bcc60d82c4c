package storage

import (
	"encoding/binary"
	"sort"
)

// Offset index (.index), part of the on-disk format, Kafka's layout. A sparse
// list of fixed 8-byte entries, big-endian, no header:
//
//	0  relativeOffset  int32  lastOffset of an indexed batch - segment base offset
//	4  position        int32  byte position of that batch in the .log file
//
// Entries increase strictly in both fields. One entry is added when more than
// index.interval.bytes have been appended since the previous entry (the first
// batch of a segment needs none: it is at position 0). Lookup(target) takes the
// last entry with offset <= target and scans batches from its position.
//
// Time index (.timeindex), part of the on-disk format, Kafka's layout. Fixed
// 12-byte entries, big-endian, no header:
//
//	0  timestamp       int64  largest batch max timestamp so far in the segment
//	8  relativeOffset  int32  lastOffset of the batch holding it - base offset
//
// Both fields increase strictly. An entry is added beside each offset-index
// entry when the segment's max timestamp grew, and once more when the segment
// is closed (rolled, or the log is closed cleanly), so the last entry holds the
// segment's max timestamp.
//
// Index files are rewritten whole when a segment is closed and are not synced
// on the append path: recovery rebuilds the index of every segment past the
// recovery point, and an index that fails its sanity check is rebuilt from the
// .log file.
const (
	indexEntrySize     = 8
	timeIndexEntrySize = 12
)

type indexEntry struct {
	rel int32 // relative offset
	pos int32
}

type timeEntry struct {
	ts  int64
	rel int32
}

// offsetIndex is the in-memory copy of a segment's .index.
type offsetIndex []indexEntry

// lookup returns the position to start scanning for the batch holding rel.
func (x offsetIndex) lookup(rel int64) int64 {
	i := sort.Search(len(x), func(i int) bool { return int64(x[i].rel) > rel })
	if i == 0 {
		return 0
	}
	return int64(x[i-1].pos)
}

// lookupPos returns the last entry at or before position pos.
func (x offsetIndex) floorPos(pos int64) (indexEntry, bool) {
	i := sort.Search(len(x), func(i int) bool { return int64(x[i].pos) > pos })
	if i == 0 {
		return indexEntry{}, false
	}
	return x[i-1], true
}

// floorRel returns the last entry with relative offset <= rel.
func (x offsetIndex) floorRel(rel int64) (indexEntry, bool) {
	i := sort.Search(len(x), func(i int) bool { return int64(x[i].rel) > rel })
	if i == 0 {
		return indexEntry{}, false
	}
	return x[i-1], true
}

func (x offsetIndex) encode() []byte {
	b := make([]byte, 0, len(x)*indexEntrySize)
	for _, e := range x {
		b = binary.BigEndian.AppendUint32(b, uint32(e.rel))
		b = binary.BigEndian.AppendUint32(b, uint32(e.pos))
	}
	return b
}

// decodeOffsetIndex parses and sanity-checks an index file for a segment of
// size bytes whose offsets are below base+maxRel. Errors are ErrCorrupt.
func decodeOffsetIndex(b []byte, size int64, maxRel int64) (offsetIndex, error) {
	if len(b)%indexEntrySize != 0 {
		return nil, corruptf("index size %d is not a multiple of %d", len(b), indexEntrySize)
	}
	x := make(offsetIndex, len(b)/indexEntrySize)
	for i := range x {
		e := indexEntry{
			rel: int32(binary.BigEndian.Uint32(b[i*8:])),
			pos: int32(binary.BigEndian.Uint32(b[i*8+4:])),
		}
		if e.rel < 0 || int64(e.rel) >= maxRel || e.pos <= 0 || int64(e.pos) >= size {
			return nil, corruptf("index entry %d (%d, %d) out of range", i, e.rel, e.pos)
		}
		if i > 0 && (e.rel <= x[i-1].rel || e.pos <= x[i-1].pos) {
			return nil, corruptf("index entry %d (%d, %d) not increasing", i, e.rel, e.pos)
		}
		x[i] = e
	}
	return x, nil
}

// truncatePos drops entries at or after position pos.
func (x offsetIndex) truncatePos(pos int64) offsetIndex {
	i := sort.Search(len(x), func(i int) bool { return int64(x[i].pos) >= pos })
	return x[:i:i]
}

// timeIndex is the in-memory copy of a segment's .timeindex.
type timeIndex []timeEntry

// lookup returns the last entry with ts < target (the scan for the first
// record with timestamp >= target may start at the batch holding it).
func (x timeIndex) floorBelow(target int64) (timeEntry, bool) {
	i := sort.Search(len(x), func(i int) bool { return x[i].ts >= target })
	if i == 0 {
		return timeEntry{}, false
	}
	return x[i-1], true
}

func (x timeIndex) encode() []byte {
	b := make([]byte, 0, len(x)*timeIndexEntrySize)
	for _, e := range x {
		b = binary.BigEndian.AppendUint64(b, uint64(e.ts))
		b = binary.BigEndian.AppendUint32(b, uint32(e.rel))
	}
	return b
}

func decodeTimeIndex(b []byte, maxRel int64) (timeIndex, error) {
	if len(b)%timeIndexEntrySize != 0 {
		return nil, corruptf("time index size %d is not a multiple of %d", len(b), timeIndexEntrySize)
	}
	x := make(timeIndex, len(b)/timeIndexEntrySize)
	for i := range x {
		e := timeEntry{
			ts:  int64(binary.BigEndian.Uint64(b[i*12:])),
			rel: int32(binary.BigEndian.Uint32(b[i*12+8:])),
		}
		if e.rel < 0 || int64(e.rel) >= maxRel {
			return nil, corruptf("time index entry %d (%d, %d) out of range", i, e.ts, e.rel)
		}
		if i > 0 && (e.ts <= x[i-1].ts || e.rel < x[i-1].rel) {
			return nil, corruptf("time index entry %d (%d, %d) not increasing", i, e.ts, e.rel)
		}
		x[i] = e
	}
	return x, nil
}

// truncateRel drops entries for offsets at or after rel.
func (x timeIndex) truncateRel(rel int64) timeIndex {
	i := sort.Search(len(x), func(i int) bool { return int64(x[i].rel) >= rel })
	return x[:i:i]
}
