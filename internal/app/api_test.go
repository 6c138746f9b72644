package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
)

// TestTokenCommandAndConsoleMount: a token made with `riskwatch token
// create` opens the API of `riskwatch run` with its scope, GET / leads to
// the console, `token list` shows it, and after `token revoke` it is
// refused.
func TestTokenCommandAndConsoleMount(t *testing.T) {
	cfg := testConfig(t)
	// The token cache is off, so that the revocation bites at once
	// (testConfig already puts the warning outbox in the test's directory).
	cfgWithAPI := writeConfig(t, strings.Replace(readFile(t, cfg), "log:\n",
		"api:\n  token_cache_ttl: 0s\nlog:\n", 1))
	ctx := context.Background()
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := app.MainContext(ctx, append(args, "--config", cfgWithAPI), &out, &errb)
		return code, out.String(), errb.String()
	}
	// Bad arguments exit 2 naming the flag, before touching the store.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"token", "create", "--name", "x", "--role", "boss"}, "--role"},
		{[]string{"token", "create", "--role", "analyst"}, "--name"},
		{[]string{"token", "create", "--name", "x", "--role", "analyst", "--scope", "999999"}, "scope"},
		{[]string{"token", "frobnicate"}, "unknown command"},
	} {
		code, _, errs := cli(c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 naming %s", c.args, code, errs, c.want)
		}
	}
	code, tok, errs := cli("token", "create", "--name", "科左中旗综治中心", "--role", "center_operator", "--scope", "150521")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "rwk_") || !strings.Contains(errs, "科左中旗") {
		t.Fatalf("token create: exit %d, token %q, %s", code, tok, errs)
	}
	id := regexp.MustCompile(`id ([0-9a-f]{16})`).FindStringSubmatch(errs)
	if id == nil {
		t.Fatalf("token create printed no id: %s", errs)
	}
	code, list, _ := cli("token", "list")
	if code != 0 || !strings.Contains(list, id[1]) || !strings.Contains(list, "150521 科左中旗") || strings.Contains(list, tok) {
		t.Errorf("token list: exit %d\n%s", code, list)
	}

	runCtx, cancel := context.WithCancel(ctx)
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.MainContext(runCtx, []string{"run", "--config", cfgWithAPI}, &out, &errb) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("run did not stop within 20 s")
		}
	})
	re := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/console/`)
	var base string
	for deadline := time.Now().Add(60 * time.Second); base == ""; time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not print the console URL: %s %s", out.String(), errb.String())
		}
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %d to %q, want a redirect to /console/", resp.StatusCode, resp.Header.Get("Location"))
	}
	me := func() (int, map[string]any) {
		req, _ := http.NewRequest("GET", base+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Rows []map[string]any }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if len(body.Rows) == 0 {
			return resp.StatusCode, nil
		}
		return resp.StatusCode, body.Rows[0]
	}
	if s, row := me(); s != 200 || row["scope"] != "150521" || row["region_name"] != "科左中旗" || row["role"] != "center_operator" {
		t.Errorf("/api/me: %d %v", s, row)
	}
	if code, outs, errs := cli("token", "revoke", id[1]); code != 0 || !strings.Contains(outs, "revoked "+id[1]) {
		t.Fatalf("token revoke: %d %s %s", code, outs, errs)
	}
	if s, _ := me(); s != http.StatusUnauthorized {
		t.Errorf("/api/me after revoke: %d, want 401", s)
	}
	if code, _, errs := cli("token", "revoke", "0000000000000000"); code != 2 || !strings.Contains(errs, "no such API token") {
		t.Errorf("revoking an unknown id: %d %s", code, errs)
	}
}

// TestAPIConfigErrorsNameTheKey: bad api.* values are refused naming the key.
func TestAPIConfigErrorsNameTheKey(t *testing.T) {
	cfg := writeConfig(t, "api:\n  max_rows: 0\n  max_range_days: -1\n  token_cache_ttl: 1h\n  daily_refresh: 1s\n"+
		"  revocation_check: 2m\n  auth_fail_limit: 0\n  auth_fail_window: 10ms\nwarnings:\n  max_silence: 0s\n")
	var out, errb bytes.Buffer
	code := app.MainContext(context.Background(), []string{"check-config", "--config", cfg}, &out, &errb)
	for _, key := range []string{"api.max_rows", "api.max_range_days", "api.token_cache_ttl", "api.daily_refresh",
		"api.revocation_check", "api.auth_fail_limit", "api.auth_fail_window", "warnings.max_silence"} {
		if code != 2 || !strings.Contains(errb.String(), key) {
			t.Errorf("exit %d, stderr %q; want 2 naming %s", code, errb.String(), key)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
