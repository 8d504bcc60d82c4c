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

// TestIdempotentRetriesThroughBrokenConnections produces through a proxy
// that keeps cutting every connection, so franz-go's idempotent producer
// retries batches whose first attempt may or may not have been appended.
// Every record must be in the log exactly once, in produce order.
func TestIdempotentRetriesThroughBrokenConnections(t *testing.T) {
	proxy := testutil.NewProxy(t)
	b := testutil.NewBroker(t, testutil.WithAdvertise(proxy.Addr()))
	proxy.SetTarget(b.Addr())
	createTopic(t, b.Admin(t), "retried", 1, nil)

	cl, err := kgo.NewClient(kgo.SeedBrokers(proxy.Addr()), kgo.DefaultProduceTopic("retried"),
		kgo.ProducerLinger(time.Millisecond), kgo.RequestRetries(100), kgo.RetryBackoffFn(func(int) time.Duration { return 10 * time.Millisecond }))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	stop := make(chan struct{})
	var cutter sync.WaitGroup
	cutter.Add(1)
	go func() {
		defer cutter.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
				proxy.CutAll()
			}
		}
	}()
	const n = 3000
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	for i := 0; i < n; i++ {
		wg.Add(1)
		cl.Produce(ctx, kgo.StringRecord(fmt.Sprint(i)), func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}
		})
		if i%100 == 99 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	wg.Wait()
	close(stop)
	cutter.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d records failed, first: %v", len(failed), failed[0])
	}

	got := consumeN(t, b, "retried", n)
	if len(got) != n {
		t.Fatalf("read %d records, want %d (duplicates?)", len(got), n)
	}
	for i, r := range got {
		if string(r.Value) != fmt.Sprint(i) || r.Offset != int64(i) {
			t.Fatalf("offset %d holds %q: duplicate or reordered", r.Offset, r.Value)
		}
	}
	offs, err := b.Admin(t).ListEndOffsets(ctxT(t, 10*time.Second), "retried")
	if err != nil {
		t.Fatal(err)
	}
	if end := offs["retried"][0].Offset; end != n {
		t.Fatalf("log end offset %d, want %d: a retry was appended twice", end, n)
	}
}
