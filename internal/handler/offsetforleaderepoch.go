package handler

// OffsetForLeaderEpoch (key 23), v0-4.
//
//	v1 the answer carries the leader epoch it is for (KIP-279)
//	v2 CurrentLeaderEpoch fencing (KIP-320)
//	v3 ReplicaID: -1 consumer, -2 (the default) debugging/consumer, >= 0 follower
//	v4 flexible
//
// For requested epoch E the answer follows Kafka's
// LeaderEpochFileCache.endOffsetFor (KAFKA-NOTES 3.2): E = -1 or above every
// known epoch gives -1/-1; E = the latest epoch gives (E, log end offset),
// also for consumers on the leader, as in Kafka; otherwise the start offset of
// the first epoch above E, paired with the largest epoch <= E. The storage
// log's EndOffsetForEpoch computes exactly that.
//
// Only the leader answers, whatever the replica id (Kafka asks for the leader
// here even for followers, which truncate against it). Replica ids -1 and -2
// are both consumers (pitfall 21); no replica id is rejected. CurrentLeaderEpoch
// -1 skips fencing.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 23, min: 0, max: 4, handle: handleOffsetForLeaderEpoch})
}

func handleOffsetForLeaderEpoch(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	img := h.b.Meta.Image()

	resp.Topics = make([]kmsg.OffsetForLeaderEpochResponseTopic, 0, len(req.Topics))
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.OffsetForLeaderEpochResponseTopicPartition, 0, len(rt.Partitions))
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LeaderEpoch, sp.EndOffset = -1, -1
			curEpoch := rp.CurrentLeaderEpoch
			if r.Version < 2 {
				curEpoch = -1
			}
			p, code := h.hostedPartition(img, rt.Topic, rp.Partition, true)
			switch {
			case code != 0:
				sp.ErrorCode = code
			default:
				if err := p.CheckEpoch(curEpoch); err != nil {
					sp.ErrorCode = errorCode(h.log, err)
					break
				}
				if rp.LeaderEpoch >= 0 && rp.LeaderEpoch == p.LeaderEpoch() {
					// The leader's current epoch ends at the log end, even
					// before its first batch is in the epoch cache.
					sp.LeaderEpoch, sp.EndOffset = rp.LeaderEpoch, p.Log().LogEndOffset()
					break
				}
				sp.LeaderEpoch, sp.EndOffset = p.Log().EndOffsetForEpoch(rp.LeaderEpoch)
				if sp.EndOffset < 0 {
					sp.LeaderEpoch, sp.EndOffset = -1, -1
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return now(resp)
}
