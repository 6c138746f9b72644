package store_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestForecastsRoundTripAndReplace(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	origin := time.Date(2026, 10, 26, 0, 0, 0, 0, sh)
	row := func(h uint8, point float64, fitted time.Time) store.ForecastRow {
		return store.ForecastRow{Window: "week", Origin: origin, Horizon: h, TargetEnd: origin.AddDate(0, 0, 7*int(h)),
			Level: 3, RegionCode: "150521", Category: "labor", Point: point, Lower80: point - 5, Upper80: point + 6,
			Lower95: point - 9, Upper95: point + 11, Model: "ets_aadn", TrainFrom: origin.AddDate(0, 0, -7*155), TrainTo: origin, FittedAt: fitted}
	}
	t1 := time.Date(2026, 10, 26, 0, 55, 0, 0, time.UTC)
	if err := st.WriteForecasts(ctx, []store.ForecastRow{row(1, 52, t1), row(2, 50, t1)}); err != nil {
		t.Fatal(err)
	}
	// Computed again: the newer rows replace the older ones.
	if err := st.WriteForecasts(ctx, []store.ForecastRow{row(1, 53, t1.Add(time.Hour)), row(2, 51, t1.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Forecasts(ctx, "week", origin)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(got), got)
	}
	if got[0].Point != 53 || got[1].Point != 51 || got[0].Upper95 != 64 || got[1].Horizon != 2 {
		t.Errorf("rows %+v", got)
	}
	if !got[1].TargetEnd.Equal(origin.AddDate(0, 0, 14)) || got[0].Model != "ets_aadn" || !got[0].TrainTo.Equal(origin) {
		t.Errorf("row 0 %+v", got[0])
	}
	if err := st.WriteForecasts(ctx, []store.ForecastRow{{Window: "month"}}); err == nil {
		t.Error("window month accepted")
	}
}

func TestForecastsOfRegionsAndLatestOrigin(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	o1 := time.Date(2026, 10, 19, 0, 0, 0, 0, sh)
	o2 := o1.AddDate(0, 0, 7)
	fitted := time.Date(2026, 10, 27, 0, 0, 0, 0, time.UTC)
	var rows []store.ForecastRow
	for _, o := range []time.Time{o1, o2} {
		for _, code := range []string{"city", "150521000000", "150522000000"} {
			rows = append(rows, store.ForecastRow{Window: "week", Origin: o, Horizon: 1, TargetEnd: o.AddDate(0, 0, 7),
				Level: 3, RegionCode: code, Category: "all", Point: 10, Model: "snaive", TrainFrom: o, TrainTo: o, FittedAt: fitted})
		}
	}
	if err := st.WriteForecasts(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want time.Time
		ok   bool
	}{
		{o1.Add(-time.Hour), time.Time{}, false},
		{o1, o1, true},
		{o2.Add(-time.Hour), o1, true},
		{o2.AddDate(0, 1, 0), o2, true},
	} {
		got, ok, err := st.ForecastLatestOrigin(ctx, "week", c.at)
		if err != nil || ok != c.ok || (ok && !got.Equal(c.want)) {
			t.Errorf("latest origin at %v = %v, %v, %v; want %v, %v", c.at, got, ok, err, c.want, c.ok)
		}
	}
	if _, ok, err := st.ForecastLatestOrigin(ctx, "day", o2); ok || err != nil {
		t.Errorf("a day origin found: %v %v", ok, err)
	}
	got, err := st.ForecastsOf(ctx, "week", o2, []string{"city", "150522000000", "150599000000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].RegionCode != "150522000000" || got[1].RegionCode != "city" || !got[0].Origin.Equal(o2) {
		t.Errorf("forecasts of two regions: %+v", got)
	}
}

func TestForecastThresholdsJoinsTheDetectorsBound(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	o := time.Date(2026, 10, 26, 0, 0, 0, 0, sh)
	fitted := time.Date(2026, 10, 26, 1, 0, 0, 0, time.UTC)
	fc := func(code, cat string, h uint8, origin time.Time, lo float64) store.ForecastRow {
		return store.ForecastRow{Window: "week", Origin: origin, Horizon: h, TargetEnd: origin.AddDate(0, 0, 7*int(h)), Level: 4,
			RegionCode: code, Category: cat, Point: lo + 2, Lower80: lo, Upper80: lo + 4, Lower95: lo - 1, Upper95: lo + 6,
			Model: "snaive", TrainFrom: origin, TrainTo: origin, FittedAt: fitted}
	}
	if err := st.WriteForecasts(ctx, []store.ForecastRow{
		fc("150521100000", "labor", 1, o, 7), fc("150521100000", "labor", 2, o, 70), // horizon 2 is not next week
		fc("150521100000", "land", 1, o, 5), // no threshold: left out
		fc("150521101000", "labor", 1, o, 3),
		fc("150521100000", "labor", 1, o.AddDate(0, 0, -7), 9), // an older origin
	}); err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	sa := func(code, cat, det string, end time.Time, ub float64) store.StatAlarm {
		return store.StatAlarm{Window: "week", WindowEnd: end, Level: 4, RegionCode: code, Category: cat, Detector: det,
			Observed: 4, Expected: 2, UpperBound: ub, ComputedAt: fitted}
	}
	if err := st.WriteStatAlarms(ctx, []store.StatAlarm{
		sa("150521100000", "labor", "ears-c1", o, 6.5), sa("150521100000", "labor", "farrington", o, 5.2), // the lower wins
		sa("150521101000", "labor", "ears-c1", o, nan), sa("150521101000", "labor", "farrington", o, 2.5),
		sa("150521100000", "land", "ears-c1", o.AddDate(0, 0, -7), 1), // another week
	}); err != nil {
		t.Fatal(err)
	}
	got, err := st.WarningForecastThresholds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(got), got)
	}
	if g := got[0]; g.RegionCode != "150521100000" || g.Category != "labor" || g.Lower80 != 7 || g.Threshold != 5.2 || !g.Origin.Equal(o) || !g.TargetEnd.Equal(o.AddDate(0, 0, 7)) {
		t.Errorf("row 0 %+v", g)
	}
	if g := got[1]; g.RegionCode != "150521101000" || g.Threshold != 2.5 || g.Lower80 != 3 {
		t.Errorf("row 1 %+v", g)
	}
}

func TestVillageCountsPerVillageAndGroup(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	const county, town = "150521000000", "150521100000"
	v1, v2 := town[:9]+"001", town[:9]+"002"
	at := func(d int) time.Time { return time.Date(2026, 3, d, 10, 0, 0, 0, shanghai) }
	c := func(id, village, cat, group string, day int) schemas.CaseRow {
		r := reportCase(id, county, town, cat, group, at(day), 1, "")
		r.VillageCode = village
		if village != "" {
			r.RegionCode, r.RegionLevel = village, 5
		}
		return r
	}
	if err := st.InsertCases(ctx, []schemas.CaseRow{
		c("a", v1, "labor.wage_arrears", "labor", 2), c("b", v1, "labor", "labor", 3), c("c", v2, "labor", "labor", 4),
		c("d", v1, "land", "land", 5), c("e", "", "labor", "labor", 5), // no village
		c("f", v2, "labor", "labor", 9), // after the period
	}); err != nil {
		t.Fatal(err)
	}
	got, err := st.VillageCounts(ctx, time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai), time.Date(2026, 3, 9, 0, 0, 0, 0, shanghai))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.VillageCount{{Town: town, Village: v1, Category: "labor", Count: 2}, {Town: town, Village: v1, Category: "land", Count: 1},
		{Town: town, Village: v2, Category: "labor", Count: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("village counts %+v, want %+v", got, want)
	}
}
