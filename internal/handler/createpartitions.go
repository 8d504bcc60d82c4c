package handler

// CreatePartitions (key 37), v0-3.
//
//	v1 same as v0 (throttling after the response)
//	v2 flexible
//	v3 same as v2
//
// A topic grows to Count partitions through the metadata log
// (cluster.CreatePartitions); the answer comes once this broker has applied
// the change and opened the partitions it hosts. Everything a real request
// would be refused for is checked up front with the rules the metadata
// state machine applies, so ValidateOnly answers what the change would:
//
//   - a topic named twice: INVALID_REQUEST for each occurrence;
//   - unknown topic: UNKNOWN_TOPIC_OR_PARTITION;
//   - Count not above the current count, or above the per-topic limit:
//     INVALID_PARTITIONS;
//   - explicit assignments: one per new partition, each of the topic's
//     replication factor, no broker twice, only registered brokers, else
//     INVALID_REPLICA_ASSIGNMENT;
//   - without assignments: the replication factor must not exceed the
//     unfenced brokers (INVALID_REPLICATION_FACTOR).

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

func init() {
	register(api{key: 37, min: 0, max: 3, handle: handleCreatePartitions})
}

func handleCreatePartitions(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	ctx, cancel := adminTimeout(ctx, req.TimeoutMillis)
	defer cancel()

	seen := make(map[string]int)
	for _, t := range req.Topics {
		seen[t.Topic]++
	}
	for _, t := range req.Topics {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = t.Topic
		if seen[t.Topic] > 1 {
			rt.ErrorCode = kerr.InvalidRequest.Code
			msg := "Duplicate topic in request."
			rt.ErrorMessage = &msg
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		cmd := cluster.CreatePartitions{Topic: t.Topic, Count: t.Count}
		if t.Assignment != nil {
			cmd.Assignments = make([][]int32, len(t.Assignment))
			for i, a := range t.Assignment {
				cmd.Assignments[i] = a.Replicas
			}
		}
		err := checkCreatePartitions(h.b.Meta.Image(), cmd)
		if err == nil && !req.ValidateOnly {
			_, err = h.b.Propose(ctx, cmd)
			if err == nil {
				h.log.Info("created partitions", "topic", t.Topic, "count", t.Count)
			}
		}
		if err != nil {
			rt.ErrorCode = errorCode(h.log, err)
			rt.ErrorMessage = errMessage(err)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return now(resp)
}

// checkCreatePartitions applies the metadata state machine's rules for
// cmd to img, so that validate-only requests get the answer a real one would.
// Errors wrap the cluster sentinels (ErrUnknownTopic, ErrInvalidPartitions,
// ErrInvalidReplicaAssignment, ErrInvalidReplicationFactor).
func checkCreatePartitions(img *cluster.Image, cmd cluster.CreatePartitions) error {
	t := img.Topics[cmd.Topic]
	if t == nil {
		return fmt.Errorf("%w: topic %q does not exist", cluster.ErrUnknownTopic, cmd.Topic)
	}
	cur := int32(len(t.Partitions))
	switch {
	case cmd.Count == cur:
		return fmt.Errorf("%w: topic %q already has %d partitions", cluster.ErrInvalidPartitions, cmd.Topic, cur)
	case cmd.Count < cur:
		return fmt.Errorf("%w: topic %q has %d partitions; %d would not be an increase", cluster.ErrInvalidPartitions, cmd.Topic, cur, cmd.Count)
	case cmd.Count > cluster.MaxPartitionsPerTopic:
		return fmt.Errorf("%w: %d partitions requested, at most %d per topic", cluster.ErrInvalidPartitions, cmd.Count, cluster.MaxPartitionsPerTopic)
	}
	rf := 0
	if len(t.Partitions) > 0 {
		rf = len(t.Partitions[0].Replicas)
	}
	if cmd.Assignments == nil {
		if live := len(img.BrokerIDs(true)); rf > live {
			return fmt.Errorf("%w: topic %q has replication factor %d but only %d brokers are live", cluster.ErrInvalidReplicationFactor, cmd.Topic, rf, live)
		}
		return nil
	}
	if added := cmd.Count - cur; int(added) != len(cmd.Assignments) {
		return fmt.Errorf("%w: %d partitions would be added but %d assignments were given", cluster.ErrInvalidReplicaAssignment, added, len(cmd.Assignments))
	}
	for i, reps := range cmd.Assignments {
		p := cur + int32(i)
		if len(reps) != rf {
			return fmt.Errorf("%w: partition %d has %d replicas, the topic's other partitions have %d", cluster.ErrInvalidReplicaAssignment, p, len(reps), rf)
		}
		for j, id := range reps {
			if slices.Contains(reps[:j], id) {
				return fmt.Errorf("%w: partition %d lists broker %d twice", cluster.ErrInvalidReplicaAssignment, p, id)
			}
			if _, ok := img.Brokers[id]; !ok {
				return fmt.Errorf("%w: partition %d names broker %d, which is not registered", cluster.ErrInvalidReplicaAssignment, p, id)
			}
		}
	}
	return nil
}
