package composite_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
)

func unitByID(t *testing.T, res *composite.Result, id string) composite.UnitResult {
	t.Helper()
	for _, u := range res.Units {
		if u.ID == id {
			return u
		}
	}
	t.Fatalf("no unit %s", id)
	return composite.UnitResult{}
}

func TestSCRICounts(t *testing.T) {
	c := composite.SCRICounts(composite.TownCounts{Population: 1000, Accepted: 50, Baseline: 40, Difficult: 1, Group: 2, HighAmount: 3,
		Sensitive: 4, Repeat: 5, Escalated: 6, Overdue: 7, Due: 45, CohortAccepted: 30, CohortHandled: 20, Evaluated: 25, Satisfied: 21})
	want := []composite.Count{{50, 1000}, {50, 40}, {1, 50}, {2, 50}, {3, 50}, {4, 50}, {5, 50}, {6, 50}, {7, 45}, {10, 30}, {4, 25}}
	if !slices.Equal(c, want) {
		t.Errorf("SCRICounts = %v, want %v", c, want)
	}
}

func TestRunMissingIndicators(t *testing.T) {
	// T1 without A3: its other A indicators do not depend on its A3 counts
	// (A3 is smoothed over the other seven towns only), so D_A is the mean
	// of its four golden normalised scores A1, A2, A4, A5.
	units := toyUnits(t)
	units[0].Counts[composite.A3] = composite.Count{Num: math.NaN(), Den: math.NaN()}
	res, err := composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	t1 := unitByID(t, res, "T1")
	want := (6.392002 + 4.113306 + 3.06644 + 4.074446) / 4
	if math.Abs(t1.Dimensions[0]-want) > 2e-6 || !math.IsNaN(t1.Indicators[composite.A3].Value) {
		t.Errorf("T1 D_A = %v, want %v (A3 missing)", t1.Dimensions[0], want)
	}
	if t1.Reliability != composite.ReliabilityGood || math.Abs(t1.MissingShare-1.0/11) > 1e-15 {
		t.Errorf("T1 reliability %v missing %v", t1.Reliability, t1.MissingShare)
	}

	// T2 without A3 and A4 (no accepted cases to share): 3 of 5 < 2/3, so
	// D_A and the index are NA.
	units = toyUnits(t)
	units[1].Counts[composite.A3] = composite.Count{Num: 0, Den: 0}
	units[1].Counts[composite.A4] = composite.Count{Num: 0, Den: 0}
	res, err = composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	t2 := unitByID(t, res, "T2")
	if !math.IsNaN(t2.Dimensions[0]) || !math.IsNaN(t2.Index) || t2.BandIndex != composite.BandNA || t2.Band != composite.BandNA || t2.Rank != 0 {
		t.Errorf("T2 with 3 of 5 A indicators: D_A %v, index %v, band %v/%v, rank %d; want NA", t2.Dimensions[0], t2.Index, t2.BandIndex, t2.Band, t2.Rank)
	}
	if !math.IsNaN(t2.Sensitivity.Agreement) || t2.Sensitivity.Unstable {
		t.Errorf("T2 sensitivity %+v; want NaN agreement", t2.Sensitivity)
	}
	if !t2.Funnel.Tested {
		t.Error("T2's funnel must still be tested (its A1 counts are there)")
	}
	max := 0
	for _, u := range res.Units {
		max = int(math.Max(float64(max), float64(u.Rank)))
	}
	if max != 7 {
		t.Errorf("highest rank %d, want 7 (seven ranked towns)", max)
	}
	// Four of eleven missing is more than a third: poor.
	units = toyUnits(t)
	for _, k := range []int{composite.B1, composite.B2, composite.C1, composite.C3} {
		units[4].Counts[k] = composite.Count{Num: math.NaN(), Den: math.NaN()}
	}
	res, err = composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	if u := unitByID(t, res, "T5"); u.Reliability != composite.ReliabilityPoor {
		t.Errorf("T5 with 4/11 missing: reliability %v, want poor", u.Reliability)
	}
	// T8 has 4 cases (< 5): poor in the plain toy run too.
	if u := unitByID(t, res, "T8"); u.Reliability != composite.ReliabilityPoor {
		t.Errorf("T8 with 4 cases: reliability %v, want poor", u.Reliability)
	}
}

func TestRunFewSiblings(t *testing.T) {
	// Two siblings: smoothing is skipped (fewer than 3), raw values are used,
	// reliability is poor and the yellow cap applies. With raw values the
	// index equals the golden raw|equal|geo scenario: T3 7.163307, T6
	// 8.231483, both red before the cap.
	all := toyUnits(t)
	units := []composite.Unit{all[2], all[5]}
	res, err := composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	for k, eb := range res.Params.EB {
		if (eb.Smoothing != composite.SmoothNone) != eb.Skipped {
			t.Errorf("indicator %d: smoothing %v skipped %v", k, eb.Smoothing, eb.Skipped)
		}
	}
	for i, want := range []float64{7.163307, 8.231483} {
		u := res.Units[i]
		if math.Abs(u.Index-want) > 5e-7 {
			t.Errorf("%s: index %v, want %v", u.ID, u.Index, want)
		}
		for k, iv := range u.Indicators {
			if iv.Value != iv.Raw {
				t.Errorf("%s indicator %d: value %v != raw %v", u.ID, k, iv.Value, iv.Raw)
			}
		}
		if u.Reliability != composite.ReliabilityPoor || u.BandIndex != composite.BandRed || u.Band != composite.BandYellow ||
			!slices.Equal(u.Reasons, []composite.Reason{composite.ReasonReliabilityCap}) {
			t.Errorf("%s: reliability %v band %v → %v reasons %v; want poor, red → yellow by the cap", u.ID, u.Reliability, u.BandIndex, u.Band, u.Reasons)
		}
		if u.Funnel.Flag.String() != "none" {
			t.Errorf("%s: funnel %v", u.ID, u.Funnel.Flag)
		}
	}
}

func TestRunHysteresisAndPreviousWindow(t *testing.T) {
	units := toyUnits(t)
	pos := map[string]int{}
	for i, u := range units {
		pos[u.ID] = i
	}
	base, err := composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	// T3 (5.9, orange) was red: 5.9 ≤ 6.5 − 0.2, the first such window, so
	// red holds. T2 (2.8, blue) was orange with one window below: it drops.
	// T7 (2.9, blue) was yellow with one window below but 2.9 ≤ 3.3: drops.
	// T1 (3.6, yellow) was red with one window below: 3.6 ≤ 6.3, drops.
	units[pos["T3"]].Previous = &composite.Previous{State: &composite.BandState{Band: composite.BandRed}}
	units[pos["T2"]].Previous = &composite.Previous{State: &composite.BandState{Band: composite.BandOrange, Below: 1}}
	units[pos["T7"]].Previous = &composite.Previous{State: &composite.BandState{Band: composite.BandYellow, Below: 1}}
	units[pos["T1"]].Previous = &composite.Previous{State: &composite.BandState{Band: composite.BandRed, Below: 1}}
	// T5's previous window equals this one except C2 = 0.05 (score 1.0):
	// only C2 rose, and ln R − ln R_prev = (ln D_C − ln D_C,prev)/3 with the
	// golden D_C = 2.669478 and D_C,prev = (2.897206 + 1.0 + 2.511899)/3.
	t5 := unitByID(t, base, "T5")
	prevVals := make([]float64, len(t5.Indicators))
	for k, iv := range t5.Indicators {
		prevVals[k] = iv.Value
	}
	prevVals[composite.C2] = 0.05
	units[pos["T5"]].Previous = &composite.Previous{Values: prevVals}
	res, err := composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id     string
		band   composite.Band
		state  composite.BandState
		reason bool
	}{
		{"T3", composite.BandRed, composite.BandState{Band: composite.BandRed, Below: 1}, true},
		{"T2", composite.BandBlue, composite.BandState{Band: composite.BandBlue}, false},
		{"T7", composite.BandBlue, composite.BandState{Band: composite.BandBlue}, false},
		{"T1", composite.BandYellow, composite.BandState{Band: composite.BandYellow}, false},
		{"T6", composite.BandOrange, composite.BandState{Band: composite.BandOrange}, false},
	}
	for _, tc := range tests {
		u := unitByID(t, res, tc.id)
		held := slices.Contains(u.Reasons, composite.ReasonHysteresisHold)
		if u.Band != tc.band || u.State != tc.state || held != tc.reason {
			t.Errorf("%s: band %v state %+v reasons %v; want %v %+v hold=%v", tc.id, u.Band, u.State, u.Reasons, tc.band, tc.state, tc.reason)
		}
	}
	u := unitByID(t, res, "T5")
	want := (math.Log(2.669478) - math.Log((2.897206+1.0+2.511899)/3)) / 3
	if math.Abs(u.LogRatioVsPrevious-want) > 2e-6 {
		t.Errorf("T5 ln R/R_prev = %v, want %v", u.LogRatioVsPrevious, want)
	}
	var sum float64
	for k, c := range u.Contributions {
		sum += c.VsPrevious
		if k != composite.C2 && c.VsPrevious != 0 {
			t.Errorf("T5 indicator %d attribution %v, want 0", k, c.VsPrevious)
		}
	}
	if math.Abs(sum-u.LogRatioVsPrevious) > 1e-15 {
		t.Errorf("T5 Σ attribution %v != %v", sum, u.LogRatioVsPrevious)
	}
	if len(u.DriversVsPrevious) != 1 || u.DriversVsPrevious[0].Code != "C2" || u.DriversVsPrevious[0].RefValue != 0.05 {
		t.Errorf("T5 drivers vs previous %+v, want C2 only", u.DriversVsPrevious)
	}
	if len(unitByID(t, res, "T1").DriversVsPrevious) != 0 || !math.IsNaN(unitByID(t, res, "T1").LogRatioVsPrevious) {
		t.Error("T1 has no previous values, so no attribution against them")
	}
}

func TestRunNoiseDraws(t *testing.T) {
	units := toyUnits(t)
	spec := composite.DefaultSpec()
	a, err := composite.Run(spec, units, 20240601)
	if err != nil {
		t.Fatal(err)
	}
	b, err := composite.Run(spec, units, 20240601)
	if err != nil {
		t.Fatal(err)
	}
	_, rows := readCSV(t, "riskidx_scri_toy_expected_sensitivity.csv")
	var golden map[string]string
	for _, r := range rows {
		if r["scenario"] == "band_agreement_share" {
			golden = r
		}
	}
	if a.Noise.Draws != 200 || len(a.Scenarios) != 8 || a.RNG == "" || a.Seed != 20240601 {
		t.Fatalf("noise %+v scenarios %d rng %q seed %d", a.Noise, len(a.Scenarios), a.RNG, a.Seed)
	}
	for i, u := range a.Units {
		s := u.Sensitivity
		if s != b.Units[i].Sensitivity {
			t.Errorf("%s: the same seed gave %+v and %+v", u.ID, s, b.Units[i].Sensitivity)
		}
		// The grid part still equals the golden file; the total is the
		// scenario-weighted mix of grid and noise.
		if math.Abs(s.AgreementGrid-num(t, golden[u.ID+"_score"])) > 1e-12 {
			t.Errorf("%s: grid agreement %v, golden %s", u.ID, s.AgreementGrid, golden[u.ID+"_score"])
		}
		if mix := (8*s.AgreementGrid + 200*s.AgreementNoise) / 208; s.Scenarios != 208 || math.Abs(s.Agreement-mix) > 1e-12 {
			t.Errorf("%s: agreement %v over %d scenarios, want %v over 208", u.ID, s.Agreement, s.Scenarios, mix)
		}
		if s.Unstable != (s.Agreement < 0.6) {
			t.Errorf("%s: unstable %v with agreement %v", u.ID, s.Unstable, s.Agreement)
		}
	}
	// T5 (3.3) is blue in every grid scenario and ±25 % weights cannot lift
	// it to 3.5 or drop it below 2.0; T3 (5.9, orange) keeps orange under
	// most noise draws.
	if s := unitByID(t, a, "T5").Sensitivity; s.AgreementNoise != 1 {
		t.Errorf("T5 noise agreement %v, want 1", s.AgreementNoise)
	}
	if s := unitByID(t, a, "T3").Sensitivity; !(s.AgreementNoise > 0.5) {
		t.Errorf("T3 noise agreement %v", s.AgreementNoise)
	}
	c, err := composite.Run(spec, units, 7)
	if err != nil {
		t.Fatal(err)
	}
	if c.Noise.MeanAbsRankShift == a.Noise.MeanAbsRankShift {
		t.Error("different seeds gave identical noise summaries")
	}
}

func TestRunWeightingMethods(t *testing.T) {
	units := toyUnits(t)
	// AHP with all-equal judgements is the equal weighting.
	ones := func(n int) [][]float64 {
		m := make([][]float64, n)
		for i := range m {
			m[i] = []float64{}
			for range n {
				m[i] = append(m[i], 1)
			}
		}
		return m
	}
	spec := toySpec()
	spec.Weighting.Method = composite.WeightsAHP
	spec.Weighting.AHP = map[string][][]float64{"A": ones(5), "B": ones(3), "C": ones(3)}
	ahp, err := composite.Run(spec, units, 1)
	if err != nil {
		t.Fatal(err)
	}
	eq, err := composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range eq.Units {
		if math.Abs(ahp.Units[i].Index-eq.Units[i].Index) > 1e-12 {
			t.Errorf("%s: AHP(ones) index %v, equal %v", eq.Units[i].ID, ahp.Units[i].Index, eq.Units[i].Index)
		}
	}
	if ahp.Fingerprint == eq.Fingerprint {
		t.Error("different specs share a fingerprint")
	}
	// Entropy blend: within-dimension weights sum to 1 and stay within
	// [0.5, 2]× equal; effective weights sum to 1.
	spec = toySpec()
	spec.Weighting.Method = composite.WeightsEntropyBlend
	bl, err := composite.Run(spec, units, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := bl.Params.Weights
	for _, g := range [][]int{{0, 1, 2, 3, 4}, {5, 6, 7}, {8, 9, 10}} {
		var s float64
		eqw := 1 / float64(len(g))
		for _, i := range g {
			s += w.Indicator[i]
			if w.Indicator[i] < 0.5*eqw-1e-12 || w.Indicator[i] > 2*eqw+1e-12 {
				t.Errorf("indicator %d weight %v outside [%v, %v]", i, w.Indicator[i], 0.5*eqw, 2*eqw)
			}
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("dimension weights sum to %v", s)
		}
	}
	var s float64
	for _, e := range w.Effective {
		s += e
	}
	if math.Abs(s-1) > 1e-12 {
		t.Errorf("effective weights sum to %v", s)
	}
	// A2 has the largest entropy weight in A (0.843), so its blended weight
	// is at the 2× bound: 0.4.
	if math.Abs(w.Indicator[composite.A2]-0.4) > 1e-12 {
		t.Errorf("A2 blended weight %v, want 0.4", w.Indicator[composite.A2])
	}
}

func TestRunValidation(t *testing.T) {
	units := toyUnits(t)
	bad := func(mod func(*composite.Spec)) composite.Spec {
		s := toySpec()
		mod(&s)
		return s
	}
	specs := map[string]composite.Spec{
		"inconsistent AHP": bad(func(s *composite.Spec) {
			s.Weighting.Method = composite.WeightsAHP
			s.Weighting.AHP = map[string][][]float64{
				"A": {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}},
				"B": {{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}},
				"C": {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}},
			}
		}),
		"blend alpha below 0.5":   bad(func(s *composite.Spec) { s.Weighting.Method = composite.WeightsEntropyBlend; s.Weighting.Alpha = 0.3 }),
		"pure entropy as nominal": bad(func(s *composite.Spec) { s.Weighting.Method = composite.WeightsEntropy }),
		"goalposts reversed":      bad(func(s *composite.Spec) { s.Indicators[2].Goalposts.Hi = -1 }),
		"log goalpost at zero":    bad(func(s *composite.Spec) { s.Indicators[0].Goalposts.Lo = 0 }),
		"thresholds":              bad(func(s *composite.Spec) { s.Bands.Orange = 3 }),
		"unknown dimension":       bad(func(s *composite.Spec) { s.Indicators[3].Dimension = "D" }),
		"funnel on a share":       bad(func(s *composite.Spec) { s.FunnelIndicator = "A3" }),
		"EB kind":                 bad(func(s *composite.Spec) { s.Indicators[1].Smoothing = composite.SmoothBinomialEB }),
	}
	for name, s := range specs {
		if _, err := composite.Run(s, units, 1); !errors.Is(err, composite.ErrInput) && !errors.Is(err, composite.ErrInconsistent) {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := composite.Run(bad(func(s *composite.Spec) {
		s.Weighting.Method = composite.WeightsAHP
		s.Weighting.AHP = map[string][][]float64{"A": {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}, {1, 1, 1, 1, 1}},
			"B": {{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}}, "C": {{1, 1, 1}, {1, 1, 1}, {1, 1, 1}}}
	}), units, 1); !errors.Is(err, composite.ErrInconsistent) {
		t.Errorf("inconsistent AHP: %v, want ErrInconsistent", err)
	}
	dup := append([]composite.Unit(nil), units...)
	dup[1].ID = dup[0].ID
	short := append([]composite.Unit(nil), units...)
	short[0].Counts = short[0].Counts[:5]
	over := toyUnits(t)
	over[0].Counts[composite.B1].Num = 1000
	for name, u := range map[string][]composite.Unit{"duplicate id": dup, "short counts": short, "share above 1": over, "no units": nil} {
		if _, err := composite.Run(toySpec(), u, 1); !errors.Is(err, composite.ErrInput) {
			t.Errorf("%s: error %v, want ErrInput", name, err)
		}
	}
}
