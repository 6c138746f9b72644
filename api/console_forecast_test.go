package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// The console draws the city's forecast after the weekly trend: a dashed
// point forecast from the last observed week and the 80 % and 95 %
// intervals as bands (the hand-made forecasts of seedForecasts: 500 then
// 505 cases, 80 % from 470 and 471 to 505 and 510, 95 % from 468 and 469
// to 508 and 513); the page 形势预测 lists the units above their threshold.
func TestConsoleForecastBand(t *testing.T) {
	f := setup(t)
	seedForecasts(t, f)
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
		if png, err := browser.Screenshot(tab); err == nil {
			_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
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
			shot("forecast-failed-" + step)
			t.Fatalf("%s: the console did not finish rendering: %v", step, err)
		}
		var st string
		eval(`document.body.dataset.ready + ' ' + document.getElementById('status').textContent`, &st)
		if !strings.HasPrefix(st, "1") {
			shot("forecast-failed-" + step)
			t.Fatalf("%s: the console shows an error: %s", step, st)
		}
	}
	if err := browser.Open(tab, browser.Page{URL: f.http.URL + "/console/?token=" + url.QueryEscape(f.tokens["admin"]) + "&from=2026-06-01&to=2026-09-30",
		Width: 1400, Height: 1000}); err != nil {
		t.Fatal(err)
	}
	waitReady("dashboard")
	shot("5-forecast-band")
	type series struct {
		Name      string         `json:"name"`
		Stack     string         `json:"stack"`
		Data      []*float64     `json:"data"`
		LineStyle map[string]any `json:"lineStyle"`
		AreaStyle map[string]any `json:"areaStyle"`
		MarkArea  *struct {
			Data  [][]map[string]any `json:"data"`
			Label struct {
				Formatter string `json:"formatter"`
			} `json:"label"`
		} `json:"markArea"`
	}
	var opt struct {
		X      []string `json:"x"`
		Series []series `json:"series"`
		Drawn  int      `json:"drawn"`
	}
	const trendJS = `(() => { const o = charts['chart-trend'].getOption(); return {x: o.xAxis[0].data, series: o.series.map(s => ({name: s.name, stack: s.stack, data: s.data, lineStyle: s.lineStyle, areaStyle: s.areaStyle, markArea: s.markArea && s.markArea.data && s.markArea.data.length ? s.markArea : null})), drawn: document.querySelectorAll('#chart-trend canvas').length}; })()`
	eval(trendJS, &opt)
	if m := opt.Series[0].MarkArea; m != nil {
		t.Errorf("the range ends 2026-09-30, after the last week with cases, yet a week is marked incomplete: %+v", m)
	}
	n := len(opt.X)
	if n < 3 || opt.X[n-2] != "2026-09-07" || opt.X[n-1] != "2026-09-14" || opt.Drawn == 0 {
		t.Fatalf("trend x axis ends %v (canvases %d), want the forecast weeks 2026-09-07 and 2026-09-14 last", opt.X[max(0, n-3):], opt.Drawn)
	}
	tail := func(s series) []float64 {
		var out []float64
		for _, v := range s.Data[n-2:] {
			if v == nil {
				out = append(out, -1)
			} else {
				out = append(out, *v)
			}
		}
		return out
	}
	want := map[string][]float64{"预测": {500, 505}, "80%区间下限": {470, 471}, "80%区间": {35, 39}, "95%区间下限": {468, 469}, "95%区间": {40, 44}}
	seen := 0
	for _, s := range opt.Series {
		w, ok := want[s.Name]
		if !ok {
			continue
		}
		seen++
		if got := tail(s); !slices.Equal(got, w) {
			t.Errorf("%s ends %v, want %v", s.Name, got, w)
		}
		if s.Name == "预测" && s.LineStyle["type"] != "dashed" {
			t.Errorf("the forecast is not dashed: %v", s.LineStyle)
		}
		if (s.Name == "80%区间" || s.Name == "95%区间") && (s.AreaStyle == nil || s.Stack == "") {
			t.Errorf("%s is not a stacked band: %+v", s.Name, s)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d forecast series on the trend chart: %+v", seen, len(want), opt.Series)
	}

	// The page 形势预测.
	eval(`(() => { document.querySelector('#nav a[data-view=forecast]').click(); return true; })()`, nil)
	waitReady("forecast")
	shot("6-forecast-page")
	var rows [][]string
	eval(`Array.from(document.querySelectorAll('#fc-exceeding tbody tr')).map(tr => Array.from(tr.children).map(td => td.textContent))`, &rows)
	if len(rows) != 2 || rows[0][0] != "科左中旗" || rows[0][1] != "劳资纠纷" || rows[0][2] != "30" || rows[0][3] != "25–35" || rows[0][4] != "20.0" {
		t.Errorf("units above their threshold: %v", rows)
	}
	var next [][]string
	eval(`Array.from(document.querySelectorAll('#fc-next tbody tr')).map(tr => Array.from(tr.children).map(td => td.textContent))`, &next)
	if len(next) != 1 || next[0][0] != "科左中旗" || next[0][1] != "120" || next[0][2] != "110–125" {
		t.Errorf("banners' next week: %v", next)
	}

	// A range ending on a Wednesday: its last week holds three of its
	// seven days; the segment into it is shaded and labelled, so that its
	// drop is not read as a fall.
	if err := browser.Open(tab, browser.Page{URL: f.http.URL + "/console/?token=" + url.QueryEscape(f.tokens["admin"]) + "&from=2026-06-01&to=2026-08-26",
		Width: 1400, Height: 1000}); err != nil {
		t.Fatal(err)
	}
	waitReady("partial week")
	shot("5-partial-week")
	eval(trendJS, &opt)
	if m := opt.Series[0].MarkArea; m == nil || len(m.Data) != 1 || len(m.Data[0]) != 2 || m.Data[0][0]["xAxis"] != "2026-08-17" || m.Data[0][1]["xAxis"] != "2026-08-24" ||
		m.Label.Formatter != "本周未满（截至08-26）" {
		t.Errorf("the incomplete week 2026-08-24 is not marked on the trend: %+v", m)
	}
}
