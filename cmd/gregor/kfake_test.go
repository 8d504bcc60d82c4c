//go:build kfake

package main

// kfake_test.go runs the CLI tests against franz-go's in-memory Kafka
// (kfake) instead of Gregor: `go test -tags kfake ./cmd/gregor`. It is a
// cross-check that the CLI relies on Kafka behaviour, not on Gregor's.

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
