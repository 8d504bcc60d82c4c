package handler

// FindCoordinator (key 10), v0-6.
//
//	v1 coordinator type (0 group, 1 transaction), error message, throttle
//	v3 flexible
//	v4 batched keys (KIP-699): one answer per key
//	v5-6 no wire change (v6 allows share-group keys, which Gregor has not)
//
// The coordinator of a group is the leader of __consumer_offsets partition
// abs(javaHash(group)) % partitions. Like Kafka, the first group lookup
// creates __consumer_offsets, with its replication factor capped at the live
// brokers. Transaction coordinators do not exist yet: key type 1 answers
// COORDINATOR_NOT_AVAILABLE.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func init() {
	register(api{key: 10, min: 0, max: 6, handle: handleFindCoordinator})
}

func handleFindCoordinator(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.FindCoordinatorRequest)
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if r.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, k := range keys {
		resp.Coordinators = append(resp.Coordinators, h.findCoordinator(ctx, req.CoordinatorType, k))
	}
	if r.Version < 4 {
		c := resp.Coordinators[0]
		resp.Coordinators = nil
		resp.ErrorCode, resp.ErrorMessage = c.ErrorCode, c.ErrorMessage
		resp.NodeID, resp.Host, resp.Port = c.NodeID, c.Host, c.Port
	}
	return now(resp)
}

func (h *Handler) findCoordinator(ctx context.Context, typ int8, key string) kmsg.FindCoordinatorResponseCoordinator {
	c := kmsg.NewFindCoordinatorResponseCoordinator()
	c.Key = key
	c.NodeID = -1
	fail := func(code *kerr.Error, msg string) kmsg.FindCoordinatorResponseCoordinator {
		c.ErrorCode = code.Code
		c.ErrorMessage = &msg
		return c
	}
	switch typ {
	case 0:
	case 1:
		return fail(kerr.CoordinatorNotAvailable, "transactions are not supported yet")
	default:
		return fail(kerr.InvalidRequest, fmt.Sprintf("unknown coordinator type %d", typ))
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := h.b.EnsureOffsetsTopic(cctx); err != nil {
		h.log.Warn("creating the offsets topic failed", "err", err)
		return fail(kerr.CoordinatorNotAvailable, "the offsets topic could not be created: "+err.Error())
	}
	img := h.b.Meta.Image()
	t := img.Topics[group.OffsetsTopic]
	if t == nil || len(t.Partitions) == 0 {
		return fail(kerr.CoordinatorNotAvailable, "the offsets topic does not exist yet")
	}
	p := t.Partitions[group.PartitionFor(key, int32(len(t.Partitions)))]
	bi, ok := img.Brokers[p.Leader]
	if p.Leader < 0 || !ok || bi.Fenced {
		return fail(kerr.CoordinatorNotAvailable, fmt.Sprintf("partition %d of the offsets topic has no leader", p.Partition))
	}
	c.NodeID, c.Host, c.Port = bi.ID, bi.Host, bi.Port
	if bi.ID == h.b.NodeID {
		c.Host, c.Port = h.b.Host, h.b.Port
	}
	return c
}
