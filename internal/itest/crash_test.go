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

// TestSIGKILLLosesNoAcknowledgedWrite streams acks=all records from several
// producers into a `gregor serve` child process, kills it with SIGKILL
// mid-stream, restarts it, and checks that every acknowledged record is
// there at its acknowledged offset, exactly once, in per-partition order.
func TestSIGKILLLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("child-process crash test")
	}
	proc := testutil.StartProcess(t, t.TempDir())
	const topic = "crash"
	const partitions = 4
	adm := newAdmin(t, proc.Addr)
	createTopic(t, adm, topic, partitions, nil)

	type ack struct {
		partition int32
		offset    int64
	}
	var mu sync.Mutex
	acked := map[string]ack{}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl, err := kgo.NewClient(kgo.SeedBrokers(proc.Addr), kgo.DefaultProduceTopic(topic),
				kgo.RecordRetries(0), kgo.ProducerLinger(time.Millisecond))
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			for i := 0; ctx.Err() == nil; i++ {
				v := fmt.Sprintf("w%d-%d", w, i)
				r := &kgo.Record{Key: []byte(v), Value: []byte(v)}
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					if err == nil {
						mu.Lock()
						acked[string(r.Value)] = ack{r.Partition, r.Offset}
						mu.Unlock()
					}
				})
				if i%64 == 63 {
					time.Sleep(time.Millisecond)
				}
			}
		}(w)
	}
	testutil.Eventually(t, 60*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(acked) < 20000 {
			return fmt.Errorf("%d acknowledged so far", len(acked))
		}
		return nil
	})
	proc.Kill()
	cancel()
	wg.Wait()
	mu.Lock()
	want := make(map[string]ack, len(acked))
	for k, v := range acked {
		want[k] = v
	}
	mu.Unlock()
	t.Logf("%d records acknowledged before SIGKILL", len(want))

	proc.Start()
	cl, err := kgo.NewClient(kgo.SeedBrokers(proc.Addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ends, err := newAdmin(t, proc.Addr).ListEndOffsets(ctxT(t, 30*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, o := range ends[topic] {
		total += o.Offset
	}
	seen := map[string]ack{}
	next := map[int32]int64{}
	rctx := ctxT(t, 120*time.Second)
	for int64(len(seen)) < total {
		fs := cl.PollFetches(rctx)
		if rctx.Err() != nil {
			t.Fatalf("read %d of %d records after restart", len(seen), total)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != next[r.Partition] {
				t.Fatalf("partition %d: offset %d after %d (gap or reorder)", r.Partition, r.Offset, next[r.Partition]-1)
			}
			next[r.Partition] = r.Offset + 1
			if prev, dup := seen[string(r.Value)]; dup {
				t.Fatalf("record %s twice: %v and %d/%d", r.Value, prev, r.Partition, r.Offset)
			}
			seen[string(r.Value)] = ack{r.Partition, r.Offset}
		})
	}
	for v, a := range want {
		got, ok := seen[v]
		if !ok {
			t.Fatalf("acknowledged record %s (%d/%d) lost", v, a.partition, a.offset)
		}
		if got != a {
			t.Fatalf("acknowledged record %s at %d/%d, read back at %d/%d", v, a.partition, a.offset, got.partition, got.offset)
		}
	}
	// New appends continue after the recovered end without reusing offsets.
	p, err := kgo.NewClient(kgo.SeedBrokers(proc.Addr), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := &kgo.Record{Value: []byte("after-restart"), Partition: 0}
	if err := p.ProduceSync(ctxT(t, 30*time.Second), r).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if r.Offset != next[0] {
		t.Fatalf("first record after restart got offset %d, want %d", r.Offset, next[0])
	}
}
