package handler

// ListGroups (key 16), v0-5.
//
//	v1 throttle time
//	v3 flexible
//	v4 states filter and group state in the response (KIP-518)
//	v5 types filter ("classic", "consumer") and group type (KIP-848)
//
// Lists the groups this broker coordinates; clients ask every broker.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 16, min: 0, max: 5, handle: handleListGroups})
}

func handleListGroups(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.ListGroupsRequest)
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	groups, err := h.b.Groups.ListGroups(req.StatesFilter, req.TypesFilter)
	resp.Groups = groups
	resp.ErrorCode = errorCode(h.log, err)
	return now(resp)
}
