package serve

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors. Every name starts with
// labelfree_serve_.
type metrics struct {
	requests  *prometheus.CounterVec   // by code
	latency   *prometheus.HistogramVec // by code
	modelTime prometheus.Histogram
	errors    *prometheus.CounterVec // by error code
	shed      prometheus.Counter
	inFlight  prometheus.Gauge
	queued    prometheus.Gauge
	batchSize *prometheus.HistogramVec // by stage

	// Observers curried for the common case, so a request looks nothing up.
	ok200 prometheus.Observer
	cnt   prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "labelfree_serve_requests_total",
			Help: "Prediction requests answered, by HTTP status code.",
		}, []string{"code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "labelfree_serve_request_duration_seconds",
			Help: "Time from a prediction request's arrival to its reply, by HTTP status code.",
			// 50 µs to 10 s: serving overhead is sub-millisecond, models take longer.
			Buckets:                     prometheus.ExponentialBucketsRange(50e-6, 10, 22),
			NativeHistogramBucketFactor: 1.1,
		}, []string{"code"}),
		modelTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:                        "labelfree_serve_model_duration_seconds",
			Help:                        "Time spent decoding the image and running the model for one request.",
			Buckets:                     prometheus.ExponentialBucketsRange(10e-6, 10, 22),
			NativeHistogramBucketFactor: 1.1,
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "labelfree_serve_errors_total",
			Help: "Prediction requests answered with an error, by the error code of the reply.",
		}, []string{"error"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "labelfree_serve_shed_total",
			Help: "Requests refused with 503 because the server was at its concurrency and queue limits.",
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "labelfree_serve_in_flight_requests",
			Help: "Prediction requests admitted and not yet answered (reading, waiting or running).",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "labelfree_serve_queued_requests",
			Help: "Prediction requests waiting for a concurrency slot.",
		}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "labelfree_serve_batch_size",
			Help:    "Rows per micro-batch handed to a BatchTransformer stage.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}, []string{"stage"}),
	}
	m.ok200 = m.latency.WithLabelValues("200")
	m.cnt = m.requests.WithLabelValues("200")
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.latency, m.modelTime, m.errors, m.shed, m.inFlight, m.queued, m.batchSize}
}

func (m *metrics) register(r prometheus.Registerer) error {
	var errs []error
	for _, c := range m.collectors() {
		errs = append(errs, r.Register(c))
	}
	return errors.Join(errs...)
}

// observe records one answered prediction request.
func (m *metrics) observe(status int, seconds float64, errCode string) {
	if status == 200 {
		m.ok200.Observe(seconds)
		m.cnt.Inc()
		return
	}
	code := strconv.Itoa(status)
	m.latency.WithLabelValues(code).Observe(seconds)
	m.requests.WithLabelValues(code).Inc()
	if errCode != "" {
		m.errors.WithLabelValues(errCode).Inc()
	}
}
