package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// groupOffsets parses the OFFSETS table of "group describe" into
// partition -> [current, log end, lag] for topic (current -1 when "-").
func groupOffsets(t *testing.T, out, topic string) map[int32][3]int64 {
	t.Helper()
	m := make(map[int32][3]int64)
	for _, r := range rows(out) {
		if len(r) < 6 || r[0] != topic {
			continue
		}
		p, err1 := strconv.ParseInt(r[1], 10, 32)
		cur := int64(-1)
		var err2 error
		if r[2] != "-" {
			cur, err2 = strconv.ParseInt(r[2], 10, 64)
		}
		end, err3 := strconv.ParseInt(r[4], 10, 64)
		lag, err4 := strconv.ParseInt(r[5], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatalf("unparsable offsets row %v in:\n%s", r, out)
		}
		m[int32(p)] = [3]int64{cur, end, lag}
	}
	return m
}

// consumedPositions parses "%p %o" lines into the set of records seen and
// the next offset per partition.
func consumedPositions(t *testing.T, out string, seen map[string]bool) map[int32]int64 {
	t.Helper()
	next := make(map[int32]int64)
	for _, r := range rows(out) {
		key := r[0] + "/" + r[1]
		if seen[key] {
			t.Fatalf("record %s consumed twice by the group", key)
		}
		seen[key] = true
		p, _ := strconv.ParseInt(r[0], 10, 32)
		o, _ := strconv.ParseInt(r[1], 10, 64)
		next[int32(p)] = max(next[int32(p)], o+1)
	}
	return next
}

func TestGroupConsumeDescribeLag(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "g", "-p", "2")
	mustCLI(t, b, "a\nb\nc\nd\ne\n", "produce", "g", "-p", "0")
	mustCLI(t, b, "f\ng\nh\ni\nj\n", "produce", "g", "-p", "1")

	seen := map[string]bool{}
	out := mustCLI(t, b, "", "consume", "g", "-g", "g1", "-n", "4", "-f", `%p %o\n`)
	if n := len(rows(out)); n != 4 {
		t.Fatalf("-g -n 4: printed %d records:\n%s", n, out)
	}
	next := consumedPositions(t, out, seen)

	out = mustCLI(t, b, "", "group", "describe", "g1")
	if r := findRow(out, "STATE"); r == nil || r[1] != "Empty" {
		t.Fatalf("after the member left: want state Empty, got:\n%s", out)
	}
	if r := findRow(out, "TOTAL-LAG"); r == nil || r[1] != "6" {
		t.Fatalf("want total lag 6, got:\n%s", out)
	}
	offs := groupOffsets(t, out, "g")
	for p := range int32(2) {
		o := offs[p]
		want := next[p]
		if want == 0 {
			want = -1 // nothing consumed there, nothing committed
		}
		if o[0] != want || o[1] != 5 || o[2] != 5-max(0, want) {
			t.Fatalf("partition %d: got current/end/lag %v, want current %d end 5:\n%s", p, o, want, out)
		}
	}

	out = mustCLI(t, b, "", "group", "list")
	if r := findRow(out, "g1"); r == nil || r[1] != "Empty" || r[2] != "consumer" || r[4] != "classic" {
		t.Fatalf("group list: want g1 Empty consumer, got:\n%s", out)
	}

	// The next member resumes exactly after what was printed.
	out = mustCLI(t, b, "", "consume", "g", "-g", "g1", "-n", "6", "-f", `%p %o\n`)
	consumedPositions(t, out, seen)
	if len(seen) != 10 {
		t.Fatalf("two group runs saw %d distinct records, want all 10", len(seen))
	}
	out = mustCLI(t, b, "", "group", "describe", "g1")
	if r := findRow(out, "TOTAL-LAG"); r == nil || r[1] != "0" {
		t.Fatalf("want total lag 0 after consuming everything, got:\n%s", out)
	}
}

func TestGroupResetOffsets(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "r", "-p", "2")
	mustCLI(t, b, "a\nb\nc\nd\ne\n", "produce", "r", "-p", "0")
	mustCLI(t, b, "f\ng\nh\ni\nj\n", "produce", "r", "-p", "1")
	mustCLI(t, b, "", "consume", "r", "-g", "g1", "-n", "10")

	reset := func(execute bool, args ...string) map[int32][2]int64 {
		t.Helper()
		args = append([]string{"group", "reset-offsets", "g1"}, args...)
		if execute {
			args = append(args, "--execute")
		}
		out := mustCLI(t, b, "", args...)
		m := make(map[int32][2]int64)
		for _, r := range rows(out)[1:] {
			p, _ := strconv.ParseInt(r[1], 10, 32)
			cur := int64(-1)
			if r[2] != "-" {
				cur, _ = strconv.ParseInt(r[2], 10, 64)
			}
			next, err := strconv.ParseInt(r[3], 10, 64)
			if err != nil {
				t.Fatalf("bad row %v in:\n%s", r, out)
			}
			if execute && (len(r) < 5 || r[4] != "OK") {
				t.Fatalf("execute: want STATUS OK, got:\n%s", out)
			}
			m[int32(p)] = [2]int64{cur, next}
		}
		return m
	}
	committed := func() map[int32]int64 {
		t.Helper()
		m := make(map[int32]int64)
		for p, o := range groupOffsets(t, mustCLI(t, b, "", "group", "describe", "g1"), "r") {
			m[p] = o[0]
		}
		return m
	}
	check := func(what string, got, want map[int32]int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v, want %v", what, got, want)
		}
	}
	plan := func(m map[int32][2]int64) map[int32]int64 {
		out := make(map[int32]int64)
		for p, v := range m {
			out[p] = v[1]
		}
		return out
	}

	// Dry run shows the plan and commits nothing.
	got := reset(false, "--topic", "r", "--to-earliest")
	if fmt.Sprint(got) != fmt.Sprint(map[int32][2]int64{0: {5, 0}, 1: {5, 0}}) {
		t.Fatalf("dry run --to-earliest: got %v", got)
	}
	check("after a dry run", committed(), map[int32]int64{0: 5, 1: 5})

	reset(true, "--topic", "r", "--to-earliest")
	check("after --to-earliest --execute", committed(), map[int32]int64{0: 0, 1: 0})
	out := mustCLI(t, b, "", "group", "describe", "g1")
	if r := findRow(out, "TOTAL-LAG"); r == nil || r[1] != "10" {
		t.Fatalf("want total lag 10 after reset to earliest, got:\n%s", out)
	}

	reset(true, "--topic", "r", "--shift-by", "3")
	check("after --shift-by 3", committed(), map[int32]int64{0: 3, 1: 3})
	check("dry --shift-by -100 (clamped)", plan(reset(false, "--topic", "r", "--shift-by", "-100")), map[int32]int64{0: 0, 1: 0})
	check("dry --shift-by 100 (clamped)", plan(reset(false, "--all-topics", "--shift-by", "100")), map[int32]int64{0: 5, 1: 5})
	check("dry --to-offset 100 (clamped)", plan(reset(false, "--topic", "r", "--to-offset", "100")), map[int32]int64{0: 5, 1: 5})
	check("dry --to-datetime 0", plan(reset(false, "--topic", "r", "--to-datetime", "0")), map[int32]int64{0: 0, 1: 0})
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	check("dry --to-datetime future", plan(reset(false, "--topic", "r", "--to-datetime", future)), map[int32]int64{0: 5, 1: 5})

	reset(true, "--topic", "r", "--to-latest")
	reset(true, "--topic", "r:1", "--to-offset", "2")
	check("after resetting only partition 1", committed(), map[int32]int64{0: 5, 1: 2})

	// The group resumes from the reset offsets.
	out = mustCLI(t, b, "", "consume", "r", "-g", "g1", "-n", "3", "-f", `%p:%o:%v `)
	if strings.TrimSpace(out) != "1:2:h 1:3:i 1:4:j" {
		t.Fatalf("consume after reset: got %q", out)
	}

	for _, args := range [][]string{
		{"--topic", "r"}, // no target
		{"--topic", "r", "--to-earliest", "--to-latest"}, // two targets
		{"--to-earliest"}, // no topics
		{"--topic", "r", "--all-topics", "--to-earliest"}, // both
		{"--topic", "r:x", "--to-earliest"},               // bad partition
		{"--topic", "r:9", "--to-earliest"},               // no such partition
		{"--topic", "nosuch", "--to-earliest"},            // no such topic
		{"--topic", "r", "--to-offset", "-1"},             // negative offset
		{"--topic", "r", "--to-datetime", "yesterday"},    // bad time
	} {
		if _, err := runCLI(t, b, "", append([]string{"group", "reset-offsets", "g1"}, args...)...); err == nil {
			t.Errorf("reset-offsets %v: want an error", args)
		}
	}
	check("after rejected resets", committed(), map[int32]int64{0: 5, 1: 5})

	// A new group can be given offsets before it ever ran.
	mustCLI(t, b, "", "group", "reset-offsets", "fresh", "--topic", "r", "--to-offset", "4", "--execute")
	out = mustCLI(t, b, "", "consume", "r", "-g", "fresh", "-n", "2", "-f", `%o `)
	if strings.TrimSpace(out) != "4 4" {
		t.Fatalf("fresh group after reset to 4: got %q", out)
	}
}

func TestGroupActiveMemberBlocksResetAndDelete(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "a")
	mustCLI(t, b, "x\n", "produce", "a")

	member, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.ConsumerGroup("busy"), kgo.ConsumeTopics("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if fs := member.PollFetches(ctx); fs.Err() != nil || fs.NumRecords() != 1 {
		t.Fatalf("member poll: %v, %d records", fs.Err(), fs.NumRecords())
	}
	waitFor(t, 20*time.Second, "the group to be Stable", func() bool {
		out, err := runCLI(t, b, "", "group", "describe", "busy")
		r := findRow(out, "STATE")
		return err == nil && r != nil && r[1] == "Stable"
	})
	out := mustCLI(t, b, "", "group", "describe", "busy")
	if r := findRow(out, "MEMBERS"); r == nil || r[1] != "1" {
		t.Fatalf("want 1 member, got:\n%s", out)
	}
	if r := findRow(out, "a", "0"); r == nil || r[6] == "-" || r[7] == "-" {
		t.Fatalf("want partition a/0 shown with its member and client, got:\n%s", out)
	}
	if !strings.Contains(out, "a[0]") {
		t.Fatalf("want the member's assignment a[0], got:\n%s", out)
	}

	_, err = runCLI(t, b, "", "group", "reset-offsets", "busy", "--topic", "a", "--to-earliest", "--execute")
	if err == nil || !strings.Contains(err.Error(), "inactive") {
		t.Fatalf("reset-offsets of an active group: want an error about inactive groups, got %v", err)
	}
	out = mustFailCLI(t, b, "", "group", "delete", "busy")
	if !strings.Contains(out, "NON_EMPTY_GROUP") {
		t.Fatalf("delete of an active group: want NON_EMPTY_GROUP, got:\n%s", out)
	}

	member.Close()
	waitFor(t, 20*time.Second, "the group to be Empty", func() bool {
		out, err := runCLI(t, b, "", "group", "describe", "busy")
		r := findRow(out, "STATE")
		return err == nil && r != nil && r[1] == "Empty"
	})
	out = mustCLI(t, b, "", "group", "delete", "busy")
	if r := findRow(out, "busy"); r == nil || r[1] != "OK" {
		t.Fatalf("delete: want busy OK, got:\n%s", out)
	}
	out = mustFailCLI(t, b, "", "group", "describe", "busy")
	if !strings.Contains(out, "GROUP_ID_NOT_FOUND") {
		t.Fatalf("describe after delete: want GROUP_ID_NOT_FOUND, got:\n%s", out)
	}
	if out := mustCLI(t, b, "", "group", "list"); findRow(out, "busy") != nil {
		t.Fatalf("deleted group still listed:\n%s", out)
	}
}

// TestGroupStartOffsetWithoutCommit checks that -o picks where a group with
// no committed offset starts, and that a commit then takes precedence.
func TestGroupStartOffsetWithoutCommit(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "s")
	mustCLI(t, b, "r0\nr1\nr2\nr3\nr4\n", "produce", "s")
	for _, tc := range []struct {
		group, offset, want string
	}{
		{"from-end", "-2", "3 4"},
		{"from-2", "2", "2 3"},
		{"from-start", "beginning", "0 1"},
		{"from-time", "@0", "0 1"},
	} {
		out := mustCLI(t, b, "", "consume", "s", "-g", tc.group, "-o", tc.offset, "-n", "2", "-f", `%o `)
		if strings.TrimSpace(out) != tc.want {
			t.Errorf("-g %s -o %s: got %q, want %q", tc.group, tc.offset, strings.TrimSpace(out), tc.want)
		}
	}
	// from-2 committed 4; -o is ignored now.
	out := mustCLI(t, b, "", "consume", "s", "-g", "from-2", "-o", "beginning", "-n", "1", "-f", `%o`)
	if out != "4" {
		t.Fatalf("second run of from-2: want offset 4 from the commit, got %q", out)
	}
}

// TestGroupConsumerProtocol runs the same checks on a KIP-848 group: consume
// with --group-protocol consumer commits exactly what it printed, describe
// shows the protocol, the lag and a live member's assignment, and an active
// member blocks reset-offsets.
func TestGroupConsumerProtocol(t *testing.T) {
	b := testBrokers(t)
	skipUnlessBrokerSupports(t, b, 68, 1, "KIP-848 consumer groups (ConsumerGroupHeartbeat v1)")
	mustCLI(t, b, "", "topic", "create", "n", "-p", "2")
	mustCLI(t, b, "a\nb\nc\n", "produce", "n", "-p", "0")
	mustCLI(t, b, "d\ne\nf\n", "produce", "n", "-p", "1")

	seen := map[string]bool{}
	out := mustCLI(t, b, "", "consume", "n", "-g", "ng", "--group-protocol", "consumer", "-n", "2", "-f", `%p %o\n`)
	next := consumedPositions(t, out, seen)
	out = mustCLI(t, b, "", "group", "describe", "ng")
	if r := findRow(out, "GROUP-PROTOCOL"); r == nil || r[1] != "consumer" {
		t.Fatalf("want GROUP-PROTOCOL consumer, got:\n%s", out)
	}
	if r := findRow(out, "TOTAL-LAG"); r == nil || r[1] != "4" {
		t.Fatalf("want total lag 4, got:\n%s", out)
	}
	for p, o := range groupOffsets(t, out, "n") {
		want := next[p]
		if want == 0 {
			want = -1
		}
		if o[0] != want {
			t.Fatalf("partition %d: committed %d, want %d:\n%s", p, o[0], want, out)
		}
	}

	member, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.ConsumerGroup("ng"), kgo.ConsumeTopics("n"),
		kgo.ServerSideBalancer(), kgo.Balancers(kgo.StickyBalancer()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if fs := member.PollFetches(ctx); fs.Err() != nil || fs.NumRecords() == 0 {
		t.Fatalf("member poll: %v, %d records", fs.Err(), fs.NumRecords())
	}
	waitFor(t, 20*time.Second, "the member to own both partitions", func() bool {
		out, err := runCLI(t, b, "", "group", "describe", "ng")
		return err == nil && strings.Contains(out, "n[0 1]")
	})
	out = mustCLI(t, b, "", "group", "describe", "ng")
	if r := findRow(out, "MEMBERS"); r == nil || r[1] != "1" {
		t.Fatalf("want 1 member, got:\n%s", out)
	}
	if r := findRow(out, "n", "1"); r == nil || r[6] == "-" {
		t.Fatalf("want partition n/1 owned by the member, got:\n%s", out)
	}
	_, err = runCLI(t, b, "", "group", "reset-offsets", "ng", "--topic", "n", "--to-earliest", "--execute")
	if err == nil || !strings.Contains(err.Error(), "inactive") {
		t.Fatalf("reset-offsets of an active KIP-848 group: want an error about inactive groups, got %v", err)
	}
	member.Close()
	waitFor(t, 20*time.Second, "the group to be Empty", func() bool {
		out, err := runCLI(t, b, "", "group", "describe", "ng")
		r := findRow(out, "STATE")
		return err == nil && r != nil && r[1] == "Empty"
	})
	mustCLI(t, b, "", "group", "reset-offsets", "ng", "--topic", "n", "--to-earliest", "--execute")
	out = mustCLI(t, b, "", "group", "describe", "ng")
	if r := findRow(out, "TOTAL-LAG"); r == nil || r[1] != "6" {
		t.Fatalf("after reset to earliest: want total lag 6, got:\n%s", out)
	}
}
