package broker

import (
	"context"
	"sync"

	"github.com/gregor-streaming/gregor/internal/cluster"
)

// producerIDBlock is how many producer ids one metadata command reserves
// (Kafka's controller hands out blocks of 1000 as well).
const producerIDBlock = 1000

// producerIDs hands out producer ids that are unique for the cluster's
// life: blocks are reserved through the metadata log, so a restart or another
// broker never reuses one.
type producerIDs struct {
	mu        sync.Mutex
	next, end int64
}

// NextProducerID returns a fresh producer id.
func (b *Broker) NextProducerID(ctx context.Context) (int64, error) {
	p := &b.pids
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.end {
		res, err := b.Meta.Propose(ctx, cluster.AllocateProducerIDs{Count: producerIDBlock})
		if err == nil {
			err = res.Err
		}
		if err != nil {
			return -1, err
		}
		p.next, p.end = res.FirstProducerID, res.FirstProducerID+producerIDBlock
	}
	id := p.next
	p.next++
	return id, nil
}
