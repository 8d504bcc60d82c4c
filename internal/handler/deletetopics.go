package handler

// DeleteTopics (key 20), v0-6.
//
//	v1 throttle time
//	v2 same as v1
//	v3 TOPIC_DELETION_DISABLED instead of INVALID_REQUEST (never sent: deletion is always on)
//	v4 flexible
//	v5 error messages
//	v6 topics by name or by topic id (KIP-516); unknown ids are UNKNOWN_TOPIC_ID
//
// Each topic is deleted through the metadata log (cluster.DeleteTopic); the
// answer for it comes once this broker has applied the deletion and removed
// its partitions. As in Kafka's ControllerApis: a name or id given twice is
// INVALID_REQUEST for it, as is an entry with both a name and an id or with
// neither. Internal topics may be deleted, as in Kafka (the coordinators
// recreate them on demand). Answers keep the request's order (Kafka shuffles
// them to hide which topics exist from unauthorized clients; there is no
// authorizer yet).

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

func init() {
	register(api{key: 20, min: 0, max: 6, handle: handleDeleteTopics})
}

// adminTimeout turns a request's TimeoutMillis into a deadline for metadata
// changes made on its behalf; <= 0 means the broker's default.
func adminTimeout(ctx context.Context, millis int32) (context.Context, context.CancelFunc) {
	timeout := time.Duration(millis) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return context.WithTimeout(ctx, timeout)
}

// deleteTarget is one topic named by a DeleteTopics request.
type deleteTarget struct {
	name *string
	id   [16]byte
}

func handleDeleteTopics(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	ctx, cancel := adminTimeout(ctx, req.TimeoutMillis)
	defer cancel()

	var targets []deleteTarget
	if r.Version < 6 {
		for i := range req.TopicNames {
			targets = append(targets, deleteTarget{name: &req.TopicNames[i]})
		}
	} else {
		for _, t := range req.Topics {
			targets = append(targets, deleteTarget{name: t.Topic, id: t.TopicID})
		}
	}
	names := make(map[string]int)
	ids := make(map[[16]byte]int)
	for _, t := range targets {
		switch {
		case t.name != nil && t.id == [16]byte{}:
			names[*t.name]++
		case t.name == nil && t.id != [16]byte{}:
			ids[t.id]++
		}
	}

	for _, t := range targets {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic = t.name
		rt.TopicID = t.id
		fail := func(code *kerr.Error, msg string) {
			rt.ErrorCode = code.Code
			rt.ErrorMessage = &msg
		}
		img := h.b.Meta.Image()
		var ti *cluster.TopicImage
		switch {
		case t.name != nil && t.id != [16]byte{}:
			fail(kerr.InvalidRequest, "You may not specify both topic name and topic id.")
		case t.name == nil && t.id == [16]byte{}:
			fail(kerr.InvalidRequest, "Neither topic name nor id were specified.")
		case t.name != nil && names[*t.name] > 1:
			fail(kerr.InvalidRequest, "Duplicate topic name.")
		case t.name == nil && ids[t.id] > 1:
			fail(kerr.InvalidRequest, "Duplicate topic id.")
		case t.name != nil:
			if ti = img.Topics[*t.name]; ti == nil {
				fail(kerr.UnknownTopicOrPartition, fmt.Sprintf("topic %q does not exist", *t.name))
			}
		default:
			if ti = img.TopicsByID[t.id]; ti == nil {
				fail(kerr.UnknownTopicID, fmt.Sprintf("no topic has id %x", t.id))
			}
		}
		if rt.ErrorCode == 0 {
			name := ti.Name
			rt.Topic = &name
			rt.TopicID = ti.ID
			// Delete by id: a topic recreated under the same name meanwhile
			// is not the one the client meant.
			_, err := h.b.Propose(ctx, cluster.DeleteTopic{Name: ti.Name, ID: ti.ID})
			switch {
			case errors.Is(err, cluster.ErrUnknownTopicID) && t.name != nil:
				fail(kerr.UnknownTopicOrPartition, fmt.Sprintf("topic %q does not exist", name))
			case err != nil:
				rt.ErrorCode = errorCode(h.log, err)
				rt.ErrorMessage = errMessage(err)
			default:
				h.log.Info("deleted topic", "topic", name, "topic_id", fmt.Sprintf("%x", ti.ID))
			}
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return now(resp)
}
