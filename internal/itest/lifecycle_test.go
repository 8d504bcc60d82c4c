package itest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// TestSIGTERMShutsDownCleanly stops a `gregor serve` process with SIGTERM:
// it exits 0 after syncing, every partition records a clean shutdown, and a
// restart needs no recovery and serves everything written.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	dir := t.TempDir()
	proc := testutil.StartProcess(t, dir)
	cl, err := kgo.NewClient(kgo.SeedBrokers(proc.Addr), kgo.DefaultProduceTopic("term"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := cl.ProduceSync(ctxT(t, 20*time.Second), kgo.StringRecord("x")).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	cl.Close()
	if err := proc.Stop(); err != nil {
		t.Fatalf("gregor serve exited with %v after SIGTERM", err)
	}
	cp, err := os.ReadFile(filepath.Join(dir, "term-0", "partition.checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := runGregor(t, "debug", "log", filepath.Join(dir, "term-0"))
	if err != nil || !strings.Contains(out, "clean-shutdown=true") || !strings.Contains(out, "100 records") {
		t.Fatalf("after SIGTERM (checkpoint %q): %v\n%s", cp, err, out)
	}
	proc.Start()
	if got := consumeAddr(t, proc.Addr, "term", 100); len(got) != 100 {
		t.Fatalf("read %d records after restart", len(got))
	}
}

// TestIdleAndConnectionLimits checks connections.max.idle.ms and
// max.connections.
func TestIdleAndConnectionLimits(t *testing.T) {
	b := testutil.NewBroker(t, testutil.WithProps(map[string]string{
		"connections.max.idle.ms": "300",
		"max.connections":         "3",
	}))
	idle := dialRaw(t, b.Addr())
	idle.expectClosed() // closed after 300 ms without a request
	waitConnections(t, b, 0)

	var conns []*rawConn
	for i := 0; i < 3; i++ {
		conns = append(conns, dialRaw(t, b.Addr()))
	}
	// Keep the three busy while a fourth tries.
	for _, c := range conns {
		c.roundTrip(apiVersionsReq())
	}
	extra := dialRaw(t, b.Addr())
	extra.expectClosed()
	for _, c := range conns {
		c.c.Close()
	}
	// Once the server has seen them go, new connections are served again.
	waitConnections(t, b, 0)
	dialRaw(t, b.Addr()).roundTrip(apiVersionsReq())
}

func waitConnections(t *testing.T, b *testutil.Broker, n float64) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, func() error {
		_, text := httpGet(t, "http://"+b.HTTPAddr()+"/metrics")
		if v := metricValue(t, text, "gregor_connections"); v != n {
			return fmt.Errorf("%v connections open, want %v", v, n)
		}
		return nil
	})
}

// TestShutdownDoesNotWaitForParkedFetches parks a fetch with a 60 s max wait
// and stops the broker: shutdown must not wait for it.
func TestShutdownDoesNotWaitForParkedFetches(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "parked", 1, nil)
	c := b.Client(t, kgo.ConsumeTopics("parked"), kgo.FetchMaxWait(60*time.Second))
	go c.PollFetches(ctxT(t, 90*time.Second))
	// Let the consumer's first fetch reach the broker and park.
	time.Sleep(time.Second)
	start := time.Now()
	b.Stop()
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("shutdown took %v: it waited for the parked fetch", took)
	}
}
