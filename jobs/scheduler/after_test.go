package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// A job with After starts a window only when the runs it reads are ok,
// starts as soon as the last of them succeeds, runs again when one of them
// is recomputed, and is left alone by windows it does not read.
func TestAfterWaitsForTheRunsItReads(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryRunStore()
	var c calls
	var riskFails atomic.Bool
	riskFails.Store(true)
	s := New(store, newClock(cst(t, "2026-03-02 10:00")).Now, nil, Options{CatchUp: 1})
	mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
	mustAdd(t, s, Job{Name: "risk", Window: schemas.Week, Spec: "5 1 * * 1", Run: func(_ context.Context, at time.Time) (uint64, error) {
		c.add("risk", at)
		if riskFails.Load() {
			return 0, errors.New("not yet")
		}
		return 1, nil
	}})
	mustAdd(t, s, Job{Name: "report", Window: schemas.Week, Spec: "30 8 * * 1", CatchUp: 1, After: []string{"kpi", "risk"},
		Run: recordingJob("report", &c)})

	// The catch-up: risk fails, so the report of the week waits, unrecorded.
	s.catchUpAll(ctx, s.jobs)
	equalStrings(t, "catch-up", c.get(), []string{"kpi@2026-03-02", "risk@2026-03-02"})
	if r, ok := store.Get("report", cst(t, "2026-03-02 00:00")); ok {
		t.Fatalf("the waiting report was recorded: %+v", r)
	}
	missing, err := s.Missing(ctx, "report", cst(t, "2026-03-02 00:00"))
	if err != nil || len(missing) != 1 || !strings.HasPrefix(missing[0], "risk@2026-03-02") {
		t.Fatalf("Missing = %v, %v; want risk of the week", missing, err)
	}
	// A tick finds it still missing.
	if err := s.tick(ctx, s.byName["report"], cst(t, "2026-03-02 08:30")); err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "tick", c.get(), []string{"kpi@2026-03-02", "risk@2026-03-02"})

	// risk succeeds: the report follows at once.
	riskFails.Store(false)
	if err := s.RunWindow(ctx, "risk", cst(t, "2026-03-02 00:00")); err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "risk ok", c.get(), []string{"kpi@2026-03-02", "risk@2026-03-02", "risk@2026-03-02", "report@2026-03-02"})

	// kpi recomputes the day the report reads: the report runs again; a
	// day no weekly report reads changes nothing.
	if err := s.RunWindow(ctx, "kpi", cst(t, "2026-03-02 00:00")); err != nil {
		t.Fatal(err)
	}
	if err := s.RunWindow(ctx, "kpi", cst(t, "2026-03-01 00:00")); err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "recomputed", c.get()[4:], []string{"kpi@2026-03-02", "report@2026-03-02", "kpi@2026-03-01"})

	// A backfill of every job runs the report once per window, in order.
	if err := s.Backfill(ctx, "", cst(t, "2026-03-02 00:00"), cst(t, "2026-03-02 00:00"), nil); err != nil {
		t.Fatal(err)
	}
	equalStrings(t, "backfill", c.get()[7:], []string{"kpi@2026-03-02", "risk@2026-03-02", "report@2026-03-02"})
}

func TestAfterNamesKnownJobs(t *testing.T) {
	ok := func(context.Context, time.Time) (uint64, error) { return 0, nil }
	s := New(NewMemoryRunStore(), nil, nil, Options{})
	if err := s.Add(Job{Name: "a", Window: schemas.Day, Spec: "@daily", Run: ok, After: []string{"a"}}); err == nil || !strings.Contains(err.Error(), "After") {
		t.Fatalf("a job waiting for itself: %v", err)
	}
	mustAdd(t, s, Job{Name: "b", Window: schemas.Day, Spec: "@daily", Run: ok, After: []string{"nope"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Run(ctx); err == nil || !errors.Is(err, ErrUnknownJob) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("Run with an unknown After: %v", err)
	}
}

// The catch-up of a job also runs the older windows that the catch-up of a
// job waiting for it reads: started on a Tuesday with one window of
// catch-up, the day job computes Monday for the weekly report as well as
// Tuesday, and the report of the week does not wait for ever.
func TestCatchUpRunsTheWindowsAWaitingJobReads(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryRunStore()
	var c calls
	s := New(store, newClock(cst(t, "2026-03-03 01:00")).Now, nil, Options{CatchUp: 1})
	mustAdd(t, s, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c)})
	mustAdd(t, s, Job{Name: "report", Window: schemas.Week, Spec: "30 8 * * 1", CatchUp: 1, After: []string{"kpi"},
		Run: recordingJob("report", &c)})
	s.catchUpAll(ctx, s.jobs)
	equalStrings(t, "catch-up", c.get(), []string{"kpi@2026-03-02", "kpi@2026-03-03", "report@2026-03-02"})
	missing, err := s.Missing(ctx, "report", cst(t, "2026-03-02 00:00"))
	if err != nil || len(missing) != 0 {
		t.Fatalf("Missing = %v, %v; want none", missing, err)
	}
	// A second start finds nothing to do: the report's week is done.
	s2 := New(store, newClock(cst(t, "2026-03-03 02:00")).Now, nil, Options{CatchUp: 1})
	var c2 calls
	mustAdd(t, s2, Job{Name: "kpi", Window: schemas.Day, Spec: "5 0 * * *", Run: recordingJob("kpi", &c2)})
	mustAdd(t, s2, Job{Name: "report", Window: schemas.Week, Spec: "30 8 * * 1", CatchUp: 1, After: []string{"kpi"},
		Run: recordingJob("report", &c2)})
	s2.catchUpAll(ctx, s2.jobs)
	equalStrings(t, "second start", c2.get(), nil)
}
