package app_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// TestDemoScreenshotsRightAfterStart: `run --demo` as make run starts it
// (the shared demo run: jobs, reports and the trickle on); as soon as the
// latest weekly city report is rendered, the browser takes screenshots of
// the dashboard, 类型分析 and that report, on a desktop and a phone
// screen, as artefacts under $RISKWATCH_ARTIFACTS/demo: what a newcomer
// sees in the first minute. No page scrolls sideways and every chart of
// the report is drawn; what the views show then (cases, type rows,
// sections not yet computed) and how long after the start of the run is
// logged beside the screenshots.
func TestDemoScreenshotsRightAfterStart(t *testing.T) {
	if _, err := browser.Path(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires Chromium", err)
		}
		t.Skip(err)
	}
	d := sharedDemoRun(t)
	reportsDir, started := d.reports, d.started
	m := d.match(t, 5*time.Minute, regexp.MustCompile(`(?s)(http://127\.0\.0\.1:\d+)/console/\?token=(rwk_[A-Za-z0-9_-]+).*演示数据 demo stream: \d+ records`))
	baseURL, token := m[1], m[2]
	var report string
	var written time.Time
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(2 * time.Second) {
		if ps, _ := filepath.Glob(filepath.Join(reportsDir, "*", "week", "150500000000.html")); len(ps) > 0 {
			rel, _ := filepath.Rel(reportsDir, ps[len(ps)-1])
			report = filepath.ToSlash(rel)
			if fi, err := os.Stat(ps[len(ps)-1]); err == nil {
				written = fi.ModTime()
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no weekly city report within 10 minutes of the stream")
		}
	}
	t.Logf("the weekly city report %s was written %s after the start of the run; the screenshots begin %s after it",
		report, written.Sub(started).Round(time.Second), time.Since(started).Round(time.Second))

	dir := t.TempDir()
	if d := os.Getenv("RISKWATCH_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "demo")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := browser.Start(context.Background(), browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	for _, vp := range []struct{ w, h int64 }{{1440, 900}, {390, 844}} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		tab, closeTab, err := b.OpenTab(ctx)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		shot := func(name string) {
			t.Helper()
			sizes, err := chromedp.Run(tab, chromedp.Evaluate[[2]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
			if err != nil {
				t.Fatal(err)
			}
			if sizes[0] > sizes[1] {
				t.Errorf("%s: %v px wide on a %v px screen", name, sizes[0], sizes[1])
			}
			png, err := browser.Screenshot(tab)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, fmt.Sprintf("%s_%d.png", name, vp.w))
			if err := os.WriteFile(p, png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", p)
		}
		ready := `document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'`
		if err := browser.Open(tab, browser.Page{URL: baseURL + "/console/?token=" + url.QueryEscape(token), Width: vp.w, Height: vp.h,
			Ready: ready, Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		state, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.dataset.ready + ' ' + document.getElementById('kpi-cases').textContent`))
		shot("dashboard")
		t.Logf("%d px: the dashboard shows %q (ready, cases)", vp.w, state)
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => { document.body.dataset.ready = ''; document.querySelector('#nav a[data-view=types]').click(); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingTimeout(time.Minute))); err != nil {
			t.Fatal(err)
		}
		shot("types")
		cases, _ := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#types-table tbody tr')).map(tr => tr.children[2].textContent)`))
		nonzero := 0
		for _, c := range cases {
			if c != "0" && c != "" {
				nonzero++
			}
		}
		t.Logf("%d px: 类型分析 lists %d types, %d with cases", vp.w, len(cases), nonzero)
		if err := browser.Open(tab, browser.Page{URL: baseURL + "/reports/" + report, Width: vp.w, Height: vp.h,
			Ready: "window.__reportReady === true", Timeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		text, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
		drawn, err := chromedp.Run(tab, chromedp.Evaluate[[2]int](`[document.querySelectorAll(".chart-canvas canvas").length, window.__reportCharts]`))
		if err != nil || drawn[1] == 0 || drawn[0] != drawn[1] {
			t.Errorf("%d px: the report drew %v canvases of its charts (%v)", vp.w, drawn, err)
		}
		shot("report_city_week")
		for _, l := range strings.Split(text, "\n") {
			if strings.Contains(l, "尚未计算") {
				t.Logf("%d px: the report says %q", vp.w, l)
			}
		}
		closeTab()
		cancel()
	}
	if ext := b.External(); len(ext) > 0 {
		t.Errorf("the pages asked other hosts: %v", ext)
	}
}
