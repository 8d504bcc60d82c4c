package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

// Node is one member of the metadata quorum: it runs hashicorp/raft over the
// controller listener, applies the log into an Image, and proposes commands.
// All methods are safe for concurrent use.
//
// Start-up latency. A node that is the only voter must not make clients wait
// for an election timeout. Raft followers start an election when their
// heartbeat timer fires, which is randomised in [timeout, 2*timeout]. Such a
// node starts raft with twice the configured heartbeat timeout and then
// lowers it to the configured one with ReloadConfig; raft re-arms a follower's
// timer at once when the timeout shrinks, so the lone voter elects itself
// immediately (after its configuration is loaded, which happens before
// NewRaft returns). Nothing is shortened for good, so the leader does not spin
// on tiny lease timers. Multi-voter clusters elect with the normal timeouts.
//
// Restart. raft restores the newest snapshot before NewRaft returns; log
// entries after it are applied once the new leader commits its first entry.
// WaitReady therefore waits for a barrier on the leader (and for the follower
// to reach the leader's applied index), so every committed topic is in the
// image before the broker serves.
type Node struct {
	cfg    Config
	log    *slog.Logger
	addr   string // advertised controller address
	fsm    *fsm
	raft   *raft.Raft
	trans  *raft.NetworkTransport
	mux    *mux
	store  *raftboltdb.BoltStore
	obsCh  chan raft.Observation
	obs    *raft.Observer
	ctx    context.Context // ends when Close starts
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards the node's view of leadership. Never held across I/O or while
	// taking fsm.mu.
	mu struct {
		sync.Mutex
		closed     bool
		isLeader   bool
		gen        uint64 // bumped on every leadership change of this node
		ready      bool   // leader of gen has applied all before its term, and the cluster id exists
		leaderID   int32  // -1 = unknown
		leaderAddr string
		changed    chan struct{} // closed and replaced when any field above changes
	}
}

// Start opens (or bootstraps) the metadata log in cfg.Dir, listens on
// cfg.RaftListen and joins the quorum. It returns once raft runs; call
// WaitReady before serving. On an empty Dir it bootstraps the configuration
// with cfg.Voters (or this node alone). On error everything opened is closed.
func Start(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With("component", "cluster", "node-id", cfg.NodeID)
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cluster: creating metadata dir: %w", err)
	}
	ln := cfg.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.RaftListen); err != nil {
			return nil, fmt.Errorf("cluster: controller listener: %w", err)
		}
	}
	n := &Node{cfg: cfg, log: log, addr: advertiseAddr(&cfg, ln.Addr()), fsm: newFSM(log)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.mu.leaderID = -1
	n.mu.changed = make(chan struct{})
	n.mux = newMux(ln, n.addr, cfg.RPCTimeout, log, n.serveForward, n.goFunc)
	if err := n.open(); err != nil {
		_ = n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Node) open() error {
	cfg := &n.cfg
	hcl := newHCLogger(cfg.Logger.With("component", "raft", "node-id", cfg.NodeID))
	store, err := raftboltdb.New(raftboltdb.Options{
		Path: filepath.Join(cfg.Dir, "raft.db"),
		// A second process on the same dir fails instead of waiting forever
		// for bbolt's file lock.
		BoltOptions: &bbolt.Options{Timeout: time.Second},
	})
	if err != nil {
		return fmt.Errorf("cluster: opening raft log %s (in use by another process?): %w", filepath.Join(cfg.Dir, "raft.db"), err)
	}
	n.store = store
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.Dir, 2, hcl.Named("snapshots"))
	if err != nil {
		return fmt.Errorf("cluster: opening snapshot store: %w", err)
	}
	logs, err := raft.NewLogCache(512, store)
	if err != nil {
		return fmt.Errorf("cluster: log cache: %w", err)
	}
	if !n.goFunc(n.mux.serve) {
		return ErrClosed
	}
	n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  raftStream{n.mux},
		MaxPool: 3,
		Timeout: cfg.RPCTimeout,
		Logger:  hcl.Named("transport"),
	})

	rc := raft.DefaultConfig()
	rc.LocalID = serverID(cfg.NodeID)
	rc.Logger = hcl
	rc.HeartbeatTimeout = cfg.HeartbeatTimeout
	rc.ElectionTimeout = cfg.ElectionTimeout
	rc.LeaderLeaseTimeout = cfg.LeaderLeaseTimeout
	rc.CommitTimeout = cfg.CommitTimeout
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.SnapshotInterval = cfg.SnapshotInterval
	rc.TrailingLogs = cfg.TrailingLogs
	rc.BatchApplyCh = true
	single := cfg.singleVoter()
	if single {
		// Lowered right after NewRaft to trigger the election at once (see Node).
		rc.HeartbeatTimeout = 2 * cfg.HeartbeatTimeout
		rc.ElectionTimeout = 2 * cfg.ElectionTimeout
	}

	existing, err := raft.HasExistingState(logs, store, snaps)
	if err != nil {
		return fmt.Errorf("cluster: reading raft state: %w", err)
	}
	if !existing {
		servers := []raft.Server{{Suffrage: raft.Voter, ID: rc.LocalID, Address: raft.ServerAddress(n.addr)}}
		if len(cfg.Voters) > 0 {
			servers = servers[:0]
			for _, v := range cfg.Voters {
				servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: serverID(v.ID), Address: raft.ServerAddress(v.Addr)})
			}
		}
		if err := raft.BootstrapCluster(rc, logs, store, snaps, n.trans, raft.Configuration{Servers: servers}); err != nil {
			return fmt.Errorf("cluster: bootstrapping the metadata log: %w", err)
		}
	}

	n.obsCh = make(chan raft.Observation, 16)
	n.obs = raft.NewObserver(n.obsCh, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	r, err := raft.NewRaft(rc, n.fsm, logs, store, snaps, n.trans)
	if err != nil {
		return fmt.Errorf("cluster: starting raft: %w", err)
	}
	n.raft = r
	r.RegisterObserver(n.obs)
	if !n.goFunc(n.watch) {
		return ErrClosed
	}
	if single {
		rl := r.ReloadableConfig()
		rl.HeartbeatTimeout, rl.ElectionTimeout = cfg.HeartbeatTimeout, cfg.ElectionTimeout
		if err := r.ReloadConfig(rl); err != nil {
			return fmt.Errorf("cluster: lowering raft timeouts: %w", err)
		}
	}
	img := n.fsm.Image()
	n.log.Info("metadata node started", "controller-listener", n.addr, "voters", votersString(cfg.Voters),
		"bootstrapped", !existing, "snapshot-index", img.Index, "topics", len(img.Topics))
	return nil
}

func serverID(id int32) raft.ServerID { return raft.ServerID(strconv.FormatInt(int64(id), 10)) }

func parseServerID(id raft.ServerID) int32 {
	v, err := strconv.ParseInt(string(id), 10, 32)
	if err != nil || id == "" {
		return -1
	}
	return int32(v)
}

// advertiseAddr picks the address other voters dial: the configured one, this
// node's voter entry, or the bound address (with a loopback host if the
// listener is on all interfaces; only a single node uses that).
func advertiseAddr(cfg *Config, bound net.Addr) string {
	if cfg.RaftAdvertise != "" {
		return cfg.RaftAdvertise
	}
	if v, ok := cfg.self(); ok {
		return v.Addr
	}
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return bound.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// goFunc runs f on a tracked goroutine; it refuses (false) once Close began.
func (n *Node) goFunc(f func()) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.mu.closed {
		return false
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
	return true
}

func (n *Node) broadcastLocked() {
	close(n.mu.changed)
	n.mu.changed = make(chan struct{})
}

// watch follows leadership: raft's LeaderCh for this node's own role (it keeps
// only the latest value, so no change is lost) and leader observations for who
// leads (re-read from raft on each, so a dropped observation loses nothing).
func (n *Node) watch() {
	leaderCh := n.raft.LeaderCh()
	for {
		select {
		case <-n.ctx.Done():
			return
		case isLeader := <-leaderCh:
			n.onLeadership(isLeader)
		case <-n.obsCh:
			n.refreshLeader()
		}
	}
}

func (n *Node) onLeadership(isLeader bool) {
	n.mu.Lock()
	n.mu.gen++
	gen := n.mu.gen
	n.mu.isLeader = isLeader
	n.mu.ready = false
	n.broadcastLocked()
	n.mu.Unlock()
	n.refreshLeader()
	if isLeader {
		n.log.Info("this node is now the controller", "term", n.raft.CurrentTerm())
		n.goFunc(func() { n.prepareLeader(gen) })
	} else {
		n.log.Info("this node is no longer the controller")
	}
}

// refreshLeader re-reads the leader from raft. Only the watch goroutine calls
// it. The image is stamped before waiters are woken, so once WaitReady returns
// Image().ControllerID is known.
func (n *Node) refreshLeader() {
	addr, id := n.raft.LeaderWithID()
	lid := parseServerID(id)
	n.mu.Lock()
	old, oldAddr := n.mu.leaderID, n.mu.leaderAddr
	n.mu.Unlock()
	if lid == old && string(addr) == oldAddr {
		return
	}
	n.fsm.setController(lid)
	n.mu.Lock()
	n.mu.leaderID, n.mu.leaderAddr = lid, string(addr)
	n.broadcastLocked()
	n.mu.Unlock()
	n.log.Info("controller changed", "controller-id", lid, "controller-addr", addr, "previous-controller-id", old)
}

// prepareLeader makes a new leader ready: every entry committed before this
// term is applied, and the log has a cluster id. A barrier does the first; if
// the image has no cluster id yet, proposing InitCluster does both at once
// (one fsync less on a fresh cluster), and is harmless if an older entry not
// yet applied sets the id first (first wins). It retries until done,
// leadership of gen ends, or the node closes.
func (n *Node) prepareLeader(gen uint64) {
	backoff := 10 * time.Millisecond
	for n.isGen(gen) {
		var err error
		if n.fsm.Image().ClusterID != "" {
			err = n.raft.Barrier(0).Error()
		} else {
			id := n.cfg.ClusterID
			if id == "" {
				id = newClusterID()
			}
			data, _ := encodeCommand(InitCluster{ClusterID: id})
			f := n.raft.Apply(data, 0)
			if err = f.Error(); err == nil {
				if r, _ := f.Response().(Result); r.Err != nil {
					n.log.Error("cluster id rejected", "cluster-id", id, "err", r.Err)
				} else if got := n.fsm.Image().ClusterID; got == id {
					n.log.Info("cluster created", "cluster-id", id)
				}
			}
		}
		if err == nil {
			n.mu.Lock()
			if n.mu.gen == gen && n.mu.isLeader {
				n.mu.ready = true
				n.broadcastLocked()
			}
			n.mu.Unlock()
			return
		}
		if errors.Is(err, raft.ErrRaftShutdown) {
			return
		}
		n.log.Debug("controller not ready yet; retrying", "err", err, "retry-in", backoff)
		select {
		case <-n.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

func (n *Node) isGen(gen uint64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.mu.closed && n.mu.gen == gen && n.mu.isLeader
}

// newClusterID returns a Kafka-style cluster id: a random UUID in unpadded
// base64url (22 characters), not starting with '-' (Kafka avoids those so the
// id cannot be taken for a command-line flag).
func newClusterID() string {
	for {
		u := uuid.New()
		s := base64.RawURLEncoding.EncodeToString(u[:])
		if s[0] != '-' {
			return s
		}
	}
}

type leaderState struct {
	closed, isLeader, ready bool
	leaderID                int32
	leaderAddr              string
	changed                 <-chan struct{}
}

func (n *Node) state() leaderState {
	n.mu.Lock()
	defer n.mu.Unlock()
	return leaderState{closed: n.mu.closed, isLeader: n.mu.isLeader, ready: n.mu.ready,
		leaderID: n.mu.leaderID, leaderAddr: n.mu.leaderAddr, changed: n.mu.changed}
}

// retryWait waits for a leadership change, backoff, ctx or close.
func (n *Node) retryWait(ctx context.Context, changed <-chan struct{}, backoff *time.Duration) error {
	t := time.NewTimer(*backoff)
	defer t.Stop()
	*backoff = min(2**backoff, 200*time.Millisecond)
	select {
	case <-changed:
		return nil
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.ctx.Done():
		return ErrClosed
	}
}

// WaitReady blocks until a controller is known and this node's image holds
// every entry committed before the call (on a follower: the controller's
// applied index at a barrier), including the cluster id. Errors: ctx's error,
// ErrClosed, or ErrClusterIDMismatch if Config.ClusterID is set and the log
// belongs to another cluster.
func (n *Node) WaitReady(ctx context.Context) error {
	if err := n.waitReady(ctx); err != nil {
		return err
	}
	if want, got := n.cfg.ClusterID, n.Image().ClusterID; want != "" && got != want {
		return fmt.Errorf("%w: the metadata log in %s belongs to cluster %q, configured %q", ErrClusterIDMismatch, n.cfg.Dir, got, want)
	}
	return nil
}

func (n *Node) waitReady(ctx context.Context) error {
	backoff := 5 * time.Millisecond
	for {
		st := n.state()
		switch {
		case st.closed:
			return ErrClosed
		case st.isLeader && st.ready:
			return nil
		case !st.isLeader && st.leaderAddr != "" && st.leaderID != n.cfg.NodeID:
			res, err := n.call(ctx, st.leaderAddr, opReadIndex, nil)
			if err == nil {
				return n.fsm.waitApplied(ctx, res.Index, n.ctx.Done())
			}
			n.log.Debug("asking the controller for its applied index failed; retrying", "controller-id", st.leaderID, "err", err)
		}
		if err := n.retryWait(ctx, st.changed, &backoff); err != nil {
			return err
		}
	}
}

// readIndexLocal (on the leader) waits until the leader is ready and every
// entry committed before the call is applied, and returns the applied index.
func (n *Node) readIndexLocal(ctx context.Context) (uint64, error) {
	for {
		st := n.state()
		if st.closed {
			return 0, ErrClosed
		}
		if !st.isLeader {
			return 0, fmt.Errorf("%w: node %d", ErrNotController, n.cfg.NodeID)
		}
		if st.ready {
			break
		}
		select {
		case <-st.changed:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if err := n.waitFuture(ctx, n.raft.Barrier(0)); err != nil {
		return 0, err
	}
	idx, _ := n.fsm.applied()
	return idx, nil
}

// Image returns the current image: never nil, immutable, safe to share.
func (n *Node) Image() *Image { return n.fsm.Image() }

// Changes returns a channel closed when the image current at the time of the
// call is replaced. Equivalent to n.Image().Changed(); to react to every
// image without a race, prefer:
//
//	for img := n.Image(); ; img = n.Image() {
//		use(img)
//		<-img.Changed() // plus ctx.Done()
//	}
func (n *Node) Changes() <-chan struct{} { return n.fsm.Image().Changed() }

// IsController reports whether this node is the Raft leader now.
func (n *Node) IsController() bool { return n.raft.State() == raft.Leader }

// ControllerID returns the Raft leader's node id, or -1 if none is known.
func (n *Node) ControllerID() int32 {
	_, id := n.raft.LeaderWithID()
	return parseServerID(id)
}

// NodeID returns this node's id.
func (n *Node) NodeID() int32 { return n.cfg.NodeID }

// Addr returns the advertised controller address (useful with port 0).
func (n *Node) Addr() string { return n.addr }

// Propose submits cmd to the metadata log and waits until it is committed and
// applied to this node's image (so Image() reflects it when Propose returns).
// On a follower it forwards the command to the controller over the controller
// listener, retrying while leadership moves. A CreateTopic with a zero ID gets
// a random one here.
//
// The returned error is about the proposal: ctx's error (wrapped with
// ErrNotController if no controller took the command), ErrOutcomeUnknown
// (the command may or may not be applied), ErrClosed, or ErrInvalidRequest
// for an unknown command type. The command's own outcome is Result.Err.
func (n *Node) Propose(ctx context.Context, cmd Command) (Result, error) {
	cmd = deref(cmd)
	if ct, ok := cmd.(CreateTopic); ok && ct.ID == ([16]byte{}) {
		ct.ID = uuid.New()
		cmd = ct
	}
	if cmd == nil {
		return Result{}, fmt.Errorf("%w: nil command", ErrInvalidRequest)
	}
	data, err := encodeCommand(cmd)
	if err != nil {
		return Result{}, err
	}
	backoff := 5 * time.Millisecond
	for {
		st := n.state()
		if st.closed {
			return Result{}, ErrClosed
		}
		var res Result
		var err error
		switch {
		case n.IsController():
			res, err = n.applyLocal(ctx, data)
		case st.leaderAddr != "" && st.leaderID != n.cfg.NodeID:
			res, err = n.call(ctx, st.leaderAddr, opPropose, data)
			if err == nil {
				if werr := n.fsm.waitApplied(ctx, res.Index, n.ctx.Done()); werr != nil {
					return res, fmt.Errorf("cluster: committed at index %d but not yet applied on this node: %w", res.Index, werr)
				}
			}
		default:
			err = errRetry
		}
		if !errors.Is(err, errRetry) {
			return res, err
		}
		if werr := n.retryWait(ctx, st.changed, &backoff); werr != nil {
			if errors.Is(werr, ErrClosed) {
				return Result{}, werr
			}
			return Result{}, fmt.Errorf("%w: %w", ErrNotController, werr)
		}
	}
}

// applyLocal appends data to the log on this (leader) node and waits for the
// result. errRetry (wrapped) means the entry was not appended.
func (n *Node) applyLocal(ctx context.Context, data []byte) (Result, error) {
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		if timeout = time.Until(d); timeout <= 0 {
			return Result{}, ctx.Err()
		}
	}
	f := n.raft.Apply(data, timeout)
	if err := n.waitFuture(ctx, f); err != nil {
		return Result{}, err
	}
	res, ok := f.Response().(Result)
	if !ok {
		return Result{}, fmt.Errorf("%w: unexpected apply response %T", ErrOutcomeUnknown, f.Response())
	}
	return res, nil
}

// waitFuture waits for a raft future and translates raft's errors.
func (n *Node) waitFuture(ctx context.Context, f raft.Future) error {
	var err error
	if ctx.Done() == nil {
		err = f.Error()
	} else {
		ch := make(chan error, 1)
		if !n.goFunc(func() { ch <- f.Error() }) {
			return ErrClosed
		}
		select {
		case err = <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrOutcomeUnknown, ctx.Err())
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %v", errRetry, err)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("%w: %w", ErrNotController, context.DeadlineExceeded)
	case errors.Is(err, raft.ErrRaftShutdown):
		return ErrClosed
	default: // ErrLeadershipLost and anything unexpected
		return fmt.Errorf("%w: %v", ErrOutcomeUnknown, err)
	}
}

// Close leaves the quorum (without removing itself from the configuration),
// stops raft and closes the log. It waits for every goroutine the node
// started. Idempotent; later calls return nil.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.mu.closed {
		n.mu.Unlock()
		return nil
	}
	n.mu.closed = true
	n.broadcastLocked()
	n.mu.Unlock()
	n.cancel()

	var errs []error
	if n.raft != nil {
		if err := n.raft.Shutdown().Error(); err != nil {
			errs = append(errs, fmt.Errorf("cluster: raft shutdown: %w", err))
		}
		n.raft.DeregisterObserver(n.obs)
	}
	if n.trans != nil {
		_ = n.trans.Close()
	}
	n.mux.close()
	n.wg.Wait()
	if n.store != nil {
		if err := n.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("cluster: closing raft log: %w", err))
		}
	}
	n.log.Info("metadata node closed")
	return errors.Join(errs...)
}
