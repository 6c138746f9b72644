package scheduler

import (
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/robfig/cron/v3"

	"github.com/riskwatch/riskwatch/schemas"
)

// TestSpecRunsInShanghai checks with cron's parser that a spec means
// Shanghai wall time, starting from fixed UTC instants.
func TestSpecRunsInShanghai(t *testing.T) {
	tests := []struct {
		spec       string
		from, want string // UTC
	}{
		// 00:05 Shanghai is 16:05 UTC the day before; read in UTC the spec
		// would give 2026-03-02T00:05Z.
		{"5 0 * * *", "2026-03-01T15:00:00Z", "2026-03-01T16:05:00Z"},
		{"5 0 * * *", "2026-03-01T16:10:00Z", "2026-03-02T16:05:00Z"},
		// Monday 00:10 Shanghai = Sunday 16:10 UTC.
		{"10 0 * * 1", "2026-01-01T00:00:00Z", "2026-01-04T16:10:00Z"},
		// The 1st 00:05 Shanghai = the last day of the month before, 16:05 UTC.
		{"5 0 1 * *", "2026-02-15T00:00:00Z", "2026-02-28T16:05:00Z"},
		{"@daily", "2026-03-01T12:00:00Z", "2026-03-01T16:00:00Z"},
	}
	for _, tc := range tests {
		sched, err := parseSpec(tc.spec)
		if err != nil {
			t.Fatalf("parseSpec(%q): %v", tc.spec, err)
		}
		got := sched.Next(utc(t, tc.from))
		if want := utc(t, tc.want); !got.Equal(want) {
			t.Errorf("%q from %s: next %s, want %s", tc.spec, tc.from, got.UTC(), tc.want)
		}
	}
}

func discard() cron.Logger { return cronLogger{log: slog.New(slog.NewTextHandler(io.Discard, nil))} }

// TestWrapCronSurvivesPanics checks the wrapper order: after a panic the
// next tick still runs. The reversed order is run too, to show the failure
// the order avoids: robfig's SkipIfStillRunning loses its token and skips
// every later tick.
func TestWrapCronSurvivesPanics(t *testing.T) {
	var calls atomic.Int32
	panicky := cron.FuncJob(func() {
		calls.Add(1)
		panic("boom")
	})

	wrapped := wrapCron(panicky, discard())
	wrapped.Run()
	wrapped.Run()
	if n := calls.Load(); n != 2 {
		t.Fatalf("wrapCron: job ran %d times in two ticks, want 2", n)
	}

	calls.Store(0)
	reversed := cron.NewChain(cron.Recover(discard()), cron.SkipIfStillRunning(discard())).Then(panicky)
	reversed.Run()
	reversed.Run()
	if n := calls.Load(); n != 1 {
		t.Fatalf("reversed order: job ran %d times, expected robfig to skip after the panic (1)", n)
	}
}

func TestWrapCronSkipsWhileRunning(t *testing.T) {
	var calls, skips atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	l := cronLogger{log: slog.New(slog.NewTextHandler(io.Discard, nil)), skipped: func() { skips.Add(1) }}
	wrapped := wrapCron(cron.FuncJob(func() {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
	}), l)
	done := make(chan struct{})
	go func() { wrapped.Run(); close(done) }()
	<-started
	wrapped.Run() // the first run is still going: skipped
	close(release)
	<-done
	wrapped.Run() // free again
	if calls.Load() != 2 || skips.Load() != 1 {
		t.Fatalf("calls=%d skips=%d, want 2 and 1", calls.Load(), skips.Load())
	}
}

func TestStackHead(t *testing.T) {
	stack := []byte("goroutine 7 [running]:\n" +
		"runtime/debug.Stack()\n\t/go/src/runtime/debug/stack.go:26 +0x5e\n" +
		"x.call.func1()\n\t/x/scheduler.go:10 +0x1\n" +
		"panic({0x1, 0x2})\n\t/go/src/runtime/panic.go:783 +0x132\n" +
		"x.job()\n\t/x/job.go:5 +0x2\n" +
		"x.call()\n\t/x/scheduler.go:12 +0x3\n")
	got := stackHead(stack, 1)
	want := "x.job()\n\t/x/job.go:5 +0x2"
	if got != want {
		t.Fatalf("stackHead = %q, want %q", got, want)
	}
}

func TestSpecRunsInTheDeploymentZone(t *testing.T) {
	ny, err := schemas.LoadZone("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	prev := schemas.SetZone(ny)
	t.Cleanup(func() { schemas.SetZone(prev) })
	for _, tc := range []struct{ spec, from, want string }{
		// 00:05 New York: 05:05 UTC in winter (EST), 04:05 after the
		// spring-forward of Sunday 10 March 2024 (EDT).
		{"5 0 * * *", "2024-03-09T12:00:00Z", "2024-03-10T05:05:00Z"},
		{"5 0 * * *", "2024-03-10T06:00:00Z", "2024-03-11T04:05:00Z"},
		// Monday 00:20 New York after the fall-back of 3 November 2024.
		{"20 0 * * 1", "2024-11-01T00:00:00Z", "2024-11-04T05:20:00Z"},
	} {
		sched, err := parseSpec(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sched.Next(utc(t, tc.from)), utc(t, tc.want); !got.Equal(want) {
			t.Errorf("%q from %s: next %s, want %s", tc.spec, tc.from, got.UTC(), tc.want)
		}
		if got, err := NextTick(tc.spec, utc(t, tc.from)); err != nil || !got.Equal(utc(t, tc.want)) {
			t.Errorf("NextTick %q from %s: %s %v", tc.spec, tc.from, got.UTC(), err)
		}
	}
}
