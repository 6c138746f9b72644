package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
)

// TestDemoRunPrintsAWorkingToken: `run --demo` (what make run starts)
// prints a console link with an admin token that the API accepts, since a
// newcomer cannot run `riskwatch token create` beside it on the same local
// data directory. A made-up token is refused, so the check can fail.
func TestDemoRunPrintsAWorkingToken(t *testing.T) {
	base := strings.Replace(readFile(t, testConfig(t)), "reports:\n", "reports:\n  startup: false\n", 1)
	cfg := writeConfig(t, base+"demo:\n  ground_truth: "+filepath.Join(t.TempDir(), "gt.csv")+
		"\ningest:\n  enabled: false\njobs:\n  enabled: false\n")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	exited := make(chan struct{})
	go func() {
		done <- app.MainContext(ctx, []string{"run", "--demo", "--config", cfg}, &out, &errb)
		close(exited)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30 s")
		}
	})
	re := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/console/\?token=(rwk_[A-Za-z0-9_-]+)`)
	var m []string
	for deadline := time.Now().Add(60 * time.Second); m == nil; time.Sleep(50 * time.Millisecond) {
		m = re.FindStringSubmatch(out.String())
		select {
		case <-exited:
			t.Fatalf("run --demo exited:\n%s\n%s", out.String(), errb.String())
		default:
		}
		if m == nil && time.Now().After(deadline) {
			t.Fatalf("run --demo printed no console link with a token:\n%s\n%s", out.String(), errb.String())
		}
	}
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
