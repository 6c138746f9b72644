package store

import (
	"context"
	"fmt"
	"time"
)

// JobRun is one row of job_runs.
type JobRun struct {
	Job                    string
	WindowStart, WindowEnd time.Time
	Status                 string // running, ok, failed, panicked
	StartedAt              time.Time
	Duration               time.Duration
	Rows                   uint64
	Err                    string
}

// RecordJobRun writes an attempt; the newest started_at of a (job, window)
// wins.
func (s *Store) RecordJobRun(ctx context.Context, r JobRun) error {
	code := map[string]int8{"running": 1, "ok": 2, "failed": 3, "panicked": 4}[r.Status]
	if code == 0 {
		return fmt.Errorf("job run %s: unknown status %q", r.Job, r.Status)
	}
	return s.insertColumns(ctx, "job_runs",
		"job, window_start, window_end, status, started_at, duration_ms, rows_written, error",
		[]any{[]string{r.Job}, []time.Time{r.WindowStart}, []time.Time{r.WindowEnd}, []int8{code},
			[]time.Time{r.StartedAt}, []uint64{uint64(r.Duration.Milliseconds())}, []uint64{r.Rows}, []string{r.Err}})
}

// LastOKJobRun returns the latest window a job completed.
func (s *Store) LastOKJobRun(ctx context.Context, job string) (JobRun, bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT window_start, window_end, started_at, duration_ms, rows_written
FROM job_runs FINAL WHERE job = ? AND status = 'ok' ORDER BY window_end DESC LIMIT 1`, job)
	if err != nil {
		return JobRun{}, false, fmt.Errorf("cannot read job_runs: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return JobRun{}, false, rows.Err()
	}
	r := JobRun{Job: job, Status: "ok"}
	var ms uint64
	if err := rows.Scan(&r.WindowStart, &r.WindowEnd, &r.StartedAt, &ms, &r.Rows); err != nil {
		return JobRun{}, false, err
	}
	r.Duration = time.Duration(ms) * time.Millisecond
	return r, true, nil
}

// JobRunStatus returns the current status of a job's window ending at end;
// false when the window has no run.
func (s *Store) JobRunStatus(ctx context.Context, job string, end time.Time) (string, bool, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(status) FROM job_runs FINAL WHERE job = ? AND window_end = ?`, job, end)
	if err != nil {
		return "", false, fmt.Errorf("cannot read job_runs: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return "", false, rows.Err()
	}
	var status string
	if err := rows.Scan(&status); err != nil {
		return "", false, fmt.Errorf("cannot read job_runs: %w", err)
	}
	return status, true, nil
}
