package handler

// DeleteGroups (key 42), v0-2.
//
//	v1 no change
//	v2 flexible
//
// Only groups without members can be deleted (NON_EMPTY_GROUP); an unknown
// group is GROUP_ID_NOT_FOUND. Deletion writes tombstones for the group and
// every committed offset.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 42, min: 0, max: 2, handle: handleDeleteGroups})
}

func handleDeleteGroups(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DeleteGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	return Reply{Wait: func() kmsg.Response {
		for _, id := range req.Groups {
			g := kmsg.NewDeleteGroupsResponseGroup()
			g.Group = id
			g.ErrorCode = errorCode(h.log, h.b.Groups.DeleteGroup(id))
			resp.Groups = append(resp.Groups, g)
		}
		return resp
	}}
}
