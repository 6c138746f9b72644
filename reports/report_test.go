package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/reports/assets"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func build(t *testing.T, in Input) *Model {
	t.Helper()
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func render(t *testing.T, m *Model) []byte {
	t.Helper()
	b, err := RenderHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %.300s\nwant: %.300s\n(go test ./reports -update rewrites it after a deliberate change)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d", path, len(gl), len(wl))
	}
}

// The narrative's sentences, written out by hand from the fixture's rows.
func TestNarrative(t *testing.T) {
	m := build(t, cityWeek(t))
	want := []string{
		"本周全市受理矛盾纠纷312件，环比上升18.2%（上周264件），同比下降3.1%（去年同期322件）。",
		"化解265件，化解率84.9%；办结250件，办结率80.1%；超期7件；群众满意率90.0%；平均办理3.2天。",
		"科尔沁区受理80件，环比上升60.0%，增幅居旗县市区首位。",
		"风险指数显示，8个旗县市区中红色1个、橙色1个、黄色2个、蓝色2个，其中科尔沁区（红色）、科尔沁左翼中旗（橙色）需重点关注。",
		"本期统计预警1条、规则预警2条；督办事项红灯3件、黄灯5件。总体研判：形势严峻，需高度关注。",
	}
	if !slices.Equal(m.Overview.Narrative, want) {
		t.Errorf("narrative:\n got %q\nwant %q", m.Overview.Narrative, want)
	}
	if m.Title != "通辽市矛盾纠纷风险预警周报" || m.Period != "2026年3月2日至3月8日" || m.IssueNo != "2026年第10期" {
		t.Errorf("title %q, period %q, issue %q", m.Title, m.Period, m.IssueNo)
	}
	// Words, direction and size, never an indicator code.
	wantDriver := "科尔沁区（红色预警，风险指数6.8）：疑难复杂纠纷占比高于同级18.7个百分点（31.2%，同级12.5%）、超期办理率高于同级12.0个百分点（20.0%，同级8.0%）；与上期相比，受理量增幅上升60.0个百分点（60.0%，上期0.0%）。"
	if len(m.Risk.Drivers) != 2 || m.Risk.Drivers[0] != wantDriver {
		t.Errorf("drivers %q,\nwant first %q", m.Risk.Drivers, wantDriver)
	}
	if len(m.Advice) == 0 || m.Advice[0] != "科尔沁区（红色预警）：对疑难复杂纠纷实行领导包案、一案一策，组织多部门联合会商。" {
		t.Errorf("advice %q", m.Advice)
	}
}

// Charts and tables print the same figures from the same rows.
func TestChartsMatchRows(t *testing.T) {
	in := cityWeek(t)
	m := build(t, in)
	ids := []string{}
	for _, c := range m.Charts {
		ids = append(ids, c.ID)
	}
	wantIDs := []string{ChartTrend, ChartRiskMap, ChartRiskRank, ChartRiskRadar, ChartHotspots, ChartTypes, ChartSupervision}
	if !slices.Equal(ids, wantIDs) {
		t.Fatalf("charts %v, want %v", ids, wantIDs)
	}
	var rank struct {
		Series []struct {
			Name string `json:"name"`
			Data []struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal(m.Risk.Rank.Option, &rank); err != nil {
		t.Fatal(err)
	}
	// One series per band in the legend's order; each unit is drawn once,
	// in its band's series, with the table's score. Highest at the top,
	// i.e. last: 科尔沁区 6.8, red.
	var legend []string
	drawn := map[string]float64{}
	for _, s := range rank.Series {
		legend = append(legend, s.Name)
		for _, d := range s.Data {
			if v, ok := d.Value.(float64); ok {
				if _, dup := drawn[d.Name]; dup {
					t.Errorf("%s drawn twice", d.Name)
				}
				drawn[d.Name] = v
			}
		}
	}
	if !slices.Equal(legend, []string{"红色", "橙色", "黄色", "蓝色", "正常"}) {
		t.Errorf("rank legend %v", legend)
	}
	if d := rank.Series[0].Data; len(d) != 8 || d[7].Name != "科尔沁区" || d[7].Value != 6.8 {
		t.Errorf("red series %+v", d)
	}
	for _, r := range m.Risk.Rows {
		if v, ok := drawn[r.Name]; !ok || fmt.Sprint(v) != strings.TrimSuffix(strings.TrimSuffix(r.Score, "0"), ".") {
			t.Errorf("%s: chart %v, table %s", r.Name, v, r.Score)
		}
	}
	if m.Risk.Rows[0].Name != "科尔沁区" || m.Risk.Rows[0].Score != "6.8" {
		t.Errorf("rank table first row %+v", m.Risk.Rows[0])
	}
	// The trend chart sums to the fixture's daily rows: per day 23 + k%3 + k/4.
	var trend struct {
		Series []struct {
			Name string `json:"name"`
			Data []struct {
				Value float64 `json:"value"`
			} `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal(m.Trend.Chart.Option, &trend); err != nil {
		t.Fatal(err)
	}
	var sum float64
	var names []string
	for _, s := range trend.Series {
		names = append(names, s.Name)
		for _, v := range s.Data {
			sum += v.Value
		}
	}
	var want float64
	for k := 0; k < 28; k++ {
		want += float64(23 + k%3 + k/4)
	}
	if sum != want {
		t.Errorf("trend sum %v, want %v", sum, want)
	}
	if !strings.Contains(m.Trend.Note, "合计") || !strings.Contains(m.Trend.Note, "件") {
		t.Errorf("trend note %q", m.Trend.Note)
	}
	// Leaves are stacked under their group: 噪音扰民 counts as 邻里纠纷.
	if !slices.Equal(names, []string{"邻里纠纷", "婚姻家庭", "劳资纠纷"}) {
		t.Errorf("trend series %v", names)
	}
}

func TestGoldenModel(t *testing.T) {
	m := build(t, cityWeek(t))
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "city_week.model.json", append(b, '\n'))
}

// stripECharts replaces the inlined library by a marker so the golden HTML
// stays small.
func stripECharts(t *testing.T, html []byte) []byte {
	t.Helper()
	if bytes.Count(html, assets.EChartsJS) != 1 {
		t.Fatal("the HTML does not inline echarts.min.js exactly once")
	}
	return bytes.Replace(html, assets.EChartsJS, []byte("/* echarts.min.js "+assets.EChartsVersion+" */"), 1)
}

func TestGoldenHTML(t *testing.T) {
	m := build(t, cityWeek(t))
	html := render(t, m)
	again := render(t, build(t, cityWeek(t)))
	if !bytes.Equal(html, again) {
		t.Fatal("two renders of the same input differ")
	}
	golden(t, "city_week.html", stripECharts(t, html))
	for _, h := range []string{"一、总体情况", "二、趋势", "三、风险指数", "四、热点区域", "五、高发类型", "六、预警事项", "七、督办事项", "八、研判建议"} {
		if !bytes.Contains(html, []byte("<h2>"+h+"</h2>")) {
			t.Errorf("section %s missing", h)
		}
	}
	for _, id := range []string{ChartTrend, ChartRiskMap, ChartRiskRank, ChartRiskRadar, ChartHotspots, ChartTypes, ChartSupervision} {
		if !bytes.Contains(html, []byte(`id="`+id+`"`)) {
			t.Errorf("chart element %s missing", id)
		}
	}
}

// A summary, a unit and a detail containing markup render as text, in the
// tables and inside the chart options.
func TestEscaping(t *testing.T) {
	in := cityWeek(t)
	in.RuleAlarms[0].Summary = `讨薪<script>alert("x")</script>`
	in.RuleAlarms[0].Detail = `含极端风险言辞：<b>跳楼</b>`
	in.Units[0].Unit = `</script><img src=x onerror=alert(1)>人社局`
	in.Categories = CategoriesOf(nil)
	in.Types[1].NameZH = `<svg onload=alert(2)>`
	html := render(t, build(t, in))
	for _, bad := range []string{`<script>alert`, `<b>跳楼`, `<img src=x`, `<svg onload`} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("unescaped %q in the HTML", bad)
		}
	}
	for _, good := range []string{`讨薪&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`, `含极端风险言辞：&lt;b&gt;跳楼&lt;/b&gt;`,
		`&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;人社局`, `\u003c/script\u003e\u003cimg src=x onerror=alert(1)\u003e人社局`, `\u003csvg onload=alert(2)\u003e`} {
		if !bytes.Contains(html, []byte(good)) {
			t.Errorf("escaped form %q not found", good)
		}
	}
	// Exactly the two script elements of the template.
	if n := bytes.Count(bytes.ToLower(html), []byte("</script")); n != 2 {
		t.Errorf("%d </script sequences, want 2 (the library and the chart code)", n)
	}
}

// URL-like strings the embedded ECharts carries as identifiers (XML
// namespaces, licence links); none is ever fetched.
var knownIdentifiers = map[string]bool{
	"http://www.apache.org/licenses/LICENSE-2.0":                true,
	"http://www.w3.org/1999/xlink":                              true,
	"http://www.w3.org/2000/svg":                                true,
	"http://www.w3.org/2000/xmlns/":                             true,
	"http://www.w3.org/XML/1998/namespace":                      true,
	"https://github.com/ecomfe/zrender/blob/master/LICENSE.txt": true,
}

func TestNoExternalURL(t *testing.T) {
	html := render(t, build(t, cityWeek(t)))
	for _, u := range regexp.MustCompile(`(?i)(?:https?:|ftp:|wss?:)?//[a-z0-9.-]+\.[a-z]{2,}[^"'\s)<>]*`).FindAll(html, -1) {
		if !knownIdentifiers[string(u)] {
			t.Errorf("external URL %q in the report", u)
		}
	}
	for _, re := range []string{`(?i)\s(?:src|href|action|poster|data)\s*=\s*["']?(?:https?:|ftp:|wss?:|file:|//)`, `(?i)url\(\s*["']?(?:https?:|ftp:|file:|//)`, `(?i)@import`} {
		if m := regexp.MustCompile(re).Find(stripECharts(t, html)); m != nil {
			t.Errorf("reference %q in the report markup", m)
		}
	}
	if !bytes.Contains(html, []byte(`echarts.registerMap("tongliao", {"type":"FeatureCollection"`)) {
		t.Error("the banner polygons are not registered inline")
	}
}

func TestValidate(t *testing.T) {
	for name, f := range map[string]func(*Input){
		"window": func(in *Input) { in.Window = "year" },
		"region": func(in *Input) { in.Region = Region{} },
		"period": func(in *Input) { in.Start = in.End },
		"trend":  func(in *Input) { in.TrendStart = in.End },
	} {
		in := cityWeek(t)
		f(&in)
		if _, err := Build(in); err == nil {
			t.Errorf("%s: Build accepted a bad input", name)
		}
	}
}

// An empty store still gives a complete report that says so.
func TestEmptyInput(t *testing.T) {
	in := cityWeek(t)
	in.KPI, in.ChildKPIs, in.Daily, in.Risk, in.Hotspots, in.Types, in.StatAlarms, in.RuleAlarms, in.Units = nil, nil, nil, nil, nil, nil, nil, nil, nil
	in.RuleAlarmsTotal, in.StatAlarmsTotal = 0, 0
	m := build(t, in)
	html := string(render(t, m))
	for _, s := range []string{"本周全市的统计指标尚未计算", "本期风险指数尚未计算。", "本期无预警事项。", "本期无在办督办事项。", "当前总体平稳"} {
		if !strings.Contains(html, s) {
			t.Errorf("empty report lacks %q", s)
		}
	}
	if len(m.Charts) != 1 || m.Charts[0].ID != ChartTrend {
		t.Errorf("empty report charts %v, want only the (empty) trend", m.Charts)
	}
}

func TestIndex(t *testing.T) {
	in := cityWeek(t)
	var buf bytes.Buffer
	err := RenderIndex(&buf, "预警报告", []IndexEntry{
		{Title: "通辽市矛盾纠纷风险预警周报", Window: Week, Level: 2, RegionCode: "150500000000", RegionName: "通辽市", Start: in.Start, End: in.End,
			Files: map[string]string{"html": "2026-03-08/week/a.html", "pdf": "2026-03-08/week/a.pdf"}},
		{Title: "<x>旗周报", Window: Week, Level: 3, RegionCode: "150521000000", RegionName: "<x>旗", Start: in.Start, End: in.End,
			Files: map[string]string{"html": "b.html"}},
		{Title: "通辽市矛盾纠纷风险预警日报", Window: Day, Level: 2, RegionCode: "150500000000", RegionName: "通辽市", Start: in.End.AddDate(0, 0, 1), End: in.End.AddDate(0, 0, 2),
			Files: map[string]string{"html": "c.html"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	i1, i2, i3 := strings.Index(s, "2026年3月10日"), strings.Index(s, "2026年3月8日"), strings.Index(s, "c.html")
	if i1 < 0 || i2 < 0 || i1 > i2 || i3 > i2 {
		t.Errorf("index not grouped newest first:\n%s", s)
	}
	if !strings.Contains(s, `&lt;x&gt;旗周报`) || strings.Contains(s, "<x>") {
		t.Error("index does not escape titles")
	}
	if !strings.Contains(s, `<a href="2026-03-08/week/a.pdf">PDF</a>`) {
		t.Error("index lacks the PDF link")
	}
}

// A unit without an index is listed in the table with "—" and left out of
// the ranking chart (no 0 bar).
func TestRankChartSkipsMissingIndex(t *testing.T) {
	in := cityWeek(t)
	in.Risk[7].Index, in.Risk[7].Score, in.Risk[7].Band = math.NaN(), math.NaN(), "na"
	m := build(t, in)
	var rank struct {
		Series []struct {
			Data []struct {
				Value any `json:"value"`
			} `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal(m.Risk.Rank.Option, &rank); err != nil {
		t.Fatal(err)
	}
	if len(m.Risk.Rows) != 8 || m.Risk.Rows[7].Score != "—" || m.Risk.Rows[7].BandLabel != "无数据" {
		t.Errorf("table rows %+v", m.Risk.Rows)
	}
	if n := len(rank.Series[0].Data); n != 7 {
		t.Errorf("rank chart has %d bars, want 7", n)
	}
}

// Units with nothing open are neither listed nor counted.
func TestSupervisionSkipsIdleUnits(t *testing.T) {
	in := cityWeek(t)
	in.Units = append(in.Units, Unit{Unit: "空闲单位", County: in.Children[2].Code})
	m := build(t, in)
	if len(m.Supervision.Rows) != 2 || m.Supervision.More != 0 {
		t.Errorf("rows %+v more %d", m.Supervision.Rows, m.Supervision.More)
	}
	if want := "截至2026年3月9日0时，2个责任单位在办18件，其中红灯3件、黄灯5件。"; m.Supervision.Note != want {
		t.Errorf("note %q, want %q", m.Supervision.Note, want)
	}
}

func TestWhole(t *testing.T) {
	for name, want := range map[string]string{"通辽市": "全市", "科尔沁左翼中旗": "全旗", "科尔沁区": "全区", "开鲁县": "全县",
		"舍伯吐镇": "全镇", "敖包苏木": "全苏木", "明仁街道": "全街道", "某地": "全域"} {
		if got := whole(Region{Name: name}); got != want {
			t.Errorf("whole(%s) = %s, want %s", name, got, want)
		}
	}
}

// The totals the store counted, not the rows read, are printed; the
// narrative and the alarms section print the same totals.
func TestAlarmTotals(t *testing.T) {
	in := cityWeek(t)
	in.StatAlarmsTotal = 640 // more than the rows read
	in.RuleAlarmsTotal = 0   // a count that lags the rows read
	m := build(t, in)
	if want := "本期统计预警640条、规则预警2条"; !strings.Contains(strings.Join(m.Overview.Narrative, ""), want) {
		t.Errorf("narrative %q lacks %q", m.Overview.Narrative, want)
	}
	if want := "本期统计预警640条（同类纠纷数量超出历史基线上限），规则预警2条"; !strings.HasPrefix(m.Alarms.Note, want) {
		t.Errorf("alarms note %q, want it to start with %q", m.Alarms.Note, want)
	}
	if want := 640 + 2 - len(m.Alarms.Rows); m.Alarms.More != want {
		t.Errorf("另有 %d, want %d", m.Alarms.More, want)
	}
	if !strings.Contains(m.Alarms.Note, "统计预警按周检测") {
		t.Errorf("alarms note %q does not say which detection windows count", m.Alarms.Note)
	}
	in.StatAlarmWindow = Day
	if m := build(t, in); !strings.Contains(m.Alarms.Note, "统计预警按日检测，计入本期内每一日的检测结果。") {
		t.Errorf("alarms note %q does not state the day rule", m.Alarms.Note)
	}
}

// The supervision snapshot and the risk window printed are the ones the
// rows come from, flagged when they are not the report's own.
func TestSnapshotAndRiskWindowPrinted(t *testing.T) {
	in := cityWeek(t)
	m := build(t, in)
	if want := "截至2026年3月9日0时，"; !strings.HasPrefix(m.Supervision.Note, want) || strings.Contains(m.Supervision.Note, "不同") {
		t.Errorf("supervision note %q, want %q and no flag", m.Supervision.Note, want)
	}
	if want := "按2026年3月2日至3月8日周窗口计算）"; !strings.Contains(m.Risk.Note, want) || strings.Contains(m.Risk.Note, "非本期") {
		t.Errorf("risk note %q, want %q and no flag", m.Risk.Note, want)
	}
	in.SupervisionAt = in.End.AddDate(0, 0, -2).Add(8 * time.Hour)
	in.RiskStart, in.RiskEnd = in.Start.AddDate(0, 0, -7), in.Start
	m = build(t, in)
	if want := "截至2026年3月7日8时，"; !strings.HasPrefix(m.Supervision.Note, want) || !strings.Contains(m.Supervision.Note, "督办快照时间与本期截止时间2026年3月9日0时不同") {
		t.Errorf("supervision note %q, want the snapshot time %q, flagged", m.Supervision.Note, want)
	}
	if want := "按2026年2月23日至3月1日周窗口计算，非本期统计窗口"; !strings.Contains(m.Risk.Note, want) {
		t.Errorf("risk note %q lacks %q", m.Risk.Note, want)
	}
	// A daily report's risk rows are always a week's: flagged.
	in = cityWeek(t)
	in.Window, in.Start = Day, in.End.AddDate(0, 0, -1)
	if m := build(t, in); !strings.Contains(m.Risk.Note, "按2026年3月2日至3月8日周窗口计算，非本期统计窗口") {
		t.Errorf("daily risk note %q", m.Risk.Note)
	}
}
