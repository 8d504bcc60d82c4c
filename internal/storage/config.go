package storage

import (
	"fmt"
	"math"
)

// Cleanup policies (cleanup.policy).
const (
	PolicyDelete        = "delete"
	PolicyCompact       = "compact"
	PolicyCompactDelete = "compact,delete"
)

// Config holds the per-log settings. Field comments give Kafka's topic config
// name and default; DefaultConfig returns those defaults.
type Config struct {
	SegmentBytes           int64   // segment.bytes, 1 GiB
	SegmentMs              int64   // segment.ms, 7 days
	SegmentIndexBytes      int64   // segment.index.bytes, 10 MiB
	IndexIntervalBytes     int64   // index.interval.bytes, 4096
	RetentionMs            int64   // retention.ms, 7 days; -1 = forever
	RetentionBytes         int64   // retention.bytes, -1 = unlimited
	CleanupPolicy          string  // cleanup.policy: "delete" | "compact" | "compact,delete"
	DeleteRetentionMs      int64   // delete.retention.ms, 1 day
	MinCleanableDirtyRatio float64 // min.cleanable.dirty.ratio, 0.5
	MinCompactionLagMs     int64   // min.compaction.lag.ms, 0
	MaxCompactionLagMs     int64   // max.compaction.lag.ms, math.MaxInt64
	FlushMessages          int64   // flush.messages, math.MaxInt64 (never forced)
	FlushMs                int64   // flush.ms, math.MaxInt64 (never forced)
	FileDeleteDelayMs      int64   // file.delete.delay.ms, 60000
	LogAppendTime          bool    // message.timestamp.type == LogAppendTime
	MaxMessageBytes        int64   // max.message.bytes, 1048588
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:           1 << 30,
		SegmentMs:              7 * 24 * 3600 * 1000,
		SegmentIndexBytes:      10 << 20,
		IndexIntervalBytes:     4096,
		RetentionMs:            7 * 24 * 3600 * 1000,
		RetentionBytes:         -1,
		CleanupPolicy:          PolicyDelete,
		DeleteRetentionMs:      24 * 3600 * 1000,
		MinCleanableDirtyRatio: 0.5,
		MinCompactionLagMs:     0,
		MaxCompactionLagMs:     math.MaxInt64,
		FlushMessages:          math.MaxInt64,
		FlushMs:                math.MaxInt64,
		FileDeleteDelayMs:      60000,
		MaxMessageBytes:        1048588,
	}
}

// Validate reports the first bad value, naming the Kafka config and what was
// expected.
func (c Config) Validate() error {
	switch {
	case c.SegmentBytes < batchHeaderSize+8:
		return fmt.Errorf("storage: segment.bytes = %d, want >= %d", c.SegmentBytes, batchHeaderSize+8)
	case c.SegmentBytes > math.MaxInt32:
		// index positions are 32-bit, as in Kafka
		return fmt.Errorf("storage: segment.bytes = %d, want <= %d", c.SegmentBytes, math.MaxInt32)
	case c.SegmentMs < 1:
		return fmt.Errorf("storage: segment.ms = %d, want >= 1", c.SegmentMs)
	case c.SegmentIndexBytes < 8:
		return fmt.Errorf("storage: segment.index.bytes = %d, want >= 8", c.SegmentIndexBytes)
	case c.IndexIntervalBytes < 0:
		return fmt.Errorf("storage: index.interval.bytes = %d, want >= 0", c.IndexIntervalBytes)
	case c.RetentionMs < -1:
		return fmt.Errorf("storage: retention.ms = %d, want >= -1", c.RetentionMs)
	case c.RetentionBytes < -1:
		return fmt.Errorf("storage: retention.bytes = %d, want >= -1", c.RetentionBytes)
	case c.CleanupPolicy != PolicyDelete && c.CleanupPolicy != PolicyCompact && c.CleanupPolicy != PolicyCompactDelete && c.CleanupPolicy != "delete,compact":
		return fmt.Errorf("storage: cleanup.policy = %q, want delete, compact or compact,delete", c.CleanupPolicy)
	case c.DeleteRetentionMs < 0:
		return fmt.Errorf("storage: delete.retention.ms = %d, want >= 0", c.DeleteRetentionMs)
	case c.MinCleanableDirtyRatio < 0 || c.MinCleanableDirtyRatio > 1:
		return fmt.Errorf("storage: min.cleanable.dirty.ratio = %v, want 0..1", c.MinCleanableDirtyRatio)
	case c.MinCompactionLagMs < 0:
		return fmt.Errorf("storage: min.compaction.lag.ms = %d, want >= 0", c.MinCompactionLagMs)
	case c.MaxCompactionLagMs < 1:
		return fmt.Errorf("storage: max.compaction.lag.ms = %d, want >= 1", c.MaxCompactionLagMs)
	case c.FlushMessages < 1:
		return fmt.Errorf("storage: flush.messages = %d, want >= 1", c.FlushMessages)
	case c.FlushMs < 0:
		return fmt.Errorf("storage: flush.ms = %d, want >= 0", c.FlushMs)
	case c.FileDeleteDelayMs < 0:
		return fmt.Errorf("storage: file.delete.delay.ms = %d, want >= 0", c.FileDeleteDelayMs)
	case c.MaxMessageBytes < 0:
		return fmt.Errorf("storage: max.message.bytes = %d, want >= 0", c.MaxMessageBytes)
	}
	return nil
}

func (c Config) compact() bool {
	return c.CleanupPolicy == PolicyCompact || c.CleanupPolicy == PolicyCompactDelete || c.CleanupPolicy == "delete,compact"
}

func (c Config) delete() bool {
	return c.CleanupPolicy == PolicyDelete || c.CleanupPolicy == PolicyCompactDelete || c.CleanupPolicy == "delete,compact"
}

// Compact reports whether cleanup.policy includes compaction.
func (c Config) Compact() bool { return c.compact() }
