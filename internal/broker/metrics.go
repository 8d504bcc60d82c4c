package broker

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the broker-level Prometheus metrics handlers update.
type Metrics struct {
	// BytesIn counts record batch bytes appended, by topic.
	BytesIn *prometheus.CounterVec
	// BytesOut counts record batch bytes sent to consumers, by topic.
	BytesOut *prometheus.CounterVec
	// MessagesIn counts records appended, by topic.
	MessagesIn *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, b *Broker) *Metrics {
	m := &Metrics{
		BytesIn:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gregor_topic_bytes_in_total", Help: "Record batch bytes appended, by topic."}, []string{"topic"}),
		BytesOut:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gregor_topic_bytes_out_total", Help: "Record batch bytes sent to consumers, by topic."}, []string{"topic"}),
		MessagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gregor_topic_messages_in_total", Help: "Records appended, by topic."}, []string{"topic"}),
	}
	reg.MustRegister(m.BytesIn, m.BytesOut, m.MessagesIn, partitionCollector{b})
	return m
}

// partitionCollector reports per-partition state at scrape time, so the
// append and fetch paths pay nothing for it.
type partitionCollector struct{ b *Broker }

var (
	descPartitions = prometheus.NewDesc("gregor_partitions", "Partitions hosted by this broker.", nil, nil)
	descLeaders    = prometheus.NewDesc("gregor_partition_leaders", "Partitions this broker leads.", nil, nil)
	descEndOffset  = prometheus.NewDesc("gregor_log_end_offset", "Log end offset.", []string{"topic", "partition"}, nil)
	descStart      = prometheus.NewDesc("gregor_log_start_offset", "Log start offset.", []string{"topic", "partition"}, nil)
	descHW         = prometheus.NewDesc("gregor_high_watermark", "High watermark.", []string{"topic", "partition"}, nil)
	descSize       = prometheus.NewDesc("gregor_log_size_bytes", "Bytes of the partition's segments.", []string{"topic", "partition"}, nil)
)

func (c partitionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPartitions, descLeaders, descEndOffset, descStart, descHW, descSize} {
		ch <- d
	}
}

func (c partitionCollector) Collect(ch chan<- prometheus.Metric) {
	if c.b.Replicas == nil {
		return
	}
	parts := c.b.Replicas.All()
	leaders := 0
	for _, p := range parts {
		if p.IsLeader() {
			leaders++
		}
		l := p.Log()
		idx := strconv.Itoa(int(p.Index))
		ch <- prometheus.MustNewConstMetric(descEndOffset, prometheus.GaugeValue, float64(l.LogEndOffset()), p.Topic, idx)
		ch <- prometheus.MustNewConstMetric(descStart, prometheus.GaugeValue, float64(l.LogStartOffset()), p.Topic, idx)
		ch <- prometheus.MustNewConstMetric(descHW, prometheus.GaugeValue, float64(p.HighWatermark()), p.Topic, idx)
		ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(l.Size()), p.Topic, idx)
	}
	ch <- prometheus.MustNewConstMetric(descPartitions, prometheus.GaugeValue, float64(len(parts)))
	ch <- prometheus.MustNewConstMetric(descLeaders, prometheus.GaugeValue, float64(leaders))
}
