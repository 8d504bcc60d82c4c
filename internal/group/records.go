package group

// The records of __consumer_offsets, in Kafka's layout so that tools reading
// the topic understand them (kmsg has the schemas).
//
// Every record's key and value begin with an int16 version that names the
// schema:
//
//	key version 0, 1  OffsetCommitKey   {group string, topic string, partition int32}
//	key version 2     GroupMetadataKey  {group string}
//	key version 3-8   KIP-848 consumer group records (not written by Gregor;
//	                  skipped on load with a log line)
//
//	OffsetCommitValue v3  {offset int64, leaderEpoch int32, metadata string, commitTimestamp int64}
//	GroupMetadataValue v3 {protocolType, generation, protocol?, leader?, currentStateTimestamp,
//	                       members [{memberID, instanceID?, clientID, clientHost,
//	                       rebalanceTimeout, sessionTimeout, subscription bytes, assignment bytes}]}
//
// A record with a null value (a tombstone) deletes its key: compaction keeps
// only the newest record per key. Records are written as uncompressed
// RecordBatch v2 (magic 2) batches with producer id -1, CRC-32C over the bytes
// from the attributes to the end, exactly as a producer would send them.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record key versions (part of the format).
const (
	keyOffsetCommitV0  int16 = 0
	keyOffsetCommitV1  int16 = 1
	keyGroupMetadata   int16 = 2
	valueOffsetCommit  int16 = 3 // the version Gregor writes
	valueGroupMetadata int16 = 3 // the version Gregor writes
)

// ErrCorruptRecord: a __consumer_offsets batch or record does not decode.
var ErrCorruptRecord = errors.New("group: corrupt __consumer_offsets record")

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// record is one key/value pair; a nil value is a tombstone.
type record struct {
	key, value []byte
}

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.OffsetCommitKey{Version: keyOffsetCommitV1, Group: group, Topic: topic, Partition: partition}
	return k.AppendTo(nil)
}

func offsetRecord(group, topic string, partition int32, o Offset) record {
	v := kmsg.NewOffsetCommitValue()
	v.Version = valueOffsetCommit
	v.Offset = o.Offset
	v.LeaderEpoch = o.LeaderEpoch
	v.Metadata = o.Metadata
	v.CommitTimestamp = o.CommitTime
	return record{key: offsetKey(group, topic, partition), value: v.AppendTo(nil)}
}

func offsetTombstone(group, topic string, partition int32) record {
	return record{key: offsetKey(group, topic, partition)}
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: keyGroupMetadata, Group: group}
	return k.AppendTo(nil)
}

func groupTombstone(group string) record { return record{key: groupKey(group)} }

// buildBatch encodes recs as one RecordBatch v2 with base offset 0, ready for
// replica.Partition.Append (which assigns offsets). now is the timestamp of
// every record in milliseconds.
func buildBatch(recs []record, now int64) []byte {
	var body []byte
	for i, r := range recs {
		rec := kmsg.Record{
			OffsetDelta: int32(i),
			Key:         r.key,
			Value:       r.value,
		}
		// Length covers everything after the length varint.
		rec.Length = int32(len(rec.AppendTo(nil)) - 1)
		body = rec.AppendTo(body)
	}
	b := kmsg.RecordBatch{
		FirstOffset:          0,
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       now,
		MaxTimestamp:         now,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           int32(len(recs)),
		Records:              body,
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32c))
	return out
}

// decodeBatches walks the RecordBatch v2 batches in buf (whole batches, as
// read from the log) and calls fn with each record's offset, key and value
// (nil value = tombstone). The slices alias buf. Control batches are skipped;
// a batch that fails its CRC or does not decode is ErrCorruptRecord, as is a
// compressed batch (Gregor never writes one to this topic).
func decodeBatches(buf []byte, fn func(offset int64, key, value []byte) error) error {
	for len(buf) > 0 {
		if len(buf) < 61 {
			return fmt.Errorf("%w: %d trailing bytes", ErrCorruptRecord, len(buf))
		}
		size := int(int32(binary.BigEndian.Uint32(buf[8:]))) + 12
		if size < 61 || size > len(buf) {
			return fmt.Errorf("%w: batch length %d with %d bytes left", ErrCorruptRecord, size, len(buf))
		}
		raw := buf[:size]
		buf = buf[size:]
		var b kmsg.RecordBatch
		if err := b.ReadFrom(raw); err != nil {
			return fmt.Errorf("%w: batch header: %v", ErrCorruptRecord, err)
		}
		if b.Magic != 2 {
			return fmt.Errorf("%w: magic %d", ErrCorruptRecord, b.Magic)
		}
		if crc32.Checksum(raw[21:], crc32c) != uint32(b.CRC) {
			return fmt.Errorf("%w: CRC mismatch at offset %d", ErrCorruptRecord, b.FirstOffset)
		}
		if b.Attributes&0x20 != 0 { // control batch (transaction markers)
			continue
		}
		if b.Attributes&0x07 != 0 {
			return fmt.Errorf("%w: compressed batch (codec %d) at offset %d", ErrCorruptRecord, b.Attributes&0x07, b.FirstOffset)
		}
		recs := b.Records
		for i := int32(0); i < b.NumRecords; i++ {
			r := kbin.Reader{Src: recs}
			l := r.Varint()
			if !r.Ok() || l < 0 || int(l) > len(r.Src) {
				return fmt.Errorf("%w: record %d of batch at %d: bad length", ErrCorruptRecord, i, b.FirstOffset)
			}
			n := len(recs) - len(r.Src) + int(l)
			var rec kmsg.Record
			if err := rec.ReadFrom(recs[:n]); err != nil {
				return fmt.Errorf("%w: record %d of batch at %d: %v", ErrCorruptRecord, i, b.FirstOffset, err)
			}
			recs = recs[n:]
			if err := fn(b.FirstOffset+int64(rec.OffsetDelta), rec.Key, rec.Value); err != nil {
				return err
			}
		}
	}
	return nil
}
