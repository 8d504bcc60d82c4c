package handler

// LeaveGroup (key 13), v0-5.
//
//	v1 throttle time
//	v3 KIP-345: a list of members, by member id or group.instance.id, each
//	   answered on its own (v0-2 name one member id)
//	v4 flexible
//	v5 reason per member (logged)

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 13, min: 0, max: 5, handle: handleLeaveGroup})
}

func handleLeaveGroup(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.LeaveGroupRequest)
	return now(h.b.Groups.LeaveGroup(req))
}
