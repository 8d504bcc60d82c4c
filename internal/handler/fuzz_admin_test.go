package handler_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/handler"
	"github.com/gregor-streaming/gregor/internal/server"
)

// fuzzAdminKeys are the admin APIs the fuzz target drives. DeleteTopics is
// left out (it would delete the fixture), and the APIs that change metadata
// are forced to validate-only so that random counts cannot create 200,000
// partitions.
var fuzzAdminKeys = []int16{2, 21, 23, 32, 33, 35, 37, 44, 60, 61}

// fuzzSeedRequests returns one representative request per admin API,
// naming the fixture topic "fz".
func fuzzSeedRequests() []kmsg.Request {
	topic := "fz"
	lo := kmsg.NewPtrListOffsetsRequest()
	lot := kmsg.NewListOffsetsRequestTopic()
	lot.Topic = topic
	for _, ts := range []int64{-1, -2, -3, 1000} {
		p := kmsg.NewListOffsetsRequestTopicPartition()
		p.Timestamp = ts
		lot.Partitions = append(lot.Partitions, p)
	}
	lo.Topics = append(lo.Topics, lot)

	dr := kmsg.NewPtrDeleteRecordsRequest()
	drt := kmsg.NewDeleteRecordsRequestTopic()
	drt.Topic = topic
	drt.Partitions = []kmsg.DeleteRecordsRequestTopicPartition{{Partition: 1, Offset: 0}}
	dr.Topics = append(dr.Topics, drt)

	ofle := kmsg.NewPtrOffsetForLeaderEpochRequest()
	oft := kmsg.NewOffsetForLeaderEpochRequestTopic()
	oft.Topic = topic
	ofp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
	oft.Partitions = append(oft.Partitions, ofp)
	ofle.Topics = append(ofle.Topics, oft)

	dc := kmsg.NewPtrDescribeConfigsRequest()
	for _, r := range []struct {
		typ  kmsg.ConfigResourceType
		name string
	}{{2, topic}, {4, "1"}, {4, ""}, {8, "1"}} {
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = r.typ, r.name
		dc.Resources = append(dc.Resources, rr)
	}
	dc.IncludeSynonyms, dc.IncludeDocumentation = true, true

	v := "1000"
	ac := kmsg.NewPtrAlterConfigsRequest()
	acr := kmsg.NewAlterConfigsRequestResource()
	acr.ResourceType, acr.ResourceName = 2, topic
	acr.Configs = []kmsg.AlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: &v}}
	ac.Resources = append(ac.Resources, acr)

	ld := kmsg.NewPtrDescribeLogDirsRequest()

	cp := kmsg.NewPtrCreatePartitionsRequest()
	cpt := kmsg.NewCreatePartitionsRequestTopic()
	cpt.Topic, cpt.Count = topic, 3
	cp.Topics = append(cp.Topics, cpt)

	iac := kmsg.NewPtrIncrementalAlterConfigsRequest()
	iacr := kmsg.NewIncrementalAlterConfigsRequestResource()
	iacr.ResourceType, iacr.ResourceName = 2, topic
	iacr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "cleanup.policy", Op: 2, Value: &v}}
	iac.Resources = append(iac.Resources, iacr)

	dcl := kmsg.NewPtrDescribeClusterRequest()

	dp := kmsg.NewPtrDescribeProducersRequest()
	dpt := kmsg.NewDescribeProducersRequestTopic()
	dpt.Topic, dpt.Partitions = topic, []int32{0, 1, 9}
	dp.Topics = append(dp.Topics, dpt)

	return []kmsg.Request{lo, dr, ofle, dc, ac, ld, cp, iac, dcl, dp}
}

// FuzzAdminRequests decodes arbitrary bytes as an admin request at any
// served version and hands it to the handler in-process. Invariants: no
// panic, an answer of the request's kind and version that kmsg can encode.
// The default test run executes the seed corpus (every admin API at every
// version served); run `go test -fuzz FuzzAdminRequests ./internal/handler/`
// for more.
func FuzzAdminRequests(f *testing.F) {
	node := quietNode(f)
	cl, err := kgo.NewClient(kgo.SeedBrokers(node.KafkaAddr().String()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		f.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(context.Background(), 2, 1, nil, "fz"); err != nil {
		f.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "fz", Value: []byte("a")}, &kgo.Record{Topic: "fz", Partition: 1, Value: []byte("b")}).FirstErr(); err != nil {
		f.Fatal(err)
	}
	h := handler.New(node.Broker)

	for _, req := range fuzzSeedRequests() {
		lo, hi, ok := h.Versions(req.Key())
		if !ok {
			f.Fatalf("%s is not served", kmsg.NameForKey(req.Key()))
		}
		for v := lo; v <= hi; v++ {
			req.SetVersion(v)
			f.Add(req.Key(), v, req.AppendTo(nil))
		}
	}

	f.Fuzz(func(t *testing.T, key, version int16, body []byte) {
		key = fuzzAdminKeys[int(uint16(key))%len(fuzzAdminKeys)]
		lo, hi, ok := h.Versions(key)
		if !ok {
			t.Fatalf("%s is not served", kmsg.NameForKey(key))
		}
		version = lo + int16(int(uint16(version))%int(hi-lo+1))
		req := kmsg.RequestForKey(key)
		req.SetVersion(version)
		if err := req.ReadFrom(body); err != nil {
			return
		}
		switch r := req.(type) {
		case *kmsg.CreatePartitionsRequest:
			r.ValidateOnly = true
		case *kmsg.AlterConfigsRequest:
			r.ValidateOnly = true
		case *kmsg.IncrementalAlterConfigsRequest:
			r.ValidateOnly = true
		case *kmsg.DeleteRecordsRequest:
			r.TimeoutMillis = 1000
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		reply := h.Handle(ctx, &handler.Request{Key: key, Version: version, Body: req, Received: time.Now()})
		resp := reply.Resp
		if resp == nil && reply.Wait != nil {
			resp = reply.Wait()
		}
		if resp == nil {
			t.Fatalf("%s v%d: no answer", kmsg.NameForKey(key), version)
		}
		if resp.Key() != key || resp.GetVersion() != version {
			t.Fatalf("%s v%d answered with key %d v%d", kmsg.NameForKey(key), version, resp.Key(), resp.GetVersion())
		}
		_ = resp.AppendTo(nil)
	})
}

// quietNode starts a single-node broker whose logs are discarded: the fuzz
// target may not log through the test (testutil routes logs to t.Log).
func quietNode(f *testing.F) *server.Node {
	f.Helper()
	cfg := config.DefaultBroker()
	cfg.Listen = "127.0.0.1:0"
	cfg.Advertise = "127.0.0.1:0"
	cfg.HTTP = ""
	cfg.ControllerListen = "127.0.0.1:0"
	cfg.DataDir = f.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := server.StartNode(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := node.Shutdown(ctx); err != nil {
			f.Errorf("stopping broker: %v", err)
		}
	})
	return node
}
