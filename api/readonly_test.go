package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// readOnlyStore reads with a readonly-profile user and writes the two
// things the API writes (its audit log and the api_daily rollup) with the
// writer, as the wiring does.
type readOnlyStore struct {
	*store.Store // readonly user
	w            *store.Store
}

func (s readOnlyStore) APIWriteAudit(ctx context.Context, es []store.APIAuditEntry) error {
	return s.w.APIWriteAudit(ctx, es)
}

func (s readOnlyStore) APIRefreshDaily(ctx context.Context, days []time.Time, at time.Time) error {
	return s.w.APIRefreshDaily(ctx, days, at)
}

// TestEveryEndpointAsReadOnlyUser: every endpoint answers 200 with the
// same status as with the writer when the API reads as a user whose
// profile is readonly (no
// writes, no changed settings), so readonly breaks no API query.
func TestEveryEndpointAsReadOnlyUser(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	ro, err := store.Open(ctx, store.Options{Addrs: []string{f.ch.Addr}, Database: f.st.Database(),
		Username: testenv.ReadOnlyUser, Password: testenv.ReadOnlyPassword, Existing: true,
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	srv, err := api.New(api.Options{Store: readOnlyStore{ro, f.st}, Regions: f.reg, MaxRows: 5000, MaxRangeDays: 400, MaxPageSize: 200,
		Audit: true, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	for _, ep := range endpoints {
		for _, label := range []string{"admin", "analyst-kzz"} {
			req, _ := http.NewRequest("GET", hs.URL+ep, nil)
			req.Header.Set("Authorization", "Bearer "+f.tokens[label])
			resp, err := hs.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			want, _ := f.get(t, label, ep)
			if resp.StatusCode != want {
				t.Errorf("%s as %s: status %d as the readonly user, %d as the writer", ep, label, resp.StatusCode, want)
			}
		}
	}
}
