package handler

// ListOffsets (key 2), v0-10.
//
//	v0  MaxNumOffsets; the answer is the old offsets list (OldStyleOffsets)
//	v1  one offset and its timestamp per partition
//	v2  isolation level: latest is the last stable offset for read_committed
//	v4  CurrentLeaderEpoch fencing and the leader epoch of the answer (KIP-320)
//	v5  OFFSET_NOT_AVAILABLE instead of LEADER_NOT_AVAILABLE (KIP-207)
//	v6  flexible
//	v7  -3: the record with the largest timestamp (KIP-734)
//	v8  -4: earliest local offset (KIP-405; = log start without tiered storage)
//	v9  -5: latest tiered offset (KIP-1005; -1/-1 without tiered storage)
//	v10 TimeoutMillis (KIP-1075; nothing here waits on remote storage)
//
// Timestamps (KAFKA-NOTES 3.3): -2 earliest is the log start offset; -1 latest
// is the high watermark (read_uncommitted) or last stable offset
// (read_committed) for consumers and the log end offset for replicas; >= 0 is
// the first record with a timestamp >= T, found across non-monotonic
// timestamps (pitfall 22). As in Kafka's Partition.fetchOffsetForTimestamp, a
// timestamp or max-timestamp answer at or past the last fetchable offset is
// not given out: it is -1/-1, or OFFSET_NOT_AVAILABLE while a new leader's
// high watermark has not reached the start of its epoch.
//
// Only the leader answers, except for the debugging replica id -2, which may
// ask a follower (as in Kafka). A partition listed twice is INVALID_REQUEST
// for every occurrence.
//
// Deviations: v0 answers a list of at most one offset (the v1 answer), not
// Kafka's list of segment base offsets; a special timestamp the request's
// version does not define (-3 below v7, -4 below v8, -5 below v9, anything
// below -5) is INVALID_REQUEST where Kafka would treat it as a time search.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/replica"
)

func init() {
	register(api{key: 2, min: 0, max: 10, handle: handleListOffsets})
}

// Special ListOffsets timestamps and replica ids.
const (
	listLatest       = -1
	listEarliest     = -2
	listMaxTimestamp = -3
	listEarliestLoc  = -4
	listLatestTiered = -5

	consumerReplicaID  = -1
	debuggingReplicaID = -2
)

func handleListOffsets(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	img := h.b.Meta.Image()
	dups := duplicateListOffsetsPartitions(req)
	committed := r.Version >= 2 && req.IsolationLevel == 1

	resp.Topics = make([]kmsg.ListOffsetsResponseTopic, 0, len(req.Topics))
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ListOffsetsResponseTopicPartition, 0, len(rt.Partitions))
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			if dups[topicPartition{rt.Topic, rp.Partition}] {
				sp.ErrorCode = kerr.InvalidRequest.Code
			} else {
				h.listOffset(r.Version, req.ReplicaID, committed, img, rt.Topic, rp, &sp)
			}
			if r.Version == 0 {
				sp.OldStyleOffsets = []int64{}
				if sp.ErrorCode == 0 && sp.Offset >= 0 && rp.MaxNumOffsets > 0 {
					sp.OldStyleOffsets = append(sp.OldStyleOffsets, sp.Offset)
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return now(resp)
}

// topicPartition names a partition in request bookkeeping.
type topicPartition struct {
	topic     string
	partition int32
}

// duplicateListOffsetsPartitions returns the partitions the request names
// more than once (Kafka answers each occurrence INVALID_REQUEST).
func duplicateListOffsetsPartitions(req *kmsg.ListOffsetsRequest) map[topicPartition]bool {
	seen := make(map[topicPartition]bool)
	var dups map[topicPartition]bool
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			k := topicPartition{t.Topic, p.Partition}
			if seen[k] {
				if dups == nil {
					dups = make(map[topicPartition]bool)
				}
				dups[k] = true
			}
			seen[k] = true
		}
	}
	return dups
}

// validListTimestamp reports whether ts is a timestamp the request version
// defines: >= 0, -1, -2, and the special values from the version that added
// each of them.
func validListTimestamp(version int16, ts int64) bool {
	switch {
	case ts >= 0, ts == listLatest, ts == listEarliest:
		return true
	case ts == listMaxTimestamp:
		return version >= 7
	case ts == listEarliestLoc:
		return version >= 8
	case ts == listLatestTiered:
		return version >= 9
	}
	return false
}

// listOffset answers one partition into sp (which starts at -1/-1/-1).
func (h *Handler) listOffset(version int16, replicaID int32, committed bool, img *cluster.Image, topic string, rp kmsg.ListOffsetsRequestTopicPartition, sp *kmsg.ListOffsetsResponseTopicPartition) {
	if !validListTimestamp(version, rp.Timestamp) {
		sp.ErrorCode = kerr.InvalidRequest.Code
		return
	}
	p, code := h.hostedPartition(img, topic, rp.Partition, replicaID != debuggingReplicaID)
	if code != 0 {
		sp.ErrorCode = code
		return
	}
	curEpoch := int32(-1)
	if version >= 4 {
		curEpoch = rp.CurrentLeaderEpoch
	}
	if err := p.CheckEpoch(curEpoch); err != nil {
		sp.ErrorCode = errorCode(h.log, err)
		return
	}
	res, code := offsetForListTimestamp(p, rp.Timestamp, replicaID == consumerReplicaID, committed)
	if code != 0 {
		if code == kerr.OffsetNotAvailable.Code && version < 5 {
			code = kerr.LeaderNotAvailable.Code
		}
		sp.ErrorCode = code
		return
	}
	sp.Offset, sp.Timestamp, sp.LeaderEpoch = res.offset, res.timestamp, res.epoch
}

// listAnswer is one ListOffsets answer: -1 in a field means "none".
type listAnswer struct {
	offset    int64
	timestamp int64
	epoch     int32
}

var noListAnswer = listAnswer{offset: -1, timestamp: -1, epoch: -1}

// offsetForListTimestamp computes the answer for one timestamp on a partition.
// client is true for consumers (replica id -1): their view ends at the high
// watermark or, committed, the last stable offset; replicas see up to the log
// end. A non-zero code is a Kafka error code.
func offsetForListTimestamp(p *replica.Partition, ts int64, client, committed bool) (listAnswer, int16) {
	l := p.Log()
	hw := p.HighWatermark()
	lastFetchable := l.LogEndOffset()
	if client {
		lastFetchable = hw
		if committed {
			lastFetchable = p.LastStableOffset()
		}
	}
	// A new leader whose high watermark has not reached the start of its own
	// epoch cannot vouch for "latest" yet (KIP-207): only clients are told.
	lagging := func() bool {
		if !client {
			return false
		}
		cur := p.LeaderEpoch()
		if cur <= 0 || l.LatestEpoch() != cur {
			// No earlier epoch, or the cache does not (yet) say where
			// this one starts: nothing to wait for.
			return false
		}
		// The end of the epochs before cur is where cur starts.
		_, epochStart := l.EndOffsetForEpoch(cur - 1)
		return epochStart > hw
	}
	epochOf := func(off int64) int32 {
		if e, ok := epochAt(l, off); ok {
			return e
		}
		return p.LeaderEpoch()
	}
	// Answers past what the caller may read are withheld, as in Kafka.
	fetchable := func(a listAnswer) (listAnswer, int16) {
		if a.offset >= 0 && a.offset < lastFetchable {
			return a, 0
		}
		if a.offset >= 0 && lagging() {
			return noListAnswer, kerr.OffsetNotAvailable.Code
		}
		return noListAnswer, 0
	}

	switch ts {
	case listLatest:
		if lagging() {
			return noListAnswer, kerr.OffsetNotAvailable.Code
		}
		return listAnswer{offset: lastFetchable, timestamp: -1, epoch: p.LeaderEpoch()}, 0
	case listEarliest, listEarliestLoc:
		start := l.LogStartOffset()
		e, ok := epochAt(l, start)
		if !ok {
			e = -1
		}
		return listAnswer{offset: start, timestamp: -1, epoch: e}, 0
	case listLatestTiered:
		return noListAnswer, 0
	case listMaxTimestamp:
		off, mts := l.MaxTimestampOffset()
		if off < 0 {
			return noListAnswer, 0
		}
		return fetchable(listAnswer{offset: off, timestamp: mts, epoch: epochOf(off)})
	}
	off, fts, found := l.OffsetForTimestamp(ts)
	if !found || off < 0 {
		return noListAnswer, 0
	}
	return fetchable(listAnswer{offset: off, timestamp: fts, epoch: epochOf(off)})
}
