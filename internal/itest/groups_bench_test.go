package itest

// Group benchmarks:
//
//	BenchmarkGroupSettle: time for a 10-member group to settle after one
//	member leaves (every partition owned by exactly one of the 9 left),
//	classic (eager range, 100ms client heartbeats) and KIP-848 (100ms
//	server heartbeat interval). Reported as ms/settle.
//	BenchmarkGroupCommit: offset commits of one group, one at a time and
//	from 16 goroutines (fsync group commit batches them). Reported as
//	commits/s.

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

func benchBroker(b *testing.B) *testutil.Broker {
	return testutil.NewBroker(b, testutil.WithProps(map[string]string{
		"group.initial.rebalance.delay.ms":         "0",
		"group.consumer.heartbeat.interval.ms":     "100",
		"group.consumer.min.heartbeat.interval.ms": "100",
	}))
}

func BenchmarkGroupSettle(b *testing.B) {
	for _, mode := range []string{"classic", "kip848"} {
		b.Run(mode, func(b *testing.B) {
			br := benchBroker(b)
			const topic, partitions, members = "settle", 20, 10
			adm := br.Admin(b)
			if _, err := adm.CreateTopic(context.Background(), partitions, 1, nil, topic); err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			for i := 0; i < b.N; i++ {
				group := mode + "-" + strconv.Itoa(i)
				var mu sync.Mutex
				owned := map[int]map[int32]bool{}
				clients := make([]*kgo.Client, members)
				ctx, cancel := context.WithCancel(context.Background())
				for m := 0; m < members; m++ {
					m := m
					owned[m] = map[int32]bool{}
					opts := []kgo.Opt{
						kgo.SeedBrokers(br.Addr()), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
						kgo.HeartbeatInterval(100 * time.Millisecond),
						kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
							mu.Lock()
							for _, p := range a[topic] {
								owned[m][p] = true
							}
							mu.Unlock()
						}),
						kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
							mu.Lock()
							for _, p := range a[topic] {
								delete(owned[m], p)
							}
							mu.Unlock()
						}),
						kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
							mu.Lock()
							for _, p := range a[topic] {
								delete(owned[m], p)
							}
							mu.Unlock()
						}),
					}
					if mode == "kip848" {
						opts = append(opts, kgo.Balancers(kgo.CooperativeStickyBalancer()), kgo.ServerSideBalancer())
					} else {
						opts = append(opts, kgo.Balancers(kgo.RangeBalancer()))
					}
					cl, err := kgo.NewClient(opts...)
					if err != nil {
						b.Fatal(err)
					}
					clients[m] = cl
					go func() {
						for ctx.Err() == nil {
							cl.PollFetches(ctx)
						}
					}()
				}
				settled := func(live int) error {
					mu.Lock()
					defer mu.Unlock()
					seen := map[int32]bool{}
					for m := 0; m < live; m++ {
						if len(owned[m]) == 0 {
							return fmt.Errorf("member %d owns nothing", m)
						}
						for p := range owned[m] {
							if seen[p] {
								return fmt.Errorf("partition %d owned twice", p)
							}
							seen[p] = true
						}
					}
					if len(seen) != partitions {
						return fmt.Errorf("%d of %d partitions owned", len(seen), partitions)
					}
					return nil
				}
				testutil.Eventually(b, 60*time.Second, func() error { return settled(members) })
				start := time.Now()
				clients[members-1].Close()
				testutil.Eventually(b, 60*time.Second, func() error { return settled(members - 1) })
				total += time.Since(start)
				cancel()
				for _, cl := range clients[:members-1] {
					cl.Close()
				}
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/settle")
		})
	}
}

func BenchmarkGroupCommit(b *testing.B) {
	br := benchBroker(b)
	if _, err := br.Admin(b).CreateTopic(context.Background(), 16, 1, nil, "commits"); err != nil {
		b.Fatal(err)
	}
	cl := br.Client(b)
	commit := func(p int32, off int64) {
		req := kmsg.NewPtrOffsetCommitRequest()
		req.Group = "committer"
		req.Generation = -1
		t := kmsg.NewOffsetCommitRequestTopic()
		t.Topic = "commits"
		t.Partitions = []kmsg.OffsetCommitRequestTopicPartition{{Partition: p, Offset: off, LeaderEpoch: -1}}
		req.Topics = append(req.Topics, t)
		resp, err := req.RequestWith(context.Background(), cl)
		if err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
			b.Fatalf("commit: %v %+v", err, resp)
		}
	}
	commit(0, 0) // creates __consumer_offsets and the group
	b.Run("serial", func(b *testing.B) {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			commit(0, int64(i))
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
	})
	b.Run("parallel16", func(b *testing.B) {
		var wg sync.WaitGroup
		per := (b.N + 15) / 16
		start := time.Now()
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(p int32) {
				defer wg.Done()
				for i := 0; i < per; i++ {
					commit(p, int64(i))
				}
			}(int32(g))
		}
		wg.Wait()
		b.ReportMetric(float64(per*16)/time.Since(start).Seconds(), "commits/s")
	})
}
