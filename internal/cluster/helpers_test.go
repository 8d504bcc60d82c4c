package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// testLogger routes logs to t.Log until the test ends (later lines are
// dropped: raft's connection goroutines may log after Close). Debug logs when
// GREGOR_TEST_DEBUG is set.
func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	w := &tbWriter{t: t}
	t.Cleanup(w.stop) // registered first: runs after every node's Close
	level := slog.LevelInfo
	if os.Getenv("GREGOR_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type tbWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *tbWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *tbWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// testConfig is a config for node id in dir, listening on a fresh loopback
// port, with test-sized timeouts.
func testConfig(t testing.TB, id int32, dir string) Config {
	t.Helper()
	cfg := DefaultConfig()
	cfg.NodeID = id
	cfg.Dir = dir
	cfg.RaftListen = "127.0.0.1:0"
	cfg.Logger = testLogger(t)
	cfg.HeartbeatTimeout = 200 * time.Millisecond
	cfg.ElectionTimeout = 200 * time.Millisecond
	cfg.LeaderLeaseTimeout = 100 * time.Millisecond
	cfg.CommitTimeout = 5 * time.Millisecond
	cfg.RPCTimeout = 5 * time.Second
	return cfg
}

func startNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	n, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start node %d: %v", cfg.NodeID, err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func waitReady(t testing.TB, n *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitReady(ctx); err != nil {
		t.Fatalf("WaitReady node %d: %v", n.cfg.NodeID, err)
	}
}

// checkFor polls f until it returns nil or the time is up (then fails with
// f's last error).
func checkFor(t testing.TB, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	wait := time.Millisecond
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", within, err)
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func propose(t testing.TB, n *Node, cmd Command) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := n.Propose(ctx, cmd)
	if err != nil {
		t.Fatalf("Propose %T on node %d: %v", cmd, n.cfg.NodeID, err)
	}
	return res
}

// mustOK proposes cmd and fails the test if the command was rejected.
func mustOK(t testing.TB, n *Node, cmd Command) Result {
	t.Helper()
	res := propose(t, n, cmd)
	if res.Err != nil {
		t.Fatalf("%T rejected: %v", cmd, res.Err)
	}
	return res
}

func register(t testing.TB, n *Node, id int32) Result {
	t.Helper()
	return mustOK(t, n, RegisterBroker{ID: id, Host: "127.0.0.1", Port: 9092 + id, Incarnation: uuid.New()})
}

// reserveListeners listens on n loopback ports for a cluster's voters.
func reserveListeners(t testing.TB, n int) []net.Listener {
	t.Helper()
	out := make([]net.Listener, n)
	for i := range out {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out[i] = ln
	}
	return out
}

func strp(s string) *string { return &s }
func i32p(v int32) *int32   { return &v }

func describe(img *Image) string {
	var b strings.Builder
	fmt.Fprintf(&b, "index=%d cluster=%s pid=%d brokers=%v\n", img.Index, img.ClusterID, img.NextProducerID, img.BrokerIDs(false))
	for _, name := range img.TopicNames() {
		tp := img.Topics[name]
		fmt.Fprintf(&b, "  %s %x configs=%v\n", name, tp.ID[:4], tp.Configs)
		for _, p := range tp.Partitions {
			fmt.Fprintf(&b, "    p%d leader=%d le=%d pe=%d replicas=%v isr=%v\n", p.Partition, p.Leader, p.LeaderEpoch, p.PartitionEpoch, p.Replicas, p.ISR)
		}
	}
	return b.String()
}
