package group

// Offset commit, fetch and delete (KAFKA-NOTES 6.3).

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicExists reports whether a topic partition exists; OffsetCommit answers
// UNKNOWN_TOPIC_OR_PARTITION for the others.
type TopicExists func(topic string, partition int32) bool

type commitPart struct {
	topic     string
	partition int32
	off       Offset
	resp      *kmsg.OffsetCommitResponseTopicPartition
}

// OffsetCommit serves OffsetCommit v0-9. It validates the committer, writes
// the offsets and returns a function that waits for the write to commit
// (call it without holding anything; it applies the offsets and returns the
// response). exists filters unknown partitions.
func (c *Coordinator) OffsetCommit(req *kmsg.OffsetCommitRequest, exists TopicExists) func() *kmsg.OffsetCommitResponse {
	resp := kmsg.NewPtrOffsetCommitResponse()
	var parts []commitPart
	now := c.now().UnixMilli()
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		rt.Partitions = make([]kmsg.OffsetCommitResponseTopicPartition, len(t.Partitions))
		resp.Topics = append(resp.Topics, rt)
	}
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			rp := &resp.Topics[i].Partitions[j]
			*rp = kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			parts = append(parts, commitPart{topic: t.Topic, partition: p.Partition, resp: rp})
			cp := &parts[len(parts)-1]
			md := ""
			if p.Metadata != nil {
				md = *p.Metadata
			}
			cp.off = Offset{Offset: p.Offset, LeaderEpoch: -1, Metadata: md, CommitTime: now, ExpireTime: -1}
			if req.Version >= 6 {
				cp.off.LeaderEpoch = p.LeaderEpoch
			}
			if req.Version == 1 && p.Timestamp > 0 {
				cp.off.CommitTime = p.Timestamp
			}
			switch {
			case len(md) > MaxMetadataBytes:
				rp.ErrorCode = kerr.OffsetMetadataTooLarge.Code
			case exists != nil && !exists(t.Topic, p.Partition):
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
		}
	}
	failAll := func(code int16) func() *kmsg.OffsetCommitResponse {
		for _, p := range parts {
			p.resp.ErrorCode = code
		}
		return func() *kmsg.OffsetCommitResponse { return resp }
	}
	if req.Group == "" {
		return failAll(kerr.InvalidGroupID.Code)
	}
	standalone := req.Generation < 0 && req.MemberID == ""
	var last int64 = -1
	var written []*commitPart
	var g *group
	err := c.withGroup(req.Group, standalone, func(gr *group) error {
		g = gr
		if err := gr.validateCommitLocked(req, standalone); err != nil {
			return err
		}
		var recs []record
		for i := range parts {
			p := &parts[i]
			if p.resp.ErrorCode != 0 {
				continue
			}
			recs = append(recs, offsetRecord(req.Group, p.topic, p.partition, p.off))
			written = append(written, p)
		}
		var err error
		last, err = gr.s.appendLocked(recs)
		if err != nil {
			if errors.Is(err, errTooLarge) {
				return kerr.OffsetMetadataTooLarge // Kafka: INVALID_COMMIT_OFFSET_SIZE for the batch; clients treat both as fatal
			}
			return err
		}
		return nil
	})
	if errors.Is(err, errGroupNotFound) {
		err = kerr.UnknownMemberID
	}
	if err != nil {
		code := kerrCode(err)
		for _, p := range parts {
			if p.resp.ErrorCode == 0 {
				p.resp.ErrorCode = code
			}
		}
		return func() *kmsg.OffsetCommitResponse { return resp }
	}
	return func() *kmsg.OffsetCommitResponse {
		if len(written) == 0 {
			return resp
		}
		werr := g.s.waitCommitted(last)
		if werr != nil {
			for _, p := range written {
				p.resp.ErrorCode = kerrCode(werr)
			}
			return resp
		}
		first := last - int64(len(written)) + 1
		g.mu.Lock()
		if !g.dead.Load() {
			for i, p := range written {
				p.off.logOffset = first + int64(i)
				g.setOffsetLocked(p.topic, p.partition, p.off)
			}
		}
		g.mu.Unlock()
		return resp
	}
}

// validateCommitLocked is ClassicGroup/ConsumerGroup.validateOffsetCommit.
func (g *group) validateCommitLocked(req *kmsg.OffsetCommitRequest, standalone bool) error {
	if standalone {
		if !g.emptyLocked() {
			return kerr.UnknownMemberID
		}
		return nil
	}
	if g.kind == kindConsumer {
		if req.Version < 9 {
			return kerr.UnsupportedVersion
		}
		return g.checkConsumerCommitLocked(req.MemberID, req.Generation)
	}
	if g.state == StateCompletingRebalance {
		return kerr.RebalanceInProgress
	}
	m, err := g.checkMemberLocked(req.MemberID, req.InstanceID, req.Generation)
	if err != nil {
		return err
	}
	m.deadline = g.c.now().Add(m.sessionTimeout)
	return nil
}

// OffsetFetch returns the committed offsets of one group in the v8+ layout.
// topics nil means every partition with an offset. memberID/memberEpoch
// (v9+, nil = not given) are checked for KIP-848 groups.
func (c *Coordinator) OffsetFetch(groupID string, topics []kmsg.OffsetFetchRequestGroupTopic, memberID *string, memberEpoch int32) kmsg.OffsetFetchResponseGroup {
	out := kmsg.NewOffsetFetchResponseGroup()
	out.Group = groupID
	unknown := func(p int32) kmsg.OffsetFetchResponseGroupTopicPartition {
		rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		rp.Partition = p
		rp.Offset = -1
		rp.LeaderEpoch = -1
		empty := ""
		rp.Metadata = &empty
		return rp
	}
	fill := func(g *group) {
		if topics == nil {
			if g == nil {
				return
			}
			for _, t := range sortedKeys(g.offsets) {
				rt := kmsg.NewOffsetFetchResponseGroupTopic()
				rt.Topic = t
				for _, p := range sortedPartitions(g.offsets[t]) {
					rt.Partitions = append(rt.Partitions, fetched(p, g.offsets[t][p]))
				}
				out.Topics = append(out.Topics, rt)
			}
			return
		}
		for _, t := range topics {
			rt := kmsg.NewOffsetFetchResponseGroupTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				if g != nil {
					if o, ok := g.offsets[t.Topic][p]; ok {
						rt.Partitions = append(rt.Partitions, fetched(p, o))
						continue
					}
				}
				rt.Partitions = append(rt.Partitions, unknown(p))
			}
			out.Topics = append(out.Topics, rt)
		}
	}
	err := c.withGroup(groupID, false, func(g *group) error {
		if g.kind == kindConsumer && memberID != nil {
			if err := g.checkConsumerFetchLocked(*memberID, memberEpoch); err != nil {
				return err
			}
		}
		fill(g)
		return nil
	})
	switch {
	case errors.Is(err, errGroupNotFound):
		fill(nil)
	case err != nil:
		out.ErrorCode = kerrCode(err)
	}
	return out
}

func fetched(p int32, o Offset) kmsg.OffsetFetchResponseGroupTopicPartition {
	rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
	rp.Partition = p
	rp.Offset = o.Offset
	rp.LeaderEpoch = o.LeaderEpoch
	md := o.Metadata
	rp.Metadata = &md
	return rp
}

// OffsetDelete serves OffsetDelete v0: offsets of partitions the group is
// not consuming are deleted; subscribed topics get GROUP_SUBSCRIBED_TO_TOPIC.
func (c *Coordinator) OffsetDelete(req *kmsg.OffsetDeleteRequest) *kmsg.OffsetDeleteResponse {
	resp := kmsg.NewPtrOffsetDeleteResponse()
	var last int64 = -1
	var g *group
	err := c.withGroup(req.Group, false, func(gr *group) error {
		g = gr
		subscribed := gr.subscribedTopicsLocked()
		if gr.kind == kindClassic && !gr.emptyLocked() && subscribed == nil {
			return kerr.NonEmptyGroup // members of an unknown protocol type
		}
		var recs []record
		for _, t := range req.Topics {
			rt := kmsg.NewOffsetDeleteResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetDeleteResponseTopicPartition()
				rp.Partition = p.Partition
				if subscribed[t.Topic] {
					rp.ErrorCode = kerr.GroupSubscribedToTopic.Code
				} else if _, ok := gr.offsets[t.Topic][p.Partition]; ok {
					recs = append(recs, offsetTombstone(gr.id, t.Topic, p.Partition))
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		var err error
		if last, err = gr.s.appendLocked(recs); err != nil {
			return err
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode == 0 {
					gr.deleteOffsetLocked(t.Topic, p.Partition)
				}
			}
		}
		return nil
	})
	if err == nil {
		err = g.s.waitCommitted(last)
	}
	if err != nil {
		resp.Topics = nil
		resp.ErrorCode = kerrCode(err)
	}
	return resp
}

// subscribedTopicsLocked is the set of topics the group's members consume:
// from the consumer protocol's subscriptions (classic "consumer" type) or the
// KIP-848 subscriptions. nil means it cannot be known (another protocol type).
func (g *group) subscribedTopicsLocked() map[string]bool {
	out := map[string]bool{}
	if g.kind == kindConsumer && g.cg != nil {
		for _, m := range g.cg.members {
			for t := range g.cg.memberTopicsLocked(g, m) {
				out[t] = true
			}
		}
		return out
	}
	if len(g.members) == 0 {
		return out
	}
	if g.protocolType != "consumer" {
		return nil
	}
	for _, m := range g.members {
		var meta kmsg.ConsumerMemberMetadata
		if err := meta.ReadFrom(m.metadataFor(g.protocol)); err != nil {
			g.c.log.Debug("unreadable consumer subscription", "group", g.id, "member", m.id, "err", err)
			continue
		}
		for _, t := range meta.Topics {
			out[t] = true
		}
	}
	return out
}
