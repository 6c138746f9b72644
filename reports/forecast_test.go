package reports

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// withForecasts adds a forecasts table to the golden city week: the week
// after 2026-03-08 for the city, five banners and five types, and the
// three weeks before it.
func withForecasts(t *testing.T) Input {
	in := cityWeek(t)
	o := in.End
	f := &ForecastInput{Origin: o}
	next := func(region, cat string, h int, p, l80, u80, l95, u95 float64) {
		f.Rows = append(f.Rows, Forecast{Region: region, Category: cat, Horizon: h, TargetEnd: o.AddDate(0, 0, 7*h),
			Point: p, Lower80: l80, Upper80: u80, Lower95: l95, Upper95: u95})
	}
	week := func(region, cat string, end time.Time, n uint64) {
		f.Weeks = append(f.Weeks, WeekCount{Region: region, Category: cat, End: end, Cases: n})
	}
	city := in.Region.Code
	next(city, ForecastTotal, 1, 331.6, 300.2, 365.4, 285.0, 384.7)
	next(city, ForecastTotal, 2, 320.4, 290.5, 351.2, 270.4, 370.6)
	next(city, ForecastTotal, 3, 318.0, 280.0, 356.0, 262.0, 380.0)
	next(city, ForecastTotal, 4, 317.0, 276.0, 360.0, 255.0, 385.0)
	week(city, ForecastTotal, o.AddDate(0, 0, -14), 280)
	week(city, ForecastTotal, o.AddDate(0, 0, -7), 264)
	week(city, ForecastTotal, o, 312)
	// An older week outside the chart's eight weeks.
	week(city, ForecastTotal, o.AddDate(0, 0, -7*8), 999)
	banner := map[string]string{"科尔沁区": "150502000000", "科左中旗": "150521000000", "开鲁县": "150523000000", "库伦旗": "150524000000", "奈曼旗": "150525000000"}
	next(banner["科尔沁区"], ForecastTotal, 1, 96.4, 85.2, 108.9, 79.6, 115.1)
	week(banner["科尔沁区"], ForecastTotal, o, 80)
	next(banner["科左中旗"], ForecastTotal, 1, 52.3, 41.4, 63.8, 36.1, 70.2)
	next(banner["科左中旗"], ForecastTotal, 2, 99, 99, 99, 99, 99) // not next week
	week(banner["科左中旗"], ForecastTotal, o, 44)
	week(banner["科左中旗"], ForecastTotal, o.AddDate(0, 0, -7), 77) // not this week
	next(banner["开鲁县"], ForecastTotal, 1, 40.2, 31.6, 48.9, 27.5, 54.0)
	week(banner["开鲁县"], ForecastTotal, o, 30)
	next(banner["库伦旗"], ForecastTotal, 1, 0.4, 0, 1.3, 0, 2.2)
	next(banner["奈曼旗"], ForecastTotal, 1, 45.4, 37.2, 54.6, 33.0, 59.0)
	week(banner["奈曼旗"], ForecastTotal, o, 50)
	types := []struct {
		code                  string
		this                  uint64
		p, l80, u80, l95, u95 float64
	}{
		{"neighbor", 98, 101.2, 85.5, 117.3, 77.0, 126.8},
		{"labor", 76, 88.6, 77.4, 100.2, 71.0, 107.0},
		{"family", 56, 50.1, 41.0, 59.4, 36.3, 64.9},
		{"land", 30, 29.9, 23.2, 36.8, 19.6, 40.5},
		{"medical", 4, 5.2, 2.1, 8.6, 0.7, 10.9},
		{"consumer", 1, 1.0, 0, 2.4, 0, 3.5},
	}
	for _, ty := range types {
		next(city, ty.code, 1, ty.p, ty.l80, ty.u80, ty.l95, ty.u95)
		week(city, ty.code, o, ty.this)
	}
	in.Forecast = f
	return in
}

func TestForecastSection(t *testing.T) {
	m, err := Build(withForecasts(t))
	if err != nil {
		t.Fatal(err)
	}
	f := m.Forecast
	if f == nil {
		t.Fatal("no forecast section")
	}
	wantSentences := []string{
		"预计下周通辽市受理332件（80%区间300–365），较本周上升6%。",
		"预计下周开鲁县受理40件（80%区间32–49），较本周上升33%，区间下限已高于本周受理量，建议提前研判、靠前化解。",
		"预计下周科尔沁区受理96件（80%区间85–109），较本周上升20%，区间下限已高于本周受理量，建议提前研判、靠前化解。",
	}
	if !slices.Equal(f.Sentences, wantSentences) {
		t.Errorf("sentences\n%q\nwant\n%q", f.Sentences, wantSentences)
	}
	wantRows := []ForecastRow{
		{Name: "科尔沁区", This: "80", Point: "96", Range80: "85–109", Range95: "80–115", Change: "较本周上升20%", Above: true},
		{Name: "科尔沁左翼中旗", This: "44", Point: "52", Range80: "41–64", Range95: "36–70", Change: "较本周上升18%"},
		{Name: "开鲁县", This: "30", Point: "40", Range80: "32–49", Range95: "28–54", Change: "较本周上升33%", Above: true},
		{Name: "库伦旗", This: "0", Point: "0", Range80: "0–1", Range95: "0–2", Change: "与本周持平"},
		{Name: "奈曼旗", This: "50", Point: "45", Range80: "37–55", Range95: "33–59", Change: "较本周下降10%"},
	}
	if !slices.Equal(f.Rows, wantRows) {
		t.Errorf("rows\n%+v\nwant\n%+v", f.Rows, wantRows)
	}
	wantTypes := []ForecastRow{
		{Name: "邻里纠纷", This: "98", Point: "101", Range80: "86–117", Range95: "77–127", Change: "较本周上升3%", Category: "neighbor"},
		{Name: "劳资纠纷", This: "76", Point: "89", Range80: "77–100", Range95: "71–107", Change: "较本周上升17%", Above: true, Category: "labor"},
		{Name: "婚姻家庭", This: "56", Point: "50", Range80: "41–59", Range95: "36–65", Change: "较本周下降11%", Category: "family"},
		{Name: "土地承包", This: "30", Point: "30", Range80: "23–37", Range95: "20–41", Change: "与本周基本持平", Category: "land"},
		{Name: "医疗纠纷", This: "4", Point: "5", Range80: "2–9", Range95: "1–11", Change: "较本周上升25%", Category: "medical"},
	}
	if !slices.Equal(f.Types, wantTypes) {
		t.Errorf("types\n%+v\nwant\n%+v", f.Types, wantTypes)
	}
	if !strings.Contains(f.Note, "截至2026年3月8日") || !strings.Contains(f.Note, "下周（3月9日至3月15日）") {
		t.Errorf("note %q does not name the data's last day and next week", f.Note)
	}
	if len(m.Charts) < 2 || m.Charts[1] != f.Chart {
		t.Errorf("the fan chart is not the second chart of the page")
	}
}

func TestForecastFanChart(t *testing.T) {
	m, err := Build(withForecasts(t))
	if err != nil {
		t.Fatal(err)
	}
	c := m.Forecast.Chart
	if c == nil || c.ID != ChartForecast {
		t.Fatalf("fan chart %+v", c)
	}
	var o struct {
		XAxis []struct {
			Data []string `json:"data"`
		} `json:"xAxis"`
		Series []struct {
			Name      string         `json:"name"`
			Stack     string         `json:"stack"`
			Data      []*float64     `json:"data"`
			LineStyle map[string]any `json:"lineStyle"`
			AreaStyle map[string]any `json:"areaStyle"`
		} `json:"series"`
	}
	if err := json.Unmarshal(c.Option, &o); err != nil {
		t.Fatal(err)
	}
	// The x axis: the 3 weeks observed (their first days), then the 4 ahead.
	wantX := []string{"2月16日起", "2月23日起", "3月2日起", "3月9日起", "3月16日起", "3月23日起", "3月30日起"}
	if len(o.XAxis) != 1 || !slices.Equal(o.XAxis[0].Data, wantX) {
		t.Errorf("x axis %+v, want %v", o.XAxis, wantX)
	}
	vals := func(d []*float64) []float64 {
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = -1
			if v != nil {
				out[i] = *v
			}
		}
		return out
	}
	want := map[string][]float64{
		"实际受理":    {280, 264, 312, -1, -1, -1, -1},
		"预测":      {-1, -1, 312, 332, 320, 318, 317},
		"80%区间下限": {-1, -1, -1, 300, 291, 280, 276},
		"80%区间":   {-1, -1, -1, 65, 60, 76, 84},
		"95%区间下限": {-1, -1, -1, 285, 270, 262, 255},
		"95%区间":   {-1, -1, -1, 100, 101, 118, 130},
	}
	seen := 0
	for _, s := range o.Series {
		w, ok := want[s.Name]
		if !ok {
			t.Errorf("unexpected series %q", s.Name)
			continue
		}
		seen++
		if got := vals(s.Data); !slices.Equal(got, w) {
			t.Errorf("%s = %v, want %v", s.Name, got, w)
		}
		switch s.Name {
		case "预测":
			if s.LineStyle["type"] != "dashed" {
				t.Errorf("the forecast line is not dashed: %v", s.LineStyle)
			}
		case "80%区间", "95%区间":
			if s.AreaStyle == nil || s.Stack == "" {
				t.Errorf("%s is not a stacked band: %+v", s.Name, s)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of %d series", seen, len(want))
	}
}

func TestForecastSectionInHTML(t *testing.T) {
	m, err := Build(withForecasts(t))
	if err != nil {
		t.Fatal(err)
	}
	html, err := RenderHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"形势预测", "预计下周通辽市受理332件（80%区间300–365），较本周上升6%。", `id="chart-forecast"`, "<td>科尔沁左翼中旗</td><td class=\"num\">44</td><td class=\"num\">52</td><td class=\"num\">41–64</td>"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Without forecasts the section is left out.
	m, err = Build(cityWeek(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.Forecast != nil {
		t.Errorf("forecast section without forecasts: %+v", m.Forecast)
	}
	html, _ = RenderHTML(m)
	if strings.Contains(string(html), "形势预测") {
		t.Error("HTML has the section 形势预测 without forecasts")
	}
}

// The fan chart is drawn offline in a browser (its canvas has ink).
func TestForecastFanChartInBrowser(t *testing.T) {
	m := build(t, withForecasts(t))
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
	found := false
	for _, c := range ink {
		if c[0] == ChartForecast {
			found = true
			if n, _ := c[1].(float64); n < 2000 {
				t.Errorf("the fan chart has %v drawn pixels; not drawn", c[1])
			}
		}
	}
	if !found {
		t.Errorf("no fan chart among the drawn charts %v", ink)
	}
	for _, r := range b.Requests() {
		if !strings.HasPrefix(r.URL, srv.URL) {
			t.Errorf("the report requested %s", r.URL)
		}
	}
}
