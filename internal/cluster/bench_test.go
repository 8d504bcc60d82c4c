package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// Benchmarks for the numbers issue 3 asks for:
//
//	go test -run XXX -bench . -benchtime 20x ./internal/cluster
//
// BenchmarkStartReady/empty and /restart report Start -> WaitReady time per
// op (ms/ready); BenchmarkPropose reports committed proposals per second on
// one node, sequential and with 32 concurrent proposers per CPU (raft batches them
// into one fsync).

func benchConfig(b *testing.B, dir string) Config {
	cfg := testConfig(b, 1, dir)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return cfg
}

func BenchmarkStartReady(b *testing.B) {
	b.Run("empty", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			dir := b.TempDir()
			start := time.Now()
			n, err := Start(benchConfig(b, dir))
			if err != nil {
				b.Fatal(err)
			}
			if err := n.WaitReady(context.Background()); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
			n.Close()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/ready")
	})
	b.Run("restart", func(b *testing.B) {
		dir := b.TempDir()
		n, err := Start(benchConfig(b, dir))
		if err != nil {
			b.Fatal(err)
		}
		if err := n.WaitReady(context.Background()); err != nil {
			b.Fatal(err)
		}
		register(b, n, 1)
		for i := range 100 {
			mustOK(b, n, CreateTopic{Name: fmt.Sprintf("t%d", i), Partitions: 10, ReplicationFactor: 1})
		}
		n.Close()
		var total time.Duration
		for b.Loop() {
			start := time.Now()
			n, err := Start(benchConfig(b, dir))
			if err != nil {
				b.Fatal(err)
			}
			if err := n.WaitReady(context.Background()); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
			if len(n.Image().Topics) != 100 {
				b.Fatalf("%d topics after restart, want 100", len(n.Image().Topics))
			}
			n.Close()
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/ready")
	})
}

func BenchmarkPropose(b *testing.B) {
	n, err := Start(benchConfig(b, b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	if err := n.WaitReady(context.Background()); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("sequential", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			if _, err := n.Propose(ctx, AllocateProducerIDs{Count: 1}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "proposals/s")
	})
	b.Run("parallel", func(b *testing.B) {
		b.SetParallelism(32) // 32 proposers per GOMAXPROCS
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := n.Propose(ctx, AllocateProducerIDs{Count: 1}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "proposals/s")
	})
}
