package itest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// rawConn speaks the Kafka framing by hand, to send what clients never do.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	id int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

func (r *rawConn) sendFrame(frame []byte) {
	r.t.Helper()
	buf := binary.BigEndian.AppendUint32(nil, uint32(len(frame)))
	if _, err := r.c.Write(append(buf, frame...)); err != nil {
		r.t.Fatal(err)
	}
}

// request encodes req with a v1/v2 header.
func (r *rawConn) request(req kmsg.Request) []byte {
	r.id++
	b := kbin.AppendInt16(nil, req.Key())
	b = kbin.AppendInt16(b, req.GetVersion())
	b = kbin.AppendInt32(b, r.id)
	b = kbin.AppendNullableString(b, kmsg.StringPtr("raw"))
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return req.AppendTo(b)
}

// roundTrip sends req and decodes the response.
func (r *rawConn) roundTrip(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	r.sendFrame(r.request(req))
	r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(r.c, size[:]); err != nil {
		r.t.Fatalf("reading response: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(r.c, body); err != nil {
		r.t.Fatal(err)
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != r.id {
		r.t.Fatalf("correlation id %d, want %d", got, r.id)
	}
	body = body[4:]
	resp := req.ResponseKind()
	if resp.IsFlexible() && req.Key() != 18 {
		body = body[1:] // empty header tags
	}
	if err := resp.ReadFrom(body); err != nil {
		r.t.Fatalf("decoding %T: %v", resp, err)
	}
	return resp
}

// expectClosed checks that the broker closes the connection.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.ReadAll(r.c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		r.t.Fatal("connection still open")
	}
}

// brokerAlive checks that normal clients are still served.
func brokerAlive(t *testing.T, b *testutil.Broker) {
	t.Helper()
	if _, err := b.Admin(t).ListTopics(ctxT(t, 10*time.Second)); err != nil {
		t.Fatalf("broker stopped serving: %v", err)
	}
}

func TestBadFramesCloseOnlyThatConnection(t *testing.T) {
	b := testutil.NewBroker(t)
	cases := map[string][]byte{
		"garbage header":                    {0xde, 0xad},
		"unknown api key":                   append(kbin.AppendInt16(nil, 999), 0, 0, 0, 0, 0, 1, 0xff, 0xff),
		"unsupported version":               append(kbin.AppendInt16(nil, 1), 0, 0, 0, 0, 0, 1, 0xff, 0xff),
		"truncated body":                    append(kbin.AppendInt16(nil, 3), 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0x05),
		"metadata with a huge array length": append(kbin.AppendInt16(nil, 3), 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff),
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			c := dialRaw(t, b.Addr())
			c.sendFrame(frame)
			c.expectClosed()
			brokerAlive(t, b)
		})
	}
	t.Run("oversized frame", func(t *testing.T) {
		c := dialRaw(t, b.Addr())
		c.c.Write([]byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0})
		c.expectClosed()
		brokerAlive(t, b)
	})
	t.Run("negative frame size", func(t *testing.T) {
		c := dialRaw(t, b.Addr())
		c.c.Write([]byte{0xff, 0xff, 0xff, 0xf0})
		c.expectClosed()
		brokerAlive(t, b)
	})
	t.Run("silent client does not block others", func(t *testing.T) {
		c := dialRaw(t, b.Addr())
		c.c.Write([]byte{0, 0, 0, 100}) // promises 100 bytes, sends none
		brokerAlive(t, b)
	})
}

func TestApiVersionsUnknownVersionFallsBack(t *testing.T) {
	b := testutil.NewBroker(t)
	c := dialRaw(t, b.Addr())
	// Version 99 of ApiVersions: the answer is v0 layout with error 35.
	frame := kbin.AppendInt16(nil, 18)
	frame = kbin.AppendInt16(frame, 99)
	frame = kbin.AppendInt32(frame, 1)
	frame = kbin.AppendNullableString(frame, nil)
	frame = append(frame, 0, 0, 0) // some body we must not parse
	c.id = 1
	c.sendFrame(frame)
	c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c.c, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	io.ReadFull(c.c, body)
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	if err := resp.ReadFrom(body[4:]); err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) < 10 {
		t.Fatalf("error %d with %d keys", resp.ErrorCode, len(resp.ApiKeys))
	}
}

// batchBytes builds a valid one-record RecordBatch v2.
func batchBytes() []byte { return valuesBatch([]byte("hello")) }

// valuesBatch builds a valid uncompressed RecordBatch v2 with one keyless
// record per value.
func valuesBatch(values ...[]byte) []byte { return keyedBatch(nil, values) }

// keyedBatch is valuesBatch with keys: record i has keys[i] (nil or a
// missing entry is a null key).
func keyedBatch(keys, values [][]byte) []byte {
	var recs []byte
	for i, v := range values {
		rec := kmsg.Record{Value: v, OffsetDelta: int32(i)}
		if i < len(keys) {
			rec.Key = keys[i]
		}
		rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the length varint of 0 is one byte
		recs = rec.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(len(values) - 1),
		FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(len(values)), Records: recs,
	}
	raw := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return raw
}

func produceRaw(t *testing.T, c *rawConn, topic string, records []byte) *kmsg.ProduceResponseTopicPartition {
	t.Helper()
	resp := c.roundTrip(produceRequest(topic, []int32{0}, [][]byte{records})).(*kmsg.ProduceResponse)
	return &resp.Topics[0].Partitions[0]
}

// produceRequest is an acks=all Produce v9 to topic with batches[i] for
// partition parts[i].
func produceRequest(topic string, parts []int32, batches [][]byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	req.TimeoutMillis = 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	for i, p := range parts {
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition = p
		rp.Records = batches[i]
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

func TestProduceValidationErrorCodes(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "v", 1, nil)
	c := dialRaw(t, b.Addr())

	good := batchBytes()
	if p := produceRaw(t, c, "v", good); p.ErrorCode != 0 || p.BaseOffset != 0 {
		t.Fatalf("valid batch: error %d offset %d", p.ErrorCode, p.BaseOffset)
	}
	mutate := func(f func([]byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	cases := []struct {
		name    string
		records []byte
		want    *kerr.Error
	}{
		{"bad crc", mutate(func(b []byte) { b[len(b)-1] ^= 0xff }), kerr.CorruptMessage},
		{"wrong magic", mutate(func(b []byte) { b[16] = 1 }), kerr.InvalidRecord},
		{"truncated", good[:len(good)-3], kerr.CorruptMessage},
		{"two batches", append(append([]byte(nil), good...), good...), kerr.InvalidRecord},
		{"nonzero base offset", mutate(func(b []byte) { b[7] = 5 }), kerr.InvalidRecord},
		{"control batch", mutate(func(b []byte) {
			b[22] |= 0x20
			binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
		}), kerr.InvalidRecord},
		{"count mismatch", mutate(func(b []byte) {
			binary.BigEndian.PutUint32(b[57:], 3)
			binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
		}), kerr.InvalidRecord},
		{"empty", nil, kerr.InvalidRecord},
	}
	for _, tc := range cases {
		p := produceRaw(t, c, "v", tc.records)
		if p.ErrorCode != tc.want.Code {
			t.Errorf("%s: error %v, want %v", tc.name, kerr.ErrorForCode(p.ErrorCode), tc.want)
		}
	}
	if p := produceRaw(t, c, "no-such-topic-for-raw", good); p.ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("unknown topic: %v", kerr.ErrorForCode(p.ErrorCode))
	}
	// Nothing bad was stored: the log holds only the valid batch.
	offs, _ := b.Admin(t).ListEndOffsets(ctxT(t, 10*time.Second), "v")
	if end := offs["v"][0].Offset; end != 1 {
		t.Fatalf("end offset %d after one good batch and %d bad ones", end, len(cases))
	}
	recs := consumeN(t, b, "v", 1, kgo.FetchMaxWait(100*time.Millisecond))
	if string(recs[0].Value) != "hello" {
		t.Fatalf("stored %q", recs[0].Value)
	}
}

func TestCompactedTopicRejectsNullKeys(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "compacted", 1, map[string]*string{"cleanup.policy": kmsg.StringPtr("compact")})
	for _, codec := range []kgo.CompressionCodec{kgo.NoCompression(), kgo.ZstdCompression()} {
		cl := b.Client(t, kgo.DefaultProduceTopic("compacted"), kgo.ProducerBatchCompression(codec), kgo.RecordRetries(0))
		err := cl.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Value: []byte("no key, compress me please please please please please")}).FirstErr()
		if !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("null key on a compacted topic: %v, want INVALID_RECORD", err)
		}
		if err := cl.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatalf("keyed record: %v", err)
		}
	}

	// Produce v8+ names every keyless record of the batch (KIP-467), so
	// that librdkafka fails those with INVALID_RECORD and the rest with
	// _INVALID_DIFFERENT_RECORD, free to be sent again.
	c := dialRaw(t, b.Addr())
	batch := keyedBatch([][]byte{nil, []byte("k1"), nil, []byte("k3")}, [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")})
	p := produceRaw(t, c, "compacted", batch)
	if p.ErrorCode != kerr.InvalidRecord.Code {
		t.Fatalf("mixed batch: %v, want INVALID_RECORD", kerr.ErrorForCode(p.ErrorCode))
	}
	var idx []int32
	for _, e := range p.ErrorRecords {
		idx = append(idx, e.RelativeOffset)
		if e.ErrorMessage == nil || !strings.Contains(*e.ErrorMessage, "without key in topic partition compacted-0") {
			t.Errorf("record %d: message %v", e.RelativeOffset, e.ErrorMessage)
		}
	}
	if fmt.Sprint(idx) != "[0 2]" {
		t.Fatalf("record errors name records %v, want [0 2]", idx)
	}
	if p.ErrorMessage == nil || !strings.HasPrefix(*p.ErrorMessage, "One or more records have been rejected due to 2 record errors") {
		t.Fatalf("batch message %v", p.ErrorMessage)
	}
}

func apiVersionsReq() kmsg.Request {
	r := kmsg.NewPtrApiVersionsRequest()
	r.Version = 3
	r.ClientSoftwareName = "raw"
	r.ClientSoftwareVersion = "1"
	return r
}

// TestMinInsyncReplicas: with min.insync.replicas above the ISR (one broker),
// acks=all writes are refused with NOT_ENOUGH_REPLICAS before anything is
// appended, acks=1 writes pass, and lowering the config lifts the refusal.
func TestMinInsyncReplicas(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "mir", 1, map[string]*string{"min.insync.replicas": kmsg.StringPtr("2")})
	all := b.Client(t, kgo.DefaultProduceTopic("mir"), kgo.RecordRetries(0), kgo.RequestRetries(0))
	err := all.ProduceSync(ctxT(t, 10*time.Second), kgo.StringRecord("x")).FirstErr()
	if !errors.Is(err, kerr.NotEnoughReplicas) {
		t.Fatalf("acks=all with min.insync.replicas=2 on one broker: %v, want NOT_ENOUGH_REPLICAS", err)
	}
	one := b.Client(t, kgo.DefaultProduceTopic("mir"), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err := one.ProduceSync(ctxT(t, 10*time.Second), kgo.StringRecord("y")).FirstErr(); err != nil {
		t.Fatalf("acks=1: %v", err)
	}
	if _, err := adm.AlterTopicConfigs(ctxT(t, 10*time.Second), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "min.insync.replicas", Value: kmsg.StringPtr("1")}}, "mir"); err != nil {
		t.Fatal(err)
	}
	all2 := b.Client(t, kgo.DefaultProduceTopic("mir"))
	if err := all2.ProduceSync(ctxT(t, 10*time.Second), kgo.StringRecord("z")).FirstErr(); err != nil {
		t.Fatalf("acks=all after lowering min.insync.replicas: %v", err)
	}
	offs, _ := adm.ListEndOffsets(ctxT(t, 10*time.Second), "mir")
	if end := offs["mir"][0].Offset; end != 2 {
		t.Fatalf("end offset %d, want 2 (the refused write must not be in the log)", end)
	}
}

// TestAcksZero: a good acks=0 produce gets no response (the next request's
// answer is the next frame), a failed one closes the connection, as in Kafka.
func TestAcksZero(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "a0", 1, nil)
	send := func(c *rawConn, topic string) {
		t.Helper()
		req := kmsg.NewPtrProduceRequest()
		req.Version = 9
		req.Acks = 0
		req.TimeoutMillis = 1000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = batchBytes()
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		c.sendFrame(c.request(req))
	}
	c := dialRaw(t, b.Addr())
	send(c, "a0")
	c.roundTrip(apiVersionsReq()) // fails on a correlation id mismatch if the produce was answered
	offs, _ := b.Admin(t).ListEndOffsets(ctxT(t, 10*time.Second), "a0")
	if end := offs["a0"][0].Offset; end != 1 {
		t.Fatalf("acks=0 record not appended: end offset %d", end)
	}
	send(c, "no-such-topic-a0")
	c.expectClosed()
}

// TestTimestampBounds: message.timestamp.before/after.max.ms refuse records
// too far from the broker's clock with INVALID_TIMESTAMP, and a producer may
// not set the LogAppendTime attribute.
func TestTimestampBounds(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "ts", 1, map[string]*string{
		"message.timestamp.before.max.ms": kmsg.StringPtr("60000"),
		"message.timestamp.after.max.ms":  kmsg.StringPtr("60000"),
	})
	cl := b.Client(t, kgo.DefaultProduceTopic("ts"), kgo.RecordRetries(0))
	for _, tc := range []struct {
		name string
		ts   time.Time
		want error
	}{
		{"an hour old", time.Now().Add(-time.Hour), kerr.InvalidTimestamp},
		{"an hour ahead", time.Now().Add(time.Hour), kerr.InvalidTimestamp},
		{"now", time.Now(), nil},
	} {
		err := cl.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Value: []byte("v"), Timestamp: tc.ts}).FirstErr()
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	c := dialRaw(t, b.Addr())
	raw := batchBytes()
	raw[22] |= 0x08 // LogAppendTime
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	if p := produceRaw(t, c, "ts", raw); p.ErrorCode != kerr.InvalidTimestamp.Code {
		t.Fatalf("producer-set LogAppendTime: %v", kerr.ErrorForCode(p.ErrorCode))
	}
}
