package alarm

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestDetectMatchesDetectors checks that Detect with DefaultParams gives the
// same points as the detector functions with their defaults, and the
// reference values through the generic entry point (EARS C1 on S. Agona).
func TestDetectMatchesDetectors(t *testing.T) {
	obs := agona(t)
	ref := readRef(t, "ew_surveillance_earsC_default_agona.csv")
	p, err := DefaultParams(MethodEARSC1)
	if err != nil {
		t.Fatal(err)
	}
	p.RangeStart = 261
	pts, err := Detect(MethodEARSC1, obs, p)
	if err != nil {
		t.Fatal(err)
	}
	var st compareStats
	for i, pt := range pts {
		st.checkValue(t, "ears-c1 via Detect", pt.T, pt.UpperBound, ref.col(t, "ub_C1")[i], 1e-6)
	}

	for _, method := range Methods {
		t.Run(method, func(t *testing.T) {
			p, err := DefaultParams(method)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Detect(method, obs, p)
			if err != nil {
				t.Fatal(err)
			}
			var want []Point
			switch method {
			case MethodEARSC1, MethodEARSC2, MethodEARSC3:
				m, _ := earsMethodName(method)
				want, err = EARS(obs, EARSOptions{Method: m})
			case MethodCUSUM:
				want, err = CUSUM(obs, DefaultCUSUMOptions())
			case MethodFarringtonFlexible:
				want, err = FarringtonFlexible(obs, DefaultFarringtonFlexibleOptions())
			case MethodFarrington:
				want, err = FarringtonLegacy(obs, DefaultFarringtonLegacyOptions())
			case MethodGLRNB:
				want, err = GLRNB(obs, DefaultGLRNBOptions())
			case MethodBayes:
				want, err = Bayes(obs, Bayes1Options())
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(got) == 0 {
				t.Fatalf("Detect gave %d points, the detector %d", len(got), len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				if g.T != w.T || g.Alarm != w.Alarm || !(g.UpperBound == w.UpperBound || math.IsNaN(g.UpperBound) && math.IsNaN(w.UpperBound)) {
					t.Fatalf("point %d: Detect %+v, detector %+v", i, g, w)
				}
			}
		})
	}
}

// TestDetectErrors checks that bad methods, parameters and short series
// give errors that say why.
func TestDetectErrors(t *testing.T) {
	short := make([]float64, 20)
	for _, tc := range []struct {
		method string
		mod    func(*Params)
		obs    []float64
		want   error
		msg    string
	}{
		{MethodEARSC1, nil, short[:5], ErrTooShort, "baseline 7 needs at least 8"},
		{MethodEARSC3, func(p *Params) { p.RangeStart = 9 }, short, ErrTooShort, "too short"},
		{MethodFarringtonFlexible, nil, short, ErrTooShort, "b=5 years of freq=52"},
		{MethodFarringtonFlexible, func(p *Params) { p.RangeStart = 10 }, short, ErrTooShort, "reference time points"},
		{MethodCUSUM, func(p *Params) { p.RangeStart = 1 }, short, ErrTooShort, "m is estimated"},
		{MethodCUSUM, nil, short, ErrTooShort, "first monitored t is 53"},
		{MethodGLRNB, nil, short, ErrTooShort, "one season"},
		{MethodBayes, func(p *Params) { p.RangeStart = 3 }, short, ErrTooShort, "too short"},
		{MethodEARSC1, func(p *Params) { p.Baseline = 2 }, short, ErrInvalidParam, "minimum baseline"},
		{MethodFarringtonFlexible, func(p *Params) { p.PowerTrans = "2/88" }, make([]float64, 300), ErrInvalidParam, "proper exponent"},
		{MethodFarringtonFlexible, func(p *Params) { p.Limit54 = [2]int{5, 0} }, make([]float64, 300), ErrInvalidParam, "limit54"},
		{MethodGLRNB, func(p *Params) { p.Mu0 = make([]float64, 20) }, short, ErrInvalidParam, "alpha must be given"},
		{MethodEARSC1, nil, []float64{1, 2, -1, 4, 5, 6, 7, 8, 9}, ErrInvalidData, "t=3"},
		{MethodCUSUM, nil, []float64{1, math.NaN()}, ErrInvalidData, "t=2"},
		{"ears-c4", nil, short, ErrInvalidParam, "unknown method"},
	} {
		p, err := DefaultParams(tc.method)
		if err != nil {
			p, _ = DefaultParams(MethodEARSC1)
		}
		if tc.mod != nil {
			tc.mod(&p)
		}
		_, err = Detect(tc.method, tc.obs, p)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %v containing %q", tc.method, err, tc.want, tc.msg)
		}
	}
}

// TestSingularAndDegenerate checks that designs the GLM cannot fit and
// degenerate series give undefined bounds instead of panics or errors.
func TestSingularAndDegenerate(t *testing.T) {
	// All zeros: the 5-in-4 rule leaves every Farrington bound undefined.
	zeros := make([]float64, 300)
	pts, err := FarringtonFlexible(zeros, DefaultFarringtonFlexibleOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.HasUpperBound() || p.Alarm {
			t.Fatalf("all zeros: t=%d has bound %v alarm %v", p.T, p.UpperBound, p.Alarm)
		}
	}
	// A design with more columns than rows (freq 4, w 0, b 1, 4 seasonal
	// levels: 4 observations for intercept, trend and 3 dummies) is
	// singular: no bound, no alarm.
	o := DefaultFarringtonFlexibleOptions()
	o.Freq, o.B, o.W, o.NoPeriods, o.PastWeeksNotIncluded, o.Limit54 = 4, 1, 0, 4, 0, [2]int{0, 4}
	series := []float64{1, 3, 2, 5, 4, 6, 2, 3, 7, 1}
	pts, err = FarringtonFlexible(series, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) == 0 {
		t.Fatal("no points")
	}
	for _, p := range pts {
		if p.HasUpperBound() || p.Alarm {
			t.Fatalf("singular design: t=%d has bound %v alarm %v", p.T, p.UpperBound, p.Alarm)
		}
	}
	// The IRLS itself reports aliased columns.
	var w glmWork
	x := []float64{1, 2, 1, 3, 1, 4, 1, 5}   // two columns …
	dup := []float64{1, 1, 1, 1, 1, 1, 1, 1} // … and two identical ones
	y := []float64{1, 2, 3, 4}
	if _, err := w.fit(&glmProblem{n: 4, p: 2, x: x, y: y}); err != nil {
		t.Fatalf("full-rank fit: %v", err)
	}
	if _, err := w.fit(&glmProblem{n: 4, p: 2, x: dup, y: y}); !errors.Is(err, errSingular) {
		t.Fatalf("aliased columns: error %v, want errSingular", err)
	}
	// EARS C3 on a flat stretch: zero sd gives 0·∞ and an undefined bound,
	// as in R.
	flat := []float64{2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}
	pts, err = EARS(flat, EARSOptions{Method: "C3"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.HasUpperBound() || p.Alarm {
			t.Fatalf("flat C3: t=%d has bound %v alarm %v", p.T, p.UpperBound, p.Alarm)
		}
	}
	// CUSUM with a history of zeros (m = 0) computes as algo.cusum does in
	// IEEE arithmetic, not an error: z = x/√0 is +Inf for a positive count,
	// so C_t = +Inf ≥ h alarms with the bound ceiling(√0·(h+k−0)+0) = 0; a
	// zero count gives z = 0/0 = NaN, C_t NaN from there on, no alarm and a
	// bound of 0.
	quiet := append(make([]float64, 60), 3, 0, 5)
	opt := DefaultCUSUMOptions()
	opt.RangeStart = 61
	pts, err = CUSUM(quiet, opt)
	if err != nil {
		t.Fatalf("cusum with m = 0: %v", err)
	}
	if len(pts) != 3 {
		t.Fatalf("cusum with m = 0: %d points, want 3", len(pts))
	}
	for i, want := range []struct {
		alarm bool
		ub    float64
	}{{true, 0}, {false, 0}, {false, 0}} {
		if p := pts[i]; p.Alarm != want.alarm || p.UpperBound != want.ub || p.Expected != 0 {
			t.Errorf("cusum with m = 0, t=%d (x=%v): alarm %v bound %v expected %v; want alarm %v bound %v expected 0",
				p.T, p.Observed, p.Alarm, p.UpperBound, p.Expected, want.alarm, want.ub)
		}
	}
	if _, err := CUSUM([]float64{1, 2, 3}, CUSUMOptions{K: 1, H: 2, M: -1, Freq: 52, Trans: "standard"}); !errors.Is(err, ErrInvalidParam) {
		t.Fatalf("cusum with m < 0: error %v", err)
	}
}
