package forecast

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.10g, want %.10g (tol %g)", what, got, want, tol)
	}
}

func TestSeasonalNaiveByHand(t *testing.T) {
	// Seasonal differences y[t]-y[t-4] are 4,4,4,4 → σ = 4.
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	f, err := SeasonalNaive(y, 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{5, 6, 7, 8, 5, 6}
	z := 1.2815515655446004
	for i, w := range want {
		near(t, "point", f.Point[i], w, 1e-12)
		sd := 4.0
		if i >= 4 {
			sd = 4 * math.Sqrt2
		}
		near(t, "hi80", f.Hi80[i], w+z*sd, 1e-9)
	}
	// Lower bounds are clipped at 0.
	if f.Lo95[0] != 0 {
		t.Errorf("lo95[0] = %v, want clipped 0", f.Lo95[0])
	}
	// Naive: σ of first differences (all 1), sd = sqrt(h).
	f, _ = SeasonalNaive(y, 1, 4)
	near(t, "naive h=4 hi95", f.Hi95[3], 8+1.959963984540054*2, 1e-9)
}

func TestETSSimpleExponentialSmoothingByHand(t *testing.T) {
	y := []float64{10, 12, 11, 15}
	p := ETSParams{Alpha: 0.5, Level: 10}
	fit, err := ETSWithParams(y, ETSSpec{Trend: 'N'}, p)
	if err != nil {
		t.Fatal(err)
	}
	// l: 10 → 10 → 11 → 11 → 13; one-step forecasts 10, 10, 11, 11.
	wantFitted := []float64{10, 10, 11, 11}
	for i, w := range wantFitted {
		near(t, "fitted", fit.Fitted[i], w, 1e-12)
	}
	// SSE = 0+4+0+16 = 20; k = 2 params (α, l0) → σ² = 20/(4−2) = 10.
	near(t, "sigma2", fit.Sigma2, 10, 1e-12)
	fc := fit.Forecast(3)
	near(t, "point", fc.Point[2], 13, 1e-12)
	// Var h=3: σ²(1 + 2α²) = 10·1.5 = 15.
	near(t, "hi95 h=3", fc.Hi95[2], 13+1.959963984540054*math.Sqrt(15), 1e-9)
}

func TestETSDampedSeasonalForecastByHand(t *testing.T) {
	// No data after the start: the forecast is the state projection.
	spec := ETSSpec{Trend: 'A', Damped: true, Seasonal: true, M: 2}
	p := ETSParams{Alpha: 0.3, Beta: 0.1, Gamma: 0.2, Phi: 0.9, Level: 100, Slope: 2, Season: []float64{5, -5}}
	// y equal to the one-step forecasts keeps the errors at zero.
	// t=1: 100+1.8+(-5)=96.8; l=101.8, b=1.8, season shifts: s=[-5,5].
	// t=2: 101.8+1.62+5=108.42; l=103.42, b=1.62, s=[5,-5].
	y := []float64{96.8, 108.42, 103.42 + 1.458 - 5, 103.42 + 1.458 + 1.3122 + 5}
	fit := spec.result(y, p)
	for i, r := range fit.Resid {
		if math.Abs(r) > 1e-9 {
			t.Fatalf("resid[%d] = %v, want 0", i, r)
		}
	}
	// after 4 steps: l = 103.42+1.458+1.3122 = 106.1902, b = 0.9·1.458 = 1.3122.
	fc := fit.PointUnclipped(2)
	near(t, "h1", fc[0], 106.1902+0.9*1.3122-5, 1e-9)
	near(t, "h2", fc[1], 106.1902+(0.9+0.81)*1.3122+5, 1e-9)
	// Var h=2: σ²(1+c1²), c1 = α+βφ+0 (h=1 is not a multiple of m=2).
	sd := fit.ForecastSD(3)
	c1 := 0.3 + 0.1*0.9
	c2 := 0.3 + 0.1*(0.9+0.81) + 0.2
	near(t, "sd h2", sd[1]*sd[1], fit.Sigma2*(1+c1*c1), 1e-9)
	near(t, "sd h3", sd[2]*sd[2], fit.Sigma2*(1+c1*c1+c2*c2), 1e-9)
}

func TestFitETSImprovesOnStart(t *testing.T) {
	y := make([]float64, 60)
	for i := range y {
		y[i] = 20 + 0.5*float64(i) + 3*math.Sin(float64(i)*1.3)
	}
	spec := ETSSpec{Trend: 'A', Damped: true}
	fit, err := FitETS(y, spec)
	if err != nil {
		t.Fatal(err)
	}
	l0, b0, _ := spec.initStates(y)
	start, _ := ETSWithParams(y, spec, ETSParams{Alpha: 0.2, Beta: 0.02, Phi: 0.98, Level: l0, Slope: b0})
	if fit.LogLik < start.LogLik {
		t.Errorf("fitted loglik %v below the start's %v", fit.LogLik, start.LogLik)
	}
	p := fit.Params
	if p.Alpha < etsLower || p.Alpha > etsUpper || p.Beta > p.Alpha || p.Phi < etsPhiLower || p.Phi > etsPhiUpper {
		t.Errorf("parameters out of bounds: %+v", p)
	}
	// The trend continues: forecasts rise.
	fc := fit.Forecast(4)
	if !(fc.Point[3] > y[len(y)-1]-5) || !(fc.Point[3] > fc.Point[0]) {
		t.Errorf("forecast %v does not continue the trend from %v", fc.Point, y[len(y)-1])
	}
}

func TestCrostonByHand(t *testing.T) {
	y := []float64{0, 3, 0, 0, 6, 0}
	// first non-zero at t=1: z=3, p=2. t=2: q=1→2; t=3: q=3; t=4: z=3+0.5·3=4.5,
	// p=2+0.5·(3−2)=2.5; t=5: no demand. Forecast z/p = 1.8.
	f := intermittentPath(y, Croston, 0.5, 0)
	near(t, "croston", f[6], 1.8, 1e-12)
	f = intermittentPath(y, SBA, 0.5, 0)
	near(t, "sba", f[6], 0.75*1.8, 1e-12)
	// TSB: d0 = 2/6, z = 3 (first non-zero); b = 0.5, a = 0.5.
	f = intermittentPath(y, TSB, 0.5, 0.5)
	d := 2.0 / 6
	z := 3.0
	for _, v := range y {
		if v > 0 {
			d += 0.5 * (1 - d)
			z += 0.5 * (v - z)
		} else {
			d -= 0.5 * d
		}
	}
	near(t, "tsb", f[6], d*z, 1e-12)
	fc, err := Intermittent(y, SBA, 3)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Point[0] <= 0 || fc.Hi95[2] < fc.Hi80[2] || fc.Lo80[0] > fc.Point[0] {
		t.Errorf("bad intermittent forecast %+v", fc)
	}
}

func TestMetricsByHand(t *testing.T) {
	y := []float64{1, 3, 2, 5}
	near(t, "scale m=1", MASEScale(y, 1), (2.0+1+3)/3, 1e-12)
	near(t, "scale m=2", MASEScale(y, 2), (1.0+2)/2, 1e-12)
	near(t, "smape", SMAPE(3, 1), 100, 1e-12)
	near(t, "pinball over", Pinball(5, 3, 0.9), 1.8, 1e-12)
	near(t, "pinball under", Pinball(1, 3, 0.9), 0.2, 1e-12)
	f := Forecast{Point: []float64{4}, Lo80: []float64{3}, Hi80: []float64{5}, Lo95: []float64{2}, Hi95: []float64{6}}
	var s Score
	s.Add(f, 0, 5, 2, 2) // inside both; |e|=1, naive |e|=3
	s.Add(f, 0, 7, 7, 2) // outside both; |e|=3, naive 0
	near(t, "mase", s.MASE(), (0.5+1.5)/2, 1e-12)
	near(t, "ratio", s.MASERatio(), 4.0/3, 1e-12)
	near(t, "cov80", s.Coverage80(), 0.5, 1e-12)
	near(t, "cov95", s.Coverage95(), 0.5, 1e-12)
}

func TestHolidayCalendar(t *testing.T) {
	per := map[int]int{}
	for _, h := range ChinaHolidays {
		per[h.Year]++
		if h.Year < 2027 && !h.Official {
			t.Errorf("%d %s not official", h.Year, h.Key)
		}
	}
	for y := 2019; y <= 2027; y++ {
		if per[y] != 7 {
			t.Errorf("year %d has %d holidays, want 7", y, per[y])
		}
	}
	// Week of Monday 2024-02-12: Spring Festival 2024-02-10..17 covers all
	// 6 days up to Saturday 17th; Sunday 18th is in the week after.
	sh := holidayShares(ChinaHolidays, time.Date(2024, 2, 12, 0, 0, 0, 0, time.UTC), 7)
	near(t, "spring festival share", sh[0], 6.0/7, 1e-12)
	near(t, "after share", sh[1], 1.0/7, 1e-12)
	// National Day week 2024-09-30: Oct 1..6 = 6 days.
	sh = holidayShares(ChinaHolidays, time.Date(2024, 9, 30, 0, 0, 0, 0, time.UTC), 7)
	near(t, "national day share", sh[2], 6.0/7, 1e-12)
}

func TestAutoPrefersModelOverNaiveOnTrend(t *testing.T) {
	y := make([]float64, 80)
	for i := range y {
		y[i] = 30 + float64(i) + float64(i%3)
	}
	c, err := Auto(y, Options{Period: 52, Horizon: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model == "snaive" || c.Model == "ets_ann" {
		t.Errorf("chose %s on a linear trend (validation %v)", c.Model, c.Validation)
	}
	if math.Abs(c.Point[0]-111) > 4 {
		t.Errorf("h=1 forecast %v, want near 111", c.Point[0])
	}
}

func TestQuantileOfNonFiniteMeanDoesNotHang(t *testing.T) {
	// A linear predictor with a huge standard error made the mixture
	// quantile search loop forever on NaN means.
	if q := nbMixQuantile(0.9, -5.5, 42183, 1.4); !math.IsNaN(q) {
		t.Errorf("quantile %v, want NaN", q)
	}
	if q := QNBinom(0.9, math.Inf(1), 2); !math.IsNaN(q) {
		t.Errorf("quantile of an infinite mean %v, want NaN", q)
	}
}

func TestRegressionWithHugeUncertaintyGivesNoForecast(t *testing.T) {
	// se(xᵀβ) = 10 on the log scale: the forecast is NaN, so Auto's
	// finiteness check drops the model.
	g := &GLMForecaster{Fit: &NBGLM{Coef: []float64{1}, Theta: 2, Cov: mat.NewSymDense(1, []float64{100})},
		Cal: Calendar{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), StepDays: 7}, n: 10, keep: []int{0}}
	f := g.Forecast(1)
	if f.finite() || !math.IsNaN(f.Point[0]) {
		t.Errorf("forecast %+v, want NaN", f)
	}
	g.Fit.Cov = mat.NewSymDense(1, []float64{0.01})
	if f := g.Forecast(1); !f.finite() || math.Abs(f.Point[0]-math.E) > 1e-12 {
		t.Errorf("forecast %+v, want mean e", f)
	}
}

func TestCandidatesForSparseSeries(t *testing.T) {
	cal := &Calendar{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), StepDays: 7}
	names := func(zeros float64) map[string]bool {
		m := map[string]bool{}
		for _, c := range Candidates(Options{Period: 52, Horizon: 1, Calendar: cal}, 100, zeros) {
			m[c.Name] = true
		}
		return m
	}
	dense, some, sparse := names(0.1), names(0.4), names(0.6)
	if !dense["nbglm"] || !dense["ets_aadn"] || dense["sba"] {
		t.Errorf("dense series candidates %v", dense)
	}
	if !some["nbglm"] || !some["sba"] || !some["tsb"] {
		t.Errorf("30–50 %% zeros candidates %v", some)
	}
	if sparse["nbglm"] || sparse["ets_aadn"] || !sparse["tsb"] || !sparse["ets_ann"] || !sparse["snaive"] {
		t.Errorf("sparse series candidates %v", sparse)
	}
}
