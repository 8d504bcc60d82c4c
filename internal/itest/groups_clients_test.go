package itest

// Consumer groups with sarama, segmentio/kafka-go and kcat (librdkafka):
// the old protocol versions they send (kafka-go: FindCoordinator v0,
// JoinGroup v1-2, SyncGroup/Heartbeat/LeaveGroup v0, OffsetCommit v2,
// OffsetFetch v1) must work. Each joins, consumes, commits, restarts and
// resumes.

import (
	"context"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

type saramaHandler struct {
	mu   sync.Mutex
	seen []string
}

func (h *saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		h.mu.Lock()
		h.seen = append(h.seen, string(m.Value))
		h.mu.Unlock()
		s.MarkMessage(m, "")
	}
	return nil
}

func (h *saramaHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

func TestGroupSarama(t *testing.T) {
	b := groupBroker(t)
	adm := b.Admin(t)
	const topic = "sarama-group"
	createTopic(t, adm, topic, 3, nil)

	consume := func(prefix string, want int) []string {
		cfg := sarama.NewConfig()
		cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
		cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
		cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
		cg, err := sarama.NewConsumerGroup([]string{b.Addr()}, "sarama", cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := &saramaHandler{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			for ctx.Err() == nil {
				if err := cg.Consume(ctx, []string{topic}, h); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		testutil.Eventually(t, 60*time.Second, func() error {
			if n := h.count(); n < want {
				return errorf("sarama consumed %d of %d", n, want)
			}
			return nil
		})
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("sarama consume: %v", err)
		}
		if err := cg.Close(); err != nil { // commits the marked offsets
			t.Fatalf("sarama close: %v", err)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.seen
	}

	produceValues(t, b, topic, "a", 60)
	if seen := consume("a", 60); len(seen) != 60 {
		t.Fatalf("first sarama member saw %d records, want 60", len(seen))
	}
	checkCommittedAtEnd(t, adm, "sarama", topic)
	produceValues(t, b, topic, "b", 30)
	for _, v := range consume("b", 30) {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("restarted sarama member re-read %q", v)
		}
	}
	checkCommittedAtEnd(t, adm, "sarama", topic)
}

func TestGroupKafkaGoReader(t *testing.T) {
	b := groupBroker(t)
	adm := b.Admin(t)
	const topic = "kafkago-group"
	createTopic(t, adm, topic, 2, nil)

	consume := func(want int) []string {
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: []string{b.Addr()}, GroupID: "kafkago", Topic: topic,
			StartOffset: kafkago.FirstOffset, MaxWait: 200 * time.Millisecond,
			HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
		})
		defer r.Close()
		ctx := ctxT(t, 60*time.Second)
		var seen []string
		for len(seen) < want {
			m, err := r.ReadMessage(ctx) // commits synchronously with a GroupID
			if err != nil {
				t.Fatalf("kafka-go read after %d of %d: %v", len(seen), want, err)
			}
			seen = append(seen, string(m.Value))
		}
		return seen
	}

	produceValues(t, b, topic, "a", 50)
	consume(50)
	checkCommittedAtEnd(t, adm, "kafkago", topic)
	produceValues(t, b, topic, "b", 20)
	for _, v := range consume(20) {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("restarted kafka-go reader re-read %q", v)
		}
	}
	checkCommittedAtEnd(t, adm, "kafkago", topic)
}

func TestGroupKcatBalanced(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: run `make deps` (make test does) to install it")
	}
	b := groupBroker(t)
	adm := b.Admin(t)
	const topic = "kcat-group"
	createTopic(t, adm, topic, 3, nil)

	consume := func(n int) []string {
		ctx := ctxT(t, 90*time.Second)
		out, err := exec.CommandContext(ctx, kcat, "-b", b.Addr(), "-G", "kcat", "-X", "auto.offset.reset=earliest",
			"-c", itoa(n), "-q", "-f", "%s\n", "-X", "auto.commit.interval.ms=100", topic).CombinedOutput()
		if err != nil {
			t.Fatalf("kcat -G: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		sort.Strings(lines)
		return lines
	}
	produceValues(t, b, topic, "a", 30)
	if got := consume(30); len(got) != 30 {
		t.Fatalf("kcat consumed %d lines, want 30", len(got))
	}
	checkCommittedAtEnd(t, adm, "kcat", topic)
	produceValues(t, b, topic, "b", 12)
	for _, v := range consume(12) {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("restarted kcat re-read %q", v)
		}
	}
	checkCommittedAtEnd(t, adm, "kcat", topic)
}
