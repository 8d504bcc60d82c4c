// Package broker wires the services of one broker together and owns their
// start-up and shutdown: the Raft metadata node, the data directory, the
// partition replicas and (later) the coordinators. It turns each new metadata
// image into partition state: a broker becomes leader or follower of a
// partition by reacting to the image, never to a direct call.
package broker

import (
	"context"
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
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/group"
	"github.com/gregor-streaming/gregor/internal/replica"
	"github.com/gregor-streaming/gregor/internal/storage"
)

// Broker is one running broker's services. Handlers reach everything through it.
type Broker struct {
	Config   *config.Broker
	NodeID   int32
	Host     string // advertised host
	Port     int32  // advertised port
	Log      *slog.Logger
	Registry *prometheus.Registry

	Meta     *cluster.Node
	Data     *storage.Dir
	Replicas *replica.Manager
	Sessions *FetchSessions
	Metrics  *Metrics
	Groups   *group.Coordinator

	pids producerIDs

	reconcileMu sync.Mutex
	stop        chan struct{}
	wg          sync.WaitGroup
	closeErr    error
	once        sync.Once
}

// Options are the run-time pieces a broker is started with.
type Options struct {
	// Advertised is the address clients are told to use (host:port).
	Advertised string
	Logger     *slog.Logger
	Registry   *prometheus.Registry
}

// Start opens the metadata log, waits for it to be ready, registers this
// broker, opens the data directory and takes up the partitions the metadata
// assigns here.
func Start(ctx context.Context, cfg *config.Broker, opts Options) (*Broker, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	host, portStr, err := net.SplitHostPort(opts.Advertised)
	if err != nil {
		return nil, fmt.Errorf("broker: advertised address %q: %w", opts.Advertised, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return nil, fmt.Errorf("broker: advertised address %q: bad port", opts.Advertised)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("broker: data dir: %w", err)
	}
	b := &Broker{
		Config:   cfg,
		NodeID:   cfg.NodeID,
		Host:     host,
		Port:     int32(port),
		Log:      log,
		Registry: reg,
		Sessions: NewFetchSessions(int(cfg.MaxIncrementalFetchSessionCacheSlots)),
		stop:     make(chan struct{}),
	}
	b.Metrics = newMetrics(reg, b)
	voters, err := cluster.ParseVoters(cfg.Voters)
	if err != nil {
		return nil, err
	}
	b.Meta, err = cluster.Start(cluster.Config{
		NodeID:     cfg.NodeID,
		Dir:        filepath.Join(cfg.DataDir, "meta"),
		RaftListen: cfg.ControllerListen,
		Voters:     voters,
		Logger:     log.With("component", "raft"),
	})
	if err != nil {
		return nil, err
	}
	if err := b.Meta.WaitReady(ctx); err != nil {
		b.Meta.Close()
		return nil, fmt.Errorf("broker: metadata log not ready: %w", err)
	}
	if err := b.register(ctx); err != nil {
		b.Meta.Close()
		return nil, err
	}

	img := b.Meta.Image()
	b.Data, err = storage.OpenDir(cfg.DataDir, storage.Options{Logger: log.With("component", "storage")}, func(topic string, partition int32) storage.Config {
		if t := img.Topics[topic]; t != nil {
			return b.storageConfig(img, t)
		}
		return storage.DefaultConfig()
	})
	if err != nil {
		b.Meta.Close()
		return nil, err
	}
	b.Replicas = replica.NewManager(replica.Config{NodeID: cfg.NodeID, Dir: b.Data, Logger: log.With("component", "replica"), Registerer: reg})
	b.Groups = b.newGroupCoordinator()
	b.reconcile(img, true)
	b.Data.StartBackground(context.Background())

	b.wg.Add(1)
	go b.follow()
	return b, nil
}

// register records this incarnation of the broker and its advertised
// endpoint in the metadata log; the registration's index is the broker epoch
// that fences an older incarnation of the same node id.
func (b *Broker) register(ctx context.Context) error {
	res, err := b.Meta.Propose(ctx, cluster.RegisterBroker{ID: b.NodeID, Host: b.Host, Port: b.Port, Rack: b.Config.BrokerRack, Incarnation: uuid.New()})
	if err == nil {
		err = res.Err
	}
	if err != nil {
		return fmt.Errorf("broker: register broker %d: %w", b.NodeID, err)
	}
	return nil
}

// follow applies each new metadata image to the partitions. Each image's
// Changed channel closes when a newer one replaces it.
func (b *Broker) follow() {
	defer b.wg.Done()
	for img := b.Meta.Image(); ; img = b.Meta.Image() {
		select {
		case <-b.stop:
			return
		case <-img.Changed():
			b.Reconcile()
		}
	}
}

// reconcile makes the hosted partitions match img: partitions of deleted or
// recreated topics go, assigned ones are opened, leadership follows the image.
// At start-up it also removes logs on disk that the metadata no longer knows.
func (b *Broker) reconcile(img *cluster.Image, startup bool) {
	for _, p := range b.Replicas.All() {
		t := img.Topics[p.Topic]
		if t == nil || t.ID != p.TopicID || int(p.Index) >= len(t.Partitions) || !contains(t.Partitions[p.Index].Replicas, b.NodeID) {
			b.Log.Info("removing partition", "topic", p.Topic, "partition", p.Index)
			b.Replicas.Remove(p.Topic, p.Index)
		}
	}
	for _, t := range img.Topics {
		var cfg storage.Config
		var tc config.Topic
		resolved := false
		for _, pi := range t.Partitions {
			if !contains(pi.Replicas, b.NodeID) {
				continue
			}
			if !resolved {
				cfg, tc = b.partitionConfig(img, t)
				resolved = true
			}
			_, err := b.Replicas.Ensure(replica.Assignment{
				Topic: t.Name, TopicID: t.ID, Partition: pi.Partition,
				Leader: pi.Leader, LeaderEpoch: pi.LeaderEpoch, ISR: pi.ISR,
				MinInsync: tc.MinInsyncReplicas, Config: cfg,
				TimestampBeforeMaxMs: tc.TimestampBeforeMaxMs, TimestampAfterMaxMs: tc.TimestampAfterMaxMs,
			})
			if err != nil {
				b.Log.Error("taking up partition", "topic", t.Name, "partition", pi.Partition, "err", err)
			}
		}
	}
	if startup {
		for _, l := range b.Data.All() {
			t := img.Topics[l.Topic()]
			if t == nil || int(l.Partition()) >= len(t.Partitions) || !contains(t.Partitions[l.Partition()].Replicas, b.NodeID) {
				b.Log.Info("removing log of a partition the metadata does not assign here", "topic", l.Topic(), "partition", l.Partition())
				if err := b.Data.Remove(l.Topic(), l.Partition()); err != nil {
					b.Log.Error("removing stray log", "topic", l.Topic(), "partition", l.Partition(), "err", err)
				}
			}
		}
	}
	b.reconcileGroups(img)
}

// TopicConfig resolves a topic's configuration: topic overrides, then dynamic
// broker configs, then the static configuration, then Kafka's defaults.
func (b *Broker) TopicConfig(img *cluster.Image, t *cluster.TopicImage) (config.Topic, error) {
	return config.ResolveTopic(t.Configs, b.DynamicBrokerConfig(img), b.Config)
}

// dynamicBrokerConfig merges the cluster-wide dynamic defaults with this
// broker's own dynamic configs (which win).
func (b *Broker) DynamicBrokerConfig(img *cluster.Image) map[string]string {
	def := img.BrokerConfigs[""]
	own := img.BrokerConfigs[strconv.Itoa(int(b.NodeID))]
	if len(own) == 0 {
		return def
	}
	m := make(map[string]string, len(def)+len(own))
	for k, v := range def {
		m[k] = v
	}
	for k, v := range own {
		m[k] = v
	}
	return m
}

// partitionConfig is what a topic's configuration means for its partitions:
// the log's settings, and the resolved configuration for the rest.
func (b *Broker) partitionConfig(img *cluster.Image, t *cluster.TopicImage) (storage.Config, config.Topic) {
	tc, err := b.TopicConfig(img, t)
	if err != nil {
		b.Log.Error("topic config does not resolve, using defaults", "topic", t.Name, "err", err)
		tc, _ = config.ResolveTopic(nil, nil, b.Config)
	}
	return StorageConfig(tc), tc
}

// storageConfig is the storage view of a topic's configuration.
func (b *Broker) storageConfig(img *cluster.Image, t *cluster.TopicImage) storage.Config {
	c, _ := b.partitionConfig(img, t)
	return c
}

// StorageConfig maps a resolved topic configuration to the log's settings.
func StorageConfig(tc config.Topic) storage.Config {
	c := storage.DefaultConfig()
	c.SegmentBytes = tc.SegmentBytes
	c.SegmentMs = tc.SegmentMs
	c.SegmentIndexBytes = tc.SegmentIndexBytes
	c.IndexIntervalBytes = tc.IndexIntervalBytes
	c.RetentionMs = tc.RetentionMs
	c.RetentionBytes = tc.RetentionBytes
	c.CleanupPolicy = tc.CleanupPolicy
	c.DeleteRetentionMs = tc.DeleteRetentionMs
	c.MinCleanableDirtyRatio = tc.MinCleanableDirtyRatio
	c.MinCompactionLagMs = tc.MinCompactionLagMs
	c.MaxCompactionLagMs = tc.MaxCompactionLagMs
	c.FlushMessages = tc.FlushMessages
	c.FlushMs = tc.FlushMs
	c.FileDeleteDelayMs = tc.FileDeleteDelayMs
	c.LogAppendTime = tc.MessageTimestampType == "LogAppendTime"
	c.MaxMessageBytes = tc.MaxMessageBytes
	return c
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Close shuts the broker's services down in dependency order: partitions are
// synced, the data directory writes its checkpoints and clean-shutdown
// marker, then the metadata node stops. Call it after the listeners stopped.
func (b *Broker) Close() error {
	b.once.Do(func() {
		close(b.stop)
		b.wg.Wait()
		var errs []error
		b.Groups.Close()
		b.Replicas.Close()
		if err := b.Data.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := b.Meta.Close(); err != nil {
			errs = append(errs, err)
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// ProposeTimeout bounds metadata changes made on behalf of a request.
const ProposeTimeout = 30 * time.Second
