package group

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/replica"
	"github.com/gregor-streaming/gregor/internal/storage"
)

// TestClassicDataDriven runs testdata/classic/*: scripted clients drive one
// classic group ("g") of a coordinator that leads a real, one-partition
// __consumer_offsets log and runs on a fake clock. After every step the
// output shows the step's answers, the parked requests it completed, and
// the group: state, generation, protocol, leader, timers (relative to the
// fake now), members and pending member ids. Regenerate with -rewrite.
//
// Member ids are printed as <client>-<n>: the n-th id the coordinator
// generated for that client id. Durations are Go durations (10s, 1m).
//
//	coordinator [initial-delay=0s] [max-size=N]   (re)create the coordinator on a new log
//	join client=a [version=9] [session=10s] [rebalance=30s] [instance=i]
//	     [protocols=range:meta,...] [reset]        JoinGroup with the client's member id (reset: empty)
//	sync client=a [assign=(a-1:x,b-1:y)]           SyncGroup at the client's generation
//	heartbeat client=a [generation=N] [member=a-1] [instance=i]
//	                                               Heartbeat (defaults: what the client knows)
//	commit client=a [generation=N]                 OffsetCommit of t/0 as the member
//	leave client=a | leave instance=i              LeaveGroup v3
//	advance by=10s [quiet]                         move the clock, then fire the timers
//	                                               (quiet: the ticker has not run yet)
//	delete                                         DeleteGroups
//	restart                                        a new coordinator replays the log
//	state                                          print the group only
func TestClassicDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/classic", func(t *testing.T, path string) {
		e := newDDEnv(t)
		defer e.close()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return e.run(t, d)
		})
	})
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

type ddClient struct {
	name       string
	member     string // real member id it uses
	generation int32
	join       *Future[*kmsg.JoinGroupResponse]
	sync       *Future[*kmsg.SyncGroupResponse]
}

type ddEnv struct {
	t       *testing.T
	clock   *fakeClock
	log     *slog.Logger
	dir     *storage.Dir
	mgr     *replica.Manager
	part    *replica.Partition
	cfg     Config
	c       *Coordinator
	clients map[string]*ddClient
	alias   map[string]string // real member id -> printed id
	real    map[string]string // printed id -> real member id
	counts  map[string]int    // client id -> ids generated so far
}

func newDDEnv(t *testing.T) *ddEnv {
	e := &ddEnv{
		t:     t,
		clock: &fakeClock{now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
		log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		alias: map[string]string{}, real: map[string]string{}, counts: map[string]int{},
		clients: map[string]*ddClient{},
	}
	return e
}

func (e *ddEnv) close() {
	if e.c != nil {
		e.c.Close()
	}
	if e.mgr != nil {
		e.mgr.Close()
	}
	if e.dir != nil {
		e.dir.Close()
	}
}

// newLog opens a fresh one-partition __consumer_offsets log led here.
func (e *ddEnv) newLog(t *testing.T) {
	e.close()
	e.c, e.mgr, e.dir = nil, nil, nil
	dir, err := storage.OpenDir(t.TempDir(), storage.Options{Logger: e.log}, func(string, int32) storage.Config { return storage.DefaultConfig() })
	if err != nil {
		t.Fatal(err)
	}
	e.dir = dir
	e.mgr = replica.NewManager(replica.Config{NodeID: 1, Dir: dir, Logger: e.log, Syncers: 1})
	e.part, err = e.mgr.Ensure(replica.Assignment{Topic: OffsetsTopic, Partition: 0, Leader: 1, LeaderEpoch: 0, Config: storage.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
}

// startCoordinator starts a coordinator on the log and waits for the load.
func (e *ddEnv) startCoordinator(t *testing.T) {
	e.c = New(e.cfg)
	e.c.Reconcile(1, []Leadership{{Partition: 0, Replica: e.part, LeaderEpoch: 0}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := e.c.shardFor("g"); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("coordinator did not load its partition")
		}
		time.Sleep(time.Millisecond)
	}
}

// group returns the group, or nil.
func (e *ddEnv) group() *group {
	s, err := e.c.shardFor("g")
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.groups["g"]
}

// settle waits until no write of the group is in flight: the only work that
// finishes off the caller's goroutine is finishSync.
func (e *ddEnv) settle(t *testing.T) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		g := e.group()
		if g == nil {
			return
		}
		g.mu.Lock()
		busy := g.persisting
		g.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("group assignment write did not finish")
		}
		time.Sleep(time.Millisecond)
	}
}

// name returns the printed id of a real member id.
func (e *ddEnv) name(id string) string {
	if id == "" {
		return `""`
	}
	if a, ok := e.alias[id]; ok {
		return a
	}
	prefix := id
	if len(id) > 37 && id[len(id)-37] == '-' {
		prefix = id[:len(id)-37]
	}
	e.counts[prefix]++
	a := fmt.Sprintf("%s-%d", prefix, e.counts[prefix])
	e.alias[id], e.real[a] = a, id
	return a
}

func (e *ddEnv) client(t *testing.T, d *datadriven.TestData) *ddClient {
	var name string
	d.ScanArgs(t, "client", &name)
	c := e.clients[name]
	if c == nil {
		c = &ddClient{name: name, generation: -1}
		e.clients[name] = c
	}
	return c
}

func dur(t *testing.T, d *datadriven.TestData, key string, def time.Duration) time.Duration {
	var s string
	if !d.MaybeScanArgs(t, key, &s) {
		return def
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

func errName(code int16) string {
	if code == 0 {
		return "OK"
	}
	return kerr.ErrorForCode(code).(*kerr.Error).Message
}

func (e *ddEnv) run(t *testing.T, d *datadriven.TestData) string {
	var out strings.Builder
	switch d.Cmd {
	case "coordinator":
		e.cfg = Config{
			InitialRebalanceDelay: dur(t, d, "initial-delay", 0),
			MinSessionTimeout:     6 * time.Second,
			MaxSessionTimeout:     30 * time.Minute,
			MaxSize:               1000,
			OffsetsRetention:      7 * 24 * time.Hour,
			Logger:                e.log,
			Now:                   e.clock.Now,
			Tick:                  time.Hour, // timers fire only on "advance"
		}
		if d.HasArg("max-size") {
			d.ScanArgs(t, "max-size", &e.cfg.MaxSize)
		}
		e.newLog(t)
		e.startCoordinator(t)
		e.clients = map[string]*ddClient{}
	case "join":
		c := e.client(t, d)
		if d.HasArg("reset") {
			c.member = ""
		}
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version = 9
		if d.HasArg("version") {
			d.ScanArgs(t, "version", &req.Version)
		}
		req.Group = "g"
		req.SessionTimeoutMillis = int32(dur(t, d, "session", 10*time.Second) / time.Millisecond)
		req.RebalanceTimeoutMillis = int32(dur(t, d, "rebalance", 30*time.Second) / time.Millisecond)
		req.MemberID = c.member
		req.ProtocolType = "consumer"
		var inst string
		if d.MaybeScanArgs(t, "instance", &inst) {
			req.InstanceID = &inst
		}
		protos := []string{"range:" + c.name}
		if arg, ok := d.Arg("protocols"); ok {
			protos = arg.Vals
		}
		for _, p := range protos {
			name, meta, _ := strings.Cut(p, ":")
			req.Protocols = append(req.Protocols, kmsg.JoinGroupRequestProtocol{Name: name, Metadata: []byte(meta)})
		}
		f := e.c.JoinGroup(req, Client{ID: c.name, Host: "/127.0.0.1"})
		if r, ok := poll(f); ok {
			fmt.Fprintf(&out, "%s: join -> %s\n", c.name, e.joinResult(c, r))
		} else {
			c.join = f
			fmt.Fprintf(&out, "%s: join parked\n", c.name)
		}
	case "sync":
		c := e.client(t, d)
		req := kmsg.NewPtrSyncGroupRequest()
		req.Version = 5
		req.Group = "g"
		req.Generation = c.generation
		req.MemberID = c.member
		if arg, ok := d.Arg("assign"); ok {
			for _, v := range arg.Vals {
				id, a, _ := strings.Cut(v, ":")
				req.GroupAssignment = append(req.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: e.real[id], MemberAssignment: []byte(a)})
			}
		}
		f := e.c.SyncGroup(req)
		if r, ok := poll(f); ok {
			fmt.Fprintf(&out, "%s: sync -> %s\n", c.name, syncResult(r))
		} else {
			c.sync = f
			fmt.Fprintf(&out, "%s: sync parked\n", c.name)
		}
	case "heartbeat":
		c := e.client(t, d)
		req := kmsg.NewPtrHeartbeatRequest()
		req.Version = 4
		req.Group, req.MemberID, req.Generation = "g", c.member, c.generation
		if d.HasArg("generation") {
			d.ScanArgs(t, "generation", &req.Generation)
		}
		var id, inst string
		if d.MaybeScanArgs(t, "member", &id) {
			req.MemberID = e.real[id]
		}
		if d.MaybeScanArgs(t, "instance", &inst) {
			req.InstanceID = &inst
		}
		fmt.Fprintf(&out, "%s: heartbeat -> %s\n", c.name, errName(e.c.Heartbeat(req).ErrorCode))
	case "commit":
		c := e.client(t, d)
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Version = 8
		req.Group, req.MemberID, req.Generation = "g", c.member, c.generation
		if d.HasArg("generation") {
			d.ScanArgs(t, "generation", &req.Generation)
		}
		req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "t", Partitions: []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1}}}}
		resp := e.c.OffsetCommit(req, nil)()
		fmt.Fprintf(&out, "%s: commit -> %s\n", c.name, errName(resp.Topics[0].Partitions[0].ErrorCode))
	case "leave":
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Version = 3
		req.Group = "g"
		who := ""
		var inst string
		if d.MaybeScanArgs(t, "instance", &inst) {
			req.Members = []kmsg.LeaveGroupRequestMember{{InstanceID: &inst}}
			who = "instance " + inst
		} else {
			c := e.client(t, d)
			req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: c.member}}
			who = c.name
		}
		resp := e.c.LeaveGroup(req)
		res := errName(resp.ErrorCode)
		for _, m := range resp.Members {
			res += " member=" + errName(m.ErrorCode)
		}
		fmt.Fprintf(&out, "%s: leave -> %s\n", who, res)
	case "advance":
		now := e.clock.advance(dur(t, d, "by", 0))
		if !d.HasArg("quiet") {
			e.c.tick(now, false)
		}
	case "delete":
		fmt.Fprintf(&out, "delete -> %s\n", errName(kerrCode(e.c.DeleteGroup("g"))))
	case "restart":
		e.c.Close()
		e.settleParked(&out) // parked requests of the old coordinator
		e.startCoordinator(t)
	case "state":
	default:
		t.Fatalf("unknown command %q", d.Cmd)
	}
	e.settle(t)
	e.settleParked(&out)
	e.dump(&out)
	return out.String()
}

func poll[T any](f *Future[T]) (T, bool) {
	if f.set {
		return f.now, true
	}
	select {
	case v := <-f.ch:
		return v, true
	default:
		var zero T
		return zero, false
	}
}

// settleParked prints the parked requests that have an answer now.
func (e *ddEnv) settleParked(out *strings.Builder) {
	names := make([]string, 0, len(e.clients))
	for n := range e.clients {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := e.clients[n]
		if c.join != nil {
			if r, ok := poll(c.join); ok {
				c.join = nil
				fmt.Fprintf(out, "%s: parked join -> %s\n", c.name, e.joinResult(c, r))
			}
		}
		if c.sync != nil {
			if r, ok := poll(c.sync); ok {
				c.sync = nil
				fmt.Fprintf(out, "%s: parked sync -> %s\n", c.name, syncResult(r))
			}
		}
	}
}

// joinResult prints a JoinGroup response and updates what the client knows,
// the way a client does: it adopts a given member id and generation.
func (e *ddEnv) joinResult(c *ddClient, r *kmsg.JoinGroupResponse) string {
	s := errName(r.ErrorCode)
	if r.MemberID != "" && (r.ErrorCode == 0 || r.ErrorCode == kerr.MemberIDRequired.Code) {
		c.member = r.MemberID
	}
	if r.ErrorCode == kerr.UnknownMemberID.Code {
		c.member = ""
	}
	s += " member=" + e.name(r.MemberID)
	if r.ErrorCode != 0 {
		return s
	}
	c.generation = r.Generation
	proto := ""
	if r.Protocol != nil {
		proto = *r.Protocol
	}
	s += fmt.Sprintf(" generation=%d protocol=%s leader=%s", r.Generation, proto, e.name(r.LeaderID))
	if len(r.Members) > 0 {
		var ms []string
		for _, m := range r.Members {
			ms = append(ms, e.name(m.MemberID)+":"+string(m.ProtocolMetadata))
		}
		s += " members=(" + strings.Join(ms, ",") + ")"
	}
	return s
}

func syncResult(r *kmsg.SyncGroupResponse) string {
	s := errName(r.ErrorCode)
	if r.ErrorCode == 0 {
		s += " assignment=" + string(r.MemberAssignment)
	}
	return s
}

func rel(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return "+" + t.Sub(now).String()
}

// dump prints the group as the coordinator holds it.
func (e *ddEnv) dump(out *strings.Builder) {
	g := e.group()
	if g == nil {
		out.WriteString("group: none\n")
		return
	}
	now := e.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	fmt.Fprintf(out, "group: %s generation=%d protocol=%s leader=%s\n", g.state, g.generation, g.protocol, e.name(g.leader))
	fmt.Fprintf(out, "timers: join=%s initial=%s sync=%s\n", rel(now, g.rebalanceEnd), rel(now, g.initialEnd), rel(now, g.syncEnd))
	for _, m := range g.sortedMembersLocked() {
		inst := "-"
		if m.instanceID != nil {
			inst = *m.instanceID
		}
		parked := ""
		if m.join != nil {
			parked += " join-parked"
		}
		if m.sync != nil {
			parked += " sync-parked"
		}
		fmt.Fprintf(out, "  member %s instance=%s session=%s rebalance=%s expires=%s assignment=%q%s\n",
			e.name(m.id), inst, m.sessionTimeout, m.rebalanceTimeout, rel(now, m.deadline), m.assignment, parked)
	}
	if len(g.pending) > 0 {
		var ps []string
		for id, exp := range g.pending {
			ps = append(ps, e.name(id)+"("+rel(now, exp)+")")
		}
		sort.Strings(ps)
		fmt.Fprintf(out, "  pending %s\n", strings.Join(ps, " "))
	}
}
