// Package storage is Gregor's partition log: segments of RecordBatch v2 bytes
// in Kafka's on-disk layout, with indexes, recovery, retention, truncation,
// the leader-epoch cache and compaction. It knows nothing of networks, Raft
// or Kafka requests (TestForbiddenImports), and does all file I/O through
// internal/vfs.
//
// # Files
//
//	errors.go      sentinel errors (ErrCorrupt is a class), errno classification
//	config.go      Config (Kafka topic config names and defaults), Validate
//	batch.go       RecordBatch v2 header layout, ParseBatchHeader, VerifyBatch, in-place rewrites
//	records.go     codecs (gzip, snappy/xerial, lz4, zstd) and record decoding/encoding
//	index.go       .index and .timeindex formats and lookups
//	scanner.go     sequential batch scanning of a .log file
//	checkpoint.go  partition.checkpoint and leader-epoch-checkpoint formats
//	segment.go     segment naming, lazily loaded per-segment indexes, index rebuild
//	log.go         Log, Open (and recovery), Close, Delete, checkpoints
//	append.go      Append, AppendBatches, roll
//	read.go        Read (file ranges), ReadInto, ScanBatches
//	sync.go        group commit (Sync), directory-sync ordering
//	truncate.go    TruncateTo, DeleteRecordsBefore, segment retirement
//	retention.go   ApplyRetention (retention.ms / retention.bytes)
//	epochs.go      leader-epoch cache (AssignEpoch, EndOffsetForEpoch)
//	timestamp.go   OffsetForTimestamp, MaxTimestampOffset
//	compact.go     the compaction cleaner
//	deleter.go     delayed file deletion (file.delete.delay.ms)
//	recycle.go     the pool of deleted segment files reused as new segments
//	dir.go         Dir: many partitions, concurrent open, background work
//	dump.go        DumpSegment / DumpLog (gregor debug segment|log)
//
// # Invariants that matter
//
//   - Readers see only whole batches: a segment's size and the log end offset
//     are published under Log.mu after the write returned.
//   - Everything below the recovery point is durable: data, and the index
//     files of closed segments. A clean-shutdown checkpoint additionally
//     vouches for the active segment's index files and the log end offset;
//     the first change after opening rewrites it as unclean first.
//   - A rolled segment is fsynced by the next Sync, and every directory sync
//     of the partition syncs such segments first, so a newer segment never
//     becomes durable behind a torn older one.
//   - Past the recovery point of the checkpoint on disk, offsets are
//     contiguous and every batch carries the epoch the leader-epoch cache
//     gives it, so recovery can treat a jump or another epoch as damage:
//     neither the base offset nor the leader epoch is covered by the CRC,
//     and a torn tail can hold an otherwise whole batch with a garbage byte
//     in one of them (strictness in segment.go). The cache is durable before
//     the first batch of a new epoch is written. What breaks the rule
//     legally (a follower's gap, an epoch other than the cache's, a cache
//     entry starting below the log end, a compacted segment) is made
//     durable and the checkpoint written past it before it is reported
//     synced or swapped in; a Sync alone does not move that recovery point.
//   - The log start offset only moves forward and is persisted before the
//     segments below it are removed.
//   - Files handed out in Ranges are closed only after file.delete.delay.ms.
//   - A deleted segment's file is reused as a new segment only if it was
//     never read, or not for poolReadGrace, and only after the first 12
//     bytes of each of its batches were scrubbed and synced: a reused file's
//     old bytes past the new data never parse as a batch (recycle.go).
//
// # Lock order
//
// Log: cleanMu (the cleaner, for a whole compaction) -> appendMu ->
// segment.loadMu -> ckptMu -> mu -> segment.fileMu; syncMu -> mu. Dir.mu is
// never held while calling into a Log except to open one in Create.
package storage
