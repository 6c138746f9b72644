package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestMalformedQueryPairsRefused: a pair that Go's URL parsing would drop
// (bad percent escape, ';' separator) gets 400 naming the parameter instead
// of an answer for the token's whole scope; a well-formed query still works.
func TestMalformedQueryPairsRefused(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := api.NewToken()
	fs := &fakeStore{toks: map[string]store.APIToken{api.HashToken(tok): {ID: "t1", Name: "kzz", Role: api.RoleAnalyst, Scope: "150521"}}}
	srv, err := api.New(api.Options{Store: fs, Regions: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	get := func(rawQuery string) (int, string, string) {
		req, _ := http.NewRequest("GET", hs.URL+"/api/me", nil)
		req.URL.RawQuery = rawQuery
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Error, Param string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Param, e.Error
	}
	for _, c := range []struct{ query, param string }{
		{"region=%zz", "region"},
		{"region=150521%", "region"},
		{"limit=1&region=%zz", "region"},
		{"region=150521;from=2026-01-01", "region"},
		{"format=json;region=150521", "format"},
		{"%zz=1", "%zz"},
		{";region=1", ";region=1"},
	} {
		status, param, msg := get(c.query)
		if status != http.StatusBadRequest || param != c.param || msg == "" {
			t.Errorf("?%s: %d naming %q (%s), want 400 naming %q", c.query, status, param, msg, c.param)
		}
	}
	if status, _, msg := get(""); status != 200 {
		t.Errorf("no query: %d %s", status, msg)
	}
	if status, _, msg := get("format=json&&"); status != 200 {
		t.Errorf("?format=json&&: %d %s", status, msg)
	}
}

// TestUnknownParameterNameEchoBounded: an unknown parameter's name is
// echoed cut to 64 bytes on a rune boundary.
func TestUnknownParameterNameEchoBounded(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := api.NewToken()
	fs := &fakeStore{toks: map[string]store.APIToken{api.HashToken(tok): {ID: "t1", Name: "kzz", Role: api.RoleAnalyst, Scope: "150521"}}}
	srv, err := api.New(api.Options{Store: fs, Regions: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	for _, name := range []string{strings.Repeat("区", 400), strings.Repeat("x", 5000), "a" + strings.Repeat("区", 100)} {
		req, _ := http.NewRequest("GET", hs.URL+"/api/me", nil)
		req.URL.RawQuery = "x" + name + "=1"
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error, Param string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Param == "" {
			t.Fatalf("unknown parameter of %d bytes: %d %+v", len(name), resp.StatusCode, e)
		}
		p := strings.TrimSuffix(e.Param, "…")
		if len(p) > 64 || !utf8.ValidString(e.Param) || strings.Contains(e.Param, "\uFFFD") || !strings.HasPrefix("x"+name, p) {
			t.Errorf("echoed name %q (%d bytes), want at most 64 bytes of the name, cut on a rune boundary", e.Param, len(p))
		}
		if strings.Count(e.Error, "区") > 64/3 || strings.Count(e.Error, "x") > 80 {
			t.Errorf("the message repeats the long name: %d bytes", len(e.Error))
		}
	}
}
