// Package testutil starts real Gregor brokers inside a test process: each
// with its own temporary data directory and free loopback ports, logs routed
// to the test's log, and everything stopped by t.Cleanup. Integration tests
// drive them with real Kafka clients.
package testutil

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/server"
)

// Broker is an in-process single-node Gregor broker.
type Broker struct {
	t    testing.TB
	logs *tWriter
	cfg  *config.Broker
	node *server.Node
	addr string
}

// Option changes a test broker's configuration before it starts.
type Option func(*config.Broker)

// WithProps applies Kafka broker properties.
func WithProps(props map[string]string) Option {
	return func(c *config.Broker) {
		if err := c.Apply(props); err != nil {
			panic(err)
		}
	}
}

// WithAdvertise makes the broker tell clients to connect to addr (a Proxy).
func WithAdvertise(addr string) Option {
	return func(c *config.Broker) { c.Advertise = addr }
}

// NewBroker starts a broker on 127.0.0.1 with free ports in a temporary
// directory; it is shut down when the test ends.
func NewBroker(t testing.TB, opts ...Option) *Broker {
	t.Helper()
	cfg := config.DefaultBroker()
	cfg.Listen = "127.0.0.1:0"
	cfg.Advertise = "127.0.0.1:0"
	cfg.HTTP = "127.0.0.1:0"
	cfg.ControllerListen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	for _, o := range opts {
		o(cfg)
	}
	b := &Broker{t: t, cfg: cfg}
	b.start()
	t.Cleanup(func() {
		b.Stop()
		b.logs.off.Store(true) // stray goroutines must not log to a finished test
	})
	return b
}

func (b *Broker) start() {
	b.t.Helper()
	if b.logs == nil {
		b.logs = &tWriter{t: b.t}
	}
	log := slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := *b.cfg
	if b.addr != "" {
		// A restart keeps the port clients know.
		if cfg.Advertise == cfg.Listen || cfg.Advertise == "127.0.0.1:0" {
			cfg.Advertise = b.addr
		}
		cfg.Listen = b.addr
	}
	node, err := server.StartNode(ctx, &cfg, log)
	if err != nil {
		b.t.Fatalf("starting broker: %v", err)
	}
	b.node = node
	b.addr = node.KafkaAddr().String()
}

// Addr is the broker's Kafka address.
func (b *Broker) Addr() string { return b.addr }

// HTTPAddr is the broker's HTTP address.
func (b *Broker) HTTPAddr() string { return b.node.HTTPAddr().String() }

// DataDir is the broker's data directory.
func (b *Broker) DataDir() string { return b.cfg.DataDir }

// Node is the running node (nil after Stop).
func (b *Broker) Node() *server.Node { return b.node }

// Stop shuts the broker down cleanly; it is safe to call twice.
func (b *Broker) Stop() {
	if b.node == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.node.Shutdown(ctx); err != nil {
		b.t.Errorf("stopping broker: %v", err)
	}
	b.node = nil
}

// Restart stops the broker cleanly and starts it again on the same port and
// data directory.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	b.start()
}

// Client returns a franz-go client for the broker, closed at test end.
func (b *Broker) Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.addr)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// Admin returns a kadm client for the broker.
func (b *Broker) Admin(t testing.TB) *kadm.Client {
	t.Helper()
	return kadm.NewClient(b.Client(t))
}

// FreeAddr returns a free 127.0.0.1 address.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Eventually polls cond until it returns nil or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tWriter sends log lines to t.Log until it is turned off.
type tWriter struct {
	t   testing.TB
	off atomic.Bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	if !w.off.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
