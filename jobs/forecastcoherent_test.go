package jobs

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// coherenceFixture: two counties of three towns each, two category groups,
// every case in a town; the towns' levels and noise differ so that their
// base forecasts do not add up to their county's.
func coherenceFixture() *fakeForecastStore {
	st := &fakeForecastStore{}
	base := time.Date(2025, 1, 6, 0, 0, 0, 0, schemas.Shanghai)
	counties := []string{"150521", "150522"}
	towns := [][]string{{"150521100", "150521200", "150521300"}, {"150522100", "150522200", "150522300"}}
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
	type key struct {
		cat string
		h   uint8
	}
	city := map[key]float64{}
	county := map[key]map[string]float64{}
	townSum := map[key]map[string]float64{}
	countySum := map[key]float64{}
	for _, r := range st.rows {
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
			townSum[k][r.RegionCode[:6]] += r.Point
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
