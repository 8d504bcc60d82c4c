package itest

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricValue finds one sample in a Prometheus text exposition.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("metric %s not exposed", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHTTPHealthAndMetrics(t *testing.T) {
	b := testutil.NewBroker(t)
	base := "http://" + b.HTTPAddr()
	if code, body := httpGet(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz: %d %s", code, body)
	}
	createTopic(t, b.Admin(t), "metered", 2, nil)
	p := b.Client(t, kgo.DefaultProduceTopic("metered"), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for i := 0; i < 10; i++ {
		if err := p.ProduceSync(ctxT(t, 10*time.Second), &kgo.Record{Value: make([]byte, 100), Partition: 1}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	consumeN(t, b, "metered", 10)

	_, text := httpGet(t, base+"/metrics")
	if v := metricValue(t, text, `gregor_topic_bytes_in_total{topic="metered"}`); v < 1000 {
		t.Errorf("bytes in %v, want >= 1000", v)
	}
	if v := metricValue(t, text, `gregor_topic_bytes_out_total{topic="metered"}`); v < 1000 {
		t.Errorf("bytes out %v, want >= 1000", v)
	}
	if v := metricValue(t, text, `gregor_log_end_offset{partition="1",topic="metered"}`); v != 10 {
		t.Errorf("log end offset %v, want 10", v)
	}
	if v := metricValue(t, text, `gregor_requests_total{api="Produce"}`); v < 10 {
		t.Errorf("produce requests %v, want >= 10", v)
	}
	if v := metricValue(t, text, `gregor_log_fsync_duration_seconds_count`); v < 1 {
		t.Errorf("fsyncs %v, want >= 1", v)
	}
	if v := metricValue(t, text, `gregor_partitions`); v < 2 {
		t.Errorf("partitions %v", v)
	}
	if v := metricValue(t, text, `gregor_connections`); v < 1 {
		t.Errorf("connections %v", v)
	}
}
