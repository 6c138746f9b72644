package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// mountedAPI is the API and console on a mux over a store that knows one
// analyst token; the answers tested here run no query.
func mountedAPI(t *testing.T) (*http.ServeMux, string) {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeStore{toks: map[string]store.APIToken{api.HashToken(tok): {ID: "t1", Name: "kzz", Role: api.RoleAnalyst, Scope: "150521"}}}
	srv, err := api.New(api.Options{Store: fs, Regions: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	srv.Mount(mux)
	return mux, tok
}

// TestNosniffOnJSONAndCSV: every JSON and CSV answer of the API — data,
// errors, refusals, the OpenAPI document — tells the browser not to guess
// another type.
func TestNosniffOnJSONAndCSV(t *testing.T) {
	mux, tok := mountedAPI(t)
	for _, c := range []struct {
		path  string
		auth  bool
		code  int
		ctype string
	}{
		{"/api/me", true, 200, "application/json"},
		{"/api/me?format=csv", true, 200, "text/csv"},
		{"/api/me?bogus=1", true, 400, "application/json"},
		{"/api/me", false, 401, "application/json"},
		{"/api/audit", true, 403, "application/json"},
		{"/api/nothing", true, 404, "application/json"},
		{"/api/openapi.json", false, 200, "application/json"},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		if c.auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != c.code || !strings.HasPrefix(rec.Header().Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %q, want %d %s", c.path, rec.Code, rec.Header().Get("Content-Type"), c.code, c.ctype)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.path, got)
		}
	}
}

// TestConsoleCookieSetByServer: a console link's ?token= is moved by the
// server into an HttpOnly, SameSite=Strict cookie (Secure over TLS) and
// the page is reloaded without it; the login form posts to the server,
// which sets the same cookie and refuses a form from another site; the
// console's script never writes the cookie, and no page may frame the
// console.
func TestConsoleCookieSetByServer(t *testing.T) {
	mux, tok := mountedAPI(t)
	noRedirect := func(c *http.Client) *http.Client {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		return c
	}
	cookieOf := func(resp *http.Response) *http.Cookie {
		for _, c := range resp.Cookies() {
			if c.Name == "rw_token" {
				return c
			}
		}
		return nil
	}
	for _, tls := range []bool{false, true} {
		var hs *httptest.Server
		if tls {
			hs = httptest.NewTLSServer(mux)
		} else {
			hs = httptest.NewServer(mux)
		}
		t.Cleanup(hs.Close)
		cl := noRedirect(hs.Client())

		resp, err := cl.Get(hs.URL + "/console/?view=trends&token=" + url.QueryEscape(tok) + "&region=150521")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c := cookieOf(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/?region=150521&view=trends" {
			t.Errorf("tls=%v: link with token: %d to %q, want 303 to the page without the token", tls, resp.StatusCode, resp.Header.Get("Location"))
		}
		if c == nil || c.Value != tok || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != tls {
			t.Errorf("tls=%v: cookie %+v, want rw_token=<token> HttpOnly SameSite=Strict Path=/ Secure=%v", tls, c, tls)
		}

		// The cookie then opens the API like the header.
		req, _ := http.NewRequest("GET", hs.URL+"/api/me", nil)
		req.AddCookie(&http.Cookie{Name: "rw_token", Value: tok})
		if resp, err := cl.Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("tls=%v: /api/me with the cookie: %v %v", tls, resp, err)
		} else {
			resp.Body.Close()
		}

		resp, err = cl.PostForm(hs.URL+"/console/login", url.Values{"token": {" " + tok + " "}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c = cookieOf(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" ||
			c == nil || c.Value != tok || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tls {
			t.Errorf("tls=%v: login form: %d %q cookie %+v", tls, resp.StatusCode, resp.Header.Get("Location"), c)
		}

		for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
			req, _ := http.NewRequest("POST", hs.URL+"/console/login", strings.NewReader("token="+url.QueryEscape(tok)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range h {
				req.Header.Set(k, v)
			}
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || cookieOf(resp) != nil {
				t.Errorf("tls=%v: login posted with %v: %d, cookie %v; want 403 and no cookie", tls, h, resp.StatusCode, cookieOf(resp))
			}
		}

		resp, err = cl.Get(hs.URL + "/console/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if resp.StatusCode != 200 || !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("tls=%v: console: %d, CSP %q", tls, resp.StatusCode, csp)
		}
	}
	js, err := os.ReadFile("console/app.js")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), "document.cookie") {
		t.Error("the console's script writes the cookie")
	}
}
