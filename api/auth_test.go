package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// fakeStore answers token lookups and records audit entries; every other
// method is left to the nil embedded interface (unused here).
type fakeStore struct {
	api.Store
	toks  map[string]store.APIToken
	mu    sync.Mutex
	audit []store.APIAuditEntry
	// gen is the token generation; lookups and genChecks count the calls.
	gen                uint64
	lookups, genChecks int
	uses               []store.APITokenUse
}

func (f *fakeStore) APITokenByHash(_ context.Context, h string) (store.APIToken, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	t, ok := f.toks[h]
	return t, ok, nil
}

func (f *fakeStore) APITokenGeneration(context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.genChecks++
	return f.gen, nil
}

func (f *fakeStore) APIMarkTokensUsed(_ context.Context, us []store.APITokenUse) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uses = append(f.uses, us...)
	return nil
}

func (f *fakeStore) APIWriteAudit(_ context.Context, es []store.APIAuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audit = append(f.audit, es...)
	return nil
}

// TestRequireRoleScopeAndCookie: the middleware other parts get lets a
// token of an allowed role through with its scope in the context, refuses
// other roles (403) and missing tokens (401), accepts the console's cookie
// only on GET, and audits every attempt.
func TestRequireRoleScopeAndCookie(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tok, id, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeStore{toks: map[string]store.APIToken{api.HashToken(tok): {ID: id, Name: "kzz", Role: api.RoleAnalyst, Scope: "150521"}}}
	srv, err := api.New(api.Options{Store: fs, Regions: reg, Audit: true})
	if err != nil {
		t.Fatal(err)
	}
	var seenScope, seenRole string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenScope, seenRole, _ = api.ScopeFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
	mux := http.NewServeMux()
	mux.Handle("/analyst", srv.RequireRole(api.RoleAnalyst, api.RoleAdmin)(h))
	mux.Handle("/admin", srv.RequireRole(api.RoleAdmin)(h))
	mux.Handle("/inner", api.RequireRole(api.RoleAnalyst)(h)) // no authentication in front
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	do := func(method, path string, header, cookie bool) int {
		req, _ := http.NewRequest(method, hs.URL+path, nil)
		if header {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		if cookie {
			req.AddCookie(&http.Cookie{Name: "rw_token", Value: tok})
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		method, path   string
		header, cookie bool
		want           int
	}{
		{"GET", "/analyst", true, false, 204},
		{"GET", "/analyst", false, true, 204},
		{"POST", "/analyst", true, false, 204},
		{"POST", "/analyst", false, true, 401}, // the cookie never authorises a change
		{"GET", "/analyst", false, false, 401},
		{"GET", "/admin", true, false, 403},
		{"GET", "/inner", true, false, 401},
	} {
		seenScope, seenRole = "", ""
		if got := do(c.method, c.path, c.header, c.cookie); got != c.want {
			t.Errorf("%s %s header=%v cookie=%v: %d, want %d", c.method, c.path, c.header, c.cookie, got, c.want)
		}
		if c.want == 204 && (seenScope != "150521" || seenRole != api.RoleAnalyst) {
			t.Errorf("%s %s: handler saw scope %q role %q", c.method, c.path, seenScope, seenRole)
		}
	}
	srv.Close()
	srv.Close() // safe twice
	fs.mu.Lock()
	defer fs.mu.Unlock()
	// Six through the server's middleware; the package-level one audits
	// nothing (the server in front of it does). The two without a token
	// are one row of two requests (refused authentication is coalesced
	// per address).
	if len(fs.audit) != 5 {
		t.Fatalf("%d audit entries, want 5: %+v", len(fs.audit), fs.audit)
	}
	var forbidden, unauthorized int
	for _, e := range fs.audit {
		if e.Path == "/admin" && e.Status == 403 && e.TokenID == id && e.Scope == "150521" && e.Requests <= 1 {
			forbidden++
		}
		if e.Status == 401 && e.TokenID == "" && e.Requests == 2 && e.Remote == "127.0.0.1" {
			unauthorized++
		}
	}
	if forbidden != 1 || unauthorized != 1 {
		t.Errorf("audit: %d rows of the 403, %d coalesced 401 rows of 2 requests; want 1 each: %+v", forbidden, unauthorized, fs.audit)
	}
}

func TestTokensAndScopes(t *testing.T) {
	a, ida, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, idb, _ := api.NewToken()
	if a == b || ida == idb || !strings.HasPrefix(a, "rwk_") || len(a) < 40 {
		t.Errorf("tokens %q %q, ids %q %q", a, b, ida, idb)
	}
	if h := api.HashToken(a); len(h) != 64 || strings.Contains(h, a) || h == api.HashToken(b) {
		t.Errorf("hash %q", h)
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	town := reg.Children("150521000000")[0]
	for _, c := range []struct{ in, want, name string }{
		{"", "", "通辽市"},
		{"150521", "150521", "科左中旗"},
		{"150521000000", "150521", "科左中旗"},
		{"1505", "1505", "通辽市"},
		{town.Code, town.Code[:9], town.ShortName},
		{town.Code[:9], town.Code[:9], town.ShortName},
	} {
		got, r, err := api.ParseScope(reg, c.in)
		if err != nil || got != c.want || r.ShortName != c.name {
			t.Errorf("ParseScope(%q) = %q %s %v, want %q %s", c.in, got, r.ShortName, err, c.want, c.name)
		}
	}
	for _, bad := range []string{"999999", "15052", "150521%", "abc", "' OR 1=1"} {
		if _, _, err := api.ParseScope(reg, bad); err == nil {
			t.Errorf("ParseScope(%q) accepted", bad)
		}
	}
}

// TestAuditDropsTokenFromQuery: a token sent in the query string (any
// case or spelling of the name) never reaches api_audit.query; the other
// parameters do.
func TestAuditDropsTokenFromQuery(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeStore{toks: map[string]store.APIToken{api.HashToken(tok): {ID: "t1", Name: "kzz", Role: api.RoleAnalyst, Scope: "150521"}}}
	srv, err := api.New(api.Options{Store: fs, Regions: reg, Audit: true})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/x", srv.RequireRole()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	cases := []struct{ query, want string }{
		{"region=150521&token=" + tok + "&to=2026-08-31", "region=150521&to=2026-08-31"},
		{"TOKEN=SECRET1&a=1", "a=1"},
		{"Token=SECRET2", ""},
		{"%74oken=SECRET3&b=2", "b=2"},
		{"access_token=SECRET4&rw_token=SECRET5&c=3", "c=3"},
		{"token&d=4", "d=4"},
		{"region=150521;token=SECRET6", "region=150521"},
		{"note=" + tok, "note=rwk_…"},
		{"", ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("GET", hs.URL+"/x?"+c.query, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	srv.Close()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.audit) != len(cases) {
		t.Fatalf("%d audit entries, want %d", len(fs.audit), len(cases))
	}
	for i, c := range cases {
		got := fs.audit[i].Query
		if got != c.want {
			t.Errorf("query %q audited as %q, want %q", c.query, got, c.want)
		}
		if strings.Contains(got, "SECRET") || strings.Contains(got, tok[4:]) {
			t.Errorf("query %q: the audit log holds the token: %q", c.query, got)
		}
	}
}
