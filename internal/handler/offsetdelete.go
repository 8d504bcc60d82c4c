package handler

// OffsetDelete (key 47), v0 (KIP-496).
//
// Deletes committed offsets of partitions the group does not consume: a
// topic some member subscribes to is GROUP_SUBSCRIBED_TO_TOPIC per
// partition; an unknown group is GROUP_ID_NOT_FOUND.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 47, min: 0, max: 0, handle: handleOffsetDelete})
}

func handleOffsetDelete(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.OffsetDeleteRequest)
	return Reply{Wait: func() kmsg.Response { return h.b.Groups.OffsetDelete(req) }}
}
