package api_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// consoleViews are the console's views as its navigation names them.
var consoleViews = []string{"dashboard", "trends", "types", "supervision", "reports"}

// viewInk counts, per chart of the visible view, the canvas pixels that
// are neither transparent nor white: a drawn chart has thousands.
const viewInk = `Array.from(document.querySelectorAll(".view:not([hidden]) .chart")).map(function (el) {
  var c = el.querySelector("canvas");
  if (!c || !c.width || !c.height) { return [el.id, 0]; }
  var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
  for (var i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) { n++; }
  }
  return [el.id, n];
})`

// TestConsoleFitsPhoneAndDesktop opens every view of the console at
// 390×844 and 1440×900: the page never scrolls sideways (wide tables
// scroll inside their panel), and every chart of the view is drawn within
// the screen. Screenshots of each view and size are artefacts.
func TestConsoleFitsPhoneAndDesktop(t *testing.T) {
	f := setup(t)
	b := startBrowser(t)
	dir := artifactDir(t)
	const period = "from=2026-06-01&to=2026-08-31"
	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"phone", 390, 844}, {"desktop", 1440, 900}} {
		t.Run(vp.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
			defer cancel()
			tab, closeTab, err := b.OpenTab(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer closeTab()
			if err := browser.Open(tab, browser.Page{URL: f.http.URL + "/console/?token=" + url.QueryEscape(f.tokens["admin"]) + "&" + period,
				Width: vp.width, Height: vp.height, Ready: `document.body.dataset.ready === '1'`}); err != nil {
				t.Fatal(err)
			}
			for i, view := range consoleViews {
				if i == 0 {
					// The console opens on the dashboard.
				} else if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`(() => { document.querySelector('#nav a[data-view=`+view+`]').click(); return true; })()`)); err != nil {
					t.Fatal(err)
				}
				if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](`document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'`,
					chromedp.WithPollingTimeout(30*time.Second))); err != nil {
					t.Fatalf("%s: the console did not finish rendering: %v", view, err)
				}
				// The charts are drawn (or the test reports them blank below).
				_ = chromedp.Do(tab, chromedp.Poll[chromedp.Void](`(`+viewInk+`).every(function (c) { return c[1] >= 2000; })`,
					chromedp.WithPollingTimeout(10*time.Second)))
				sizes, err := chromedp.Run(tab, chromedp.Evaluate[[2]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
				if err != nil {
					t.Fatal(err)
				}
				if sizes[1] != float64(vp.width) {
					t.Fatalf("viewport %v px wide, want %d", sizes[1], vp.width)
				}
				if sizes[0] > sizes[1] {
					t.Errorf("%s: the page is %v px wide on a %v px screen: it scrolls sideways", view, sizes[0], sizes[1])
				}
				ink, err := chromedp.Run(tab, chromedp.Evaluate[[][2]any](viewInk))
				if err != nil {
					t.Fatal(err)
				}
				wantCharts := map[string]int{"dashboard": 2, "trends": 1, "types": 2}[view]
				if len(ink) != wantCharts {
					t.Errorf("%s: %d charts, want %d", view, len(ink), wantCharts)
				}
				for _, c := range ink {
					if n, _ := c[1].(float64); n < 2000 {
						t.Errorf("%s: chart %v has %v drawn pixels; not drawn", view, c[0], c[1])
					}
				}
				wide, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".view:not([hidden]) .chart canvas")).filter(function (c) {
  var r = c.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth + 0.5;
}).map(function (c) { return c.parentNode.parentNode.id + " " + Math.round(c.getBoundingClientRect().right); })`))
				if err != nil {
					t.Fatal(err)
				}
				if len(wide) > 0 {
					t.Errorf("%s: charts beyond the screen's right edge: %v", view, wide)
				}
				png, err := browser.Screenshot(tab)
				if err != nil {
					t.Fatal(err)
				}
				p := filepath.Join(dir, fmt.Sprintf("%s_%d.png", view, vp.width))
				if err := os.WriteFile(p, png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if ext := b.External(); len(ext) > 0 {
				t.Errorf("the console requested URLs outside localhost: %v", ext)
			}
		})
	}
	t.Logf("screenshots in %s", dir)
}
