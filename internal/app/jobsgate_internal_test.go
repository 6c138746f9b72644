package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/riskwatch/riskwatch/schemas"
)

// fakeOffsets is one partition: end is the next offset to produce,
// committed what the group has stored.
type fakeOffsets struct {
	mu             sync.Mutex
	end, committed int64
	err            error // Kafka does not answer
}

func (f *fakeOffsets) Ends(context.Context) (map[int]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return map[int]int64{0: f.end}, nil
}

func (f *fakeOffsets) Behind(_ context.Context, marks map[int]int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(marks[0]-f.committed, 0), nil
}

func (f *fakeOffsets) set(end, committed int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.end, f.committed = end, committed
}

// TestJobsWaitForTheDemoHistoryToBeStored: the jobs' gate holds while the
// history is being produced (the topic is empty at first) and while ingest
// has not stored all of it, and opens once it has, although the trickle
// keeps adding messages that are not stored yet.
func TestJobsWaitForTheDemoHistoryToBeStored(t *testing.T) {
	f := &fakeOffsets{}
	produced := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- waitIngested(context.Background(), f, produced, slog.New(slog.DiscardHandler)) }()
	opened := func() bool {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return true
		case <-time.After(3 * gatePoll):
			return false
		}
	}
	if opened() {
		t.Fatal("the gate opened before the history was produced (the topic was empty)")
	}
	f.set(1000, 200) // the history is in the topic, ingest is at 200
	close(produced)
	if opened() {
		t.Fatal("the gate opened with 800 messages of the history not stored")
	}
	f.set(1010, 1000) // all of it stored; the trickle added 10 since
	if !opened() {
		t.Fatal("the gate did not open once the history was stored")
	}
}

// TestJobsStartWhenKafkaDoesNotAnswer: the gate gives up after
// gateGiveUp of Kafka errors, so that the jobs do not stop with Kafka.
func TestJobsStartWhenKafkaDoesNotAnswer(t *testing.T) {
	defer func(d time.Duration) { gateGiveUp = d }(gateGiveUp)
	gateGiveUp = 2 * gatePoll
	done := make(chan error, 1)
	go func() {
		done <- waitIngested(context.Background(), &fakeOffsets{err: errors.New("no broker")}, nil, slog.New(slog.DiscardHandler))
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("waitIngested = %v, want nil (the jobs start)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gate still waits 10 s after Kafka stopped answering")
	}
}

// TestJobsGateStopsWithTheContext: a stop while waiting returns the
// context's error (the scheduler is then not started).
func TestJobsGateStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- waitIngested(ctx, &fakeOffsets{end: 5}, nil, slog.New(slog.DiscardHandler))
	}()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("waitIngested returned nil after the stop, want the context's error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waitIngested did not return within 5 s of the stop")
	}
}

// TestLateVersionsAreCountedOnceTheJobsRun: a version whose event time is
// in a day that ended more than an hour ago counts as late (its windows
// may be computed already), one of today or of yesterday within the hour
// does not; nothing counts before the jobs start.
func TestLateVersionsAreCountedOnceTheJobsRun(t *testing.T) {
	cst := schemas.Zone()
	now := time.Date(2026, 12, 7, 0, 30, 0, 0, cst)
	row := func(at time.Time) schemas.CaseRow { return schemas.CaseRow{UpdatedAt: at} }
	rows := [][]schemas.CaseRow{{
		row(time.Date(2026, 12, 6, 23, 50, 0, 0, cst)), // yesterday, within the hour after its end
		row(time.Date(2026, 12, 7, 0, 10, 0, 0, cst)),  // today
		row(time.Date(2026, 12, 5, 12, 0, 0, 0, cst)),  // the day before: late
	}, {
		row(time.Date(2026, 11, 30, 8, 0, 0, 0, cst)), // late
		{}, // no event time
	}}
	n, first, last := lateVersions(rows, now)
	if n != 2 || !first.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, cst)) || !last.Equal(time.Date(2026, 12, 5, 12, 0, 0, 0, cst)) {
		t.Errorf("lateVersions at 00:30 = %d, %s, %s; want 2, 2026-11-30 08:00, 2026-12-05 12:00", n, first, last)
	}
	// At 01:30 the hour after yesterday's end is over: yesterday's version is late too.
	if n, _, _ := lateVersions(rows, now.Add(time.Hour)); n != 3 {
		t.Errorf("lateVersions at 01:30 = %d, want 3", n)
	}

	w := newLateWatch(slog.New(slog.DiscardHandler), nil)
	w.observe(rows, now)
	if got := counterValue(t, w); got != 0 {
		t.Errorf("%v late versions counted before the jobs start, want 0", got)
	}
	w.armed.Store(true)
	w.observe(rows, now)
	if got := counterValue(t, w); got != 2 {
		t.Errorf("%v late versions counted once armed, want 2", got)
	}
}

func counterValue(t *testing.T, w *lateWatch) float64 {
	t.Helper()
	var m dto.Metric
	if err := w.total.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
