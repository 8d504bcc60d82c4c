package handler

// Heartbeat (key 12), v0-4.
//
//	v1 throttle time
//	v3 group.instance.id
//	v4 flexible
//
// REBALANCE_IN_PROGRESS tells a member to rejoin; ILLEGAL_GENERATION and
// UNKNOWN_MEMBER_ID that it was fenced. Any valid request resets the
// member's session timer.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 12, min: 0, max: 4, handle: handleHeartbeat})
}

func handleHeartbeat(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.HeartbeatRequest)
	if r.Version < 3 {
		req.InstanceID = nil
	}
	return now(h.b.Groups.Heartbeat(req))
}
