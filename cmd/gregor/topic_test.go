package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestTopicCreateListDescribeAlterDelete(t *testing.T) {
	b := testBrokers(t)

	out := mustCLI(t, b, "", "topic", "create", "orders", "-p", "3", "-r", "1", "-c", "retention.ms=60000")
	if r := findRow(out, "orders"); r == nil || r[1] != "OK" {
		t.Fatalf("create: want orders OK, got:\n%s", out)
	}

	// Creating it again is a broker error shown by its Kafka name.
	out = mustFailCLI(t, b, "", "topic", "create", "orders")
	if !strings.Contains(out, "TOPIC_ALREADY_EXISTS") {
		t.Fatalf("second create: want TOPIC_ALREADY_EXISTS, got:\n%s", out)
	}

	// --validate-only creates nothing.
	out = mustCLI(t, b, "", "topic", "create", "dry", "-p", "2", "--validate-only")
	if r := findRow(out, "dry"); r == nil || r[1] != "OK" {
		t.Fatalf("validate-only: want dry OK, got:\n%s", out)
	}
	mustCLI(t, b, "", "topic", "create", "small")

	out = mustCLI(t, b, "", "topic", "list")
	if r := findRow(out, "orders"); r == nil || r[1] != "3" || r[2] != "1" {
		t.Fatalf("list: want orders 3 1, got:\n%s", out)
	}
	if r := findRow(out, "small"); r == nil || r[1] != "1" {
		t.Fatalf("list: want small with broker default of 1 partition, got:\n%s", out)
	}
	if findRow(out, "dry") != nil {
		t.Fatalf("list: validate-only topic exists:\n%s", out)
	}
	if r := rows(out); len(r) != 3 || !slices.Equal(r[0], []string{"NAME", "PARTITIONS", "REPLICAS"}) {
		t.Fatalf("list: want header and 2 rows sorted, got:\n%s", out)
	}

	out = mustCLI(t, b, "", "topic", "describe", "orders")
	for p := range 3 {
		r := findRow(out, strconv.Itoa(p))
		// PARTITION LEADER EPOCH REPLICAS ISR OFFLINE LOG-START HW ERROR
		if r == nil || r[3] != "["+r[1]+"]" || r[4] != r[3] || r[6] != "0" || r[7] != "0" || r[8] != "-" {
			t.Fatalf("describe: partition %d row wrong in:\n%s", p, out)
		}
	}
	if r := findRow(out, "retention.ms"); r == nil || r[1] != "60000" || r[2] != "DYNAMIC_TOPIC_CONFIG" {
		t.Fatalf("describe: want retention.ms 60000 DYNAMIC_TOPIC_CONFIG, got:\n%s", out)
	}

	// Offsets in describe follow produced data.
	mustCLI(t, b, "a\nb\n", "produce", "orders", "-p", "2")
	out = mustCLI(t, b, "", "topic", "describe", "orders", "--no-configs")
	if r := findRow(out, "2"); r == nil || r[6] != "0" || r[7] != "2" {
		t.Fatalf("describe after produce: want partition 2 offsets 0..2, got:\n%s", out)
	}
	if strings.Contains(out, "CONFIGS") {
		t.Fatalf("--no-configs printed configs:\n%s", out)
	}

	out = mustCLI(t, b, "", "topic", "alter-config", "orders", "--set", "retention.ms=5000", "--set", "cleanup.policy=compact")
	if r := findRow(out, "orders"); r == nil || r[1] != "OK" {
		t.Fatalf("alter-config: want OK, got:\n%s", out)
	}
	out = mustCLI(t, b, "", "topic", "describe", "orders")
	if r := findRow(out, "retention.ms"); r == nil || r[1] != "5000" {
		t.Fatalf("after --set: want retention.ms 5000, got:\n%s", out)
	}
	if r := findRow(out, "cleanup.policy"); r == nil || r[1] != "compact" || r[2] != "DYNAMIC_TOPIC_CONFIG" {
		t.Fatalf("after --set: want cleanup.policy compact, got:\n%s", out)
	}
	// Incremental: deleting one override leaves the other.
	mustCLI(t, b, "", "topic", "alter-config", "orders", "--delete", "retention.ms")
	out = mustCLI(t, b, "", "topic", "describe", "orders")
	if r := findRow(out, "retention.ms"); r == nil || r[2] == "DYNAMIC_TOPIC_CONFIG" || r[1] == "5000" {
		t.Fatalf("after --delete: want retention.ms back to its default, got:\n%s", out)
	}
	if r := findRow(out, "cleanup.policy"); r == nil || r[1] != "compact" {
		t.Fatalf("after --delete of another key: cleanup.policy lost:\n%s", out)
	}
	mustFailCLI(t, b, "", "topic", "alter-config", "orders")                     // nothing to alter
	mustFailCLI(t, b, "", "topic", "alter-config", "orders", "--set", "novalue") // not k=v
	out = mustFailCLI(t, b, "", "topic", "alter-config", "nosuch", "--set", "retention.ms=1")
	if !strings.Contains(out, "UNKNOWN_TOPIC_OR_PARTITION") {
		t.Fatalf("alter-config of a missing topic: want UNKNOWN_TOPIC_OR_PARTITION, got:\n%s", out)
	}

	out = mustFailCLI(t, b, "", "topic", "delete", "orders", "nosuch")
	if r := findRow(out, "orders"); r == nil || r[1] != "OK" {
		t.Fatalf("delete: want orders OK, got:\n%s", out)
	}
	if r := findRow(out, "nosuch"); r == nil || r[1] != "UNKNOWN_TOPIC_OR_PARTITION:" {
		t.Fatalf("delete: want nosuch UNKNOWN_TOPIC_OR_PARTITION, got:\n%s", out)
	}
	out = mustFailCLI(t, b, "", "topic", "describe", "orders", "small")
	if !strings.Contains(out, "UNKNOWN_TOPIC_OR_PARTITION") || findRow(out, "NAME", "small") == nil {
		t.Fatalf("describe after delete: want the error for orders and small described, got:\n%s", out)
	}
}

func TestTopicCreateFlagErrors(t *testing.T) {
	b := testBrokers(t)
	for _, args := range [][]string{
		{"topic", "create", "x", "-p", "0"},
		{"topic", "create", "x", "-r", "-2"},
		{"topic", "create", "x", "-c", "=v"},
		{"topic", "create"},
	} {
		if _, err := runCLI(t, b, "", args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
	out := mustCLI(t, b, "", "topic", "list")
	if len(rows(out)) != 1 {
		t.Fatalf("a rejected create made a topic:\n%s", out)
	}
}

func TestClusterInfo(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "a")
	mustCLI(t, b, "", "topic", "create", "b")
	out := mustCLI(t, b, "", "cluster", "info")
	if r := findRow(out, "ID"); r == nil || r[1] == "-" {
		t.Fatalf("want a cluster id, got:\n%s", out)
	}
	ctrl := findRow(out, "CONTROLLER")
	if ctrl == nil || ctrl[1] == "-" {
		t.Fatalf("want a controller, got:\n%s", out)
	}
	if r := findRow(out, "TOPICS"); r == nil || r[1] != "2" {
		t.Fatalf("want 2 topics, got:\n%s", out)
	}
	_, port, _ := strings.Cut(b, ":")
	var found bool
	for _, r := range rows(out) {
		if len(r) == 3 && r[0] == ctrl[1] && strings.HasSuffix(r[1], ":"+port) {
			found = true
		}
	}
	if !found {
		t.Fatalf("want the controller (the only broker) at port %s, got:\n%s", port, out)
	}
}

func TestUnreachableBrokerFails(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a dial to fail")
	}
	// Port 1 on loopback refuses connections: the command must fail, not hang.
	if _, err := runCLI(t, "127.0.0.1:1", "", "topic", "list"); err == nil {
		t.Fatal("want an error against an unreachable broker")
	}
}
