package itest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// TestGroupKIP848StaticMemberRejoins: a franz-go KIP-848 consumer with a
// group instance id that closes (leaving with epoch -2) and comes back as a
// new client with the same instance id within its session timeout gets its
// old partitions back, and the group does not rebalance: its epoch and the
// other member's partitions stay as they were, as in Kafka.
func TestGroupKIP848StaticMemberRejoins(t *testing.T) {
	b := groupBroker(t)
	const topic, group = "kip848-static", "kip848-static-group"
	createTopic(t, b.Admin(t), topic, 4, nil)
	produceValues(t, b, topic, "a", 20)

	mk := func(instance string) *kgo.Client {
		return b.Client(t, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ServerSideBalancer(),
			kgo.InstanceID(instance), kgo.SessionTimeout(45*time.Second),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	poll := func(cl *kgo.Client) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if cl.PollFetches(ctx).IsClientClosed() {
					return
				}
			}
		}()
	}
	c1, c2 := mk("i1"), mk("i2")
	poll(c1)
	poll(c2)

	admin := b.Client(t)
	assignedTo := func(ms []describedMember, id string) string {
		for _, m := range ms {
			if m.ID == id {
				return m.Assigned
			}
		}
		return ""
	}
	var epoch int32
	var i1Parts, i2Parts string
	testutil.Eventually(t, 30*time.Second, func() error {
		e, ae, ms, err := describeConsumerGroup(ctxT(t, 10*time.Second), admin, group)
		if err != nil {
			return err
		}
		id1, _ := c1.GroupMetadata()
		id2, _ := c2.GroupMetadata()
		i1Parts, i2Parts = assignedTo(ms, id1), assignedTo(ms, id2)
		if len(ms) != 2 || i1Parts == "" || i2Parts == "" || ae != e {
			return fmt.Errorf("epoch %d/%d members %+v", e, ae, ms)
		}
		epoch = e
		return nil
	})

	c1.Close() // a static member leaves with epoch -2: it only steps out
	c1b := mk("i1")
	poll(c1b)
	testutil.Eventually(t, 30*time.Second, func() error {
		e, ae, ms, err := describeConsumerGroup(ctxT(t, 10*time.Second), admin, group)
		if err != nil {
			return err
		}
		id, _ := c1b.GroupMetadata()
		id2, _ := c2.GroupMetadata()
		switch {
		case e != epoch:
			return fmt.Errorf("group epoch %d, was %d: the group rebalanced", e, epoch)
		case len(ms) != 2 || ae != e:
			return fmt.Errorf("epoch %d/%d members %+v", e, ae, ms)
		case assignedTo(ms, id) != i1Parts || assignedTo(ms, id2) != i2Parts:
			return fmt.Errorf("new i1 member %s owns %q (the old one owned %q), i2 owns %q (owned %q)",
				id, assignedTo(ms, id), i1Parts, assignedTo(ms, id2), i2Parts)
		}
		return nil
	})
}
