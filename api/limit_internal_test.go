package api

import (
	"context"
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

// dailyStore records the since of every changed-days lookup.
type dailyStore struct {
	nopStore
	since []time.Time
}

func (d *dailyStore) APIDailyChangedDays(_ context.Context, since time.Time) ([]time.Time, error) {
	d.since = append(d.since, since)
	return nil, nil
}

func (d *dailyStore) APIRefreshDaily(context.Context, []time.Time, time.Time) error { return nil }

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
