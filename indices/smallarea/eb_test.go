package smallarea_test

import (
	"errors"
	"math"
	"testing"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

func TestGlobalPoissonAuckland(t *testing.T) {
	_, rows := readCSV(t, "riskidx_eb_auckland_marshall_poisson.csv")
	var params struct {
		Auckland struct {
			A        float64 `json:"a_phi"`
			B        float64 `json:"b_gamma"`
			RecompA  float64 `json:"recomputed_a"`
			RecompB  float64 `json:"recomputed_b"`
			RecompS2 float64 `json:"recomputed_s2"`
			NAreas   int     `json:"n_areas"`
		} `json:"auckland_poisson"`
	}
	readJSON(t, "riskidx_eb_reference_params.json", &params)
	p := params.Auckland
	if len(rows) != p.NAreas {
		t.Fatalf("%d rows, params say %d areas", len(rows), p.NAreas)
	}
	cases := make([]float64, len(rows))
	pop := make([]float64, len(rows))
	for i, r := range rows {
		cases[i] = num(t, r["deaths_M77_85"])
		pop[i] = num(t, r["person_years_at_risk_9x"])
		if pop[i] != 9*num(t, r["under5_pop_Und5_81"]) {
			t.Fatalf("row %d: risk population is not 9 × Und5_81", i+1)
		}
	}
	res, err := smallarea.GlobalPoisson(cases, pop)
	if err != nil {
		t.Fatal(err)
	}
	k := newTracker(t, "auckland poisson EB")
	// spdep's documented parameters (7 significant digits) and the full
	// precision recomputation.
	k.CheckTol("a (spdep docs)", res.A, p.A, 5e-13)
	k.CheckTol("b (spdep docs)", res.B, p.B, 5e-10)
	k.CheckTol("a", res.A, p.RecompA, 1e-12*p.RecompA)
	k.CheckTol("b", res.B, p.RecompB, 1e-12*p.RecompB)
	k.CheckTol("s2", res.S2, p.RecompS2, 1e-12*p.RecompS2)
	for i, r := range rows {
		k.Check("row "+r["fid"]+" raw per 1000", 1000*res.Raw[i], r["raw_rate_per1000"])
		k.Check("row "+r["fid"]+" EB per 1000", 1000*res.Estimate[i], r["eb_rate_per1000"])
	}
	k.Done(len(rows))
}

func TestGlobalBinomialHuddersfield(t *testing.T) {
	_, rows := readCSV(t, "riskidx_eb_huddersfield_binomial.csv")
	var params struct {
		H struct {
			B      float64 `json:"b"`
			S2     float64 `json:"s2"`
			NAreas int     `json:"n_areas"`
		} `json:"huddersfield_binomial"`
	}
	readJSON(t, "riskidx_eb_reference_params.json", &params)
	if len(rows) != params.H.NAreas {
		t.Fatalf("%d rows, params say %d areas", len(rows), params.H.NAreas)
	}
	cases := make([]float64, len(rows))
	tot := make([]float64, len(rows))
	for i, r := range rows {
		cases[i] = num(t, r["cases"])
		tot[i] = num(t, r["total"])
	}
	// spdep does not clamp rho; in this data set rho is inside [0, 1]
	// anyway, so the clamped (SCRI) variant must give the same numbers.
	for _, clamp := range []bool{false, true} {
		res, err := smallarea.GlobalBinomial(cases, tot, clamp)
		if err != nil {
			t.Fatal(err)
		}
		name := "huddersfield binomial EB (spdep, unclamped)"
		if clamp {
			name = "huddersfield binomial EB (rho clamped)"
		}
		k := newTracker(t, name)
		doc := newTracker(t, name+", spdep documentation 2-dp columns")
		k.CheckTol("b", res.B, params.H.B, 1e-12*params.H.B)
		k.CheckTol("s2", res.S2, params.H.S2, 1e-12*params.H.S2)
		for i, r := range rows {
			id := "area " + r["area"]
			k.Check(id+" raw %", 100*res.Raw[i], r["raw_pct"])
			k.Check(id+" EB %", 100*res.Estimate[i], r["eb_pct"])
			k.Check(id+" rho", res.Rho[i], r["rho"])
			// The 2-decimal columns printed in spdep's EBest documentation.
			doc.Check(id+" raw % (spdep doc)", 100*res.Raw[i], r["spdep_doc_raw_pct_2dp"])
			doc.Check(id+" EB % (spdep doc)", 100*res.Estimate[i], r["spdep_doc_eb_pct_2dp"])
		}
		k.Done(len(rows))
		doc.Done(len(rows))
	}
}

func TestGlobalBinomialClampsRho(t *testing.T) {
	// Two areas with identical shares: s² = 0, so spdep's rho is
	// (−(n/n̄)b(1−b))/(((n̄ − n)/n̄)b(1−b)) = −n/(n̄ − n). Hand values:
	// n = (10, 30), n̄ = 20, b = 0.5 → rho = (−0.5/0.5, −1.5/−0.5) = (−1, 3).
	res, err := smallarea.GlobalBinomial([]float64{5, 15}, []float64{10, 30}, false)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Rho[0]+1) > 1e-12 || math.Abs(res.Rho[1]-3) > 1e-12 {
		t.Errorf("unclamped rho = %v, want (-1, 3)", res.Rho)
	}
	res, err = smallarea.GlobalBinomial([]float64{5, 15}, []float64{10, 30}, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rho[0] != 0 || res.Rho[1] != 1 {
		t.Errorf("clamped rho = %v, want (0, 1)", res.Rho)
	}
	for i, e := range res.Estimate {
		if math.Abs(e-0.5) > 1e-15 {
			t.Errorf("estimate %d = %v, want 0.5", i, e)
		}
	}
}

func TestGlobalBinomialNoCases(t *testing.T) {
	// No unit has a case: b = 0, s² = 0; spdep's rho is 0/0 = NaN. Here
	// rho = 0 and every estimate is the common share 0, clamped or not.
	for _, clamp := range []bool{false, true} {
		res, err := smallarea.GlobalBinomial([]float64{0, 0, 0}, []float64{5, 10, 20}, clamp)
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.Estimate {
			if res.Estimate[i] != 0 || res.Rho[i] != 0 {
				t.Errorf("clamp %v unit %d: estimate %v rho %v, want 0 and 0", clamp, i, res.Estimate[i], res.Rho[i])
			}
		}
	}
}

func TestGlobalPoissonNoVarianceShrinksToMean(t *testing.T) {
	// Equal crude rates: s² = 0 < b/n̄, so a = 0 and every estimate is b.
	res, err := smallarea.GlobalPoisson([]float64{1, 2, 4}, []float64{100, 200, 400})
	if err != nil {
		t.Fatal(err)
	}
	if res.A != 0 || res.B != 0.01 {
		t.Fatalf("a = %v, b = %v; want 0 and 0.01", res.A, res.B)
	}
	for i, e := range res.Estimate {
		if e != 0.01 || res.Shrinkage[i] != 0 {
			t.Errorf("unit %d: estimate %v shrinkage %v; want 0.01 and 0", i, e, res.Shrinkage[i])
		}
	}
}

func TestLocalPoissonCompleteGraphIsGlobal(t *testing.T) {
	// With every unit a neighbour of every other, each neighbourhood is the
	// whole map: m_i = b, n̄_i = n̄ and C_i/Σn = s², so Marshall's local
	// estimator is the global one and must reproduce the Auckland reference.
	_, rows := readCSV(t, "riskidx_eb_auckland_marshall_poisson.csv")
	cases := make([]float64, len(rows))
	pop := make([]float64, len(rows))
	nb := make([][]int, len(rows))
	for i, r := range rows {
		cases[i] = num(t, r["deaths_M77_85"])
		pop[i] = num(t, r["person_years_at_risk_9x"])
		for j := range rows {
			if j != i {
				nb[i] = append(nb[i], j)
			}
		}
	}
	for _, v := range []smallarea.LocalVariant{smallarea.LocalSpdep, smallarea.LocalGeoDa} {
		res, err := smallarea.LocalPoisson(cases, pop, nb, v)
		if err != nil {
			t.Fatal(err)
		}
		k := newTracker(t, "auckland local EB on the complete graph")
		for i, r := range rows {
			k.Check("row "+r["fid"]+" EB per 1000", 1000*res.Estimate[i], r["eb_rate_per1000"])
		}
		k.Done(len(rows))
	}
}

func TestLocalPoissonHand(t *testing.T) {
	// A chain 0–1–2 with cases (2, 30, 1) and populations (100, 200, 50).
	// Hand computation (exact fractions): neighbourhoods {0,1}, {0,1,2},
	// {1,2}; m = (32/300, 33/350, 31/250); n̄ = (150, 350/3, 125).
	// spdep form, unit 0: C = 100(0.02 − 32/300)² + 200(0.15 − 33/350)²,
	// a = C/300 − (32/300)/150 = 0.0038619803…, θ = m + (r − m)a/(a + m/100).
	// GeoDa form: both squares are taken around m_0 instead. The values
	// agree with spdep 1.2.7 EBlocal(…, geoda = FALSE/TRUE).
	cases := []float64{2, 30, 1}
	pop := []float64{100, 200, 50}
	nb := [][]int{{1}, {0, 2}, {1}}
	tests := []struct {
		variant smallarea.LocalVariant
		est, a  []float64
	}{
		{smallarea.LocalSpdep,
			[]float64{0.038756556145140016, 0.14487826102556314, 0.062044414163135816},
			[]float64{0.0038619803476946336, 0.004656772270813087, 0.003654465306122449}},
		{smallarea.LocalGeoDa,
			[]float64{0.04248648648648649, 0.14309178743961354, 0.08152671755725191},
			[]float64{0.0030444444444444442, 0.0033306122448979593, 0.001712}},
	}
	wantM := []float64{32.0 / 300, 33.0 / 350, 31.0 / 250}
	for _, tc := range tests {
		res, err := smallarea.LocalPoisson(cases, pop, nb, tc.variant)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cases {
			if d := math.Abs(res.Estimate[i] - tc.est[i]); d > 1e-14 {
				t.Errorf("variant %d unit %d: estimate %.17g, want %.17g", tc.variant, i, res.Estimate[i], tc.est[i])
			}
			if d := math.Abs(res.A[i] - tc.a[i]); d > 1e-15 {
				t.Errorf("variant %d unit %d: a %.17g, want %.17g", tc.variant, i, res.A[i], tc.a[i])
			}
			if d := math.Abs(res.M[i] - wantM[i]); d > 1e-15 {
				t.Errorf("variant %d unit %d: m %.17g, want %.17g", tc.variant, i, res.M[i], wantM[i])
			}
		}
	}
}

func TestEBInputErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
	}{
		{"length mismatch", func() error { _, err := smallarea.GlobalPoisson([]float64{1, 2}, []float64{10}); return err }},
		{"empty", func() error { _, err := smallarea.GlobalPoisson(nil, nil); return err }},
		{"negative cases", func() error { _, err := smallarea.GlobalPoisson([]float64{-1}, []float64{10}); return err }},
		{"zero population", func() error { _, err := smallarea.GlobalPoisson([]float64{1}, []float64{0}); return err }},
		{"NaN cases", func() error { _, err := smallarea.GlobalPoisson([]float64{math.NaN()}, []float64{1}); return err }},
		{"cases above totals", func() error { _, err := smallarea.GlobalBinomial([]float64{3}, []float64{2}, true); return err }},
		{"neighbour out of range", func() error {
			_, err := smallarea.LocalPoisson([]float64{1, 1}, []float64{5, 5}, [][]int{{2}, {0}}, smallarea.LocalSpdep)
			return err
		}},
		{"self neighbour", func() error {
			_, err := smallarea.LocalPoisson([]float64{1, 1}, []float64{5, 5}, [][]int{{0}, {0}}, smallarea.LocalSpdep)
			return err
		}},
		{"duplicate neighbour", func() error {
			_, err := smallarea.LocalPoisson([]float64{1, 1}, []float64{5, 5}, [][]int{{1, 1}, {0}}, smallarea.LocalSpdep)
			return err
		}},
		{"neighbour list count", func() error {
			_, err := smallarea.LocalPoisson([]float64{1, 1}, []float64{5, 5}, [][]int{{1}}, smallarea.LocalSpdep)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, smallarea.ErrInput) {
				t.Errorf("error %v, want one wrapping ErrInput", err)
			}
		})
	}
}

func TestRates(t *testing.T) {
	if got := smallarea.RatePer10k(18, 12000); got != 15 {
		t.Errorf("RatePer10k(18, 12000) = %v, want 15", got)
	}
	if got := smallarea.RatePer10k(1, 0); !math.IsNaN(got) {
		t.Errorf("RatePer10k(1, 0) = %v, want NaN", got)
	}
	r, err := smallarea.Rates([]float64{1, 3}, []float64{4, 0}, 1)
	if err != nil || r[0] != 0.25 || !math.IsNaN(r[1]) {
		t.Errorf("Rates = %v, %v; want [0.25 NaN]", r, err)
	}
	e, th, err := smallarea.ExpectedCounts([]float64{3, 1}, []float64{100, 300})
	if err != nil || th != 0.01 || e[0] != 1 || e[1] != 3 {
		t.Errorf("ExpectedCounts = %v, %v, %v; want [1 3], 0.01", e, th, err)
	}
}
