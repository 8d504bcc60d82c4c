package group

// The KIP-848 consumer group protocol: ConsumerGroupHeartbeat and
// ConsumerGroupDescribe (KAFKA-NOTES 6.4).
//
// The group epoch rises on every change of membership, subscription or the
// metadata of subscribed topics. The target assignment is computed by the
// server-side assignor for the group epoch (assignment epoch). Each member
// then converges on its target, one heartbeat at a time:
//
//  1. Partitions it owns that are not in its target are revoked first: its
//     assignment shrinks, its epoch stays, and the partitions remain its own
//     until a heartbeat reports it no longer owns them (or its rebalance
//     timeout passes and it is fenced).
//  2. With nothing left to revoke, it moves to the assignment epoch and gets
//     the partitions of its target that no other member owns or is
//     revoking; the rest follow on later heartbeats as they are released.
//
// So a partition never has two owners. Classic and KIP-848 members cannot
// share a group: a heartbeat to a classic group with members is
// GROUP_ID_NOT_FOUND; a JoinGroup to a consumer group with members is
// INCONSISTENT_GROUP_PROTOCOL.
//
// The group epoch, members, target and current assignments are kept in
// __consumer_offsets as Kafka's KIP-848 records (consumerstate.go): after a
// coordinator move or restart, members that heartbeat within their session
// continue with their epochs and assignments.

import (
	"errors"
	"hash/fnv"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// consumerGroup is the KIP-848 state of a group (guarded by group.mu).
type consumerGroup struct {
	epoch           int32
	assignmentEpoch int32
	assignor        string
	metaHash        uint64
	target          map[string]assignment
	members         map[string]*consumerMember
	static          map[string]string    // instance id -> member id
	subscribed      map[string]topicMeta // the metadata metaHash was computed from

	// Persistence (consumerstate.go).
	written          consumerWritten // what the log holds
	touched          map[string]bool // members whose records may differ from written
	tombstoneClassic bool            // the group was classic: delete its GroupMetadata record
}

type consumerMember struct {
	id               string
	instanceID       *string
	rackID           *string
	clientID         string
	clientHost       string
	rebalanceTimeout time.Duration
	names            []string
	regex            *string
	re               *regexp.Regexp
	assignor         string

	epoch, prevEpoch int32
	assigned         assignment // owned, or being handed to it
	revoking         assignment // must be released before anyone else gets them
	reported         assignment // last owned partitions the member reported
	dirty            bool       // assigned changed since the last response

	deadline       time.Time // session expiry
	revokeDeadline time.Time
}

// ConsumerGroupHeartbeat serves ConsumerGroupHeartbeat v0-1. The returned
// function waits (call it without holding anything) until the records of the
// change the heartbeat made are committed and returns the response; req is
// not retained.
func (c *Coordinator) ConsumerGroupHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest, cl Client) func() *kmsg.ConsumerGroupHeartbeatResponse {
	resp := c.consumerGroupHeartbeat(req, cl)
	return func() *kmsg.ConsumerGroupHeartbeatResponse {
		if resp.s == nil || resp.last < 0 {
			return resp.resp
		}
		if err := resp.s.waitCommitted(resp.last); err != nil {
			r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
			r.ErrorCode = kerrCode(err)
			return r
		}
		return resp.resp
	}
}

// heartbeatResult is a heartbeat response and the write it waits for.
type heartbeatResult struct {
	resp *kmsg.ConsumerGroupHeartbeatResponse
	s    *shard // nil: nothing to wait for
	last int64
}

func (c *Coordinator) consumerGroupHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest, cl Client) heartbeatResult {
	fail := func(err *kerr.Error, msg string) heartbeatResult {
		r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
		r.ErrorCode = err.Code
		if msg != "" {
			r.ErrorMessage = &msg
		}
		return heartbeatResult{resp: r}
	}
	switch {
	case req.Group == "":
		return fail(kerr.InvalidRequest, "GroupId can't be empty.")
	case req.Version >= 1 && req.MemberID == "":
		return fail(kerr.InvalidRequest, "MemberId can't be empty.")
	case req.MemberEpoch < -2:
		return fail(kerr.InvalidRequest, "MemberEpoch is invalid.")
	case req.MemberEpoch == 0 && req.SubscribedTopicNames == nil && req.SubscribedTopicRegex == nil:
		return fail(kerr.InvalidRequest, "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.")
	case req.MemberEpoch == 0 && req.Topics == nil:
		return fail(kerr.InvalidRequest, "TopicPartitions must be set in first request.")
	case req.MemberEpoch == 0 && len(req.Topics) > 0:
		return fail(kerr.InvalidRequest, "TopicPartitions must be empty when (re-)joining.")
	case req.ServerAssignor != nil && *req.ServerAssignor != AssignorUniform && *req.ServerAssignor != AssignorRange:
		return fail(kerr.UnsupportedAssignor, "ServerAssignor "+*req.ServerAssignor+" is not supported. Supported assignors: uniform, range.")
	}
	var re *regexp.Regexp
	if req.SubscribedTopicRegex != nil && *req.SubscribedTopicRegex != "" {
		var err error
		if re, err = regexp.Compile("^(?:" + *req.SubscribedTopicRegex + ")$"); err != nil {
			return fail(kerr.InvalidRegularExpression, err.Error())
		}
	}
	var resp *kmsg.ConsumerGroupHeartbeatResponse
	var s *shard
	last := int64(-1)
	err := c.withGroup(req.Group, req.MemberEpoch == 0, func(g *group) error {
		var err error
		resp, err = g.consumerHeartbeatLocked(req, re, cl, c.now())
		if g.kind == kindConsumer && g.cg != nil {
			// Persist whatever changed, even when the answer is an error
			// (a static member replaced before GROUP_MAX_SIZE_REACHED).
			l, perr := g.persistConsumerLocked()
			if err == nil {
				err, last, s = perr, l, g.s
			}
		}
		return err
	})
	if err != nil {
		var ke *kerr.Error
		if errors.As(err, &ke) {
			msg := ""
			if ke == kerr.GroupIDNotFound {
				msg = "Group " + req.Group + " is not a consumer group."
			}
			return fail(ke, msg)
		}
		if errors.Is(err, errGroupNotFound) {
			if req.MemberEpoch == -1 || req.MemberEpoch == -2 {
				r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
				r.MemberID = &req.MemberID
				r.MemberEpoch = req.MemberEpoch
				return heartbeatResult{resp: r}
			}
			return fail(kerr.UnknownMemberID, "")
		}
		return fail(kerr.UnknownServerError, err.Error())
	}
	return heartbeatResult{resp: resp, s: s, last: last}
}

// staticLeaveEpoch is the member epoch of a static member's leave (KIP-848's
// LEAVE_GROUP_STATIC_MEMBER_EPOCH), and of the member while it is away.
const staticLeaveEpoch = -2

func (g *group) consumerHeartbeatLocked(req *kmsg.ConsumerGroupHeartbeatRequest, re *regexp.Regexp, cl Client, now time.Time) (*kmsg.ConsumerGroupHeartbeatResponse, error) {
	switch {
	case g.kind == kindClassic && len(g.members) > 0:
		return nil, kerr.GroupIDNotFound
	case g.kind != kindConsumer:
		// An empty classic group or one with only offsets becomes a
		// consumer group, keeping its offsets.
		g.kind = kindConsumer
		g.members = map[string]*member{}
		g.protocolType, g.protocol, g.leader = "", "", ""
		g.cg = &consumerGroup{target: map[string]assignment{}, members: map[string]*consumerMember{}, static: map[string]string{},
			subscribed: map[string]topicMeta{}, tombstoneClassic: true}
	}
	cg := g.cg
	var m *consumerMember
	var departed *consumerMember // the static member a rejoin replaces
	switch req.MemberEpoch {
	case -1, -2:
		m = cg.members[req.MemberID]
		if m == nil {
			r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
			r.MemberID = &req.MemberID
			r.MemberEpoch = req.MemberEpoch
			return r, nil
		}
		if req.MemberEpoch == staticLeaveEpoch && m.instanceID != nil {
			// A static member leaving with -2 only steps out (KIP-848,
			// as KIP-345 for classic groups): it keeps its partitions,
			// which nobody else gets, until its session times out or
			// a member with its instance id takes its place.
			m.epoch, m.prevEpoch = staticLeaveEpoch, staticLeaveEpoch
			m.revoking, m.revokeDeadline = nil, time.Time{}
			cg.touch(m.id)
			g.c.log.Info("static consumer group member left temporarily", "group", g.id, "member", m.id, "instance", *m.instanceID)
		} else {
			g.removeConsumerMemberLocked(m, now, "member left")
		}
		r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
		r.MemberID = &m.id
		r.MemberEpoch = req.MemberEpoch
		return r, nil
	case 0:
		id := req.MemberID
		if id == "" {
			id = uuid.NewString()
		}
		if req.InstanceID != nil {
			if owner, ok := cg.static[*req.InstanceID]; ok {
				old := cg.members[owner]
				switch {
				case old == nil:
				case old.epoch != staticLeaveEpoch && owner != id:
					return nil, kerr.UnreleasedInstanceID
				case old.epoch == staticLeaveEpoch:
					departed = old
				}
			}
		}
		if old := cg.members[id]; old != nil && old != departed {
			// Rejoining after being fenced: it gave up its partitions.
			g.removeConsumerMemberLocked(old, now, "member rejoined")
		}
		if departed == nil && len(cg.members) >= g.c.cfg.ConsumerMaxSize {
			return nil, kerr.GroupMaxSizeReached
		}
		m = &consumerMember{id: id, assigned: assignment{}, reported: assignment{}, dirty: true}
		if departed != nil {
			// It takes the departed member's place as it was: the same
			// partitions and target, so the group does not rebalance
			// (a changed subscription below still does).
			delete(cg.members, departed.id)
			cg.touch(departed.id)
			m.assigned = departed.assigned.clone()
			m.names, m.regex, m.re, m.assignor, m.rackID = departed.names, departed.regex, departed.re, departed.assignor, departed.rackID
			if t, ok := cg.target[departed.id]; ok {
				delete(cg.target, departed.id)
				cg.target[id] = t
			}
		}
		cg.members[id] = m
		cg.touch(id)
		if req.InstanceID != nil {
			iid := *req.InstanceID
			m.instanceID = &iid
			cg.static[iid] = id
		}
		if departed != nil {
			g.c.log.Info("static consumer group member rejoined", "group", g.id, "member", id, "replaces", departed.id, "instance", *m.instanceID, "group_epoch", cg.epoch)
		} else {
			cg.epoch++
			g.setStateLocked(StateAssigning)
			g.c.log.Info("consumer group member joined", "group", g.id, "member", id, "group_epoch", cg.epoch)
		}
	default:
		m = cg.members[req.MemberID]
		if m == nil {
			return nil, kerr.UnknownMemberID
		}
		cg.touch(m.id)
		if req.MemberEpoch != m.epoch {
			owned := topicsToAssignment(req.Topics)
			if !(req.MemberEpoch == m.prevEpoch && req.Topics != nil && owned.minus(m.assigned).size() == 0) {
				return nil, kerr.FencedMemberEpoch
			}
		}
	}
	m.clientID, m.clientHost = cl.ID, cl.Host
	session, _ := g.c.consumerTimeouts(g.id)
	m.deadline = now.Add(session)
	if req.RackID != nil {
		m.rackID = req.RackID
	}
	if req.RebalanceTimeoutMillis > 0 {
		m.rebalanceTimeout = time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	} else if m.rebalanceTimeout == 0 {
		m.rebalanceTimeout = 5 * time.Minute
	}
	changed := false
	if req.SubscribedTopicNames != nil {
		names := append([]string(nil), req.SubscribedTopicNames...)
		sort.Strings(names)
		if strings.Join(names, "\x00") != strings.Join(m.names, "\x00") {
			m.names, changed = names, true
		}
	}
	if req.SubscribedTopicRegex != nil {
		if m.regex == nil || *m.regex != *req.SubscribedTopicRegex {
			rx := *req.SubscribedTopicRegex
			m.regex, m.re, changed = &rx, re, true
		}
	}
	if req.ServerAssignor != nil && *req.ServerAssignor != m.assignor {
		m.assignor, changed = *req.ServerAssignor, true
	}
	if changed && (req.MemberEpoch != 0 || departed != nil) {
		cg.epoch++
	}
	if req.Topics != nil {
		m.reported = topicsToAssignment(req.Topics)
	}
	topics := g.subscribedMetaLocked()
	if h := metaHash(topics); h != cg.metaHash {
		cg.metaHash = h
		cg.subscribed = topics
		if cg.assignmentEpoch != 0 || len(cg.members) > 0 {
			cg.epoch++
		}
	}
	if cg.epoch > cg.assignmentEpoch {
		g.computeTargetLocked(topics)
	}
	g.reconcileLocked(m, now)

	r := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	id := m.id
	r.MemberID = &id
	r.MemberEpoch = m.epoch
	_, heartbeat := g.c.consumerTimeouts(g.id)
	r.HeartbeatIntervalMillis = int32(heartbeat / time.Millisecond)
	if m.dirty || req.Topics != nil {
		a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
		for _, t := range sortedTopicIDs(m.assigned) {
			at := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
			at.TopicID = t
			at.Partitions = append([]int32(nil), m.assigned[t]...)
			a.Topics = append(a.Topics, at)
		}
		r.Assignment = &a
		m.dirty = false
	}
	return r, nil
}

// reconcileLocked moves m one step towards its target (see the file comment).
func (g *group) reconcileLocked(m *consumerMember, now time.Time) {
	cg := g.cg
	if len(m.revoking) > 0 {
		if m.reported.overlaps(m.revoking) {
			return // still owns some of them
		}
		m.revoking = nil
		m.revokeDeadline = time.Time{}
	}
	target := cg.target[m.id]
	if drop := m.assigned.minus(target); drop.size() > 0 {
		m.assigned = m.assigned.intersect(target)
		m.revoking = drop
		m.revokeDeadline = now.Add(m.rebalanceTimeout)
		m.dirty = true
		return
	}
	owned := map[tpart]bool{}
	for _, o := range cg.members {
		if o == m {
			continue
		}
		for t, ps := range o.assigned {
			for _, p := range ps {
				owned[tpart{t, p}] = true
			}
		}
		for t, ps := range o.revoking {
			for _, p := range ps {
				owned[tpart{t, p}] = true
			}
		}
	}
	for t, ps := range target.minus(m.assigned) {
		for _, p := range ps {
			if !owned[tpart{t, p}] {
				m.assigned.add(t, p)
				m.dirty = true
			}
		}
	}
	if m.epoch != cg.assignmentEpoch {
		m.prevEpoch = m.epoch
		m.epoch = cg.assignmentEpoch
		m.dirty = true
	}
}

// subscribedMetaLocked resolves every member's subscription against the
// current metadata: the existing topics any member subscribes to.
func (g *group) subscribedMetaLocked() map[string]topicMeta {
	out := map[string]topicMeta{}
	img := g.c.cfg.Image
	if img == nil {
		return out
	}
	im := img()
	for _, m := range g.cg.members {
		for name := range g.cg.memberTopicsLocked(g, m) {
			if t := im.Topics[name]; t != nil {
				out[name] = topicMeta{name: name, id: t.ID, partitions: int32(len(t.Partitions))}
			}
		}
	}
	return out
}

// memberTopicsLocked is the set of existing topics m subscribes to, by name
// or regex. As in Kafka, a regex is matched against every topic, internal
// ones included: excluding internal topics is the classic consumer's
// client-side rule (exclude.internal.topics), not the broker's.
func (cg *consumerGroup) memberTopicsLocked(g *group, m *consumerMember) map[string]bool {
	out := map[string]bool{}
	var im = g.c.cfg.Image
	if im == nil {
		return out
	}
	img := im()
	for _, n := range m.names {
		if img.Topics[n] != nil {
			out[n] = true
		}
	}
	if m.re != nil {
		for n := range img.Topics {
			if m.re.MatchString(n) {
				out[n] = true
			}
		}
	}
	return out
}

func metaHash(topics map[string]topicMeta) uint64 {
	h := fnv.New64a()
	for _, n := range sortedKeys(topics) {
		t := topics[n]
		h.Write([]byte(n))
		h.Write(t.id[:])
		h.Write([]byte{byte(t.partitions >> 24), byte(t.partitions >> 16), byte(t.partitions >> 8), byte(t.partitions)})
	}
	return h.Sum64()
}

// computeTargetLocked runs the assignor for the current group epoch.
func (g *group) computeTargetLocked(topics map[string]topicMeta) {
	cg := g.cg
	cg.assignor = cg.chooseAssignor()
	var subs []memberSub
	for _, id := range sortedKeys(cg.members) {
		m := cg.members[id]
		var ts []string
		for n := range cg.memberTopicsLocked(g, m) {
			if _, ok := topics[n]; ok {
				ts = append(ts, n)
			}
		}
		sort.Strings(ts)
		subs = append(subs, memberSub{id: id, topics: ts})
		cg.touch(id)
	}
	if cg.assignor == AssignorRange {
		cg.target = assignRange(subs, topics)
	} else {
		cg.target = assignUniform(subs, topics, cg.target)
	}
	cg.assignmentEpoch = cg.epoch
	g.c.log.Info("consumer group target assignment", "group", g.id, "epoch", cg.epoch, "assignor", cg.assignor, "members", len(cg.members))
}

func (g *group) removeConsumerMemberLocked(m *consumerMember, now time.Time, reason string) {
	cg := g.cg
	delete(cg.members, m.id)
	delete(cg.target, m.id)
	cg.touch(m.id)
	if m.instanceID != nil && cg.static[*m.instanceID] == m.id {
		delete(cg.static, *m.instanceID)
	}
	cg.epoch++
	g.c.log.Info("consumer group member removed", "group", g.id, "member", m.id, "reason", reason, "group_epoch", cg.epoch)
	if len(cg.members) == 0 {
		g.setStateLocked(StateEmpty)
	}
}

// consumerTickLocked removes members whose session expired or that did not
// revoke in time, and writes the change (without waiting for it).
func (g *group) consumerTickLocked(now time.Time) {
	before := g.cg.epoch
	for _, id := range sortedKeys(g.cg.members) {
		m := g.cg.members[id]
		switch {
		case now.After(m.deadline):
			g.removeConsumerMemberLocked(m, now, "session timeout expired")
		case !m.revokeDeadline.IsZero() && now.After(m.revokeDeadline):
			g.removeConsumerMemberLocked(m, now, "did not revoke partitions within the rebalance timeout")
		}
	}
	if len(g.cg.members) > 0 && g.cg.epoch > g.cg.assignmentEpoch {
		// Recompute now, so that members still waiting for released
		// partitions see them on their next heartbeat.
		g.computeTargetLocked(g.subscribedMetaLocked())
	}
	if g.cg.epoch != before || len(g.cg.touched) > 0 {
		if _, err := g.persistConsumerLocked(); err != nil {
			g.c.log.Warn("persisting consumer group change failed; retrying on the next change", "group", g.id, "err", err)
		}
	}
}

// consumerStateLocked is Kafka's ConsumerGroupState.
func (g *group) consumerStateLocked() State {
	cg := g.cg
	if len(cg.members) == 0 {
		return StateEmpty
	}
	if cg.epoch > cg.assignmentEpoch {
		return StateAssigning
	}
	for _, m := range cg.members {
		if m.epoch == staticLeaveEpoch {
			continue // a departed static member holds its partitions as they are
		}
		if m.epoch != cg.assignmentEpoch || len(m.revoking) > 0 || !m.assigned.equal(cg.target[m.id]) {
			return StateReconciling
		}
	}
	return StateStable
}

// checkConsumerCommitLocked validates an OffsetCommit v9+ from a member of a
// KIP-848 group: the epoch may be the current or the previous one (a commit
// racing with a heartbeat that moved the member on).
func (g *group) checkConsumerCommitLocked(memberID string, epoch int32) error {
	m := g.cg.members[memberID]
	if m == nil {
		return kerr.UnknownMemberID
	}
	if epoch != m.epoch && epoch != m.prevEpoch {
		return kerr.StaleMemberEpoch
	}
	return nil
}

// checkConsumerFetchLocked validates the member of an OffsetFetch v9+; an
// empty member id is an admin read.
func (g *group) checkConsumerFetchLocked(memberID string, epoch int32) error {
	if memberID == "" {
		return nil
	}
	return g.checkConsumerCommitLocked(memberID, epoch)
}

func topicsToAssignment(ts []kmsg.ConsumerGroupHeartbeatRequestTopic) assignment {
	a := assignment{}
	for _, t := range ts {
		for _, p := range t.Partitions {
			if !a.has(t.TopicID, p) {
				a.add(t.TopicID, p)
			}
		}
	}
	return a
}

func sortedTopicIDs(a assignment) [][16]byte {
	out := make([][16]byte, 0, len(a))
	for t := range a {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i][:]) < string(out[j][:]) })
	return out
}

// DescribeConsumerGroup serves one group of ConsumerGroupDescribe v0-1.
func (c *Coordinator) DescribeConsumerGroup(id string) kmsg.ConsumerGroupDescribeResponseGroup {
	out := kmsg.NewConsumerGroupDescribeResponseGroup()
	out.Group = id
	err := c.withGroup(id, false, func(g *group) error {
		if g.kind != kindConsumer || g.cg == nil {
			msg := "Group " + id + " is not a consumer group."
			out.ErrorMessage = &msg
			return kerr.GroupIDNotFound
		}
		cg := g.cg
		out.State = string(g.consumerStateLocked())
		out.Epoch = cg.epoch
		out.AssignmentEpoch = cg.assignmentEpoch
		out.AssignorName = cg.assignor
		if out.AssignorName == "" {
			out.AssignorName = AssignorUniform
		}
		names := map[[16]byte]string{}
		if g.c.cfg.Image != nil {
			for n, t := range g.c.cfg.Image().Topics {
				names[t.ID] = n
			}
		}
		conv := func(a assignment) kmsg.Assignment {
			ka := kmsg.NewAssignment()
			for _, t := range sortedTopicIDs(a) {
				tp := kmsg.NewAssignmentTopicPartition()
				tp.TopicID = t
				tp.Topic = names[t]
				tp.Partitions = append([]int32(nil), a[t]...)
				ka.TopicPartitions = append(ka.TopicPartitions, tp)
			}
			return ka
		}
		for _, mid := range sortedKeys(cg.members) {
			m := cg.members[mid]
			dm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
			dm.MemberID = m.id
			dm.InstanceID = m.instanceID
			dm.RackID = m.rackID
			dm.MemberEpoch = m.epoch
			dm.ClientID = m.clientID
			dm.ClientHost = m.clientHost
			dm.SubscribedTopics = append([]string{}, m.names...)
			dm.SubscribedTopicRegex = m.regex
			dm.Assignment = conv(m.assigned)
			dm.TargetAssignment = conv(cg.target[m.id])
			dm.MemberType = 1 // consumer protocol
			out.Members = append(out.Members, dm)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errGroupNotFound) {
			msg := "Group " + id + " not found."
			out.ErrorMessage = &msg
			err = kerr.GroupIDNotFound
		}
		out.ErrorCode = kerrCode(err)
	}
	return out
}
