package handler

// Metadata (key 3), v0-13.
//
//	v1  controller id, rack, is-internal; null topic list = all topics
//	v2  cluster id
//	v4  AllowAutoTopicCreation (earlier versions always allow)
//	v5  offline replicas
//	v7  partition leader epoch
//	v8  authorized operations (v8-10 also for the cluster)
//	v9  flexible
//	v10 topic ids; topics may be requested by id
//	v12 topic name nullable in the request (lookup by id)
//	v13 top-level error code (KIP-1102)
//
// Unknown topics are created when the request allows it and
// auto.create.topics.enable is on (num.partitions, default.replication.factor),
// as Kafka does. Gregor has no authorizer yet, so authorized operations are
// every operation the resource supports.

import (
	"context"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

func init() {
	register(api{key: 3, min: 0, max: 13, handle: handleMetadata})
}

// Authorized-operation bit sets with no authorizer (ACL operation codes:
// READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12).
const (
	topicOps   int32 = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11
	clusterOps int32 = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12
	opsOmitted int32 = -2147483648
)

func handleMetadata(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	img := h.b.Meta.Image()

	allowAuto := (r.Version < 4 || req.AllowAutoTopicCreation) && h.b.Config.AutoCreateTopics
	all := req.Topics == nil || (r.Version == 0 && len(req.Topics) == 0)
	if !all {
		var missing []string
		for _, t := range req.Topics {
			if t.Topic != nil && img.Topics[*t.Topic] == nil && allowAuto {
				missing = append(missing, *t.Topic)
			}
		}
		if len(missing) > 0 {
			// The answer keeps the image from before the creation, so
			// the topics just created are answered LEADER_NOT_AVAILABLE
			// with no partitions, as from Kafka, whose auto-creation is
			// asynchronous; clients retry and find them on their next
			// request. Some client test suites rely on this: kafka-go's
			// reads a deleted topic's partitions (auto-creating it again)
			// and expects none.
			h.autoCreate(ctx, missing)
		}
	}

	resp.Brokers = brokerList(img)
	cid := img.ClusterID
	resp.ClusterID = &cid
	resp.ControllerID = img.ControllerID
	resp.AuthorizedOperations = opsOmitted
	if req.IncludeClusterAuthorizedOperations {
		resp.AuthorizedOperations = clusterOps
	}

	if all {
		names := make([]string, 0, len(img.Topics))
		for name := range img.Topics {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			resp.Topics = append(resp.Topics, topicMetadata(img, img.Topics[name], req.IncludeTopicAuthorizedOperations))
		}
		return now(resp)
	}
	for _, rt := range req.Topics {
		var t *cluster.TopicImage
		switch {
		case rt.Topic != nil:
			t = img.Topics[*rt.Topic]
		case rt.TopicID != [16]byte{}:
			t = img.TopicsByID[rt.TopicID]
		}
		if t != nil {
			resp.Topics = append(resp.Topics, topicMetadata(img, t, req.IncludeTopicAuthorizedOperations))
			continue
		}
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic = rt.Topic
		mt.TopicID = rt.TopicID
		mt.AuthorizedOperations = opsOmitted
		switch {
		case rt.Topic == nil:
			mt.ErrorCode = kerr.UnknownTopicID.Code
		case !validTopicName(*rt.Topic):
			mt.ErrorCode = kerr.InvalidTopicException.Code
		case allowAuto:
			// Created above, or creation failed: either way clients
			// retry on LEADER_NOT_AVAILABLE.
			mt.ErrorCode = kerr.LeaderNotAvailable.Code
		default:
			mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		}
		resp.Topics = append(resp.Topics, mt)
	}
	return now(resp)
}

// autoCreate creates topics a client asked for, with the broker defaults.
// Failures (a bad name, a race with another creator) are left for the
// per-topic answer.
func (h *Handler) autoCreate(ctx context.Context, names []string) {
	for _, name := range names {
		if !validTopicName(name) || isInternalTopic(name) {
			continue
		}
		_, err := h.b.CreateTopic(ctx, cluster.CreateTopic{
			Name:              name,
			Partitions:        h.b.Config.NumPartitions,
			ReplicationFactor: h.b.DefaultReplicationFactor(),
		})
		if err != nil {
			h.log.Info("auto-creating topic failed", "topic", name, "err", err)
		} else {
			h.log.Info("auto-created topic", "topic", name, "partitions", h.b.Config.NumPartitions)
		}
	}
}

func brokerList(img *cluster.Image) []kmsg.MetadataResponseBroker {
	ids := make([]int32, 0, len(img.Brokers))
	for id, b := range img.Brokers {
		if !b.Fenced {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]kmsg.MetadataResponseBroker, 0, len(ids))
	for _, id := range ids {
		b := img.Brokers[id]
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID = id
		mb.Host = b.Host
		mb.Port = b.Port
		if b.Rack != "" {
			rack := b.Rack
			mb.Rack = &rack
		}
		out = append(out, mb)
	}
	return out
}

func topicMetadata(img *cluster.Image, t *cluster.TopicImage, withOps bool) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic = &name
	mt.TopicID = t.ID
	mt.IsInternal = isInternalTopic(t.Name)
	mt.AuthorizedOperations = opsOmitted
	if withOps {
		mt.AuthorizedOperations = topicOps
	}
	mt.Partitions = make([]kmsg.MetadataResponseTopicPartition, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = p.Partition
		mp.Leader = p.Leader
		mp.LeaderEpoch = p.LeaderEpoch
		mp.Replicas = p.Replicas
		mp.ISR = p.ISR
		for _, r := range p.Replicas {
			if b, ok := img.Brokers[r]; !ok || b.Fenced {
				mp.OfflineReplicas = append(mp.OfflineReplicas, r)
			}
		}
		if b, ok := img.Brokers[p.Leader]; p.Leader < 0 || !ok || b.Fenced {
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

// isInternalTopic reports Kafka's internal topics.
func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}

// validTopicName is Kafka's rule: 1-249 characters of [a-zA-Z0-9._-], not
// "." or "..".
func validTopicName(name string) bool {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
