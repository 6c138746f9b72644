package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Metrics are the consumer's Prometheus metrics (prefix riskwatch_ingest_).
type Metrics struct {
	consumed      prometheus.Counter
	inserted      prometheus.Counter
	rejected      *prometheus.CounterVec
	abandoned     prometheus.Counter
	batches       *prometheus.CounterVec
	batchSeconds  prometheus.Histogram
	commitSeconds prometheus.Histogram
	retries       *prometheus.CounterVec
	commitErrors  prometheus.Counter
	fetchErrors   prometheus.Counter
	groupErrors   prometheus.Counter
	bisections    prometheus.Counter
	rebalances    prometheus.Counter
	assigned      prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	ns := "riskwatch_ingest_"
	m := &Metrics{
		consumed:      prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "consumed_total", Help: "Messages fetched from Kafka and handed to the transform."}),
		inserted:      prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "inserted_rows_total", Help: "Rows acknowledged by ClickHouse."}),
		rejected:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "dead_letters_total", Help: "Records sent to the dead-letter topic, by reason."}, []string{"reason"}),
		abandoned:     prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "abandoned_total", Help: "Records left uncommitted at shutdown (redelivered later)."}),
		batches:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "batches_total", Help: "Batches flushed, by reason (rows, bytes, age, drain, shutdown)."}, []string{"reason"}),
		batchSeconds:  prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "batch_seconds", Help: "Time to write and commit one batch.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: ns + "commit_seconds", Help: "Offset commit latency.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 12)}),
		retries:       prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "retries_total", Help: "Retries after transient errors, by operation."}, []string{"op"}),
		commitErrors:  prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "commit_errors_total", Help: "Offset commits refused (rebalance, stale generation)."}),
		fetchErrors:   prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "fetch_errors_total", Help: "Fetch errors (retried)."}),
		groupErrors:   prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "group_errors_total", Help: "Failed attempts to start a consumer-group generation."}),
		bisections:    prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "bisections_total", Help: "Batches split to isolate rows ClickHouse refused."}),
		rebalances:    prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "generations_total", Help: "Consumer-group generations joined."}),
		assigned:      prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "assigned_partitions", Help: "Partitions assigned in the current generation."}),
	}
	if reg != nil {
		reg.MustRegister(m.consumed, m.inserted, m.rejected, m.abandoned, m.batches, m.batchSeconds, m.commitSeconds,
			m.retries, m.commitErrors, m.fetchErrors, m.groupErrors, m.bisections, m.rebalances, m.assigned)
	}
	return m
}

// InsertedRows returns the rows m counted as inserted (for tests).
func InsertedRows(m *Metrics) float64 {
	var out dto.Metric
	if err := m.inserted.Write(&out); err != nil {
		return -1
	}
	return out.GetCounter().GetValue()
}
