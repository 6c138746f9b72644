package reportgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// apiClient asks the API of the demo store as an admin token.
type apiClient struct {
	url, token string
}

func newAPIClient(t *testing.T, d demoData) apiClient {
	t.Helper()
	ctx := context.Background()
	srv, err := api.New(api.Options{Store: d.st, Regions: d.reg, TokenRate: 1e6, TokenBurst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	tok, id, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(tok), Name: "consistency", Role: api.RoleAdmin,
		Created: time.Now(), Version: 1}); err != nil {
		t.Fatal(err)
	}
	return apiClient{url: hs.URL, token: tok}
}

// rows returns the rows of a table answer.
func (c apiClient) rows(t *testing.T, path string, q url.Values) []map[string]any {
	t.Helper()
	req, _ := http.NewRequest("GET", c.url+path+"?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s?%s: %d %s", path, q.Encode(), resp.StatusCode, b)
	}
	var tab struct {
		Rows      []map[string]any `json:"rows"`
		Truncated bool             `json:"truncated"`
	}
	if err := json.Unmarshal(b, &tab); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if tab.Truncated {
		t.Fatalf("%s?%s: truncated", path, q.Encode())
	}
	return tab.Rows
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func u64(t *testing.T, v any) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(str(v), 10, 64)
	if err != nil {
		t.Fatalf("%v (%T) is not a count: %v", v, v, err)
	}
	return n
}

// cardValue is the value of the overview card whose label starts with l.
func cardValue(t *testing.T, m *reports.Model, l string) string {
	t.Helper()
	for _, c := range m.Overview.Cards {
		if strings.HasPrefix(c.Label, l) {
			return c.Value
		}
	}
	t.Fatalf("no card %q in %+v", l, m.Overview.Cards)
	return ""
}

// sqlMap runs a query returning "key\tvalue" lines on the demo store.
func (d demoData) sqlMap(t *testing.T, q string) map[string]string {
	t.Helper()
	out, err := d.ch.Query(context.Background(), strings.ReplaceAll(q, "DB.", d.st.Database()+"."))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			m[k] = v
		}
	}
	return m
}

// Every section of the weekly city and banner reports shows the figures
// the API answers for the same window and scope, and the rows the jobs
// stored: accepted, resolved and overdue cases, the risk bands, the hot
// spots, the types, the alarms and the supervision lights.
func testReportsAgreeWithAPIAndRows(t *testing.T, d demoData) {
	ctx := context.Background()
	c := newAPIClient(t, d)
	g, err := New(d.st, d.reg, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	end := d.week
	start := schemas.Week.Prev(end)
	day := end.Format(time.DateOnly)
	ts := func(x time.Time) string { return "toDateTime('" + x.Format(time.DateTime) + "', 'Asia/Shanghai')" }
	for _, code := range []string{"150500000000", "150521000000"} {
		t.Run(code, func(t *testing.T) {
			region, _ := d.reg.Lookup(code)
			levelName := map[schemas.Level]string{schemas.LevelCity: "city", schemas.LevelCounty: "county", schemas.LevelTown: "town"}
			child := levelName[region.Level+1]
			in, err := g.Input(ctx, Spec{Region: code, Window: schemas.Week, End: end})
			if err != nil {
				t.Fatal(err)
			}
			m, err := reports.Build(in)
			if err != nil {
				t.Fatal(err)
			}
			name := func(c string) string { r, _ := d.reg.Lookup(c); return r.Name }
			res := url.Values{"window": {"week"}, "region": {code}, "from": {day}, "to": {day}}

			// 一、总体情况: the region's KPI row.
			var kpi map[string]any
			for _, r := range c.rows(t, "/api/kpis", res) {
				if str(r["region_code"]) == code {
					kpi = r
				}
			}
			if kpi == nil {
				t.Fatal("the API has no KPI row of the region")
			}
			stored := d.sqlMap(t, "SELECT 'k', concat(toString(accepted), ' ', toString(resolved), ' ', toString(overdue)) FROM DB.region_kpis FINAL "+
				"WHERE window = 'week' AND window_end = "+ts(end)+" AND region_code = '"+code+"'")
			report := cardValue(t, m, "受理") + " " + cardValue(t, m, "化解") + " " + cardValue(t, m, "超期")
			fromAPI := str(kpi["accepted"]) + " " + str(kpi["resolved"]) + " " + str(kpi["overdue"])
			if report != fromAPI || report != stored["k"] || report == "0 0 0" {
				t.Errorf("accepted resolved overdue: report %q, API %q, region_kpis %q", report, fromAPI, stored["k"])
			}

			// 三、风险指数: each sub-unit's band.
			api := map[string]string{}
			for _, r := range c.rows(t, "/api/risk", url.Values{"window": {"week"}, "region": {code}, "level": {child}, "from": {day}, "to": {day}}) {
				api[name(str(r["region_code"]))] = str(r["band"])
			}
			rows := map[string]string{}
			for k, v := range d.sqlMap(t, "SELECT region_code, band FROM DB.risk_index FINAL WHERE window = 'week' AND window_end = "+ts(end)+
				" AND parent_code = '"+code+"'") {
				rows[name(k)] = v
			}
			if len(m.Risk.Rows) == 0 {
				t.Fatal("the report has no risk ranking")
			}
			for _, r := range m.Risk.Rows {
				if api[r.Name] != r.Band || rows[r.Name] != r.Band {
					t.Errorf("risk band of %s: report %q, API %q, risk_index %q", r.Name, r.Band, api[r.Name], rows[r.Name])
				}
			}
			if len(m.Risk.Rows) != len(api) || len(api) != len(rows) {
				t.Errorf("risk ranking: report %d units, API %d, risk_index %d", len(m.Risk.Rows), len(api), len(rows))
			}

			// 四、热点区域: cases and hot spots of each sub-unit.
			api = map[string]string{}
			for _, r := range c.rows(t, "/api/hotspots", url.Values{"window": {"week"}, "region": {code}, "level": {child}, "from": {day}, "to": {day}}) {
				api[name(str(r["region_code"]))] = str(r["cases"]) + " " + str(r["hot"])
			}
			rows = map[string]string{}
			for k, v := range d.sqlMap(t, "SELECT region_code, concat(toString(cases), ' ', toString(hot)) FROM DB.hotspots FINAL WHERE window = 'week' AND window_end = "+ts(end)+
				" AND parent_code = '"+code+"'") {
				rows[name(k)] = v
			}
			if len(m.Hotspots.Rows) == 0 || len(m.Hotspots.Rows) != len(api) || len(api) != len(rows) {
				t.Errorf("hot spots: report %d units, API %d, hotspots %d", len(m.Hotspots.Rows), len(api), len(rows))
			}
			for _, r := range m.Hotspots.Rows {
				hot := "0"
				if r.Hot {
					hot = "1"
				}
				// A cold spot (-1) is no hot spot in the report.
				got := strconv.FormatUint(r.Cases, 10) + " " + hot
				norm := func(s string) string { return strings.Replace(s, " -1", " 0", 1) }
				if norm(api[r.Name]) != got || norm(rows[r.Name]) != got {
					t.Errorf("hot spot %s: report %q, API %q, hotspots %q", r.Name, got, api[r.Name], rows[r.Name])
				}
			}

			// 五、高发类型: rank and cases of each listed type.
			api = map[string]string{}
			for _, r := range c.rows(t, "/api/types", url.Values{"window": {"week"}, "region": {code}, "level": {levelName[region.Level]}, "from": {day}, "to": {day}}) {
				if str(r["region_code"]) == code {
					api[str(r["rank"])] = str(r["cases"])
				}
			}
			rows = d.sqlMap(t, "SELECT toString(rank), toString(cases) FROM DB.type_ranks FINAL WHERE window = 'week' AND window_end = "+ts(end)+
				" AND region_code = '"+code+"'")
			if len(m.Types.Rows) == 0 {
				t.Fatal("the report has no types")
			}
			for _, r := range m.Types.Rows {
				k, v := strconv.Itoa(r.Rank), strconv.FormatUint(r.Cases, 10)
				if api[k] != v || rows[k] != v {
					t.Errorf("type ranked %d (%s): report %s cases, API %s, type_ranks %s", r.Rank, r.Name, v, api[k], rows[k])
				}
			}

			// 六、预警事项: statistical alarms of the week (each series
			// once) and rule alarms of the cases reported in the week.
			series := map[string]bool{}
			for _, r := range c.rows(t, "/api/alarms/stat", url.Values{"window": {"week"}, "region": {code}, "alarm": {"1"}, "from": {day}, "to": {day}}) {
				series[str(r["region_code"])+"/"+str(r["category"])] = true
			}
			var scope string
			if region.Level == schemas.LevelCounty {
				scope = " AND startsWith(region_code, '" + code[:6] + "')"
			}
			storedStat := d.count(t, "SELECT count() FROM (SELECT region_code, category, argMax(alarm, computed_at) AS a FROM DB.stat_alarms FINAL "+
				"WHERE window = 'week' AND window_end = "+ts(end)+scope+" GROUP BY region_code, category, detector HAVING a = 1 ) ")
			ruleAPI := c.rows(t, "/api/alarms/rule", url.Values{"region": {code}, "from": {start.Format(time.DateOnly)}, "to": {end.AddDate(0, 0, -1).Format(time.DateOnly)}})
			storedRule := d.count(t, "SELECT count() FROM DB.rule_alarms FINAL WHERE reported_at >= "+ts(start)+" AND reported_at < "+ts(end)+scope)
			note := fmt.Sprintf("本期统计预警%d条", len(series))
			if !strings.Contains(m.Alarms.Note+strings.Join(m.Overview.Narrative, ""), note) || uint64(len(series)) != storedStat {
				t.Errorf("stat alarms: API %d series, stat_alarms %d; report %q", len(series), storedStat, m.Alarms.Note)
			}
			note = fmt.Sprintf("规则预警%d条", len(ruleAPI))
			if !strings.Contains(strings.Join(m.Overview.Narrative, ""), note) || uint64(len(ruleAPI)) != storedRule {
				t.Errorf("rule alarms: API %d, rule_alarms %d; report %q", len(ruleAPI), storedRule, m.Overview.Narrative)
			}

			// 七、督办事项: the lights of the newest snapshot at the end.
			var red, yellow, open uint64
			for _, r := range c.rows(t, "/api/supervision/units", url.Values{"region": {code}, "to": {day}}) {
				red += u64(t, r["red"])
				yellow += u64(t, r["yellow"])
				open += u64(t, r["open"])
			}
			var mred, myellow, mopen uint64
			for _, u := range in.Units {
				mred += u.Red
				myellow += u.Yellow
				mopen += u.Open
			}
			county := ""
			if region.Level == schemas.LevelCounty {
				county = " AND county_code = '" + code + "'"
			}
			sc := d.sqlMap(t, "SELECT 's', concat(toString(sum(open)), ' ', toString(sum(red)), ' ', toString(sum(yellow))) "+
				"FROM DB.supervision_units FINAL WHERE window_end = "+ts(end)+county)
			report = fmt.Sprintf("%d %d %d", mopen, mred, myellow)
			if fromAPI := fmt.Sprintf("%d %d %d", open, red, yellow); report != fromAPI || report != sc["s"] || mopen == 0 {
				t.Errorf("supervision open red yellow: report %q, API %q, supervision_units %q", report, fromAPI, sc["s"])
			}
			if want := fmt.Sprintf("督办事项红灯%d件、黄灯%d件", red, yellow); !strings.Contains(strings.Join(m.Overview.Narrative, ""), want) {
				t.Errorf("the narrative lacks %q", want)
			}
		})
	}
}
