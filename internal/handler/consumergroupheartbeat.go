package handler

// ConsumerGroupHeartbeat (key 68), v0-1: the KIP-848 consumer protocol.
//
//	v0 (Kafka 3.7-3.9 preview) the coordinator generates member ids
//	v1 (Kafka 4.0, KIP-1082) the client generates its member id (an empty
//	   one is INVALID_REQUEST); adds SubscribedTopicRegex (RE2 syntax)
//
// Server-side assignors "uniform" (default) and "range"; anything else is
// UNSUPPORTED_ASSIGNOR. A partition is handed to its new owner only after
// the old owner's heartbeat shows it released it. A group with classic
// members answers GROUP_ID_NOT_FOUND. A heartbeat that changed the group
// (a join, a leave, a new epoch or assignment) is answered once its
// __consumer_offsets records are committed, so a restarted coordinator
// knows every epoch it handed out.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 68, min: 0, max: 1, handle: handleConsumerGroupHeartbeat})
}

func handleConsumerGroupHeartbeat(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.ConsumerGroupHeartbeatRequest)
	if r.Version < 1 {
		req.SubscribedTopicRegex = nil
	}
	wait := h.b.Groups.ConsumerGroupHeartbeat(req, clientOf(r))
	return Reply{Wait: func() kmsg.Response { return wait() }}
}
