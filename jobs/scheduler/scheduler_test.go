package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/riskwatch/riskwatch/schemas"
)

// fakeClock is the injected clock: it moves only when a test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// calls records the `at` of each call of a job, in order, across jobs.
type calls struct {
	mu  sync.Mutex
	ats []string // "job@2006-01-02" (Shanghai)
}

func (c *calls) add(job string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ats = append(c.ats, job+"@"+at.In(schemas.Shanghai).Format("2006-01-02"))
}

func (c *calls) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ats...)
}

// recordingJob returns a job function that appends its calls to c and
// reports 7 rows.
func recordingJob(name string, c *calls) func(context.Context, time.Time) (uint64, error) {
	return func(_ context.Context, at time.Time) (uint64, error) {
		c.add(name, at)
		return 7, nil
	}
}

func mustAdd(t *testing.T, s *Scheduler, j Job) {
	t.Helper()
	if err := s.Add(j); err != nil {
		t.Fatal(err)
	}
}

func equalStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("%s:\n got  %v\n want %v", what, got, want)
	}
}

func TestAddErrorsNameTheField(t *testing.T) {
	ok := func(context.Context, time.Time) (uint64, error) { return 0, nil }
	tests := []struct {
		name  string
		job   Job
		field string
	}{
		{"empty name", Job{Name: "", Window: schemas.Day, Spec: "5 0 * * *", Run: ok}, "Name:"},
		{"name with a space", Job{Name: "risk index", Window: schemas.Day, Spec: "5 0 * * *", Run: ok}, "Name:"},
		{"zero window", Job{Name: "kpi", Spec: "5 0 * * *", Run: ok}, "Window:"},
		{"unknown window", Job{Name: "kpi", Window: 9, Spec: "5 0 * * *", Run: ok}, "Window:"},
		{"empty spec", Job{Name: "kpi", Window: schemas.Day, Spec: "", Run: ok}, "Spec"},
		{"bad spec", Job{Name: "kpi", Window: schemas.Day, Spec: "5 25 * * *", Run: ok}, "Spec"},
		{"six fields", Job{Name: "kpi", Window: schemas.Day, Spec: "0 5 0 * * *", Run: ok}, "Spec"},
		{"time zone prefix", Job{Name: "kpi", Window: schemas.Day, Spec: "CRON_TZ=UTC 5 0 * * *", Run: ok}, "Spec"},
		{"nil run", Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *"}, "Run:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(NewMemoryRunStore(), nil, nil, Options{})
			err := s.Add(tc.job)
			if err == nil {
				t.Fatal("Add succeeded")
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("error %q does not name %s", err, tc.field)
			}
		})
	}

	s := New(NewMemoryRunStore(), nil, nil, Options{})
	mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: ok})
	if err := s.Add(Job{Name: "kpi", Window: schemas.Week, Spec: "5 0 * * 1", Run: ok}); err == nil || !strings.Contains(err.Error(), "Name:") {
		t.Fatalf("duplicate name: err = %v", err)
	}
	mustAdd(t, s, Job{Name: "hot_spots-v2.week", Window: schemas.Week, Spec: "@weekly", Run: ok})
	equalStrings(t, "Jobs", s.Jobs(), []string{"kpi", "hot_spots-v2.week"})
}

func TestRunWindowTwiceRecordsOneRow(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryRunStore()
	clock := newClock(cst(t, "2026-03-02 09:00"))
	var c calls
	rows := uint64(0)
	s := New(store, clock.Now, nil, Options{})
	mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(_ context.Context, at time.Time) (uint64, error) {
		c.add("kpi", at)
		rows += 10
		clock.Advance(90 * time.Second)
		return rows, nil
	}})

	// An unaligned at names the latest complete window: 2026-03-01.
	if err := s.RunWindow(ctx, "kpi", cst(t, "2026-03-02 08:30")); err != nil {
		t.Fatal(err)
	}
	clock.Set(cst(t, "2026-03-02 11:00"))
	if err := s.RunWindow(ctx, "kpi", cst(t, "2026-03-02 00:00")); err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "calls", c.get(), []string{"kpi@2026-03-02", "kpi@2026-03-02"})

	runs := store.Runs()
	if len(runs) != 1 {
		t.Fatalf("got %d rows, want 1 (replaced): %+v", len(runs), runs)
	}
	r := runs[0]
	if r.Job != "kpi" || r.Status != StatusOK || r.Rows != 20 || r.Err != "" {
		t.Fatalf("row = %+v", r)
	}
	if !r.WindowStart.Equal(cst(t, "2026-03-01 00:00")) || !r.WindowEnd.Equal(cst(t, "2026-03-02 00:00")) {
		t.Fatalf("window = [%s, %s)", r.WindowStart, r.WindowEnd)
	}
	if !r.StartedAt.Equal(cst(t, "2026-03-02 11:00")) || r.Duration != 90*time.Second {
		t.Fatalf("started %s, duration %s; want the second attempt, 90s", r.StartedAt, r.Duration)
	}
	if store.Writes() != 4 {
		t.Fatalf("Writes = %d, want 4 (running and outcome, twice)", store.Writes())
	}
}

// seqStore records the status of every write, to check running → outcome.
type seqStore struct {
	MemoryRunStore
	mu       sync.Mutex
	statuses []string
	failAt   string // fail RecordRun for this status
}

func (s *seqStore) RecordRun(ctx context.Context, r Run) error {
	s.mu.Lock()
	s.statuses = append(s.statuses, r.Status)
	fail := r.Status == s.failAt
	s.mu.Unlock()
	if fail {
		return errors.New("store down")
	}
	return s.MemoryRunStore.RecordRun(ctx, r)
}

func TestRunWindowRecordsRunningThenOutcome(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("clickhouse: timeout")
	store := &seqStore{}
	s := New(store, newClock(cst(t, "2026-03-02 09:00")).Now, nil, Options{})
	mustAdd(t, s, Job{Name: "ok", Window: schemas.Day, Spec: "5 0 * * *", Run: func(context.Context, time.Time) (uint64, error) { return 3, nil }})
	mustAdd(t, s, Job{Name: "bad", Window: schemas.Day, Spec: "5 0 * * *", Run: func(context.Context, time.Time) (uint64, error) { return 1, boom }})
	at := cst(t, "2026-03-02 00:00")

	if err := s.RunWindow(ctx, "ok", at); err != nil {
		t.Fatal(err)
	}
	err := s.RunWindow(ctx, "bad", at)
	if !errors.Is(err, boom) {
		t.Fatalf("RunWindow error = %v, want it to wrap the job's error", err)
	}
	equalStrings(t, "statuses", store.statuses, []string{StatusRunning, StatusOK, StatusRunning, StatusFailed})
	r, _ := store.Get("bad", at)
	if r.Status != StatusFailed || r.Err != boom.Error() || r.Rows != 1 {
		t.Fatalf("failed row = %+v", r)
	}

	if err := s.RunWindow(ctx, "nope", at); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("unknown job: err = %v", err)
	}

	// A store that cannot record the start: the job is not run.
	ran := false
	store2 := &seqStore{failAt: StatusRunning}
	s2 := New(store2, nil, nil, Options{})
	mustAdd(t, s2, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(context.Context, time.Time) (uint64, error) { ran = true; return 0, nil }})
	if err := s2.RunWindow(ctx, "kpi", at); err == nil || ran {
		t.Fatalf("err = %v, ran = %v; want an error and no run", err, ran)
	}
}

func TestPanickingJobIsRecordedAndNotFatal(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryRunStore()
	s := New(store, newClock(cst(t, "2026-03-05 09:00")).Now, nil, Options{})
	var c calls
	mustAdd(t, s, Job{Name: "risk", Window: schemas.Day, Spec: "5 0 * * *", Run: func(_ context.Context, at time.Time) (uint64, error) {
		c.add("risk", at)
		if at.Day() == 3 {
			panicInJob()
		}
		return 5, nil
	}})

	err := s.RunWindow(ctx, "risk", cst(t, "2026-03-03 00:00"))
	if !errors.Is(err, ErrPanicked) || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("RunWindow error = %v, want ErrPanicked with the panic value", err)
	}
	r, ok := store.Get("risk", cst(t, "2026-03-03 00:00"))
	if !ok || r.Status != StatusPanicked {
		t.Fatalf("row = %+v, %v; want panicked", r, ok)
	}
	if !strings.HasPrefix(r.Err, "panic: runtime error: index out of range") {
		t.Fatalf("Err does not start with the panic value: %q", r.Err)
	}
	// The stack head starts at the panicking frame, not in the recovery.
	if !strings.Contains(r.Err, "panicInJob") || strings.Contains(r.Err, "runtime/debug.Stack") {
		t.Fatalf("Err has no useful stack head: %q", r.Err)
	}

	// The job's lock was released: the next windows run, in a backfill too.
	if err := s.Backfill(ctx, "risk", cst(t, "2026-03-04 00:00"), cst(t, "2026-03-05 00:00"), nil); err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "calls", c.get(), []string{"risk@2026-03-03", "risk@2026-03-04", "risk@2026-03-05"})
	if r, _ := store.Get("risk", cst(t, "2026-03-05 00:00")); r.Status != StatusOK {
		t.Fatalf("after the panic: %+v", r)
	}
}

//go:noinline
func panicInJob() {
	var xs []int
	i := 3
	_ = xs[i]
}

func TestRunWindowNeverOverlapsForOneJob(t *testing.T) {
	ctx := context.Background()
	var active, maxActive, total atomic.Int32
	s := New(NewMemoryRunStore(), newClock(cst(t, "2026-03-05 09:00")).Now, nil, Options{})
	mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(context.Context, time.Time) (uint64, error) {
		n := active.Add(1)
		for {
			m := maxActive.Load()
			if n <= m || maxActive.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond) // room for an overlap to show
		total.Add(1)
		active.Add(-1)
		return 1, nil
	}})

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := s.RunWindow(ctx, "kpi", cst(t, "2026-03-05 00:00").AddDate(0, 0, -(i%3))); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Go(func() { // a backfill of the same job does not overlap either
		if err := s.Backfill(ctx, "kpi", cst(t, "2026-02-25 00:00"), cst(t, "2026-02-28 00:00"), nil); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if total.Load() != 12 {
		t.Fatalf("%d runs, want 12", total.Load())
	}
	if m := maxActive.Load(); m != 1 {
		t.Fatalf("up to %d runs of one job at once, want 1", m)
	}
}

func TestLockIsPerJobAndWaitRespectsContext(t *testing.T) {
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	s := New(NewMemoryRunStore(), newClock(cst(t, "2026-03-05 09:00")).Now, nil, Options{})
	mustAdd(t, s, Job{Name: "slow", Window: schemas.Day, Spec: "5 0 * * *", Run: func(context.Context, time.Time) (uint64, error) {
		close(started)
		<-release
		return 0, nil
	}})
	mustAdd(t, s, Job{Name: "fast", Window: schemas.Day, Spec: "5 0 * * *", Run: func(context.Context, time.Time) (uint64, error) { return 0, nil }})
	at := cst(t, "2026-03-05 00:00")

	done := make(chan error)
	go func() { done <- s.RunWindow(ctx, "slow", at) }()
	<-started
	// Another job is not held up by the slow one.
	if err := s.RunWindow(ctx, "fast", at); err != nil {
		t.Fatal(err)
	}
	// The same job waits, and gives up when its context ends.
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := s.RunWindow(wctx, "slow", at); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting RunWindow: err = %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCatchUp(t *testing.T) {
	ctx := context.Background()
	seed := func(t *testing.T, store *MemoryRunStore, job, end string) {
		t.Helper()
		if err := store.RecordRun(ctx, Run{Job: job, WindowEnd: cst(t, end), Status: StatusOK, StartedAt: cst(t, end)}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("missed windows once each, oldest first", func(t *testing.T) {
		store := NewMemoryRunStore()
		seed(t, store, "kpi", "2026-02-26 00:00")
		seed(t, store, "weekly", "2026-02-16 00:00")
		clock := newClock(cst(t, "2026-03-02 10:00"))
		var c calls
		s := New(store, clock.Now, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
		mustAdd(t, s, Job{Name: "weekly", Window: schemas.Week, Spec: "5 0 * * 1", Run: recordingJob("weekly", &c)})
		s.catchUpAll(ctx, s.jobs)
		want := []string{"kpi@2026-02-27", "kpi@2026-02-28", "kpi@2026-03-01", "kpi@2026-03-02", "weekly@2026-02-23", "weekly@2026-03-02"}
		equalStrings(t, "catch-up", c.get(), want)

		// A second start at the same time finds nothing missing.
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "second catch-up", c.get(), want)
		for _, r := range store.Runs() {
			if r.Status != StatusOK {
				t.Fatalf("row %+v not ok", r)
			}
		}
	})

	t.Run("bounded by CatchUp, most recent kept", func(t *testing.T) {
		store := NewMemoryRunStore()
		seed(t, store, "kpi", "2026-01-01 00:00")
		var c calls
		s := New(store, newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{CatchUp: 3})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "catch-up", c.get(), []string{"kpi@2026-02-28", "kpi@2026-03-01", "kpi@2026-03-02"})
	})

	t.Run("a job's own CatchUp replaces the bound", func(t *testing.T) {
		store := NewMemoryRunStore()
		seed(t, store, "kpi", "2026-02-20 00:00")
		seed(t, store, "reports_day", "2026-02-20 00:00")
		seed(t, store, "never", "2026-02-20 00:00")
		var c calls
		s := New(store, newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{CatchUp: 3})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
		mustAdd(t, s, Job{Name: "reports_day", Window: schemas.Day, Spec: "0 8 * * *", CatchUp: 1, Run: recordingJob("reports_day", &c)})
		mustAdd(t, s, Job{Name: "never", Window: schemas.Day, Spec: "0 8 * * *", CatchUp: -1, Run: recordingJob("never", &c)})
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "catch-up", c.get(), []string{"kpi@2026-02-28", "kpi@2026-03-01", "kpi@2026-03-02", "reports_day@2026-03-02"})
	})

	t.Run("default bound is 31", func(t *testing.T) {
		store := NewMemoryRunStore()
		seed(t, store, "kpi", "2025-01-01 00:00")
		var c calls
		s := New(store, newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
		s.catchUpAll(ctx, s.jobs)
		got := c.get()
		if len(got) != 31 || got[0] != "kpi@2026-01-31" || got[30] != "kpi@2026-03-02" {
			t.Fatalf("got %d windows %v…, want 31 from 2026-01-31 to 2026-03-02", len(got), got[:min(3, len(got))])
		}
	})

	t.Run("no previous run: the most recent CatchUp windows", func(t *testing.T) {
		var c calls
		s := New(NewMemoryRunStore(), newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{CatchUp: 2})
		mustAdd(t, s, Job{Name: "monthly", Window: schemas.Month, Spec: "5 0 1 * *", Run: recordingJob("monthly", &c)})
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "catch-up", c.get(), []string{"monthly@2026-02-01", "monthly@2026-03-01"})
	})

	t.Run("negative CatchUp turns it off", func(t *testing.T) {
		var c calls
		s := New(NewMemoryRunStore(), newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{CatchUp: -1})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "catch-up", c.get(), nil)
	})

	t.Run("a failing window is recorded, not retried, and does not stop the rest", func(t *testing.T) {
		store := NewMemoryRunStore()
		seed(t, store, "kpi", "2026-02-27 00:00")
		var c calls
		s := New(store, newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(ctx context.Context, at time.Time) (uint64, error) {
			c.add("kpi", at)
			if at.Day() == 1 {
				return 0, errors.New("no data")
			}
			return 1, nil
		}})
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "catch-up", c.get(), []string{"kpi@2026-02-28", "kpi@2026-03-01", "kpi@2026-03-02"})
		if r, _ := store.Get("kpi", cst(t, "2026-03-01 00:00")); r.Status != StatusFailed {
			t.Fatalf("2026-03-01 row = %+v, want failed", r)
		}
	})

	t.Run("a window that ends during catch-up is caught up too", func(t *testing.T) {
		store := NewMemoryRunStore()
		seed(t, store, "kpi", "2026-02-28 00:00")
		clock := newClock(cst(t, "2026-03-02 23:30"))
		var c calls
		s := New(store, clock.Now, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(ctx context.Context, at time.Time) (uint64, error) {
			c.add("kpi", at)
			clock.Advance(20 * time.Minute) // the second window crosses midnight
			return 1, nil
		}})
		s.catchUpAll(ctx, s.jobs)
		equalStrings(t, "catch-up", c.get(), []string{"kpi@2026-03-01", "kpi@2026-03-02", "kpi@2026-03-03"})
	})
}

func TestBackfill(t *testing.T) {
	ctx := context.Background()

	t.Run("one job, in order, with progress", func(t *testing.T) {
		var c calls
		var progress []string
		store := NewMemoryRunStore()
		s := New(store, newClock(cst(t, "2026-03-10 09:00")).Now, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
		mustAdd(t, s, Job{Name: "other", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("other", &c)})
		err := s.Backfill(ctx, "kpi", cst(t, "2024-02-27 00:00"), cst(t, "2024-03-02 00:00"), func(done, total int) {
			progress = append(progress, fmt.Sprintf("%d/%d", done, total))
		})
		if err != nil {
			t.Fatal(err)
		}
		equalStrings(t, "calls", c.get(), []string{"kpi@2024-02-27", "kpi@2024-02-28", "kpi@2024-02-29", "kpi@2024-03-01", "kpi@2024-03-02"})
		equalStrings(t, "progress", progress, []string{"0/5", "1/5", "2/5", "3/5", "4/5", "5/5"})
		if n := len(store.Runs()); n != 5 {
			t.Fatalf("%d rows, want 5", n)
		}
	})

	t.Run("all jobs, ordered by window end then Add order", func(t *testing.T) {
		var c calls
		s := New(NewMemoryRunStore(), nil, nil, Options{})
		mustAdd(t, s, Job{Name: "d", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("d", &c)})
		mustAdd(t, s, Job{Name: "w", Window: schemas.Week, Spec: "5 0 * * 1", Run: recordingJob("w", &c)})
		mustAdd(t, s, Job{Name: "m", Window: schemas.Month, Spec: "5 0 1 * *", Run: recordingJob("m", &c)})
		if err := s.Backfill(ctx, "", cst(t, "2025-12-29 00:00"), cst(t, "2026-01-05 00:00"), nil); err != nil {
			t.Fatal(err)
		}
		equalStrings(t, "calls", c.get(), []string{
			"d@2025-12-29", "w@2025-12-29", "d@2025-12-30", "d@2025-12-31",
			"d@2026-01-01", "m@2026-01-01", "d@2026-01-02", "d@2026-01-03", "d@2026-01-04",
			"d@2026-01-05", "w@2026-01-05",
		})
	})

	t.Run("a job that runs only when named is left out of a backfill of all", func(t *testing.T) {
		var c calls
		s := New(NewMemoryRunStore(), nil, nil, Options{})
		mustAdd(t, s, Job{Name: "d", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("d", &c)})
		mustAdd(t, s, Job{Name: "f", Window: schemas.Day, Spec: "50 0 * * *", OnlyNamedBackfill: true, Run: recordingJob("f", &c)})
		if err := s.Backfill(ctx, "", cst(t, "2026-01-01 00:00"), cst(t, "2026-01-02 00:00"), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Backfill(ctx, "f", cst(t, "2026-01-02 00:00"), cst(t, "2026-01-02 00:00"), nil); err != nil {
			t.Fatal(err)
		}
		equalStrings(t, "calls", c.get(), []string{"d@2026-01-01", "d@2026-01-02", "f@2026-01-02"})
	})

	t.Run("failures are recorded and counted, the rest still run", func(t *testing.T) {
		var c calls
		var last string
		s := New(NewMemoryRunStore(), nil, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(_ context.Context, at time.Time) (uint64, error) {
			c.add("kpi", at)
			if at.Day() == 2 {
				return 0, errors.New("no data")
			}
			return 1, nil
		}})
		err := s.Backfill(ctx, "kpi", cst(t, "2026-03-01 00:00"), cst(t, "2026-03-03 00:00"), func(done, total int) { last = fmt.Sprintf("%d/%d", done, total) })
		if err == nil || !strings.Contains(err.Error(), "1 of 3 windows failed") || !strings.Contains(err.Error(), "no data") {
			t.Fatalf("err = %v", err)
		}
		equalStrings(t, "calls", c.get(), []string{"kpi@2026-03-01", "kpi@2026-03-02", "kpi@2026-03-03"})
		if last != "3/3" {
			t.Fatalf("last progress %s, want 3/3", last)
		}
	})

	t.Run("stops when the context ends", func(t *testing.T) {
		var c calls
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s := New(NewMemoryRunStore(), nil, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(_ context.Context, at time.Time) (uint64, error) {
			c.add("kpi", at)
			if at.Day() == 2 {
				cancel()
			}
			return 1, nil
		}})
		err := s.Backfill(cctx, "kpi", cst(t, "2026-03-01 00:00"), cst(t, "2026-03-05 00:00"), nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want Canceled", err)
		}
		equalStrings(t, "calls", c.get(), []string{"kpi@2026-03-01", "kpi@2026-03-02"})
	})

	t.Run("bad arguments", func(t *testing.T) {
		s := New(NewMemoryRunStore(), nil, nil, Options{})
		mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &calls{})})
		if err := s.Backfill(ctx, "nope", cst(t, "2026-03-01 00:00"), cst(t, "2026-03-02 00:00"), nil); !errors.Is(err, ErrUnknownJob) {
			t.Fatalf("unknown job: err = %v", err)
		}
		if err := s.Backfill(ctx, "kpi", cst(t, "2026-03-02 00:00"), cst(t, "2026-03-01 00:00"), nil); err == nil {
			t.Fatal("to before from: no error")
		}
	})
}

// TestTickUsesTheTickTimeNotTheClock runs the tick path with tick times far
// from the injected clock: `at` must come from the tick alone.
func TestTickUsesTheTickTimeNotTheClock(t *testing.T) {
	ctx := context.Background()
	var c calls
	s := New(NewMemoryRunStore(), newClock(cst(t, "2031-06-15 12:00")).Now, nil, Options{})
	mustAdd(t, s, Job{Name: "d", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("d", &c)})
	mustAdd(t, s, Job{Name: "w", Window: schemas.Week, Spec: "5 0 * * 1", Run: recordingJob("w", &c)})
	mustAdd(t, s, Job{Name: "m", Window: schemas.Month, Spec: "5 0 1 * *", Run: recordingJob("m", &c)})
	ticks := []struct {
		job  string
		tick time.Time
	}{
		{"d", utc(t, "2026-03-02T16:05:00Z")}, // 2026-03-03 00:05 in Shanghai
		{"d", utc(t, "2026-03-02T15:59:00Z")}, // 2026-03-02 23:59 in Shanghai
		{"w", cst(t, "2026-01-05 00:05")},     // Monday
		{"m", cst(t, "2026-03-01 00:05")},
	}
	for _, tk := range ticks {
		if err := s.tick(ctx, s.byName[tk.job], tk.tick); err != nil {
			t.Fatal(err)
		}
	}
	equalStrings(t, "ats", c.get(), []string{"d@2026-03-03", "d@2026-03-02", "w@2026-01-05", "m@2026-03-01"})
}

// TestRunEndToEnd drives the real cron with a one-second spec: Run catches
// up first, a tick runs the window complete at the tick (not at the fake
// clock), and cancelling waits for the running job and records its outcome.
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a real cron tick (about a second)")
	}
	store := NewMemoryRunStore()
	clock := newClock(cst(t, "2030-01-10 10:00"))
	seed := Run{Job: "tick", WindowEnd: cst(t, "2030-01-09 00:00"), Status: StatusOK, StartedAt: cst(t, "2030-01-09 00:05")}
	if err := store.RecordRun(context.Background(), seed); err != nil {
		t.Fatal(err)
	}
	var c calls
	ticked := make(chan time.Time, 1)
	var finished atomic.Bool
	s := New(store, clock.Now, nil, Options{})
	mustAdd(t, s, Job{Name: "tick", Window: schemas.Day, Spec: "@every 1s", Run: func(ctx context.Context, at time.Time) (uint64, error) {
		c.add("tick", at)
		if at.Year() == 2030 {
			return 1, nil // the catch-up of 2030-01-10
		}
		select {
		case ticked <- at:
		default:
		}
		<-ctx.Done()                      // hold the run until shutdown
		time.Sleep(50 * time.Millisecond) // finishing takes a moment
		finished.Store(true)
		return 2, nil
	}})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- s.Run(ctx) }()

	var at time.Time
	select {
	case at = <-ticked:
	case <-time.After(10 * time.Second):
		t.Fatal("no cron tick within 10s")
	}
	after := time.Now()
	if !at.Equal(schemas.Day.Align(before)) && !at.Equal(schemas.Day.Align(after)) {
		t.Fatalf("tick at = %s, want today's window end in Shanghai (%s)", at, schemas.Day.Align(after))
	}
	if got := c.get(); got[0] != "tick@2030-01-10" {
		t.Fatalf("first call %s, want the catch-up of 2030-01-10 before any tick", got[0])
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !finished.Load() {
		t.Fatal("Run returned before the running job finished")
	}
	r, ok := store.Get("tick", at)
	if !ok || r.Status != StatusOK || r.Rows != 2 {
		t.Fatalf("row of the tick = %+v, %v; want ok with 2 rows recorded after cancel", r, ok)
	}
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
	if err := s.Add(Job{Name: "late", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("late", &c)}); err == nil {
		t.Fatal("Add after Run succeeded")
	}
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	s := New(NewMemoryRunStore(), newClock(cst(t, "2026-03-05 09:00")).Now, nil, Options{Registerer: reg})
	mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: func(_ context.Context, at time.Time) (uint64, error) {
		if at.Day() == 2 {
			return 0, errors.New("no data")
		}
		return 4, nil
	}})
	_ = s.Backfill(ctx, "kpi", cst(t, "2026-03-01 00:00"), cst(t, "2026-03-03 00:00"), nil)
	if got := metricValue(t, s.metrics.runs.WithLabelValues("kpi", StatusOK)); got != 2 {
		t.Fatalf("ok runs = %v, want 2", got)
	}
	if got := metricValue(t, s.metrics.runs.WithLabelValues("kpi", StatusFailed)); got != 1 {
		t.Fatalf("failed runs = %v, want 1", got)
	}
	if got := metricValue(t, s.metrics.rows.WithLabelValues("kpi")); got != 8 {
		t.Fatalf("rows = %v, want 8", got)
	}
	if got, want := metricValue(t, s.metrics.lastOK.WithLabelValues("kpi")), float64(cst(t, "2026-03-03 00:00").Unix()); got != want {
		t.Fatalf("last ok = %v, want %v", got, want)
	}
	// A second scheduler on the same registry shares the collectors.
	s2 := New(NewMemoryRunStore(), nil, nil, Options{Registerer: reg})
	if s2.metrics.runs != s.metrics.runs {
		t.Fatal("second scheduler did not reuse the registered collector")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, f := range families {
		if f.GetName() == "riskwatch_scheduler_runs_total" {
			series = len(f.GetMetric())
		}
	}
	if series != 2 {
		t.Fatalf("gathered %d runs_total series, want 2 (ok, failed)", series)
	}
}

// metricValue reads a counter or gauge (client_golang's testutil would pull
// a module go.mod does not list).
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	switch {
	case out.Counter != nil:
		return out.GetCounter().GetValue()
	case out.Gauge != nil:
		return out.GetGauge().GetValue()
	}
	t.Fatal("not a counter or gauge")
	return 0
}
