package itest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// TestSarama produces and consumes with sarama at its default protocol
// version (Config.Version 2.8.0 in the 1.61 line).
func TestSarama(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "sarama", 3, nil)

	cfg := sarama.NewConfig()
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Compression = sarama.CompressionSnappy
	prod, err := sarama.NewSyncProducer([]string{b.Addr()}, cfg)
	if err != nil {
		t.Fatalf("sarama producer: %v", err)
	}
	defer prod.Close()
	const n = 300
	sent := map[int32][]string{}
	for i := 0; i < n; i++ {
		v := "sarama-" + strconv.Itoa(i)
		p, off, err := prod.SendMessage(&sarama.ProducerMessage{Topic: "sarama", Key: sarama.StringEncoder(strconv.Itoa(i % 7)), Value: sarama.StringEncoder(v)})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if off != int64(len(sent[p])) {
			t.Fatalf("record %d got offset %d on partition %d, want %d", i, off, p, len(sent[p]))
		}
		sent[p] = append(sent[p], v)
	}

	cons, err := sarama.NewConsumer([]string{b.Addr()}, sarama.NewConfig())
	if err != nil {
		t.Fatalf("sarama consumer: %v", err)
	}
	defer cons.Close()
	for p, want := range sent {
		pc, err := cons.ConsumePartition("sarama", p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("consume partition %d: %v", p, err)
		}
		for i, w := range want {
			select {
			case m := <-pc.Messages():
				if string(m.Value) != w || m.Offset != int64(i) {
					t.Fatalf("partition %d: got %q at %d, want %q at %d", p, m.Value, m.Offset, w, i)
				}
			case err := <-pc.Errors():
				t.Fatalf("partition %d: %v", p, err)
			case <-time.After(30 * time.Second):
				t.Fatalf("partition %d: timed out after %d records", p, i)
			}
		}
		pc.Close()
	}
}

// TestKafkaGo uses segmentio/kafka-go's Writer and Conn.
func TestKafkaGo(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "kafkago", 2, nil)
	w := &kafkago.Writer{Addr: kafkago.TCP(b.Addr()), Topic: "kafkago", Balancer: &kafkago.Hash{}, RequiredAcks: kafkago.RequireAll, Compression: kafkago.Lz4, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var msgs []kafkago.Message
	for i := 0; i < 200; i++ {
		msgs = append(msgs, kafkago.Message{Key: []byte(strconv.Itoa(i % 3)), Value: []byte("kg-" + strconv.Itoa(i))})
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("kafka-go writer: %v", err)
	}

	total := 0
	for p := 0; p < 2; p++ {
		conn, err := kafkago.DialLeader(ctx, "tcp", b.Addr(), "kafkago", p)
		if err != nil {
			t.Fatalf("dial leader %d: %v", p, err)
		}
		first, last, err := conn.ReadOffsets()
		if err != nil {
			t.Fatalf("read offsets: %v", err)
		}
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		batch := conn.ReadBatch(1, 10<<20)
		for off := first; off < last; off++ {
			m, err := batch.ReadMessage()
			if err != nil {
				t.Fatalf("partition %d offset %d: %v", p, off, err)
			}
			if m.Offset != off || !bytes.HasPrefix(m.Value, []byte("kg-")) {
				t.Fatalf("partition %d: got offset %d value %q", p, m.Offset, m.Value)
			}
			total++
		}
		batch.Close()
		conn.Close()
	}
	if total != 200 {
		t.Fatalf("read %d messages, want 200", total)
	}
}

// TestKcat produces and consumes with kcat (librdkafka), which make test
// installs from Debian's packages.
func TestKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: run `make deps` (make test does) to install it")
	}
	b := testutil.NewBroker(t)
	var in strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&in, "k%d:v%d\n", i%4, i)
	}
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		topic := "kcat-" + codec
		cmd := exec.Command(kcat, "-P", "-b", b.Addr(), "-t", topic, "-K", ":", "-z", codec, "-X", "acks=all")
		cmd.Stdin = strings.NewReader(in.String())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat produce (%s): %v\n%s", codec, err, out)
		}
		out, err := exec.Command(kcat, "-C", "-b", b.Addr(), "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k=%s@%o\n").CombinedOutput()
		if err != nil {
			t.Fatalf("kcat consume (%s): %v\n%s", codec, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 100 {
			t.Fatalf("kcat (%s) consumed %d lines, want 100:\n%s", codec, len(lines), out)
		}
		for i, l := range lines {
			if want := fmt.Sprintf("k%d=v%d@%d", i%4, i, i); l != want {
				t.Fatalf("kcat (%s) line %d = %q, want %q", codec, i, l, want)
			}
		}
	}
}
