package group

// Persistence of KIP-848 group state in __consumer_offsets, and its replay
// when a coordinator loads a partition (after a restart or a move).
//
// The in-memory state is the truth while a coordinator leads; the records
// follow it. After every change (a heartbeat, a member removed by the
// ticker) persistConsumerLocked compares what each record would hold now
// with what was last written and appends only the records that differ, in
// one batch and in the order a Kafka coordinator writes them, so that a
// Kafka broker replaying the log accepts it:
//
//  1. for each member gone: tombstones of its current assignment (8), its
//     target assignment (7) and its metadata (5);
//  2. member metadata (5) of joined or changed members;
//  3. the subscribed topics' metadata (4), then the group epoch (3);
//  4. target assignments (7) of members whose target changed, then the
//     assignment epoch (6);
//  5. current assignments (8): member epoch, previous epoch, state,
//     assigned and pending-revocation partitions.
//
// Only members marked touched are compared (the heartbeating member, removed
// members, every member when the target is recomputed), so a heartbeat that
// changes nothing costs three small encodings and writes nothing.
//
// A heartbeat is answered only after its records commit. If the append
// fails, the in-memory state stays ahead of the log and the member gets the
// error; the records are written by the next successful persist (touched
// marks are cleared only on success). A coordinator that loses leadership
// drops its state and the new one replays the log.
//
// Replay rebuilds each member from its last metadata (5) and current
// assignment (8) records, the targets from 7 and 6, the epoch from 3 and the
// subscribed metadata from 4. Members get a fresh session: one that
// heartbeats within group.consumer.session.timeout.ms continues with its
// epoch and assignment; one that does not is removed as usual.

import (
	"bytes"
	"regexp"
	"sort"
	"time"
)

// consumerWritten is the last value written for each record of a KIP-848
// group (nil = none, or a tombstone).
type consumerWritten struct {
	group, partitions, targetMeta []byte
	members                       map[string]*memberWritten
}

type memberWritten struct {
	meta, target, current []byte
}

func (cg *consumerGroup) touch(id string) {
	if cg.touched == nil {
		cg.touched = map[string]bool{}
	}
	cg.touched[id] = true
}

func consumerRecord(typ int16, group, member string, value []byte) record {
	return record{key: consumerKey{typ: typ, group: group, member: member}.appendTo(nil), value: value}
}

func toTopicPartitions(a assignment) []cgTopicPartitions {
	out := make([]cgTopicPartitions, 0, len(a))
	for _, t := range sortedTopicIDs(a) {
		out = append(out, cgTopicPartitions{TopicID: t, Partitions: append([]int32{}, a[t]...)})
	}
	return out
}

func fromTopicPartitions(ts []cgTopicPartitions) assignment {
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

func (m *consumerMember) metadataValue() []byte {
	v := cgMemberMetadataValue{
		InstanceID:           m.instanceID,
		RackID:               m.rackID,
		ClientID:             m.clientID,
		ClientHost:           m.clientHost,
		SubscribedTopicNames: append([]string{}, m.names...),
		SubscribedTopicRegex: m.regex,
		RebalanceTimeoutMs:   int32(m.rebalanceTimeout / time.Millisecond),
	}
	if m.assignor != "" {
		a := m.assignor
		v.ServerAssignor = &a
	}
	return v.AppendTo(nil)
}

func (cg *consumerGroup) currentValue(m *consumerMember) []byte {
	v := cgCurrentMemberAssignmentValue{
		MemberEpoch:         m.epoch,
		PreviousMemberEpoch: m.prevEpoch,
		State:               memberStateStable,
		Assigned:            toTopicPartitions(m.assigned),
		PendingRevocation:   toTopicPartitions(m.revoking),
	}
	switch {
	case len(m.revoking) > 0:
		v.State = memberStateUnrevokedPartitions
	case !m.assigned.equal(cg.target[m.id]):
		v.State = memberStateUnreleasedPartitions
	}
	return v.AppendTo(nil)
}

func (cg *consumerGroup) partitionsValue() []byte {
	v := cgPartitionMetadataValue{Topics: []cgTopicMetadata{}}
	for _, n := range sortedKeys(cg.subscribed) {
		t := cg.subscribed[n]
		v.Topics = append(v.Topics, cgTopicMetadata{TopicID: t.id, TopicName: n, NumPartitions: t.partitions, Partitions: []cgPartitionRacks{}})
	}
	return v.AppendTo(nil)
}

// consumerRecordsLocked returns the records that bring the log in line with
// the group's state (see the file comment) and a function to call once they
// are appended.
func (g *group) consumerRecordsLocked() ([]record, func()) {
	cg := g.cg
	w := &cg.written
	if w.members == nil {
		w.members = map[string]*memberWritten{}
	}
	var recs []record
	if cg.tombstoneClassic {
		recs = append(recs, groupTombstone(g.id))
	}
	ids := sortedKeys(cg.touched)
	type upd struct {
		id                    string
		meta, target, current []byte
	}
	var gone []string
	var ups []upd
	for _, id := range ids {
		m := cg.members[id]
		mw := w.members[id]
		if m == nil {
			if mw == nil {
				continue
			}
			if mw.current != nil {
				recs = append(recs, consumerRecord(keyConsumerGroupCurrentMemberAssignment, g.id, id, nil))
			}
			if mw.target != nil {
				recs = append(recs, consumerRecord(keyConsumerGroupTargetAssignmentMember, g.id, id, nil))
			}
			if mw.meta != nil {
				recs = append(recs, consumerRecord(keyConsumerGroupMemberMetadata, g.id, id, nil))
			}
			gone = append(gone, id)
			continue
		}
		tv := cgTargetAssignmentMemberValue{Topics: toTopicPartitions(cg.target[id])}
		ups = append(ups, upd{id: id, meta: m.metadataValue(), target: tv.AppendTo(nil), current: cg.currentValue(m)})
	}
	old := func(id string) *memberWritten {
		if mw := w.members[id]; mw != nil {
			return mw
		}
		return &memberWritten{}
	}
	for _, u := range ups {
		if !bytes.Equal(u.meta, old(u.id).meta) {
			recs = append(recs, consumerRecord(keyConsumerGroupMemberMetadata, g.id, u.id, u.meta))
		}
	}
	pv := cg.partitionsValue()
	if !bytes.Equal(pv, w.partitions) {
		recs = append(recs, consumerRecord(keyConsumerGroupPartitionMetadata, g.id, "", pv))
	}
	mv := cgMetadataValue{Epoch: cg.epoch, CreationTimeMs: -1}
	gv := mv.AppendTo(nil)
	if !bytes.Equal(gv, w.group) {
		recs = append(recs, consumerRecord(keyConsumerGroupMetadata, g.id, "", gv))
	}
	for _, u := range ups {
		if !bytes.Equal(u.target, old(u.id).target) {
			recs = append(recs, consumerRecord(keyConsumerGroupTargetAssignmentMember, g.id, u.id, u.target))
		}
	}
	tmv := cgTargetAssignmentMetadataValue{AssignmentEpoch: cg.assignmentEpoch}
	tv := tmv.AppendTo(nil)
	if !bytes.Equal(tv, w.targetMeta) {
		recs = append(recs, consumerRecord(keyConsumerGroupTargetAssignmentMetadata, g.id, "", tv))
	}
	for _, u := range ups {
		if !bytes.Equal(u.current, old(u.id).current) {
			recs = append(recs, consumerRecord(keyConsumerGroupCurrentMemberAssignment, g.id, u.id, u.current))
		}
	}
	apply := func() {
		cg.tombstoneClassic = false
		for _, id := range gone {
			delete(w.members, id)
		}
		for _, u := range ups {
			w.members[u.id] = &memberWritten{meta: u.meta, target: u.target, current: u.current}
		}
		w.partitions, w.group, w.targetMeta = pv, gv, tv
		cg.touched = nil
	}
	return recs, apply
}

// persistConsumerLocked appends the records of the group's changes and
// returns the offset to wait for (-1 if nothing was written). Errors are
// *kerr.Error values fit for the heartbeat response.
func (g *group) persistConsumerLocked() (int64, error) {
	recs, apply := g.consumerRecordsLocked()
	if len(recs) == 0 {
		apply()
		return -1, nil
	}
	last, err := g.s.appendLocked(recs)
	if err != nil {
		g.c.log.Warn("persisting consumer group state failed", "group", g.id, "records", len(recs), "err", err)
		return 0, err
	}
	apply()
	return last, nil
}

// consumerTombstonesLocked returns the tombstones that delete every KIP-848
// record of the group (DeleteGroups, offset expiry, conversion to a classic
// group) and forgets what was written. Kafka's order: members' records,
// then the target assignment metadata, partition metadata and group epoch.
func (g *group) consumerTombstonesLocked() []record {
	cg := g.cg
	if cg == nil {
		return nil
	}
	w := &cg.written
	var recs []record
	for _, id := range sortedKeys(w.members) {
		mw := w.members[id]
		if mw.current != nil {
			recs = append(recs, consumerRecord(keyConsumerGroupCurrentMemberAssignment, g.id, id, nil))
		}
		if mw.target != nil {
			recs = append(recs, consumerRecord(keyConsumerGroupTargetAssignmentMember, g.id, id, nil))
		}
		if mw.meta != nil {
			recs = append(recs, consumerRecord(keyConsumerGroupMemberMetadata, g.id, id, nil))
		}
	}
	if w.targetMeta != nil {
		recs = append(recs, consumerRecord(keyConsumerGroupTargetAssignmentMetadata, g.id, "", nil))
	}
	if w.partitions != nil {
		recs = append(recs, consumerRecord(keyConsumerGroupPartitionMetadata, g.id, "", nil))
	}
	if w.group != nil {
		recs = append(recs, consumerRecord(keyConsumerGroupMetadata, g.id, "", nil))
	}
	cg.written = consumerWritten{}
	return recs
}

// consumerLoad collects the KIP-848 records of one group during replay.
// Values are decoded copies; raw holds a copy of each value's bytes (to seed
// consumerWritten, so that a restored group does not rewrite its records).
type consumerLoad struct {
	offset     int64 // log offset of the last group epoch record (3)
	meta       *cgMetadataValue
	partitions *cgPartitionMetadataValue
	targetMeta *cgTargetAssignmentMetadataValue
	members    map[string]*cgMemberMetadataValue
	targets    map[string]*cgTargetAssignmentMemberValue
	current    map[string]*cgCurrentMemberAssignmentValue
	raw        map[consumerKey][]byte
}

func newConsumerLoad() *consumerLoad {
	return &consumerLoad{
		members: map[string]*cgMemberMetadataValue{},
		targets: map[string]*cgTargetAssignmentMemberValue{},
		current: map[string]*cgCurrentMemberAssignmentValue{},
		raw:     map[consumerKey][]byte{},
	}
}

// add applies one record (value nil = tombstone). A value that does not
// decode is returned as an error and leaves the load unchanged.
func (l *consumerLoad) add(k consumerKey, offset int64, value []byte) error {
	if value == nil {
		delete(l.raw, k)
		switch k.typ {
		case keyConsumerGroupMetadata:
			l.meta = nil
		case keyConsumerGroupPartitionMetadata:
			l.partitions = nil
		case keyConsumerGroupMemberMetadata:
			delete(l.members, k.member)
		case keyConsumerGroupTargetAssignmentMetadata:
			l.targetMeta = nil
		case keyConsumerGroupTargetAssignmentMember:
			delete(l.targets, k.member)
		case keyConsumerGroupCurrentMemberAssignment:
			delete(l.current, k.member)
		}
		return nil
	}
	switch k.typ {
	case keyConsumerGroupMetadata:
		v := new(cgMetadataValue)
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		l.meta, l.offset = v, offset
	case keyConsumerGroupPartitionMetadata:
		v := new(cgPartitionMetadataValue)
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		l.partitions = v
	case keyConsumerGroupMemberMetadata:
		v := new(cgMemberMetadataValue)
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		l.members[k.member] = v
	case keyConsumerGroupTargetAssignmentMetadata:
		v := new(cgTargetAssignmentMetadataValue)
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		l.targetMeta = v
	case keyConsumerGroupTargetAssignmentMember:
		v := new(cgTargetAssignmentMemberValue)
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		l.targets[k.member] = v
	case keyConsumerGroupCurrentMemberAssignment:
		v := new(cgCurrentMemberAssignmentValue)
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		l.current[k.member] = v
	}
	l.raw[k] = append([]byte{}, value...)
	return nil
}

// restoreConsumerLocked rebuilds a KIP-848 group from its replayed records
// (l.meta is set). Members get a fresh session from now.
func (g *group) restoreConsumerLocked(l *consumerLoad, now time.Time) {
	g.kind = kindConsumer
	g.members = map[string]*member{}
	g.static = map[string]string{}
	g.protocolType, g.protocol, g.leader = "", "", ""
	cg := &consumerGroup{
		epoch:      l.meta.Epoch,
		target:     map[string]assignment{},
		members:    map[string]*consumerMember{},
		static:     map[string]string{},
		subscribed: map[string]topicMeta{},
	}
	g.cg = cg
	if l.targetMeta != nil {
		cg.assignmentEpoch = l.targetMeta.AssignmentEpoch
	}
	if l.partitions != nil {
		for _, t := range l.partitions.Topics {
			cg.subscribed[t.TopicName] = topicMeta{name: t.TopicName, id: t.TopicID, partitions: t.NumPartitions}
		}
		cg.metaHash = metaHash(cg.subscribed)
	}
	w := &cg.written
	w.members = map[string]*memberWritten{}
	w.group = l.raw[consumerKey{typ: keyConsumerGroupMetadata, group: g.id}]
	w.partitions = l.raw[consumerKey{typ: keyConsumerGroupPartitionMetadata, group: g.id}]
	w.targetMeta = l.raw[consumerKey{typ: keyConsumerGroupTargetAssignmentMetadata, group: g.id}]
	mw := func(id string) *memberWritten {
		if w.members[id] == nil {
			w.members[id] = &memberWritten{}
		}
		return w.members[id]
	}
	for id := range l.targets {
		mw(id).target = l.raw[consumerKey{typ: keyConsumerGroupTargetAssignmentMember, group: g.id, member: id}]
	}
	for id := range l.current {
		mw(id).current = l.raw[consumerKey{typ: keyConsumerGroupCurrentMemberAssignment, group: g.id, member: id}]
	}
	session, _ := g.c.consumerTimeouts(g.id)
	for _, id := range sortedKeys(l.members) {
		v := l.members[id]
		mw(id).meta = l.raw[consumerKey{typ: keyConsumerGroupMemberMetadata, group: g.id, member: id}]
		m := &consumerMember{
			id:               id,
			instanceID:       v.InstanceID,
			rackID:           v.RackID,
			clientID:         v.ClientID,
			clientHost:       v.ClientHost,
			names:            append([]string(nil), v.SubscribedTopicNames...),
			regex:            v.SubscribedTopicRegex,
			rebalanceTimeout: time.Duration(v.RebalanceTimeoutMs) * time.Millisecond,
			assigned:         assignment{},
			reported:         assignment{},
			dirty:            true, // resend the assignment: the last response may have been lost
			deadline:         now.Add(session),
		}
		sort.Strings(m.names)
		if v.ServerAssignor != nil {
			m.assignor = *v.ServerAssignor
		}
		if m.rebalanceTimeout <= 0 {
			m.rebalanceTimeout = 5 * time.Minute
		}
		if m.regex != nil && *m.regex != "" {
			re, err := regexp.Compile("^(?:" + *m.regex + ")$")
			if err != nil {
				g.c.log.Warn("restored consumer group member has an invalid regex; ignoring it", "group", g.id, "member", id, "err", err)
			} else {
				m.re = re
			}
		}
		if cur := l.current[id]; cur != nil {
			m.epoch, m.prevEpoch = cur.MemberEpoch, cur.PreviousMemberEpoch
			m.assigned = fromTopicPartitions(cur.Assigned)
			if len(cur.PendingRevocation) > 0 {
				m.revoking = fromTopicPartitions(cur.PendingRevocation)
				m.revokeDeadline = now.Add(m.rebalanceTimeout)
			}
		}
		// Until it says otherwise, the member still owns what it had.
		for t, ps := range m.assigned {
			for _, p := range ps {
				m.reported.add(t, p)
			}
		}
		for t, ps := range m.revoking {
			for _, p := range ps {
				if !m.reported.has(t, p) {
					m.reported.add(t, p)
				}
			}
		}
		cg.members[id] = m
		if m.instanceID != nil {
			cg.static[*m.instanceID] = id
		}
		if tv := l.targets[id]; tv != nil {
			cg.target[id] = fromTopicPartitions(tv.Topics)
		}
	}
	for id := range l.current {
		if l.members[id] == nil {
			g.c.log.Warn("consumer group assignment record without member metadata; dropping it", "group", g.id, "member", id)
			cg.touch(id) // its records are tombstoned by the next persist
		}
	}
	for id := range l.targets {
		if l.members[id] == nil {
			cg.touch(id)
		}
	}
	cg.assignor = cg.chooseAssignor()
	if len(cg.members) == 0 {
		g.state = StateEmpty
	} else {
		g.state = StateAssigning
	}
	g.stateTime = now
}

// chooseAssignor is the server assignor most members ask for (uniform on a
// tie or when none asks).
func (cg *consumerGroup) chooseAssignor() string {
	votes := map[string]int{}
	for _, m := range cg.members {
		if m.assignor != "" {
			votes[m.assignor]++
		}
	}
	if votes[AssignorRange] > votes[AssignorUniform] {
		return AssignorRange
	}
	return AssignorUniform
}
