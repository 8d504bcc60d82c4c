package itest

// Consumer groups driven by real clients: franz-go (eager range,
// cooperative-sticky, KIP-848), sarama, segmentio/kafka-go and kcat.
// Every test joins, consumes, commits, restarts the consumer and checks that
// it resumes from the committed offsets.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// groupBroker is a broker whose groups settle quickly: no initial rebalance
// delay and short KIP-848 heartbeats.
func groupBroker(t *testing.T, extra ...testutil.Option) *testutil.Broker {
	t.Helper()
	opts := append([]testutil.Option{testutil.WithProps(map[string]string{
		"group.initial.rebalance.delay.ms":         "0",
		"group.consumer.heartbeat.interval.ms":     "500",
		"group.consumer.min.heartbeat.interval.ms": "100",
	})}, extra...)
	return testutil.NewBroker(t, opts...)
}

// produceValues writes n records "prefix-i" round-robin over the partitions
// and returns how many went to each.
func produceValues(t *testing.T, b *testutil.Broker, topic, prefix string, n int) map[int32]int {
	t.Helper()
	cl := b.Client(t, kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	ctx := ctxT(t, 60*time.Second)
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Value: []byte(prefix + "-" + strconv.Itoa(i))})
	}
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	per := map[int32]int{}
	for _, r := range res {
		per[r.Record.Partition]++
	}
	return per
}

// groupConsume runs one franz-go group member until it has seen want
// distinct values with the prefix, commits and leaves. It returns every value
// it saw (duplicates included).
func groupConsume(t *testing.T, b *testutil.Broker, group, topic, prefix string, want int, opts ...kgo.Opt) []string {
	t.Helper()
	all := append([]kgo.Opt{
		kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.FetchMaxWait(200 * time.Millisecond),
	}, opts...)
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr())}, all...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ctxT(t, 60*time.Second)
	var seen []string
	distinct := map[string]bool{}
	for len(distinct) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("group %s: saw %d of %d values: %v", group, len(distinct), want, ctx.Err())
		}
		fs.EachError(func(tp string, p int32, err error) { t.Logf("fetch %s/%d: %v", tp, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			seen = append(seen, v)
			if len(v) > len(prefix) && v[:len(prefix)+1] == prefix+"-" {
				distinct[v] = true
			}
		})
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	cl.LeaveGroup()
	return seen
}

// checkCommittedAtEnd checks that the group's committed offsets equal the
// topic's end offsets.
func checkCommittedAtEnd(t *testing.T, adm *kadm.Client, group, topic string) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		c, ok := committed.Lookup(topic, o.Partition)
		if !ok || c.At != o.Offset {
			t.Errorf("group %s %s/%d: committed %+v (found %v), end offset %d", group, topic, o.Partition, c.At, ok, o.Offset)
		}
	})
}

// resumeTest is the shape every client test follows with franz-go options:
// consume everything, commit, produce more, consume again with a new member
// and see only the new records.
func resumeTest(t *testing.T, b *testutil.Broker, group string, opts ...kgo.Opt) {
	adm := b.Admin(t)
	topic := "t-" + group
	createTopic(t, adm, topic, 4, nil)
	produceValues(t, b, topic, "a", 100)
	seen := groupConsume(t, b, group, topic, "a", 100, opts...)
	if len(seen) != 100 {
		t.Errorf("first member saw %d records, want 100", len(seen))
	}
	checkCommittedAtEnd(t, adm, group, topic)

	produceValues(t, b, topic, "b", 40)
	seen = groupConsume(t, b, group, topic, "b", 40, opts...)
	for _, v := range seen {
		if v[0] != 'b' {
			t.Fatalf("restarted member re-read %q: it did not resume from the committed offsets", v)
		}
	}
	checkCommittedAtEnd(t, adm, group, topic)
}

func TestGroupFranzEagerRange(t *testing.T) {
	b := groupBroker(t)
	resumeTest(t, b, "eager", kgo.Balancers(kgo.RangeBalancer()))
}

func TestGroupFranzCooperativeSticky(t *testing.T) {
	b := groupBroker(t)
	resumeTest(t, b, "coop", kgo.Balancers(kgo.CooperativeStickyBalancer()))
}

// TestGroupSplitAndTakeover runs two members: they split the partitions, and
// when one leaves the other takes over all of them.
func TestGroupSplitAndTakeover(t *testing.T) {
	for _, bal := range []struct {
		name string
		opt  []kgo.Opt
	}{
		{"range", []kgo.Opt{kgo.Balancers(kgo.RangeBalancer())}},
		{"cooperative", []kgo.Opt{kgo.Balancers(kgo.CooperativeStickyBalancer())}},
		{"kip848", []kgo.Opt{kgo.Balancers(kgo.CooperativeStickyBalancer()), kgo.ServerSideBalancer()}},
	} {
		t.Run(bal.name, func(t *testing.T) {
			b := groupBroker(t)
			topic := "split"
			createTopic(t, b.Admin(t), topic, 4, nil)
			var mu sync.Mutex
			owned := map[string]map[int32]bool{}
			mk := func(name string) *kgo.Client {
				return b.Client(t, append([]kgo.Opt{kgo.ConsumerGroup("split-" + bal.name), kgo.ConsumeTopics(topic), kgo.HeartbeatInterval(200 * time.Millisecond),
					kgo.FetchMaxWait(200 * time.Millisecond)}, append(bal.opt,
					kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
						mu.Lock()
						defer mu.Unlock()
						if owned[name] == nil {
							owned[name] = map[int32]bool{}
						}
						for _, p := range m[topic] {
							owned[name][p] = true
						}
					}),
					kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
						mu.Lock()
						defer mu.Unlock()
						for _, p := range m[topic] {
							delete(owned[name], p)
						}
					}),
					kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
						mu.Lock()
						defer mu.Unlock()
						for _, p := range m[topic] {
							delete(owned[name], p)
						}
					}),
				)...)...)
			}
			poll := func(ctx context.Context, cl *kgo.Client) {
				for ctx.Err() == nil {
					cl.PollFetches(ctx)
				}
			}
			c1, c2 := mk("c1"), mk("c2")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go poll(ctx, c1)
			ctx2, cancel2 := context.WithCancel(ctx)
			go poll(ctx2, c2)
			testutil.Eventually(t, 30*time.Second, func() error {
				mu.Lock()
				defer mu.Unlock()
				if len(owned["c1"]) != 2 || len(owned["c2"]) != 2 {
					return fmt.Errorf("owned: %v", owned)
				}
				for p := range owned["c1"] {
					if owned["c2"][p] {
						return fmt.Errorf("partition %d owned twice: %v", p, owned)
					}
				}
				return nil
			})
			cancel2()
			c2.Close() // leaves the group
			testutil.Eventually(t, 30*time.Second, func() error {
				mu.Lock()
				defer mu.Unlock()
				if len(owned["c1"]) != 4 {
					return fmt.Errorf("after c2 left, c1 owns %v", owned["c1"])
				}
				return nil
			})
		})
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func itoa(i int) string { return strconv.Itoa(i) }

func TestGroupFranzKIP848(t *testing.T) {
	b := groupBroker(t)
	for _, bal := range []struct {
		name string
		opt  kgo.Opt
	}{
		{"uniform", kgo.Balancers(kgo.CooperativeStickyBalancer())},
		{"range", kgo.Balancers(kgo.RangeBalancer())},
	} {
		t.Run(bal.name, func(t *testing.T) {
			resumeTest(t, b, "kip848-"+bal.name, bal.opt, kgo.ServerSideBalancer())
			// The group really ran the consumer protocol.
			cl := b.Client(t)
			req := kmsg.NewPtrListGroupsRequest()
			req.TypesFilter = []string{"consumer"}
			resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, g := range resp.Groups {
				found = found || g.Group == "kip848-"+bal.name
			}
			if !found {
				t.Fatalf("group kip848-%s is not listed as a consumer group: %+v", bal.name, resp.Groups)
			}
		})
	}
}

// ApiVersions v3+ advertises group.version 1 as finalized once KIP-848
// groups are complete; clients that gate the consumer protocol on it (the
// Java client and its tools) use them.
func TestGroupVersionFeature(t *testing.T) {
	b := groupBroker(t)
	cl := b.Client(t)
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "gregor-itest", "1.0"
	resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != 0 {
		t.Fatalf("error code %d", resp.ErrorCode)
	}
	var supported, finalized bool
	for _, f := range resp.SupportedFeatures {
		if f.Name == "group.version" {
			supported = f.MinVersion == 0 && f.MaxVersion == 1
		}
	}
	for _, f := range resp.FinalizedFeatures {
		if f.Name == "group.version" {
			finalized = f.MinVersionLevel == 1 && f.MaxVersionLevel == 1
		}
	}
	if !supported || !finalized || resp.FinalizedFeaturesEpoch < 0 {
		t.Fatalf("group.version not advertised: supported %+v finalized %+v epoch %d", resp.SupportedFeatures, resp.FinalizedFeatures, resp.FinalizedFeaturesEpoch)
	}
	// ConsumerGroupHeartbeat v1 is served alongside.
	found := false
	for _, k := range resp.ApiKeys {
		found = found || (k.ApiKey == 68 && k.MaxVersion >= 1)
	}
	if !found {
		t.Fatal("ConsumerGroupHeartbeat v1 is not advertised with group.version 1")
	}
}

// TestGroupKIP848RegexMatchesInternalTopics: a KIP-848 regex subscription is
// resolved by the broker against every topic, internal ones included, as
// Kafka does (franz-go's Test848RegexBrokerResolves checks the same); the
// client then consumes what the broker assigned.
func TestGroupKIP848RegexMatchesInternalTopics(t *testing.T) {
	b := groupBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "rx-orders", 1, nil)
	createTopic(t, adm, "rx-orders-v2", 1, nil)
	createTopic(t, adm, "rx-other", 1, nil)
	p := b.Client(t)
	for _, topic := range []string{"rx-orders", "rx-orders-v2", "rx-other"} {
		if err := p.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl := b.Client(t,
		kgo.ServerSideBalancer(),
		kgo.ConsumerGroup("rx-group"),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics("rx-orders.*", "__consumer_offsets"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.MetadataMinAge(100*time.Millisecond),
		kgo.FetchMaxWait(250*time.Millisecond),
	)
	ctx := ctxT(t, 30*time.Second)
	seen := map[string]bool{}
	for !(seen["rx-orders"] && seen["rx-orders-v2"]) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed only from %v", seen)
		}
		fs.EachRecord(func(r *kgo.Record) { seen[r.Topic] = true })
	}
	if seen["rx-other"] {
		t.Fatal("consumed from rx-other, which the regexes do not match")
	}
	testutil.Eventually(t, 15*time.Second, func() error {
		if !slices.Contains(cl.GetConsumeTopics(), "__consumer_offsets") {
			return fmt.Errorf("__consumer_offsets not assigned; consuming %v", cl.GetConsumeTopics())
		}
		return nil
	})
}
