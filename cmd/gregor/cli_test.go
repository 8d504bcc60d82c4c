package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// runCLI runs the gregor command line in-process with --brokers set to
// brokers, stdin fed from stdin, and returns what it wrote to stdout and the
// error Execute returned. Stderr (logs, cobra's "Error:" line) goes to t.Log.
func runCLI(t *testing.T, brokers string, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs(append([]string{"--brokers", brokers}, args...))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	if ctx.Err() != nil {
		// Commands treat cancellation as a normal stop (Ctrl-C); in a test it
		// means the command hung.
		t.Fatalf("gregor %s: still running after the test's deadline\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), out.String(), errOut.String())
	}
	if errOut.Len() > 0 {
		t.Logf("gregor %s: stderr:\n%s", strings.Join(args, " "), errOut.String())
	}
	return out.String(), err
}

// mustCLI is runCLI that fails the test on error.
func mustCLI(t *testing.T, brokers, stdin string, args ...string) string {
	t.Helper()
	out, err := runCLI(t, brokers, stdin, args...)
	if err != nil {
		t.Fatalf("gregor %s: %v\nstdout:\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// mustFailCLI is runCLI that fails the test unless the command fails.
func mustFailCLI(t *testing.T, brokers, stdin string, args ...string) string {
	t.Helper()
	out, err := runCLI(t, brokers, stdin, args...)
	if err == nil {
		t.Fatalf("gregor %s: succeeded, want an error\nstdout:\n%s", strings.Join(args, " "), out)
	}
	return out
}

// waitFor polls cond every 20ms until it is true or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rows splits table output into whitespace-separated fields per line,
// skipping empty lines.
func rows(out string) [][]string {
	var rs [][]string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rs = append(rs, f)
		}
	}
	return rs
}

// findRow returns the first row whose first fields equal prefix.
func findRow(out string, prefix ...string) []string {
	for _, r := range rows(out) {
		if len(r) >= len(prefix) && slices.Equal(r[:len(prefix)], prefix) {
			return r
		}
	}
	return nil
}

// skipUnlessBrokerSupports skips t unless every broker advertises API key at
// version minVersion or newer. It is for features a broker may not have yet
// (KIP-848 groups, transactions), so that the same tests run against brokers
// that lack them; kfake has them all, so there nothing is skipped.
func skipUnlessBrokerSupports(t *testing.T, brokers string, key, minVersion int16, what string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vs, err := kadm.NewClient(cl).ApiVersions(ctx)
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	for _, v := range vs.Sorted() {
		if v.Err != nil {
			t.Fatalf("ApiVersions of broker %d: %v", v.NodeID, v.Err)
		}
		if maxV, ok := v.KeyMaxVersion(key); !ok || maxV < minVersion {
			t.Skipf("broker %d does not advertise API key %d v%d+: no %s", v.NodeID, key, minVersion, what)
		}
	}
}
