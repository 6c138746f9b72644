package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/schemas"
)

// TestTokenLifecycleThroughTheCLI: with the default token cache, a token
// revoked by `riskwatch token revoke` (another process's code path) is
// refused by the running server on the very next request; `token create
// --expires` takes days or hours and `token list` shows the expiry and,
// after use, when and from where the token was last used.
func TestTokenLifecycleThroughTheCLI(t *testing.T) {
	cfg := testConfig(t) // api.token_cache_ttl and api.revocation_check at their defaults
	ctx := context.Background()
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := app.MainContext(ctx, append(args, "--config", cfg), &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, bad := range []string{"0d", "-5d", "90", "1.5d", "soon", "30s", "4000d"} {
		if code, _, errs := cli("token", "create", "--name", "x", "--role", "analyst", "--expires", bad); code != 2 || !strings.Contains(errs, "--expires") {
			t.Errorf("--expires %s: exit %d %q, want 2 naming --expires", bad, code, errs)
		}
	}
	idRe := regexp.MustCompile(`id ([0-9a-f]{16})`)
	create := func(args ...string) (tok, id string) {
		code, out, errs := cli(append([]string{"token", "create"}, args...)...)
		m := idRe.FindStringSubmatch(errs)
		if code != 0 || m == nil {
			t.Fatalf("token create %v: exit %d %s", args, code, errs)
		}
		return strings.TrimSpace(out), m[1]
	}
	created := time.Now().In(schemas.Shanghai)
	tok, id := create("--name", "临时分析员", "--role", "analyst", "--scope", "150521", "--expires", "90d")
	other, otherID := create("--name", "值班领导", "--role", "leader", "--expires", "36h")
	lineOf := func(list, id string) string {
		for _, l := range strings.Split(list, "\n") {
			if strings.HasPrefix(l, id) {
				return l
			}
		}
		t.Fatalf("token list lacks %s:\n%s", id, list)
		return ""
	}
	_, list, _ := cli("token", "list")
	if l := lineOf(list, id); !strings.Contains(l, created.AddDate(0, 0, 90).Format("2006-01-02")) || !strings.Contains(l, "never") || !strings.Contains(l, "active") {
		t.Errorf("token list before use: %q, want the expiry in 90 days, never used, active", l)
	}
	if l := lineOf(list, otherID); !strings.Contains(l, created.Add(36*time.Hour).Format("2006-01-02")) {
		t.Errorf("token list: %q, want the expiry in 36 hours", l)
	}
	me := func(base, tok string) int {
		req, _ := http.NewRequest("GET", base+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("revoke while running", func(t *testing.T) {
		base := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/console/`), "run", "--config", cfg)[1]
		for i := 0; i < 3; i++ { // the token is now cached
			if s := me(base, tok); s != 200 {
				t.Fatalf("/api/me: %d", s)
			}
		}
		if s := me(base, other); s != 200 {
			t.Fatalf("/api/me of the other token: %d", s)
		}
		if code, out, errs := cli("token", "revoke", id); code != 0 || !strings.Contains(out, "revoked "+id) {
			t.Fatalf("token revoke: %d %s %s", code, out, errs)
		}
		if s := me(base, tok); s != http.StatusUnauthorized {
			t.Errorf("the first request after token revoke returned: %d, want 401", s)
		}
		if s := me(base, other); s != 200 {
			t.Errorf("another token after the revocation: %d, want 200", s)
		}
	}) // run has stopped here and written the last use
	_, list, _ = cli("token", "list")
	if l := lineOf(list, id); !strings.Contains(l, "revoked") || strings.Contains(l, "never") || !strings.Contains(l, "127.0.0.1") {
		t.Errorf("token list after use and revocation: %q, want revoked with its last use from 127.0.0.1", l)
	}
	if l := lineOf(list, otherID); strings.Contains(l, "never") || !strings.Contains(l, created.Format("2006-01-02")) {
		t.Errorf("token list of the other token: %q, want today's last use", l)
	}
}

// TestRefusedTokensAndMalformedQueriesAgainstRun: against a running
// `riskwatch run` with the default settings, random tokens from one address
// get 401 up to api.auth_fail_limit and 429 with Retry-After after it,
// while a token the server already knows still works from that address;
// a malformed query pair gets 400 naming the parameter instead of the
// token's whole scope.
func TestRefusedTokensAndMalformedQueriesAgainstRun(t *testing.T) {
	cfg := testConfig(t)
	var out, errb bytes.Buffer
	if code := app.MainContext(context.Background(), []string{"token", "create", "--name", "科左中旗分析", "--role", "analyst", "--scope", "150521", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("token create: %d %s", code, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	base := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/console/`), "run", "--config", cfg)[1]
	get := func(path, tok string) (int, http.Header, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e struct{ Param string }
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, resp.Header, e.Param
	}
	for _, c := range []struct{ path, param string }{
		{"/api/me?region=%zz", "region"},
		{"/api/kpis?region=150521101;window=week", "region"},
		{"/api/kpis?window=week&region=15052%", "region"},
	} {
		if s, _, p := get(c.path, tok); s != http.StatusBadRequest || p != c.param {
			t.Errorf("%s: %d naming %q, want 400 naming %s", c.path, s, p, c.param)
		}
	}
	if s, _, _ := get("/api/me", tok); s != 200 {
		t.Fatalf("/api/me: %d", s)
	}
	var codes []int
	for i := 0; i < 15; i++ {
		s, h, _ := get("/api/me", fmt.Sprintf("rwk_%043d", i))
		codes = append(codes, s)
		if s == http.StatusTooManyRequests && h.Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	if fmt.Sprint(codes) != fmt.Sprint([]int{401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 429, 429, 429, 429, 429}) {
		t.Errorf("15 random tokens from one address: %v, want 10 × 401 then 429", codes)
	}
	if s, _, _ := get("/api/me", tok); s != 200 {
		t.Errorf("the known token from the throttled address: %d, want 200", s)
	}
}
