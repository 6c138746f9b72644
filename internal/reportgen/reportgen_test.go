package reportgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// demoData is a store with three months of the demo stream (2026-08-01 …
// 10-31) and every index job run for the last complete week (and its
// month), on a fresh database dropped when the test ends.
type demoData struct {
	st   *store.Store
	reg  *schemas.Registry
	week time.Time // end of the week the jobs computed
	ch   *servers.ClickHouse
}

func loadDemo(t *testing.T) demoData {
	t.Helper()
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(t, "reportgen"), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DropDatabase(context.Background()); _ = st.Close() })
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 8, 1, 0, 0, 0, 0, schemas.Shanghai), time.Date(2026, 10, 31, 0, 0, 0, 0, schemas.Shanghai)
	gen, err := demo.New(demo.Options{Seed: 6, Registry: reg, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 10, 31, 23, 59, 59, 0, schemas.Shanghai)
	var rows []schemas.CaseRow
	for i := 0; ; i++ {
		r, ok := gen.Next()
		if !ok {
			break
		}
		b, _ := schemas.MarshalRecord(r)
		row, err := tr.Transform(b, transform.Meta{Topic: "t", Offset: int64(i)}, now)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	week := schemas.Week.Align(now)
	for _, j := range jobs.All(st, reg, func() time.Time { return now }, jobs.Options{}) {
		if _, err := j.Run(ctx, j.Window.Align(week)); err != nil {
			t.Fatalf("job %s: %v", j.Name, err)
		}
	}
	// Weekly forecasts of the city and the banners (towns left out to
	// keep the test short).
	fc := jobs.DefaultForecastConfig(schemas.Week)
	fc.Levels = []int{jobs.ForecastCity, jobs.ForecastCounty}
	if _, err := jobs.ForecastJob(st, schemas.Week, fc, func() time.Time { return now })(ctx, week); err != nil {
		t.Fatalf("forecast job: %v", err)
	}
	return demoData{st: st, reg: reg, week: week, ch: ch}
}

func TestSpecs(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(nil, reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 10, 26, 0, 0, 0, 0, schemas.Shanghai)
	specs := g.Specs(schemas.Week, end, []int{2, 3})
	var codes []string
	for _, s := range specs {
		codes = append(codes, s.Region)
		if s.Window != schemas.Week || !s.End.Equal(end) {
			t.Errorf("spec %+v", s)
		}
	}
	if len(codes) == 0 || codes[0] != "150500000000" {
		t.Fatalf("specs %v: the city comes first", codes)
	}
	for _, want := range []string{"150502000000", "150521000000", "150522000000", "150523000000", "150524000000", "150525000000", "150526000000", "150581000000"} {
		if !strings.Contains(strings.Join(codes, ","), want) {
			t.Errorf("banner %s has no report spec: %v", want, codes)
		}
	}
	if strings.Contains(strings.Join(codes, ","), "150501000000") {
		t.Errorf("市辖区 (no towns) got a report: %v", codes)
	}
	if got := relBase(specs[0]); got != filepath.Join("2026-10-25", "week", "150500000000") {
		t.Errorf("relBase = %q", got)
	}
	for _, bad := range []string{"61 8 * * *", "CRON_TZ=Asia/Shanghai", "0 8 * *"} {
		if _, err := g.Jobs([]Schedule{{Spec: bad, Window: schemas.Day}}); err == nil {
			t.Errorf("Jobs accepted the spec %q", bad)
		}
	}
	js, err := g.Jobs([]Schedule{{Spec: "0 8 * * *", Window: schemas.Day}, {Spec: "30 8 * * 1", Window: schemas.Week}})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 2 || js[0].Name != "reports_day" || js[1].Name != "reports_week" || js[1].Window != schemas.Week || js[1].Spec != "30 8 * * 1" || js[1].CatchUp != 1 ||
		strings.Join(js[1].After, ",") != "kpi_week,supervision_day,types_week,hotspots_week,risk_week,alarms_week,forecast_week,emerging_day,links_day" {
		t.Errorf("report jobs = %+v", js)
	}
	if d := decodeDrivers([]string{"A3|0.31|0.312|0.125", "bad", "C1|x|1|2"}); len(d) != 1 || d[0].Code != "A3" || d[0].Value != 0.312 {
		t.Errorf("decodeDrivers = %+v", d)
	}
}

// The weekly city and banner reports from the demo store: files, index,
// the narrative's count equal to a direct count of the cases, the handler,
// and PNG and PDF through Chromium.
func TestFromDemoStore(t *testing.T) {
	d := loadDemo(t)
	t.Run("input", func(t *testing.T) { testInput(t, d) })
	t.Run("html", func(t *testing.T) { testRenderHTML(t, d) })
	t.Run("pdf and png", func(t *testing.T) { testRenderPDFAndPNG(t, d) })
	t.Run("served under CSP", func(t *testing.T) { testServedInBrowser(t, d) })
	t.Run("day and month", func(t *testing.T) { testDayAndMonth(t, d) })
	t.Run("latest waits for its jobs", func(t *testing.T) { testLatestWaitsForJobs(t, d) })
	t.Run("forecasts", func(t *testing.T) { testForecastSection(t, d) })
	t.Run("agrees with the API and the rows", func(t *testing.T) { testReportsAgreeWithAPIAndRows(t, d) })
	t.Run("monthly ranking bulletin", func(t *testing.T) { testBulletinFromDemo(t, d) })
}

// The latest weekly reports are rendered only once every job they read
// has an ok run for the week in job_runs: never a report saying that a
// scheduled job's figures are not computed.
func testLatestWaitsForJobs(t *testing.T, d demoData) {
	ctx := context.Background()
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir(), WaitForJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	now := d.week.Add(12 * time.Hour)
	record := func(job string, w schemas.Window, status string) {
		t.Helper()
		end := w.Align(d.week)
		if err := d.st.RecordJobRun(ctx, store.JobRun{Job: job, WindowStart: w.Prev(end), WindowEnd: end, Status: status,
			StartedAt: time.Now().Truncate(time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	ensure := func() (time.Time, []Result) {
		t.Helper()
		end, res, err := g.EnsureLatest(ctx, now, []int{2}, []string{HTML}, false)
		if err != nil {
			t.Fatal(err)
		}
		return end, res
	}
	if end, res := ensure(); !end.IsZero() || len(res) != 0 {
		t.Fatalf("no job has run: EnsureLatest rendered %d reports of the week ending %v", len(res), end)
	}
	for _, j := range []struct {
		name string
		w    schemas.Window
	}{{"kpi_week", schemas.Week}, {"supervision_day", schemas.Day}, {"types_week", schemas.Week}, {"hotspots_week", schemas.Week}, {"alarms_week", schemas.Week}, {"emerging_day", schemas.Day}, {"links_day", schemas.Day}} {
		record(j.name, j.w, "ok")
	}
	record("risk_week", schemas.Week, "running")
	if end, res := ensure(); !end.IsZero() || len(res) != 0 {
		t.Fatalf("risk_week still running: EnsureLatest rendered %d reports of the week ending %v", len(res), end)
	}
	missing, err := g.Missing(ctx, schemas.Week, d.week)
	wk := d.week.Format(time.DateOnly)
	if err != nil || strings.Join(missing, ",") != "risk_week@"+wk+",forecast_week@"+wk {
		t.Fatalf("Missing = %v, %v", missing, err)
	}
	time.Sleep(time.Second) // a later started_at wins in job_runs
	record("risk_week", schemas.Week, "ok")
	if end, res := ensure(); !end.IsZero() || len(res) != 0 {
		t.Fatalf("no forecast_week run: EnsureLatest rendered %d reports of the week ending %v", len(res), end)
	}
	record("forecast_week", schemas.Week, "ok")
	end, res := ensure()
	if !end.Equal(d.week) || len(res) != 1 {
		t.Fatalf("every job ok: EnsureLatest rendered %d reports of the week ending %v", len(res), end)
	}
	b, err := os.ReadFile(res[0].Files[HTML])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "尚未计算") {
		t.Errorf("the report says a figure is not computed")
	}
	if got := Reads(schemas.Day); strings.Join(got, ",") != "kpi_day,supervision_day,types_day,hotspots_day,risk_week,alarms_day,emerging_day,links_day" {
		t.Errorf("Reads(day) = %v", got)
	}
}

// count runs a count query on the demo store.
func (d demoData) count(t *testing.T, q string) uint64 {
	t.Helper()
	out, err := d.ch.Query(context.Background(), strings.ReplaceAll(q, "DB.", d.st.Database()+"."))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	return n
}

// The input of a report is read from the same stored rows throughout: the
// trend of the period sums to the KPI's accepted cases even after a case
// changed category; a town sees its own supervision cases; the snapshot,
// risk window and alarm window used are recorded.
func testInput(t *testing.T, d demoData) {
	ctx := context.Background()
	start := schemas.Week.Prev(d.week)
	// A case of the week whose second version changed category (and day):
	// the rollup of every version would count it twice. The KPIs of the
	// week are computed again to include it.
	town := d.reg.Children("150521000000")[0].Code
	at := start.AddDate(0, 0, 2).Add(10 * time.Hour)
	v1 := schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: "TREND-1", Version: 1, Contract: 1, Channel: schemas.ChannelVisit,
		ReportedAt: at, ReportedDate: time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC),
		RegionCode: town, RegionLevel: 4, CityCode: "150500000000", CountyCode: "150521000000", TownCode: town,
		Category: "labor", CategoryGroup: "labor", CategoryRule: "given", Summary: "欠薪", Severity: schemas.SeverityGeneral,
		Parties: 2, Status: schemas.StatusHandling, AssignedUnit: "综治中心", IngestedAt: at, Topic: "disputes"}
	v2 := v1
	v2.Version, v2.Category, v2.CategoryGroup = 2, "family", "family"
	v2.ReportedAt = at.AddDate(0, 0, 1)
	v2.ReportedDate = v1.ReportedDate.AddDate(0, 0, 1)
	if err := d.st.InsertCases(ctx, []schemas.CaseRow{v1, v2}); err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.KPIJob(d.st, d.reg, schemas.Week, time.Now)(ctx, d.week); err != nil {
		t.Fatal(err)
	}
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"150500000000", "150521000000"} {
		in, err := g.Input(ctx, Spec{Region: code, Window: schemas.Week, End: d.week})
		if err != nil {
			t.Fatal(err)
		}
		var sum uint64
		for _, c := range in.Daily {
			if !c.Day.Before(in.Start) && c.Day.Before(in.End) {
				sum += c.Cases
			}
		}
		if in.KPI == nil || in.KPI.Accepted == 0 || sum != in.KPI.Accepted {
			t.Errorf("%s: the trend sums to %d cases over the week, the KPI says %+v", code, sum, in.KPI)
		}
		if !in.RiskEnd.Equal(d.week) || !in.RiskStart.Equal(start) || in.StatAlarmWindow != "week" || in.SupervisionAt.IsZero() {
			t.Errorf("%s: risk window [%v, %v), alarm window %q, supervision at %v", code, in.RiskStart, in.RiskEnd, in.StatAlarmWindow, in.SupervisionAt)
		}
		if in.StatAlarmsTotal < len(in.StatAlarms) {
			t.Errorf("%s: %d stat alarms read of %d", code, len(in.StatAlarms), in.StatAlarmsTotal)
		}
	}

	// A town: its units count only its own lit cases, not the county's.
	snap := "(SELECT max(window_end) FROM DB.supervision_cases)"
	busy := d.count(t, "SELECT town_code FROM DB.supervision_cases FINAL WHERE window_end = "+snap+
		" AND town_code != '' AND status NOT IN ('resolved', 'failed', 'closed') GROUP BY town_code ORDER BY count() DESC, town_code LIMIT 1")
	code := strconv.FormatUint(busy, 10)
	in, err := g.Input(ctx, Spec{Region: code, Window: schemas.Week, End: d.week})
	if err != nil {
		t.Fatal(err)
	}
	want := d.count(t, "SELECT count() FROM DB.supervision_cases FINAL WHERE window_end = "+snap+" AND town_code = '"+code+
		"' AND status NOT IN ('resolved', 'failed', 'closed')")
	var open uint64
	for _, u := range in.Units {
		open += u.Open
	}
	if want == 0 || open != want {
		t.Errorf("town %s: units have %d open cases, the town has %d", code, open, want)
	}

	// A monthly report counts day alarms, each inside the month.
	month := schemas.Month.Align(d.week)
	in, err = g.Input(ctx, Spec{Region: "150500000000", Window: schemas.Month, End: month})
	if err != nil {
		t.Fatal(err)
	}
	if in.StatAlarmWindow != "day" || in.RiskWindow != "month" {
		t.Errorf("month report: alarm window %q, risk window %q", in.StatAlarmWindow, in.RiskWindow)
	}
	for _, a := range in.StatAlarms {
		if !a.WindowEnd.After(in.Start) || a.WindowEnd.After(in.End) {
			t.Errorf("month report lists the alarm of the day ending %v, outside [%v, %v)", a.WindowEnd, in.Start, in.End)
		}
	}
}

// The daily and monthly city reports of the windows the jobs computed.
func testDayAndMonth(t *testing.T, d demoData) {
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	month := schemas.Month.Align(d.week) // 2026-10-01: September
	res, err := g.Render(context.Background(), []Spec{
		{Region: "150500000000", Window: schemas.Day, End: d.week},
		{Region: "150525000000", Window: schemas.Month, End: month},
	}, []string{HTML})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{
		{"通辽市矛盾纠纷风险预警日报", "（2026年10月25日）", "当日全市受理矛盾纠纷", "前一日"},
		{"奈曼旗矛盾纠纷风险预警月报", "（2026年9月）", "本月全旗受理矛盾纠纷", "上月", "逐周受理量"},
	} {
		b, err := os.ReadFile(res[i].Files[HTML])
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q", res[i].Files[HTML], w)
			}
		}
	}
	// A town (level 4) report: its villages are the sub-units.
	town := d.reg.Children("150521000000")[0]
	res, err = g.Render(context.Background(), []Spec{{Region: town.Code, Window: schemas.Week, End: d.week}}, []string{HTML})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(res[0].Files[HTML])
	if err != nil || !strings.Contains(string(b), town.Name+"矛盾纠纷风险预警周报") || !strings.Contains(string(b), "八、研判建议") {
		t.Errorf("town report of %s %s: %v", town.Code, town.Name, err)
	}
	if _, err := g.Input(context.Background(), Spec{Region: "150500000000", Window: schemas.Week, End: d.week.Add(time.Hour)}); err == nil {
		t.Error("an unaligned window end was accepted")
	}
	if _, err := g.Input(context.Background(), Spec{Region: "999", Window: schemas.Week, End: d.week}); err == nil {
		t.Error("an unknown region was accepted")
	}
}

// A report served by the handler, with its Content-Security-Policy, draws
// every chart in the browser and requests nothing but itself.
func testServedInBrowser(t *testing.T, d demoData) {
	if _, err := browser.Path(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Render(context.Background(), []Spec{{Region: "150521000000", Window: schemas.Week, End: d.week}}, []string{HTML}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /reports/", g.Handler("/reports/"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b, err := browser.Start(context.Background(), browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTab()
	url := srv.URL + "/reports/2026-10-25/week/150521000000.html"
	if err := browser.Open(tab, browser.Page{URL: url, Ready: "window.__reportReady === true", Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll(".chart-canvas canvas").length`))
	if err != nil {
		t.Fatal(err)
	}
	want, err := chromedp.Run(tab, chromedp.Evaluate[int](`window.__reportCharts`))
	if err != nil || want < 5 || n != want {
		t.Errorf("%d canvases for %d charts (%v)", n, want, err)
	}
	for _, r := range b.Requests() {
		if r.URL != url {
			t.Errorf("the served report requested %s", r.URL)
		}
	}
}

func testRenderHTML(t *testing.T, d demoData) {
	ctx := context.Background()
	dir := t.TempDir()
	gen := time.Date(2026, 11, 2, 8, 30, 0, 0, schemas.Shanghai)
	g, err := New(d.st, d.reg, Options{Dir: dir, Now: func() time.Time { return gen }})
	if err != nil {
		t.Fatal(err)
	}
	specs := g.Specs(schemas.Week, d.week, []int{2, 3})
	res, err := g.Render(ctx, specs, []string{HTML})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(specs) {
		t.Fatalf("%d reports written, want %d", len(res), len(specs))
	}
	for _, r := range res {
		if r.Size > 2<<20 {
			t.Errorf("%s: HTML %d bytes, over 2 MB", r.Spec.Region, r.Size)
		}
		if !g.Exists(r.Spec) {
			t.Errorf("%s: Exists is false after rendering", r.Spec.Region)
		}
	}

	// The narrative's count is the number of distinct cases reported in
	// the week, counted here straight from the cases table.
	start := schemas.Week.Prev(d.week)
	out, err := d.ch.Query(ctx, "SELECT count() FROM "+d.st.Database()+".cases FINAL WHERE reported_at >= toDateTime('"+
		start.Format("2006-01-02 15:04:05")+"', 'Asia/Shanghai') AND reported_at < toDateTime('"+d.week.Format("2006-01-02 15:04:05")+"', 'Asia/Shanghai')")
	if err != nil {
		t.Fatal(err)
	}
	n := strings.TrimSpace(out)
	if n == "0" {
		t.Fatal("the demo week has no cases")
	}
	city, err := os.ReadFile(res[0].Files[HTML])
	if err != nil {
		t.Fatal(err)
	}
	if want := "本周全市受理矛盾纠纷" + n + "件"; !strings.Contains(string(city), want) {
		t.Errorf("city report lacks %q", want)
	}
	for _, s := range []string{"通辽市矛盾纠纷风险预警周报", "2026年10月19日至10月25日", `id="chart-risk-map"`, `id="chart-trend"`, "科尔沁左翼中旗"} {
		if !strings.Contains(string(city), s) {
			t.Errorf("city report lacks %q", s)
		}
	}

	srv := httptest.NewServer(http.StripPrefix("", g.Handler("/reports/")))
	t.Cleanup(srv.Close)
	get := func(p string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	resp, body := get("/reports/")
	if resp.StatusCode != 200 || strings.Count(body, ">HTML</a>") != len(specs) || !strings.Contains(body, "2026年10月25日") {
		t.Errorf("index: status %d, %d HTML links (want %d)", resp.StatusCode, strings.Count(body, ">HTML</a>"), len(specs))
	}
	resp, body = get("/reports/2026-10-25/week/150521000000.html")
	if resp.StatusCode != 200 || !strings.Contains(body, "科尔沁左翼中旗矛盾纠纷风险预警周报") {
		t.Errorf("banner report: status %d", resp.StatusCode)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if resp, _ := get("/reports/2026-10-25/week/150521000000.json"); resp.StatusCode != 404 {
		t.Errorf("metadata served: %d", resp.StatusCode)
	}
	if resp, _ := get("/reports/../../etc/passwd"); resp.StatusCode == 200 {
		t.Error("path escaped the directory")
	}
}

func testRenderPDFAndPNG(t *testing.T, d demoData) {
	if _, err := exec.LookPath("/usr/bin/chromium"); err != nil && os.Getenv("RISKWATCH_CHROMIUM") == "" {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatal("CI=true requires Chromium")
		}
		t.Skip("no Chromium")
	}
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Render(context.Background(), []Spec{{Region: "150500000000", Window: schemas.Week, End: d.week}}, []string{HTML, PNG, PDF})
	if err != nil {
		t.Fatal(err)
	}
	pdf := res[0].Files[PDF]
	png, err := os.ReadFile(res[0].Files[PNG])
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("PNG: %v", err)
	}
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires pdftotext (poppler-utils, make deps)", err)
		}
		t.Skip("no pdftotext")
	}
	text, err := exec.Command("pdftotext", "-enc", "UTF-8", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(text)), "")
	for _, s := range []string{"通辽市矛盾纠纷风险预警周报", "一、总体情况", "八、研判建议", "本周全市受理矛盾纠纷"} {
		if !strings.Contains(flat, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
	idx, err := os.ReadFile(filepath.Join(g.Dir(), "index.html"))
	if err != nil || !strings.Contains(string(idx), ">PDF</a>") || !strings.Contains(string(idx), ">PNG</a>") {
		t.Errorf("index lacks the PDF/PNG links (%v)", err)
	}
}

// The weekly city report of the demo store has the section 形势预测: the
// forecasts the job stored for the city (as "city") and the banners, this
// week's cases of the city equal to its KPI, and the eight weeks of the
// fan chart; a daily report has none.
func testForecastSection(t *testing.T, d demoData) {
	ctx := context.Background()
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	city := d.reg.Root().Code
	in, err := g.Input(ctx, Spec{Region: city, Window: schemas.Week, End: d.week})
	if err != nil {
		t.Fatal(err)
	}
	f := in.Forecast
	if f == nil || !f.Origin.Equal(d.week) {
		t.Fatalf("forecast input %+v", f)
	}
	stored := d.count(t, "SELECT count() FROM DB.forecasts FINAL WHERE window = 'week' AND level <= 3 AND origin = toDateTime('"+
		d.week.UTC().Format(time.DateTime)+"', 'UTC')")
	if uint64(len(f.Rows)) != stored {
		t.Errorf("%d forecast rows read, %d stored for the city and banners", len(f.Rows), stored)
	}
	var cityNext bool
	banners := map[string]bool{}
	for _, r := range f.Rows {
		if r.Region == city && r.Category == reports.ForecastTotal && r.Horizon == 1 {
			cityNext = true
		}
		if r.Region != city {
			banners[r.Region] = true
		}
	}
	if !cityNext || len(banners) < 8 {
		t.Errorf("city's next week found: %v; banners with forecasts: %d", cityNext, len(banners))
	}
	var this uint64
	weeks := 0
	for _, w := range f.Weeks {
		if w.Region == city && w.Category == reports.ForecastTotal {
			weeks++
			if w.End.Equal(d.week) {
				this = w.Cases
			}
		}
	}
	if in.KPI == nil || this != in.KPI.Accepted || weeks != 8 {
		t.Errorf("city this week %d (KPI %+v), %d weeks counted, want 8", this, in.KPI, weeks)
	}
	m, err := reports.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Forecast == nil || len(m.Forecast.Sentences) == 0 || !strings.HasPrefix(m.Forecast.Sentences[0], "预计下周通辽市受理") {
		t.Errorf("forecast section %+v", m.Forecast)
	}
	day, err := g.Input(ctx, Spec{Region: city, Window: schemas.Day, End: d.week})
	if err != nil {
		t.Fatal(err)
	}
	if day.Forecast != nil {
		t.Errorf("a daily report has forecasts")
	}
	// October's report shows the latest weekly forecasts before its end.
	monthEnd := schemas.Month.Next(schemas.Month.Align(d.week))
	month, err := g.Input(ctx, Spec{Region: city, Window: schemas.Month, End: monthEnd})
	if err != nil {
		t.Fatal(err)
	}
	if month.Forecast == nil || !month.Forecast.Origin.Equal(d.week) {
		t.Errorf("the report of the month ending %v: forecasts %+v, want those made at %v", monthEnd, month.Forecast, d.week)
	}
}
