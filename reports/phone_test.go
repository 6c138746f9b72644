package reports

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// viewports are the screens the layout tests use: a phone and a desktop.
var viewports = []struct {
	Name          string
	Width, Height int64
}{{"phone", 390, 844}, {"desktop", 1440, 900}}

// TestReportFitsPhoneAndDesktop opens the report at 390×844 and 1440×900:
// the page never scrolls sideways (tables scroll inside their own box),
// every chart is drawn at the width of the screen, and on the phone the
// headline figures come before the sections. Screenshots are artefacts.
func TestReportFitsPhoneAndDesktop(t *testing.T) {
	m := build(t, cityWeek(t))
	checkFits(t, render(t, m), len(m.Charts), "report_city_week", nil)
}

// The bulletin fits the phone and the desktop the same way, and prints on
// A4 with its rankings.
func TestBulletinInBrowser(t *testing.T) {
	m, err := BuildBulletin(bulletinFixture())
	if err != nil {
		t.Fatal(err)
	}
	html, err := RenderBulletinHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	checkFits(t, html, len(m.Charts), "bulletin_city_month", func(t *testing.T, tab context.Context, dir string) {
		pdf, err := browser.PrintPDF(tab)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "bulletin_city_month.pdf")
		if err := os.WriteFile(p, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := exec.Command("pdfinfo", p).Output()
		if err != nil {
			t.Fatalf("pdfinfo (poppler-utils, from make deps): %v", err)
		}
		if !regexp.MustCompile(`(?m)^Page size:.*\(A4\)`).Match(info) {
			t.Errorf("the bulletin's PDF is not A4:\n%s", info)
		}
		text, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		flat := strings.Join(strings.Fields(string(text)), "")
		for _, s := range []string{"示范市平安指数月度通报", "各旗县市区风险指数排名", "甲旗", "上升2位", "三、排名变动分析"} {
			if !strings.Contains(flat, s) {
				t.Errorf("the bulletin's PDF lacks %q", s)
			}
		}
	})
}

// checkFits opens the page at 390×844 and 1440×900: the page never
// scrolls sideways (tables scroll inside their own box), every one of the
// charts is drawn within the screen, and on the phone the headline
// figures come before the first section. Screenshots <name>_<width>.png
// are artefacts; then desktop runs on the desktop tab.
func checkFits(t *testing.T, html []byte, charts int, name string, desktop func(t *testing.T, tab context.Context, dir string)) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html)
	}))
	t.Cleanup(srv.Close)
	b := startBrowser(t)
	dir := artifactDir(t)
	for _, vp := range viewports {
		t.Run(vp.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			tab, closeTab, err := b.OpenTab(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer closeTab()
			if err := browser.Open(tab, browser.Page{URL: srv.URL + "/report.html", Ready: "window.__reportReady === true",
				Timeout: 30 * time.Second, Width: vp.Width, Height: vp.Height}); err != nil {
				t.Fatal(err)
			}
			sizes, err := chromedp.Run(tab, chromedp.Evaluate[[3]float64](`[document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth]`))
			if err != nil {
				t.Fatal(err)
			}
			if sizes[1] != float64(vp.Width) {
				t.Fatalf("viewport %v px wide, want %d", sizes[1], vp.Width)
			}
			if sizes[0] > sizes[1] {
				t.Errorf("the page is %v px wide on a %v px screen: it scrolls sideways", sizes[0], sizes[1])
			}
			ink, err := chromedp.Run(tab, chromedp.Evaluate[[][2]any](canvasInk))
			if err != nil {
				t.Fatal(err)
			}
			if len(ink) != charts {
				t.Fatalf("%d charts in the page, want %d", len(ink), charts)
			}
			for _, c := range ink {
				if n, _ := c[1].(float64); n < 2000 {
					t.Errorf("chart %v has %v drawn pixels; not drawn", c[0], c[1])
				}
			}
			// Every chart's canvas lies within the screen.
			wide, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".chart-canvas canvas")).filter(function (c) {
  var r = c.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth + 0.5;
}).map(function (c) { return c.parentNode.parentNode.id + " " + Math.round(c.getBoundingClientRect().right); })`))
			if err != nil {
				t.Fatal(err)
			}
			if len(wide) > 0 {
				t.Errorf("charts beyond the screen's right edge: %v", wide)
			}
			if vp.Width < 600 {
				// The headline figures are above the first section heading.
				order, err := chromedp.Run(tab, chromedp.Evaluate[[2]float64](`[document.querySelector(".cards").getBoundingClientRect().top, document.querySelector("h2").getBoundingClientRect().top]`))
				if err != nil {
					t.Fatal(err)
				}
				if order[0] >= order[1] {
					t.Errorf("on the phone the headline figures (top %v) come after the first heading (top %v)", order[0], order[1])
				}
			}
			shot, err := browser.Screenshot(tab)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, fmt.Sprintf("%s_%d.png", name, vp.Width))
			if err := os.WriteFile(p, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %s", p)
			if desktop != nil && vp.Width > 1000 {
				desktop(t, tab, dir)
			}
		})
	}
}

// The reports index (/reports/) fits a phone too, and lists a bulletin as
// 月度通报 before the reports of its day.
func TestIndexFitsPhone(t *testing.T) {
	in := cityWeek(t)
	var buf bytes.Buffer
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, Shanghai)
	err := RenderIndex(&buf, "通辽市矛盾纠纷风险预警报告", []IndexEntry{
		{Title: "通辽市矛盾纠纷风险预警周报", Window: Week, Level: 2, RegionCode: "150500000000", RegionName: "通辽市", Start: in.Start, End: in.End,
			Files: map[string]string{"html": "2026-03-08/week/150500000000.html", "pdf": "2026-03-08/week/150500000000.pdf"}},
		{Title: "科尔沁左翼中旗矛盾纠纷风险预警月报", Window: Month, Level: 3, RegionCode: "150521000000", RegionName: "科尔沁左翼中旗",
			Start: month.AddDate(0, -1, 0), End: month, Files: map[string]string{"html": "2026-02-28/month/150521000000.html"}},
		{Title: "通辽市平安指数月度通报", Kind: "bulletin", Window: Month, Level: 2, RegionCode: "150500000000", RegionName: "通辽市",
			Start: month.AddDate(0, -1, 0), End: month, Files: map[string]string{"html": "2026-02-28/bulletin/150500000000.html", "pdf": "2026-02-28/bulletin/150500000000.pdf"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if i, j := strings.Index(s, "月度通报"), strings.Index(s, "科尔沁左翼中旗矛盾纠纷风险预警月报"); i < 0 || j < 0 || i > j {
		t.Errorf("the bulletin is not listed as 月度通报 before the month's reports:\n%s", s)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	}))
	t.Cleanup(srv.Close)
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTab()
	if err := browser.Open(tab, browser.Page{URL: srv.URL + "/", Width: 390, Height: 844}); err != nil {
		t.Fatal(err)
	}
	sizes, err := chromedp.Run(tab, chromedp.Evaluate[[2]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if sizes[0] > sizes[1] {
		t.Errorf("the index is %v px wide on a %v px screen", sizes[0], sizes[1])
	}
	shot, err := browser.Screenshot(tab)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir(t), "index_390.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
}
