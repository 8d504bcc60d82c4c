package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/replica"
	"github.com/gregor-streaming/gregor/internal/storage"
)

// Config configures a Coordinator. Durations come from Kafka's broker
// configs (group.*, offsets.*, group.consumer.*).
type Config struct {
	InitialRebalanceDelay  time.Duration // group.initial.rebalance.delay.ms
	MinSessionTimeout      time.Duration // group.min.session.timeout.ms
	MaxSessionTimeout      time.Duration // group.max.session.timeout.ms
	MaxSize                int           // group.max.size
	OffsetsRetention       time.Duration // offsets.retention.minutes
	RetentionCheckInterval time.Duration // offsets.retention.check.interval.ms

	ConsumerSessionTimeout    time.Duration // group.consumer.session.timeout.ms
	ConsumerHeartbeatInterval time.Duration // group.consumer.heartbeat.interval.ms
	ConsumerMaxSize           int           // group.consumer.max.size

	// ConsumerTimeouts, when set, gives a consumer group's session timeout
	// and heartbeat interval (its KIP-848 group configs, else the broker's
	// values above), read at every heartbeat so that a change applies at
	// once. Must be safe for concurrent use.
	ConsumerTimeouts func(groupID string) (session, heartbeat time.Duration)

	// Image returns the current metadata image; KIP-848 groups resolve
	// subscriptions and topic ids with it. Must be safe for concurrent use.
	Image func() *cluster.Image

	Logger *slog.Logger
	// Now is the coordinator's clock (default time.Now). Tests pass a fake
	// one to drive session, rebalance and retention timers; it must be safe
	// for concurrent use.
	Now func() time.Time
	// Tick is how often timeouts are checked (default 100ms); tests may
	// lower it. Timeouts fire at most one tick late.
	Tick time.Duration
}

// Client names the connection a request came from (for DescribeGroups).
type Client struct {
	ID   string
	Host string
}

// Leadership tells the coordinator that this broker leads one partition of
// __consumer_offsets.
type Leadership struct {
	Partition   int32
	Replica     *replica.Partition
	LeaderEpoch int32
}

// Coordinator is the group coordinator of one broker. It serves the groups
// whose __consumer_offsets partition this broker leads (Reconcile tells it
// which) and keeps their state in that partition.
//
// Concurrency: all methods are safe for concurrent use. Lock order is
// Coordinator.mu, then shard.mu, then group.mu; no lock is held while
// waiting for a write to commit. A group's records are appended while its
// lock is held so that the log holds them in the order of the state changes
// (the append itself only copies into the page cache; the fsync wait
// happens after the lock is released).
type Coordinator struct {
	cfg  Config
	log  *slog.Logger
	stop chan struct{}
	// ctx is cancelled by Close: commit waits end with it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu struct {
		sync.Mutex
		closed     bool
		partitions int32 // partition count of __consumer_offsets; 0 = no topic
		shards     map[int32]*shard
	}
}

// New returns a coordinator leading nothing yet.
func New(cfg Config) *Coordinator {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.RetentionCheckInterval <= 0 {
		cfg.RetentionCheckInterval = 10 * time.Minute
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = 1 << 31 / 2
	}
	if cfg.ConsumerMaxSize <= 0 {
		cfg.ConsumerMaxSize = 1 << 31 / 2
	}
	if cfg.ConsumerHeartbeatInterval <= 0 {
		cfg.ConsumerHeartbeatInterval = 5 * time.Second
	}
	if cfg.ConsumerSessionTimeout <= 0 {
		cfg.ConsumerSessionTimeout = 45 * time.Second
	}
	c := &Coordinator{cfg: cfg, log: cfg.Logger, stop: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.mu.shards = make(map[int32]*shard)
	c.goTracked(c.ticker)
	return c
}

// now is the coordinator's clock.
func (c *Coordinator) now() time.Time {
	if c.cfg.Now == nil {
		return time.Now()
	}
	return c.cfg.Now()
}

// goTracked starts fn on a goroutine that Close waits for; after Close
// began it does nothing and reports false.
func (c *Coordinator) goTracked(fn func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// Close resigns every partition (parked requests are answered
// NOT_COORDINATOR) and waits for the coordinator's goroutines.
func (c *Coordinator) Close() {
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return
	}
	c.mu.closed = true
	shards := c.mu.shards
	c.mu.shards = map[int32]*shard{}
	c.mu.Unlock()
	close(c.stop)
	c.cancel()
	for _, s := range shards {
		s.resign()
	}
	c.wg.Wait()
}

// Reconcile sets which __consumer_offsets partitions this broker leads.
// partitions is the topic's partition count (0 if the topic does not exist).
// A newly led partition (or a new leader epoch) is loaded in the background;
// until then its groups answer COORDINATOR_LOAD_IN_PROGRESS. Partitions no
// longer led are resigned: their groups are dropped from memory and parked
// requests answered NOT_COORDINATOR.
func (c *Coordinator) Reconcile(partitions int32, led []Leadership) {
	var resign, load []*shard
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return
	}
	c.mu.partitions = partitions
	want := make(map[int32]Leadership, len(led))
	for _, l := range led {
		want[l.Partition] = l
	}
	for idx, s := range c.mu.shards {
		l, ok := want[idx]
		if !ok || l.Replica != s.p || l.LeaderEpoch != s.epoch {
			resign = append(resign, s)
			delete(c.mu.shards, idx)
		}
	}
	for idx, l := range want {
		if _, ok := c.mu.shards[idx]; ok {
			continue
		}
		s := &shard{c: c, index: idx, p: l.Replica, epoch: l.LeaderEpoch, stopped: make(chan struct{})}
		s.mu.groups = make(map[string]*group)
		c.mu.shards[idx] = s
		load = append(load, s)
	}
	c.mu.Unlock()
	for _, s := range resign {
		c.log.Info("resigning as group coordinator", "partition", s.index, "leader_epoch", s.epoch)
		s.resign()
	}
	for _, s := range load {
		s := s
		c.goTracked(s.load)
	}
}

// Coordinator errors. Handlers get *kerr.Error values from this package, so
// that errorCode maps them directly.
var (
	errNotCoordinator = kerr.NotCoordinator
	errLoading        = kerr.CoordinatorLoadInProgress
	errNotAvailable   = kerr.CoordinatorNotAvailable
)

// Partitions is the partition count of __consumer_offsets as last reconciled.
func (c *Coordinator) Partitions() int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.partitions
}

// shardFor returns the loaded shard of a group's partition, or
// NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE.
func (c *Coordinator) shardFor(groupID string) (*shard, error) {
	c.mu.Lock()
	n := c.mu.partitions
	if n <= 0 {
		c.mu.Unlock()
		return nil, errNotAvailable
	}
	s := c.mu.shards[PartitionFor(groupID, n)]
	c.mu.Unlock()
	if s == nil {
		return nil, errNotCoordinator
	}
	if !s.loaded.Load() {
		return nil, errLoading
	}
	return s, nil
}

// withGroup runs fn with the group's lock held. With create the group is
// created (kind none, state Empty) if absent; without it an absent group is
// errGroupNotFound. A group deleted while we waited for its lock is looked
// up again.
//
// Timeouts that have passed fire before fn sees the group, as Kafka's timers
// fire at their deadline: the ticker alone would leave a member whose
// session ran out up to one tick longer, so that a DeleteGroups sent right
// after the session timeout, or a late heartbeat, saw it still there.
func (c *Coordinator) withGroup(id string, create bool, fn func(g *group) error) error {
	for {
		s, err := c.shardFor(id)
		if err != nil {
			return err
		}
		g := s.get(id, create)
		if g == nil {
			return errGroupNotFound
		}
		g.mu.Lock()
		if !g.dead.Load() {
			g.tickLocked(c.now())
		}
		if g.dead.Load() {
			g.mu.Unlock()
			if s.isStopped() {
				return errNotCoordinator
			}
			continue
		}
		err = fn(g)
		g.mu.Unlock()
		return err
	}
}

// errGroupNotFound: the group does not exist (callers choose the code).
var errGroupNotFound = errors.New("group: group not found")

// ticker drives every timeout: sessions, rebalances, pending member ids,
// KIP-848 revocations, and offset expiry.
func (c *Coordinator) ticker() {
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	lastExpiry := c.now()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			now := c.now()
			expire := now.Sub(lastExpiry) >= c.cfg.RetentionCheckInterval
			if expire {
				lastExpiry = now
			}
			c.tick(now, expire)
		}
	}
}

// tick fires every timeout that passed by now in every loaded group, and
// with expire also runs offset expiry. The ticker calls it; tests with a
// fake clock call it directly.
func (c *Coordinator) tick(now time.Time, expire bool) {
	for _, s := range c.shards() {
		if !s.loaded.Load() {
			continue
		}
		for _, g := range s.groups() {
			g.mu.Lock()
			if !g.dead.Load() {
				g.tickLocked(now)
				if expire {
					g.expireOffsetsLocked(now)
				}
			}
			g.mu.Unlock()
			if g.dead.Load() {
				s.remove(g)
			}
		}
	}
}

func (c *Coordinator) shards() []*shard {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*shard, 0, len(c.mu.shards))
	for _, s := range c.mu.shards {
		out = append(out, s)
	}
	return out
}

// ExpireOffsetsNow runs the offset expiry pass at once (the CLI and tests;
// normally it runs every offsets.retention.check.interval.ms).
func (c *Coordinator) ExpireOffsetsNow(now time.Time) {
	for _, s := range c.shards() {
		if !s.loaded.Load() {
			continue
		}
		for _, g := range s.groups() {
			g.mu.Lock()
			if !g.dead.Load() {
				g.expireOffsetsLocked(now)
			}
			g.mu.Unlock()
			if g.dead.Load() {
				s.remove(g)
			}
		}
	}
}

// shard is one led __consumer_offsets partition and its groups.
type shard struct {
	c       *Coordinator
	index   int32
	p       *replica.Partition
	epoch   int32
	loaded  atomic.Bool
	stopped chan struct{}
	once    sync.Once

	mu struct {
		sync.Mutex
		groups map[string]*group
	}
}

func (s *shard) isStopped() bool {
	select {
	case <-s.stopped:
		return true
	default:
		return false
	}
}

// get returns the group, creating it if asked; a dead group counts as absent.
func (s *shard) get(id string, create bool) *group {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isStopped() {
		return nil
	}
	g := s.mu.groups[id]
	if g != nil && !g.dead.Load() {
		return g
	}
	if !create {
		return nil
	}
	g = newGroup(s, id)
	s.mu.groups[id] = g
	return g
}

func (s *shard) groups() []*group {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*group, 0, len(s.mu.groups))
	for _, g := range s.mu.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// remove drops g from the map if it is dead and still the group under its id.
func (s *shard) remove(g *group) {
	s.mu.Lock()
	if s.mu.groups[g.id] == g && g.dead.Load() {
		delete(s.mu.groups, g.id)
	}
	s.mu.Unlock()
}

// resign stops serving the partition: every group is marked dead (in memory
// only) and its parked requests are answered NOT_COORDINATOR.
func (s *shard) resign() {
	s.once.Do(func() { close(s.stopped) })
	s.mu.Lock()
	gs := s.mu.groups
	s.mu.groups = map[string]*group{}
	s.mu.Unlock()
	for _, g := range gs {
		g.mu.Lock()
		g.failParkedLocked(kerr.NotCoordinator.Code)
		g.dead.Store(true)
		g.mu.Unlock()
	}
}

// appendLocked writes recs to the partition (the caller holds the lock of the
// group they belong to) and returns the offset of the last one. Errors are
// *kerr.Error values fit for the group APIs.
func (s *shard) appendLocked(recs []record) (int64, error) {
	if len(recs) == 0 {
		return -1, nil
	}
	if s.isStopped() {
		return 0, errNotCoordinator
	}
	b := buildBatch(recs, s.c.now().UnixMilli())
	res, err := s.p.Append(replica.Batch{Bytes: b, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, LastDelta: int32(len(recs) - 1)})
	if err != nil {
		s.c.log.Warn("writing to __consumer_offsets failed", "partition", s.index, "err", err)
		return 0, appendError(err)
	}
	return res.LastOffset, nil
}

// appendError maps a failed append to the code group APIs answer.
func appendError(err error) error {
	switch {
	case errors.Is(err, replica.ErrNotLeader), errors.Is(err, replica.ErrClosed), errors.Is(err, storage.ErrClosed):
		return errNotCoordinator
	case errors.Is(err, storage.ErrMessageTooLarge), errors.Is(err, storage.ErrRecordListTooLarge):
		return fmt.Errorf("%w: %v", errTooLarge, err)
	default:
		return errNotAvailable
	}
}

// errTooLarge: the records do not fit in one batch of __consumer_offsets.
var errTooLarge = errors.New("group: state record too large")

// waitCommitted waits (without locks) until the write ending at last is
// committed; last < 0 means nothing was written.
func (s *shard) waitCommitted(last int64) error {
	if last < 0 {
		return nil
	}
	parent := s.c.ctx
	if parent == nil { // a Coordinator built by hand in a test
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, 30*time.Second)
	defer cancel()
	if err := s.p.WaitCommitted(ctx, last); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return kerr.RequestTimedOut
		}
		return appendError(err)
	}
	return nil
}

// load replays the partition into memory, then opens the shard for requests.
// A read or decode failure is logged and retried after a pause: serving a
// group from half its state would hand out wrong offsets.
func (s *shard) load() {
	start := time.Now()
	for attempt := 0; ; attempt++ {
		if s.isStopped() {
			return
		}
		groups, n, err := s.replay()
		if err == nil {
			s.mu.Lock()
			for _, g := range groups {
				if len(g.offsets) > 0 || g.kind != kindNone || g.state != StateEmpty {
					s.mu.groups[g.id] = g
				}
			}
			ng := len(s.mu.groups)
			s.mu.Unlock()
			s.loaded.Store(true)
			lvl := slog.LevelInfo
			if n == 0 {
				lvl = slog.LevelDebug // a new, empty partition: nothing worth a line each
			}
			s.c.log.Log(context.Background(), lvl, "loaded group coordinator partition", "partition", s.index, "leader_epoch", s.epoch,
				"records", n, "groups", ng, "took", time.Since(start).Round(time.Millisecond))
			return
		}
		s.c.log.Error("loading __consumer_offsets partition failed; retrying", "partition", s.index, "attempt", attempt, "err", err)
		select {
		case <-s.stopped:
			return
		case <-s.c.stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// replay reads the log from its start to its end.
func (s *shard) replay() (map[string]*group, int, error) {
	l := s.p.Log()
	groups := map[string]*group{}
	get := func(id string) *group {
		g := groups[id]
		if g == nil {
			g = newGroup(s, id)
			groups[id] = g
		}
		return g
	}
	metas := map[string]*kmsg.GroupMetadataValue{}
	metaOffsets := map[string]int64{}
	consumers := map[string]*consumerLoad{}
	n := 0
	off := l.LogStartOffset()
	end := l.LogEndOffset()
	var buf []byte
	for off < end {
		var next int64
		var err error
		buf, next, err = l.ReadInto(buf[:0], off, 1<<20, end, true)
		if errors.Is(err, storage.ErrOffsetOutOfRange) && off < l.LogStartOffset() {
			off = l.LogStartOffset() // retention or compaction moved the start
			continue
		}
		if err != nil {
			return nil, n, fmt.Errorf("read at %d: %w", off, err)
		}
		if next <= off {
			break
		}
		err = decodeBatches(buf, func(offset int64, key, value []byte) error {
			n++
			k, err := parseKey(key)
			if err != nil {
				s.c.log.Warn("skipping __consumer_offsets record with an unreadable key", "partition", s.index, "offset", offset, "err", err)
				return nil
			}
			switch k.kind {
			case keyKindOffset:
				g := get(k.group)
				if value == nil {
					g.deleteOffsetLocked(k.topic, k.partition)
					return nil
				}
				var v kmsg.OffsetCommitValue
				if err := v.ReadFrom(value); err != nil {
					s.c.log.Warn("skipping unreadable offset commit value", "partition", s.index, "offset", offset, "group", k.group, "err", err)
					return nil
				}
				o := Offset{Offset: v.Offset, LeaderEpoch: -1, Metadata: v.Metadata, CommitTime: v.CommitTimestamp, ExpireTime: -1, logOffset: offset}
				if v.Version >= 3 {
					o.LeaderEpoch = v.LeaderEpoch
				}
				if v.Version == 1 {
					o.ExpireTime = v.ExpireTimestamp
				}
				g.setOffsetLocked(k.topic, k.partition, o)
			case keyKindGroup:
				if value == nil {
					delete(metas, k.group)
					if g := groups[k.group]; g != nil {
						g.resetClassicLocked()
					}
					return nil
				}
				v := new(kmsg.GroupMetadataValue)
				if err := v.ReadFrom(value); err != nil {
					s.c.log.Warn("skipping unreadable group metadata value", "partition", s.index, "offset", offset, "group", k.group, "err", err)
					return nil
				}
				metas[k.group] = v
				metaOffsets[k.group] = offset
				get(k.group)
			case keyKindConsumer:
				l := consumers[k.group]
				if l == nil {
					l = newConsumerLoad()
					consumers[k.group] = l
				}
				if err := l.add(k.consumer, offset, value); err != nil {
					s.c.log.Warn("skipping unreadable consumer group record", "partition", s.index, "offset", offset, "group", k.group,
						"key_type", k.version, "err", err)
					return nil
				}
				get(k.group)
			case keyKindOther:
				s.c.log.Debug("skipping __consumer_offsets record of an unsupported type", "partition", s.index, "offset", offset, "key_version", k.version)
			}
			return nil
		})
		if err != nil {
			return nil, n, err
		}
		off = next
	}
	now := s.c.now()
	for id, v := range metas {
		if l := consumers[id]; l != nil && l.meta != nil && l.offset > metaOffsets[id] {
			continue // converted to a consumer group later
		}
		groups[id].restoreClassicLocked(v, now)
	}
	for id, l := range consumers {
		if l.meta == nil {
			continue // deleted, or never more than stray member records
		}
		if _, ok := metas[id]; ok && metaOffsets[id] > l.offset {
			continue // converted to a classic group later
		}
		groups[id].restoreConsumerLocked(l, now)
	}
	return groups, n, nil
}

type keyKind int

const (
	keyKindOffset keyKind = iota
	keyKindGroup
	keyKindConsumer // KIP-848 types 3-8
	keyKindOther
)

type parsedKey struct {
	kind      keyKind
	version   int16
	group     string
	topic     string
	partition int32
	consumer  consumerKey // keyKindConsumer
}

// parseKey decodes a __consumer_offsets record key.
func parseKey(b []byte) (parsedKey, error) {
	if len(b) < 2 {
		return parsedKey{}, fmt.Errorf("%w: key of %d bytes", ErrCorruptRecord, len(b))
	}
	v := int16(b[0])<<8 | int16(b[1])
	switch v {
	case keyOffsetCommitV0, keyOffsetCommitV1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(b); err != nil {
			return parsedKey{}, fmt.Errorf("%w: offset key: %v", ErrCorruptRecord, err)
		}
		return parsedKey{kind: keyKindOffset, version: v, group: k.Group, topic: k.Topic, partition: k.Partition}, nil
	case keyGroupMetadata:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(b); err != nil {
			return parsedKey{}, fmt.Errorf("%w: group key: %v", ErrCorruptRecord, err)
		}
		return parsedKey{kind: keyKindGroup, version: v, group: k.Group}, nil
	case keyConsumerGroupMetadata, keyConsumerGroupPartitionMetadata, keyConsumerGroupMemberMetadata,
		keyConsumerGroupTargetAssignmentMetadata, keyConsumerGroupTargetAssignmentMember, keyConsumerGroupCurrentMemberAssignment:
		k, err := parseConsumerKey(b)
		if err != nil {
			return parsedKey{}, err
		}
		return parsedKey{kind: keyKindConsumer, version: v, group: k.group, consumer: k}, nil
	default:
		return parsedKey{kind: keyKindOther, version: v}, nil
	}
}

// consumerTimeouts returns group id's session timeout and heartbeat interval.
func (c *Coordinator) consumerTimeouts(id string) (session, heartbeat time.Duration) {
	if c.cfg.ConsumerTimeouts != nil {
		if s, h := c.cfg.ConsumerTimeouts(id); s > 0 && h > 0 {
			return s, h
		}
	}
	return c.cfg.ConsumerSessionTimeout, c.cfg.ConsumerHeartbeatInterval
}
