package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestAuditRedactsEncodedTokens: a token in any spelling — escaped
// prefix, escaped letters, double escapes, a parameter named token[], a
// path segment — never reaches api_audit, with or without a valid token in
// the header; the harmless parameters stay.
func TestAuditRedactsEncodedTokens(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	body := tok[len("rwk_"):]
	esc := func(s string) string { // every byte escaped
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[s[i]>>4])+string("0123456789abcdef"[s[i]&15])))
		}
		return b.String()
	}
	cases := []struct{ target, wantPath, wantQuery string }{
		{"/x/a?x=rwk%5F" + body + "&b=1", "/x/a", "x=rwk_…&b=1"},
		{"/x/a?x=%72wk_" + body, "/x/a", "x=rwk_…"},
		{"/x/a?x=RWK_" + body, "/x/a", "x=rwk_…"},
		{"/x/a?x=rw%6B%5f" + body, "/x/a", "x=rwk_…"},
		{"/x/a?x=%2572wk_" + body, "/x/a", "x=rwk_…"},
		{"/x/a?x=" + esc(tok), "/x/a", "x=rwk_…"},
		{"/x/a?x=" + body, "/x/a", "x=rwk_…"},
		{"/x/a?token[]=" + tok + "&c=2", "/x/a", "c=2"},
		{"/x/a?token%5B%5D=" + tok, "/x/a", ""},
		{"/x/a?%74oken%5b0%5d=" + tok, "/x/a", ""},
		{"/x/a?" + tok + "=1&d=3", "/x/a", "d=3"},
		{"/x/a?%72wk_" + body, "/x/a", ""},
		{"/x/" + tok, "/x/rwk_…", ""},
		{"/x/%72wk_" + body, "/x/rwk_…", ""},
		{"/x/rwk%5F" + body + "/y", "/x/rwk_…/y", ""},
		{"/x/" + esc(tok), "/x/rwk_…", ""},
		{"/x/a?region=150521&from=2026-08-01", "/x/a", "region=150521&from=2026-08-01"},
	}
	// With a valid token every request is its own audit row. Refused
	// requests (no token) from one address are coalesced into one row
	// carrying the first request's path and query, so each case gets a
	// server of its own there: its one row must be redacted too.
	audited := func(fs *fakeStore, target string, withHeader bool) []store.APIAuditEntry {
		srv, err := api.New(api.Options{Store: fs, Regions: reg, Audit: true})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/x/", srv.RequireRole()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
		hs := httptest.NewServer(mux)
		defer hs.Close()
		req, err := http.NewRequest("GET", hs.URL+target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if withHeader {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		fs.mu.Lock()
		defer fs.mu.Unlock()
		return append([]store.APIAuditEntry(nil), fs.audit...)
	}
	for _, withHeader := range []bool{true, false} {
		for _, c := range cases {
			fs := &fakeStore{toks: map[string]store.APIToken{api.HashToken(tok): {ID: "t1", Name: "kzz", Role: api.RoleAnalyst, Scope: "150521"}}}
			rows := audited(fs, c.target, withHeader)
			if len(rows) != 1 {
				t.Errorf("%s (token in header %v): %d audit rows, want 1", c.target, withHeader, len(rows))
				continue
			}
			e := rows[0]
			if e.Path != c.wantPath || e.Query != c.wantQuery {
				t.Errorf("%s audited as path %q query %q, want %q %q", c.target, e.Path, e.Query, c.wantPath, c.wantQuery)
			}
			for _, s := range []string{e.Path, e.Query} {
				if d, _ := url.QueryUnescape(s); strings.Contains(s, body) || strings.Contains(d, body) || strings.Contains(s, body[:20]) {
					t.Errorf("%s: the audit log holds the token: %q", c.target, s)
				}
			}
		}
	}
}
