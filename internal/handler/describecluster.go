package handler

// DescribeCluster (key 60), v0-2.
//
//	v1 EndpointType (KIP-919): 1 brokers, 2 controllers
//	v2 IncludeFencedBrokers and IsFenced per broker (KIP-1073)
//
// The cluster id, the controller (the Raft leader as this broker last saw
// it, -1 if unknown) and the registered brokers, sorted by id: unfenced ones,
// plus fenced ones when asked for (v2). This is a broker endpoint: asking it
// for controllers is MISMATCHED_ENDPOINT_TYPE and an endpoint type Kafka does
// not define is UNSUPPORTED_ENDPOINT_TYPE, as in Kafka's AuthHelper. Gregor
// has no authorizer yet, so the authorized operations (when asked for) are
// every cluster operation.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 60, min: 0, max: 2, handle: handleDescribeCluster})
}

// DescribeCluster endpoint types.
const (
	endpointBrokers     = 1
	endpointControllers = 2
)

func handleDescribeCluster(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = endpointBrokers
	endpoint := req.EndpointType
	if r.Version < 1 {
		endpoint = endpointBrokers
	}
	switch endpoint {
	case endpointBrokers:
	case endpointControllers:
		resp.ErrorCode = kerr.MismatchedEndpointType.Code
		msg := "this is a broker endpoint; Gregor's controllers are reached through the brokers"
		resp.ErrorMessage = &msg
		return now(resp)
	default:
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		msg := "unsupported endpoint type"
		resp.ErrorMessage = &msg
		return now(resp)
	}

	img := h.b.Meta.Image()
	resp.ClusterID = img.ClusterID
	resp.ControllerID = img.ControllerID
	resp.ClusterAuthorizedOperations = opsOmitted
	if req.IncludeClusterAuthorizedOperations {
		resp.ClusterAuthorizedOperations = clusterOps
	}
	withFenced := r.Version >= 2 && req.IncludeFencedBrokers
	for _, id := range img.BrokerIDs(!withFenced) {
		b := img.Brokers[id]
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID = id
		rb.Host = b.Host
		rb.Port = b.Port
		if b.Rack != "" {
			rack := b.Rack
			rb.Rack = &rack
		}
		rb.IsFenced = b.Fenced
		resp.Brokers = append(resp.Brokers, rb)
	}
	return now(resp)
}
