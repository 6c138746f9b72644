package jobs

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// coherenceFixture: two counties of three towns each, two category groups,
// every case in a town; the towns' levels and noise differ so that their
// base forecasts do not add up to their county's.
func coherenceFixture() *fakeForecastStore {
	st := &fakeForecastStore{}
	base := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai)
	counties := []string{"150521000000", "150522000000"}
	towns := [][]string{{"150521100000", "150521200000", "150521300000"}, {"150522100000", "150522200000", "150522300000"}}
	for w := 0; w < 80; w++ {
		end := base.AddDate(0, 0, 7*w)
		for ci, cat := range []string{"labor", "land"} {
			for k, county := range counties {
				var sum uint64
				for ti, town := range towns[k] {
					// trend, a yearly wave and a hashed wobble per town.
					v := float64(2+3*ti+ci+4*k) + float64(w*(ti+1))/40 + 2*math.Sin(float64(w+5*ti)/8) + float64((w*7+ti*13+ci*5)%5)
					c := uint64(math.Max(0, math.Round(v)))
					sum += c
					st.fakeCounts = append(st.fakeCounts, store.AlarmCount{Level: 4, Region: town, Category: cat, WindowEnd: end, Count: c})
				}
				st.fakeCounts = append(st.fakeCounts, store.AlarmCount{Level: 3, Region: county, Category: cat, WindowEnd: end, Count: sum})
			}
		}
	}
	return st
}

func TestForecastWeekIsCoherentAcrossLevels(t *testing.T) {
	st := coherenceFixture()
	at := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai).AddDate(0, 0, 7*79)
	if _, err := ForecastJob(st, schemas.Week, DefaultForecastConfig(schemas.Week), time.Now)(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	checkCoherent(t, st.rows)
}

// TestForecastWeekIsCoherentOnClickHouse: the fixture's town counts as cases
// in ClickHouse; forecast_week's stored rows add up across levels.
func TestForecastWeekIsCoherentOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "fccoh")
	var cases []schemas.CaseRow
	for _, c := range coherenceFixture().fakeCounts {
		if c.Level != ForecastTown {
			continue
		}
		day := c.WindowEnd.AddDate(0, 0, -7)
		for i := uint64(0); i < c.Count; i++ {
			id := fmt.Sprintf("%s-%s-%s-%d", c.Region, c.Category, day.Format("20060102"), i)
			cases = append(cases, schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1,
				ReportedAt: day.Add(10 * time.Hour), ReportedDate: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC),
				RegionCode: c.Region, RegionLevel: 4, CityCode: "150500000000", CountyCode: c.Region[:6] + "000000", TownCode: c.Region,
				Category: c.Category, CategoryGroup: c.Category, Parties: 1, Status: schemas.StatusAccepted})
		}
	}
	if err := st.InsertCases(ctx, cases); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai).AddDate(0, 0, 7*79)
	var job func(context.Context, time.Time) (uint64, error)
	for _, j := range ForecastJobs(st, time.Now, Options{}) {
		if j.Name == "forecast_week" {
			job = j.Run
		}
	}
	if _, err := job(ctx, at); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Forecasts(ctx, "week", at)
	if err != nil {
		t.Fatal(err)
	}
	checkCoherent(t, rows)
}

// checkCoherent: for every (category, horizon) the towns' points add up to
// their county's and the counties' to the city's (to 1e-6), and every
// interval holds its point.
func checkCoherent(t *testing.T, rows []store.ForecastRow) {
	t.Helper()
	type key struct {
		cat string
		h   uint8
	}
	city := map[key]float64{}
	county := map[key]map[string]float64{}
	townSum := map[key]map[string]float64{}
	countySum := map[key]float64{}
	for _, r := range rows {
		k := key{r.Category, r.Horizon}
		if !(r.Lower95 <= r.Lower80 && r.Lower80 <= r.Point && r.Point <= r.Upper80 && r.Upper80 <= r.Upper95) {
			t.Errorf("interval does not hold the point: %+v", r)
		}
		switch r.Level {
		case ForecastCity:
			city[k] = r.Point
		case ForecastCounty:
			if county[k] == nil {
				county[k] = map[string]float64{}
			}
			county[k][r.RegionCode] = r.Point
			countySum[k] += r.Point
		case ForecastTown:
			if townSum[k] == nil {
				townSum[k] = map[string]float64{}
			}
			townSum[k][r.RegionCode[:6]+"000000"] += r.Point
		}
	}
	if len(city) != 12 {
		t.Fatalf("%d city forecasts, want 3 categories × 4 horizons", len(city))
	}
	for k, c := range city {
		if math.Abs(c-countySum[k]) > 1e-6 {
			t.Errorf("%v: city %v, counties add up to %v", k, c, countySum[k])
		}
		if len(county[k]) != 2 {
			t.Errorf("%v: %d counties", k, len(county[k]))
		}
		for code, v := range county[k] {
			if s := townSum[k][code]; math.Abs(v-s) > 1e-6 {
				t.Errorf("%v: county %s %v, its towns add up to %v", k, code, v, s)
			}
		}
	}
}
