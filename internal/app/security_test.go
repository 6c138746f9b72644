package app_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/riskwatch/riskwatch/internal/app"
)

// The security suite runs the attacks of the threat model (docs/security.md)
// against a running `riskwatch run`:
//
//   - /reports/ traversal with encoded dot segments, listings and token paths:
//     TestReportCommandAndRun (and TestReportsPathTraversalStaysInScope,
//     FuzzReportsScope on the mounted handler);
//   - one token flooding the API: TestOneTokenCannotStarveAnother (here);
//   - slow and idle clients: TestRunClosesSlowAndIdleConnections;
//   - random tokens and malformed query pairs:
//     TestRefusedTokensAndMalformedQueriesAgainstRun.
//
// TestOneTokenCannotStarveAnother: while one token sends 60 requests at
// once, beyond its budget, the token gets 429 with Retry-After and another
// token's requests are all answered.
func TestOneTokenCannotStarveAnother(t *testing.T) {
	cfg := lightConfig(t, "", "")
	mk := func(name string) string {
		var out, errb bytes.Buffer
		if code := app.MainContext(context.Background(), []string{"token", "create", "--name", name, "--role", "analyst", "--config", cfg}, &out, &errb); code != 0 {
			t.Fatalf("token create: %d %s", code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	flooder, other := mk("flooder"), mk("other")
	base := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/console/`), "run", "--config", cfg)[1]
	get := func(tok, path string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	missingRetry := 0
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, retry := get(flooder, "/api/kpis?window=week")
			mu.Lock()
			defer mu.Unlock()
			codes[code]++
			if code == http.StatusTooManyRequests && retry == "" {
				missingRetry++
			}
		}()
	}
	var otherCodes []int
	for i := 0; i < 10; i++ {
		code, _ := get(other, "/api/me")
		otherCodes = append(otherCodes, code)
	}
	wg.Wait()
	t.Logf("flooding token: %v; the other token: %v", codes, otherCodes)
	if codes[http.StatusTooManyRequests] == 0 || missingRetry > 0 {
		t.Errorf("flooding token: %v (429 without Retry-After: %d), want 429s with Retry-After beyond its budget", codes, missingRetry)
	}
	for _, c := range otherCodes {
		if c != http.StatusOK {
			t.Errorf("the other token while one floods: %v, want every request answered 200", otherCodes)
			break
		}
	}
}
