package group

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// State is a group's state as Kafka names it (DescribeGroups, ListGroups).
type State string

// Classic protocol states.
const (
	StateEmpty               State = "Empty"
	StatePreparingRebalance  State = "PreparingRebalance"
	StateCompletingRebalance State = "CompletingRebalance"
	StateStable              State = "Stable"
	StateDead                State = "Dead"
)

// KIP-848 consumer group states (Empty, Stable and Dead are shared).
const (
	StateAssigning   State = "Assigning"
	StateReconciling State = "Reconciling"
)

// kind is the protocol a group runs; a group with only committed offsets
// (standalone commits) has kindNone and can become either.
type kind int

const (
	kindNone kind = iota
	kindClassic
	kindConsumer
)

func (k kind) String() string {
	switch k {
	case kindClassic:
		return "classic"
	case kindConsumer:
		return "consumer"
	}
	return "classic" // a group with only offsets lists as classic, like Kafka
}

// Offset is one committed offset.
type Offset struct {
	Offset      int64
	LeaderEpoch int32  // -1 = unknown
	Metadata    string // at most MaxMetadataBytes
	CommitTime  int64  // ms since the epoch
	ExpireTime  int64  // ms; -1 = by the retention rule (only v1 records carry one)

	logOffset int64 // the record's offset in __consumer_offsets; newer wins
}

// MaxMetadataBytes is offset.metadata.max.bytes (4096).
const MaxMetadataBytes = 4096

// group is one group's state. Every field below mu is guarded by it.
type group struct {
	id   string
	s    *shard
	c    *Coordinator
	dead atomic.Bool // set under mu; read without it to skip dead groups

	mu sync.Mutex

	kind      kind
	state     State
	stateTime time.Time // when state last changed (for expiry of Empty groups)
	offsets   map[string]map[int32]Offset

	// Classic protocol.
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      map[string]*member
	joinOrder    uint64
	pending      map[string]time.Time // KIP-394 ids handed out, by expiry
	static       map[string]string    // group.instance.id -> member id
	rebalanceEnd time.Time            // PreparingRebalance: join deadline
	initialEnd   time.Time            // the initial delay never extends past this
	syncEnd      time.Time            // CompletingRebalance: sync deadline
	persisting   bool                 // the leader's assignment is being written

	// KIP-848 consumer protocol.
	cg *consumerGroup
}

func newGroup(s *shard, id string) *group {
	return &group{
		id:        id,
		s:         s,
		c:         s.c,
		state:     StateEmpty,
		stateTime: s.c.now(),
		offsets:   map[string]map[int32]Offset{},
		members:   map[string]*member{},
		pending:   map[string]time.Time{},
		static:    map[string]string{},
	}
}

func (g *group) setStateLocked(st State) {
	if g.state != st {
		g.c.log.Debug("group state", "group", g.id, "from", g.state, "to", st, "generation", g.generation)
		g.state = st
		g.stateTime = g.c.now()
	}
}

func (g *group) setOffsetLocked(topic string, partition int32, o Offset) {
	ps := g.offsets[topic]
	if ps == nil {
		ps = map[int32]Offset{}
		g.offsets[topic] = ps
	}
	if cur, ok := ps[partition]; ok && cur.logOffset > o.logOffset {
		return // an older commit finished after a newer one
	}
	ps[partition] = o
}

func (g *group) deleteOffsetLocked(topic string, partition int32) {
	if ps := g.offsets[topic]; ps != nil {
		delete(ps, partition)
		if len(ps) == 0 {
			delete(g.offsets, topic)
		}
	}
}

// empty reports whether the group has no live members of either protocol.
func (g *group) emptyLocked() bool {
	return len(g.members) == 0 && (g.cg == nil || len(g.cg.members) == 0)
}

// tickLocked fires the timeouts that passed by now.
func (g *group) tickLocked(now time.Time) {
	if g.kind == kindConsumer && g.cg != nil {
		g.consumerTickLocked(now)
		return
	}
	g.classicTickLocked(now)
}

// failParkedLocked answers every parked request with code (the partition is
// resigned or the broker is stopping).
func (g *group) failParkedLocked(code int16) {
	for _, m := range g.members {
		if m.join != nil {
			m.join <- joinError(code, m.id)
			m.join = nil
		}
		if m.sync != nil {
			m.sync <- syncError(code)
			m.sync = nil
		}
	}
}

// expireOffsetsLocked deletes offsets past offsets.retention.minutes (KIP-211):
// for an Empty group, retention counts from when it became empty; for a
// group that never had members (standalone commits), from each commit. A
// group left with neither members nor offsets is deleted.
func (g *group) expireOffsetsLocked(now time.Time) {
	if !g.emptyLocked() || g.state != StateEmpty {
		return
	}
	ret := g.c.cfg.OffsetsRetention
	if ret <= 0 {
		return
	}
	nowMs := now.UnixMilli()
	var recs []record
	type tp struct {
		t string
		p int32
	}
	var gone []tp
	for t, ps := range g.offsets {
		for p, o := range ps {
			var expired bool
			switch {
			case o.ExpireTime > 0:
				expired = nowMs >= o.ExpireTime
			case g.kind == kindNone || g.protocolType == "":
				expired = nowMs >= o.CommitTime+ret.Milliseconds()
			default:
				expired = now.Sub(g.stateTime) >= ret
			}
			if expired {
				recs = append(recs, offsetTombstone(g.id, t, p))
				gone = append(gone, tp{t, p})
			}
		}
	}
	deleteGroup := len(gone) == countOffsets(g.offsets)
	if deleteGroup {
		recs = append(recs, groupTombstone(g.id))
		recs = append(recs, g.consumerTombstonesLocked()...)
	}
	if len(recs) == 0 {
		return
	}
	if _, err := g.s.appendLocked(recs); err != nil {
		g.c.log.Warn("writing offset expiry tombstones failed", "group", g.id, "err", err)
		return
	}
	for _, x := range gone {
		g.deleteOffsetLocked(x.t, x.p)
	}
	g.c.log.Info("expired committed offsets", "group", g.id, "partitions", len(gone), "group_deleted", deleteGroup)
	if deleteGroup {
		g.setStateLocked(StateDead)
		g.dead.Store(true)
	}
}

func countOffsets(m map[string]map[int32]Offset) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

// kerrCode returns the Kafka code of an error from this package.
func kerrCode(err error) int16 {
	if err == nil {
		return 0
	}
	if ke, ok := err.(*kerr.Error); ok {
		return ke.Code
	}
	if err == errGroupNotFound {
		return kerr.GroupIDNotFound.Code
	}
	return kerr.UnknownServerError.Code
}
