package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// TestWarningsDeadLettersListedAndRequeued: a receiver that refuses with
// 400 (permanent) sends the notifications to the dead letters; an admin
// lists them and, once the receiver is mended, requeues them and they
// arrive; other roles are refused and an unknown id is 404.
func TestWarningsDeadLettersListedAndRequeued(t *testing.T) {
	ch := testenv.ClickHouse(t)
	db := testenv.FreshDatabase(t, "appdead")
	var accept atomic.Bool
	var delivered atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !accept.Load() {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		delivered.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hook.Close)
	cfgPath := writeConfig(t, fmt.Sprintf(`
clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: %s
kafka:
  embedded: true
http:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
log:
  level: error
jobs:
  enabled: false
reports:
  enabled: false
warnings:
  outbox: %s
  tick: 100ms
  group_wait: 0s
  group_interval: 1s
  channels:
    hook: {type: webhook, url: "%s/hook"}
  centers:
    "*": [hook]
  retry: {base_backoff: 50ms, max_backoff: 200ms, max_permanent_attempts: 1}
`, ch.Addr, db, filepath.Join(t.TempDir(), "outbox.db"), hook.URL))
	token := func(role string) string {
		var out, errb bytes.Buffer
		if code := app.MainContext(context.Background(), []string{"token", "create", "--config", cfgPath, "--name", role, "--role", role}, &out, &errb); code != 0 {
			t.Fatalf("token create exited %d: %s", code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	admin, analyst := token("admin"), token("analyst")

	base := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/healthz`), "run", "--config", cfgPath)[1]
	st, err := store.Open(context.Background(), store.Options{Addrs: []string{ch.Addr}, Database: db, Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now()
	if err := st.InsertRuleAlarms(context.Background(), []store.RuleAlarm{{Rule: "group_dispute", Source: "platform", CaseID: "D-1",
		CaseVersion: 1, Level: "orange", CountyCode: "150521000000", TownCode: "150521100000", RegionCode: "150521100000",
		Category: "labor.wage_arrears", Detail: "群体性矛盾纠纷：涉及40人", ReportedAt: now, DetectedAt: now}}); err != nil {
		t.Fatal(err)
	}
	var dead []any
	warnWait(t, "two dead letters (town and banner)", 20*time.Second, func() bool {
		_, m := warnDo(t, admin, "GET", base+"/api/warnings/dead", "")
		dead, _ = m["dead"].([]any)
		return len(dead) == 2
	})
	if code, _ := warnDo(t, analyst, "GET", base+"/api/warnings/dead", ""); code != http.StatusForbidden {
		t.Errorf("an analyst listed the dead letters: %d, want 403", code)
	}
	if code, _ := warnDo(t, admin, "POST", base+"/api/warnings/dead/0123456789abcdef/requeue", ""); code != http.StatusNotFound {
		t.Errorf("requeue of an unknown id: %d, want 404", code)
	}
	if n := delivered.Load(); n != 0 {
		t.Fatalf("%d deliveries before the receiver accepts", n)
	}
	accept.Store(true)
	for _, d := range dead {
		id, _ := d.(map[string]any)["delivery_id"].(string)
		if code, m := warnDo(t, analyst, "POST", base+"/api/warnings/dead/"+id+"/requeue", ""); code != http.StatusForbidden {
			t.Errorf("an analyst requeued: %d %v", code, m)
		}
		if code, m := warnDo(t, admin, "POST", base+"/api/warnings/dead/"+id+"/requeue", ""); code != http.StatusOK || m["requeued"] != id {
			t.Errorf("requeue %s: %d %v", id, code, m)
		}
	}
	warnWait(t, "the requeued notifications to arrive", 20*time.Second, func() bool { return delivered.Load() == 2 })
	if _, m := warnDo(t, admin, "GET", base+"/api/warnings/dead", ""); len(m["dead"].([]any)) != 0 {
		t.Errorf("dead letters left after requeue: %v", m["dead"])
	}
}
