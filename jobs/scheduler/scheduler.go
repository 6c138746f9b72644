package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/robfig/cron/v3"
)

// DefaultCatchUp is the number of missed windows per job that Run catches up
// when Options.CatchUp is zero: a month of day windows.
const DefaultCatchUp = 31

// recordTimeout bounds the write of a run's outcome, which is made even after
// the run's context ended (see runWindow).
const recordTimeout = 10 * time.Second

// ErrUnknownJob is returned (wrapped) by RunWindow and Backfill for a job
// name that was not added.
var ErrUnknownJob = errors.New("unknown job")

// ErrPanicked is returned (wrapped) by RunWindow when the job panicked. The
// panic is recovered and recorded; it is not fatal.
var ErrPanicked = errors.New("job panicked")

// Job is a named computation run once per window.
type Job struct {
	// Name identifies the job in job_runs, logs, metrics and the backfill
	// command: letters, digits, '_', '-' and '.'.
	Name string
	// Window is the period one run computes.
	Window schemas.Window
	// Spec is the cron spec, read in Asia/Shanghai, of the ticks that run
	// the job: five fields ("5 0 * * *" is 00:05 every day) or a
	// descriptor ("@daily"). A tick runs the latest complete window at the
	// tick, so a spec a little after the window ends ("5 0 * * 1" for a
	// week) runs each window once, as soon as it is complete.
	Spec string
	// Run computes the window ending at `at` (a local midnight in
	// Shanghai) and returns the number of rows it wrote. It must replace
	// the window's earlier results rather than add to them, take every
	// time it needs from at (never from the clock) and stop when ctx ends.
	Run func(ctx context.Context, at time.Time) (rows uint64, err error)
	// CatchUp, when not zero, replaces the scheduler's catch-up limit for
	// this job while catch-up is on (Options.CatchUp not negative): the
	// most recent CatchUp missed windows are run on start; a negative value
	// runs none. Jobs whose output only matters for recent
	// windows (the reports) catch up one.
	CatchUp int
	// OnlyNamedBackfill leaves the job out of a Backfill of every job; a
	// Backfill that names it still runs it (forecasts: a forecast from a
	// past window's end only matters to a backtest).
	OnlyNamedBackfill bool
	// After names the jobs whose runs this job reads. A scheduled run (a
	// tick or the catch-up) of the window ending at `at` starts only when
	// each of them has an ok run for its own window ending at
	// Window.Align(at); otherwise the window waits, unrecorded, and runs
	// as soon as the last missing run succeeds. When one of them computes
	// a window again (a rerun or a backfill), this job runs again every
	// window of its own that it had run and that reads the recomputed
	// one. Runs asked for by RunWindow and Backfill of this job do not
	// wait.
	After []string
}

// Options tunes a Scheduler. The zero value is usable.
type Options struct {
	// CatchUp is the largest number of missed windows per job that Run
	// runs on start, the most recent ones; older missed windows are left
	// for a backfill and logged. Zero means DefaultCatchUp; a negative
	// value turns catch-up off.
	CatchUp int
	// Registerer, when set, receives the scheduler's metrics
	// (riskwatch_scheduler_*).
	Registerer prometheus.Registerer
}

// Scheduler runs jobs on their cron schedules, catches up missed windows,
// runs windows and ranges of windows on demand, and records every run. Its
// methods are safe for concurrent use.
type Scheduler struct {
	store   RunStore
	clock   func() time.Time
	log     *slog.Logger
	catchUp int
	metrics *metrics

	mu      sync.Mutex
	jobs    []*job // in Add order
	byName  map[string]*job
	started bool
}

// job is an added Job with its parsed schedule and its run lock.
type job struct {
	Job
	sched cron.Schedule
	// sem holds one token while a run of the job is going. Every path
	// takes it (cron ticks, catch-up, RunWindow, Backfill), so two runs of
	// one job never overlap; it is a channel so that waiting for it can
	// be abandoned when the context ends.
	sem chan struct{}
	// lastOK is the latest window end this process completed; guarded by
	// sem.
	lastOK time.Time
	// waiting holds the window ends (Unix seconds) whose scheduled run
	// waits for a job of After; guarded by Scheduler.mu.
	waiting map[int64]bool
}

func (j *job) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case j.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (j *job) unlock() { <-j.sem }

// New returns a Scheduler that records runs in store, reads the time from
// clock (nil: time.Now) only to decide what to run and to stamp runs, and
// logs to log (nil: discarded) with component=scheduler. It panics if store
// is nil, a wiring error.
func New(store RunStore, clock func() time.Time, log *slog.Logger, opts Options) *Scheduler {
	if store == nil {
		panic("New: nil RunStore")
	}
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "scheduler")
	catchUp := opts.CatchUp
	if catchUp == 0 {
		catchUp = DefaultCatchUp
	}
	return &Scheduler{
		store:   store,
		clock:   clock,
		log:     log,
		catchUp: catchUp,
		metrics: newMetrics(opts.Registerer, log),
		byName:  make(map[string]*job),
	}
}

// Add registers j. It validates every field and returns an error naming the
// first bad one (Name, Window, Spec or Run). Jobs cannot be added once Run
// has started.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" {
		return errors.New("cannot add a job: Name: must not be empty")
	}
	if i := strings.IndexFunc(j.Name, func(r rune) bool { return !nameRune(r) }); i >= 0 {
		return fmt.Errorf("cannot add job %q: Name: character %q not allowed (letters, digits, '_', '-', '.')", j.Name, j.Name[i:i+1])
	}
	if !j.Window.Valid() {
		return fmt.Errorf("cannot add job %q: Window: %d is not Day, Week or Month", j.Name, int(j.Window))
	}
	sched, err := parseSpec(j.Spec)
	if err != nil {
		return fmt.Errorf("cannot add job %q: Spec %q: %w", j.Name, j.Spec, err)
	}
	if j.Run == nil {
		return fmt.Errorf("cannot add job %q: Run: must not be nil", j.Name)
	}
	if slices.Contains(j.After, j.Name) {
		return fmt.Errorf("cannot add job %q: After: a job cannot wait for itself", j.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("cannot add job %q: the scheduler is already running", j.Name)
	}
	if _, dup := s.byName[j.Name]; dup {
		return fmt.Errorf("cannot add job %q: Name: already added", j.Name)
	}
	jj := &job{Job: j, sched: sched, sem: make(chan struct{}, 1), waiting: map[int64]bool{}}
	s.jobs = append(s.jobs, jj)
	s.byName[j.Name] = jj
	return nil
}

func nameRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}

// Jobs returns the names of the added jobs in the order they were added.
func (s *Scheduler) Jobs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		names[i] = j.Name
	}
	return names
}

func (s *Scheduler) lookup(name string) (*job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownJob, name)
	}
	return j, nil
}

// Run catches up the missed windows of every job, then runs the jobs on
// their cron schedules until ctx ends. It returns nil after a clean stop and
// an error only if it cannot start; it may be called once.
//
// Shutdown order: ctx ends → cron stops ticking → Run waits for the runs in
// progress (their ctx is ctx, so they are asked to stop) and for their
// outcomes to be recorded → Run returns. If ctx ends during catch-up, the
// window being computed finishes the same way and the rest are not started.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("cannot run the scheduler twice")
	}
	s.started = true
	jobs := slices.Clone(s.jobs)
	for _, j := range jobs {
		for _, a := range j.After {
			if _, ok := s.byName[a]; !ok {
				s.mu.Unlock()
				return fmt.Errorf("cannot run the scheduler: job %q: After: %w %q", j.Name, ErrUnknownJob, a)
			}
		}
	}
	s.mu.Unlock()

	s.log.Info("starting", "jobs", len(jobs), "catch_up", s.catchUp)
	s.catchUpAll(ctx, jobs)
	if ctx.Err() != nil {
		s.log.Info("stopped during catch-up")
		return nil
	}

	c := cron.New(cron.WithLocation(schemas.Zone()), cron.WithLogger(cronLogger{log: s.log}))
	for _, j := range jobs {
		l := cronLogger{
			log:     s.log.With("job", j.Name),
			skipped: func() { s.metrics.skipped.WithLabelValues(j.Name).Inc() },
		}
		// id is set before c.Start, so the tick goroutines see it.
		var id cron.EntryID
		id = c.Schedule(j.sched, wrapCron(cron.FuncJob(func() {
			s.tick(ctx, j, tickTime(c, id, s.clock))
		}), l))
	}
	c.Start()
	for _, e := range c.Entries() {
		s.log.Debug("scheduled", "entry", e.ID, "next", e.Next)
	}
	s.log.Info("running")

	<-ctx.Done()
	s.log.Info("stopping: waiting for running jobs")
	<-c.Stop().Done()
	s.log.Info("stopped")
	return nil
}

// tickTime returns the time the entry's tick was scheduled for. robfig sets
// Entry.Prev to the scheduled time before it answers the snapshot request
// that Entry makes, so inside the tick's job Prev is this tick. The clock is
// only the fallback for a tick that has no Prev, which should not happen.
func tickTime(c *cron.Cron, id cron.EntryID, clock func() time.Time) time.Time {
	if prev := c.Entry(id).Prev; !prev.IsZero() {
		return prev
	}
	return clock()
}

// tick runs j for the latest window complete at the tick time. The outcome
// is recorded and logged by runWindow.
func (s *Scheduler) tick(ctx context.Context, j *job, tick time.Time) error {
	return s.runScheduled(ctx, j, j.Window.Align(tick))
}

// runScheduled runs j for the window ending at at if the runs it reads
// (After) are ok, and otherwise marks the window waiting: follow runs it
// when the last of them succeeds.
func (s *Scheduler) runScheduled(ctx context.Context, j *job, at time.Time) error {
	missing, err := s.missing(ctx, j, at)
	if err != nil {
		s.log.Error("not run: cannot read the runs it waits for", "job", j.Name, "window_end", at, "err", err)
		return err
	}
	if len(missing) > 0 {
		s.mu.Lock()
		j.waiting[at.Unix()] = true
		s.mu.Unlock()
		s.log.Info("waiting for the runs it reads", "job", j.Name, "window_end", at, "missing", missing)
		return nil
	}
	return s.runWindow(ctx, j, at)
}

// Missing returns the runs that a scheduled run of the named job for the
// window ending at Align(at) waits for (see Job.After), as "job@window
// end"; empty when it would start.
func (s *Scheduler) Missing(ctx context.Context, name string, at time.Time) ([]string, error) {
	j, err := s.lookup(name)
	if err != nil {
		return nil, err
	}
	return s.missing(ctx, j, j.Window.Align(at))
}

func (s *Scheduler) missing(ctx context.Context, j *job, at time.Time) ([]string, error) {
	var out []string
	for _, name := range j.After {
		d, err := s.lookup(name)
		if err != nil {
			return nil, err
		}
		end := d.Window.Align(at)
		status, ok, err := s.store.RunStatus(ctx, name, end)
		if err != nil {
			return nil, fmt.Errorf("cannot read the run of %s for the window ending %s: %w", name, fmtTime(end), err)
		}
		if !ok || status != StatusOK {
			out = append(out, name+"@"+fmtTime(end))
		}
	}
	return out, nil
}

// follow runs, after j computed the window ending at end, the windows of
// the jobs waiting for j (After) that read it and that are waiting or
// have run before, once nothing else they read is missing. Jobs in skip
// are left alone (a backfill runs them itself).
func (s *Scheduler) follow(ctx context.Context, j *job, end time.Time, skip map[*job]bool) {
	s.mu.Lock()
	var deps []*job
	for _, d := range s.jobs {
		if slices.Contains(d.After, j.Name) && !skip[d] {
			deps = append(deps, d)
		}
	}
	s.mu.Unlock()
	for _, d := range deps {
		latest := d.Window.Align(s.clock())
		e := d.Window.Align(end)
		if e.Before(end) {
			e = d.Window.Next(e)
		}
		for ; e.Before(j.Window.Next(end)) && !e.After(latest) && ctx.Err() == nil; e = d.Window.Next(e) {
			if !j.Window.Align(e).Equal(end) {
				continue
			}
			s.mu.Lock()
			waiting := d.waiting[e.Unix()]
			s.mu.Unlock()
			if !waiting {
				if _, ran, err := s.store.RunStatus(ctx, d.Name, e); err != nil || !ran {
					continue
				}
			}
			if missing, err := s.missing(ctx, d, e); err != nil || len(missing) > 0 {
				continue
			}
			s.mu.Lock()
			delete(d.waiting, e.Unix())
			s.mu.Unlock()
			s.log.Info("running after the runs it reads", "job", d.Name, "window_end", e, "after", j.Name)
			_ = s.runWindow(ctx, d, e) // recorded and logged there
		}
	}
}

// catchUpAll catches up each job in turn, in Add order, so that jobs reading
// other jobs' results for a window find them.
func (s *Scheduler) catchUpAll(ctx context.Context, jobs []*job) {
	if s.catchUp < 0 {
		return
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			return
		}
		s.catchUpJob(ctx, j)
	}
}

// catchUpJob runs the windows of j that ended after its last ok run, up to
// the latest window complete now: oldest first, at most s.catchUp of them
// (the most recent), and those older ones that the catch-up of a job waiting
// for j (After) reads (a weekly report's day jobs of its Monday, when the
// day jobs catch up fewer days than have passed since). Windows that end
// while it works are caught up by the next pass, so the first cron tick
// does not have to find them. A window that fails is recorded and not
// retried in this start.
func (s *Scheduler) catchUpJob(ctx context.Context, j *job) {
	last, ok, err := s.store.LastRun(ctx, j.Name)
	if err != nil {
		s.log.Error("catch-up skipped: cannot read the last run", "job", j.Name, "err", err)
		return
	}
	var after time.Time // windows ending after this are missing
	if ok {
		after = last.WindowEnd
	}
	needed := s.neededBy(ctx, j, after)
	for ctx.Err() == nil {
		limit := s.catchUpLimit(j)
		if limit < 0 {
			return
		}
		ends, dropped := missed(j.Window, after, j.Window.Align(s.clock()), limit)
		for _, e := range needed {
			if !slices.ContainsFunc(ends, e.Equal) {
				ends = append(ends, e)
			}
		}
		needed = nil
		slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
		if len(ends) == 0 {
			return
		}
		if dropped {
			s.metrics.catchUpSkip.WithLabelValues(j.Name).Inc()
			attrs := []any{"job", j.Name, "catch_up", limit, "first_caught_up", ends[0]}
			if ok {
				attrs = append(attrs, "last_ok", after)
			}
			s.log.Warn("catch-up bounded: older missed windows are left for a backfill", attrs...)
		}
		s.log.Info("catching up", "job", j.Name, "windows", len(ends), "from", ends[0], "to", ends[len(ends)-1])
		for _, at := range ends {
			if ctx.Err() != nil {
				return
			}
			_ = s.runScheduled(ctx, j, at) // recorded and logged there; go on with the next window
		}
		after = ends[len(ends)-1]
	}
}

// catchUpLimit is how many missed windows of j a start catches up: its own
// CatchUp, else the scheduler's (negative: none).
func (s *Scheduler) catchUpLimit(j *job) int {
	if j.CatchUp != 0 {
		return j.CatchUp
	}
	return s.catchUp
}

// neededBy returns the window ends of j, ending after `after`, that the
// catch-up of the jobs waiting for j (Job.After) waits for: for each window
// such a job would catch up now, the end of j's window it reads.
func (s *Scheduler) neededBy(ctx context.Context, j *job, after time.Time) []time.Time {
	s.mu.Lock()
	jobs := slices.Clone(s.jobs)
	s.mu.Unlock()
	var out []time.Time
	for _, d := range jobs {
		if !slices.Contains(d.After, j.Name) {
			continue
		}
		limit := s.catchUpLimit(d)
		if limit < 0 {
			continue
		}
		var dAfter time.Time
		last, ok, err := s.store.LastRun(ctx, d.Name)
		if err != nil {
			s.log.Error("cannot read the last run of a job waiting for another", "job", d.Name, "after", j.Name, "err", err)
			continue
		}
		if ok {
			dAfter = last.WindowEnd
		}
		ends, _ := missed(d.Window, dAfter, d.Window.Align(s.clock()), limit)
		for _, e := range ends {
			if need := j.Window.Align(e); need.After(after) && !slices.ContainsFunc(out, need.Equal) {
				out = append(out, need)
			}
		}
	}
	return out
}

// missed returns the window ends e with after < e <= latest, oldest first,
// keeping the most recent limit (> 0) of them, and whether any were dropped.
func missed(w schemas.Window, after, latest time.Time, limit int) (ends []time.Time, dropped bool) {
	for e := latest; e.After(after); e = w.Prev(e) {
		if len(ends) == limit {
			dropped = true
			break
		}
		ends = append(ends, e)
	}
	slices.Reverse(ends)
	return ends, dropped
}

// RunWindow runs the named job now for the window ending at Align(at) and
// records it: running, then ok, failed or panicked with its duration and rows.
// It waits while another run of the same job is going (or until ctx ends). It
// returns the job's error, ErrPanicked (wrapped) if the job panicked, or an
// error recording the run.
func (s *Scheduler) RunWindow(ctx context.Context, name string, at time.Time) error {
	j, err := s.lookup(name)
	if err != nil {
		return err
	}
	return s.runWindow(ctx, j, j.Window.Align(at))
}

// runWindow runs j for the window ending at the aligned end at, under j's
// lock, and records and logs the outcome; when it is ok, the jobs waiting
// for j follow (see follow).
func (s *Scheduler) runWindow(ctx context.Context, j *job, at time.Time) error {
	return s.runWindowSkip(ctx, j, at, nil)
}

func (s *Scheduler) runWindowSkip(ctx context.Context, j *job, at time.Time, skip map[*job]bool) error {
	ok, err := s.runLocked(ctx, j, at)
	if ok {
		s.follow(ctx, j, at, skip)
	}
	return err
}

// runLocked is runWindow without follow; ok is true when the run succeeded.
func (s *Scheduler) runLocked(ctx context.Context, j *job, at time.Time) (ok bool, _ error) {
	log := s.log.With("job", j.Name, "window_end", at)
	if err := j.lock(ctx); err != nil {
		log.Warn("not run: stopped while waiting for the previous run", "err", err)
		return false, fmt.Errorf("cannot run %s for the window ending %s: stopped while waiting for the previous run: %w", j.Name, fmtTime(at), err)
	}
	defer j.unlock()

	start := s.clock() // keeps the monotonic reading for the duration
	r := Run{
		Job:         j.Name,
		WindowStart: j.Window.Prev(at),
		WindowEnd:   at,
		Status:      StatusRunning,
		StartedAt:   start.In(schemas.Zone()),
	}
	if err := s.store.RecordRun(ctx, r); err != nil {
		log.Error("not run: cannot record the start", "err", err)
		return false, fmt.Errorf("cannot record the start of %s for the window ending %s: %w", j.Name, fmtTime(at), err)
	}

	out := call(ctx, j.Run, at)
	r.Duration = max(s.clock().Sub(start), 0)
	r.Rows = out.rows
	var runErr error
	switch {
	case out.panicked:
		r.Status = StatusPanicked
		r.Err = fmt.Sprintf("panic: %v\n%s", out.value, out.stack)
		runErr = fmt.Errorf("cannot run %s for the window ending %s: %w: %v", j.Name, fmtTime(at), ErrPanicked, out.value)
	case out.err != nil:
		r.Status = StatusFailed
		r.Err = out.err.Error()
		runErr = fmt.Errorf("cannot run %s for the window ending %s: %w", j.Name, fmtTime(at), out.err)
	default:
		r.Status = StatusOK
	}

	// The outcome is written even when ctx has ended (a shutdown during
	// the run): otherwise the window would stay "running" in job_runs.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.store.RecordRun(rctx, r); err != nil {
		log.Error("cannot record the outcome", "status", r.Status, "err", err)
		runErr = errors.Join(runErr, fmt.Errorf("cannot record the outcome of %s for the window ending %s: %w", j.Name, fmtTime(at), err))
	}

	s.metrics.runs.WithLabelValues(j.Name, r.Status).Inc()
	s.metrics.seconds.WithLabelValues(j.Name).Observe(r.Duration.Seconds())
	s.metrics.rows.WithLabelValues(j.Name).Add(float64(r.Rows))
	switch r.Status {
	case StatusOK:
		if at.After(j.lastOK) {
			j.lastOK = at
			s.metrics.lastOK.WithLabelValues(j.Name).Set(float64(at.Unix()))
		}
		log.Info("run ok", "rows", r.Rows, "duration", r.Duration)
	case StatusFailed:
		log.Error("run failed", "rows", r.Rows, "duration", r.Duration, "err", out.err)
	case StatusPanicked:
		log.Error("run panicked", "duration", r.Duration, "panic", fmt.Sprint(out.value), "stack", out.stack)
	}
	return r.Status == StatusOK, runErr
}

// outcome is what one call of a job function produced.
type outcome struct {
	rows     uint64
	err      error
	panicked bool
	value    any    // the panic value
	stack    string // the head of the panicking goroutine's stack
}

// call runs f and turns a panic into an outcome.
func call(ctx context.Context, f func(context.Context, time.Time) (uint64, error), at time.Time) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			out = outcome{panicked: true, value: v, stack: stackHead(debug.Stack(), 8)}
		}
	}()
	out.rows, out.err = f(ctx, at)
	return out
}

// stackHead returns up to frames frames of a debug.Stack dump, starting at the
// frame that panicked: the goroutine header and the frames of the recovery
// (debug.Stack, the deferred function, runtime panic) are dropped.
func stackHead(stack []byte, frames int) string {
	lines := strings.Split(strings.TrimRight(string(stack), "\n"), "\n")
	start := min(1, len(lines)) // after "goroutine N [running]:"
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			start = min(i+2, len(lines)) // the call line and its file line
			break
		}
	}
	end := min(start+2*frames, len(lines))
	return strings.Join(lines[start:end], "\n")
}

// Backfill runs, in order, every window whose end lies in [from, to] (see
// Window.Between) of the named job, or of every job when name is "". Windows
// are ordered by end, and jobs sharing an end run in Add order. progress, if
// not nil, is called with (0, total) first and then after each window.
//
// A failing window is recorded and Backfill goes on with the next; it then
// returns an error counting the failures and wrapping the first. It stops at
// once when ctx ends. Backfill runs under each job's lock, so it never
// overlaps a cron run or another call for the same job.
func (s *Scheduler) Backfill(ctx context.Context, name string, from, to time.Time, progress func(done, total int)) error {
	if to.Before(from) {
		return fmt.Errorf("cannot backfill: from %s is after to %s", fmtTime(from), fmtTime(to))
	}
	var jobs []*job
	if name == "" {
		s.mu.Lock()
		for _, j := range s.jobs {
			if !j.OnlyNamedBackfill {
				jobs = append(jobs, j)
			}
		}
		s.mu.Unlock()
	} else {
		j, err := s.lookup(name)
		if err != nil {
			return fmt.Errorf("cannot backfill: %w", err)
		}
		jobs = []*job{j}
	}

	// The jobs of this backfill run their windows themselves: they do not
	// also follow the jobs they wait for.
	inRun := map[*job]bool{}
	for _, j := range jobs {
		inRun[j] = true
	}
	type item struct {
		j  *job
		at time.Time
	}
	var items []item
	for _, j := range jobs {
		for _, at := range j.Window.Between(from, to) {
			items = append(items, item{j, at})
		}
	}
	// Stable: jobs sharing an end keep Add order.
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.at.Unix(), b.at.Unix()) })

	total := len(items)
	if progress != nil {
		progress(0, total)
	}
	s.log.Info("backfill", "job", name, "from", from, "to", to, "windows", total)
	failed := 0
	var first error
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("backfill stopped after %d of %d windows: %w", i, total, err)
		}
		if err := s.runWindowSkip(ctx, it.j, it.at, inRun); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("backfill stopped after %d of %d windows: %w", i, total, err)
			}
			failed++
			if first == nil {
				first = err
			}
		}
		if progress != nil {
			progress(i+1, total)
		}
	}
	if failed > 0 {
		return fmt.Errorf("cannot backfill: %d of %d windows failed, the first: %w", failed, total, first)
	}
	return nil
}

func fmtTime(t time.Time) string { return t.In(schemas.Zone()).Format(time.RFC3339) }
