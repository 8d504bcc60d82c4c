package cluster

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
)

// testCluster is n voters on loopback ports in temporary directories.
type testCluster struct {
	t     *testing.T
	cfgs  []Config
	nodes []*Node // nil while stopped
}

func newTestCluster(t *testing.T, size int) *testCluster {
	t.Helper()
	lns := reserveListeners(t, size)
	var voters []Voter
	for i, ln := range lns {
		voters = append(voters, Voter{ID: int32(i + 1), Addr: ln.Addr().String()})
	}
	c := &testCluster{t: t, nodes: make([]*Node, size)}
	for i, ln := range lns {
		cfg := testConfig(t, int32(i+1), t.TempDir())
		cfg.Voters = voters
		cfg.listener = ln
		// Generous Raft timeouts: on a loaded 2-core machine (race detector,
		// other tests' fsyncs) a 100 ms lease makes leaders step down.
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
		cfg.SnapshotThreshold = 16 // exercise snapshots and InstallSnapshot
		cfg.TrailingLogs = 8
		cfg.SnapshotInterval = 100 * time.Millisecond
		c.cfgs = append(c.cfgs, cfg)
	}
	for i := range c.cfgs {
		c.nodes[i] = startNode(t, c.cfgs[i])
	}
	return c
}

// restart starts node i again from its directory on its address.
func (c *testCluster) restart(i int) *Node {
	c.t.Helper()
	cfg := c.cfgs[i]
	cfg.listener = nil
	cfg.RaftListen = cfg.Voters[i].Addr
	var n *Node
	// The port was just released; retry briefly if the OS has not freed it.
	checkFor(c.t, 10*time.Second, func() error {
		var err error
		n, err = Start(cfg)
		return err
	})
	c.t.Cleanup(func() { _ = n.Close() })
	c.nodes[i] = n
	return n
}

func (c *testCluster) stop(i int) {
	c.t.Helper()
	if err := c.nodes[i].Close(); err != nil {
		c.t.Fatalf("closing node %d: %v", i+1, err)
	}
	c.nodes[i] = nil
}

func (c *testCluster) running() []*Node {
	var out []*Node
	for _, n := range c.nodes {
		if n != nil {
			out = append(out, n)
		}
	}
	return out
}

// leader waits until exactly one running node is controller and all running
// nodes agree on it.
func (c *testCluster) leader() *Node {
	c.t.Helper()
	var leader *Node
	checkFor(c.t, 20*time.Second, func() error {
		leader = nil
		for _, n := range c.running() {
			if n.IsController() {
				if leader != nil {
					return errors.New("two controllers")
				}
				leader = n
			}
		}
		if leader == nil {
			return errors.New("no controller")
		}
		for _, n := range c.running() {
			if id := n.ControllerID(); id != leader.cfg.NodeID {
				return fmt.Errorf("node %d sees controller %d, not %d", n.cfg.NodeID, id, leader.cfg.NodeID)
			}
		}
		return nil
	})
	return leader
}

// converged waits until every running node's image equals want's content.
func (c *testCluster) converged(want *Image) {
	c.t.Helper()
	checkFor(c.t, 20*time.Second, func() error {
		for _, n := range c.running() {
			if img := n.Image(); !imagesEqual(img, want) {
				return fmt.Errorf("node %d image:\n%s\nwant:\n%s", n.cfg.NodeID, describe(img), describe(want))
			}
		}
		return nil
	})
}

func (c *testCluster) follower() *Node {
	for _, n := range c.running() {
		if !n.IsController() {
			return n
		}
	}
	c.t.Fatal("no follower")
	return nil
}

func TestThreeNodeCluster(t *testing.T) {
	c := newTestCluster(t, 3)
	for _, n := range c.nodes {
		waitReady(t, n)
	}
	leader := c.leader()
	clusterID := leader.Image().ClusterID
	if clusterID == "" {
		t.Fatal("no cluster id after WaitReady")
	}
	for _, n := range c.nodes {
		if n.Image().ClusterID != clusterID {
			t.Fatalf("node %d cluster id %q, controller has %q", n.cfg.NodeID, n.Image().ClusterID, clusterID)
		}
	}

	// Register every broker through its own node (two of them forward).
	for _, n := range c.nodes {
		clusterOK(t, n, RegisterBroker{ID: n.cfg.NodeID, Host: "127.0.0.1", Port: 9092 + n.cfg.NodeID, Incarnation: uuid.New()})
		if _, ok := n.Image().Brokers[n.cfg.NodeID]; !ok {
			t.Fatalf("node %d: own registration not in its image when Propose returned", n.cfg.NodeID)
		}
	}
	f := c.follower()
	res, _ := clusterOK(t, f, CreateTopic{Name: "events", ID: uuid.New(), Partitions: 6, ReplicationFactor: 3})
	tp := f.Image().Topic("events")
	if tp == nil || tp.ID != res.TopicID {
		t.Fatalf("follower image lacks the topic it just created:\n%s", describe(f.Image()))
	}
	leaders := map[int32]int{}
	for _, p := range tp.Partitions {
		if len(p.Replicas) != 3 || p.Leader != p.Replicas[0] {
			t.Fatalf("partition %+v: want 3 replicas led by the first", p)
		}
		leaders[p.Leader]++
	}
	if len(leaders) != 3 || leaders[1] != 2 || leaders[2] != 2 || leaders[3] != 2 {
		t.Fatalf("leadership not spread evenly over 3 brokers: %v", leaders)
	}
	// A validation error travels back through the forwarding RPC as a sentinel.
	if r := propose(t, f, CreateTopic{Name: "events", Partitions: 1, ReplicationFactor: 1}); !errors.Is(r.Err, ErrTopicExists) {
		t.Fatalf("duplicate create via follower: %v, want ErrTopicExists", r.Err)
	}
	// Enough entries to take snapshots and truncate the log.
	for i := range 20 {
		clusterOK(t, c.nodes[i%3], AllocateProducerIDs{Count: 10})
	}
	c.converged(leader.Image())

	// Kill the controller: the others elect a new one and proposals continue,
	// from the new controller and through forwarding.
	old := int(leader.cfg.NodeID - 1)
	c.stop(old)
	leader = c.leader()
	clusterOK(t, leader, CreateTopic{Name: "after-failover", ID: uuid.New(), Partitions: 2, ReplicationFactor: 2})
	clusterOK(t, c.follower(), AlterConfigs{Resource: ResourceTopic, Name: "events", Set: map[string]*string{"retention.ms": strp("60000")}})
	next := leader.Image().NextProducerID
	if r, retried := clusterOK(t, c.follower(), AllocateProducerIDs{Count: 5}); r.FirstProducerID != next && !(retried && r.FirstProducerID > next) {
		t.Fatalf("producer ids after failover start at %d, want %d", r.FirstProducerID, next)
	}
	c.converged(leader.Image())

	// The old controller comes back as a follower and catches up.
	n := c.restart(old)
	waitReady(t, n)
	c.converged(c.leader().Image())
	if n.Image().Topic("after-failover") == nil {
		t.Fatal("restarted node lacks the topic created while it was down")
	}
}

// TestForwardWithoutController: a lone follower of a cluster whose other
// voters are down cannot commit; Propose gives up with ctx and says so.
func TestProposeWithoutQuorum(t *testing.T) {
	c := newTestCluster(t, 3)
	for _, n := range c.nodes {
		waitReady(t, n)
	}
	c.leader()
	c.stop(0)
	c.stop(1)
	n := c.nodes[2]
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := n.Propose(ctx, AllocateProducerIDs{Count: 1})
	if err == nil {
		t.Fatal("Propose without a quorum succeeded")
	}
	// The node may still have been leader when the command was appended
	// (outcome unknown), or found no controller until ctx ended.
	switch {
	case errors.Is(err, ErrOutcomeUnknown):
	case errors.Is(err, ErrNotController):
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Propose without a quorum: %v, want it to carry the context's error", err)
		}
	default:
		t.Fatalf("Propose without a quorum: %v, want ErrNotController or ErrOutcomeUnknown", err)
	}
}

// TestCloseLeavesNoGoroutines: after every node of a cluster closes, the
// goroutines they started (raft, transport, mux, forwarding) are gone.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()
	c := newTestCluster(t, 3)
	for _, n := range c.nodes {
		waitReady(t, n)
	}
	for _, n := range c.nodes {
		clusterOK(t, n, RegisterBroker{ID: n.cfg.NodeID, Host: "h", Port: 1, Incarnation: uuid.New()}) // two of them forward
	}
	for i := range c.nodes {
		c.stop(i)
	}
	checkFor(t, 10*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > baseline {
			buf := make([]byte, 1<<16)
			return fmt.Errorf("%d goroutines, %d before the cluster:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
		}
		return nil
	})
}

// clusterOK proposes cmd until it is known to be applied: a leadership change
// on a loaded machine can leave a proposal's outcome unknown, so it retries
// then, with commands made idempotent (CreateTopic carries its id; a retry
// that finds the topic with that id succeeded). retried reports a retry.
func clusterOK(t *testing.T, n *Node, cmd Command) (res Result, retried bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := n.Propose(ctx, cmd)
		cancel()
		if err == nil {
			if ct, ok := cmd.(CreateTopic); ok && attempt > 0 && errors.Is(res.Err, ErrTopicExists) {
				if tp := n.Image().Topic(ct.Name); tp != nil && tp.ID == ct.ID {
					return Result{TopicID: ct.ID, Index: res.Index}, true
				}
			}
			if res.Err != nil {
				t.Fatalf("%T rejected: %v", cmd, res.Err)
			}
			return res, attempt > 0
		}
		if !errors.Is(err, ErrOutcomeUnknown) && !errors.Is(err, ErrNotController) || time.Now().After(deadline) {
			t.Fatalf("Propose %T on node %d: %v", cmd, n.cfg.NodeID, err)
		}
		t.Logf("retrying %T after: %v", cmd, err)
	}
}
