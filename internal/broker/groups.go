package broker

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/group"
)

// newGroupCoordinator builds the group coordinator from the broker config.
func (b *Broker) newGroupCoordinator() *group.Coordinator {
	c := b.Config
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	return group.New(group.Config{
		InitialRebalanceDelay:     ms(c.GroupInitialRebalanceDelayMs),
		MinSessionTimeout:         ms(c.GroupMinSessionTimeoutMs),
		MaxSessionTimeout:         ms(c.GroupMaxSessionTimeoutMs),
		MaxSize:                   int(c.GroupMaxSize),
		OffsetsRetention:          time.Duration(c.OffsetsRetentionMinutes) * time.Minute,
		RetentionCheckInterval:    ms(c.OffsetsRetentionCheckIntervalMs),
		ConsumerSessionTimeout:    ms(c.GroupConsumerSessionTimeoutMs),
		ConsumerHeartbeatInterval: ms(c.GroupConsumerHeartbeatMs),
		ConsumerMaxSize:           int(c.GroupConsumerMaxSize),
		ConsumerTimeouts: func(id string) (time.Duration, time.Duration) {
			return config.ResolveGroup(b.Meta.Image().GroupConfigs[id], c)
		},
		Image:  b.Meta.Image,
		Logger: b.Log.With("component", "group"),
	})
}

// reconcileGroups tells the coordinator which __consumer_offsets partitions
// this broker leads in img; called at the end of every reconcile.
func (b *Broker) reconcileGroups(img *cluster.Image) {
	if b.Groups == nil {
		return
	}
	t := img.Topics[group.OffsetsTopic]
	if t == nil {
		b.Groups.Reconcile(0, nil)
		return
	}
	var led []group.Leadership
	for _, pi := range t.Partitions {
		if pi.Leader != b.NodeID {
			continue
		}
		p := b.Replicas.Get(t.Name, pi.Partition)
		if p == nil || !p.IsLeader() {
			continue
		}
		led = append(led, group.Leadership{Partition: pi.Partition, Replica: p, LeaderEpoch: p.LeaderEpoch()})
	}
	b.Groups.Reconcile(int32(len(t.Partitions)), led)
}

// EnsureOffsetsTopic creates __consumer_offsets if it does not exist, the
// way Kafka does on the first FindCoordinator: offsets.topic.num.partitions
// partitions, compacted, replication factor offsets.topic.replication.factor
// capped at the live brokers (a one-node cluster must not be stuck on 3).
func (b *Broker) EnsureOffsetsTopic(ctx context.Context) error {
	img := b.Meta.Image()
	if img.Topics[group.OffsetsTopic] != nil {
		return nil
	}
	live := 0
	for _, bi := range img.Brokers {
		if !bi.Fenced {
			live++
		}
	}
	cmd := cluster.CreateTopic{
		Name:              group.OffsetsTopic,
		Partitions:        b.Config.OffsetsTopicNumPartitions,
		ReplicationFactor: config.CapReplicationFactor(b.Config.OffsetsTopicReplicationFactor, live),
		Configs: map[string]string{
			"cleanup.policy":   "compact",
			"compression.type": "producer",
			"segment.bytes":    strconv.Itoa(int(b.Config.OffsetsTopicSegmentBytes)),
		},
	}
	_, err := b.CreateTopic(ctx, cmd)
	if err != nil && !errors.Is(err, cluster.ErrTopicExists) {
		return err
	}
	if err == nil {
		b.Log.Info("created the offsets topic", "topic", group.OffsetsTopic, "partitions", cmd.Partitions, "replication_factor", cmd.ReplicationFactor)
	}
	return nil
}
