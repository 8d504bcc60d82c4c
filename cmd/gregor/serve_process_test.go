//go:build gregor_serve

package main

// serve_process_test.go is the alternative to kfake_test.go that runs every
// CLI test against real Gregor: each test gets its own "gregor serve"
// process on free loopback ports with a temporary data directory.
//
//	go test -tags gregor_serve ./cmd/gregor               # builds the binary once
//	GREGOR_BIN=/path/gregor go test -tags gregor_serve ./cmd/gregor
//
// The broker runs with group.initial.rebalance.delay.ms=0 so that each
// group join does not wait Kafka's default 3 s.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// gregorBin is the binary the tests start, built at most once per run.
var gregorBin = sync.OnceValues(func() (string, error) {
	if p := os.Getenv("GREGOR_BIN"); p != "" {
		return p, nil
	}
	dir, err := os.MkdirTemp("", "gregor-cli-test-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gregor")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testBrokers starts "gregor serve" for t, killed by t.Cleanup (its log is
// printed if t failed), waits until it answers Metadata, and returns its
// address.
func testBrokers(t testing.TB) string {
	t.Helper()
	bin, err := gregorBin()
	if err != nil {
		t.Fatalf("gregor binary: %v", err)
	}
	dir := t.TempDir()
	props := filepath.Join(dir, "test.properties")
	if err := os.WriteFile(props, []byte("group.initial.rebalance.delay.ms=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	logPath := filepath.Join(dir, "serve.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", props, "--listen", addr, "--advertise", addr,
		"--controller-listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--http", "",
		"--data-dir", filepath.Join(dir, "data"), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("gregor serve log:\n%s", b)
		}
	})

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := adm.Metadata(ctx)
		cancel()
		if err == nil {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("gregor serve at %s not ready after 30s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
