package itest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// TestServeConfigPrecedence starts `gregor serve` with a properties file, an
// environment variable and a flag that overlap: the flag beats the
// environment, which beats the file, which beats the defaults.
func TestServeConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	addr := testutil.FreeAddr(t)
	props := filepath.Join(dir, "server.properties")
	err := os.WriteFile(props, []byte("# Kafka property names work\nnum.partitions=3\nnode.id=5\nauto.create.topics.enable=true\nlog.retention.hours=48\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testutil.GregorBinary(t), "serve", "--config", props, "--listen", addr, "--http", "",
		"--controller-listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "data"), "--node-id", "9")
	cmd.Env = append(os.Environ(), "GREGOR_NODE_ID=7", "GREGOR_ADVERTISE="+addr)
	out, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("broker log:\n%s", b)
		}
	})
	testutil.Eventually(t, 30*time.Second, func() error {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	})
	adm := newAdmin(t, addr)
	md, err := adm.BrokerMetadata(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].NodeID != 9 {
		t.Fatalf("brokers %+v: the --node-id flag (9) must beat GREGOR_NODE_ID (7) and node.id (5)", md.Brokers)
	}
	p, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("from-file"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.ProduceSync(ctxT(t, 20*time.Second), kgo.StringRecord("x")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctxT(t, 10*time.Second), "from-file")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(td["from-file"].Partitions); n != 3 {
		t.Fatalf("auto-created topic has %d partitions, want num.partitions=3 from the file", n)
	}
	rc, err := adm.DescribeTopicConfigs(ctxT(t, 10*time.Second), "from-file")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rc[0].Configs {
		if c.Key == "retention.ms" {
			found = true
			if c.Value == nil || *c.Value != "172800000" {
				t.Fatalf("retention.ms = %v, want 172800000 from log.retention.hours=48", c.MaybeValue())
			}
		}
	}
	if !found {
		t.Fatal("retention.ms not described")
	}
}
