package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
)

// TestDemoFirstWeeklyReportCountsTheStoredCases: `run --demo` as make run
// starts it (the shared demo run: jobs, reports and the trickle on, two
// years of history): the jobs catch up only once that history is stored,
// so the first weekly city report (the week just closed) prints as
// accepted the cases the store holds for that week, and so do the week's
// KPI row and, at once, the API's trend the console shows.
func TestDemoFirstWeeklyReportCountsTheStoredCases(t *testing.T) {
	ch := testenv.ClickHouse(t)
	d := sharedDemoRun(t)
	run := d.match(t, 5*time.Minute, regexp.MustCompile(`(?s)(http://127\.0\.0\.1:\d+)/console/\?token=(rwk_[A-Za-z0-9_-]+).*演示数据 demo stream: \d+ records`))

	var report, html string
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(2 * time.Second) {
		if ps, _ := filepath.Glob(filepath.Join(d.reports, "*", "week", "150500000000.html")); len(ps) > 0 {
			report = ps[0]
			b, err := os.ReadFile(report)
			if err == nil && strings.Contains(string(b), "</html>") {
				html = string(b)
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no weekly city report within 10 minutes of the stream")
		}
	}
	last, err := time.Parse(time.DateOnly, filepath.Base(filepath.Dir(filepath.Dir(report))))
	if err != nil {
		t.Fatalf("report path %s: %v", report, err)
	}
	from, to := last.AddDate(0, 0, -6).Format(time.DateOnly), last.AddDate(0, 0, 1).Format(time.DateOnly)
	m := regexp.MustCompile(`受理矛盾纠纷(\d+)件`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("the report %s has no accepted count (受理矛盾纠纷N件)", report)
	}
	query := func(q string) uint64 {
		t.Helper()
		out, err := ch.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", q, out)
		}
		return n
	}
	stored := query("SELECT count() FROM " + d.db + ".cases FINAL WHERE reported_at >= toDateTime('" + from +
		" 00:00:00', 'Asia/Shanghai') AND reported_at < toDateTime('" + to + " 00:00:00', 'Asia/Shanghai')")
	kpi := query("SELECT any(accepted) FROM " + d.db + ".region_kpis FINAL WHERE window = 'week' AND region_code = '150500000000'" +
		" AND window_end = toDateTime('" + to + " 00:00:00', 'Asia/Shanghai')")
	t.Logf("week %s – %s: the report says %s accepted, the KPI row %d, the store %d cases", from, last.Format(time.DateOnly), m[1], kpi, stored)
	if stored == 0 {
		t.Fatalf("the store holds no case of the week %s – %s", from, last.Format(time.DateOnly))
	}
	if m[1] != strconv.FormatUint(stored, 10) {
		t.Errorf("the first weekly city report says 受理%s件 for %s – %s, the store holds %d cases", m[1], from, last.Format(time.DateOnly), stored)
	}
	// The API's trend of the week, as the console asks for it once the
	// report is there: its rollup (api_daily) took in the stored records
	// before the jobs started.
	req, _ := http.NewRequest("GET", run[1]+"/api/trends?granularity=week&from="+from+"&to="+last.Format(time.DateOnly), nil)
	req.Header.Set("Authorization", "Bearer "+run[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		Series []struct {
			Points []struct {
				Cases uint64 `json:"cases"`
			} `json:"points"`
		} `json:"series"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/api/trends: %d %v", resp.StatusCode, err)
	}
	var api uint64
	for _, se := range tr.Series {
		for _, p := range se.Points {
			api += p.Cases
		}
	}
	t.Logf("the API's trend counts %d cases that week", api)
	if api != stored {
		t.Errorf("/api/trends counts %d cases in the week %s – %s, the store holds %d", api, from, last.Format(time.DateOnly), stored)
	}
	if kpi != stored {
		t.Errorf("the KPI row of the week %s – %s has accepted %d, the store holds %d cases", from, last.Format(time.DateOnly), kpi, stored)
	}
}
