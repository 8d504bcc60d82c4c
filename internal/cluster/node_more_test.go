package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConcurrentProposals(t *testing.T) {
	n := startNode(t, testConfig(t, 1, t.TempDir()))
	waitReady(t, n)
	register(t, n, 1)
	const workers, each = 8, 25
	var mu sync.Mutex
	var firsts []int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				res, err := n.Propose(ctx, AllocateProducerIDs{Count: 10})
				if err == nil && i%5 == 0 {
					_, err = n.Propose(ctx, CreateTopic{Name: fmt.Sprintf("w%d-%d", w, i), Partitions: 1, ReplicationFactor: 1})
				}
				cancel()
				if err != nil || res.Err != nil {
					errs <- errors.Join(err, res.Err)
					return
				}
				mu.Lock()
				firsts = append(firsts, res.FirstProducerID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(firsts)
	for i, f := range firsts {
		if f != int64(i*10) {
			t.Fatalf("block %d starts at %d, want %d (blocks overlap or have gaps)", i, f, i*10)
		}
	}
	if got := n.Image().NextProducerID; got != workers*each*10 {
		t.Fatalf("NextProducerID %d, want %d", got, workers*each*10)
	}
	if got := len(n.Image().Topics); got != workers*each/5 {
		t.Fatalf("%d topics, want %d", got, workers*each/5)
	}
}

// TestStartupDoesNotWaitForElectionTimeout: with a 10 s heartbeat timeout a
// lone voter that waited for its election timer would take >= 10 s; the
// bound below is loose (no tight timing) but far under that.
func TestStartupDoesNotWaitForElectionTimeout(t *testing.T) {
	dir := t.TempDir()
	for _, phase := range []string{"empty dir", "restart"} {
		cfg := testConfig(t, 1, dir)
		cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 10*time.Second, 10*time.Second, 5*time.Second
		start := time.Now()
		n := startNode(t, cfg)
		waitReady(t, n)
		took := time.Since(start)
		t.Logf("%s: Start -> WaitReady %v", phase, took)
		if took > 5*time.Second {
			t.Fatalf("%s: ready after %v: the single voter waited for its election timeout", phase, took)
		}
		if phase == "empty dir" {
			register(t, n, 1)
			mustOK(t, n, CreateTopic{Name: "kept", Partitions: 1, ReplicationFactor: 1})
		} else if n.Image().Topic("kept") == nil {
			t.Fatal("topic missing right after WaitReady on restart")
		}
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCloseUnblocksWaiters(t *testing.T) {
	// A follower of a cluster that never forms: WaitReady and Propose block
	// until Close, then return ErrClosed.
	lns := reserveListeners(t, 2)
	cfg := testConfig(t, 1, t.TempDir())
	cfg.listener = lns[0]
	cfg.Voters = []Voter{{1, lns[0].Addr().String()}, {2, lns[1].Addr().String()}}
	lns[1].Close()
	n, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- n.WaitReady(context.Background()) }()
	go func() { _, err := n.Propose(context.Background(), AllocateProducerIDs{Count: 1}); done <- err }()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("after Close: %v, want ErrClosed", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("a waiter did not return after Close")
		}
	}
}

// TestBadControllerConnections: garbage on the controller listener is
// logged and dropped; the node keeps working.
func TestBadControllerConnections(t *testing.T) {
	n := startNode(t, testConfig(t, 1, t.TempDir()))
	waitReady(t, n)
	inputs := [][]byte{
		{'X', 1, 2, 3},                                          // unknown preamble
		{muxForward, 0, 0, 0, 1, 1},                             // frame too short
		{muxForward, 0xff, 0xff, 0xff, 0},                       // frame too long
		{muxForward, 0, 0, 0, 3, 9, opPropose, 0},               // unknown rpc version
		{muxForward, 0, 0, 0, 4, rpcVersion1, opPropose, 1, 99}, // undecodable command
		{muxForward, 0, 0, 0, 2, rpcVersion1, 77},               // unknown op
		{muxRaft, 0xff, 0xff, 0xff},                             // raft garbage
	}
	for i, in := range inputs {
		c, err := net.Dial("tcp", n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(in)
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		switch i {
		case 4, 5: // a well-framed bad request gets an error response
			_, body, err := readFrame(c)
			if err != nil {
				t.Fatalf("input %d: no error response: %v", i, err)
			}
			status, res, err := decodeResponse(body)
			if err != nil || status != statusRPCError || res.Err == nil {
				t.Fatalf("input %d: response status %d err %v (%v), want an rpc error", i, status, res.Err, err)
			}
		case 6: // raft waits for the rest of its message; just hang up
		default: // the node hangs up
			// EOF or a reset (unread bytes): either way not a timeout.
			if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("input %d: connection not closed by the node: %v", i, err)
			}
		}
		c.Close()
	}
	mustOK(t, n, AllocateProducerIDs{Count: 1})
}

func TestRaftLogsQuietAtInfo(t *testing.T) {
	var buf syncBuffer
	cfg := testConfig(t, 1, t.TempDir())
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	n := startNode(t, cfg)
	waitReady(t, n)
	register(t, n, 1)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "component=raft") {
		t.Fatalf("raft logged at info level on a healthy start/stop:\n%s", out)
	}
	if !strings.Contains(out, "this node is now the controller") {
		t.Fatalf("the node did not log its own transition:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestParseVoters(t *testing.T) {
	vs, err := ParseVoters(" 1@a:9093, 2@b:9094 ,3@[::1]:9095")
	if err != nil {
		t.Fatal(err)
	}
	want := []Voter{{1, "a:9093"}, {2, "b:9094"}, {3, "[::1]:9095"}}
	if !slices.Equal(vs, want) {
		t.Fatalf("got %v want %v", vs, want)
	}
	if vs, err := ParseVoters(""); vs != nil || err != nil {
		t.Fatalf("empty: %v %v", vs, err)
	}
	for _, bad := range []string{"1a:9093", "x@a:9093", "-1@a:9093", "1@a", "1@:9093", "1@a:0", "1@a:70000", "1@a:1,1@b:2", "1@a:1,2@a:1", "1@a:1,"} {
		_, err := ParseVoters(bad)
		if err == nil {
			t.Fatalf("%q: no error", bad)
		}
		if !strings.Contains(err.Error(), "voter") {
			t.Fatalf("%q: error %q does not name the entry", bad, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	base := testConfig(t, 1, t.TempDir())
	for name, mut := range map[string]func(*Config){
		"negative id":      func(c *Config) { c.NodeID = -1 },
		"no dir":           func(c *Config) { c.Dir = "" },
		"bad listen":       func(c *Config) { c.RaftListen = "nohostport" },
		"self not a voter": func(c *Config) { c.Voters = []Voter{{2, "a:1"}} },
		"advertise differs": func(c *Config) {
			c.Voters = []Voter{{1, "a:1"}}
			c.RaftAdvertise = "b:1"
		},
		"lease above heartbeat": func(c *Config) { c.LeaderLeaseTimeout = time.Hour },
	} {
		c := base
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
}
