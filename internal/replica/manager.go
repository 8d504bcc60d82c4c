package replica

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gregor-streaming/gregor/internal/storage"
)

// Manager holds the partitions this broker hosts and runs the group-commit
// syncers. The broker drives it from metadata images (Ensure, Remove); it
// never reads metadata itself.
type Manager struct {
	nodeID int32
	dir    *storage.Dir
	log    *slog.Logger
	syncq  chan *Partition
	done   chan struct{}
	wg     sync.WaitGroup
	m      managerMetrics

	mu struct {
		sync.RWMutex
		parts map[tp]*Partition
	}
}

type tp struct {
	topic     string
	partition int32
}

type managerMetrics struct {
	appendedBytes prometheus.Counter
	syncSeconds   prometheus.Histogram
}

// Config configures a Manager.
type Config struct {
	NodeID int32
	Dir    *storage.Dir
	Logger *slog.Logger
	// Syncers is the number of goroutines issuing fsyncs; each fsync covers
	// every append made to its partition before it started.
	Syncers int
	// Registerer receives the manager's metrics; may be nil.
	Registerer prometheus.Registerer
}

// NewManager starts a manager over an opened data directory.
func NewManager(cfg Config) *Manager {
	if cfg.Syncers <= 0 {
		cfg.Syncers = 8
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Manager{
		nodeID: cfg.NodeID,
		dir:    cfg.Dir,
		log:    cfg.Logger,
		syncq:  make(chan *Partition, 1<<16),
		done:   make(chan struct{}),
		m: managerMetrics{
			appendedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "gregor_log_appended_bytes_total", Help: "Bytes appended to partition logs."}),
			syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
				Name: "gregor_log_fsync_duration_seconds", Help: "Latency of group-commit fsyncs.",
				Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
			}),
		},
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(m.m.appendedBytes, m.m.syncSeconds)
	}
	m.mu.parts = make(map[tp]*Partition)
	for i := 0; i < cfg.Syncers; i++ {
		m.wg.Add(1)
		go m.syncer()
	}
	return m
}

func (m *Manager) syncer() {
	defer m.wg.Done()
	for {
		select {
		case p := <-m.syncq:
			t := prometheus.NewTimer(m.m.syncSeconds)
			p.sync()
			t.ObserveDuration()
		case <-m.done:
			return
		}
	}
}

// Get returns the hosted partition, or nil.
func (m *Manager) Get(topic string, partition int32) *Partition {
	m.mu.RLock()
	p := m.mu.parts[tp{topic, partition}]
	m.mu.RUnlock()
	return p
}

// All returns every hosted partition.
func (m *Manager) All() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*Partition, 0, len(m.mu.parts))
	for _, p := range m.mu.parts {
		out = append(out, p)
	}
	return out
}

// Assignment is what the metadata says about one partition this broker hosts.
type Assignment struct {
	Topic       string
	TopicID     [16]byte
	Partition   int32
	Leader      int32
	LeaderEpoch int32
	ISR         []int32
	// MinInsync is min.insync.replicas: acks=all writes are refused while
	// the ISR is smaller.
	MinInsync int
	// TimestampBeforeMaxMs and TimestampAfterMaxMs bound how far a record's
	// timestamp may be behind or ahead of the broker's clock
	// (message.timestamp.before/after.max.ms).
	TimestampBeforeMaxMs, TimestampAfterMaxMs int64
	Config                                    storage.Config
}

// Ensure creates or updates a hosted partition to match the metadata: opens
// its log, applies its config, and takes leadership when this broker leads.
func (m *Manager) Ensure(a Assignment) (*Partition, error) {
	key := tp{a.Topic, a.Partition}
	m.mu.RLock()
	p := m.mu.parts[key]
	m.mu.RUnlock()
	if p != nil && p.TopicID != a.TopicID {
		// Same name, new topic: the old one must go first.
		m.Remove(a.Topic, a.Partition)
		p = nil
	}
	if p == nil {
		l, err := m.dir.Create(a.Topic, a.Partition, a.Config)
		if err != nil {
			return nil, fmt.Errorf("replica: open %s-%d: %w", a.Topic, a.Partition, err)
		}
		p = &Partition{Topic: a.Topic, Index: a.Partition, TopicID: a.TopicID, log: l, mgr: m}
		// Everything already in the log at open was synced by the clean
		// shutdown or survived recovery.
		p.hw.Store(l.LogEndOffset())
		p.durable.Store(l.LogEndOffset())
		m.mu.Lock()
		if existing := m.mu.parts[key]; existing != nil {
			p = existing
		} else {
			m.mu.parts[key] = p
		}
		m.mu.Unlock()
	} else {
		p.log.SetConfig(a.Config)
	}
	p.isrSize.Store(int32(len(a.ISR)))
	p.minInsync.Store(int32(a.MinInsync))
	p.tsBefore.Store(a.TimestampBeforeMaxMs)
	p.tsAfter.Store(a.TimestampAfterMaxMs)
	if a.Leader == m.nodeID {
		if err := p.becomeLeader(a.LeaderEpoch); err != nil {
			return nil, err
		}
	} else {
		p.leader.Store(false)
		p.leaderEpoch.Store(a.LeaderEpoch)
	}
	return p, nil
}

// Remove closes a partition and deletes its log (topic deletion).
func (m *Manager) Remove(topic string, partition int32) {
	key := tp{topic, partition}
	m.mu.Lock()
	p := m.mu.parts[key]
	delete(m.mu.parts, key)
	m.mu.Unlock()
	if p != nil {
		p.close()
	}
	if err := m.dir.Remove(topic, partition); err != nil {
		m.log.Error("removing partition log", "topic", topic, "partition", partition, "err", err)
	}
}

// Close stops the syncers after a final sync of every partition, so a clean
// shutdown leaves nothing unsynced. The data directory is closed by its owner.
func (m *Manager) Close() {
	close(m.done)
	m.wg.Wait()
	for _, p := range m.All() {
		p.sync()
		p.close()
	}
}
