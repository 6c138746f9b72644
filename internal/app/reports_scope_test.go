package app

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// tokenOnlyStore answers token lookups and takes audit entries; the API's
// other reads are never called by /reports/.
type tokenOnlyStore struct {
	api.Store
	toks  map[string]store.APIToken
	mu    sync.Mutex
	audit []store.APIAuditEntry
}

func (s *tokenOnlyStore) APITokenByHash(_ context.Context, h string) (store.APIToken, bool, error) {
	t, ok := s.toks[h]
	return t, ok, nil
}

func (s *tokenOnlyStore) APITokenGeneration(context.Context) (uint64, error) { return 1, nil }

func (s *tokenOnlyStore) APIMarkTokensUsed(context.Context, []store.APITokenUse) error { return nil }

func (s *tokenOnlyStore) APIWriteAudit(_ context.Context, es []store.APIAuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit = append(s.audit, es...)
	return nil
}

// reportsFixture is /reports/ mounted as `riskwatch run` mounts it, over a
// directory of report files whose bytes name their region, next to files
// outside the directory that must never be served.
type reportsFixture struct {
	mux    *http.ServeMux
	api    *api.Server
	st     *tokenOnlyStore
	tokens map[string]string // label → token
	scopes map[string]string // label → scope prefix
}

// reportCodes are the regions with a report: the city, two banners, a
// town of 科左中旗.
var reportCodes = []string{"150500000000", "150521000000", "150522000000", "150521101000"}

func newReportsFixture(t testing.TB) *reportsFixture {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "reports")
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, day := range []string{"2026-11-01", "2026-10-25"} {
		for _, code := range reportCodes {
			base := filepath.Join(dir, day, "week", code)
			for _, ext := range []string{"html", "pdf", "png"} {
				write(base+"."+ext, "REPORT-"+code+"-"+ext)
			}
			m, _ := json.Marshal(map[string]any{"title": "TITLE-" + code, "window": "week", "level": 3, "region_code": code,
				"region_name": "NAME-" + code, "start": "2026-10-26T00:00:00+08:00", "end": "2026-11-02T00:00:00+08:00",
				"files": map[string]string{"html": day + "/week/" + code + ".html"}})
			write(base+".json", string(m))
			write(base+".html.tmp123", "REPORT-"+code+"-tmp")
		}
	}
	write(filepath.Join(root, "secret.html"), "OUTSIDE-SECRET")
	write(filepath.Join(root, "reports-old", "2026-11-01", "week", "150521000000.html"), "OUTSIDE-SECRET")
	// A link inside the directory, named like a report in 科左中旗, to the
	// city's report.
	if err := os.Symlink(filepath.Join(dir, "2026-11-01", "week", "150500000000.html"), filepath.Join(dir, "2026-11-01", "week", "150521999000.html")); err != nil {
		t.Fatal(err)
	}

	f := &reportsFixture{st: &tokenOnlyStore{toks: map[string]store.APIToken{}}, tokens: map[string]string{}, scopes: map[string]string{}}
	for _, tk := range []struct{ label, role, scope string }{
		{"analyst-kzz", api.RoleAnalyst, "150521"}, {"leader-town", api.RoleLeader, "150521101"}, {"admin", api.RoleAdmin, ""},
	} {
		tok, id, err := api.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		f.st.toks[api.HashToken(tok)] = store.APIToken{ID: id, Name: tk.label, Role: tk.role, Scope: tk.scope}
		f.tokens[tk.label], f.scopes[tk.label] = tok, tk.scope
	}
	f.api, err = api.New(api.Options{Store: f.st, Regions: reg, Audit: true, TokenCacheTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.api.Close)
	g, err := reportgen.New(nil, reg, reportgen.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f.mux = http.NewServeMux()
	f.mux.Handle("GET /reports/", reportsHandler(g, f.api.RequireRole))
	return f
}

// leaked returns the first marker in body of a file or index entry outside
// scope, or "".
func leaked(body, scope string) string {
	if strings.Contains(body, "OUTSIDE-SECRET") {
		return "OUTSIDE-SECRET"
	}
	for _, code := range reportCodes {
		if strings.HasPrefix(code, scope) {
			continue
		}
		for _, m := range []string{"REPORT-" + code, "TITLE-" + code, "NAME-" + code} {
			if strings.Contains(body, m) {
				return m
			}
		}
	}
	return ""
}

// rawGet sends target byte for byte as the request line (curl
// --path-as-is) and follows same-server redirects.
func rawGet(t *testing.T, addr, target, token string) (int, string) {
	t.Helper()
	for hop := 0; ; hop++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: "+addr+"\r\nAuthorization: Bearer "+token+"\r\nConnection: close\r\n\r\n")
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			c.Close()
			t.Fatalf("%s: %v", target, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode/100 == 3 && loc != "" && strings.HasPrefix(loc, "/") && hop < 3 {
			target = loc
			continue
		}
		return resp.StatusCode, string(b)
	}
}

// TestReportsPathTraversalStaysInScope: every spelling of a path that
// leads out of the token's scope, out of the reports directory, into a
// listing, a metadata or temporary file or a link is answered 403 or 404
// (400 when net/http refuses the request line) and never with the bytes
// of a report outside the scope; the reports in scope are served byte for
// byte, and the index lists only them.
func TestReportsPathTraversalStaysInScope(t *testing.T) {
	f := newReportsFixture(t)
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")

	// In scope: served whole, with the report headers.
	for _, c := range []struct{ label, path, want string }{
		{"analyst-kzz", "/reports/2026-11-01/week/150521000000.html", "REPORT-150521000000-html"},
		{"analyst-kzz", "/reports/2026-11-01/week/150521101000.pdf", "REPORT-150521101000-pdf"},
		{"leader-town", "/reports/2026-10-25/week/150521101000.png", "REPORT-150521101000-png"},
		{"admin", "/reports/2026-11-01/week/150500000000.html", "REPORT-150500000000-html"},
	} {
		if status, body := rawGet(t, addr, c.path, f.tokens[c.label]); status != 200 || body != c.want {
			t.Errorf("%s %s: %d %q, want 200 %q", c.label, c.path, status, body, c.want)
		}
	}
	// The index lists what the token may read, and nothing else.
	for label, want := range map[string][]string{
		"analyst-kzz": {"TITLE-150521000000", "TITLE-150521101000"},
		"leader-town": {"TITLE-150521101000"},
		"admin":       {"TITLE-150500000000", "TITLE-150521000000", "TITLE-150522000000", "TITLE-150521101000"},
	} {
		for _, p := range []string{"/reports/", "/reports/index.html"} {
			status, body := rawGet(t, addr, p, f.tokens[label])
			if status != 200 {
				t.Errorf("%s %s: %d", label, p, status)
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s lacks %s", label, p, w)
				}
			}
			if m := leaked(body, f.scopes[label]); m != "" {
				t.Errorf("%s %s lists %s, outside the scope", label, p, m)
			}
		}
	}

	const city = "2026-11-01/week/150500000000.html"
	tok := f.tokens["analyst-kzz"]
	attacks := []struct {
		target string
		bad    bool // net/http may refuse the request line (400)
	}{
		{"/reports/" + city, false},
		{"/reports/2026-11-01/%2e%2e/" + city, false},
		{"/reports/2026-11-01/week/%2e/150500000000.html", false},
		{"/reports/2026-11-01/week/%2E%2E/week/150500000000.html", false},
		{"/reports/2026-11-01/week/%2e%2E/../week/150500000000.html", false},
		{"/reports/%2e%2e/secret.html", false},
		{"/reports/%2e%2e%2fsecret.html", false},
		{"/reports/..%2fsecret.html", false},
		{"/reports/..%2Freports-old%2f2026-11-01%2fweek%2f150521000000.html", false},
		{"/reports/%2e%2e/reports-old/2026-11-01/week/150521000000.html", false},
		{"/reports/2026-11-01%2fweek%2f150500000000.html", false},
		{"/reports/2026-11-01%2Fweek%2F150500000000.html", false},
		{"/reports/2026-11-01%5cweek%5c150500000000.html", false},
		{"/reports/2026-11-01%5Cweek%5C150500000000.html", false},
		{`/reports/2026-11-01\week\150500000000.html`, false},
		{`/reports/..\secret.html`, false},
		{"/reports//" + city, false},
		{"/reports/2026-11-01//week/150500000000.html", false},
		{"/reports/2026-11-01/week//150500000000.html", false},
		{"/reports/2026-11-01/week/150500000000.html.", false},
		{"/reports/2026-11-01/week/150500000000.html..", false},
		{"/reports/2026-11-01/week./150500000000.html", false},
		{"/reports/2026-11-01/week/150500000000.html%2e", false},
		{"/reports/2026-11-01/week/150500000000.html/", false},
		{"/reports/2026-11-01/week/150500000000.html%00", false},
		{"/reports/2026-11-01/week/150500000000.html%00.png", false},
		{"/reports/2026-11-01/week/150521000000.html%00/../150500000000.html", false},
		{"/reports/2026-11-01/week/%c0%ae%c0%ae/week/150500000000.html", false},
		{"/reports/2026-11-01/week/%c0%ae/150500000000.html", false},
		{"/reports/%c0%ae%c0%ae/secret.html", false},
		{"/reports/%e0%80%ae%e0%80%ae/secret.html", false},
		{"/reports/%252e%252e/secret.html", false},
		{"/reports/2026-11-01/week/%31%35%30%35%30%30%30%30%30%30%30%30.html", false},
		{"/reports/./" + city, false},
		{"/reports/2026-11-01/./week/150500000000.html", false},
		{"/reports/2026-11-01/week/../week/150500000000.html", false},
		{"/reports/../secret.html", false},
		{"/reports/../reports/" + city, false},
		{"/reports/2026-11-01/week/150521000000.html/../150500000000.html", false},
		{"/reports/2026-11-01/week/150521999000.html", false}, // a link to the city's report
		{"/reports/2026-11-01/week/150521000000.html.tmp123", false},
		{"/reports/2026-11-01/week/150521000000.json", false},
		{"/reports/2026-11-01/week/150500000000.json", false},
		{"/reports/2026-11-01/week/", false},
		{"/reports/2026-11-01/", false},
		{"/reports/2026-11-01", false},
		{"/reports/" + tok, false},
		{"/reports/rwk_" + strings.Repeat("A", 43), false},
		{"/reports/%72wk_" + strings.Repeat("A", 43), false},
		{"/reports//etc/passwd", false},
		{"/reports/%2fetc%2fpasswd", false},
		{"/reports/%2F" + filepath.ToSlash(os.TempDir()), false},
		{"/reports/etc/passwd", false},
		{"/reports/\x00", true},
		{"/reports/2026-11-01/week/150500000000.html\x00", true},
		{"/reports/2026-11-01/WEEK/150500000000.html", false},
		{"/reports/2026-11-01/week/150500000000.HTML", false},
		{"/reports/2026-11-01/week/150500000000.html?x=/150521000000.html", false},
		{"/reports/2026-11-01/week/150500000000.html#/150521000000.html", false},
		{"/reports/2026-11-01/week/1505210000000.html", false},
		{"/reports/2026-11-01/week/150521.html", false},
		{"/reports/2026-11-01/week/150500000000.html;150521000000.html", false},
		{"//reports/" + city, false},
		{"/REPORTS/" + city, false},
		{"http://" + addr + "/reports/2026-11-01/%2e%2e/" + city, false},
	}
	for _, label := range []string{"analyst-kzz", "leader-town"} {
		for _, a := range attacks {
			status, body := rawGet(t, addr, a.target, f.tokens[label])
			if m := leaked(body, f.scopes[label]); m != "" {
				t.Errorf("%s %q: %d with %s", label, a.target, status, m)
			}
			if status != 403 && status != 404 && !(a.bad && status == 400) {
				t.Errorf("%s %q: status %d, want 403 or 404 (body %.80q)", label, a.target, status, body)
			}
		}
	}
}

// FuzzReportsScope: whatever the request target, a request with a token
// scoped to 科左中旗 never receives the bytes (or index entries) of a
// report outside 科左中旗, nor a file outside the reports directory. The
// seed corpus runs in every go test; go test -fuzz=FuzzReportsScope
// explores further.
func FuzzReportsScope(f *testing.F) {
	fx := newReportsFixture(f)
	for _, s := range []string{
		"/reports/", "/reports/index.html", "/reports/2026-11-01/week/150521000000.html",
		"/reports/2026-11-01/%2e%2e/2026-11-01/week/150500000000.html", "/reports/2026-11-01/week/%2e/150500000000.html",
		"/reports/%2e%2e/secret.html", "/reports/2026-11-01%2fweek%2f150500000000.html", `/reports/2026-11-01\week\150500000000.html`,
		"/reports//2026-11-01/week/150500000000.html", "/reports/2026-11-01/week/150500000000.html.", "/reports/%c0%ae%c0%ae/secret.html",
		"/reports/2026-11-01/week/150521999000.html", "/reports/../secret.html", "/reports/%252e%252e/secret.html",
		"/reports/2026-11-01/week/", "/reports/2026-11-01/week/150522000000.pdf",
	} {
		f.Add(s)
	}
	tok, scope := fx.tokens["analyst-kzz"], fx.scopes["analyst-kzz"]
	f.Fuzz(func(t *testing.T, target string) {
		for hop := 0; hop < 4; hop++ {
			req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: riskwatch.test\r\n\r\n")))
			if err != nil {
				return // net/http refuses the request line: nothing is served
			}
			req.RemoteAddr = "127.0.0.1:1"
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			fx.mux.ServeHTTP(rec, req)
			if m := leaked(rec.Body.String(), scope); m != "" {
				t.Fatalf("%q: %d with %s", target, rec.Code, m)
			}
			loc := rec.Header().Get("Location")
			if rec.Code/100 != 3 || !strings.HasPrefix(loc, "/") {
				return
			}
			target = loc
		}
	})
}

// TestReportsAuditHidesTokenPaths: a token pasted into a /reports/ path,
// in any spelling, is refused and never reaches the audit log.
func TestReportsAuditHidesTokenPaths(t *testing.T) {
	f := newReportsFixture(t)
	srv := httptest.NewServer(f.mux)
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	tok := f.tokens["analyst-kzz"]
	body := tok[len("rwk_"):]
	for _, target := range []string{"/reports/" + tok, "/reports/%72wk_" + body, "/reports/rwk%5F" + body + ".html", "/reports/2026-11-01/week/150521000000.html?x=rwk%5F" + body} {
		for _, header := range []string{tok, ""} {
			status, _ := rawGet(t, addr, target, header)
			if status == 200 && !strings.Contains(target, "?") {
				t.Errorf("%s: 200", target)
			}
		}
	}
	f.api.Close()
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	// Refusals without a token are coalesced into one row per address
	// (its requests column counts them): the rows stand for all 8.
	var requests uint64
	for _, e := range f.st.audit {
		requests += uint64(max(e.Requests, 1))
	}
	if requests != 8 {
		t.Fatalf("%d audit entries standing for %d requests, want 8 requests", len(f.st.audit), requests)
	}
	for _, e := range f.st.audit {
		if strings.Contains(e.Path+e.Query, body[:16]) || !strings.HasPrefix(e.Path, "/reports/") {
			t.Errorf("audited path %q query %q", e.Path, e.Query)
		}
	}
}
