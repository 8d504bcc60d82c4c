package handler

// CreateTopics (key 19), v0-7.
//
//	v1 validate only, error messages
//	v4 -1 partitions / replication factor = broker defaults (KIP-464)
//	v5 flexible; the response echoes partitions, RF and the resulting configs
//	v7 topic ids in the response
//
// Topics are created through the metadata log; the call returns once this
// broker has opened the new partitions. Validation happens up front with the
// same rules the metadata state machine applies (name, counts, configs), so
// validate-only answers what a real create would.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/config"
)

func init() {
	register(api{key: 19, min: 0, max: 7, handle: handleCreateTopics})
}

func handleCreateTopics(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	seen := make(map[string]int)
	for _, t := range req.Topics {
		seen[t.Topic]++
	}
	img := h.b.Meta.Image()
	live := 0
	for _, b := range img.Brokers {
		if !b.Fenced {
			live++
		}
	}
	for _, t := range req.Topics {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic = t.Topic
		rt.NumPartitions = -1
		rt.ReplicationFactor = -1
		fail := func(code *kerr.Error, err error) {
			rt.ErrorCode = code.Code
			rt.ErrorMessage = errMessage(err)
		}
		cmd, err := h.createCommand(t)
		switch {
		case seen[t.Topic] > 1:
			fail(kerr.InvalidRequest, fmt.Errorf("topic %q appears more than once in the request", t.Topic))
		case !validTopicName(t.Topic):
			fail(kerr.InvalidTopicException, fmt.Errorf("topic name %q is illegal: it must be 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'", t.Topic))
		case img.Topics[t.Topic] != nil:
			fail(kerr.TopicAlreadyExists, fmt.Errorf("topic %q already exists", t.Topic))
		case err != nil:
			rt.ErrorCode = errorCode(h.log, err)
			rt.ErrorMessage = errMessage(err)
		case len(cmd.Assignments) == 0 && int(cmd.ReplicationFactor) > live:
			fail(kerr.InvalidReplicationFactor, fmt.Errorf("replication factor %d is larger than the %d live brokers", cmd.ReplicationFactor, live))
		case req.ValidateOnly:
			rt.NumPartitions = cmd.Partitions
			rt.ReplicationFactor = cmd.ReplicationFactor
			if len(cmd.Assignments) > 0 {
				rt.NumPartitions = int32(len(cmd.Assignments))
				rt.ReplicationFactor = int16(len(cmd.Assignments[0]))
			}
			rt.Configs = h.createdConfigs(img, cmd.Configs)
		default:
			res, err := h.b.CreateTopic(ctx, cmd)
			if err != nil {
				rt.ErrorCode = errorCode(h.log, err)
				rt.ErrorMessage = errMessage(err)
				break
			}
			img = h.b.Meta.Image()
			if ti := img.Topics[t.Topic]; ti != nil {
				rt.TopicID = res.TopicID
				rt.NumPartitions = int32(len(ti.Partitions))
				if len(ti.Partitions) > 0 {
					rt.ReplicationFactor = int16(len(ti.Partitions[0].Replicas))
				}
			}
			rt.Configs = h.createdConfigs(img, cmd.Configs)
			h.log.Info("created topic", "topic", t.Topic, "partitions", rt.NumPartitions, "replication_factor", rt.ReplicationFactor)
		}
		if rt.ErrorCode != 0 {
			rt.Configs = nil
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return now(resp)
}

// createCommand turns a requested topic into a metadata command, applying
// broker defaults and validating counts and configs.
func (h *Handler) createCommand(t kmsg.CreateTopicsRequestTopic) (cluster.CreateTopic, error) {
	cmd := cluster.CreateTopic{Name: t.Topic, Partitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
	if len(t.ReplicaAssignment) > 0 {
		if t.NumPartitions != -1 || t.ReplicationFactor != -1 {
			return cmd, kerr.InvalidRequest
		}
		cmd.Assignments = make([][]int32, len(t.ReplicaAssignment))
		for _, a := range t.ReplicaAssignment {
			if a.Partition < 0 || int(a.Partition) >= len(t.ReplicaAssignment) || cmd.Assignments[a.Partition] != nil {
				return cmd, fmt.Errorf("%w: partition %d in the replica assignment is out of order or repeated", cluster.ErrInvalidReplicaAssignment, a.Partition)
			}
			cmd.Assignments[a.Partition] = a.Replicas
		}
		cmd.Partitions = int32(len(cmd.Assignments))
		cmd.ReplicationFactor = int16(len(cmd.Assignments[0]))
	} else {
		if cmd.Partitions == -1 {
			cmd.Partitions = h.b.Config.NumPartitions
		}
		if cmd.ReplicationFactor == -1 {
			cmd.ReplicationFactor = h.b.DefaultReplicationFactor()
		}
		if cmd.Partitions < 1 {
			return cmd, fmt.Errorf("%w: number of partitions must be at least 1, got %d", cluster.ErrInvalidPartitions, cmd.Partitions)
		}
		if cmd.ReplicationFactor < 1 {
			return cmd, fmt.Errorf("%w: replication factor must be at least 1, got %d", cluster.ErrInvalidReplicationFactor, cmd.ReplicationFactor)
		}
	}
	if len(t.Configs) > 0 {
		cmd.Configs = make(map[string]string, len(t.Configs))
		for _, c := range t.Configs {
			if c.Value == nil {
				continue // null value: use the default
			}
			cmd.Configs[c.Name] = *c.Value
		}
		if err := config.ValidateTopicConfigs(cmd.Configs); err != nil {
			if errors.Is(err, config.ErrUnknownConfig) || errors.Is(err, config.ErrInvalidConfig) {
				return cmd, fmt.Errorf("%w: %v", cluster.ErrInvalidConfig, err)
			}
			return cmd, err
		}
	}
	return cmd, nil
}

// createdConfigs is the v5+ echo of the topic's resulting configuration.
func (h *Handler) createdConfigs(img *cluster.Image, overrides map[string]string) []kmsg.CreateTopicsResponseTopicConfig {
	entries := config.DescribeTopic(overrides, h.b.DynamicBrokerConfig(img), h.b.Config)
	out := make([]kmsg.CreateTopicsResponseTopicConfig, 0, len(entries))
	for _, e := range entries {
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name = e.Name
		c.Value = e.Value
		c.ReadOnly = e.ReadOnly
		c.Source = e.Source
		c.IsSensitive = e.Sensitive
		if e.Sensitive {
			c.Value = nil
		}
		out = append(out, c)
	}
	return out
}
