package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// nopStore answers nothing: the routes used below never reach the store.
type nopStore struct{ Store }

// The token checks every server makes in the background: one generation,
// no revocations; last uses are dropped.
func (nopStore) APITokenGeneration(context.Context) (uint64, error)           { return 1, nil }
func (nopStore) APIMarkTokensUsed(context.Context, []store.APITokenUse) error { return nil }

// TestConcurrentQueriesAreBounded: with every slot taken, a request waits
// up to the query timeout and gets 503 naming the limit; once a slot is
// free the same request is answered.
func TestConcurrentQueriesAreBounded(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{Store: nopStore{}, Regions: reg, QueryTimeout: 100 * time.Millisecond, MaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A route that queries (the store is not called here).
	rt := route{method: "GET", path: "/api/x", handle: func(*request) (*result, error) { return &result{columns: []string{"a"}}, nil }}
	call := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.serve(rec, httptest.NewRequest("GET", "/api/x", nil), rt)
		return rec
	}
	s.slots <- struct{}{} // another request is running
	start := time.Now()
	rec := call()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "api.max_concurrent") {
		t.Fatalf("with the slot taken: %d %s, want 503 naming api.max_concurrent", rec.Code, rec.Body.String())
	}
	if waited := time.Since(start); waited < 90*time.Millisecond {
		t.Errorf("refused after %v, want a wait of the query timeout (100ms)", waited)
	}
	<-s.slots
	if rec := call(); rec.Code != http.StatusOK {
		t.Fatalf("with a free slot: %d %s", rec.Code, rec.Body.String())
	}
	if len(s.slots) != 0 {
		t.Errorf("%d slots still held after the request", len(s.slots))
	}
}

// dailyStore records the since of every changed-days lookup and the
// days and stamp of every refresh; left is what earlier refreshes left.
type dailyStore struct {
	nopStore
	since    []time.Time
	days     [][]time.Time
	computed []time.Time
	left     store.APIRollupsLeft
}

func (d *dailyStore) APIDailyChangedDays(_ context.Context, since time.Time) ([]time.Time, error) {
	d.since = append(d.since, since)
	return []time.Time{time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}, nil
}

func (d *dailyStore) APIRefreshDaily(_ context.Context, days []time.Time, at time.Time) error {
	d.days, d.computed = append(d.days, days), append(d.computed, at)
	return nil
}

func (d *dailyStore) APIRollupsLeft(context.Context) (store.APIRollupsLeft, error) {
	return d.left, nil
}

// TestDailyRefreshIsFullOncePerDay: the first refresh and one a day after
// the last full one recompute every day (since = zero); the others only
// the days of cases ingested since the previous refresh.
func TestDailyRefreshIsFullOncePerDay(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	st := &dailyStore{}
	s, err := New(Options{Store: st, Regions: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := s.RefreshDaily(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s.dailyFull = time.Now().Add(-dailyFullEvery - time.Minute)
	if err := s.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	if len(st.since) != 3 || !st.since[0].IsZero() || st.since[1].IsZero() || !st.since[2].IsZero() {
		t.Fatalf("since of the three refreshes: %v; want full, incremental, full", st.since)
	}
}

// TestDailyRefreshResumesTheRollupsLeft: on the rows of an earlier process
// (stamped up to a minute ahead of this clock), the first refresh looks
// back from the oldest computation less the margin and adds the missing
// days; it stamps its rows after the newest computation; the second is
// full.
func TestDailyRefreshResumesTheRollupsLeft(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	oldest, newest := now.Add(-3*time.Hour).Truncate(time.Second), now.Add(time.Minute).Truncate(time.Second)
	missing := []time.Time{time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}
	st := &dailyStore{left: store.APIRollupsLeft{Oldest: oldest, Newest: newest, Missing: missing}}
	s, err := New(Options{Store: st, Regions: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	if !s.resumed() {
		t.Error("after the first refresh: not resumed, want the rollups left answering until every day is recomputed")
	}
	if err := s.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	if s.resumed() {
		t.Error("after the second refresh: still resumed, want every day recomputed")
	}
	if want := oldest.Add(-10 * time.Minute); len(st.since) != 2 || !st.since[0].Equal(want) || !st.since[1].IsZero() {
		t.Fatalf("since of the two refreshes: %v; want %v, then zero (every day)", st.since, want)
	}
	// The changed day (11-03) and the missing ones, sorted, each once.
	if got := fmt.Sprint(st.days[0]); got != fmt.Sprint([]time.Time{missing[1], missing[0]}) {
		t.Errorf("days of the first refresh: %s, want 2026-11-03 and 2026-11-05", got)
	}
	if !st.computed[0].After(newest) || !st.computed[1].After(st.computed[0]) {
		t.Errorf("stamps %v, want each after %v and after the one before", st.computed, newest)
	}
}
