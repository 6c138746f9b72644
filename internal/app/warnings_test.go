package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

func TestWarningsConfigErrorsNameTheKey(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{`
warnings:
  routes:
    - matchers: {level: red}
    - matchers: {kind: [rule_alarm]}
    - matchers: {level: [crimson]}
`, "warnings.routes[2].matchers.level: \"crimson\" is not a level"},
		{`
warnings:
  routes:
    - matchers: {level: red}
      routes:
        - {}
        - group_by: [region, colour]
`, "warnings.routes[0].routes[1].group_by: \"colour\" is not a label"},
		{`
warnings:
  routes:
    - targets: [self, province-office!]
`, "warnings.routes[0].targets: \"province-office!\" is neither"},
		{`
warnings:
  group_interval: 0s
`, "warnings.group_interval: must be positive"},
		{`
warnings:
  channels:
    ops: {type: slack, url: "http://127.0.0.1:1/x"}
`, "warnings.channels.ops.type: \"slack\" is not a channel type"},
		{`
warnings:
  channels:
    ops: {type: webhook, url: "http://127.0.0.1:1/x", url_env: HOOK_URL}
`, "warnings.channels.ops.url: give exactly one of url, url_env and url_file"},
		{`
warnings:
  channels:
    kzz: {type: wecom, url: "https://gw.example/cgi-bin/webhook/send?key=k", secret: s}
`, "warnings.channels.kzz.secret: WeCom robots are not signed"},
		{`
warnings:
  centers:
    "150521000000": [nosuch]
`, "warnings.centers.150521000000: channel \"nosuch\" is not defined"},
		{`
warnings:
  inhibit_rules:
    - source: {level: red}
      target: {level: yellow}
      equal: [region, colour]
`, "warnings.inhibit_rules[0].equal: \"colour\" is not a label"},
		{`
warnings:
  retry: {base_backoff: 10s, max_backoff: 1s}
`, "warnings.retry.max_backoff: must be at least"},
		{`
warnings:
  routes:
    - matchers: {level: red}
      wait: 1s
`, "field wait not found"},
	}
	for i, c := range cases {
		_, err := config.Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("case %d: error %v, want it to contain %q", i, err, c.want)
		}
	}
	// A valid section parses, with a single value accepted for a list.
	c, err := config.Parse([]byte(`
warnings:
  group_wait: 0s
  routes:
    - matchers: {level: red, region: "150521000000"}
      targets: [self, county, city]
      continue: true
  channels:
    hook: {type: webhook, url: "http://127.0.0.1:9/hook", secret_env: HOOK_SECRET}
  centers:
    "*": hook
`))
	if err != nil {
		t.Fatal(err)
	}
	w := c.Warnings
	if len(w.Routes) != 1 || w.Routes[0].Matchers.Level[0] != "red" || !w.Routes[0].Continue || w.GroupWait == nil || *w.GroupWait != 0 ||
		w.Centers["*"][0] != "hook" {
		t.Errorf("parsed %+v", w)
	}
}

// warnReceiver is a local webhook that records what it accepted.
type warnReceiver struct {
	mu   sync.Mutex
	got  []channel.WebhookPayload
	sigs []bool
}

func (r *warnReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	var p channel.WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var ts int64
	fmt.Sscan(req.Header.Get("X-Riskwatch-Timestamp"), &ts)
	ok := req.Header.Get("X-Riskwatch-Signature") == channel.WebhookSignature("test-secret", ts, b) &&
		req.Header.Get("Idempotency-Key") == p.ID
	r.mu.Lock()
	r.got = append(r.got, p)
	r.sigs = append(r.sigs, ok)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *warnReceiver) payloads() ([]channel.WebhookPayload, []bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]channel.WebhookPayload(nil), r.got...), append([]bool(nil), r.sigs...)
}

func warnWait(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func warnDo(t *testing.T, token, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func warnCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := app.MainContext(context.Background(), append([]string{"warnings"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// The whole path inside `riskwatch run`: a rule alarm stored by ingest is
// pushed to the town's and the banner's center through a signed webhook;
// acknowledgement and silences work through the API and the CLI, and a
// silence set from the CLI is honoured by the running engine.
func TestWarningsPushedInsideRun(t *testing.T) {
	ch := testenv.ClickHouse(t)
	db := testenv.FreshDatabase(t, "appwarn")
	rcv := &warnReceiver{}
	hook := httptest.NewServer(rcv)
	t.Cleanup(hook.Close)
	t.Setenv("RW_TEST_HOOK_SECRET", "test-secret")
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
  level: warn
jobs:
  enabled: false
warnings:
  outbox: %s
  tick: 100ms
  group_wait: 0s
  group_interval: 1s
  channels:
    hook: {type: webhook, url: "%s/hook", secret_env: RW_TEST_HOOK_SECRET}
  centers:
    "*": [hook]
  retry: {base_backoff: 50ms, max_backoff: 200ms}
`, ch.Addr, db, filepath.Join(t.TempDir(), "outbox.db"), hook.URL))

	token := func(args ...string) string {
		var out, errb bytes.Buffer
		if code := app.MainContext(context.Background(), append([]string{"token", "create", "--config", cfgPath}, args...), &out, &errb); code != 0 {
			t.Fatalf("token create %v exited %d: %s", args, code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	admin := token("--name", "测试管理员", "--role", "admin")
	kailu := token("--name", "开鲁县中心", "--role", "center_operator", "--scope", "150523000000")
	analyst := token("--name", "分析员", "--role", "analyst")

	urls := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/healthz\n.*监控指标 metrics: +(http://127\.0\.0\.1:\d+/metrics)\n`), "run", "--config", cfgPath)
	base, metricsURL := urls[1], urls[2]

	st, err := store.Open(context.Background(), store.Options{Addrs: []string{ch.Addr}, Database: db, Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctxb := context.Background()

	// A silence set from the CLI while the server runs: 开鲁县 (150523) rule alarms.
	code, stdout, stderr := warnCLI(t, "silence", "--config", cfgPath, "--region", "150523000000", "--kind", "rule_alarm",
		"--until", "2h", "--comment", "已现场处置", "--by", "李四")
	if code != 0 || !strings.Contains(stdout, "已设置静默") {
		t.Fatalf("silence exited %d: %s %s", code, stdout, stderr)
	}
	time.Sleep(300 * time.Millisecond) // the engine re-reads silences every tick (100 ms)

	now := time.Now()
	alarms := []store.RuleAlarm{
		{Rule: "group_dispute", Source: "platform", CaseID: "W-1", CaseVersion: 1, Level: "orange", CountyCode: "150521000000",
			TownCode: "150521100000", RegionCode: "150521100000", Category: "labor.wage_arrears", Detail: "群体性矛盾纠纷：涉及40人",
			ReportedAt: now, DetectedAt: now},
		{Rule: "group_dispute", Source: "platform", CaseID: "W-2", CaseVersion: 1, Level: "orange", CountyCode: "150523000000",
			TownCode: "150523100000", RegionCode: "150523100000", Category: "labor.wage_arrears", Detail: "群体性矛盾纠纷：涉及40人",
			ReportedAt: now, DetectedAt: now},
	}
	if err := st.InsertRuleAlarms(ctxb, alarms); err != nil {
		t.Fatal(err)
	}
	warnWait(t, "two deliveries (town and banner)", 20*time.Second, func() bool { p, _ := rcv.payloads(); return len(p) >= 2 })
	time.Sleep(500 * time.Millisecond) // anything else would have arrived by now
	got, sigs := rcv.payloads()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2 (the silenced banner's alarm must not be sent): %+v", len(got), got)
	}
	receivers := map[string]bool{}
	var warningID string
	for i, p := range got {
		receivers[p.Receiver] = true
		if !sigs[i] {
			t.Errorf("delivery %d: signature or idempotency key does not verify", i)
		}
		if len(p.Warnings) != 1 || p.Warnings[0].Region != "150521100000" || p.Level != "orange" || p.Status != "firing" {
			t.Fatalf("payload %+v", p)
		}
		w := p.Warnings[0]
		warningID = w.ID
		if !strings.Contains(w.Title, "科尔沁左翼中旗保康镇") || !strings.Contains(w.Title, "群体性矛盾纠纷") ||
			w.Link != base+"/console/?region=150521100000" || !strings.HasPrefix(p.Title, "【橙色预警】") {
			t.Errorf("warning text %q link %q title %q", w.Title, w.Link, p.Title)
		}
	}
	if !receivers["150521100000"] || !receivers["150521000000"] {
		t.Errorf("receivers %v, want the town and its banner", receivers)
	}

	// The warning and the delivery log are in ClickHouse.
	warnWait(t, "the warning and its deliveries in ClickHouse", 10*time.Second, func() bool {
		ws, err := st.Warnings(ctxb, store.WarningFilter{IDs: []string{warningID}})
		ds, err2 := st.WarningDeliveries(ctxb, 10)
		return err == nil && err2 == nil && len(ws) == 1 && ws[0].State == "firing" && len(ds) >= 2 && ds[0].Status == "delivered"
	})

	// Only the right roles, within their region scope, may acknowledge.
	if code, _ := warnDo(t, "", "POST", base+"/api/warnings/"+warningID+"/ack", ``); code != 401 {
		t.Errorf("ack without a token: %d", code)
	}
	if code, _ := warnDo(t, analyst, "POST", base+"/api/warnings/"+warningID+"/ack", ``); code != 403 {
		t.Errorf("ack by an analyst: %d", code)
	}
	if code, body := warnDo(t, kailu, "POST", base+"/api/warnings/"+warningID+"/ack", ``); code != 403 {
		t.Errorf("ack of a 科左中旗 warning with a 开鲁县 token: %d %v", code, body)
	}
	if code, body := warnDo(t, kailu, "POST", base+"/api/silences", `{"matchers":{"region":["150521000000"]},"duration":"1h","comment":"x"}`); code != 403 {
		t.Errorf("silence outside the scope: %d %v", code, body)
	}
	// Metrics: the attempts are counted and the outbox is empty.
	warnWait(t, "the delivery metrics", 10*time.Second, func() bool {
		resp, err := http.Get(metricsURL)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(b), `riskwatch_warnings_delivery_attempts_total{channel="hook",status="delivered"} 2`) &&
			strings.Contains(string(b), "riskwatch_warnings_outbox_pending 0")
	})
	// Acknowledgement through the API; an unknown id is a 404.
	if code, body := warnDo(t, admin, "POST", base+"/api/warnings/"+warningID+"/ack", `{"comment":"已派员"}`); code != 200 || body["acked_by"] != "测试管理员" {
		t.Errorf("ack: %d %v", code, body)
	}
	if code, body := warnDo(t, admin, "POST", base+"/api/warnings/nosuch/ack", ``); code != 404 {
		t.Errorf("ack of an unknown id: %d %v", code, body)
	}
	if acks, err := st.WarningAcks(ctxb, []string{warningID}); err != nil || len(acks) != 1 || acks[0].AckedBy != "测试管理员" || acks[0].Comment != "已派员" {
		t.Errorf("stored acks %+v %v", acks, err)
	}

	// Silences through the API: bad requests name the field.
	if code, body := warnDo(t, admin, "POST", base+"/api/silences", `{"matchers":{"region":["150521000000"]},"duration":"1h"}`); code != 400 ||
		!strings.Contains(fmt.Sprint(body["error"]), "comment") {
		t.Errorf("silence without comment: %d %v", code, body)
	}
	if code, body := warnDo(t, admin, "POST", base+"/api/silences", `{"matchers":{"level":["crimson"]},"duration":"1h","comment":"b"}`); code != 400 ||
		!strings.Contains(fmt.Sprint(body["error"]), "matchers") {
		t.Errorf("silence with a bad level: %d %v", code, body)
	}
	code, body := warnDo(t, admin, "POST", base+"/api/silences", `{"matchers":{"region":["150521000000"],"kind":["supervision"]},"duration":"1h","comment":"检修"}`)
	if code != 201 || body["status"] != "active" || body["created_by"] != "测试管理员" {
		t.Fatalf("create silence: %d %v", code, body)
	}
	id := fmt.Sprint(body["id"])
	if code, body := warnDo(t, admin, "GET", base+"/api/silences", ``); code != 200 || len(body["silences"].([]any)) != 2 {
		t.Errorf("list silences: %d %v", code, body)
	}
	if code, body := warnDo(t, admin, "DELETE", base+"/api/silences/"+id, ``); code != 200 || body["status"] != "expired" {
		t.Errorf("delete silence: %d %v", code, body)
	}
	if code, _ := warnDo(t, admin, "DELETE", base+"/api/silences/nosuch", ``); code != 404 {
		t.Errorf("delete of an unknown silence: %d", code)
	}

	// The CLI lists the warning and lifts the CLI's silence.
	code, stdout, stderr = warnCLI(t, "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(stdout, warningID) || !strings.Contains(stdout, "橙色") {
		t.Errorf("list exited %d: %s %s", code, stdout, stderr)
	}
	code, stdout, _ = warnCLI(t, "silences", "--config", cfgPath)
	m := regexp.MustCompile(`(?m)^([0-9a-f]{16})\s+kind=rule_alarm region=150523000000`).FindStringSubmatch(stdout)
	if code != 0 || m == nil {
		t.Fatalf("silences exited %d: %s", code, stdout)
	}
	if code, stdout, stderr = warnCLI(t, "unsilence", m[1], "--config", cfgPath); code != 0 || !strings.Contains(stdout, "已解除静默") {
		t.Errorf("unsilence exited %d: %s %s", code, stdout, stderr)
	}
	if code, _, stderr = warnCLI(t, "ack", "nosuch", "--config", cfgPath); code != 2 || !strings.Contains(stderr, "unknown warning") {
		t.Errorf("ack of an unknown id exited %d: %s", code, stderr)
	}
	// Once the silence is lifted, the banner's alarm goes out.
	warnWait(t, "the formerly silenced alarm", 10*time.Second, func() bool {
		p, _ := rcv.payloads()
		for _, x := range p {
			if x.Receiver == "150523100000" {
				return true
			}
		}
		return false
	})
}

func TestWarningsCLIBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"silence", "--region", "150521000000", "--until", "2h"}, "--comment"},
		{[]string{"silence", "--region", "999999000000", "--until", "2h", "--comment", "x"}, "--region: unknown region code"},
		{[]string{"silence", "--region", "150521000000", "--until", "tomorrow", "--comment", "x"}, "--until"},
		{[]string{"silence", "--region", "150521000000", "--until", "721h", "--comment", "x"}, "--until: the silence would last 721h0m0s, longer than warnings.max_silence"},
		{[]string{"silence", "--until", "2h", "--comment", "x"}, "at least one of"},
		{[]string{"silence", "--kind", "weather", "--until", "2h", "--comment", "x"}, "kind"},
		{[]string{"ack"}, "want 1 argument"},
		{[]string{"frobnicate"}, "unknown subcommand"},
	} {
		code, _, stderr := warnCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestWarningsConfigRedacted(t *testing.T) {
	c, err := config.Parse([]byte(`
warnings:
  channels:
    ding: {type: dingtalk, url: "https://gw.example/robot/send?access_token=TOPSECRET", secret: SECabc}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := c.Warnings.Redacted()
	if s := fmt.Sprint(r.Channels); strings.Contains(s, "TOPSECRET") || strings.Contains(s, "SECabc") || !strings.Contains(s, "gw.example") {
		t.Errorf("redacted channels %s", s)
	}
	if c.Warnings.Channels["ding"].Secret != "SECabc" {
		t.Error("Redacted changed the original")
	}
}
