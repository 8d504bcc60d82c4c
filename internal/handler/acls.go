package handler

// DescribeAcls (key 29), CreateAcls (key 30) and DeleteAcls (key 31), v0-3
// (v2 flexible; v1 adds the PREFIXED pattern type, which nothing here reads).
//
// Gregor has no authorizer yet (no SASL, so no principal to authorize), and it
// answers as a Kafka broker without authorizer.class.name does: every request
// succeeds at the protocol level and carries SECURITY_DISABLED, "No
// Authorizer is configured." (DescribeAcls once, CreateAcls per creation,
// DeleteAcls per filter). Admin tools then report that ACLs are off instead
// of that the broker is too old for them.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const noAuthorizer = "No Authorizer is configured."

func init() {
	register(api{key: 29, min: 0, max: 3, handle: handleDescribeAcls})
	register(api{key: 30, min: 0, max: 3, handle: handleCreateAcls})
	register(api{key: 31, min: 0, max: 3, handle: handleDeleteAcls})
}

func handleDescribeAcls(_ *Handler, _ context.Context, r *Request) Reply {
	resp := r.Body.(*kmsg.DescribeACLsRequest).ResponseKind().(*kmsg.DescribeACLsResponse)
	resp.ErrorCode = kerr.SecurityDisabled.Code
	resp.ErrorMessage = kmsg.StringPtr(noAuthorizer)
	return now(resp)
}

func handleCreateAcls(_ *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.CreateACLsRequest)
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	for range req.Creations {
		res := kmsg.NewCreateACLsResponseResult()
		res.ErrorCode = kerr.SecurityDisabled.Code
		res.ErrorMessage = kmsg.StringPtr(noAuthorizer)
		resp.Results = append(resp.Results, res)
	}
	return now(resp)
}

func handleDeleteAcls(_ *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DeleteACLsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	for range req.Filters {
		res := kmsg.NewDeleteACLsResponseResult()
		res.ErrorCode = kerr.SecurityDisabled.Code
		res.ErrorMessage = kmsg.StringPtr(noAuthorizer)
		res.MatchingACLs = []kmsg.DeleteACLsResponseResultMatchingACL{}
		resp.Results = append(resp.Results, res)
	}
	return now(resp)
}
