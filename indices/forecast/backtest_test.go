package forecast

import (
	"math"
	"testing"
	"time"
)

func TestBacktestCountsAndBeatsNaiveOnTrend(t *testing.T) {
	// A county with a trend plus a weekly wiggle and two towns splitting it.
	n := 130
	county := make([]float64, n)
	a, b := make([]float64, n), make([]float64, n)
	for i := range county {
		a[i] = math.Round(20 + 0.3*float64(i) + 3*math.Sin(float64(i)*2.1))
		b[i] = math.Round(10 + 2*math.Cos(float64(i)*1.7))
		county[i] = a[i] + b[i]
	}
	cal := &Calendar{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), StepDays: 7}
	series := []Series{{"c", 3, county}, {"a", 4, a}, {"b", 4, b}, {"empty", 4, make([]float64, n)}}
	o := BacktestOptions{Options: Options{Period: 52, Horizon: 2, Calendar: cal}, First: 100, Last: 127, Every: 3, Workers: 2}
	res := Backtest(series, o)
	if len(res) != 4 {
		t.Fatalf("%d level×horizon scores, want 4: %+v", len(res), res)
	}
	// Origins 100, 103, …, 127 = 10; horizon 2 misses the last (128 is
	// in range, 127+1 = 128 < 130, so all count).
	for _, r := range res {
		wantN := 10
		if r.Level == 4 {
			wantN = 20 // the empty town is never forecast
		}
		if r.Score.N != wantN {
			t.Errorf("level %d h=%d: %d forecasts, want %d", r.Level, r.H, r.Score.N, wantN)
		}
	}
	if res[0].Level != 3 || res[0].H != 1 || res[1].H != 2 || res[2].Level != 4 {
		t.Errorf("scores not sorted by level and horizon: %+v", res)
	}
	if r := res[0].Score.MASERatio(); !(r < 0.8) {
		t.Errorf("county h=1 MASE ratio %v on a trending series, want < 0.8 (models %v)", r, res[0].Models)
	}
}

func TestBacktestHierarchyMethodsOnSameForecasts(t *testing.T) {
	n := 120
	a, b, root := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range root {
		a[i] = math.Round(15 + 0.2*float64(i) + 4*math.Sin(float64(i)*0.9))
		b[i] = math.Round(8 + 3*math.Cos(float64(i)*1.3))
		root[i] = a[i] + b[i]
	}
	tree := Tree{Parent: []int{-1, 0, 0}, Level: []int{3, 4, 4}, Y: [][]float64{root, a, b}}
	o := BacktestOptions{Options: Options{Period: 52, Horizon: 1}, First: 80, Last: 119, Every: 1}
	res := BacktestHierarchy([]Tree{tree}, o)
	for _, m := range []string{ReconBase, ReconBU, ReconMinT, ReconMinTHull, ReconMinTNaiveHull} {
		if len(res[m]) != 2 {
			t.Fatalf("%s: %d cells, want 2 (levels 3 and 4 at h=1)", m, len(res[m]))
		}
		for _, ls := range res[m] {
			if ls.Score.N != 40*map[int]int{3: 1, 4: 2}[ls.Level] {
				t.Errorf("%s level %d: %d forecasts", m, ls.Level, ls.Score.N)
			}
		}
	}
	// At the leaves bottom-up is the base forecast itself.
	if res[ReconBU][1].Score != res[ReconBase][1].Score {
		t.Errorf("leaf scores differ: bottom-up %+v, base %+v", res[ReconBU][1].Score, res[ReconBase][1].Score)
	}
	// At the root bottom-up is the sum of the leaves, not the root's own
	// forecast.
	if res[ReconBU][0].Score == res[ReconBase][0].Score {
		t.Error("root bottom-up scores equal the base scores")
	}
	// MinT starts after minTErrors origins and then differs from bottom-up.
	if res[ReconMinT][0].Score == res[ReconBU][0].Score {
		t.Error("MinT scores equal bottom-up at the root")
	}
	// The hull keeps MinT's points and holds at least the base intervals'
	// outcomes.
	for lv := range 2 {
		hull, mint, base := res[ReconMinTHull][lv].Score, res[ReconMinT][lv].Score, res[ReconBase][lv].Score
		if hull.MASERatio() != mint.MASERatio() || hull.Coverage80() < base.Coverage80() || hull.Coverage95() < base.Coverage95() {
			t.Errorf("level %d: hull %+v, MinT %+v, base %+v", lv, hull, mint, base)
		}
	}
	if res[ReconMinTNaiveHull][0].Score == res[ReconMinTHull][0].Score {
		t.Error("MinT with naive errors scores equal MinT with the base errors")
	}
}

func TestRollingForecastsEachOriginFromItsHistory(t *testing.T) {
	y := make([]float64, 40)
	for i := range y {
		y[i] = float64(10 + i%3)
	}
	y[30] = 50 // a jump seen only by origins after 30 (snaive is naive under a year)
	o := BacktestOptions{Options: Options{Period: 52, Horizon: 1, Candidates: []string{"snaive"}}, First: 28, Last: 35, Every: 2, MinNonZero: 3}
	got := Rolling(y, o)
	if len(got) != 4 {
		t.Fatalf("%d forecasts, want 4 (origins 28, 30, 32, 34)", len(got))
	}
	for i, want := range []float64{y[27], y[29], y[31], y[33]} {
		if got[i].Origin != 28+2*i || got[i].Forecast.Point[0] != want {
			t.Errorf("origin %d: point %v, want the last value before it %v", got[i].Origin, got[i].Forecast.Point, want)
		}
	}
	if got := Rolling([]float64{0, 0, 1, 0, 0, 0}, BacktestOptions{Options: Options{Period: 52, Horizon: 1}, First: 3, Last: 5, MinNonZero: 3}); len(got) != 0 {
		t.Errorf("a series with one non-zero period forecast: %+v", got)
	}
}
