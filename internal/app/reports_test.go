package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestReportFlagErrorsNameTheFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--level", "2", "--region", "150500000000", "--window", "year"}, "--window"},
		{[]string{"--level", "9", "--region", "150500000000", "--window", "week"}, "--level"},
		{[]string{"--level", "2", "--window", "week"}, "--region"},
		{[]string{"--level", "2", "--region", "150500000000", "--window", "week", "--at", "26/10/2026"}, "--at"},
		{[]string{"--level", "2", "--region", "150500000000", "--window", "week", "--format", "html,docx"}, "--format"},
		{[]string{"--level", "2", "--region", "150500000000", "--window", "week", "extra"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		code := app.MainContext(context.Background(), append([]string{"report"}, c.args...), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("report %v: exit %d, stderr %q; want 2 naming %s", c.args, code, errb.String(), c.want)
		}
	}
}

func TestReportsConfigErrorsNameTheKey(t *testing.T) {
	for body, key := range map[string]string{
		"reports: {formats: [html, docx]}":                       "reports.formats[1]",
		"reports: {levels: [2, 5]}":                              "reports.levels[1]",
		"reports: {schedules: {weekly: '61 8 * * 1'}}":           "reports.schedules.weekly",
		"reports: {schedules: {daily: 'CRON_TZ=Asia/Shanghai'}}": "reports.schedules.daily",
		"reports: {schedules: {bulletin: '30 9 32 * *'}}":        "reports.schedules.bulletin",
		"reports: {refresh: 10s}":                                "reports.refresh",
		"reports: {dir: ''}":                                     "reports.dir",
		"reports: {formats: []}":                                 "reports.formats",
		"reports: {colour: red}":                                 "colour",
	} {
		var out, errb bytes.Buffer
		code := app.MainContext(context.Background(), []string{"check-config", "--config", writeConfig(t, body)}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), key) {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming %s", body, code, errb.String(), key)
		}
	}
	var out, errb bytes.Buffer
	if code := app.MainContext(context.Background(), []string{"check-config", "--config", writeConfig(t, "reports: {schedules: {daily: ''}}")}, &out, &errb); code != 0 {
		t.Errorf("an empty schedule (turned off) was refused: %s", errb.String())
	}
	for _, want := range []string{"weekly: 30 8 * * 1", "daily: \"\"", "monthly: 0 9 1 * *", "bulletin: 30 9 1 * *"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out.String())
		}
	}
}

// reportConfig is a configuration on a fresh database of the shared
// ClickHouse with the reports directory in dir.
func reportConfig(t *testing.T, dir string) (path, addr, db string) {
	ch := testenv.ClickHouse(t)
	db = testenv.FreshDatabase(t, "appreports")
	return writeConfig(t, fmt.Sprintf(`
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
reports:
  dir: %s
  formats: [html]
warnings:
  outbox: %s
`, ch.Addr, db, dir, filepath.Join(t.TempDir(), "outbox.db"))), ch.Addr, db
}

// The report command renders one report from the stored rows; `run` then
// renders the latest weekly city and banner reports at start and serves
// them with the index under /reports/.
func TestReportCommandAndRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "reports")
	cfg, addr, db := reportConfig(t, dir)
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := app.MainContext(ctx, []string{"migrate", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("migrate exited %d: %s", code, errb.String())
	}
	st, err := store.Open(ctx, store.Options{Addrs: []string{addr}, Database: db, Username: "default", DialTimeout: 5 * time.Second, ReadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DropDatabase(context.Background()); _ = st.Close() })
	end := time.Date(2026, 10, 26, 0, 0, 0, 0, schemas.Shanghai)
	nan := math.NaN()
	kpi := func(code, parent string, level uint8, acc uint64) store.RegionKPI {
		return store.RegionKPI{Window: "week", WindowStart: end.AddDate(0, 0, -7), WindowEnd: end, Level: level, RegionCode: code, ParentCode: parent,
			Accepted: acc, PrevAccepted: acc - 10, ResolveRate: nan, ConcludeRate: nan, SatisfactionRate: nan, MeanHandlingDays: nan,
			MoMChange: float64(acc)/float64(acc-10) - 1, YoYChange: nan, ComputedAt: end}
	}
	if err := st.WriteRegionKPIs(ctx, []store.RegionKPI{kpi("150500000000", "", 2, 345), kpi("150521000000", "150500000000", 3, 41)}); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	errb.Reset()
	code := app.MainContext(ctx, []string{"report", "--config", cfg, "--level", "3", "--region", "150521", "--window", "week", "--at", "2026-10-27", "--format", "html"}, &out, &errb)
	if code != 0 {
		t.Fatalf("report exited %d: %s", code, errb.String())
	}
	html := filepath.Join(dir, "2026-10-25", "week", "150521000000.html")
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatalf("%v; report printed %q", err, out.String())
	}
	if !strings.Contains(out.String(), html) {
		t.Errorf("report did not print the path %s: %q", html, out.String())
	}
	for _, want := range []string{"科尔沁左翼中旗矛盾纠纷风险预警周报", "本周全旗受理矛盾纠纷41件，环比上升32.3%（上周31件）"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The monthly ranking bulletin on demand: a month without stored
	// risk index rows still gives a bulletin that says so.
	out.Reset()
	errb.Reset()
	if code := app.MainContext(ctx, []string{"report", "--config", cfg, "--kind", "bulletin", "--level", "2", "--region", "150500000000", "--at", "2026-10-27", "--format", "html"}, &out, &errb); code != 0 {
		t.Fatalf("report --kind bulletin exited %d: %s", code, errb.String())
	}
	bulletin := filepath.Join(dir, "2026-09-30", "bulletin", "150500000000.html")
	if b, err := os.ReadFile(bulletin); err != nil || !strings.Contains(string(b), "通辽市平安指数月度通报") || !strings.Contains(string(b), "本月尚无风险指数") {
		t.Errorf("bulletin %s: %v; report printed %q", bulletin, err, out.String())
	}
	errb.Reset()
	if code := app.MainContext(ctx, []string{"report", "--config", cfg, "--kind", "bulletin", "--level", "4", "--region", "150521001000"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--level") {
		t.Errorf("a town's bulletin: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := app.MainContext(ctx, []string{"report", "--config", cfg, "--level", "2", "--region", "150521", "--window", "week"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--level") {
		t.Errorf("a banner with --level 2: exit %d, %q", code, errb.String())
	}
	errb.Reset()
	if code := app.MainContext(ctx, []string{"report", "--config", cfg, "--level", "3", "--region", "999999", "--window", "week"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--region") {
		t.Errorf("an unknown region: exit %d, %q", code, errb.String())
	}

	// Two tokens: the whole registry, and 科左中旗 only (reports need one,
	// and a scoped one reads only its region's reports).
	newToken := func(scope string) string {
		args := []string{"token", "create", "--config", cfg, "--name", "reports " + scope, "--role", "leader"}
		if scope != "" {
			args = append(args, "--scope", scope)
		}
		var out, errb bytes.Buffer
		if code := app.MainContext(ctx, args, &out, &errb); code != 0 {
			t.Fatalf("token create: %d %s", code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	allTok, kzzTok := newToken(""), newToken("150521")
	get := func(url, token string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// run: the startup render finds the week with data and writes the
	// city and every banner; /reports/ serves them.
	rctx, cancel := context.WithCancel(ctx)
	var rout, rerr syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.MainContext(rctx, []string{"run", "--config", cfg}, &rout, &rerr) }()
	defer func() {
		cancel()
		select {
		case c := <-done:
			if c != 0 {
				t.Errorf("run exited %d: %s", c, rerr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30 s")
		}
	}()
	re := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/reports/`)
	city := filepath.Join(dir, "2026-10-25", "week", "150500000000.html")
	deadline := time.Now().Add(60 * time.Second)
	var base string
	for {
		if m := re.FindStringSubmatch(rout.String()); m != nil {
			base = m[1]
		}
		if _, err := os.Stat(city); err == nil && base != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no city report after 60 s; out %q err %q", rout.String(), rerr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The index lists each report once its metadata is written; wait for
	// the whole batch.
	codes := []string{"150500000000", "150502000000", "150521000000", "150526000000", "150581000000"}
	listsAll := func(body string) bool {
		for _, code := range codes {
			if !strings.Contains(body, "2026-10-25/week/"+code+".html") {
				return false
			}
		}
		return true
	}
	var body string
	for time.Now().Before(deadline) {
		status, b := get(base+"/reports/", allTok)
		body = b
		if status == 200 && listsAll(body) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, code := range codes {
		if !strings.Contains(body, "2026-10-25/week/"+code+".html") {
			t.Errorf("index lacks the weekly report of %s", code)
		}
	}
	cityURL := base + "/reports/2026-10-25/week/150500000000.html"
	if status, b := get(cityURL, allTok); status != 200 || !strings.Contains(b, "本周全市受理矛盾纠纷345件") {
		t.Errorf("city report over HTTP: %d", status)
	}
	// Without a token nothing; with 科左中旗's token its own report but
	// not the city's.
	for _, c := range []struct {
		url, token string
		want       int
	}{
		{base + "/reports/", "", http.StatusUnauthorized},
		{cityURL, "", http.StatusUnauthorized},
		{cityURL, kzzTok, http.StatusForbidden},
		{base + "/reports/2026-10-25/week/150522000000.html", kzzTok, http.StatusForbidden},
		{base + "/reports/2026-10-25/week/150521000000.html", kzzTok, http.StatusOK},
	} {
		if status, _ := get(c.url, c.token); status != c.want {
			t.Errorf("GET %s (with a token: %v): %d, want %d", c.url, c.token != "", status, c.want)
		}
	}
	// The probes that once read the city's report with 科左中旗's token,
	// against the running service: refused, and never the city's text.
	for _, p := range []string{
		"/reports/2026-10-25/%2e%2e/2026-10-25/week/150500000000.html",
		"/reports/2026-10-25/week/%2e/150500000000.html",
		"/reports/2026-10-25/week/%2E%2E/week/150500000000.html",
		"/reports/2026-10-25%2fweek%2f150500000000.html",
		"/reports/2026-10-25/week/",
	} {
		status, b := get(base+p, kzzTok)
		if (status != http.StatusForbidden && status != http.StatusNotFound) || strings.Contains(b, "本周全市受理矛盾纠纷") {
			t.Errorf("GET %s with 科左中旗's token: %d", p, status)
		}
	}
	if status, b := get(base+"/reports/", kzzTok); status != 200 || strings.Contains(b, "150500000000.html") || strings.Contains(b, "150522000000.html") ||
		!strings.Contains(b, "150521000000.html") {
		t.Errorf("index for 科左中旗's token: %d, lists other regions' reports or lacks its own", status)
	}
}
