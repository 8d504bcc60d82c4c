package cluster

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestSingleNodeLifecycle(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1, dir)
	n := startNode(t, cfg)
	waitReady(t, n)

	img := n.Image()
	if len(img.ClusterID) != 22 {
		t.Fatalf("cluster id %q: want 22 base64url chars", img.ClusterID)
	}
	if !n.IsController() || n.ControllerID() != 1 {
		t.Fatalf("single node: IsController=%v ControllerID=%d, want true/1", n.IsController(), n.ControllerID())
	}
	checkFor(t, 5*time.Second, func() error {
		if got := n.Image().ControllerID; got != 1 {
			return errors.New("image controller id not 1 yet")
		}
		return nil
	})

	reg := register(t, n, 1)
	if reg.BrokerEpoch != int64(reg.Index) {
		t.Fatalf("broker epoch %d, want registration index %d", reg.BrokerEpoch, reg.Index)
	}
	ch := n.Changes()
	res := mustOK(t, n, CreateTopic{Name: "orders", Partitions: 3, ReplicationFactor: 1,
		Configs: map[string]string{"cleanup.policy": "compact"}})
	select {
	case <-ch:
	default:
		t.Fatal("Changes channel not closed after CreateTopic")
	}
	if res.TopicID == ([16]byte{}) {
		t.Fatal("CreateTopic returned a zero topic id")
	}
	img = n.Image()
	if img.Index < res.Index {
		t.Fatalf("image index %d behind result index %d after Propose returned", img.Index, res.Index)
	}
	tp := img.Topic("orders")
	if tp == nil || len(tp.Partitions) != 3 || img.TopicByID(res.TopicID) != tp {
		t.Fatalf("topic not in image:\n%s", describe(img))
	}
	for _, p := range tp.Partitions {
		if p.Leader != 1 || p.LeaderEpoch != 0 || len(p.ISR) != 1 {
			t.Fatalf("partition %+v: want leader 1, epoch 0, ISR [1]", p)
		}
	}

	mustOK(t, n, AlterConfigs{Resource: ResourceTopic, Name: "orders", Set: map[string]*string{"retention.ms": strp("1000"), "cleanup.policy": nil}})
	mustOK(t, n, AlterConfigs{Resource: ResourceBroker, Name: "", Set: map[string]*string{"log.retention.ms": strp("5")}})
	if got := n.Image().Topic("orders").Configs; len(got) != 1 || got["retention.ms"] != "1000" {
		t.Fatalf("topic configs %v: want only retention.ms=1000", got)
	}
	if tp.Configs["cleanup.policy"] != "compact" {
		t.Fatal("an older image changed: images must be immutable")
	}
	a := mustOK(t, n, AllocateProducerIDs{Count: 1000})
	b := mustOK(t, n, AllocateProducerIDs{Count: 1000})
	if b.FirstProducerID != a.FirstProducerID+1000 {
		t.Fatalf("producer id blocks %d then %d: want adjacent, non-overlapping", a.FirstProducerID, b.FirstProducerID)
	}
	mustOK(t, n, CreateTopic{Name: "doomed", Partitions: 1, ReplicationFactor: 1})
	del := mustOK(t, n, DeleteTopic{Name: "doomed"})
	if n.Image().Topic("doomed") != nil || n.Image().TopicByID(del.TopicID) != nil {
		t.Fatal("deleted topic still in the image")
	}
	mustOK(t, n, CreatePartitions{Topic: "orders", Count: 5})

	before := n.Image()
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := n.Propose(context.Background(), AllocateProducerIDs{Count: 1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Propose after Close: %v, want ErrClosed", err)
	}

	// Restart from the same directory: the image is rebuilt before WaitReady returns.
	n2 := startNode(t, testConfig(t, 1, dir))
	waitReady(t, n2)
	after := n2.Image()
	if !imagesEqual(before, after) {
		t.Fatalf("image after restart differs:\nbefore:\n%s\nafter:\n%s", describe(before), describe(after))
	}
	c := mustOK(t, n2, AllocateProducerIDs{Count: 1})
	if c.FirstProducerID != b.FirstProducerID+1000 {
		t.Fatalf("producer ids after restart start at %d, want %d", c.FirstProducerID, b.FirstProducerID+1000)
	}
}

func TestConfiguredClusterID(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1, dir)
	cfg.ClusterID = "MkU3OEVBNTcwNTJENDM2Qk"
	n := startNode(t, cfg)
	waitReady(t, n)
	if got := n.Image().ClusterID; got != cfg.ClusterID {
		t.Fatalf("cluster id %q, want the configured %q", got, cfg.ClusterID)
	}
	n.Close()
	cfg.ClusterID = "another"
	n2 := startNode(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n2.WaitReady(ctx); !errors.Is(err, ErrClusterIDMismatch) {
		t.Fatalf("WaitReady with another cluster id: %v, want ErrClusterIDMismatch", err)
	}
}
