package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

var forecastsOnce sync.Once

// forecastOrigin is after the fixture's job windows, so that its
// thresholds are only the rows written here.
var forecastOrigin = time.Date(2026, 9, 7, 0, 0, 0, 0, schemas.Shanghai)

// seedForecasts writes a hand-made forecasts table and detector bounds at
// forecastOrigin: the city, 科左中旗 and one of its towns, 科尔沁区.
func seedForecasts(t *testing.T, f *fixture) {
	t.Helper()
	var err error
	forecastsOnce.Do(func() {
		ctx := context.Background()
		o := forecastOrigin
		fitted := time.Date(2026, 9, 7, 1, 0, 0, 0, time.UTC)
		fc := func(level uint8, code, cat string, h uint8, point, lo80 float64) store.ForecastRow {
			return store.ForecastRow{Window: "week", Origin: o, Horizon: h, TargetEnd: o.AddDate(0, 0, 7*int(h)), Level: level, RegionCode: code,
				Category: cat, Point: point, Lower80: lo80, Upper80: point + 5, Lower95: lo80 - 2, Upper95: point + 8, Model: "snaive",
				TrainFrom: o.AddDate(0, 0, -91), TrainTo: o, FittedAt: fitted}
		}
		rows := []store.ForecastRow{
			fc(2, "city", "all", 1, 500, 470), fc(2, "city", "all", 2, 505, 471),
			fc(3, kzzCode, "all", 1, 120, 110), fc(3, kzzCode, "all", 2, 121, 108),
			fc(3, kzzCode, "labor", 1, 30, 25), fc(4, f.town, "labor", 1, 14, 12),
			fc(3, kerqin, "labor", 1, 30, 25),
		}
		if err = f.st.WriteForecasts(ctx, rows); err != nil {
			return
		}
		sa := func(level uint8, code, det string, ub float64) store.StatAlarm {
			return store.StatAlarm{Window: "week", WindowEnd: o, Level: level, RegionCode: code, Category: "labor", Detector: det,
				Observed: 10, Expected: 8, UpperBound: ub, ComputedAt: fitted}
		}
		err = f.st.WriteStatAlarms(ctx, []store.StatAlarm{sa(3, kzzCode, "ears-c1", 22), sa(3, kzzCode, "test", 20),
			sa(4, f.town, "ears-c1", 10), sa(3, kerqin, "ears-c1", 40)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// GET /api/forecasts lists the forecasts within the token's scope, the
// city's under the city's code (only for a scope that takes in the city),
// with category all named 全部类型, and refuses bad parameters naming them.
func TestForecastsEndpoint(t *testing.T) {
	f := setup(t)
	seedForecasts(t, f)
	list := func(label, query string) []map[string]any {
		t.Helper()
		s, b := f.get(t, label, "/api/forecasts?from=2026-09-01&to=2026-09-30&"+query)
		if s != http.StatusOK {
			t.Fatalf("%s %s: %d %s", label, query, s, b)
		}
		var tb table
		if err := json.Unmarshal(b, &tb); err != nil {
			t.Fatal(err)
		}
		return tb.Rows
	}
	keys := func(rows []map[string]any) []string {
		var out []string
		for _, r := range rows {
			out = append(out, fmt.Sprintf("%v|%v|%v", r["region_code"], r["category"], r["horizon"]))
		}
		slices.Sort(out)
		return out
	}
	city := f.reg.Root().Code
	all := list("admin", "latest=1")
	want := []string{city + "|all|1", city + "|all|2", kerqin + "|labor|1", kzzCode + "|all|1", kzzCode + "|all|2", kzzCode + "|labor|1", f.town + "|labor|1"}
	slices.Sort(want)
	if got := keys(all); !slices.Equal(got, want) {
		t.Errorf("admin: %v\nwant %v", got, want)
	}
	for _, r := range all {
		if r["region_code"] == city && (r["category_name"] != "全部类型" || r["point"] == nil || r["lower80"] == nil || r["upper95"] == nil) {
			t.Errorf("city row %v", r)
		}
		// period: the Monday of the week forecast, as the weekly trends
		// name their periods.
		if want := map[any]string{1.0: "2026-09-07", 2.0: "2026-09-14"}[r["horizon"]]; r["period"] != want {
			t.Errorf("row %v: period %v, want %s", r["region_code"], r["period"], want)
		}
	}
	want = []string{kzzCode + "|all|1", kzzCode + "|all|2", kzzCode + "|labor|1", f.town + "|labor|1"}
	if got := keys(list("analyst-kzz", "")); !slices.Equal(got, want) {
		t.Errorf("analyst-kzz: %v\nwant %v", got, want)
	}
	want = []string{kzzCode + "|all|1", kzzCode + "|all|2"}
	if got := keys(list("analyst-kzz", "category=all")); !slices.Equal(got, want) {
		t.Errorf("category=all: %v, want %v", got, want)
	}
	want = []string{city + "|all|2", kzzCode + "|all|2"}
	if got := keys(list("admin", "horizon=2")); !slices.Equal(got, want) {
		t.Errorf("horizon=2: %v, want %v", got, want)
	}
	if got := keys(list("admin", "region="+kzz+"&level=town")); !slices.Equal(got, []string{f.town + "|labor|1"}) {
		t.Errorf("towns of 科左中旗: %v", got)
	}
	for q, param := range map[string]string{
		"window=month": "window", "horizon=0": "horizon", "horizon=x": "horizon", "category=bogus": "category",
		"level=planet": "level", "from=2026-13-01": "from", "nope=1": "nope",
	} {
		s, b := f.get(t, "admin", "/api/forecasts?"+q)
		if s != http.StatusBadRequest || !strings.Contains(string(b), `"param":"`+param+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", q, s, b, param)
		}
	}
	if s, _ := f.get(t, "analyst-kzz", "/api/forecasts?region="+kerqin); s != http.StatusForbidden {
		t.Errorf("a region outside the scope: %d, want 403", s)
	}
}

// GET /api/forecasts/exceeding lists the units whose next week's 80 %
// lower bound exceeds their threshold (the detectors' lowest upper
// bound), largest excess first, within the scope.
func TestForecastsExceedingEndpoint(t *testing.T) {
	f := setup(t)
	seedForecasts(t, f)
	get := func(label, query string) []map[string]any {
		t.Helper()
		s, b := f.get(t, label, "/api/forecasts/exceeding?"+query)
		if s != http.StatusOK {
			t.Fatalf("%s %s: %d %s", label, query, s, b)
		}
		var tb table
		if err := json.Unmarshal(b, &tb); err != nil {
			t.Fatal(err)
		}
		return tb.Rows
	}
	rows := get("admin", "")
	// 科左中旗 labor 25 > 20 (ratio 1.25), its town 12 > 10 (1.2); 科尔沁区
	// 25 < 40 does not exceed.
	if len(rows) != 2 || rows[0]["region_code"] != kzzCode || rows[0]["threshold"] != 20.0 || rows[0]["lower80"] != 25.0 ||
		rows[1]["region_code"] != f.town || rows[1]["threshold"] != 10.0 || rows[0]["category_name"] != "劳资纠纷" {
		t.Errorf("exceeding: %v", rows)
	}
	if rows := get("admin", "factor=1.22"); len(rows) != 1 || rows[0]["region_code"] != kzzCode {
		t.Errorf("factor 1.22: %v", rows)
	}
	if rows := get("analyst-kerqin", ""); len(rows) != 0 {
		t.Errorf("科尔沁区 token sees %v", rows)
	}
	if rows := get("operator-town", ""); len(rows) != 1 || rows[0]["region_code"] != f.town {
		t.Errorf("town token sees %v", rows)
	}
	for q, param := range map[string]string{"factor=0": "factor", "factor=abc": "factor", "category=x": "category", "window=week": "window"} {
		s, b := f.get(t, "admin", "/api/forecasts/exceeding?"+q)
		if s != http.StatusBadRequest || !strings.Contains(string(b), `"param":"`+param+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", q, s, b, param)
		}
	}
}
