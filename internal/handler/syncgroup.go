package handler

// SyncGroup (key 14), v0-5.
//
//	v1 throttle time
//	v3 group.instance.id
//	v4 flexible
//	v5 protocol type and name in request and response (a mismatch is
//	   INCONSISTENT_GROUP_PROTOCOL)
//
// Members park until the leader's assignment is written to
// __consumer_offsets and committed; then each gets its own assignment.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 14, min: 0, max: 5, handle: handleSyncGroup})
}

func handleSyncGroup(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.SyncGroupRequest)
	if r.Version < 3 {
		req.InstanceID = nil
	}
	if r.Version < 5 {
		req.ProtocolType, req.Protocol = nil, nil
	}
	fut := h.b.Groups.SyncGroup(req)
	return Reply{Wait: func() kmsg.Response {
		resp, ok := fut.Wait(ctx.Done())
		if !ok {
			return nil
		}
		return resp
	}}
}
