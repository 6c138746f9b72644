package scheduler

import (
	"context"
	"testing"
)

func TestMemoryRunStoreReplacesByJobAndWindowEnd(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryRunStore()
	end := cst(t, "2026-03-02 00:00")
	first := Run{Job: "kpi", WindowEnd: end, Status: StatusOK, StartedAt: cst(t, "2026-03-02 00:05"), Rows: 10}
	second := Run{Job: "kpi", WindowEnd: end, Status: StatusFailed, StartedAt: cst(t, "2026-03-02 01:05"), Err: "x"}
	older := Run{Job: "kpi", WindowEnd: end, Status: StatusOK, StartedAt: cst(t, "2026-03-01 23:00"), Rows: 99}
	other := Run{Job: "hotspots", WindowEnd: end, Status: StatusOK, StartedAt: cst(t, "2026-03-02 00:05")}
	for _, r := range []Run{first, second, older, other} {
		if err := m.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	runs := m.Runs()
	if len(runs) != 2 {
		t.Fatalf("got %d rows, want 2: %+v", len(runs), runs)
	}
	if runs[0].Job != "hotspots" || runs[1].Job != "kpi" {
		t.Fatalf("rows not ordered by job: %+v", runs)
	}
	if got := runs[1]; got.Status != StatusFailed || !got.StartedAt.Equal(second.StartedAt) {
		t.Fatalf("kpi row = %+v, want the latest attempt (failed)", got)
	}
	if m.Writes() != 4 {
		t.Fatalf("Writes = %d, want 4", m.Writes())
	}
}

func TestMemoryRunStoreLastRunIsLatestOK(t *testing.T) {
	ctx := context.Background()
	var m MemoryRunStore // the zero value is usable
	if _, ok, err := m.LastRun(ctx, "kpi"); ok || err != nil {
		t.Fatalf("empty store: ok=%v err=%v", ok, err)
	}
	rec := func(end, status string) {
		t.Helper()
		if err := m.RecordRun(ctx, Run{Job: "kpi", WindowEnd: cst(t, end), Status: status, StartedAt: cst(t, end)}); err != nil {
			t.Fatal(err)
		}
	}
	rec("2026-03-01 00:00", StatusOK)
	rec("2026-03-03 00:00", StatusOK)
	rec("2026-03-02 00:00", StatusOK)
	rec("2026-03-04 00:00", StatusFailed)
	rec("2026-03-05 00:00", StatusRunning)
	last, ok, err := m.LastRun(ctx, "kpi")
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if want := cst(t, "2026-03-03 00:00"); !last.WindowEnd.Equal(want) {
		t.Fatalf("LastRun window end = %s, want %s", last.WindowEnd, want)
	}
	if _, ok, _ := m.LastRun(ctx, "other"); ok {
		t.Fatal("LastRun found a run of another job")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.RecordRun(cctx, Run{Job: "kpi"}); err == nil {
		t.Fatal("RecordRun with a cancelled context succeeded")
	}
}
