package jobs

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

type fakeCounts []store.AlarmCount

func (f fakeCounts) AlarmCounts(_ context.Context, levels []uint8, window string, from, to time.Time, _ bool) ([]store.AlarmCount, error) {
	var out []store.AlarmCount
	for _, c := range f {
		if c.WindowEnd.After(from) && !c.WindowEnd.After(to) {
			out = append(out, c)
		}
	}
	return out, nil
}

func TestForecastSeriesZeroFillsAndSumsTheCity(t *testing.T) {
	mon := func(d int) time.Time { return time.Date(2026, 1, 5+7*d, 0, 0, 0, 0, schemas.Shanghai) }
	st := fakeCounts{
		{Level: 3, Region: "150521", Category: "labor", WindowEnd: mon(1), Count: 4},
		{Level: 3, Region: "150521", Category: "labor", WindowEnd: mon(3), Count: 2},
		{Level: 3, Region: "150502", Category: "labor", WindowEnd: mon(3), Count: 5},
		{Level: 4, Region: "150521100", Category: "labor", WindowEnd: mon(3), Count: 2},
	}
	series, start, err := ForecastSeries(context.Background(), st, "week", mon(0), mon(3))
	if err != nil {
		t.Fatal(err)
	}
	if !start.Equal(mon(0)) {
		t.Errorf("start %v, want %v (the first week with a case begins there)", start, mon(0))
	}
	got := map[string][]float64{}
	for _, s := range series {
		got[s.Key] = s.Y
	}
	want := map[string][]float64{
		"2|city|labor":      {4, 0, 7},
		"3|150502|labor":    {0, 0, 5},
		"3|150521|labor":    {4, 0, 2},
		"4|150521100|labor": {0, 0, 2},
	}
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for k, w := range want {
		g := got[k]
		for i := range w {
			if i >= len(g) || g[i] != w[i] {
				t.Errorf("%s = %v, want %v", k, g, w)
				break
			}
		}
	}
}

func TestBacktestForecastsScoresEachOrigin(t *testing.T) {
	var st fakeCounts
	base := time.Date(2024, 1, 8, 0, 0, 0, 0, schemas.Shanghai)
	for w := 0; w < 120; w++ {
		st = append(st, store.AlarmCount{Level: 3, Region: "150521", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*w),
			Count: uint64(20 + w/4 + int(3*math.Sin(float64(w))))})
	}
	from := base.AddDate(0, 0, 7*100)
	res, err := BacktestForecasts(context.Background(), st, ForecastBacktestConfig{Window: "week", From: from, To: from.AddDate(0, 0, 7*9), Horizon: 2})
	if err != nil {
		t.Fatal(err)
	}
	// city and county, h = 1 and 2; origins after weeks 100..109: 10 each.
	if len(res) != 4 {
		t.Fatalf("%d cells, want 4: %+v", len(res), res)
	}
	for _, r := range res {
		if r.Score.N != 10 {
			t.Errorf("level %d h=%d: %d forecasts, want 10", r.Level, r.H, r.Score.N)
		}
	}
}

type fakeForecastStore struct {
	fakeCounts
	rows []store.ForecastRow
}

func (f *fakeForecastStore) WriteForecasts(_ context.Context, rows []store.ForecastRow) error {
	f.rows = append(f.rows, rows...)
	return nil
}

func TestForecastJobWritesEverySeriesAndHorizon(t *testing.T) {
	st := &fakeForecastStore{}
	base := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai)
	for w := 0; w < 80; w++ {
		st.fakeCounts = append(st.fakeCounts,
			store.AlarmCount{Level: 3, Region: "150521", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*w), Count: uint64(30 + w%5)},
			store.AlarmCount{Level: 4, Region: "150521100", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*w), Count: uint64(w % 3)})
	}
	// One town with too little history: one case only.
	st.fakeCounts = append(st.fakeCounts, store.AlarmCount{Level: 4, Region: "150521200", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*70), Count: 1})
	at := base.AddDate(0, 0, 7*79)
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n, err := ForecastJob(st, schemas.Week, DefaultForecastConfig(schemas.Week), func() time.Time { return stamp })(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	// city, county and the one town with history, each for its one
	// category group and its total, 4 horizons each.
	if n != 24 || len(st.rows) != 24 {
		t.Fatalf("%d rows (%d written), want 24", n, len(st.rows))
	}
	totals := map[string]int{}
	for _, r := range st.rows {
		if r.Category == TotalCategory {
			totals[r.RegionCode]++
		}
		if r.RegionCode == "150521200" {
			t.Errorf("forecast written for a series with one case: %+v", r)
		}
		if !r.Origin.Equal(at) || !r.TargetEnd.Equal(at.AddDate(0, 0, 7*int(r.Horizon))) || !r.TrainTo.Equal(at) || !r.TrainFrom.Equal(base) {
			t.Errorf("dates of %+v", r)
		}
		if r.Model == "" || !(r.Lower95 <= r.Lower80 && r.Lower80 <= r.Point && r.Point <= r.Upper80 && r.Upper80 <= r.Upper95) || !r.FittedAt.Equal(stamp) {
			t.Errorf("row %+v", r)
		}
		if r.Level == 3 && (r.Point < 25 || r.Point > 40) {
			t.Errorf("county forecast %v outside the series' range 30–34 by far", r.Point)
		}
	}
	if totals["city"] != 4 || totals["150521"] != 4 || totals["150521100"] != 4 {
		t.Errorf("total forecasts per region %v, want 4 horizons for city, 150521 and 150521100", totals)
	}
}

func TestWithTotalsSumsTheGroupsOfEachRegion(t *testing.T) {
	in := []forecast.Series{
		{Key: "3|150521|labor", Level: 3, Y: []float64{1, 2, 3}},
		{Key: "3|150521|land", Level: 3, Y: []float64{10, 0, 5}},
		{Key: "4|150521100|land", Level: 4, Y: []float64{0, 1, 0}},
	}
	out := withTotals(in)
	want := map[string][]float64{"3|150521|all": {11, 2, 8}, "4|150521100|all": {0, 1, 0}}
	if len(out) != 5 {
		t.Fatalf("%d series, want 5", len(out))
	}
	for _, s := range out[3:] {
		if w, ok := want[s.Key]; !ok || !slices.Equal(w, s.Y) {
			t.Errorf("total %s = %v, want %v", s.Key, s.Y, w)
		}
	}
	if !slices.Equal(in[0].Y, []float64{1, 2, 3}) {
		t.Errorf("input changed: %v", in[0].Y)
	}
}

func TestBacktestReconciledBuildsCityCountyTrees(t *testing.T) {
	var st fakeCounts
	base := time.Date(2024, 1, 8, 0, 0, 0, 0, schemas.Shanghai)
	for w := 0; w < 100; w++ {
		st = append(st,
			store.AlarmCount{Level: 3, Region: "150521", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*w), Count: uint64(20 + w%7)},
			store.AlarmCount{Level: 3, Region: "150502", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*w), Count: uint64(10 + w%3)})
	}
	from := base.AddDate(0, 0, 7*80)
	res, err := BacktestReconciled(context.Background(), st, ForecastBacktestConfig{Window: "week", From: from, To: from.AddDate(0, 0, 7*9), Horizon: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{forecast.ReconBase, forecast.ReconBU, forecast.ReconMinT} {
		// city and county level at h=1: 10 origins, 1 city and 2 counties.
		if len(res[m]) != 2 || res[m][0].Score.N != 10 || res[m][1].Score.N != 20 {
			t.Errorf("%s: %+v", m, res[m])
		}
	}
}

func TestForecastDayJobSkipsTowns(t *testing.T) {
	st := &fakeForecastStore{}
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, schemas.Shanghai)
	for d := 1; d <= 60; d++ {
		st.fakeCounts = append(st.fakeCounts,
			store.AlarmCount{Level: 3, Region: "150521", Category: "labor", WindowEnd: base.AddDate(0, 0, d), Count: uint64(3 + d%4)},
			store.AlarmCount{Level: 4, Region: "150521100", Category: "labor", WindowEnd: base.AddDate(0, 0, d), Count: uint64(1 + d%2)})
	}
	at := base.AddDate(0, 0, 60)
	if _, err := ForecastJob(st, schemas.Day, DefaultForecastConfig(schemas.Day), time.Now)(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	// city and county, group and total, 14 horizons each; no town.
	if len(st.rows) != 56 {
		t.Errorf("%d rows, want 56", len(st.rows))
	}
	for _, r := range st.rows {
		if r.Level == ForecastTown || r.Window != "day" || !r.TargetEnd.Equal(at.AddDate(0, 0, int(r.Horizon))) {
			t.Errorf("row %+v", r)
		}
	}
}

// A village's forecast is its share of its town's cases that name a
// village (per category group, and of all for the total) times the town's
// forecast: the villages add up to their town.
func TestVillageRowsAreSharesOfTheirTown(t *testing.T) {
	o := time.Date(2026, 3, 2, 0, 0, 0, 0, schemas.Shanghai)
	town := func(code, cat string, p, l80, u80, l95, u95 float64) store.ForecastRow {
		return store.ForecastRow{Window: "week", Origin: o, Horizon: 1, Level: ForecastTown, RegionCode: code, Category: cat,
			Point: p, Lower80: l80, Upper80: u80, Lower95: l95, Upper95: u95, Model: "tsb"}
	}
	rows := []store.ForecastRow{
		town("T1", "labor", 10, 6, 14, 4, 17), town("T1", TotalCategory, 24, 18, 30, 15, 34),
		town("T2", "labor", 5, 2, 8, 1, 10), // no village with cases
		{Level: ForecastCounty, RegionCode: "C1", Category: "labor", Point: 50},
	}
	counts := []store.VillageCount{
		{Town: "T1", Village: "V1", Category: "labor", Count: 3}, {Town: "T1", Village: "V2", Category: "labor", Count: 1},
		{Town: "T1", Village: "V1", Category: "land", Count: 2},
	}
	got := villageRows(rows, counts)
	type v struct {
		code, cat             string
		p, l80, u80, l95, u95 float64
	}
	// labor: V1 3/4, V2 1/4; all: V1 5/6, V2 1/6.
	want := []v{
		{"V1", "labor", 7.5, 4.5, 10.5, 3, 12.75}, {"V2", "labor", 2.5, 1.5, 3.5, 1, 4.25},
		{"V1", "all", 20, 15, 25, 12.5, 34.0 * 5 / 6}, {"V2", "all", 4, 3, 5, 2.5, 34.0 / 6},
	}
	if len(got) != len(want) {
		t.Fatalf("%d village rows, want %d: %+v", len(got), len(want), got)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	for i, w := range want {
		g := got[i]
		if g.Level != ForecastVillage || g.RegionCode != w.code || g.Category != w.cat || g.Model != "share:tsb" || !g.Origin.Equal(o) ||
			!near(g.Point, w.p) || !near(g.Lower80, w.l80) || !near(g.Upper80, w.u80) || !near(g.Lower95, w.l95) || !near(g.Upper95, w.u95) {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if s := got[0].Point + got[1].Point; !near(s, 10) {
		t.Errorf("villages' labor forecasts add up to %v, the town's is 10", s)
	}
}

type fakeVillageStore struct {
	fakeForecastStore
	villages []store.VillageCount
	from, to time.Time
}

func (f *fakeVillageStore) VillageCounts(_ context.Context, from, to time.Time) ([]store.VillageCount, error) {
	f.from, f.to = from, to
	return f.villages, nil
}

// The weekly job writes the villages' rows from the counts of the 52 weeks
// before the origin; the daily job (city and counties) none.
func TestForecastJobWritesVillageShares(t *testing.T) {
	st := &fakeVillageStore{villages: []store.VillageCount{{Town: "150521100", Village: "150521100001", Category: "labor", Count: 2}}}
	base := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai)
	for w := 0; w < 80; w++ {
		st.fakeCounts = append(st.fakeCounts, store.AlarmCount{Level: 4, Region: "150521100", Category: "labor", WindowEnd: base.AddDate(0, 0, 7*w), Count: uint64(1 + w%3)})
	}
	at := base.AddDate(0, 0, 7*79)
	if _, err := ForecastJob(st, schemas.Week, DefaultForecastConfig(schemas.Week), time.Now)(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	town := map[string]store.ForecastRow{}
	var villages []store.ForecastRow
	for _, r := range st.rows {
		switch r.Level {
		case ForecastTown:
			town[r.Category+string(rune('0'+r.Horizon))] = r
		case ForecastVillage:
			villages = append(villages, r)
		}
	}
	// labor and all, 4 horizons: the one village has all of its town.
	if len(villages) != 8 {
		t.Fatalf("%d village rows, want 8", len(villages))
	}
	for _, v := range villages {
		tr := town[v.Category+string(rune('0'+v.Horizon))]
		if v.RegionCode != "150521100001" || v.Point != tr.Point || v.Upper95 != tr.Upper95 || v.Model != "share:"+tr.Model {
			t.Errorf("village %+v, town %+v", v, tr)
		}
	}
	if !st.from.Equal(at.AddDate(0, 0, -7*52)) || !st.to.Equal(at) {
		t.Errorf("village counts read over [%v, %v)", st.from, st.to)
	}
	day := &fakeVillageStore{villages: st.villages}
	day.fakeCounts = st.fakeCounts
	if _, err := ForecastJob(day, schemas.Day, DefaultForecastConfig(schemas.Day), time.Now)(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	for _, r := range day.rows {
		if r.Level == ForecastVillage {
			t.Fatalf("the daily job wrote a village row %+v", r)
		}
	}
}

// forecast_day and forecast_week forecast the levels of Options (a town
// series daily only when town is among the day levels), else the default
// ones: city and county daily, every level weekly.
func TestForecastJobsForecastTheConfiguredLevels(t *testing.T) {
	counts := func(w schemas.Window) (*fakeVillageStore, time.Time) {
		st := &fakeVillageStore{villages: []store.VillageCount{{Town: "150521100", Village: "150521100001", Category: "labor", Count: 2}}}
		base, step, n := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai), 7, 80
		if w == schemas.Day {
			step, n = 1, 120
		}
		for i := 0; i < n; i++ {
			end := base.AddDate(0, 0, step*i)
			st.fakeCounts = append(st.fakeCounts,
				store.AlarmCount{Level: 3, Region: "150521", Category: "labor", WindowEnd: end, Count: uint64(3 + i%4)},
				store.AlarmCount{Level: 4, Region: "150521100", Category: "labor", WindowEnd: end, Count: uint64(1 + i%2)})
		}
		return st, base.AddDate(0, 0, step*(n-1))
	}
	for _, c := range []struct {
		job  string
		opts Options
		want string // levels with rows
	}{
		{"forecast_day", Options{}, "2,3"},
		{"forecast_day", Options{ForecastDayLevels: []int{ForecastCounty, ForecastTown}}, "3,4"},
		{"forecast_day", Options{ForecastDayLevels: []int{ForecastCity, ForecastCounty, ForecastTown, ForecastVillage}}, "2,3,4,5"},
		{"forecast_day", Options{ForecastWeekLevels: []int{ForecastTown}}, "2,3"},
		{"forecast_week", Options{}, "2,3,4,5"},
		{"forecast_week", Options{ForecastWeekLevels: []int{ForecastCity, ForecastCounty}}, "2,3"},
		{"forecast_week", Options{ForecastWeekLevels: []int{ForecastCity, ForecastCounty, ForecastTown}}, "2,3,4"},
		{"forecast_week", Options{ForecastDayLevels: []int{ForecastCity}}, "2,3,4,5"},
	} {
		w := schemas.Week
		if c.job == "forecast_day" {
			w = schemas.Day
		}
		st, at := counts(w)
		var run func(context.Context, time.Time) (uint64, error)
		for _, j := range ForecastJobs(st, time.Now, c.opts) {
			if j.Name == c.job {
				run = j.Run
			}
		}
		if run == nil {
			t.Fatalf("no job %s", c.job)
		}
		if _, err := run(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		levels := map[uint8]bool{}
		for _, r := range st.rows {
			levels[r.Level] = true
		}
		var got []string
		for l := uint8(ForecastCity); l <= ForecastVillage; l++ {
			if levels[l] {
				got = append(got, fmt.Sprint(l))
			}
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s with %+v forecast levels %v, want %s", c.job, c.opts, got, c.want)
		}
	}
}
