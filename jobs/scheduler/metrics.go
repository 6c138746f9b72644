package scheduler

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's Prometheus metrics (prefix
// riskwatch_scheduler_). They always exist; they are exported only when
// Options.Registerer is set.
type metrics struct {
	runs        *prometheus.CounterVec
	seconds     *prometheus.HistogramVec
	rows        *prometheus.CounterVec
	lastOK      *prometheus.GaugeVec
	skipped     *prometheus.CounterVec
	catchUpSkip *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	const ns = "riskwatch_scheduler_"
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "runs_total",
			Help: "Finished job runs, by job and status (ok, failed, panicked)."}, []string{"job", "status"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: ns + "run_seconds",
			Help: "Duration of one job run for one window.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"job"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "rows_written_total",
			Help: "Rows the jobs reported writing."}, []string{"job"}),
		lastOK: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: ns + "last_ok_window_end_seconds",
			Help: "Unix time of the end of the latest window a job completed in this process."}, []string{"job"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "skipped_ticks_total",
			Help: "Cron ticks dropped because the previous run of the job was still going."}, []string{"job"}),
		catchUpSkip: prometheus.NewCounterVec(prometheus.CounterOpts{Name: ns + "catch_up_dropped_windows_total",
			Help: "Missed windows older than the catch-up bound, left for a backfill."}, []string{"job"}),
	}
	if reg == nil {
		return m
	}
	m.runs = register(reg, m.runs, log)
	m.seconds = register(reg, m.seconds, log)
	m.rows = register(reg, m.rows, log)
	m.lastOK = register(reg, m.lastOK, log)
	m.skipped = register(reg, m.skipped, log)
	m.catchUpSkip = register(reg, m.catchUpSkip, log)
	return m
}

// register registers c, or returns the collector already registered under
// the same description (a second Scheduler on one registry, as in tests). Any
// other failure is logged and c is kept unexported: metrics never stop jobs.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	log.Warn("cannot register metric", "err", err)
	return c
}
