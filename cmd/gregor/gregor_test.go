//go:build !kfake && !gregor_serve

package main

// gregor_test.go provides the cluster the CLI tests run against by default:
// a real Gregor broker started in this process. `-tags gregor_serve` runs
// them against `gregor serve` child processes instead, and `-tags kfake`
// against franz-go's in-memory Kafka.

import (
	"testing"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// testBrokers starts a fresh single-node Gregor for t, stopped by t.Cleanup,
// and returns its address for --brokers. Auto topic creation is off, and
// groups form without Kafka's 3 s initial rebalance delay.
func testBrokers(t testing.TB) string {
	t.Helper()
	b := testutil.NewBroker(t, testutil.WithProps(map[string]string{
		"auto.create.topics.enable":                "false",
		"group.initial.rebalance.delay.ms":         "0",
		"group.consumer.heartbeat.interval.ms":     "500",
		"group.consumer.min.heartbeat.interval.ms": "500",
	}))
	return b.Addr()
}
