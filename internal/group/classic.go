package group

// The classic group protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup
// (KAFKA-NOTES 6.2). States:
//
//	Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
//	CompletingRebalance --leader's SyncGroup written--> Stable
//	CompletingRebalance, Stable --join of a new member, changed metadata, leader
//	                              rejoin, leave, session expiry--> PreparingRebalance
//	any --last member gone--> Empty;  Empty --offsets expired / DeleteGroups--> Dead
//
// Timers are deadlines checked by the coordinator's ticker (tickLocked):
// each member's session, the join deadline (rebalance timeout; the initial
// delay while the group fills from Empty), the sync deadline, and the expiry
// of KIP-394 member ids that were handed out but never used.

import (
	"errors"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxPendingMembers bounds KIP-394 member ids handed out but not yet used
// per group; beyond it the oldest is forgotten (its owner gets
// UNKNOWN_MEMBER_ID and starts over), so a JoinGroup storm cannot grow memory.
const maxPendingMembers = 1000

type protocol struct {
	name     string
	metadata []byte
}

type member struct {
	id               string
	instanceID       *string
	clientID         string
	clientHost       string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocolType     string
	protocols        []protocol
	assignment       []byte
	joinSeq          uint64 // order of first join; the leader is the earliest

	deadline    time.Time // session expiry
	join        chan *kmsg.JoinGroupResponse
	joinVersion int16
	sync        chan *kmsg.SyncGroupResponse
}

func (m *member) metadataFor(name string) []byte {
	for _, p := range m.protocols {
		if p.name == name {
			return p.metadata
		}
	}
	return nil
}

func sameProtocols(a, b []protocol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].name || string(a[i].metadata) != string(b[i].metadata) {
			return false
		}
	}
	return true
}

// Future is an answer that arrives later (a parked JoinGroup or SyncGroup).
type Future[T any] struct {
	ch  chan T
	now T
	set bool
}

func ready[T any](v T) *Future[T] { return &Future[T]{now: v, set: true} }

// Wait returns the answer, or ok=false if done closed first (the connection
// went away; the group still completes without it).
func (f *Future[T]) Wait(done <-chan struct{}) (v T, ok bool) {
	if f.set {
		return f.now, true
	}
	select {
	case v := <-f.ch:
		return v, true
	case <-done:
		return v, false
	}
}

func joinError(code int16, memberID string) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.ErrorCode = code
	r.Generation = -1
	r.MemberID = memberID
	r.Protocol = nil
	return r
}

func syncError(code int16) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	r.ErrorCode = code
	return r
}

// JoinGroup serves JoinGroup v0-9. The answer may be parked until the
// rebalance completes. req is not retained.
func (c *Coordinator) JoinGroup(req *kmsg.JoinGroupRequest, cl Client) *Future[*kmsg.JoinGroupResponse] {
	switch {
	case req.Group == "":
		return ready(joinError(kerr.InvalidGroupID.Code, req.MemberID))
	case time.Duration(req.SessionTimeoutMillis)*time.Millisecond < c.cfg.MinSessionTimeout ||
		time.Duration(req.SessionTimeoutMillis)*time.Millisecond > c.cfg.MaxSessionTimeout:
		return ready(joinError(kerr.InvalidSessionTimeout.Code, req.MemberID))
	case req.ProtocolType == "" || len(req.Protocols) == 0:
		return ready(joinError(kerr.InconsistentGroupProtocol.Code, req.MemberID))
	}
	var fut *Future[*kmsg.JoinGroupResponse]
	err := c.withGroup(req.Group, true, func(g *group) error {
		fut = g.joinLocked(req, cl, c.now())
		return nil
	})
	if err != nil {
		return ready(joinError(kerrCode(err), req.MemberID))
	}
	return fut
}

func (g *group) joinLocked(req *kmsg.JoinGroupRequest, cl Client, now time.Time) *Future[*kmsg.JoinGroupResponse] {
	if g.kind == kindConsumer {
		if g.cg != nil && len(g.cg.members) > 0 {
			return ready(joinError(kerr.InconsistentGroupProtocol.Code, req.MemberID))
		}
		// An empty KIP-848 group becomes a classic one, keeping its
		// offsets; its consumer group records are deleted.
		if recs := g.consumerTombstonesLocked(); len(recs) > 0 {
			if _, err := g.s.appendLocked(recs); err != nil {
				return ready(joinError(kerrCode(err), req.MemberID))
			}
		}
		g.kind, g.cg = kindNone, nil
		g.setStateLocked(StateEmpty)
	}
	if len(g.members) > 0 {
		if req.ProtocolType != g.protocolType || !g.supportsAllLocked(req.Protocols) {
			return ready(joinError(kerr.InconsistentGroupProtocol.Code, req.MemberID))
		}
	}
	rebalanceTimeout := time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	if req.Version == 0 || req.RebalanceTimeoutMillis <= 0 {
		rebalanceTimeout = time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	}
	protos := make([]protocol, len(req.Protocols))
	for i, p := range req.Protocols {
		protos[i] = protocol{name: p.Name, metadata: append([]byte(nil), p.Metadata...)}
	}
	upd := func(m *member) {
		m.clientID, m.clientHost = cl.ID, cl.Host
		m.sessionTimeout = time.Duration(req.SessionTimeoutMillis) * time.Millisecond
		m.rebalanceTimeout = rebalanceTimeout
		m.protocolType = req.ProtocolType
		m.protocols = protos
		m.deadline = now.Add(m.sessionTimeout)
	}
	instance := ""
	if req.InstanceID != nil {
		instance = *req.InstanceID
	}

	if req.MemberID == "" {
		id := memberID(cl.ID)
		if instance != "" {
			if old := g.members[g.static[instance]]; old != nil {
				return g.replaceStaticLocked(old, id, req, upd, now)
			}
		} else if req.Version >= 4 {
			// KIP-394: hand out an id; the member is pending until it
			// rejoins with it.
			if len(g.members) >= g.c.cfg.MaxSize {
				return ready(joinError(kerr.GroupMaxSizeReached.Code, ""))
			}
			g.addPendingLocked(id, now.Add(time.Duration(req.SessionTimeoutMillis)*time.Millisecond))
			return ready(joinError(kerr.MemberIDRequired.Code, id))
		}
		if len(g.members) >= g.c.cfg.MaxSize {
			return ready(joinError(kerr.GroupMaxSizeReached.Code, id))
		}
		m := &member{id: id}
		if instance != "" {
			m.instanceID = &instance
			g.static[instance] = id
		}
		upd(m)
		return g.addMemberLocked(m, req.Version, now)
	}

	if instance != "" {
		if owner, ok := g.static[instance]; ok && owner != req.MemberID {
			return ready(joinError(kerr.FencedInstanceID.Code, req.MemberID))
		}
	}
	m := g.members[req.MemberID]
	if m == nil {
		if _, ok := g.pending[req.MemberID]; !ok {
			return ready(joinError(kerr.UnknownMemberID.Code, req.MemberID))
		}
		delete(g.pending, req.MemberID)
		if len(g.members) >= g.c.cfg.MaxSize {
			return ready(joinError(kerr.GroupMaxSizeReached.Code, req.MemberID))
		}
		m = &member{id: req.MemberID}
		if instance != "" {
			m.instanceID = &instance
			g.static[instance] = m.id
		}
		upd(m)
		return g.addMemberLocked(m, req.Version, now)
	}

	// A known member rejoins.
	changed := !sameProtocols(m.protocols, protos)
	upd(m)
	switch g.state {
	case StatePreparingRebalance:
		return g.parkJoinLocked(m, req.Version, now)
	case StateCompletingRebalance:
		if !changed {
			// It lost the response to its join: send it again.
			return ready(g.joinResponseLocked(m))
		}
		g.prepareRebalanceLocked(now, "member metadata changed")
		return g.parkJoinLocked(m, req.Version, now)
	case StateStable:
		if m.id == g.leader || changed {
			g.prepareRebalanceLocked(now, "leader rejoined or metadata changed")
			return g.parkJoinLocked(m, req.Version, now)
		}
		return ready(g.joinResponseLocked(m))
	default: // Empty with members cannot happen; treat as a fresh join
		return g.addMemberLocked(m, req.Version, now)
	}
}

// replaceStaticLocked gives a static member that rejoined without its member
// id a new one (KIP-345): requests with the old id are fenced from now on.
// With unchanged metadata in a Stable group no rebalance happens.
func (g *group) replaceStaticLocked(old *member, newID string, req *kmsg.JoinGroupRequest, upd func(*member), now time.Time) *Future[*kmsg.JoinGroupResponse] {
	protos := make([]protocol, len(req.Protocols))
	for i, p := range req.Protocols {
		protos[i] = protocol{name: p.Name, metadata: p.Metadata}
	}
	changed := !sameProtocols(old.protocols, protos)
	if old.join != nil {
		old.join <- joinError(kerr.FencedInstanceID.Code, old.id)
		old.join = nil
	}
	if old.sync != nil {
		old.sync <- syncError(kerr.FencedInstanceID.Code)
		old.sync = nil
	}
	delete(g.members, old.id)
	wasLeader := g.leader == old.id
	old.id = newID
	g.members[newID] = old
	g.static[*old.instanceID] = newID
	if wasLeader {
		g.leader = newID
	}
	upd(old)
	g.c.log.Info("static member rejoined with a new member id", "group", g.id, "instance", *old.instanceID, "member", newID)
	if g.state == StateStable && !changed && !wasLeader {
		resp := g.joinResponseLocked(old)
		// Persist the new member id so a restart knows it.
		if _, err := g.s.appendLocked([]record{g.metadataRecordLocked()}); err != nil {
			g.c.log.Warn("persisting static member replacement failed", "group", g.id, "err", err)
		}
		return ready(resp)
	}
	if g.state == StatePreparingRebalance {
		return g.parkJoinLocked(old, req.Version, now)
	}
	g.prepareRebalanceLocked(now, "static member rejoined")
	return g.parkJoinLocked(old, req.Version, now)
}

func (g *group) addPendingLocked(id string, expiry time.Time) {
	if len(g.pending) >= maxPendingMembers {
		oldID, oldT := "", time.Time{}
		for pid, t := range g.pending {
			if oldID == "" || t.Before(oldT) {
				oldID, oldT = pid, t
			}
		}
		delete(g.pending, oldID)
	}
	g.pending[id] = expiry
}

func memberID(clientID string) string {
	return clientID + "-" + uuid.NewString()
}

// supportsAllLocked reports whether some protocol of protos is supported by
// every current member.
func (g *group) supportsAllLocked(protos []kmsg.JoinGroupRequestProtocol) bool {
	for _, p := range protos {
		ok := true
		for _, m := range g.members {
			if m.metadataFor(p.Name) == nil && !hasProtocol(m, p.Name) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func hasProtocol(m *member, name string) bool {
	for _, p := range m.protocols {
		if p.name == name {
			return true
		}
	}
	return false
}

func (g *group) addMemberLocked(m *member, version int16, now time.Time) *Future[*kmsg.JoinGroupResponse] {
	g.joinOrder++
	m.joinSeq = g.joinOrder
	g.members[m.id] = m
	if g.kind == kindNone {
		g.kind = kindClassic
	}
	if len(g.members) == 1 {
		g.protocolType = m.protocolType
	}
	switch g.state {
	case StateEmpty:
		g.prepareRebalanceLocked(now, "first member joined")
	case StateCompletingRebalance, StateStable:
		g.prepareRebalanceLocked(now, "new member joined")
	case StatePreparingRebalance:
		if !g.initialEnd.IsZero() {
			// The initial delay: wait a little longer for more members,
			// never past the rebalance timeout.
			end := now.Add(g.c.cfg.InitialRebalanceDelay)
			if end.After(g.initialEnd) {
				end = g.initialEnd
			}
			if end.After(g.rebalanceEnd) {
				g.rebalanceEnd = end
			}
		}
	}
	return g.parkJoinLocked(m, version, now)
}

// parkJoinLocked parks m's JoinGroup and completes the join phase if every
// member is in (outside the initial delay).
func (g *group) parkJoinLocked(m *member, version int16, now time.Time) *Future[*kmsg.JoinGroupResponse] {
	if m.join != nil {
		// A second join from the same member replaces the first.
		m.join <- joinError(kerr.UnknownMemberID.Code, m.id)
	}
	ch := make(chan *kmsg.JoinGroupResponse, 1)
	m.join = ch
	m.joinVersion = version
	if g.initialEnd.IsZero() && g.allJoinedLocked() {
		g.completeJoinLocked(now)
	}
	return &Future[*kmsg.JoinGroupResponse]{ch: ch}
}

func (g *group) allJoinedLocked() bool {
	if len(g.pending) > 0 && g.state == StatePreparingRebalance {
		// Kafka waits for members it handed an id to in this rebalance;
		// they rejoin right away, and expire after the session timeout.
		return false
	}
	for _, m := range g.members {
		if m.join == nil {
			return false
		}
	}
	return len(g.members) > 0
}

func (g *group) maxRebalanceTimeoutLocked() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		if m.rebalanceTimeout > d {
			d = m.rebalanceTimeout
		}
	}
	return d
}

// prepareRebalanceLocked enters PreparingRebalance: members must rejoin
// within the rebalance timeout. Parked SyncGroups learn of it.
func (g *group) prepareRebalanceLocked(now time.Time, reason string) {
	if g.state == StateCompletingRebalance {
		for _, m := range g.members {
			if m.sync != nil {
				m.sync <- syncError(kerr.RebalanceInProgress.Code)
				m.sync = nil
			}
		}
	}
	timeout := g.maxRebalanceTimeoutLocked()
	g.initialEnd = time.Time{}
	if g.state == StateEmpty && g.c.cfg.InitialRebalanceDelay > 0 {
		g.initialEnd = now.Add(timeout)
		d := g.c.cfg.InitialRebalanceDelay
		if d > timeout {
			d = timeout
		}
		g.rebalanceEnd = now.Add(d)
	} else {
		g.rebalanceEnd = now.Add(timeout)
	}
	g.persisting = false
	g.syncEnd = time.Time{}
	g.c.log.Info("preparing rebalance", "group", g.id, "generation", g.generation, "members", len(g.members), "reason", reason)
	g.setStateLocked(StatePreparingRebalance)
}

// completeJoinLocked ends the join phase: members that did not rejoin are
// dropped, the generation advances, a protocol is chosen and every parked
// JoinGroup is answered (the leader gets the member list).
func (g *group) completeJoinLocked(now time.Time) {
	for _, m := range g.members {
		if m.join == nil {
			g.c.log.Info("member did not rejoin in time, removing it", "group", g.id, "member", m.id)
			g.dropMemberLocked(m, kerr.UnknownMemberID.Code)
		}
	}
	g.initialEnd = time.Time{}
	g.rebalanceEnd = time.Time{}
	g.pending = map[string]time.Time{}
	g.generation++
	if len(g.members) == 0 {
		g.becomeEmptyLocked()
		return
	}
	g.protocol = g.voteLocked()
	if g.members[g.leader] == nil {
		var first *member
		for _, m := range g.members {
			if first == nil || m.joinSeq < first.joinSeq {
				first = m
			}
		}
		g.leader = first.id
	}
	g.setStateLocked(StateCompletingRebalance)
	g.syncEnd = now.Add(g.maxRebalanceTimeoutLocked())
	for _, m := range g.members {
		r := g.joinResponseLocked(m)
		m.join <- r
		m.join = nil
		m.deadline = now.Add(m.sessionTimeout)
	}
	g.c.log.Info("group rebalanced", "group", g.id, "generation", g.generation, "protocol", g.protocol, "leader", g.leader, "members", len(g.members))
}

// becomeEmptyLocked records the group as Empty (no members) in the log.
func (g *group) becomeEmptyLocked() {
	g.protocol = ""
	g.leader = ""
	g.rebalanceEnd, g.initialEnd, g.syncEnd = time.Time{}, time.Time{}, time.Time{}
	g.persisting = false
	g.setStateLocked(StateEmpty)
	if _, err := g.s.appendLocked([]record{g.metadataRecordLocked()}); err != nil {
		g.c.log.Warn("persisting empty group failed", "group", g.id, "err", err)
	}
}

// voteLocked picks the protocol every member supports that most members
// prefer; ties go to the earliest member's preference.
func (g *group) voteLocked() string {
	ms := g.sortedMembersLocked()
	var candidates []string
	for _, p := range ms[0].protocols {
		all := true
		for _, m := range ms[1:] {
			if !hasProtocol(m, p.name) {
				all = false
				break
			}
		}
		if all {
			candidates = append(candidates, p.name)
		}
	}
	if len(candidates) == 0 {
		return ms[0].protocols[0].name // cannot happen: joins are checked
	}
	votes := map[string]int{}
	for _, m := range ms {
		for _, p := range m.protocols {
			if contains(candidates, p.name) {
				votes[p.name]++
				break
			}
		}
	}
	best := candidates[0]
	for _, c := range candidates {
		if votes[c] > votes[best] {
			best = c
		}
	}
	return best
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (g *group) sortedMembersLocked() []*member {
	ms := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].joinSeq < ms[j].joinSeq })
	return ms
}

func (g *group) joinResponseLocked(m *member) *kmsg.JoinGroupResponse {
	r := kmsg.NewPtrJoinGroupResponse()
	r.Generation = g.generation
	pt, p := g.protocolType, g.protocol
	r.ProtocolType = &pt
	r.Protocol = &p
	r.LeaderID = g.leader
	r.MemberID = m.id
	if m.id == g.leader {
		for _, o := range g.sortedMembersLocked() {
			rm := kmsg.NewJoinGroupResponseMember()
			rm.MemberID = o.id
			rm.InstanceID = o.instanceID
			rm.ProtocolMetadata = o.metadataFor(g.protocol)
			r.Members = append(r.Members, rm)
		}
	}
	return r
}

// dropMemberLocked removes a member without starting a rebalance; its parked
// requests are answered with code.
func (g *group) dropMemberLocked(m *member, code int16) {
	if m.join != nil {
		m.join <- joinError(code, m.id)
		m.join = nil
	}
	if m.sync != nil {
		m.sync <- syncError(code)
		m.sync = nil
	}
	delete(g.members, m.id)
	if m.instanceID != nil && g.static[*m.instanceID] == m.id {
		delete(g.static, *m.instanceID)
	}
}

// removeMemberLocked removes a member that left or expired and moves the
// group on: a rebalance, or Empty when it was the last.
func (g *group) removeMemberLocked(m *member, now time.Time, reason string) {
	g.dropMemberLocked(m, kerr.UnknownMemberID.Code)
	g.c.log.Info("member removed", "group", g.id, "member", m.id, "reason", reason, "members_left", len(g.members))
	switch g.state {
	case StatePreparingRebalance:
		if len(g.members) == 0 || (g.initialEnd.IsZero() && g.allJoinedLocked()) {
			g.completeJoinLocked(now)
		}
	case StateCompletingRebalance, StateStable:
		if len(g.members) == 0 {
			g.generation++
			g.becomeEmptyLocked()
			return
		}
		g.prepareRebalanceLocked(now, reason)
	}
}

// classicTickLocked fires expired deadlines.
func (g *group) classicTickLocked(now time.Time) {
	for id, exp := range g.pending {
		if now.After(exp) {
			delete(g.pending, id)
		}
	}
	switch g.state {
	case StatePreparingRebalance:
		if !g.initialEnd.IsZero() && now.After(g.rebalanceEnd) {
			g.initialEnd = time.Time{}
			g.completeJoinLocked(now)
			return
		}
		if now.After(g.rebalanceEnd) || (g.initialEnd.IsZero() && g.allJoinedLocked()) {
			g.completeJoinLocked(now)
			return
		}
	case StateCompletingRebalance:
		if !g.syncEnd.IsZero() && now.After(g.syncEnd) && !g.persisting {
			for _, m := range g.members {
				if m.sync == nil {
					g.c.log.Info("member did not send SyncGroup in time", "group", g.id, "member", m.id)
					g.dropMemberLocked(m, kerr.UnknownMemberID.Code)
				}
			}
			if len(g.members) == 0 {
				g.generation++
				g.becomeEmptyLocked()
				return
			}
			g.prepareRebalanceLocked(now, "members did not sync")
			return
		}
	}
	for _, m := range g.members {
		if m.join != nil || m.sync != nil {
			continue // parked requests keep a member alive
		}
		if now.After(m.deadline) {
			g.removeMemberLocked(m, now, "session timeout expired")
			if g.state == StateEmpty {
				return
			}
		}
	}
}

// checkMemberLocked validates the member id, instance id and generation of a
// SyncGroup, Heartbeat or OffsetCommit.
func (g *group) checkMemberLocked(memberID string, instanceID *string, generation int32) (*member, error) {
	if instanceID != nil {
		if owner, ok := g.static[*instanceID]; ok && owner != memberID {
			return nil, kerr.FencedInstanceID
		}
	}
	m := g.members[memberID]
	if m == nil {
		return nil, kerr.UnknownMemberID
	}
	if generation != g.generation {
		return m, kerr.IllegalGeneration
	}
	return m, nil
}

// SyncGroup serves SyncGroup v0-5; the answer is parked until the leader's
// assignment is written.
func (c *Coordinator) SyncGroup(req *kmsg.SyncGroupRequest) *Future[*kmsg.SyncGroupResponse] {
	var fut *Future[*kmsg.SyncGroupResponse]
	err := c.withGroup(req.Group, false, func(g *group) error {
		fut = g.syncLocked(req, c.now())
		return nil
	})
	if err != nil {
		if errors.Is(err, errGroupNotFound) {
			return ready(syncError(kerr.UnknownMemberID.Code))
		}
		return ready(syncError(kerrCode(err)))
	}
	return fut
}

func (g *group) syncLocked(req *kmsg.SyncGroupRequest, now time.Time) *Future[*kmsg.SyncGroupResponse] {
	if g.kind == kindConsumer {
		return ready(syncError(kerr.InconsistentGroupProtocol.Code))
	}
	m, err := g.checkMemberLocked(req.MemberID, req.InstanceID, req.Generation)
	if err != nil {
		return ready(syncError(kerrCode(err)))
	}
	if (req.ProtocolType != nil && *req.ProtocolType != g.protocolType) || (req.Protocol != nil && *req.Protocol != g.protocol) {
		return ready(syncError(kerr.InconsistentGroupProtocol.Code))
	}
	m.deadline = now.Add(m.sessionTimeout)
	switch g.state {
	case StatePreparingRebalance:
		return ready(syncError(kerr.RebalanceInProgress.Code))
	case StateStable:
		return ready(g.syncResponseLocked(m))
	case StateCompletingRebalance:
	default:
		return ready(syncError(kerr.UnknownMemberID.Code))
	}
	if m.sync != nil {
		m.sync <- syncError(kerr.RebalanceInProgress.Code)
	}
	ch := make(chan *kmsg.SyncGroupResponse, 1)
	m.sync = ch
	if m.id == g.leader && !g.persisting {
		given := map[string][]byte{}
		for _, a := range req.GroupAssignment {
			given[a.MemberID] = a.MemberAssignment
		}
		for id, o := range g.members {
			o.assignment = append([]byte(nil), given[id]...)
		}
		last, err := g.s.appendLocked([]record{g.metadataRecordLocked()})
		if err != nil {
			code := kerrCode(err)
			if errors.Is(err, errTooLarge) {
				code = kerr.UnknownServerError.Code // Kafka's answer when the group record does not fit
			}
			g.c.log.Warn("persisting group assignment failed", "group", g.id, "err", err)
			for _, o := range g.members {
				if o.sync != nil {
					o.sync <- syncError(code)
					o.sync = nil
				}
			}
			g.prepareRebalanceLocked(now, "assignment could not be written")
			return &Future[*kmsg.SyncGroupResponse]{ch: ch}
		}
		g.persisting = true
		gen := g.generation
		if !g.c.goTracked(func() { g.finishSync(gen, last) }) {
			ch <- syncError(kerr.NotCoordinator.Code)
			m.sync = nil
		}
	}
	return &Future[*kmsg.SyncGroupResponse]{ch: ch}
}

// finishSync waits for the assignment record to commit and then makes the
// group Stable, answering every parked SyncGroup.
func (g *group) finishSync(gen int32, last int64) {
	err := g.s.waitCommitted(last)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dead.Load() || g.generation != gen || g.state != StateCompletingRebalance || !g.persisting {
		return
	}
	g.persisting = false
	now := g.c.now()
	if err != nil {
		g.c.log.Warn("group assignment did not commit", "group", g.id, "err", err)
		for _, m := range g.members {
			if m.sync != nil {
				m.sync <- syncError(kerrCode(err))
				m.sync = nil
			}
		}
		g.prepareRebalanceLocked(now, "assignment did not commit")
		return
	}
	g.setStateLocked(StateStable)
	g.syncEnd = time.Time{}
	for _, m := range g.members {
		m.deadline = now.Add(m.sessionTimeout)
		if m.sync != nil {
			m.sync <- g.syncResponseLocked(m)
			m.sync = nil
		}
	}
}

func (g *group) syncResponseLocked(m *member) *kmsg.SyncGroupResponse {
	r := kmsg.NewPtrSyncGroupResponse()
	pt, p := g.protocolType, g.protocol
	r.ProtocolType = &pt
	r.Protocol = &p
	r.MemberAssignment = m.assignment
	if r.MemberAssignment == nil {
		r.MemberAssignment = []byte{}
	}
	return r
}

// Heartbeat serves Heartbeat v0-4.
func (c *Coordinator) Heartbeat(req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := kmsg.NewPtrHeartbeatResponse()
	err := c.withGroup(req.Group, false, func(g *group) error {
		if g.kind == kindConsumer {
			return kerr.InconsistentGroupProtocol
		}
		m, err := g.checkMemberLocked(req.MemberID, req.InstanceID, req.Generation)
		if err != nil {
			return err
		}
		now := c.now()
		m.deadline = now.Add(m.sessionTimeout)
		switch g.state {
		case StatePreparingRebalance:
			return kerr.RebalanceInProgress
		case StateCompletingRebalance, StateStable:
			return nil
		}
		return kerr.UnknownMemberID
	})
	if errors.Is(err, errGroupNotFound) {
		err = kerr.UnknownMemberID
	}
	resp.ErrorCode = kerrCode(err)
	return resp
}

// LeaveGroup serves LeaveGroup v0-5: v0-2 name one member id, v3+ a list of
// members by id or instance id, each answered on its own.
func (c *Coordinator) LeaveGroup(req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := kmsg.NewPtrLeaveGroupResponse()
	leaving := req.Members
	if req.Version < 3 {
		leaving = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	results := make([]kmsg.LeaveGroupResponseMember, len(leaving))
	for i, l := range leaving {
		results[i] = kmsg.NewLeaveGroupResponseMember()
		results[i].MemberID = l.MemberID
		results[i].InstanceID = l.InstanceID
	}
	err := c.withGroup(req.Group, false, func(g *group) error {
		if g.kind == kindConsumer {
			return kerr.InconsistentGroupProtocol
		}
		now := c.now()
		for i, l := range leaving {
			id := l.MemberID
			if l.InstanceID != nil {
				owner, ok := g.static[*l.InstanceID]
				switch {
				case !ok:
					results[i].ErrorCode = kerr.UnknownMemberID.Code
					continue
				case id != "" && owner != id:
					results[i].ErrorCode = kerr.FencedInstanceID.Code
					continue
				}
				id = owner
			}
			if _, ok := g.pending[id]; ok {
				delete(g.pending, id)
				continue
			}
			m := g.members[id]
			if m == nil {
				results[i].ErrorCode = kerr.UnknownMemberID.Code
				continue
			}
			reason := "member left"
			if l.Reason != nil {
				reason = "member left: " + *l.Reason
			}
			g.removeMemberLocked(m, now, reason)
		}
		return nil
	})
	if errors.Is(err, errGroupNotFound) {
		err = kerr.UnknownMemberID
	}
	resp.ErrorCode = kerrCode(err)
	if req.Version >= 3 {
		if err == nil {
			resp.Members = results
		}
	} else if err == nil {
		resp.ErrorCode = results[0].ErrorCode
	}
	return resp
}

// metadataRecordLocked is the GroupMetadataValue record of the group now.
func (g *group) metadataRecordLocked() record {
	v := kmsg.NewGroupMetadataValue()
	v.Version = valueGroupMetadata
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	if g.protocol != "" {
		p := g.protocol
		v.Protocol = &p
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.CurrentStateTimestamp = g.stateTime.UnixMilli()
	for _, m := range g.sortedMembersLocked() {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.id
		vm.InstanceID = m.instanceID
		vm.ClientID = m.clientID
		vm.ClientHost = m.clientHost
		vm.RebalanceTimeoutMillis = int32(m.rebalanceTimeout / time.Millisecond)
		vm.SessionTimeoutMillis = int32(m.sessionTimeout / time.Millisecond)
		vm.Subscription = m.metadataFor(g.protocol)
		if vm.Subscription == nil {
			vm.Subscription = []byte{}
		}
		vm.Assignment = m.assignment
		if vm.Assignment == nil {
			vm.Assignment = []byte{}
		}
		v.Members = append(v.Members, vm)
	}
	return record{key: groupKey(g.id), value: v.AppendTo(nil)}
}

// restoreClassicLocked rebuilds a classic group from its last metadata
// record at load time. Members get a fresh session: those that do not come
// back expire and the group rebalances.
func (g *group) restoreClassicLocked(v *kmsg.GroupMetadataValue, now time.Time) {
	g.kind = kindClassic
	g.protocolType = v.ProtocolType
	g.generation = v.Generation
	g.protocol = ""
	if v.Protocol != nil {
		g.protocol = *v.Protocol
	}
	g.leader = ""
	if v.Leader != nil {
		g.leader = *v.Leader
	}
	g.members = map[string]*member{}
	g.static = map[string]string{}
	for _, vm := range v.Members {
		g.joinOrder++
		m := &member{
			id: vm.MemberID, instanceID: vm.InstanceID, clientID: vm.ClientID, clientHost: vm.ClientHost,
			sessionTimeout:   time.Duration(vm.SessionTimeoutMillis) * time.Millisecond,
			rebalanceTimeout: time.Duration(vm.RebalanceTimeoutMillis) * time.Millisecond,
			protocolType:     v.ProtocolType,
			protocols:        []protocol{{name: g.protocol, metadata: vm.Subscription}},
			assignment:       vm.Assignment,
			joinSeq:          g.joinOrder,
		}
		if m.rebalanceTimeout <= 0 {
			m.rebalanceTimeout = m.sessionTimeout
		}
		m.deadline = now.Add(m.sessionTimeout)
		g.members[m.id] = m
		if m.instanceID != nil {
			g.static[*m.instanceID] = m.id
		}
	}
	if len(g.members) == 0 {
		g.state = StateEmpty
		if v.CurrentStateTimestamp > 0 {
			g.stateTime = time.UnixMilli(v.CurrentStateTimestamp)
		}
	} else {
		g.state = StateStable
		g.stateTime = now
	}
}

// resetClassicLocked forgets classic state (a group tombstone at load time).
func (g *group) resetClassicLocked() {
	g.kind = kindNone
	g.protocolType, g.protocol, g.leader = "", "", ""
	g.generation = 0
	g.members = map[string]*member{}
	g.static = map[string]string{}
	g.state = StateEmpty
}
