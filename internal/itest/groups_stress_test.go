package itest

// Group stress: consumers join and leave at random on a 12-partition topic
// while a producer writes. At the end every produced record was consumed
// at least once, the committed offsets equal the end offsets, and at no
// generation did two members own the same partition.

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

var groupStressDuration = flag.Duration("group.stress", 8*time.Second, "how long TestGroupStress churns members")

func TestGroupStress(t *testing.T) {
	churn := *groupStressDuration
	if testing.Short() {
		churn = 5 * time.Second
	}
	const (
		topic      = "stress"
		group      = "stress"
		partitions = 12
		consumers  = 20
	)
	b := groupBroker(t)
	createTopic(t, b.Admin(t), topic, partitions, nil)

	var mu sync.Mutex
	seen := map[string]bool{}
	owners := map[int32]map[int32]string{} // generation -> partition -> member
	var violations []string

	newMember := func() *kgo.Client {
		var cl *kgo.Client
		cl = b.Client(t, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.Balancers(kgo.RangeBalancer()),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.HeartbeatInterval(200*time.Millisecond),
			kgo.SessionTimeout(6*time.Second),
			kgo.AutoCommitInterval(300*time.Millisecond),
			kgo.FetchMaxWait(100*time.Millisecond),
			kgo.OnPartitionsAssigned(func(_ context.Context, c *kgo.Client, m map[string][]int32) {
				id, gen := c.GroupMetadata()
				mu.Lock()
				defer mu.Unlock()
				if owners[gen] == nil {
					owners[gen] = map[int32]string{}
				}
				for _, p := range m[topic] {
					if o, ok := owners[gen][p]; ok && o != id {
						violations = append(violations, fmt.Sprintf("generation %d: partition %d owned by %s and %s", gen, p, o, id))
					}
					owners[gen][p] = id
				}
			}),
		)
		return cl
	}
	consume := func(ctx context.Context, cl *kgo.Client) {
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			mu.Lock()
			fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
			mu.Unlock()
		}
	}

	// The producer.
	prodCtx, stopProd := context.WithCancel(context.Background())
	defer stopProd()
	produced := map[string]bool{}
	var prodWG sync.WaitGroup
	prodWG.Add(1)
	go func() {
		defer prodWG.Done()
		pcl := b.Client(t, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
		for i := 0; prodCtx.Err() == nil; i++ {
			var recs []*kgo.Record
			for j := 0; j < 24; j++ {
				recs = append(recs, &kgo.Record{Value: []byte(strconv.Itoa(i*24 + j))})
			}
			if err := pcl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				t.Errorf("produce: %v", err)
				return
			}
			mu.Lock()
			for _, r := range recs {
				produced[string(r.Value)] = true
			}
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()

	// Members join and leave at random.
	end := time.Now().Add(churn)
	var wg sync.WaitGroup
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			for time.Now().Before(end) {
				time.Sleep(time.Duration(rng.Intn(1500)) * time.Millisecond)
				cl := newMember()
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(500+rng.Intn(3000))*time.Millisecond)
				consume(ctx, cl)
				cancel()
				cl.Close() // commits what it polled, then leaves
			}
		}(int64(c))
	}
	wg.Wait()
	stopProd()
	prodWG.Wait()

	// One last member drains the topic and commits.
	last := newMember()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { consume(ctx, last); close(done) }()
	testutil.Eventually(t, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		missing := 0
		for v := range produced {
			if !seen[v] {
				missing++
			}
		}
		if missing > 0 {
			return fmt.Errorf("%d of %d produced records not consumed yet", missing, len(produced))
		}
		return nil
	})
	cancel()
	<-done
	last.Close()
	checkCommittedAtEnd(t, b.Admin(t), group, topic)

	mu.Lock()
	defer mu.Unlock()
	for _, v := range violations {
		t.Error(v)
	}
	t.Logf("%d records produced and consumed, %d generations", len(produced), len(owners))
	if len(owners) < 5 {
		t.Errorf("only %d generations: the churn did not exercise rebalancing", len(owners))
	}
}
