package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// offsetKind says how an offsetSpec picks a start offset.
type offsetKind int

const (
	offsetStart     offsetKind = iota // the log start offset
	offsetEnd                         // the high watermark: only new records
	offsetExact                       // offset n
	offsetFromEnd                     // n records before the high watermark
	offsetAfterTime                   // the first record with timestamp >= n (Unix ms)
)

// offsetSpec is a parsed -o/--offset value of "gregor consume".
type offsetSpec struct {
	kind offsetKind
	n    int64
}

// parseOffsetSpec parses "beginning" (also start, earliest, oldest), "end"
// (also latest, newest), "N" (absolute), "-N" (N before the end) and
// "@TIME" where TIME is Unix milliseconds or an RFC 3339 time ("s@TIME" as in
// kcat is accepted too).
func parseOffsetSpec(s string) (offsetSpec, error) {
	switch strings.ToLower(s) {
	case "beginning", "start", "earliest", "oldest":
		return offsetSpec{kind: offsetStart}, nil
	case "end", "latest", "newest":
		return offsetSpec{kind: offsetEnd}, nil
	}
	if ts, ok := strings.CutPrefix(strings.TrimPrefix(s, "s"), "@"); ok {
		ms, err := parseTimeMillis(ts)
		if err != nil {
			return offsetSpec{}, usageErrorf("--offset %q: %v", s, err)
		}
		return offsetSpec{kind: offsetAfterTime, n: ms}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return offsetSpec{}, usageErrorf("--offset %q: expected beginning, end, N, -N or @timestamp-ms", s)
	}
	if n == math.MinInt64 {
		return offsetSpec{}, usageErrorf("--offset %q: out of range", s)
	}
	if n < 0 || strings.HasPrefix(s, "-") {
		return offsetSpec{kind: offsetFromEnd, n: -n}, nil
	}
	return offsetSpec{kind: offsetExact, n: n}, nil
}

// parseTimeMillis parses Unix milliseconds or an RFC 3339 time.
func parseTimeMillis(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 {
			return 0, fmt.Errorf("timestamp %d is negative", ms)
		}
		return ms, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("timestamp %q: expected Unix milliseconds or RFC 3339 (2006-01-02T15:04:05Z)", s)
	}
	return t.UnixMilli(), nil
}

// kgoOffset is the spec as a kgo offset, for group consumers whose start is
// decided by kgo when the group has no committed offset.
func (o offsetSpec) kgoOffset() kgo.Offset {
	switch o.kind {
	case offsetEnd:
		return kgo.NewOffset().AtEnd()
	case offsetExact:
		return kgo.NewOffset().At(o.n)
	case offsetFromEnd:
		return kgo.NewOffset().AtEnd().Relative(-o.n)
	case offsetAfterTime:
		return kgo.NewOffset().AfterMilli(o.n)
	default:
		return kgo.NewOffset().AtStart()
	}
}

// resolve returns the offset to start at on a partition whose log spans
// [logStart, hw). timeOffset is the answer to a ListOffsets by timestamp
// (only used for offsetAfterTime; -1 means no such record, so start at the
// end). Offsets outside the log are clamped into [logStart, hw]; clamped
// reports whether that happened.
func (o offsetSpec) resolve(logStart, hw, timeOffset int64) (off int64, clamped bool) {
	switch o.kind {
	case offsetStart:
		return logStart, false
	case offsetEnd:
		return hw, false
	case offsetFromEnd:
		off = hw - o.n
		if off < logStart {
			return logStart, false // "last N" of a shorter log is all of it
		}
		return off, false
	case offsetAfterTime:
		if timeOffset < 0 {
			return hw, false
		}
		off = timeOffset
	default:
		off = o.n
	}
	switch {
	case off < logStart:
		return logStart, true
	case off > hw:
		return hw, true
	}
	return off, false
}
