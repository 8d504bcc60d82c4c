package handler

// Partition lookup and leader-epoch helpers shared by the admin-path handlers
// (ListOffsets, OffsetForLeaderEpoch, DeleteRecords, DescribeProducers).

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/replica"
)

// hostedPartition resolves a partition named by a request against the
// metadata image and this broker's replicas. It returns the partition, or nil
// and the Kafka error code saying why not:
//
//   - UNKNOWN_TOPIC_OR_PARTITION: the image knows no such topic or partition;
//   - NOT_LEADER_OR_FOLLOWER: this broker does not host it, hosts a replica
//     of an older topic with the same name, or (leaderOnly) is not its leader.
//
// The returned partition may close at any time (topic deletion); its methods
// then fail with replica.ErrClosed, which errorCode maps.
func (h *Handler) hostedPartition(img *cluster.Image, topic string, partition int32, leaderOnly bool) (*replica.Partition, int16) {
	t := img.Topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.Partitions) {
		return nil, kerr.UnknownTopicOrPartition.Code
	}
	p := h.b.Replicas.Get(topic, partition)
	if p == nil || p.TopicID != t.ID || (leaderOnly && !p.IsLeader()) {
		return nil, kerr.NotLeaderForPartition.Code
	}
	return p, 0
}

// epochSource is the part of a log's leader-epoch cache that epochAt reads;
// *storage.Log implements it. EndOffsetForEpoch has the semantics of Kafka's
// LeaderEpochFileCache.endOffsetFor (KAFKA-NOTES 3.2): for an epoch below the
// latest it answers the largest cached epoch <= the requested one (or the
// requested one if none is cached) and the start offset of the first cached
// epoch above it; (-1, -1) when there is nothing to say.
type epochSource interface {
	LatestEpoch() int32
	EndOffsetForEpoch(epoch int32) (foundEpoch int32, endOffset int64)
}

// maxEpochWalk bounds epochAt: a log with more leader epochs than this in its
// cache is answered with the caller's fallback rather than a long walk.
const maxEpochWalk = 64

// epochAt returns the leader epoch of the batch holding offset: the largest
// cached epoch whose start offset is <= offset. ok is false when the cache is
// empty, when offset is older than every cached epoch (it was trimmed away
// with the log start), or when the walk would take more than maxEpochWalk
// steps; callers then answer with the current leader epoch or -1.
//
// It walks the cache backwards from the latest epoch: the end offset of the
// epochs before e is the start offset of e.
func epochAt(src epochSource, offset int64) (epoch int32, ok bool) {
	e := src.LatestEpoch()
	if e < 0 {
		return -1, false
	}
	prevStart := int64(-2)
	for i := 0; i < maxEpochWalk; i++ {
		if e == 0 {
			return 0, true
		}
		floor, start := src.EndOffsetForEpoch(e - 1)
		if start < 0 || offset >= start {
			return e, true
		}
		if start == prevStart || floor >= e {
			// e was not a cached epoch: the previous step found no older
			// epoch, so offset predates the cache.
			return -1, false
		}
		prevStart = start
		e = floor
		if e < 0 {
			return -1, false
		}
	}
	return -1, false
}

// codeError is an error that carries the Kafka code to answer with and a
// message for the client's error-message field: errorCode finds the code
// through Unwrap, errMessage reports only the message.
type codeError struct {
	code *kerr.Error
	msg  string
}

func (e *codeError) Error() string { return e.msg }
func (e *codeError) Unwrap() error { return e.code }

// codeErrorf returns a *codeError with a formatted message.
func codeErrorf(code *kerr.Error, format string, args ...any) error {
	return &codeError{code: code, msg: fmt.Sprintf(format, args...)}
}
