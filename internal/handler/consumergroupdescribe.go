package handler

// ConsumerGroupDescribe (key 69), v0-1.
//
//	v1 member type in the response (always 1, consumer: Gregor does not
//	   convert classic members into consumer groups)
//
// Members with their current and target assignments. A classic or unknown
// group is GROUP_ID_NOT_FOUND, like Kafka. Authorized operations are not
// computed (-2^31).

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 69, min: 0, max: 1, handle: handleConsumerGroupDescribe})
}

func handleConsumerGroupDescribe(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.ConsumerGroupDescribeRequest)
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	for _, id := range req.Groups {
		g := h.b.Groups.DescribeConsumerGroup(id)
		g.AuthorizedOperations = -2147483648
		resp.Groups = append(resp.Groups, g)
	}
	return now(resp)
}
