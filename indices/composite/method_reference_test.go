package composite_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
)

// methodRef mirrors riskidx_composite_method_reference.json.
type methodRef struct {
	EntropyA struct {
		Cases []struct {
			Name  string      `json:"name"`
			X     [][]float64 `json:"X"`
			W4    []float64   `json:"expected_w_4dp"`
			W6    []float64   `json:"expected_w_6dp"`
			Types []int       `json:"types"`
		} `json:"cases"`
	} `json:"entropy_weights_raw_proportion_variant"`
	EntropyB struct {
		Cases []struct {
			Name string      `json:"name"`
			X    [][]float64 `json:"X"`
			W4   []float64   `json:"computed_w_4dp"`
			E6   []float64   `json:"computed_e_6dp"`
		} `json:"cases"`
	} `json:"entropy_weights_minmax_variant_CN"`
	Topsis struct {
		Case struct {
			X       [][]float64 `json:"X"`
			Types   []int       `json:"types"`
			W       []float64   `json:"w"`
			MinMax  []float64   `json:"expected_C_minmax_normalisation_3dp"`
			Vector4 []float64   `json:"computed_C_vector_normalisation_4dp"`
		} `json:"case"`
	} `json:"topsis"`
	// coinr_checks has keys with commas ("orm[2,1]"), which struct tags
	// cannot name; it is decoded by key in loadMethodRef.
	COINrRaw map[string]json.RawMessage `json:"coinr_checks"`
	COINr    coinrChecks                `json:"-"`
	AHP      struct {
		Matrix    [][]float64        `json:"matrix"`
		W         []float64          `json:"computed_w"`
		LambdaMax float64            `json:"lambda_max"`
		CI        float64            `json:"CI"`
		RI3       float64            `json:"RI_n3"`
		CR        float64            `json:"CR"`
		RITable   map[string]float64 `json:"RI_table_Saaty"`
	} `json:"ahp"`
	Inform struct {
		GeoArith struct {
			HE, V, LCC float64
			Geometric  float64 `json:"geometric"`
			Arithmetic float64 `json:"arithmetic"`
		} `json:"geometric_vs_arithmetic"`
		Inverted struct {
			X          []float64 `json:"x"`
			Arithmetic float64   `json:"arithmetic"`
			Value      float64   `json:"value"`
		} `json:"inverted_geometric_10_minus_gmean(10-x)"`
	} `json:"inform_style"`
}

type coinrChecks struct {
	MinMax struct {
		Min, Max float64
	}
	ZScore struct {
		Mean, SD float64
	}
	Dist2Targ []struct {
		X         []float64 `json:"x"`
		Targ      float64   `json:"targ"`
		Direction int       `json:"direction"`
		Cap       bool      `json:"cap"`
		Y         []float64 `json:"y"`
	}
	Goalposts []struct {
		X   float64 `json:"x"`
		Dir int     `json:"dir"`
		Y   float64 `json:"y"`
	}
	GMean struct {
		X    []float64 `json:"x"`
		Y    float64   `json:"y"`
		YW   float64   `json:"y_w112"`
		Zero string    `json:"zero_or_negative"`
	}
	HMean struct {
		X, W []float64
		Y    float64
	}
	GenMean struct {
		X []float64
		Y float64
	}
	Outranking struct {
		Cols          map[string][]float64
		O21, O31, O41 float64
		Copeland      []float64
	}
	SK1 struct {
		Skew, Kurt float64
		After      struct{ Skew, Kurt float64 } `json:"after_1_winsor_step(100->10)"`
	}
	SK2 struct {
		Skew, Kurt float64
		After      struct {
			Skew, Kurt float64
			Passes     bool
		} `json:"after_1_winsor_step"`
	}
	Sobol1, Sobol2 struct {
		Si []float64 `json:"analytic_Si"`
	}
}

func loadMethodRef(t *testing.T) methodRef {
	t.Helper()
	var m methodRef
	readJSON(t, "riskidx_composite_method_reference.json", &m)
	get := func(key string, v any) {
		t.Helper()
		raw, ok := m.COINrRaw[key]
		if !ok {
			t.Fatalf("coinr_checks has no %q", key)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("coinr_checks %q: %v", key, err)
		}
	}
	c := &m.COINr
	get("n_minmax_1to10_to_[2,7]", &c.MinMax)
	get("n_zscore_1to10_m_sd_(5,2)", &c.ZScore)
	get("n_dist2targ", &c.Dist2Targ)
	get("n_goalposts_(l=0,u=10,scale=1)", &c.Goalposts)
	get("a_gmean", &c.GMean)
	get("a_hmean", &c.HMean)
	get("a_genmean_p1", &c.GenMean)
	var orm map[string]json.RawMessage
	get("outranking", &orm)
	for key, dst := range map[string]any{"X_cols": &c.Outranking.Cols, "orm[2,1]": &c.Outranking.O21, "orm[3,1]": &c.Outranking.O31,
		"orm[4,1]": &c.Outranking.O41, "copeland_scores_computed": &c.Outranking.Copeland} {
		if err := json.Unmarshal(orm[key], dst); err != nil {
			t.Fatalf("outranking %q: %v", key, err)
		}
	}
	get("skew_kurt_c(1:10,100)", &c.SK1)
	get("skew_kurt_c(1:20,100,200)", &c.SK2)
	get("sobol_test_function_y=x1+10x2 (x3 unused), U(0,1)", &c.Sobol1)
	get("sobol_test_function_y=x1+2x2+3x3", &c.Sobol2)
	if c.SK1.Skew == 0 || c.SK1.After.Skew == 0 || c.SK2.After.Kurt == 0 || c.Outranking.O21 == 0 || len(c.Goalposts) == 0 {
		t.Fatalf("coinr_checks decoded incompletely: %+v", *c)
	}
	return m
}

// dp returns the tolerance of a value printed with d decimals.
func dp(d int) float64 { return 0.5*math.Pow(10, -float64(d)) + 1e-12 }

func TestEntropyRawProportionReference(t *testing.T) {
	m := loadMethodRef(t)
	if len(m.EntropyA.Cases) != 3 {
		t.Fatalf("%d cases, want 3", len(m.EntropyA.Cases))
	}
	k := newTracker(t, "entropy variant (a)")
	for _, c := range m.EntropyA.Cases {
		r, err := composite.EntropyWeights(c.X, composite.EntropyRawProportion, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		want, tol := c.W4, dp(4)
		if c.W6 != nil {
			want, tol = c.W6, dp(6)
		}
		for j, w := range want {
			k.CheckTol(c.Name, r.Weights[j], w, tol)
		}
	}
	// Xu's entropies, printed to 6 decimals in RISK_INDEX.md §3.1.
	r, _ := composite.EntropyWeights(m.EntropyA.Cases[0].X, composite.EntropyRawProportion, nil, 0)
	for j, e := range []float64{0.887204, 0.902736, 0.966416, 0.999999} {
		k.CheckTol("Xu e", r.E[j], e, dp(6))
	}
	k.Done(3)
}

func TestEntropyMinMaxReference(t *testing.T) {
	m := loadMethodRef(t)
	cases := m.EntropyB.Cases
	if len(cases) != 3 {
		t.Fatalf("%d cases, want 3", len(cases))
	}
	xu := cases[0].X
	zav := m.EntropyA.Cases[1]
	k := newTracker(t, "entropy variant (b)")
	run := func(name string, x [][]float64, dirs []int, shift float64, want []float64) composite.EntropyResult {
		r, err := composite.EntropyWeights(x, composite.EntropyMinMax, dirs, shift)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for j, w := range want {
			k.CheckTol(name, r.Weights[j], w, dp(4))
		}
		return r
	}
	r := run(cases[0].Name, xu, nil, 0, cases[0].W4)
	for j, e := range cases[0].E6 {
		k.CheckTol("Xu e", r.E[j], e, dp(6))
	}
	run(cases[1].Name, xu, nil, 0.0001, cases[1].W4)
	run(cases[2].Name, zav.X, zav.Types, 0, cases[2].W4)
	k.Done(3)
}

func TestEntropyHand(t *testing.T) {
	// X = [[1, 1], [1, 0], [2, 1]].
	// (a): column 1 p = (¼, ¼, ½): −Σp ln p = 1.5 ln 2, e1 = 1.5 ln 2/ln 3;
	//      column 2 p = (½, 0, ½): e2 = ln 2/ln 3 (0 ln 0 = 0).
	// (b): column 1 → (0, 0, 1): e1 = 0; column 2 → (1, 0, 1): e2 = ln 2/ln 3.
	x := [][]float64{{1, 1}, {1, 0}, {2, 1}}
	l := math.Ln2 / math.Log(3)
	tests := []struct {
		v      composite.EntropyVariant
		e1, e2 float64
	}{
		{composite.EntropyRawProportion, 1.5 * l, l},
		{composite.EntropyMinMax, 0, l},
	}
	for _, tc := range tests {
		r, err := composite.EntropyWeights(x, tc.v, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		d1, d2 := 1-tc.e1, 1-tc.e2
		want := []float64{d1 / (d1 + d2), d2 / (d1 + d2)}
		for j := range want {
			if math.Abs(r.Weights[j]-want[j]) > 1e-15 || math.Abs(r.E[j]-[]float64{tc.e1, tc.e2}[j]) > 1e-15 {
				t.Errorf("%v: w %v e %v, want w %v e (%v, %v)", tc.v, r.Weights, r.E, want, tc.e1, tc.e2)
			}
		}
	}
	// A negative direction reverses the min–max step: column 2 reversed is
	// (0, 1, 0), which has entropy 0 like column 1.
	r, err := composite.EntropyWeights(x, composite.EntropyMinMax, []int{1, -1}, 0)
	if err != nil || r.Weights[0] != 0.5 || r.Weights[1] != 0.5 {
		t.Errorf("reversed: %+v, %v; want (0.5, 0.5)", r, err)
	}
	// No dispersion anywhere.
	if _, err := composite.EntropyWeights([][]float64{{1, 2}, {1, 2}}, composite.EntropyMinMax, nil, 0); !errors.Is(err, composite.ErrNoDispersion) {
		t.Errorf("constant columns: %v, want ErrNoDispersion", err)
	}
	if _, err := composite.EntropyWeights([][]float64{{-1}, {2}}, composite.EntropyRawProportion, nil, 0); !errors.Is(err, composite.ErrInput) {
		t.Errorf("negative raw data: %v, want ErrInput", err)
	}
}

func TestTopsisReference(t *testing.T) {
	c := loadMethodRef(t).Topsis.Case
	k := newTracker(t, "TOPSIS")
	got, err := composite.Topsis(c.X, c.W, c.Types, composite.TopsisMinMax)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range c.MinMax {
		k.CheckTol("min-max", got[i], w, dp(3))
	}
	got, err = composite.Topsis(c.X, c.W, c.Types, composite.TopsisVector)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range c.Vector4 {
		k.CheckTol("vector", got[i], w, dp(4))
	}
	k.Done(2)
}

func TestCOINrNormalisation(t *testing.T) {
	c := loadMethodRef(t).COINr
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	mm := composite.MinMax(x, 2, 7)
	if mm[0] != c.MinMax.Min || mm[9] != c.MinMax.Max {
		t.Errorf("MinMax: %v, want min %v max %v", mm, c.MinMax.Min, c.MinMax.Max)
	}
	z := composite.ZScore(x, 5, 2)
	var mean, ss float64
	for _, v := range z {
		mean += v / 10
	}
	for _, v := range z {
		ss += (v - mean) * (v - mean)
	}
	if math.Abs(mean-c.ZScore.Mean) > 1e-12 || math.Abs(math.Sqrt(ss/9)-c.ZScore.SD) > 1e-12 {
		t.Errorf("ZScore: mean %v sd %v", mean, math.Sqrt(ss/9))
	}
	if len(c.Dist2Targ) != 4 || len(c.Goalposts) != 6 {
		t.Fatalf("%d dist2targ and %d goalpost cases", len(c.Dist2Targ), len(c.Goalposts))
	}
	for _, d := range c.Dist2Targ {
		got := composite.DistToTarget(d.X, d.Targ, d.Direction, d.Cap)
		for i := range d.Y {
			if math.Abs(got[i]-d.Y[i]) > 1e-12 {
				t.Errorf("DistToTarget(%v, %v, %d, %v) = %v, want %v", d.X, d.Targ, d.Direction, d.Cap, got, d.Y)
				break
			}
		}
	}
	for _, g := range c.Goalposts {
		if got := composite.GoalpostScale(g.X, 0, 10, 1, g.Dir); math.Abs(got-g.Y) > 1e-12 {
			t.Errorf("GoalpostScale(%v, dir %d) = %v, want %v", g.X, g.Dir, got, g.Y)
		}
	}
	// n_prank by hand: x = (3, 1, 3, NaN, 2): ascending ranks with ties =
	// min are (3, 1, 3, –, 2) over 4 values → (2/3, 0, 2/3, NaN, 1/3).
	pr := composite.PercentRank([]float64{3, 1, 3, math.NaN(), 2})
	want := []float64{2.0 / 3, 0, 2.0 / 3, math.NaN(), 1.0 / 3}
	for i := range want {
		if !(math.Abs(pr[i]-want[i]) < 1e-15 || math.IsNaN(pr[i]) && math.IsNaN(want[i])) {
			t.Errorf("PercentRank = %v, want %v", pr, want)
			break
		}
	}
}

func TestCOINrAggregation(t *testing.T) {
	m := loadMethodRef(t)
	c := m.COINr
	g, err := composite.GeometricMean(c.GMean.X, nil)
	if err != nil || math.Abs(g-c.GMean.Y) > dp(6) {
		t.Errorf("gmean = %v, %v; want %v", g, err, c.GMean.Y)
	}
	g, err = composite.GeometricMean(c.GMean.X, []float64{1, 1, 2})
	if err != nil || math.Abs(g-c.GMean.YW) > dp(6) {
		t.Errorf("weighted gmean = %v, %v; want %v", g, err, c.GMean.YW)
	}
	if c.GMean.Zero != "error" {
		t.Fatalf("reference says %q for zero", c.GMean.Zero)
	}
	if _, err := composite.GeometricMean([]float64{1, 0, 3}, nil); !errors.Is(err, composite.ErrInput) {
		t.Errorf("gmean with zero: %v, want an error", err)
	}
	// The SCRI floor instead: (0.1·2·3)^(1/3).
	if g, _ := composite.GeometricMeanFloor([]float64{0, 2, 3}, nil, 0.1); math.Abs(g-math.Cbrt(0.6)) > 1e-15 {
		t.Errorf("floored gmean = %v, want %v", g, math.Cbrt(0.6))
	}
	h, err := composite.HarmonicMean(c.HMean.X, c.HMean.W)
	if err != nil || math.Abs(h-c.HMean.Y) > dp(6) {
		t.Errorf("hmean = %v, %v; want %v", h, err, c.HMean.Y)
	}
	p1, _ := composite.GeneralisedMean(c.GenMean.X, nil, 1)
	pm1, _ := composite.GeneralisedMean(c.HMean.X, c.HMean.W, -1)
	if math.Abs(p1-c.GenMean.Y) > 1e-12 || math.Abs(pm1-c.HMean.Y) > dp(6) {
		t.Errorf("genmean p=1 %v (want %v), p=−1 %v (want %v)", p1, c.GenMean.Y, pm1, c.HMean.Y)
	}
	// a_amean: NA dropped and weights renormalised; dat_thresh → NA.
	a, _ := composite.ArithmeticMean([]float64{1, math.NaN(), 3}, []float64{1, 5, 3}, 0)
	if math.Abs(a-(1+9)/4.0) > 1e-15 {
		t.Errorf("amean with NA = %v, want 2.5", a)
	}
	if a, _ := composite.ArithmeticMean([]float64{1, math.NaN(), math.NaN()}, nil, 2.0/3); !math.IsNaN(a) {
		t.Errorf("amean 1/3 present under 2/3 threshold = %v, want NaN", a)
	}
	if a, _ := composite.ArithmeticMean([]float64{1, math.NaN(), 3}, nil, 2.0/3); a != 2 {
		t.Errorf("amean 2/3 present under 2/3 threshold = %v, want 2", a)
	}
	// INFORM-style examples.
	in := m.Inform
	d := []float64{in.GeoArith.HE, in.GeoArith.V, in.GeoArith.LCC}
	g, _ = composite.GeometricMeanFloor(d, nil, 0.1)
	ar, _ := composite.ArithmeticMean(d, nil, 0)
	if math.Abs(g-in.GeoArith.Geometric) > dp(4) || ar != in.GeoArith.Arithmetic {
		t.Errorf("INFORM geometric %v arithmetic %v, want %v %v", g, ar, in.GeoArith.Geometric, in.GeoArith.Arithmetic)
	}
	th := composite.DefaultBandThresholds()
	if b := th.Band(composite.RoundHalfUp1(g)); b != composite.BandYellow { // 4.9 → "Medium"
		t.Errorf("band of %v = %v, want yellow (Medium)", g, b)
	}
	if b := th.Band(composite.RoundHalfUp1(ar)); b != composite.BandOrange { // 5.0 → "High"
		t.Errorf("band of %v = %v, want orange (High)", ar, b)
	}
	iv, err := composite.InvertedGeometricMean(in.Inverted.X, 10)
	if err != nil || math.Abs(iv-in.Inverted.Value) > dp(4) {
		t.Errorf("inverted geometric = %v, %v; want %v", iv, err, in.Inverted.Value)
	}
}

func TestCOINrOutranking(t *testing.T) {
	c := loadMethodRef(t).COINr.Outranking
	x1, x2, x3 := c.Cols["x1"], c.Cols["x2"], c.Cols["x3"]
	x := make([][]float64, len(x1))
	for i := range x {
		x[i] = []float64{x1[i], x2[i], x3[i]}
	}
	o, err := composite.OutrankingMatrix(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The reference uses R's 1-based indices.
	for _, tc := range []struct {
		a, b int
		want float64
	}{{2, 1, c.O21}, {3, 1, c.O31}, {4, 1, c.O41}} {
		if got := o.Matrix[tc.a-1][tc.b-1]; math.Abs(got-tc.want) > dp(6) {
			t.Errorf("orm[%d,%d] = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
	if o.NDominant != 3 || o.FracDominant != 0.5 {
		t.Errorf("nDominant %d frac %v, want 3 and 0.5", o.NDominant, o.FracDominant)
	}
	cs := composite.Copeland(o.Matrix)
	for i := range c.Copeland {
		if cs[i] != c.Copeland[i] {
			t.Errorf("Copeland = %v, want %v", cs, c.Copeland)
			break
		}
	}
}

func TestCOINrOutliers(t *testing.T) {
	c := loadMethodRef(t).COINr
	x1 := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100}
	s, k := composite.SkewKurt(x1)
	if math.Abs(s-c.SK1.Skew) > dp(4) || math.Abs(k-c.SK1.Kurt) > dp(4) || !composite.OutlierFlagged(s, k) {
		t.Errorf("c(1:10, 100): skew %v kurt %v, want %v %v flagged", s, k, c.SK1.Skew, c.SK1.Kurt)
	}
	tr := composite.Treat(x1, 5)
	if tr.Winsorised != 1 || tr.LogApplied || tr.Flagged || tr.Values[10] != 10 ||
		math.Abs(tr.Skew-c.SK1.After.Skew) > dp(4) || math.Abs(tr.Kurt-c.SK1.After.Kurt) > dp(4) {
		t.Errorf("treat c(1:10, 100): %+v, want one point (100 → 10), skew %v kurt %v", tr, c.SK1.After.Skew, c.SK1.After.Kurt)
	}
	x2 := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 100, 200}
	s, k = composite.SkewKurt(x2)
	if math.Abs(s-c.SK2.Skew) > dp(4) || math.Abs(k-c.SK2.Kurt) > dp(3) {
		t.Errorf("c(1:20, 100, 200): skew %v kurt %v, want %v %v", s, k, c.SK2.Skew, c.SK2.Kurt)
	}
	// One winsorisation step (200 → 100) still fails, so winmax = 1 ends in
	// log_CT on the original values: log(x − 1 + 0.01·199).
	w1 := append([]float64(nil), x2...)
	w1[21] = 100
	s, k = composite.SkewKurt(w1)
	if math.Abs(s-c.SK2.After.Skew) > dp(3) || math.Abs(k-c.SK2.After.Kurt) > dp(4) || composite.OutlierFlagged(s, k) != !c.SK2.After.Passes {
		t.Errorf("after one step: skew %v kurt %v, want %v %v", s, k, c.SK2.After.Skew, c.SK2.After.Kurt)
	}
	tr = composite.Treat(x2, 1)
	if !tr.LogApplied || math.Abs(tr.Values[0]-math.Log(1.99)) > 1e-15 || math.Abs(tr.Values[21]-math.Log(200.99)) > 1e-13 {
		t.Errorf("treat c(1:20, 100, 200) winmax 1: log %v, values %v", tr.LogApplied, tr.Values)
	}
}

func TestAHPReference(t *testing.T) {
	a := loadMethodRef(t).AHP
	for n := 1; n <= 9; n++ {
		if want := a.RITable[string(rune('0'+n))]; composite.SaatyRI[n-1] != want {
			t.Errorf("RI(%d) = %v, want %v", n, composite.SaatyRI[n-1], want)
		}
	}
	r, err := composite.AHPStrict(a.Matrix)
	if err != nil {
		t.Fatal(err)
	}
	k := newTracker(t, "AHP")
	for i, w := range a.W {
		k.CheckTol("w", r.Weights[i], w, dp(4))
	}
	k.CheckTol("lambda max", r.LambdaMax, a.LambdaMax, dp(4))
	k.CheckTol("CI", r.CI, a.CI, dp(4))
	k.CheckTol("RI", r.RI, a.RI3, 0)
	k.CheckTol("CR", r.CR, a.CR, dp(4))
	k.Done(1)
	if !r.Consistent {
		t.Error("CR 0.0332 must be acceptable")
	}
}

func TestAHPSaatyHand(t *testing.T) {
	// A perfectly consistent matrix a_ij = w_i/w_j with w = (4, 2, 1)/7 has
	// λmax = n = 3 and CI = CR = 0.
	r, err := composite.AHPStrict([][]float64{{1, 2, 4}, {0.5, 1, 2}, {0.25, 0.5, 1}})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []float64{4.0 / 7, 2.0 / 7, 1.0 / 7} {
		if math.Abs(r.Weights[i]-w) > 1e-12 {
			t.Errorf("weights %v, want (4, 2, 1)/7", r.Weights)
		}
	}
	if math.Abs(r.LambdaMax-3) > 1e-12 || math.Abs(r.CR) > 1e-12 {
		t.Errorf("λmax %v CR %v, want 3 and 0", r.LambdaMax, r.CR)
	}
	// The circulant matrix [[1, 9, 1/9], [1/9, 1, 9], [9, 1/9, 1]] (i beats
	// j beats k beats i) has the Perron vector (1, 1, 1)/3 and λmax =
	// 1 + 9 + 1/9; CI = (λmax − 3)/2 = 3.5556, CR = CI/0.58 = 6.1303.
	cyc := [][]float64{{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}}
	r, err = composite.AHP(cyc)
	if err != nil {
		t.Fatal(err)
	}
	lmax := 1 + 9 + 1.0/9
	ci := (lmax - 3) / 2
	if math.Abs(r.LambdaMax-lmax) > 1e-12 || math.Abs(r.CI-ci) > 1e-12 || math.Abs(r.CR-ci/0.58) > 1e-12 || r.Consistent {
		t.Errorf("cyclic: %+v, want λmax %v CI %v CR %v inconsistent", r, lmax, ci, ci/0.58)
	}
	for _, w := range r.Weights {
		if math.Abs(w-1.0/3) > 1e-12 {
			t.Errorf("cyclic weights %v, want 1/3 each", r.Weights)
		}
	}
	if _, err := composite.AHPStrict(cyc); !errors.Is(err, composite.ErrInconsistent) {
		t.Errorf("AHPStrict(cyclic) error %v, want ErrInconsistent", err)
	}
	// n = 2 is always consistent (RI = 0): weights (3, 1)/4.
	r, err = composite.AHPStrict([][]float64{{1, 3}, {1.0 / 3, 1}})
	if err != nil || math.Abs(r.Weights[0]-0.75) > 1e-12 || r.CR != 0 {
		t.Errorf("n = 2: %+v, %v", r, err)
	}
	for name, m := range map[string][][]float64{
		"not reciprocal": {{1, 3}, {0.5, 1}},
		"zero entry":     {{1, 0}, {0, 1}},
		"not square":     {{1, 2, 3}, {0.5, 1}},
		"diagonal":       {{2, 1}, {1, 1}},
	} {
		if _, err := composite.AHP(m); !errors.Is(err, composite.ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
}

func TestSobolCOINr(t *testing.T) {
	c := loadMethodRef(t).COINr
	rng := rand.New(rand.NewPCG(42, 7))
	d := composite.NewSobolDesign(3, 20000, rng)
	run := func(f func([]float64) float64) ([]float64, []float64) {
		eval := func(m [][]float64) []float64 {
			y := make([]float64, len(m))
			for i, r := range m {
				y[i] = f(r)
			}
			return y
		}
		yAB := make([][]float64, 3)
		for i := range yAB {
			yAB[i] = eval(d.AB[i])
		}
		s, st, err := composite.SobolIndices(eval(d.A), eval(d.B), yAB)
		if err != nil {
			t.Fatal(err)
		}
		return s, st
	}
	// COINr's test: x3 unused gives S3 = ST3 = 0 exactly. The other indices
	// are Monte Carlo estimates of the analytic values; with N = 20000 their
	// standard error is about 0.01, so 0.05 is a wide margin.
	s, st := run(func(x []float64) float64 { return x[0] + 10*x[1] })
	if s[2] != 0 || st[2] != 0 {
		t.Errorf("unused input: S3 %v ST3 %v, want exactly 0", s[2], st[2])
	}
	for i, want := range c.Sobol1.Si {
		if math.Abs(s[i]-want) > 0.05 || math.Abs(st[i]-want) > 0.05 {
			t.Errorf("y = x1 + 10x2: S%d %v ST%d %v, analytic %v", i+1, s[i], i+1, st[i], want)
		}
	}
	s, _ = run(func(x []float64) float64 { return x[0] + 2*x[1] + 3*x[2] })
	for i, want := range c.Sobol2.Si {
		if math.Abs(s[i]-want) > 0.05 {
			t.Errorf("y = x1 + 2x2 + 3x3: S%d %v, analytic %v", i+1, s[i], want)
		}
	}
}
