package scheduler

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// The values of Run.Status, matching the Enum8 of job_runs.status.
const (
	StatusRunning  = "running"
	StatusOK       = "ok"
	StatusFailed   = "failed"
	StatusPanicked = "panicked"
)

// Run is one attempt of a job for one window, a row of job_runs.
type Run struct {
	// Job is the job's name.
	Job string
	// WindowStart and WindowEnd bound the window [WindowStart, WindowEnd),
	// in Shanghai; WindowEnd is the `at` the job was given.
	WindowStart, WindowEnd time.Time
	// Status is StatusRunning while the job runs, then StatusOK,
	// StatusFailed or StatusPanicked.
	Status string
	// StartedAt is when the attempt started, read from the scheduler's
	// clock. It is the version of the ReplacingMergeTree: the attempt with
	// the latest StartedAt wins.
	StartedAt time.Time
	// Duration is how long the job took (zero while running).
	Duration time.Duration
	// Rows is the number of rows the job reported writing.
	Rows uint64
	// Err is the job's error, or for a panic its value and the head of its
	// stack; empty on success.
	Err string
}

// RunStore records runs; the store package implements it on job_runs.
type RunStore interface {
	// RecordRun upserts r by (Job, WindowEnd): among the records of one
	// key, the one with the latest StartedAt wins, and of equal StartedAt
	// the one recorded last (ReplacingMergeTree semantics). The scheduler
	// records each attempt twice with the same StartedAt: running, then
	// its outcome.
	RecordRun(ctx context.Context, r Run) error
	// LastRun returns the run with the latest WindowEnd among the job's
	// runs whose current status is ok; false if there is none.
	LastRun(ctx context.Context, job string) (Run, bool, error)
	// RunStatus returns the current status of the job's window ending at
	// end; false if the window has no run.
	RunStatus(ctx context.Context, job string, end time.Time) (string, bool, error)
}

// MemoryRunStore is a RunStore in memory, for tests. Its zero value is ready
// to use and it is safe for concurrent use.
type MemoryRunStore struct {
	mu     sync.Mutex
	runs   map[runKey]Run
	writes int
}

// runKey is the table's sorting key. DateTime keeps whole seconds, so the
// key does too.
type runKey struct {
	job string
	end int64
}

// NewMemoryRunStore returns an empty MemoryRunStore.
func NewMemoryRunStore() *MemoryRunStore { return &MemoryRunStore{} }

// RecordRun implements RunStore. It fails only when ctx is done.
func (m *MemoryRunStore) RecordRun(ctx context.Context, r Run) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = make(map[runKey]Run)
	}
	m.writes++
	k := runKey{r.Job, r.WindowEnd.Unix()}
	if old, ok := m.runs[k]; ok && r.StartedAt.Before(old.StartedAt) {
		return nil // an older attempt loses to the stored one
	}
	m.runs[k] = r
	return nil
}

// LastRun implements RunStore. It fails only when ctx is done.
func (m *MemoryRunStore) LastRun(ctx context.Context, job string) (Run, bool, error) {
	if err := ctx.Err(); err != nil {
		return Run{}, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var last Run
	found := false
	for k, r := range m.runs {
		if k.job == job && r.Status == StatusOK && (!found || r.WindowEnd.After(last.WindowEnd)) {
			last, found = r, true
		}
	}
	return last, found, nil
}

// RunStatus implements RunStore. It fails only when ctx is done.
func (m *MemoryRunStore) RunStatus(ctx context.Context, job string, end time.Time) (string, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	r, ok := m.Get(job, end)
	return r.Status, ok, nil
}

// Runs returns a copy of the current row of every (job, window), ordered by
// job and window end, as a FINAL query on job_runs would.
func (m *MemoryRunStore) Runs() []Run {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Run, 0, len(m.runs))
	for _, r := range m.runs {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Run) int {
		return cmp.Or(cmp.Compare(a.Job, b.Job), a.WindowEnd.Compare(b.WindowEnd))
	})
	return out
}

// Get returns the current row of the job's window ending at end.
func (m *MemoryRunStore) Get(job string, end time.Time) (Run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[runKey{job, end.Unix()}]
	return r, ok
}

// Writes returns how many times RecordRun stored or discarded a record.
func (m *MemoryRunStore) Writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}
