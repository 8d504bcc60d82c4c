package itest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func createTopic(t *testing.T, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := adm.CreateTopic(ctxT(t, 30*time.Second), partitions, 1, configs, topic)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", topic, resp.Err, resp.ErrMessage)
	}
}

// consumeN reads n records from the start of every partition of topic.
func consumeN(t *testing.T, b *testutil.Broker, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := b.Client(t, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := ctxT(t, 60*time.Second)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", len(out), n, err)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s/%d: %v", topic, p, err)
		})
		out = append(out, fs.Records()...)
	}
	return out
}

func TestProduceConsumeEveryCodec(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	for name, codec := range codecs {
		t.Run(name, func(t *testing.T) {
			topic := "codec-" + name
			createTopic(t, adm, topic, 3, nil)
			const n = 2000
			p := b.Client(t, kgo.ProducerBatchCompression(codec), kgo.DefaultProduceTopic(topic))
			var recs []*kgo.Record
			for i := 0; i < n; i++ {
				recs = append(recs, &kgo.Record{
					Key:     []byte("key-" + strconv.Itoa(i%17)),
					Value:   []byte(fmt.Sprintf("value %d of a compressible payload payload payload", i)),
					Headers: []kgo.RecordHeader{{Key: "i", Value: []byte(strconv.Itoa(i))}},
				})
			}
			if err := p.ProduceSync(ctxT(t, 60*time.Second), recs...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
			got := consumeN(t, b, topic, n)
			if len(got) != n {
				t.Fatalf("consumed %d records, want %d", len(got), n)
			}
			// Every key stays on one partition, in produce order.
			keyPart := map[string]int32{}
			lastI := map[string]int{}
			parts := map[int32]bool{}
			for _, r := range got {
				k := string(r.Key)
				if p, ok := keyPart[k]; ok && p != r.Partition {
					t.Fatalf("key %s on partitions %d and %d", k, p, r.Partition)
				}
				keyPart[k] = r.Partition
				parts[r.Partition] = true
				i, _ := strconv.Atoi(string(r.Headers[0].Value))
				if prev, ok := lastI[k]; ok && i <= prev {
					t.Fatalf("key %s: record %d after %d", k, i, prev)
				}
				lastI[k] = i
				if want := fmt.Sprintf("value %d of a compressible payload payload payload", i); string(r.Value) != want {
					t.Fatalf("record %d value %q", i, r.Value)
				}
			}
			if len(parts) != 3 {
				t.Fatalf("17 keys used %d of 3 partitions", len(parts))
			}
		})
	}
}

func TestOffsetsAreDenseAndAcksLevels(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "acks", 1, nil)
	for _, acks := range []kgo.Acks{kgo.AllISRAcks(), kgo.LeaderAck(), kgo.NoAck()} {
		opts := []kgo.Opt{kgo.RequiredAcks(acks), kgo.DefaultProduceTopic("acks")}
		if acks != kgo.AllISRAcks() {
			opts = append(opts, kgo.DisableIdempotentWrite())
		}
		p := b.Client(t, opts...)
		for i := 0; i < 50; i++ {
			if err := p.ProduceSync(ctxT(t, 30*time.Second), kgo.StringRecord("x")).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
		}
	}
	got := consumeN(t, b, "acks", 150)
	for i, r := range got {
		if r.Offset != int64(i) {
			t.Fatalf("record %d has offset %d", i, r.Offset)
		}
	}
}

func TestLongPollWakesOnProduce(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "poll", 1, nil)
	c := b.Client(t, kgo.ConsumeTopics("poll"), kgo.FetchMaxWait(20*time.Second))
	// Let the consumer park a fetch on the empty partition first.
	done := make(chan []*kgo.Record)
	go func() {
		fs := c.PollFetches(ctxT(t, 30*time.Second))
		done <- fs.Records()
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	p := b.Client(t, kgo.DefaultProduceTopic("poll"))
	if err := p.ProduceSync(ctxT(t, 10*time.Second), kgo.StringRecord("wake")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	select {
	case recs := <-done:
		if len(recs) != 1 || string(recs[0].Value) != "wake" {
			t.Fatalf("got %v", recs)
		}
		// The parked fetch must wake on the new data, not at max wait.
		if waited := time.Since(start); waited > 10*time.Second {
			t.Fatalf("fetch answered after %v: it waited for max wait", waited)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("parked fetch never answered")
	}
}

func TestMetadataAutoCreateAndUnknownTopic(t *testing.T) {
	b := testutil.NewBroker(t)
	p := b.Client(t, kgo.DefaultProduceTopic("auto-created"), kgo.AllowAutoTopicCreation())
	if err := p.ProduceSync(ctxT(t, 30*time.Second), kgo.StringRecord("hi")).FirstErr(); err != nil {
		t.Fatalf("produce to auto-created topic: %v", err)
	}
	adm := b.Admin(t)
	td, err := adm.ListTopics(ctxT(t, 10*time.Second), "auto-created")
	if err != nil {
		t.Fatal(err)
	}
	d := td["auto-created"]
	if d.Err != nil || len(d.Partitions) != 1 || d.ID == [16]byte{} {
		t.Fatalf("auto-created topic: err %v, %d partitions, id %v", d.Err, len(d.Partitions), d.ID)
	}

	off := testutil.NewBroker(t, testutil.WithProps(map[string]string{"auto.create.topics.enable": "false"}))
	md, err := off.Admin(t).Metadata(ctxT(t, 10*time.Second), "nope")
	if err != nil {
		t.Fatal(err)
	}
	if err := md.Topics["nope"].Err; !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("unknown topic: got %v", err)
	}
}

func TestRestartKeepsDataAndIdempotence(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "durable", 2, nil)
	p := b.Client(t, kgo.DefaultProduceTopic("durable"))
	for i := 0; i < 100; i++ {
		r := kgo.StringRecord(strconv.Itoa(i))
		r.Key = []byte(strconv.Itoa(i % 5))
		if err := p.ProduceSync(ctxT(t, 30*time.Second), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	b.Restart()
	if got := consumeN(t, b, "durable", 100); len(got) != 100 {
		t.Fatalf("after restart: %d records", len(got))
	}
	// New writes continue at the next offsets.
	p2 := b.Client(t, kgo.DefaultProduceTopic("durable"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	r := &kgo.Record{Value: []byte("after"), Partition: 0}
	if err := p2.ProduceSync(ctxT(t, 30*time.Second), r).FirstErr(); err != nil {
		t.Fatal(err)
	}
	offs, err := b.Admin(t).ListEndOffsets(ctxT(t, 10*time.Second), "durable")
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	offs.Each(func(o kadm.ListedOffset) { total += o.Offset })
	if total != 101 || r.Offset != offs["durable"][0].Offset-1 {
		t.Fatalf("end offsets sum %d (want 101), record offset %d", total, r.Offset)
	}
}

func newAdmin(t *testing.T, addr string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// consumeAddr reads n records from the start of topic at addr.
func consumeAddr(t *testing.T, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ctxT(t, 60*time.Second)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d", len(out), n)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

// runGregor runs the gregor binary with args.
func runGregor(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(testutil.GregorBinary(t), args...).CombinedOutput()
	return string(out), err
}

// TestMetadataAutoCreateAnswersLikeKafka: the Metadata request that
// auto-creates a topic answers it LEADER_NOT_AVAILABLE without partitions,
// as Kafka's asynchronous auto-creation does; the next request finds it.
// kafka-go's test suite relies on this when it reads the partitions of a
// topic it just deleted and expects none.
func TestMetadataAutoCreateAnswersLikeKafka(t *testing.T) {
	b := testutil.NewBroker(t)
	cl := b.Client(t)
	metadata := func(topic string, version int16) kmsg.MetadataResponseTopic {
		t.Helper()
		req := kmsg.NewPtrMetadataRequest()
		req.Version = version
		req.AllowAutoTopicCreation = true
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0]
	}
	for _, version := range []int16{1, 12} {
		topic := fmt.Sprintf("lazy-%d", version)
		if first := metadata(topic, version); first.ErrorCode != kerr.LeaderNotAvailable.Code || len(first.Partitions) != 0 {
			t.Fatalf("v%d creating request: error %d, %d partitions", version, first.ErrorCode, len(first.Partitions))
		}
		if second := metadata(topic, version); second.ErrorCode != 0 || len(second.Partitions) != 1 {
			t.Fatalf("v%d next request: error %d, %d partitions", version, second.ErrorCode, len(second.Partitions))
		}
	}

	// Deleting, then asking for the topic: recreated, but not in that answer.
	adm := b.Admin(t)
	createTopic(t, adm, "gone", 3, nil)
	if _, err := adm.DeleteTopic(ctxT(t, 10*time.Second), "gone"); err != nil {
		t.Fatal(err)
	}
	if md := metadata("gone", 1); len(md.Partitions) != 0 {
		t.Fatalf("deleted topic answered with %d partitions", len(md.Partitions))
	}
}
