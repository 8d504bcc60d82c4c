package cluster

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config configures one node of the metadata quorum. Build it with
// DefaultConfig and override fields; Start validates it.
type Config struct {
	// NodeID is this node's broker and Raft server id (>= 0).
	NodeID int32
	// Dir is the metadata directory (<data>/meta): raft.db (raft-boltdb's bbolt
	// log and stable store) and snapshots/ (raft file snapshots of the image).
	Dir string
	// RaftListen is the controller listener address, e.g. ":9093". Port 0 picks a
	// free port; the chosen address is logged and returned by Node.Addr.
	RaftListen string
	// RaftAdvertise is the address other voters dial. Optional: defaults to this
	// node's entry in Voters, else the bound listener address.
	RaftAdvertise string
	// Voters lists the voters; empty means this node alone. When not empty it
	// must contain NodeID. Used to bootstrap an empty Dir; ignored afterwards
	// (the configuration lives in the log).
	Voters []Voter
	// ClusterID, if set, is used when this node bootstraps the cluster (like
	// kafka-storage format --cluster-id). Empty: a random one (22-char base64url
	// of a UUID, as Kafka generates them).
	ClusterID string
	// Logger receives the node's logs and, through an hclog adapter, Raft's.
	// Nil: slog.Default().
	Logger *slog.Logger

	// Raft timing. Zero values take the defaults of DefaultConfig. Tests shrink
	// them; a single-voter node does not wait for them at start-up (see node.go).
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
	// SnapshotThreshold is how many log entries since the last snapshot trigger a
	// new one; SnapshotInterval how often that is checked; TrailingLogs how many
	// entries are kept behind a snapshot for slow followers.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// RPCTimeout bounds dialing and each request of the forwarding RPC and is the
	// I/O deadline of Raft's transport.
	RPCTimeout time.Duration

	// listener, if set, is used instead of listening on RaftListen (tests:
	// reserve ports for a whole cluster without races).
	listener net.Listener
}

// Voter is one member of the Raft voter set: node id and controller address.
type Voter struct {
	ID   int32
	Addr string
}

func (v Voter) String() string { return fmt.Sprintf("%d@%s", v.ID, v.Addr) }

// DefaultConfig returns the production defaults: node 1 listening on :9093,
// alone, with Raft timeouts suited to a LAN (Kafka's
// controller.quorum.election.timeout.ms is 1000 too).
func DefaultConfig() Config {
	return Config{
		NodeID:             1,
		RaftListen:         ":9093",
		HeartbeatTimeout:   1000 * time.Millisecond,
		ElectionTimeout:    1000 * time.Millisecond,
		LeaderLeaseTimeout: 500 * time.Millisecond,
		CommitTimeout:      50 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		TrailingLogs:       10240,
		RPCTimeout:         10 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.RaftListen == "" {
		c.RaftListen = d.RaftListen
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = d.HeartbeatTimeout
	}
	if c.ElectionTimeout == 0 {
		c.ElectionTimeout = max(d.ElectionTimeout, c.HeartbeatTimeout)
	}
	if c.LeaderLeaseTimeout == 0 {
		c.LeaderLeaseTimeout = min(d.LeaderLeaseTimeout, c.HeartbeatTimeout)
	}
	if c.CommitTimeout == 0 {
		c.CommitTimeout = d.CommitTimeout
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = d.SnapshotThreshold
	}
	if c.SnapshotInterval == 0 {
		c.SnapshotInterval = d.SnapshotInterval
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = d.TrailingLogs
	}
	if c.RPCTimeout == 0 {
		c.RPCTimeout = d.RPCTimeout
	}
	return c
}

// Validate reports the first bad field, naming the value and what was expected.
func (c *Config) Validate() error {
	if c.NodeID < 0 {
		return fmt.Errorf("cluster: node id %d: must be >= 0", c.NodeID)
	}
	if c.Dir == "" {
		return fmt.Errorf("cluster: metadata dir is empty: a directory path is required")
	}
	if _, _, err := net.SplitHostPort(c.RaftListen); err != nil {
		return fmt.Errorf("cluster: controller listen address %q: expected host:port: %v", c.RaftListen, err)
	}
	if c.HeartbeatTimeout < 5*time.Millisecond || c.ElectionTimeout < c.HeartbeatTimeout {
		return fmt.Errorf("cluster: heartbeat timeout %s / election timeout %s: need heartbeat >= 5ms and election >= heartbeat",
			c.HeartbeatTimeout, c.ElectionTimeout)
	}
	if c.LeaderLeaseTimeout < 5*time.Millisecond || c.LeaderLeaseTimeout > c.HeartbeatTimeout {
		return fmt.Errorf("cluster: leader lease timeout %s: need 5ms <= lease <= heartbeat timeout %s",
			c.LeaderLeaseTimeout, c.HeartbeatTimeout)
	}
	if c.CommitTimeout < time.Millisecond {
		return fmt.Errorf("cluster: commit timeout %s: need >= 1ms", c.CommitTimeout)
	}
	if c.SnapshotInterval < 5*time.Millisecond {
		return fmt.Errorf("cluster: snapshot interval %s: need >= 5ms", c.SnapshotInterval)
	}
	if len(c.ClusterID) > 64 {
		return fmt.Errorf("cluster: cluster id %q: at most 64 bytes", c.ClusterID)
	}
	if c.RPCTimeout <= 0 {
		return fmt.Errorf("cluster: rpc timeout %s: need > 0", c.RPCTimeout)
	}
	if len(c.Voters) > 0 {
		if err := checkVoters(c.Voters); err != nil {
			return err
		}
		self, ok := c.self()
		if !ok {
			return fmt.Errorf("cluster: voters %s do not include this node id %d (joining as a non-voter is not supported yet)",
				votersString(c.Voters), c.NodeID)
		}
		if c.RaftAdvertise != "" && c.RaftAdvertise != self.Addr {
			return fmt.Errorf("cluster: advertised controller address %q differs from this node's voter entry %s",
				c.RaftAdvertise, self)
		}
	}
	return nil
}

func (c *Config) self() (Voter, bool) {
	for _, v := range c.Voters {
		if v.ID == c.NodeID {
			return v, true
		}
	}
	return Voter{}, false
}

// singleVoter reports whether this node is the only voter it knows of.
func (c *Config) singleVoter() bool {
	if len(c.Voters) == 0 {
		return true
	}
	_, ok := c.self()
	return ok && len(c.Voters) == 1
}

// ParseVoters parses the --voters flag: "1@host:9093,2@host:9094". Spaces around
// entries are ignored; "" gives nil (this node alone). Errors name the bad entry.
func ParseVoters(s string) ([]Voter, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Voter
	for i, raw := range strings.Split(s, ",") {
		e := strings.TrimSpace(raw)
		idStr, addr, ok := strings.Cut(e, "@")
		if !ok {
			return nil, fmt.Errorf("cluster: voter entry %d %q: expected id@host:port", i+1, e)
		}
		id, err := strconv.ParseInt(idStr, 10, 32)
		if err != nil || id < 0 {
			return nil, fmt.Errorf("cluster: voter entry %d %q: node id %q is not an integer in [0, 2^31)", i+1, e, idStr)
		}
		if err := checkHostPort(addr); err != nil {
			return nil, fmt.Errorf("cluster: voter entry %d %q: %v", i+1, e, err)
		}
		out = append(out, Voter{ID: int32(id), Addr: addr})
	}
	if err := checkVoters(out); err != nil {
		return nil, err
	}
	return out, nil
}

func checkHostPort(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: expected host:port", addr)
	}
	if host == "" {
		return fmt.Errorf("address %q: host is empty (other nodes must be able to dial it)", addr)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return fmt.Errorf("address %q: port %q is not in 1-65535", addr, port)
	}
	return nil
}

func checkVoters(vs []Voter) error {
	ids := make(map[int32]bool, len(vs))
	addrs := make(map[string]bool, len(vs))
	for _, v := range vs {
		if v.ID < 0 {
			return fmt.Errorf("cluster: voter %s: node id must be >= 0", v)
		}
		if err := checkHostPort(v.Addr); err != nil {
			return fmt.Errorf("cluster: voter %s: %v", v, err)
		}
		if ids[v.ID] {
			return fmt.Errorf("cluster: voter %s: node id %d listed twice", v, v.ID)
		}
		if addrs[v.Addr] {
			return fmt.Errorf("cluster: voter %s: address %s listed twice", v, v.Addr)
		}
		ids[v.ID], addrs[v.Addr] = true, true
	}
	return nil
}

func votersString(vs []Voter) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	return strings.Join(parts, ",")
}
