package broker

import (
	"context"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

// Propose submits a metadata command and, once it is applied here, brings
// this broker's partitions up to date with the new image before returning, so
// that a client told "created" can produce to the topic at once.
func (b *Broker) Propose(ctx context.Context, cmd cluster.Command) (cluster.Result, error) {
	res, err := b.Meta.Propose(ctx, cmd)
	if err != nil {
		return res, err
	}
	if res.Err != nil {
		return res, res.Err
	}
	b.Reconcile()
	return res, nil
}

// CreateTopic creates a topic through the metadata log.
func (b *Broker) CreateTopic(ctx context.Context, cmd cluster.CreateTopic) (cluster.Result, error) {
	return b.Propose(ctx, cmd)
}

// Reconcile applies the current metadata image to the hosted partitions now
// (it also happens in the background on every change).
func (b *Broker) Reconcile() {
	b.reconcileMu.Lock()
	defer b.reconcileMu.Unlock()
	b.reconcile(b.Meta.Image(), false)
}

// DefaultReplicationFactor is default.replication.factor.
func (b *Broker) DefaultReplicationFactor() int16 {
	return b.Config.DefaultReplicationFactor
}
