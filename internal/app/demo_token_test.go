package app_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDemoRunPrintsAWorkingToken: `run --demo` (what make run starts)
// prints a console link with an admin token that the API accepts, since a
// newcomer cannot run `riskwatch token create` beside it on the same local
// data directory. A made-up token is refused, so the check can fail.
func TestDemoRunPrintsAWorkingToken(t *testing.T) {
	base := strings.Replace(readFile(t, testConfig(t)), "reports:\n", "reports:\n  startup: false\n", 1)
	cfg := writeConfig(t, base+"demo:\n  ground_truth: "+filepath.Join(t.TempDir(), "gt.csv")+
		"\ningest:\n  enabled: false\njobs:\n  enabled: false\n")
	m := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/console/\?token=(rwk_[A-Za-z0-9_-]+)`), "run", "--demo", "--config", cfg)
	me := func(token string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", m[1]+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
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
	if s, row := me(m[2]); s != http.StatusOK || row["role"] != "admin" {
		t.Errorf("/api/me with the printed token: %d %v, want 200 and role admin", s, row)
	}
	if s, _ := me("rwk_" + strings.Repeat("A", 43)); s != http.StatusUnauthorized {
		t.Errorf("/api/me with a made-up token: %d, want 401", s)
	}
}
