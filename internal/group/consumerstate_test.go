package group

import (
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

// testCoordinator is a coordinator with no partitions and a fixed image:
// enough to drive a group's state machine directly.
func testCoordinator(img *cluster.Image, now func() time.Time) *Coordinator {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &Coordinator{log: log, cfg: Config{
		Image:                     func() *cluster.Image { return img },
		Logger:                    log,
		Now:                       now,
		MinSessionTimeout:         6 * time.Second,
		MaxSessionTimeout:         30 * time.Minute,
		MaxSize:                   1000,
		ConsumerSessionTimeout:    45 * time.Second,
		ConsumerHeartbeatInterval: 5 * time.Second,
		ConsumerMaxSize:           1000,
		OffsetsRetention:          7 * 24 * time.Hour,
	}}
}

func testImage(topics map[string]int) *cluster.Image {
	img := &cluster.Image{Topics: map[string]*cluster.TopicImage{}, TopicsByID: map[[16]byte]*cluster.TopicImage{}}
	i := byte(1)
	for name, n := range topics {
		t := &cluster.TopicImage{Name: name, ID: [16]byte{i}}
		for p := 0; p < n; p++ {
			t.Partitions = append(t.Partitions, cluster.PartitionImage{Partition: int32(p)})
		}
		img.Topics[name] = t
		img.TopicsByID[t.ID] = t
		i++
	}
	return img
}

// recordLog collects the records a group writes, as the partition would.
type recordLog struct {
	recs []record
}

// persist appends the group's pending records to the log.
func (l *recordLog) persist(g *group) {
	recs, apply := g.consumerRecordsLocked()
	l.recs = append(l.recs, recs...)
	apply()
}

// replay rebuilds group id from the log the way shard.replay does: through a
// RecordBatch, parseKey and consumerLoad.
func (l *recordLog) replay(t *testing.T, c *Coordinator, id string) *group {
	t.Helper()
	load := newConsumerLoad()
	b := buildBatch(l.recs, 1)
	if err := decodeBatches(b, func(off int64, k, v []byte) error {
		pk, err := parseKey(k)
		if err != nil {
			t.Fatalf("offset %d: %v", off, err)
		}
		if pk.kind == keyKindConsumer && pk.group == id {
			if err := load.add(pk.consumer, off, v); err != nil {
				t.Fatalf("offset %d: %v", off, err)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	g := newGroup(&shard{c: c}, id)
	if load.meta != nil {
		g.restoreConsumerLocked(load, c.now())
	}
	return g
}

func heartbeat(t *testing.T, g *group, id string, epoch int32, topics []string, owned assignment) *kmsg.ConsumerGroupHeartbeatResponse {
	t.Helper()
	return heartbeatAs(t, g, id, nil, epoch, topics, owned)
}

// heartbeatAs is heartbeat for a member with group instance id instance
// (nil: a dynamic member).
func heartbeatAs(t *testing.T, g *group, id string, instance *string, epoch int32, topics []string, owned assignment) *kmsg.ConsumerGroupHeartbeatResponse {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version = 1
	req.Group = g.id
	req.MemberID = id
	req.MemberEpoch = epoch
	req.InstanceID = instance
	req.SubscribedTopicNames = topics
	req.RebalanceTimeoutMillis = 30000
	if owned != nil {
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		for _, tid := range sortedTopicIDs(owned) {
			req.Topics = append(req.Topics, kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: tid, Partitions: owned[tid]})
		}
	}
	resp, err := g.consumerHeartbeatLocked(req, nil, Client{ID: "client-" + id, Host: "/127.0.0.1"}, g.c.now())
	if err != nil {
		t.Fatalf("heartbeat %s epoch %d: %v", id, epoch, err)
	}
	return resp
}

func respAssignment(r *kmsg.ConsumerGroupHeartbeatResponse) assignment {
	a := assignment{}
	if r.Assignment != nil {
		for _, t := range r.Assignment.Topics {
			for _, p := range t.Partitions {
				a.add(t.TopicID, p)
			}
		}
	}
	return a
}

// memberView is the persisted part of a member.
type memberView struct {
	Epoch, PrevEpoch   int32
	Assigned, Revoking assignment
	Target             assignment
	Names              []string
	InstanceID         *string
	ClientID           string
	RebalanceTimeout   time.Duration
}

func viewOf(g *group) (int32, int32, map[string]memberView) {
	out := map[string]memberView{}
	for id, m := range g.cg.members {
		rv := m.revoking
		if len(rv) == 0 {
			rv = nil
		}
		out[id] = memberView{m.epoch, m.prevEpoch, m.assigned, rv, g.cg.target[id], m.names, m.instanceID, m.clientID, m.rebalanceTimeout}
	}
	return g.cg.epoch, g.cg.assignmentEpoch, out
}

func checkReplay(t *testing.T, c *Coordinator, log *recordLog, g *group) *group {
	t.Helper()
	r := log.replay(t, c, g.id)
	if r.kind != kindConsumer {
		t.Fatalf("replayed group kind %v", r.kind)
	}
	e1, a1, m1 := viewOf(g)
	e2, a2, m2 := viewOf(r)
	if e1 != e2 || a1 != a2 || !reflect.DeepEqual(m1, m2) {
		t.Fatalf("replayed state differs:\n live   epoch %d/%d %+v\n replay epoch %d/%d %+v", e1, a1, m1, e2, a2, m2)
	}
	if r.cg.metaHash != g.cg.metaHash {
		t.Fatalf("metadata hash %x, live %x", r.cg.metaHash, g.cg.metaHash)
	}
	// A replayed group's records match the log: nothing to rewrite.
	for id := range r.cg.members {
		r.cg.touch(id)
	}
	if recs, _ := r.consumerRecordsLocked(); len(recs) != 0 {
		t.Fatalf("replayed group would rewrite %d records", len(recs))
	}
	return r
}

func TestConsumerStatePersistAndReplay(t *testing.T) {
	now := time.Unix(1000, 0)
	c := testCoordinator(testImage(map[string]int{"a": 4, "b": 2}), func() time.Time { return now })
	g := newGroup(&shard{c: c}, "g")
	var log recordLog

	// Two members join; the second gets its partitions only after the
	// first releases them.
	r1 := heartbeat(t, g, "m1", 0, []string{"a", "b"}, assignment{})
	log.persist(g)
	if got := respAssignment(r1).size(); got != 6 {
		t.Fatalf("m1 got %d partitions, want 6", got)
	}
	checkReplay(t, c, &log, g)

	heartbeat(t, g, "m2", 0, []string{"a"}, assignment{})
	log.persist(g)
	r1 = heartbeat(t, g, "m1", r1.MemberEpoch, nil, nil)
	log.persist(g)
	if len(g.cg.members["m1"].revoking) == 0 {
		t.Fatal("m1 is not revoking anything after m2 joined")
	}
	checkReplay(t, c, &log, g) // mid-revocation: pending revocation persisted

	// m1 releases; m2 picks its partitions up.
	owned := respAssignment(r1)
	r1 = heartbeat(t, g, "m1", r1.MemberEpoch, nil, owned)
	log.persist(g)
	r2 := heartbeat(t, g, "m2", g.cg.members["m2"].epoch, nil, assignment{})
	log.persist(g)
	if respAssignment(r2).size() == 0 {
		t.Fatal("m2 got nothing after m1 released")
	}
	if st := g.consumerStateLocked(); st != StateStable {
		t.Fatalf("state %s, want Stable", st)
	}
	replayed := checkReplay(t, c, &log, g)

	// The replayed group serves the same members: a heartbeat at the
	// persisted epoch is accepted and changes nothing.
	rr := heartbeat(t, replayed, "m2", r2.MemberEpoch, nil, respAssignment(r2))
	if rr.ErrorCode != 0 || rr.MemberEpoch != r2.MemberEpoch {
		t.Fatalf("replayed heartbeat: %+v", rr)
	}
	if recs, _ := replayed.consumerRecordsLocked(); len(recs) != 0 {
		t.Fatalf("an idle heartbeat after replay writes %d records", len(recs))
	}

	// m2 leaves: its records are tombstoned.
	heartbeat(t, g, "m2", -1, nil, nil)
	log.persist(g)
	if r := checkReplay(t, c, &log, g); r.cg.members["m2"] != nil {
		t.Fatal("m2 came back after leaving")
	}

	// The last member leaves and the group is deleted: nothing is left.
	heartbeat(t, g, "m1", -1, nil, nil)
	log.persist(g)
	log.recs = append(log.recs, g.consumerTombstonesLocked()...)
	if r := log.replay(t, c, "g"); r.kind != kindNone || r.cg != nil {
		t.Fatalf("deleted group replayed as kind %v", r.kind)
	}
}

// staticHeartbeat is heartbeat for a member with a group instance id.
func staticHeartbeat(t *testing.T, g *group, id, instance string, epoch int32, topics []string, owned assignment) *kmsg.ConsumerGroupHeartbeatResponse {
	t.Helper()
	return heartbeatAs(t, g, id, &instance, epoch, topics, owned)
}

// TestConsumerStaticMemberDeparture: a static member that leaves with epoch
// -2 keeps its partitions for its session timeout; a new member with its
// instance id takes them over without a rebalance (group epoch unchanged);
// one that does not come back is removed and the group rebalances.
func TestConsumerStaticMemberDeparture(t *testing.T) {
	now := time.Unix(1000, 0)
	c := testCoordinator(testImage(map[string]int{"a": 4}), func() time.Time { return now })
	g := newGroup(&shard{c: c}, "g")
	var log recordLog

	// Two static members settle on two partitions each.
	r1 := staticHeartbeat(t, g, "m1", "i1", 0, []string{"a"}, assignment{})
	r2 := staticHeartbeat(t, g, "m2", "i2", 0, []string{"a"}, assignment{})
	for range 3 {
		r1 = staticHeartbeat(t, g, "m1", "i1", r1.MemberEpoch, nil, respAssignmentOr(r1, g, "m1"))
		r2 = staticHeartbeat(t, g, "m2", "i2", r2.MemberEpoch, nil, respAssignmentOr(r2, g, "m2"))
	}
	log.persist(g)
	if st := g.consumerStateLocked(); st != StateStable || g.cg.members["m1"].assigned.size() != 2 {
		t.Fatalf("not settled: %s, m1 owns %d", st, g.cg.members["m1"].assigned.size())
	}
	epoch := g.cg.epoch
	m1Parts := g.cg.members["m1"].assigned.clone()

	// m1 steps out: it stays, with its partitions, and nothing moves.
	if r := staticHeartbeat(t, g, "m1", "i1", -2, nil, nil); r.MemberEpoch != -2 {
		t.Fatalf("static leave answered epoch %d", r.MemberEpoch)
	}
	log.persist(g)
	if m := g.cg.members["m1"]; m == nil || m.epoch != -2 || !m.assigned.equal(m1Parts) {
		t.Fatalf("departed static member: %+v", m)
	}
	if g.cg.epoch != epoch || g.consumerStateLocked() != StateStable {
		t.Fatalf("group epoch %d (was %d), state %s after a static leave", g.cg.epoch, epoch, g.consumerStateLocked())
	}
	r2 = staticHeartbeat(t, g, "m2", "i2", r2.MemberEpoch, nil, respAssignmentOr(r2, g, "m2"))
	if g.cg.members["m2"].assigned.size() != 2 {
		t.Fatal("m2 took the departed member's partitions")
	}
	checkReplay(t, c, &log, g)

	// Its successor (a new member id, the same instance id) takes its
	// place: same partitions, the group's epoch, no rebalance.
	now = now.Add(10 * time.Second)
	r3 := staticHeartbeat(t, g, "m3", "i1", 0, []string{"a"}, assignment{})
	log.persist(g)
	if r3.MemberEpoch != g.cg.assignmentEpoch || !respAssignment(r3).equal(m1Parts) || g.cg.epoch != epoch {
		t.Fatalf("successor: epoch %d (assignment epoch %d), got %v want %v, group epoch %d (was %d)",
			r3.MemberEpoch, g.cg.assignmentEpoch, respAssignment(r3), m1Parts, g.cg.epoch, epoch)
	}
	if g.cg.members["m1"] != nil || g.cg.static["i1"] != "m3" {
		t.Fatal("the departed member is still there")
	}
	checkReplay(t, c, &log, g)

	// While m3 is active, another member with its instance id is refused.
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Group, req.MemberID, req.MemberEpoch, req.InstanceID = "g", "m4", 0, kmsg.StringPtr("i1")
	req.SubscribedTopicNames = []string{"a"}
	if _, err := g.consumerHeartbeatLocked(req, nil, Client{}, now); err != kerr.UnreleasedInstanceID {
		t.Fatalf("second member with an active instance id: %v", err)
	}

	// m3 steps out and does not come back: after its session timeout it is
	// removed and m2 gets everything.
	staticHeartbeat(t, g, "m3", "i1", -2, nil, nil)
	now = now.Add(46 * time.Second)
	r2 = staticHeartbeat(t, g, "m2", "i2", r2.MemberEpoch, nil, respAssignmentOr(r2, g, "m2")) // keeps m2 alive
	// What the ticker does (consumerTickLocked, which also writes to the
	// partition this harness does not have).
	tick := now.Add(time.Millisecond)
	if m3 := g.cg.members["m3"]; m3 == nil || !tick.After(m3.deadline) {
		t.Fatal("the departed member's session should have run out by now")
	}
	g.removeConsumerMemberLocked(g.cg.members["m3"], tick, "session timeout expired")
	g.computeTargetLocked(g.subscribedMetaLocked())
	log.persist(g)
	if g.cg.members["m3"] != nil || g.cg.epoch == epoch {
		t.Fatalf("departed member not removed after its session (epoch %d)", g.cg.epoch)
	}
	for range 2 {
		r2 = staticHeartbeat(t, g, "m2", "i2", r2.MemberEpoch, nil, respAssignmentOr(r2, g, "m2"))
		log.persist(g)
	}
	if got := g.cg.members["m2"].assigned.size(); got != 4 {
		t.Fatalf("m2 owns %d partitions after the departed member expired, want 4", got)
	}
	checkReplay(t, c, &log, g)
}

// respAssignmentOr is the assignment a member reports it owns: the last
// response's, or what the group says it has when the response carried none.
func respAssignmentOr(r *kmsg.ConsumerGroupHeartbeatResponse, g *group, id string) assignment {
	if r.Assignment != nil {
		return respAssignment(r)
	}
	return g.cg.members[id].assigned.clone()
}
