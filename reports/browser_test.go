package reports

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// artifactDir is where the browser test leaves its screenshot and PDF:
// $RISKWATCH_ARTIFACTS when set, else .run/artifacts of the module when
// .run exists (make test makes it), else the test's temporary directory.
func artifactDir(t *testing.T) string {
	d := os.Getenv("RISKWATCH_ARTIFACTS")
	if d == "" {
		if wd, err := os.Getwd(); err == nil {
			for dir := wd; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
				if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
					if fi, err := os.Stat(filepath.Join(dir, ".run")); err == nil && fi.IsDir() {
						d = filepath.Join(dir, ".run", "artifacts")
					}
					break
				}
			}
		}
	}
	if d == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
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

// canvasInk counts, per chart, the canvas pixels that are neither
// transparent nor white: a drawn chart has thousands.
const canvasInk = `Array.from(document.querySelectorAll(".chart-canvas")).map(function (el) {
  var c = el.querySelector("canvas");
  if (!c || !c.width || !c.height) { return [el.id, 0]; }
  var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data, n = 0;
  for (var i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 0 && (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250)) { n++; }
  }
  return [el.id, n];
})`

// The report opens offline in headless Chromium, every chart draws, and
// printing gives an A4 PDF with the expected pages and text.
func TestReportInBrowser(t *testing.T) {
	m := build(t, cityWeek(t))
	html := render(t, m)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(html)
	}))
	t.Cleanup(srv.Close)
	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTab()
	if err := browser.Open(tab, browser.Page{URL: srv.URL + "/report.html", Ready: "window.__reportReady === true", Timeout: 30 * time.Second, Width: 1000, Height: 1400}); err != nil {
		t.Fatal(err)
	}
	ink, err := chromedp.Run(tab, chromedp.Evaluate[[][2]any](canvasInk))
	if err != nil {
		t.Fatal(err)
	}
	if len(ink) != len(m.Charts) {
		t.Fatalf("%d chart elements in the page, want %d", len(ink), len(m.Charts))
	}
	for _, c := range ink {
		if n, _ := c[1].(float64); n < 2000 {
			t.Errorf("chart %v has %v drawn pixels; not drawn", c[0], c[1])
		}
	}
	// The Chinese locale is on: the page says so, and every chart's
	// ECharts instance has the ZH locale (its legend selector reads 全选;
	// the default EN locale says "All").
	lang, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil || lang != "zh-CN" {
		t.Errorf("lang %q (%v)", lang, err)
	}
	locales, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".chart-canvas")).map(function (el) {
  var c = echarts.getInstanceByDom(el);
  return c ? String(c.getModel().getLocaleModel().get(["legend", "selector", "all"])) : "no instance";
})`))
	if err != nil || len(locales) != len(m.Charts) {
		t.Errorf("locale of %d charts: %q (%v)", len(m.Charts), locales, err)
	}
	for i, l := range locales {
		if l != "全选" {
			t.Errorf("chart %d: ECharts locale says %q for 全选: not the ZH locale", i, l)
		}
	}
	for _, r := range b.Requests() {
		if !strings.HasPrefix(r.URL, srv.URL) {
			t.Errorf("the report requested %s", r.URL)
		}
	}
	if len(b.Requests()) != 1 {
		t.Errorf("requests %+v, want only the page itself", b.Requests())
	}

	dir := artifactDir(t)
	shot, err := browser.Screenshot(tab)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dy() < 3000 {
		t.Errorf("full-page screenshot is %d px high; the report is longer", img.Bounds().Dy())
	}
	if err := os.WriteFile(filepath.Join(dir, "report_city_week.png"), shot, 0o644); err != nil {
		t.Fatal(err)
	}

	pdf, err := browser.PrintPDF(tab)
	if err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(dir, "report_city_week.pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	checkPDF(t, pdfPath)
}

// wantPages is the page count of the fixture's PDF on A4 with the
// GB/T 9704 margins; a layout change that moves it must update it after
// looking at the PDF.
const wantPages = 8

func checkPDF(t *testing.T, path string) {
	t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			if strings.EqualFold(os.Getenv("CI"), "true") {
				t.Fatalf("%v; CI=true requires poppler-utils (pdfinfo, pdftotext): make deps installs them", err)
			}
			t.Skip("poppler-utils (pdfinfo, pdftotext) not installed; make deps installs them")
		}
	}
	info, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	size := regexp.MustCompile(`(?m)^Page size:\s+([\d.]+) x ([\d.]+) pts`).FindSubmatch(info)
	if pages == nil || size == nil {
		t.Fatalf("pdfinfo output:\n%s", info)
	}
	if n, _ := strconv.Atoi(string(pages[1])); n != wantPages {
		t.Errorf("PDF has %d pages, want %d (see %s)", n, wantPages, path)
	}
	// A4 is 595.28 x 841.89 pt.
	if w, _ := strconv.ParseFloat(string(size[1]), 64); w < 594 || w > 597 {
		t.Errorf("page width %s pt, want A4 (595)", size[1])
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(text)), "")
	for _, s := range []string{"通辽市矛盾纠纷风险预警周报", "一、总体情况", "二、趋势", "三、风险指数", "四、热点区域", "五、高发类型", "六、预警事项",
		"七、督办事项", "八、研判建议", "本周全市受理矛盾纠纷312件，环比上升18.2%", "科尔沁左翼中旗", "科尔沁区人力资源和社会保障局"} {
		if !strings.Contains(flat, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
}
