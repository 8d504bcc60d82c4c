package handler

// InitProducerId (key 22), v0-5.
//
//	v2 flexible
//	v3 producer id and epoch in the request (KIP-360 epoch bump)
//	v4 PRODUCER_FENCED in place of INVALID_PRODUCER_EPOCH
//	v5 KIP-890 part 2 error semantics
//
// Idempotent producers (no transactional id) get a new producer id with epoch
// 0 every time, as in Kafka: ids come from blocks reserved in the metadata
// log, unique for the cluster's life. Transactional ids need the transaction
// coordinator, which does not exist yet: they get COORDINATOR_NOT_AVAILABLE.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 22, min: 0, max: 5, handle: handleInitProducerID})
}

func handleInitProducerID(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID = -1
	resp.ProducerEpoch = -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return now(resp)
	}
	id, err := h.b.NextProducerID(ctx)
	if err != nil {
		resp.ErrorCode = errorCode(h.log, err)
		return now(resp)
	}
	resp.ProducerID = id
	resp.ProducerEpoch = 0
	return now(resp)
}
