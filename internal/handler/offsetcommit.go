package handler

// OffsetCommit (key 8), v0-9.
//
//	v1 generation and member id; per-partition commit timestamp
//	v2-4 retention time (ignored, as Kafka ignores it since 2.1)
//	v3 throttle time
//	v5 no retention time
//	v6 committed leader epoch
//	v7 group.instance.id
//	v8 flexible
//	v9 KIP-848: the generation field carries the member epoch
//	   (STALE_MEMBER_EPOCH on mismatch); older versions committing as a
//	   member of a KIP-848 group get UNSUPPORTED_VERSION
//
// A commit with generation -1 and no member id into a group without members
// is a standalone commit (admin tools, assign() consumers). Metadata above
// 4096 bytes is OFFSET_METADATA_TOO_LARGE, unknown partitions
// UNKNOWN_TOPIC_OR_PARTITION. The answer waits until the offsets are
// committed to __consumer_offsets.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 8, min: 0, max: 9, handle: handleOffsetCommit})
}

func handleOffsetCommit(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.OffsetCommitRequest)
	if r.Version < 1 {
		req.Generation, req.MemberID = -1, ""
	}
	if r.Version < 7 {
		req.InstanceID = nil
	}
	img := h.b.Meta.Image()
	exists := func(topic string, partition int32) bool {
		t := img.Topics[topic]
		return t != nil && partition >= 0 && int(partition) < len(t.Partitions)
	}
	wait := h.b.Groups.OffsetCommit(req, exists)
	return Reply{Wait: func() kmsg.Response { return wait() }}
}
