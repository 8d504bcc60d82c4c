package handler

// OffsetFetch (key 9), v0-9.
//
//	v1 same as v0 (v0 read ZooKeeper offsets in old Kafka; Gregor has one store)
//	v2 null topics = every partition with an offset; top-level error code
//	v3 throttle time
//	v5 committed leader epoch
//	v6 flexible
//	v7 require_stable (KIP-447): answered as stable, since no transactional
//	   offset commit can be pending without transactions
//	v8 batched groups
//	v9 member id and epoch for KIP-848 groups (STALE_MEMBER_EPOCH)
//
// A partition without a committed offset answers offset -1, leader epoch -1
// and empty metadata.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 9, min: 0, max: 9, handle: handleOffsetFetch})
}

func handleOffsetFetch(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.OffsetFetchRequest)
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if r.Version >= 8 {
		for _, g := range req.Groups {
			var member *string
			if r.Version >= 9 {
				member = g.MemberID
			}
			resp.Groups = append(resp.Groups, h.b.Groups.OffsetFetch(g.Group, g.Topics, member, g.MemberEpoch))
		}
		return now(resp)
	}
	var topics []kmsg.OffsetFetchRequestGroupTopic
	if req.Topics != nil || r.Version < 2 {
		topics = make([]kmsg.OffsetFetchRequestGroupTopic, 0, len(req.Topics))
		for _, t := range req.Topics {
			gt := kmsg.NewOffsetFetchRequestGroupTopic()
			gt.Topic = t.Topic
			gt.Partitions = t.Partitions
			topics = append(topics, gt)
		}
	}
	g := h.b.Groups.OffsetFetch(req.Group, topics, nil, -1)
	for _, t := range g.Topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition = p.Partition
			rp.Offset = p.Offset
			rp.LeaderEpoch = p.LeaderEpoch
			rp.Metadata = p.Metadata
			rp.ErrorCode = p.ErrorCode
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if g.ErrorCode != 0 {
		resp.ErrorCode = g.ErrorCode
		if r.Version < 2 {
			// v0-1 have no top-level error: every requested partition carries it.
			for _, t := range req.Topics {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseTopicPartition()
					rp.Partition = p
					rp.Offset = -1
					rp.LeaderEpoch = -1
					rp.ErrorCode = g.ErrorCode
					rt.Partitions = append(rt.Partitions, rp)
				}
				resp.Topics = append(resp.Topics, rt)
			}
		}
	}
	return now(resp)
}
