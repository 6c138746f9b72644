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
