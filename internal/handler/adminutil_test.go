package handler_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// testCtx bounds one test's client calls; generous for a loaded 2-core box.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createTopic creates a topic and fails the test on any error.
func createTopic(t *testing.T, adm *kadm.Client, name string, partitions int32, configs map[string]*string) kadm.CreateTopicResponse {
	t.Helper()
	resp, err := adm.CreateTopic(testCtx(t), partitions, 1, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return resp
}

// produceTo writes records to one partition synchronously, one batch per
// call, and returns their offsets.
func produceTo(t *testing.T, cl *kgo.Client, rs ...*kgo.Record) []int64 {
	t.Helper()
	res := cl.ProduceSync(testCtx(t), rs...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	offs := make([]int64, len(res))
	for i, r := range res {
		offs[i] = r.Record.Offset
	}
	return offs
}

// producer is a client that writes to the partition each record names.
func producer(t *testing.T, b *testutil.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return b.Client(t, append([]kgo.Opt{kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
}

// clientAt returns a client that uses API key at most version v.
func clientAt(t *testing.T, b *testutil.Broker, key, v int16) *kgo.Client {
	t.Helper()
	vs := kversion.Stable()
	vs.SetMaxKeyVersion(key, v)
	return b.Client(t, kgo.MaxVersions(vs))
}

// request sends a raw request straight to the (single) seed broker, without
// kgo's sharding by partition leader, and fails the test on transport errors.
func request[R kmsg.Response](t *testing.T, cl *kgo.Client, req kmsg.Request) R {
	t.Helper()
	resp, err := cl.SeedBrokers()[0].Request(testCtx(t), req)
	if err != nil {
		t.Fatalf("%s request: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp.(R)
}

// wantCode fails the test unless code is want.
func wantCode(t *testing.T, what string, code int16, want *kerr.Error) {
	t.Helper()
	wantCodeNum := int16(0)
	if want != nil {
		wantCodeNum = want.Code
	}
	if code != wantCodeNum {
		t.Errorf("%s: error %v, want %v", what, kerr.ErrorForCode(code), want)
	}
}
