package app

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// fakeOffsets is one partition: end is the next offset to produce,
// committed what the group has stored.
type fakeOffsets struct {
	mu             sync.Mutex
	end, committed int64
}

func (f *fakeOffsets) Ends(context.Context) (map[int]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
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
