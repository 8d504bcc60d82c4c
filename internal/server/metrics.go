package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type metrics struct {
	connections prometheus.Gauge
	bytesIn     prometheus.Counter
	bytesOut    prometheus.Counter
	badRequests prometheus.Counter
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec

	// Per-key children, resolved once: the hot path does no map lookups.
	reqByKey [128]prometheus.Counter
	latByKey [128]prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "gregor_connections", Help: "Open client connections."}),
		bytesIn:     prometheus.NewCounter(prometheus.CounterOpts{Name: "gregor_network_received_bytes_total", Help: "Bytes of requests received."}),
		bytesOut:    prometheus.NewCounter(prometheus.CounterOpts{Name: "gregor_network_sent_bytes_total", Help: "Bytes of responses sent."}),
		badRequests: prometheus.NewCounter(prometheus.CounterOpts{Name: "gregor_bad_requests_total", Help: "Connections closed for malformed or unsupported requests."}),
		requests:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gregor_requests_total", Help: "Requests handled, by API."}, []string{"api"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gregor_request_duration_seconds",
			Help:    "Time from a request's arrival to its response being queued for writing, by API.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2.5, 14),
		}, []string{"api"}),
	}
	if reg != nil {
		reg.MustRegister(m.connections, m.bytesIn, m.bytesOut, m.badRequests, m.requests, m.latency)
	}
	for k := range m.reqByKey {
		name := kmsg.NameForKey(int16(k))
		if name == "Unknown" {
			name = strconv.Itoa(k)
		}
		m.reqByKey[k] = m.requests.WithLabelValues(name)
		m.latByKey[k] = m.latency.WithLabelValues(name)
	}
	return m
}

func (m *metrics) observe(key int16, received time.Time) {
	if key < 0 || int(key) >= len(m.reqByKey) {
		return
	}
	m.reqByKey[key].Inc()
	m.latByKey[key].Observe(time.Since(received).Seconds())
}
