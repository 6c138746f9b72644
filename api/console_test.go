package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// artifactDir is where the browser test leaves its screenshots:
// $RISKWATCH_ARTIFACTS/console when set (make test points it at
// .run/artifacts), else the test's temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("RISKWATCH_ARTIFACTS"); d != "" {
		d = filepath.Join(d, "console")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func startBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	if _, err := browser.Path(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires Chromium", err)
		}
		t.Skip(err)
	}
	b, err := browser.Start(context.Background(), browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// sumTrend is the sum of a trend's values over all series, from the API.
func (f *fixture) sumTrend(t *testing.T, label, query string) float64 {
	t.Helper()
	status, body := f.get(t, label, "/api/trends?"+query)
	var tr trend
	if err := json.Unmarshal(body, &tr); status != 200 || err != nil {
		t.Fatalf("/api/trends?%s: %d %v %s", query, status, err, body)
	}
	s := 0.0
	for _, se := range tr.Series {
		for _, p := range se.Points {
			if p.Value != nil {
				s += *p.Value
			}
		}
	}
	return s
}

// TestConsoleInBrowser opens the console in headless Chromium with a
// token, changes a filter, drills down city → banner → town, exports a CSV
// and checks the numbers shown and exported against the API; the page
// requests nothing outside localhost. Screenshots are saved as artefacts.
func TestConsoleInBrowser(t *testing.T) {
	f := setup(t)
	b := startBrowser(t)
	dir := artifactDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTab()
	shot := func(name string) {
		png, err := browser.Screenshot(tab)
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			return
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Error(err)
		}
	}
	eval := func(js string, out any) {
		t.Helper()
		raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("evaluate %s: %v (%s)", js, err, raw)
			}
		}
	}
	waitReady := func(step string) {
		t.Helper()
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](`document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'`,
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			shot("failed-" + step)
			t.Fatalf("%s: the console did not finish rendering: %v", step, err)
		}
		var st string
		eval(`document.body.dataset.ready + ' ' + document.getElementById('status').textContent`, &st)
		if !strings.HasPrefix(st, "1") {
			shot("failed-" + step)
			t.Fatalf("%s: the console shows an error: %s", step, st)
		}
	}
	num := func(id string) float64 {
		var s string
		eval(`document.getElementById('`+id+`').textContent`, &s)
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		if err != nil {
			t.Fatalf("#%s shows %q", id, s)
		}
		return v
	}
	const period = "from=2026-06-01&to=2026-08-31"

	// 1. The dashboard with an unscoped token (the city).
	if err := browser.Open(tab, browser.Page{URL: f.http.URL + "/console/?token=" + url.QueryEscape(f.tokens["admin"]) + "&" + period,
		Width: 1400, Height: 1000}); err != nil {
		t.Fatal(err)
	}
	waitReady("dashboard")
	shot("1-dashboard")
	var loc string
	eval(`location.href`, &loc)
	if strings.Contains(loc, "token") {
		t.Errorf("the token stays in the URL: %s", loc)
	}
	if got, want := num("kpi-cases"), f.sumTrend(t, "admin", "metric=cases&granularity=month&"+period); got != want || want == 0 {
		t.Errorf("dashboard shows %v cases, the API %v", got, want)
	}
	// The risk ranking's drivers are words with direction and size, never
	// indicator codes (B1、B3).
	var drivers []string
	eval(`Array.from(document.querySelectorAll('#risk-table tbody tr')).map(tr => tr.lastElementChild.textContent)`, &drivers)
	worded := 0
	for _, d := range drivers {
		if code := regexp.MustCompile(`\b[ABC][1-5]\b`).FindString(d); code != "" {
			t.Errorf("the risk ranking shows the indicator code %s: %q", code, d)
		}
		if regexp.MustCompile(`(上升|下降|高于同级|低于同级)[0-9.]+(个百分点|件/万人)`).MatchString(d) {
			worded++
		}
	}
	if len(drivers) == 0 || worded == 0 {
		t.Errorf("risk ranking drivers %q: none in words with direction and size", drivers)
	}
	var drawn int
	eval(`document.querySelectorAll('#chart-trend canvas, #chart-map canvas').length`, &drawn)
	if drawn < 2 {
		t.Errorf("%d chart canvases on the dashboard, want the trend and the map", drawn)
	}

	// 2. Change a filter: the URL carries it and the KPI follows the API.
	eval(`(() => { const s = document.getElementById('f-category'); s.value = 'labor'; s.dispatchEvent(new Event('change')); return true; })()`, nil)
	waitReady("filter")
	shot("2-filter-labor")
	eval(`location.search`, &loc)
	if !strings.Contains(loc, "category=labor") {
		t.Errorf("the filter is not in the URL: %s", loc)
	}
	labor := f.sumTrend(t, "admin", "metric=cases&granularity=month&category=labor&"+period)
	if got := num("kpi-cases"); got != labor || labor == 0 {
		t.Errorf("with category labor the dashboard shows %v cases, the API %v", got, labor)
	}

	// 3. Drill down: city → 科左中旗 → its busiest town.
	eval(`(() => { document.querySelector('#nav a[data-view=trends]').click(); return true; })()`, nil)
	waitReady("trends-city")
	var clicked string
	eval(`(() => { const a = document.querySelector('#drill-table tr[data-code="`+kzzCode+`"] a.drill'); if (!a) return ''; a.click(); return a.textContent; })()`, &clicked)
	if clicked != "科左中旗" {
		shot("failed-drill-banner")
		t.Fatalf("no drill link for 科左中旗 in the city table (got %q)", clicked)
	}
	waitReady("trends-banner")
	shot("3-banner")
	var town struct{ Code, Name string }
	eval(`(() => { const tr = document.querySelector('#drill-table tbody tr[data-code]'); tr.querySelector('a.drill').click(); return {code: tr.dataset.code, name: tr.querySelector('a').textContent}; })()`, &town)
	if !strings.HasPrefix(town.Code, kzz) || len(town.Code) != 12 {
		t.Fatalf("drilled into %+v, not a town of 科左中旗", town)
	}
	waitReady("trends-town")
	shot("4-town")
	eval(`location.search`, &loc)
	if !strings.Contains(loc, "region="+town.Code) || !strings.Contains(loc, "view=trends") || !strings.Contains(loc, "category=labor") {
		t.Errorf("URL after drilling: %s", loc)
	}
	var crumbs string
	eval(`document.getElementById('crumbs').textContent`, &crumbs)
	if !strings.Contains(crumbs, "通辽市") || !strings.Contains(crumbs, "科左中旗") || !strings.Contains(crumbs, town.Name) {
		t.Errorf("breadcrumb %q, want 通辽市 › 科左中旗 › %s", crumbs, town.Name)
	}
	// The villages listed and their counts are the API's.
	var table [][]string
	eval(`Array.from(document.querySelectorAll('#drill-table tbody tr[data-code]')).map(tr => [tr.dataset.code, tr.querySelector('td.cases').textContent])`, &table)
	apiVillages := f.sumTrend(t, "admin", "metric=cases&granularity=week&group=region&category=labor&region="+town.Code+"&"+period)
	shown := 0.0
	for _, r := range table {
		if r[0] != "" && !strings.HasPrefix(r[0], town.Code[:9]) {
			t.Errorf("village %s listed under town %s", r[0], town.Code)
		}
		v, _ := strconv.ParseFloat(strings.ReplaceAll(r[1], ",", ""), 64)
		shown += v
	}
	if shown != apiVillages {
		t.Errorf("the town's table sums to %v cases, the API to %v", shown, apiVillages)
	}

	// 4. Export the CSV the page links to and compare it with the API.
	var href string
	eval(`document.getElementById('csv-link').getAttribute('href')`, &href)
	if !strings.Contains(href, "format=csv") || !strings.Contains(href, "region="+town.Code) {
		t.Fatalf("CSV link %q", href)
	}
	var csvText string
	eval(`fetch(`+strconv.Quote(href)+`, {credentials: 'same-origin'}).then(r => r.text())`, &csvText)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvText, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != "key,name,period,value,cases" {
		t.Fatalf("exported CSV: %v %q", err, csvText)
	}
	exported := 0.0
	for _, r := range recs[1:] {
		v, _ := strconv.ParseFloat(r[3], 64)
		exported += v
	}
	if exported != apiVillages {
		t.Errorf("the exported CSV sums to %v cases, the API to %v", exported, apiVillages)
	}
	if err := os.WriteFile(filepath.Join(dir, "export.csv"), []byte(csvText), 0o644); err != nil {
		t.Error(err)
	}

	// 5. The type analysis and the supervision board of the banner render
	// rows from the API.
	for _, v := range []struct{ view, table string }{{"types", "types-table"}, {"supervision", "sup-table"}} {
		eval(`(() => { document.querySelector('#crumbs a[data-code="`+kzzCode+`"]').click(); return true; })()`, nil)
		waitReady(v.view + "-banner")
		eval(`(() => { document.querySelector('#nav a[data-view=`+v.view+`]').click(); return true; })()`, nil)
		waitReady(v.view)
		shot("5-" + v.view)
		var n int
		eval(`document.querySelectorAll('#`+v.table+` tbody tr td.num').length`, &n)
		if n == 0 {
			t.Errorf("the %s view shows no figures", v.view)
		}
	}

	// 6. Nothing left the machine, and the page did load its own files.
	reqs := b.Requests()
	if ext := b.External(); len(ext) > 0 {
		t.Errorf("the console requested %d URLs outside localhost: %v", len(ext), ext)
	}
	var sawECharts, sawAPI bool
	for _, r := range reqs {
		sawECharts = sawECharts || strings.HasSuffix(r.URL, "/console/assets/echarts.min.js")
		sawAPI = sawAPI || strings.Contains(r.URL, "/api/trends")
	}
	if !sawECharts || !sawAPI {
		t.Errorf("request log lacks the ECharts asset (%v) or API calls (%v): %d requests", sawECharts, sawAPI, len(reqs))
	}
	t.Logf("screenshots and export in %s; %d requests, first render %s", dir, len(reqs), firstRender(t, tab))
}

func firstRender(t *testing.T, tab context.Context) string {
	v, err := chromedp.Run(tab, chromedp.Evaluate[float64](`window.rwFirstRender || 0`))
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.0f ms after navigation", v)
}
