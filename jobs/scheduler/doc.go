// Package scheduler runs the scheduled jobs (the index jobs: hot spots,
// high-frequency types, the risk index, statistical alarms, supervision
// lights; and the report schedules) once per window, on cron schedules read
// in Asia/Shanghai.
//
// It sits beside the flow, between the wiring in internal/app and the jobs
// that package jobs (jobs/) and the report generator provide: the wiring adds each job with its window (day, ISO
// week or calendar month) and its cron spec, and calls Run. A job is a
// function of the aligned window end, `at`; the scheduler computes `at` from
// the cron tick and never lets a job read the clock, so a rerun of a window
// gives the same rows and tests pass the time they need. The scheduler reads
// its injected clock only to decide what to run and to stamp the runs.
//
// It owns the bookkeeping of runs: every run of a (job, window) is recorded
// through the small RunStore interface declared here (running, then ok,
// failed or panicked, with start, duration, rows written and error), in the
// job_runs table whose ReplacingMergeTree keeps the newest attempt per
// (job, window_end). On start it catches up the windows missed since each
// job's last successful run, oldest first and bounded by Options.CatchUp,
// and the older windows that the catch-up of a job waiting for it (After)
// reads. Runs
// of one job never overlap, whether they come from cron, catch-up, RunWindow
// or Backfill; a panicking job is recorded and the scheduler carries on.
//
// It does not compute anything itself, does not write the jobs' results, and
// does not implement RunStore against ClickHouse: the store package does that
// and the wiring passes it in. MemoryRunStore is the in-memory implementation
// for tests.
package scheduler
