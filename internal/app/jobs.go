package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// runStore adapts the store's job_runs to the scheduler.
type runStore struct{ st *store.Store }

func (r runStore) RecordRun(ctx context.Context, run scheduler.Run) error {
	return r.st.RecordJobRun(ctx, store.JobRun{Job: run.Job, WindowStart: run.WindowStart, WindowEnd: run.WindowEnd,
		Status: run.Status, StartedAt: run.StartedAt, Duration: run.Duration, Rows: run.Rows, Err: run.Err})
}

func (r runStore) LastRun(ctx context.Context, job string) (scheduler.Run, bool, error) {
	jr, ok, err := r.st.LastOKJobRun(ctx, job)
	if err != nil || !ok {
		return scheduler.Run{}, ok, err
	}
	return scheduler.Run{Job: jr.Job, WindowStart: jr.WindowStart, WindowEnd: jr.WindowEnd, Status: jr.Status,
		StartedAt: jr.StartedAt, Duration: jr.Duration, Rows: jr.Rows}, true, nil
}

func (r runStore) RunStatus(ctx context.Context, job string, end time.Time) (string, bool, error) {
	return r.st.JobRunStatus(ctx, job, end)
}

// newScheduler builds the one scheduler with every index job (the
// forecasts included) and then the extra jobs (the subscriptions and the
// report schedules), in that order, so that a catch-up computes a window's
// results before its reports.
func newScheduler(cfg config.Config, st *store.Store, reg *schemas.Registry, log *slog.Logger, pr prometheus.Registerer, extra ...scheduler.Job) (*scheduler.Scheduler, error) {
	s := scheduler.New(runStore{st}, time.Now, log, scheduler.Options{CatchUp: cfg.Jobs.CatchUp, Registerer: pr})
	var opts jobs.Options
	for i, a := range cfg.Jobs.Alarms {
		short, err := jobs.Detector(a.Short, a.ShortAlpha)
		if err != nil {
			return nil, fmt.Errorf("jobs.alarms[%d].short: %w", i, err)
		}
		long, err := jobs.Detector(a.Long, a.LongAlpha)
		if err != nil {
			return nil, fmt.Errorf("jobs.alarms[%d].long: %w", i, err)
		}
		opts.AlarmLevels = append(opts.AlarmLevels, jobs.AlarmLevel{Level: schemas.Level(a.Level), Short: short, Long: long})
	}
	var err error
	if opts.ForecastDayLevels, err = forecastLevels("jobs.forecast.day_levels", cfg.Jobs.Forecast.DayLevels); err != nil {
		return nil, err
	}
	if opts.ForecastWeekLevels, err = forecastLevels("jobs.forecast.week_levels", cfg.Jobs.Forecast.WeekLevels); err != nil {
		return nil, err
	}
	for _, j := range jobs.All(st, reg, time.Now, opts) {
		if err := s.Add(j); err != nil {
			return nil, err
		}
	}
	// The forecasts are index jobs too: a weekly report waits for
	// forecast_week, and a catch-up that ran every report before it would
	// leave the week's report (the one a demo shows first) for last.
	if err := addForecastJobs(s, st, opts); err != nil { // forecast.go
		return nil, err
	}
	for _, j := range extra {
		if err := s.Add(j); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// forecastLevels maps the level names of the config key to jobs' forecast
// levels (nil for none: the jobs' defaults).
func forecastLevels(key string, names []string) ([]int, error) {
	var out []int
	for i, n := range names {
		l, ok := jobs.ForecastLevelByName(n)
		if !ok {
			return nil, fmt.Errorf("%s[%d]: %q is not city, county, town or village", key, i, n)
		}
		out = append(out, l)
	}
	return out, nil
}

// backfillCommand is `riskwatch backfill --from DATE --to DATE [--job NAME]`:
// computes the windows of the given local dates with a progress line.
func backfillCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file")
	from := fs.String("from", "", "first local date YYYY-MM-DD (required)")
	to := fs.String("to", "", "last local date YYYY-MM-DD (required)")
	job := fs.String("job", "", "only this job (default: every job)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f, err1 := time.ParseInLocation("2006-01-02", *from, schemas.Zone())
	t, err2 := time.ParseInLocation("2006-01-02", *to, schemas.Zone())
	switch {
	case *from == "" || err1 != nil:
		fmt.Fprintf(stderr, "riskwatch backfill: --from: %q is not a date YYYY-MM-DD\n", *from)
		return 2
	case *to == "" || err2 != nil:
		fmt.Fprintf(stderr, "riskwatch backfill: --to: %q is not a date YYYY-MM-DD\n", *to)
		return 2
	case t.Before(f):
		fmt.Fprintln(stderr, "riskwatch backfill: --to is before --from")
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch backfill: %v\n", err)
		return 2
	}
	// The dates are dates of the configured zone, known only now.
	f, _ = time.ParseInLocation("2006-01-02", *from, schemas.Zone())
	t, _ = time.ParseInLocation("2006-01-02", *to, schemas.Zone())
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch backfill: %v\n", err)
		return 1
	}
	defer cleanup()
	reg, err := migrateAndLoad(ctx, cfg, st, log, io.Discard)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch backfill: %v\n", err)
		return 1
	}
	s, err := newScheduler(cfg, st, reg, log, nil)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch backfill: %v\n", err)
		return 1
	}
	// The days from..to are the windows ending at from+1 … to+1 (local
	// midnights); weeks and months whose end falls in that range come along.
	prog := newProgress(stderr, "backfill", "windows")
	err = s.Backfill(ctx, *job, f.AddDate(0, 0, 1), t.AddDate(0, 0, 1), func(done, total int) {
		if done > 0 {
			prog.add(1)
		}
	})
	prog.done()
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch backfill: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backfill: %s … %s done\n", *from, *to)
	return 0
}
