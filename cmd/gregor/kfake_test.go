//go:build !gregor_serve

package main

// kfake_test.go provides the cluster the CLI tests run against: an in-memory
// Kafka (franz-go's kfake). The integrator swaps this file for one that starts
// Gregor itself, keeping the signature of testBrokers; every other test file
// talks to the cluster only through the address it returns.

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// testBrokers starts a fresh one-broker cluster for t (a test or benchmark),
// stopped by t.Cleanup, and returns its bootstrap address list for --brokers.
// Auto topic creation is off, as on Gregor by default.
func testBrokers(t testing.TB) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(1))
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	addrs := c.ListenAddrs()
	if len(addrs) == 0 {
		t.Fatal("kfake has no listen address")
	}
	return addrs[0]
}
