package handler

// DeleteRecords (key 21), v0-2.
//
//	v1 same as v0 (throttling after the response)
//	v2 flexible
//
// Moves a partition's log start offset forward (KAFKA-NOTES 3.6): offset -1
// means the high watermark; any other negative offset or one past the high
// watermark is OFFSET_OUT_OF_RANGE. An offset at or below the current log
// start changes nothing. The answer's LowWatermark is the log start offset
// afterwards. As in Kafka's Partition.deleteRecordsOnLeader: leader only
// (NOT_LEADER_OR_FOLLOWER), internal topics are INVALID_TOPIC_EXCEPTION, and
// a topic whose cleanup.policy does not include delete is POLICY_VIOLATION.
//
// Deviation: Kafka answers once every replica has moved its log start past
// the offset (a delayed operation bounded by TimeoutMillis). The leader does
// not track its followers' log starts yet, so the answer is the leader's;
// followers catch up when they next fetch. TimeoutMillis bounds the request:
// partitions not reached before it passes answer REQUEST_TIMED_OUT.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

func init() {
	register(api{key: 21, min: 0, max: 2, handle: handleDeleteRecords})
}

// deleteToHighWatermark is the DeleteRecords offset meaning "the high watermark".
const deleteToHighWatermark = -1

func handleDeleteRecords(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	ctx, cancel := adminTimeout(ctx, req.TimeoutMillis)
	defer cancel()
	img := h.b.Meta.Image()

	resp.Topics = make([]kmsg.DeleteRecordsResponseTopic, 0, len(req.Topics))
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.DeleteRecordsResponseTopicPartition, 0, len(rt.Partitions))
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			if ctx.Err() != nil {
				sp.ErrorCode = kerr.RequestTimedOut.Code
			} else {
				sp.LowWatermark, sp.ErrorCode = h.deleteRecords(img, rt.Topic, rp.Partition, rp.Offset)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return now(resp)
}

// deleteRecords deletes one partition's records below offset and returns the
// new low watermark, or -1 and a Kafka error code.
func (h *Handler) deleteRecords(img *cluster.Image, topic string, partition int32, offset int64) (int64, int16) {
	p, code := h.hostedPartition(img, topic, partition, true)
	if code != 0 {
		return -1, code
	}
	if isInternalTopic(topic) {
		return -1, kerr.InvalidTopicException.Code
	}
	if tc, err := h.b.TopicConfig(img, img.Topics[topic]); err == nil && !tc.Delete() {
		return -1, kerr.PolicyViolation.Code
	}
	hw := p.HighWatermark()
	if offset == deleteToHighWatermark {
		offset = hw
	}
	if offset < 0 || offset > hw {
		return -1, kerr.OffsetOutOfRange.Code
	}
	l := p.Log()
	if err := l.DeleteRecordsBefore(offset); err != nil {
		h.log.Warn("delete records failed", "topic", topic, "partition", partition, "offset", offset, "err", err)
		return -1, errorCode(h.log, err)
	}
	start := l.LogStartOffset()
	h.log.Info("deleted records", "topic", topic, "partition", partition, "log_start_offset", start)
	return start, 0
}
