package app

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riskwatch/riskwatch/schemas"
)

// gatePoll is how often waitIngested asks Kafka for the group's offsets;
// gateLogEvery is how often it logs that it still waits.
const (
	gatePoll     = 500 * time.Millisecond
	gateLogEvery = 30 * time.Second
)

// gateGiveUp is how long Kafka may fail to answer before the jobs start
// anyway: ingest cannot store anything meanwhile either, and the jobs
// should not stop with it. A variable for the tests.
var gateGiveUp = 2 * time.Minute

// ingestOffsets is what waitIngested reads of the source topic (an
// ingest.LagCollector).
type ingestOffsets interface {
	Ends(ctx context.Context) (map[int]int64, error)
	Behind(ctx context.Context, marks map[int]int64) (int64, error)
}

// waitIngested returns once the consumer group has committed (so stored)
// every message that the topic held when it was called or, when produced
// is not nil, when produced was closed (the demo's history is in the
// broker): messages produced later (the demo's trickle, new records) do
// not hold it up. It returns ctx's error when ctx ends first. Kafka errors
// are logged and retried: the jobs wait rather than compute windows whose
// records are still in the topic, unless Kafka has not answered for
// gateGiveUp.
//
// Records that arrive later for a window already computed (a producer that
// sends late, an ingest that was down) are stored but leave the window's
// results as they were until the window is run again (riskwatch backfill).
func waitIngested(ctx context.Context, lag ingestOffsets, produced <-chan struct{}, log *slog.Logger) error {
	start := time.Now()
	if produced != nil {
		log.Info("jobs wait for the demo's history to be produced and stored")
		select {
		case <-produced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var marks map[int]int64
	lastLog := time.Now()
	var failingSince time.Time
	for {
		var err error
		if marks == nil {
			marks, err = lag.Ends(ctx)
			if err == nil && marks == nil {
				marks = map[int]int64{} // no topic yet: nothing to wait for
			}
		}
		var behind int64
		if err == nil {
			behind, err = lag.Behind(ctx, marks)
			if err == nil && behind == 0 {
				log.Info("jobs start: ingest has stored the topic's records", "waited", time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		switch {
		case err == nil:
			failingSince = time.Time{}
		case failingSince.IsZero():
			failingSince = time.Now()
		case time.Since(failingSince) >= gateGiveUp:
			log.Warn("jobs start without knowing whether ingest has stored the topic's records: Kafka does not answer", "err", err)
			return nil
		}
		if time.Since(lastLog) >= gateLogEvery {
			lastLog = time.Now()
			if err != nil {
				log.Warn("jobs wait for ingest: cannot read the consumer group's offsets", "err", err)
			} else {
				log.Info("jobs wait for ingest to store the topic's records", "behind", behind)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(gatePoll):
		}
	}
}

// lateGrace is how long after the end of its day a version still counts as
// on time: the day's jobs tick a few minutes after midnight.
const lateGrace = time.Hour

// lateWatch notices versions stored after the windows they belong to were
// complete (and so may have been computed): their windows keep their
// results until they are run again, so it counts them
// (riskwatch_ingest_late_versions_total) and logs, at most once a
// minute, the days to backfill. It watches only once armed: before the
// jobs start, every window they compute will see these versions.
type lateWatch struct {
	armed atomic.Bool
	log   *slog.Logger
	total prometheus.Counter

	mu      sync.Mutex
	lastLog time.Time
}

func newLateWatch(log *slog.Logger, pr prometheus.Registerer) *lateWatch {
	w := &lateWatch{log: log, total: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "riskwatch_ingest_late_versions_total",
		Help: "Versions stored more than an hour after the end of the day of their event time, once the jobs run: their windows keep their results until a backfill.",
	})}
	if pr != nil {
		pr.MustRegister(w.total)
	}
	return w
}

// observe counts and logs the late versions among stored rows.
func (w *lateWatch) observe(rows [][]schemas.CaseRow, now time.Time) {
	if w == nil || !w.armed.Load() {
		return
	}
	n, first, last := lateVersions(rows, now)
	if n == 0 {
		return
	}
	w.total.Add(float64(n))
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.lastLog) < time.Minute {
		return
	}
	w.lastLog = now
	from, to := first.In(schemas.Zone()).Format(time.DateOnly), last.In(schemas.Zone()).Format(time.DateOnly)
	w.log.Warn("late records: versions of days whose windows may already be computed were stored; their results change only when recomputed",
		"versions", n, "from", from, "to", to, "backfill", "riskwatch backfill --from "+from+" --to "+to)
}

// lateVersions returns how many rows have an event time (UpdatedAt) before
// the day that was complete lateGrace before now, and the earliest and
// latest of those event times.
func lateVersions(rows [][]schemas.CaseRow, now time.Time) (n int, first, last time.Time) {
	cut := schemas.Day.Align(now.Add(-lateGrace))
	for _, rs := range rows {
		for i := range rs {
			at := rs[i].UpdatedAt
			if at.IsZero() || !at.Before(cut) {
				continue
			}
			if n == 0 || at.Before(first) {
				first = at
			}
			if n == 0 || at.After(last) {
				last = at
			}
			n++
		}
	}
	return n, first, last
}

// afterIngest holds what runs when the jobs' gate opens, before the jobs
// start (the API's trends rollup takes in the stored records, so that the
// console agrees with the reports rendered next). A function added after
// that is not run: what it reads was stored before it was added.
type afterIngest struct {
	mu    sync.Mutex
	fired bool
	fns   []func(context.Context)
}

func (a *afterIngest) add(f func(context.Context)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.fired {
		a.fns = append(a.fns, f)
	}
}

func (a *afterIngest) run(ctx context.Context) {
	a.mu.Lock()
	fns := a.fns
	a.fired, a.fns = true, nil
	a.mu.Unlock()
	for _, f := range fns {
		f(ctx)
	}
}
