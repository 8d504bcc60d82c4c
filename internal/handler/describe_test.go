package handler_test

import (
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

func TestDescribeCluster(t *testing.T) {
	b := testutil.NewBroker(t)
	cl := b.Client(t)

	req := kmsg.NewPtrDescribeClusterRequest()
	req.IncludeClusterAuthorizedOperations = true
	req.IncludeFencedBrokers = true
	resp := request[*kmsg.DescribeClusterResponse](t, cl, req)
	wantCode(t, "describe cluster", resp.ErrorCode, nil)
	if resp.ClusterID == "" || resp.ControllerID != 1 || resp.EndpointType != 1 {
		t.Errorf("cluster id %q controller %d endpoint type %d; want an id, controller 1, brokers", resp.ClusterID, resp.ControllerID, resp.EndpointType)
	}
	if len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 1 || resp.Brokers[0].IsFenced {
		t.Fatalf("brokers %+v, want node 1 unfenced", resp.Brokers)
	}
	if got := resp.Brokers[0]; b.Addr() != got.Host+":"+itoa(got.Port) {
		t.Errorf("broker endpoint %s:%d, want %s", got.Host, got.Port, b.Addr())
	}
	if resp.ClusterAuthorizedOperations == -2147483648 || resp.ClusterAuthorizedOperations == 0 {
		t.Errorf("authorized operations %d, want a bit set", resp.ClusterAuthorizedOperations)
	}

	// Metadata names the same cluster.
	md := request[*kmsg.MetadataResponse](t, cl, kmsg.NewPtrMetadataRequest())
	if md.ClusterID == nil || *md.ClusterID != resp.ClusterID {
		t.Errorf("metadata cluster id %v, describe cluster %q", md.ClusterID, resp.ClusterID)
	}

	for _, tc := range []struct {
		endpoint int8
		want     *kerr.Error
	}{{2, kerr.MismatchedEndpointType}, {9, kerr.UnsupportedEndpointType}} {
		req := kmsg.NewPtrDescribeClusterRequest()
		req.EndpointType = tc.endpoint
		wantCode(t, "endpoint type", request[*kmsg.DescribeClusterResponse](t, cl, req).ErrorCode, tc.want)
	}

	// v0: no endpoint type in the request, brokers answered.
	v0 := request[*kmsg.DescribeClusterResponse](t, clientAt(t, b, 60, 0), kmsg.NewPtrDescribeClusterRequest())
	if v0.Version != 0 || v0.ErrorCode != 0 || len(v0.Brokers) != 1 {
		t.Errorf("v0: version %d, %v, %d brokers", v0.Version, kerr.ErrorForCode(v0.ErrorCode), len(v0.Brokers))
	}
}

func itoa(n int32) string {
	if n == 0 {
		return "0"
	}
	var buf [12]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

func TestDescribeLogDirs(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "ld", 2, nil)
	createTopic(t, adm, "ld-other", 1, nil)
	produceTo(t, producer(t, b, kgo.ProducerBatchCompression(kgo.NoCompression())), &kgo.Record{Topic: "ld", Partition: 1, Value: make([]byte, 500)})

	dirs, err := adm.DescribeBrokerLogDirs(testCtx(t), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.Abs(b.DataDir())
	d, ok := dirs[want]
	if len(dirs) != 1 || !ok || d.Err != nil {
		t.Fatalf("log dirs %v, want only %s", dirs, want)
	}
	if d.TotalBytes <= 0 || d.UsableBytes <= 0 || d.UsableBytes > d.TotalBytes {
		t.Errorf("volume total %d usable %d", d.TotalBytes, d.UsableBytes)
	}
	p1, ok := dirs.LookupPartition("ld", 1)
	if !ok || p1.Size < 500 {
		t.Errorf("ld-1 size %d (found %v), want >= 500 after a 500-byte record", p1.Size, ok)
	}
	if p0, ok := dirs.LookupPartition("ld", 0); !ok || p0.Size != 0 {
		t.Errorf("ld-0 size %d (found %v), want 0", p0.Size, ok)
	}
	if _, ok := dirs.LookupPartition("ld-other", 0); !ok {
		t.Error("ld-other-0 missing from the full listing")
	}

	// Only the requested (and hosted) partitions.
	only := kadm.TopicsSet{}
	only.Add("ld", 1, 7)
	dirs, err = adm.DescribeBrokerLogDirs(testCtx(t), 1, only)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	dirs.EachPartition(func(p kadm.DescribedLogDirPartition) {
		n++
		if p.Topic != "ld" || p.Partition != 1 {
			t.Errorf("unrequested partition %s-%d listed", p.Topic, p.Partition)
		}
	})
	if n != 1 {
		t.Errorf("%d partitions listed, want ld-1 only", n)
	}
}

func TestDescribeProducers(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "dp", 2, nil)
	cl := producer(t, b) // idempotent by default
	for i := 0; i < 3; i++ {
		produceTo(t, cl, &kgo.Record{Topic: "dp", Partition: 0, Value: []byte{byte(i)}})
	}

	set := kadm.TopicsSet{}
	set.Add("dp", 0, 1)
	ds, err := adm.DescribeProducers(testCtx(t), set)
	if err != nil {
		t.Fatal(err)
	}
	parts := ds["dp"].Partitions
	p0 := parts[0]
	if p0.Err != nil || len(p0.ActiveProducers) != 1 {
		t.Fatalf("dp-0: %v, %d producers; want one", p0.Err, len(p0.ActiveProducers))
	}
	for _, pr := range p0.ActiveProducers {
		if pr.ProducerID < 0 || pr.ProducerEpoch != 0 || pr.LastSequence != 2 || pr.LastTimestamp <= 0 || pr.CurrentTxnStartOffset != -1 || pr.CoordinatorEpoch != -1 {
			t.Errorf("producer %+v: want id >= 0, epoch 0, last sequence 2, a timestamp, no transaction", pr)
		}
	}
	if p1 := parts[1]; p1.Err != nil || len(p1.ActiveProducers) != 0 {
		t.Errorf("dp-1: %v, %d producers; want none", p1.Err, len(p1.ActiveProducers))
	}

	// An unknown partition, asked directly.
	req := kmsg.NewPtrDescribeProducersRequest()
	rt := kmsg.NewDescribeProducersRequestTopic()
	rt.Topic, rt.Partitions = "dp", []int32{5}
	req.Topics = append(req.Topics, rt)
	resp := request[*kmsg.DescribeProducersResponse](t, b.Client(t), req)
	wantCode(t, "unknown partition", resp.Topics[0].Partitions[0].ErrorCode, kerr.UnknownTopicOrPartition)
}
