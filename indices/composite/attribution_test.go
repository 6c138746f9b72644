package composite_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
)

func scriStructure(t *testing.T) composite.Structure {
	t.Helper()
	s, err := composite.NewStructure([]int{0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, []float64{1, 1, 1}, 0.1, 2.0/3)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAttributionHand(t *testing.T) {
	// One dimension with two equally weighted indicators: x = (4, 6) gives
	// D = 5, ref = (2, 2) gives D = 2; ln R − ln R_ref = ln 2.5 and
	// L(5, 2) = 3/ln 2.5, so attr = (½·2, ½·4)/L = (ln 2.5/3, 2 ln 2.5/3).
	s, err := composite.NewStructure([]int{0, 0}, []float64{1, 1}, []float64{1}, 0.1, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Attribute([]float64{4, 6}, []float64{2, 2})
	if err != nil {
		t.Fatal(err)
	}
	l := math.Log(2.5)
	if math.Abs(a.Terms[0]-l/3) > 1e-15 || math.Abs(a.Terms[1]-2*l/3) > 1e-15 || math.Abs(a.LogRatio-l) > 1e-15 {
		t.Errorf("terms %v log ratio %v, want (%v, %v) and %v", a.Terms, a.LogRatio, l/3, 2*l/3, l)
	}
	if got := composite.LogMean(5, 2); math.Abs(got-3/l) > 1e-15 {
		t.Errorf("L(5, 2) = %v, want %v", got, 3/l)
	}
	if composite.LogMean(3, 3) != 3 {
		t.Error("L(a, a) must be a")
	}
	// Near a = b the series branch must agree with the closed form.
	if a, b := 2.00001, 2.0; math.Abs(composite.LogMean(a, b)-(a-b)/math.Log(a/b)) > 1e-10 {
		t.Errorf("L near equality: %v", composite.LogMean(a, b))
	}
}

func TestAttributionSumsToLogRatio(t *testing.T) {
	s := scriStructure(t)
	rng := rand.New(rand.NewPCG(3, 4))
	vec := func() []float64 {
		v := make([]float64, 11)
		for i := range v {
			v[i] = 10 * rng.Float64()
		}
		return v
	}
	// lnR computes the index independently of Attribute: the spec formula
	// Π max(D_d, 0.1)^(1/3) with D_d the mean of the present indicators.
	lnR := func(x []float64) float64 {
		groups := [][]int{{0, 1, 2, 3, 4}, {5, 6, 7}, {8, 9, 10}}
		var l float64
		for _, g := range groups {
			var sum float64
			n := 0
			for _, i := range g {
				if !math.IsNaN(x[i]) {
					sum += x[i]
					n++
				}
			}
			l += math.Log(math.Max(sum/float64(n), 0.1)) / 3
		}
		return l
	}
	for trial := range 500 {
		x, ref := vec(), vec()
		switch trial % 5 {
		case 1: // a floor binds in the unit
			x[5], x[6], x[7] = 0, 0.1, 0.05
		case 2: // a floor binds in both
			x[8], x[9], x[10] = 0, 0, 0.2
			ref[8], ref[9], ref[10] = 0.1, 0, 0
		case 3: // missing indicators, different in each vector
			x[0], ref[3], x[9] = math.NaN(), math.NaN(), math.NaN()
		case 4: // identical vectors
			copy(ref, x)
		}
		a, err := s.Attribute(x, ref)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for _, v := range a.Terms {
			sum += v
		}
		want := lnR(x) - lnR(ref)
		if math.Abs(sum-want) > 1e-12 || math.Abs(a.LogRatio-want) > 1e-12 {
			t.Fatalf("trial %d: Σ attr %.17g, log ratio %.17g, want %.17g", trial, sum, a.LogRatio, want)
		}
	}
	// An NA dimension (fewer than 2/3 present) cannot be attributed.
	x := vec()
	x[5], x[6] = math.NaN(), math.NaN()
	if _, err := s.Attribute(x, vec()); err == nil {
		t.Error("attribution with an NA dimension must fail")
	}
}

func TestTopPositive(t *testing.T) {
	got := composite.TopPositive([]float64{0.1, -0.5, 0.3, 0.3, 0, 0.05}, 3)
	want := []int{2, 3, 0}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("TopPositive = %v, want %v", got, want)
	}
	if got := composite.TopPositive([]float64{-1, 0}, 3); len(got) != 0 {
		t.Errorf("no positive term: %v", got)
	}
}

func TestBlendAndBound(t *testing.T) {
	// α = 0.5 of equal (0.2 each) and entropy (0, 0.8, 0.05, 0.05, 0.1):
	// (0.1, 0.5, 0.125, 0.125, 0.15). Bounds [0.1, 0.4] (0.5× and 2× of
	// 0.2): 0.5 → 0.4; the other four share 0.6 in proportion
	// 0.1 : 0.125 : 0.125 : 0.15 (sum 0.5) → (0.12, 0.15, 0.15, 0.18).
	b, err := composite.Blend(composite.EqualWeights(5), []float64{0, 0.8, 0.05, 0.05, 0.1}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	w, err := composite.Bound(b, 0.1, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.12, 0.4, 0.15, 0.15, 0.18}
	for i := range want {
		if math.Abs(w[i]-want[i]) > 1e-15 {
			t.Fatalf("bounded %v, want %v", w, want)
		}
	}
	// A second round: (0.01, 0.01, 0.98) in [0.2, 0.5]: 0.98 → 0.5, the
	// rest 0.5 split equally (0.25, 0.25), inside the bounds.
	w, err = composite.Bound([]float64{0.01, 0.01, 0.98}, 0.2, 0.5)
	if err != nil || math.Abs(w[0]-0.25) > 1e-15 || math.Abs(w[2]-0.5) > 1e-15 {
		t.Errorf("bounded %v, %v; want (0.25, 0.25, 0.5)", w, err)
	}
	// (0.05, 0.15, 0.8) in [0.2, 0.5]: 0.05 → 0.2 and 0.8 → 0.5 at once,
	// leaving 0.3 for the middle one.
	w, err = composite.Bound([]float64{0.05, 0.15, 0.8}, 0.2, 0.5)
	if err != nil || math.Abs(w[0]-0.2) > 1e-15 || math.Abs(w[1]-0.3) > 1e-15 || math.Abs(w[2]-0.5) > 1e-15 {
		t.Errorf("bounded %v, %v; want (0.2, 0.3, 0.5)", w, err)
	}
	if _, err := composite.Bound([]float64{1, 1}, 0.6, 1); err == nil {
		t.Error("infeasible bounds must fail")
	}
	if _, err := composite.Blend([]float64{1}, []float64{1}, 1.5); err == nil {
		t.Error("alpha above 1 must fail")
	}
}

func TestNoisyWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	base := []float64{0.5, 0.3, 0.2}
	for range 1000 {
		w := composite.Noisy(base, 0.25, rng)
		var s float64
		for _, v := range w {
			s += v
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("noisy weights sum to %v", s)
		}
		// Each w'_i lies in w_i·[0.75, 1.25] before renormalisation, so the
		// ratio of any two moves by at most 1.25/0.75.
		if r := (w[0] / w[1]) / (base[0] / base[1]); r < 0.75/1.25-1e-12 || r > 1.25/0.75+1e-12 {
			t.Fatalf("ratio moved by %v", r)
		}
	}
	a := composite.Noisy(base, 0.25, rand.New(rand.NewPCG(1, 2)))
	b := composite.Noisy(base, 0.25, rand.New(rand.NewPCG(1, 2)))
	if a[0] != b[0] || a[2] != b[2] {
		t.Error("the same seed must give the same draws")
	}
}

func TestRanksAndStability(t *testing.T) {
	r := composite.Ranks([]float64{3, 5, math.NaN(), 5, 1})
	want := []int{3, 1, 0, 1, 4}
	for i := range want {
		if r[i] != want[i] {
			t.Fatalf("Ranks = %v, want %v", r, want)
		}
	}
	if s := composite.MeanAbsRankShift([]int{1, 2, 3}, []int{3, 2, 1}); math.Abs(s-4.0/3) > 1e-15 {
		t.Errorf("rank shift %v, want 4/3", s)
	}
	B, Y := composite.BandBlue, composite.BandYellow
	st := composite.Stability([]composite.Band{Y, B},
		[][]composite.Band{{Y, B}, {B, B}, {B, B}, {Y, composite.BandNA}, {B, B}},
		[][]int{{1, 2}, {2, 1}, {2, 1}, {1, 0}, {2, 1}}, 0.6)
	// Unit 0: yellow in 2 of 5 → 0.4, unstable; ranks (1, 2, 2, 1, 2).
	// Unit 1: blue in all 4 scenarios that scored it → 1.
	if st[0].Agreement != 0.4 || !st[0].Unstable || st[0].RankMin != 1 || st[0].RankMax != 2 {
		t.Errorf("unit 0: %+v", st[0])
	}
	if st[1].Agreement != 1 || st[1].Unstable || st[1].Scenarios != 4 {
		t.Errorf("unit 1: %+v", st[1])
	}
	// Type-7 percentiles of (1, 1, 2, 2, 2): p5 = 1, p95 = 2.
	if st[0].RankP5 != 1 || st[0].RankP95 != 2 {
		t.Errorf("unit 0 percentiles %v %v", st[0].RankP5, st[0].RankP95)
	}
}
