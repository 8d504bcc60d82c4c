package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestProduceKeysHeadersPartitionAndConsumeFormat(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "events", "-p", "3")

	// Keys split at the first separator; the value keeps later ones; an
	// empty line is an empty record; a last line without '\n' is a record;
	// a trailing '\r' is dropped.
	in := "k1=>v1\nk2=>v=>2\r\n=>\n=>nokey\nk5=>last"
	out := mustCLI(t, b, in, "produce", "events", "-k", "=>", "-H", "src=cli", "-H", "eq=a=b", "-p", "1", "-v")
	for i := range 5 {
		want := fmt.Sprintf("line %d: partition 1 offset %d", i+1, i)
		if !strings.Contains(out, want) {
			t.Fatalf("verbose produce: missing %q in:\n%s", want, out)
		}
	}

	out = mustCLI(t, b, "", "consume", "events", "-p", "1", "-n", "5", "-f", `%t|%p|%o|%k|%v|%h|%K|%S\n`)
	want := "events|1|0|k1|v1|src=cli,eq=a=b|2|2\n" +
		"events|1|1|k2|v=>2|src=cli,eq=a=b|2|4\n" +
		"events|1|2|||src=cli,eq=a=b|0|0\n" +
		"events|1|3||nokey|src=cli,eq=a=b|0|5\n" +
		"events|1|4|k5|last|src=cli,eq=a=b|2|4\n"
	if out != want {
		t.Fatalf("consume format:\ngot:\n%s\nwant:\n%s", out, want)
	}

	// %T is the record timestamp in ms: close to now.
	out = mustCLI(t, b, "", "consume", "events", "-p", "1", "-n", "1", "-f", `%T`)
	ts, err := strconv.ParseInt(out, 10, 64)
	if err != nil || time.Since(time.UnixMilli(ts)).Abs() > time.Hour {
		t.Fatalf("%%T: want a recent Unix ms timestamp, got %q (%v)", out, err)
	}

	// Nothing went to other partitions, and the default format is the value.
	out = mustCLI(t, b, "", "consume", "events", "-p", "0", "-p", "2", "-e")
	if out != "" {
		t.Fatalf("partitions 0 and 2: want nothing, got:\n%s", out)
	}
	out = mustCLI(t, b, "", "consume", "events", "-e")
	if out != "v1\nv=>2\n\nnokey\nlast\n" {
		t.Fatalf("default format: got:\n%q", out)
	}
}

func TestProduceKeyedRecordsHashConsistently(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "keyed", "-p", "4")
	var in strings.Builder
	for round := range 3 {
		for k := range 20 {
			fmt.Fprintf(&in, "key-%d:%d\n", k, round)
		}
	}
	mustCLI(t, b, in.String(), "produce", "keyed", "-k", ":")
	out := mustCLI(t, b, "", "consume", "keyed", "-e", "-f", `%k %p %v\n`)
	partOf := map[string]string{}
	used := map[string]bool{}
	lastRound := map[string]int{}
	n := 0
	for _, r := range rows(out) {
		n++
		key, part := r[0], r[1]
		if p, ok := partOf[key]; ok && p != part {
			t.Fatalf("key %s went to partitions %s and %s", key, p, part)
		}
		partOf[key] = part
		used[part] = true
		round, _ := strconv.Atoi(r[2])
		if last, ok := lastRound[key]; ok && round <= last {
			t.Fatalf("key %s: round %d after %d, order lost", key, round, last)
		}
		lastRound[key] = round
	}
	if n != 60 || len(partOf) != 20 {
		t.Fatalf("want 60 records of 20 keys, got %d records of %d keys:\n%s", n, len(partOf), out)
	}
	if len(used) < 2 {
		t.Fatalf("20 keys all hashed to one partition of 4: %v", used)
	}
}

func TestProduceFailures(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "t")

	// A line without the separator stops reading; earlier lines are flushed.
	_, err := runCLI(t, b, "a:1\nno-separator\nc:3\n", "produce", "t", "-k", ":")
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("want an error naming line 2, got %v", err)
	}
	if out := mustCLI(t, b, "", "consume", "t", "-e", "-f", `%k=%v\n`); out != "a=1\n" {
		t.Fatalf("after a bad line: want only the first record, got %q", out)
	}

	// A partition that does not exist fails the records, non-zero exit.
	_, err = runCLI(t, b, "x\n", "produce", "t", "-p", "7", "--delivery-timeout", "5s")
	if err == nil {
		t.Fatal("produce to partition 7 of a 1-partition topic: want an error")
	}

	for _, args := range [][]string{
		{"produce", "t", "--acks", "2"},
		{"produce", "t", "--compression", "brotli"},
		{"produce", "t", "-H", "noequals"},
		{"produce", "t", "-p", "-5"},
		{"produce"},
	} {
		if _, err := runCLI(t, b, "x\n", args...); err == nil {
			t.Errorf("%v: want a usage error", args)
		}
	}
	if out := mustCLI(t, b, "", "consume", "t", "-e"); out != "1\n" {
		t.Fatalf("rejected produce commands wrote records: %q", out)
	}
}

func TestProduceUnknownTopicFails(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for kgo's unknown-topic retries")
	}
	b := testBrokers(t)
	if _, err := runCLI(t, b, "x\n", "produce", "nosuch"); err == nil {
		t.Fatal("want an error producing to a missing topic")
	}
	if _, err := runCLI(t, b, "", "consume", "nosuch", "-e"); err == nil {
		t.Fatal("want an error consuming a missing topic")
	}
}

func TestProduceAcksAndCompression(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "c")
	var want strings.Builder
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		for _, acks := range []string{"all", "1"} {
			line := strings.Repeat(codec+"-"+acks+" ", 20)
			mustCLI(t, b, line+"\n", "produce", "c", "--compression", codec, "--acks", acks)
			want.WriteString(line + "\n")
		}
	}
	if out := mustCLI(t, b, "", "consume", "c", "-e"); out != want.String() {
		t.Fatalf("compressed round trip:\ngot:\n%s\nwant:\n%s", out, want.String())
	}
	// acks=0 gets no answer; the record still arrives.
	mustCLI(t, b, "fire-and-forget\n", "produce", "c", "--acks", "0")
	waitFor(t, 10*time.Second, "the acks=0 record", func() bool {
		out, err := runCLI(t, b, "", "consume", "c", "-o", "-1", "-e")
		return err == nil && out == "fire-and-forget\n"
	})
}

func TestConsumeOffsets(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "o")
	var in strings.Builder
	for i := range 10 {
		fmt.Fprintf(&in, "r%d\n", i)
	}
	mustCLI(t, b, in.String(), "produce", "o")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "-3", "-e"}, "7 8 9"},
		{[]string{"-o", "-100", "-e"}, "0 1 2 3 4 5 6 7 8 9"},
		{[]string{"-o", "5", "-n", "2"}, "5 6"},
		{[]string{"-o", "beginning", "-n", "3"}, "0 1 2"},
		{[]string{"-n", "1"}, "0"},
		{[]string{"-o", "end", "-e"}, ""},
		{[]string{"-o", "100", "-e"}, ""}, // clamped to the end
		{[]string{"-o", "@0", "-n", "2"}, "0 1"},
		{[]string{"-o", "9", "-e"}, "9"},
	} {
		out := mustCLI(t, b, "", append([]string{"consume", "o", "-f", `%o `}, tc.args...)...)
		if strings.TrimSpace(out) != tc.want {
			t.Errorf("consume %v: got %q, want %q", tc.args, strings.TrimSpace(out), tc.want)
		}
	}

	// A timestamp between two batches starts at the second batch.
	mark := time.Now().UnixMilli() + 1
	waitFor(t, 5*time.Second, "the clock to pass the mark", func() bool { return time.Now().UnixMilli() > mark })
	mustCLI(t, b, "late1\nlate2\n", "produce", "o")
	out := mustCLI(t, b, "", "consume", "o", "-o", "@"+strconv.FormatInt(mark, 10), "-e", "-f", `%o:%v `)
	if strings.TrimSpace(out) != "10:late1 11:late2" {
		t.Fatalf("-o @%d: got %q", mark, out)
	}
	rfc := time.UnixMilli(mark).UTC().Format(time.RFC3339Nano)
	out = mustCLI(t, b, "", "consume", "o", "-o", "@"+rfc, "-e", "-f", `%o `)
	if strings.TrimSpace(out) != "10 11" {
		t.Fatalf("-o @%s: got %q", rfc, out)
	}
	// A timestamp after every record starts at the end.
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	if out := mustCLI(t, b, "", "consume", "o", "-o", "@"+future, "-e"); out != "" {
		t.Fatalf("-o @future: got %q", out)
	}

	for _, args := range [][]string{
		{"consume", "o", "-o", "sometime"},
		{"consume", "o", "-f", "%x"},
		{"consume", "o", "-p", "3"},
		{"consume", "o", "-n", "-1"},
		{"consume", "o", "-g", "g", "-p", "0"},
		{"consume", "o", "-g", "g", "-e"},
	} {
		if _, err := runCLI(t, b, "", args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

func TestConsumeEmptyTopicExitAtEnd(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "empty", "-p", "2")
	if out := mustCLI(t, b, "", "consume", "empty", "-e"); out != "" {
		t.Fatalf("empty topic: got %q", out)
	}
}

// TestOffsetsClampToLogStart moves the log start with DeleteRecords and
// checks that consume, describe and reset-offsets respect it.
func TestOffsetsClampToLogStart(t *testing.T) {
	b := testBrokers(t)
	mustCLI(t, b, "", "topic", "create", "ls")
	mustCLI(t, b, "r0\nr1\nr2\nr3\nr4\nr5\n", "produce", "ls")

	cl, err := kgo.NewClient(kgo.SeedBrokers(b))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	del := make(kadm.Offsets)
	del.Add(kadm.Offset{Topic: "ls", Partition: 0, At: 3})
	resps, err := kadm.NewClient(cl).DeleteRecords(ctx, del)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		t.Fatalf("DeleteRecords: %v", err)
	}

	out := mustCLI(t, b, "", "topic", "describe", "ls", "--no-configs")
	if r := findRow(out, "0"); r == nil || r[6] != "3" || r[7] != "6" {
		t.Fatalf("describe: want log start 3 and high watermark 6, got:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-e"}, "3 4 5"},
		{[]string{"-o", "1", "-e"}, "3 4 5"}, // clamped up to the log start
		{[]string{"-o", "-10", "-e"}, "3 4 5"},
		{[]string{"-o", "4", "-e"}, "4 5"},
	} {
		out := mustCLI(t, b, "", append([]string{"consume", "ls", "-f", `%o `}, tc.args...)...)
		if strings.TrimSpace(out) != tc.want {
			t.Errorf("consume %v: got %q, want %q", tc.args, strings.TrimSpace(out), tc.want)
		}
	}
	out = mustCLI(t, b, "", "group", "reset-offsets", "g", "--topic", "ls", "--to-offset", "0")
	if r := findRow(out, "ls", "0"); r == nil || r[3] != "3" {
		t.Fatalf("reset --to-offset 0: want clamped to 3, got:\n%s", out)
	}
	out = mustCLI(t, b, "", "group", "reset-offsets", "g", "--topic", "ls", "--to-earliest")
	if r := findRow(out, "ls", "0"); r == nil || r[3] != "3" {
		t.Fatalf("reset --to-earliest: want 3, got:\n%s", out)
	}
}

// TestConsumeExitAtEndAfterTransaction checks that -e terminates when the
// last offsets below the high watermark are transaction markers, which a
// consumer never sees as records.
func TestConsumeExitAtEndAfterTransaction(t *testing.T) {
	b := testBrokers(t)
	skipUnlessBrokerSupports(t, b, 26, 0, "transactions (EndTxn)")
	mustCLI(t, b, "", "topic", "create", "tx")
	cl, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.TransactionalID("cli-test"), kgo.DefaultProduceTopic("tx"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, commit := range []kgo.TransactionEndTry{kgo.TryCommit, kgo.TryAbort, kgo.TryCommit} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		v := "committed"
		if commit == kgo.TryAbort {
			v = "aborted"
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	out := mustCLI(t, b, "", "topic", "describe", "tx", "--no-configs")
	if r := findRow(out, "0"); r == nil || r[7] != "6" {
		t.Fatalf("want high watermark 6 (3 records, 3 markers), got:\n%s", out)
	}
	// read_uncommitted, like kcat's default: aborted data is printed too,
	// markers never are.
	out = mustCLI(t, b, "", "consume", "tx", "-e", "-f", `%o:%v `)
	if strings.TrimSpace(out) != "0:committed 2:aborted 4:committed" {
		t.Fatalf("consume -e over transactions: got %q", out)
	}
	out = mustCLI(t, b, "", "consume", "tx", "-e", "--read-committed", "-f", `%o:%v `)
	if strings.TrimSpace(out) != "0:committed 4:committed" {
		t.Fatalf("consume -e --read-committed: got %q", out)
	}
}
