package handler

// DescribeGroups (key 15), v0-6.
//
//	v1 throttle time
//	v3 authorized operations (answered -2^31: not computed, as when not requested)
//	v4 group.instance.id of members
//	v5 flexible
//	v6 error message (KIP-1043): a KIP-848 group is GROUP_ID_NOT_FOUND with
//	   "Group <id> is not a classic group."
//
// An unknown group is answered with state Dead and no error, like Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 15, min: 0, max: 6, handle: handleDescribeGroups})
}

func handleDescribeGroups(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DescribeGroupsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range req.Groups {
		g := h.b.Groups.DescribeGroup(id)
		g.AuthorizedOperations = -2147483648
		resp.Groups = append(resp.Groups, g)
	}
	return now(resp)
}
