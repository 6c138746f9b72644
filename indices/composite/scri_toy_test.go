package composite_test

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
)

// toyUnits reads riskidx_scri_toy_input.csv into SCRI units. The toy has
// no separate due/cohort counts: C1's denominator and C2's cohort are the
// accepted cases, as the golden file computed them (T1: 15/210 overdue,
// (210 − 175)/210 unresolved).
func toyUnits(t *testing.T) []composite.Unit {
	t.Helper()
	_, rows := readCSV(t, "riskidx_scri_toy_input.csv")
	var units []composite.Unit
	for _, r := range rows {
		f := func(c string) float64 { return num(t, r[c]) }
		c := composite.TownCounts{
			Population: f("pop"), Accepted: f("cases"), Baseline: f("base_cases"),
			Difficult: f("difficult"), Group: f("group_cases_parties_ge5"), HighAmount: f("high_amount_cases_ge50k"),
			Sensitive: f("sensitive_type"), Repeat: f("repeat"), Escalated: f("escalated_upward"),
			Overdue: f("overdue"), Due: f("cases"), CohortAccepted: f("cases"), CohortHandled: f("handled"),
			Evaluated: f("evaluated"), Satisfied: f("satisfied"),
		}
		units = append(units, composite.Unit{ID: r["id"], Counts: composite.SCRICounts(c)})
	}
	return units
}

// toySpec is SCRI v0 without the weight-noise draws: the golden
// sensitivity file has only the 8 deterministic scenarios.
func toySpec() composite.Spec {
	s := composite.DefaultSpec()
	s.Sensitivity.NoiseDraws = 0
	return s
}

func runToy(t *testing.T) (*composite.Result, map[string]int, map[string]int) {
	t.Helper()
	units := toyUnits(t)
	res, err := composite.Run(toySpec(), units, 1)
	if err != nil {
		t.Fatal(err)
	}
	unitPos := map[string]int{}
	for i, u := range res.Units {
		unitPos[u.ID] = i
	}
	indPos := map[string]int{}
	for i, ind := range res.Spec.Indicators {
		indPos[ind.Name] = i
	}
	return res, unitPos, indPos
}

func TestToyIndicators(t *testing.T) {
	res, unitPos, indPos := runToy(t)
	_, rows := readCSV(t, "riskidx_scri_toy_expected_indicators.csv")
	if len(rows) != 8*11 {
		t.Fatalf("%d rows, want 88", len(rows))
	}
	k := newTracker(t, "toy indicators")
	for _, r := range rows {
		u, ok1 := unitPos[r["id"]]
		i, ok2 := indPos[r["indicator"]]
		if !ok1 || !ok2 {
			t.Fatalf("unknown row %s %s", r["id"], r["indicator"])
		}
		v := res.Units[u].Indicators[i]
		id := r["id"] + " " + r["indicator"]
		k.Check(id+" raw", v.Raw, r["raw_unsmoothed"])
		k.Check(id+" value used", v.Value, r["value_used"])
		k.Check(id+" normalised", v.Normalised, r["normalised_0_10"])
	}
	k.Done(len(rows))
}

func TestToyIndex(t *testing.T) {
	res, unitPos, _ := runToy(t)
	_, rows := readCSV(t, "riskidx_scri_toy_expected_index.csv")
	if len(rows) != 8 {
		t.Fatalf("%d rows, want 8", len(rows))
	}
	k := newTracker(t, "toy index")
	for _, r := range rows {
		u := res.Units[unitPos[r["id"]]]
		id := r["id"]
		for d, dim := range res.Spec.Dimensions {
			k.Check(id+" "+dim.Name, u.Dimensions[d], r[dim.Name])
		}
		k.Check(id+" risk_geo", u.Index, r["risk_geo"])
		if got := strconv.FormatFloat(u.Index1dp, 'f', 1, 64); got != r["risk_display_1dp"] {
			t.Errorf("%s: 1-dp score %s, want %s", id, got, r["risk_display_1dp"])
		}
		if u.BandIndex.String() != r["band_index"] {
			t.Errorf("%s: band_index %s, want %s", id, u.BandIndex, r["band_index"])
		}
		if !u.Funnel.Tested {
			t.Fatalf("%s: funnel did not run", id)
		}
		k.Check(id+" E", u.Funnel.Expected, r["E_expected_cases"])
		k.Check(id+" SR", u.Funnel.SR, r["SR"])
		k.Check(id+" z", u.Funnel.Z, r["z_poisson"])
		k.Check(id+" z_adj", u.Funnel.ZAdj, r["z_adj"])
		k.Check(id+" lim95_hi", u.Funnel.Alert.Upper, r["lim95_hi"])
		k.Check(id+" lim998_hi", u.Funnel.Alarm.Upper, r["lim998_hi"])
		if u.Funnel.Flag.String() != r["funnel_flag"] {
			t.Errorf("%s: funnel flag %s, want %s", id, u.Funnel.Flag, r["funnel_flag"])
		}
		if u.Band.String() != r["final_band"] {
			t.Errorf("%s: final band %s, want %s (reasons %v)", id, u.Band, r["final_band"], u.Reasons)
		}
		if strconv.Itoa(u.Rank) != r["rank"] {
			t.Errorf("%s: rank %d, want %s", id, u.Rank, r["rank"])
		}
	}
	k.Done(len(rows))
}

func TestToyContributions(t *testing.T) {
	res, unitPos, indPos := runToy(t)
	_, rows := readCSV(t, "riskidx_scri_toy_expected_contrib.csv")
	if len(rows) != 8*11 {
		t.Fatalf("%d rows, want 88", len(rows))
	}
	k := newTracker(t, "toy contributions")
	sums := map[string]float64{}
	for _, r := range rows {
		u := res.Units[unitPos[r["id"]]]
		c := u.Contributions[indPos[r["indicator"]]]
		id := r["id"] + " " + r["indicator"]
		k.Check(id+" effective weight", c.EffectiveWeight, r["effective_weight"])
		k.Check(id+" contribution", c.Linear, r["contribution"])
		k.Check(id+" excess", c.Excess, r["excess_vs_mean"])
		k.Check(id+" log-mean attribution", c.VsMean, r["logmean_attr_lnR_vs_mean_profile"])
		sums[r["id"]] += c.VsMean
	}
	k.Done(len(rows))
	// The attribution is exact: its terms sum to ln R − ln R_ref, with R_ref
	// the index of the mean profile (checked against the golden R and the
	// golden dimension scores, not against the code's own ratio).
	_, idx := readCSV(t, "riskidx_scri_toy_expected_index.csv")
	var dimMean [3]float64
	for _, r := range idx {
		dimMean[0] += num(t, r["A_pressure"]) / 8
		dimMean[1] += num(t, r["B_vulnerability"]) / 8
		dimMean[2] += num(t, r["C_lack_of_capacity"]) / 8
	}
	lnRef := (math.Log(dimMean[0]) + math.Log(dimMean[1]) + math.Log(dimMean[2])) / 3
	for _, r := range idx {
		want := math.Log(num(t, r["risk_geo"])) - lnRef
		if d := math.Abs(sums[r["id"]] - want); d > 2e-6 {
			t.Errorf("%s: Σ attribution %.9f, ln R − ln R_ref %.9f", r["id"], sums[r["id"]], want)
		}
	}
}

func TestToyDrivers(t *testing.T) {
	// RISK_INDEX.md §5.6: T3 Xiba's drivers against the county are the
	// unresolved rate (34.6 % vs 17.7 %), the overdue rate (18.1 % vs 9.4 %)
	// and growth (ln ratio 0.637).
	res, unitPos, _ := runToy(t)
	u := res.Units[unitPos["T3"]]
	want := []struct {
		code       string
		value, ref float64
	}{{"C2", 0.346, 0.177}, {"C1", 0.181, 0.094}, {"A2", 0.637, math.NaN()}}
	if len(u.DriversVsMean) != 3 {
		t.Fatalf("T3 drivers %+v", u.DriversVsMean)
	}
	for i, w := range want {
		d := u.DriversVsMean[i]
		if d.Code != w.code || math.Abs(d.Value-w.value) > 5e-4 || (!math.IsNaN(w.ref) && math.Abs(d.RefValue-w.ref) > 5e-4) {
			t.Errorf("driver %d = %s %.4f vs %.4f, want %s %.3f vs %.3f", i, d.Code, d.Value, d.RefValue, w.code, w.value, w.ref)
		}
	}
}

func TestToyParams(t *testing.T) {
	res, _, indPos := runToy(t)
	var p struct {
		Theta0   float64            `json:"theta0_per10k"`
		A        float64            `json:"eb_pois_a"`
		B        float64            `json:"eb_pois_b"`
		S2       float64            `json:"eb_pois_s2"`
		Phi      float64            `json:"phi"`
		Tau2     float64            `json:"tau2"`
		Over     bool               `json:"overdispersed"`
		EntW     map[string]float64 `json:"entropy_weights"`
		EntE     map[string]float64 `json:"entropy_e"`
		Binomial map[string]struct {
			B   float64   `json:"b"`
			S2  float64   `json:"s2"`
			Rho []float64 `json:"rho"`
		} `json:"eb_binom_params"`
	}
	readJSON(t, "riskidx_scri_toy_expected_params.json", &p)
	k := newTracker(t, "toy params")
	rel := func(what string, got, want float64) {
		k.CheckTol(what, got, want, 1e-9*math.Abs(want)+1e-15)
	}
	pr := res.Params
	rel("theta0 per 10k", pr.Theta0PerUnit, p.Theta0)
	a1 := pr.EB[indPos["A1_incidence_per10k"]]
	rel("poisson a", a1.A, p.A)
	rel("poisson b", a1.B, p.B)
	rel("poisson s2", a1.S2, p.S2)
	rel("phi", pr.Overdispersion.Phi, p.Phi)
	rel("tau2", pr.Overdispersion.Tau2Applied, p.Tau2)
	if pr.Overdispersion.Overdispersed != p.Over {
		t.Errorf("overdispersed %v", pr.Overdispersion.Overdispersed)
	}
	if len(p.EntW) != 11 || len(p.Binomial) != 9 {
		t.Fatalf("params file has %d entropy weights and %d binomial indicators", len(p.EntW), len(p.Binomial))
	}
	for name, w := range p.EntW {
		i, ok := indPos[name]
		if !ok {
			t.Fatalf("unknown indicator %s", name)
		}
		k.CheckTol(name+" entropy weight", pr.Weights.Entropy[i], w, 1e-9*math.Abs(w)+1e-12)
		k.CheckTol(name+" entropy e", pr.Weights.EntropyE[i], p.EntE[name], 1e-9*math.Abs(p.EntE[name]))
	}
	rk := newTracker(t, "toy params, rho (printed to 6 decimals)")
	for name, b := range p.Binomial {
		i := indPos[name]
		rel(name+" b", pr.EB[i].B, b.B)
		rel(name+" s2", pr.EB[i].S2, b.S2)
		for u, rho := range b.Rho {
			rk.CheckTol(name+" rho "+res.Units[u].ID, res.Units[u].Indicators[i].Shrinkage, rho, 5e-7+1e-12)
		}
	}
	k.Done(1)
	rk.Done(9)
}

func TestToySensitivity(t *testing.T) {
	res, unitPos, _ := runToy(t)
	_, rows := readCSV(t, "riskidx_scri_toy_expected_sensitivity.csv")
	ids := []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"}
	k := newTracker(t, "toy sensitivity")
	nScen := 0
	for _, r := range rows {
		switch r["scenario"] {
		case "band_agreement_share":
			for _, id := range ids {
				u := res.Units[unitPos[id]]
				k.Check(id+" band agreement", u.Sensitivity.Agreement, r[id+"_score"])
				if want := num(t, r[id+"_score"]) < 0.6; u.Sensitivity.Unstable != want {
					t.Errorf("%s: unstable %v, want %v", id, u.Sensitivity.Unstable, want)
				}
			}
		case "rank_min_max":
			for _, id := range ids {
				u := res.Units[unitPos[id]]
				got := strconv.Itoa(u.Sensitivity.RankMin) + "-" + strconv.Itoa(u.Sensitivity.RankMax)
				if got != r[id+"_score"] {
					t.Errorf("%s: rank range %s, want %s", id, got, r[id+"_score"])
				}
			}
		default:
			if nScen >= len(res.Scenarios) {
				t.Fatalf("more reference scenarios than computed (%d)", len(res.Scenarios))
			}
			sc := res.Scenarios[nScen]
			nScen++
			if sc.Name != r["scenario"] {
				t.Errorf("scenario %d is %q, want %q", nScen, sc.Name, r["scenario"])
				continue
			}
			for _, id := range ids {
				u := unitPos[id]
				k.Check(sc.Name+" "+id+" score", sc.Scores[u], r[id+"_score"])
				if strconv.Itoa(sc.Ranks[u]) != r[id+"_rank"] {
					t.Errorf("%s %s: rank %d, want %s", sc.Name, id, sc.Ranks[u], r[id+"_rank"])
				}
				if sc.Bands[u].String() != r[id+"_band"] {
					t.Errorf("%s %s: band %s, want %s", sc.Name, id, sc.Bands[u], r[id+"_band"])
				}
			}
			k.Check(sc.Name+" mean abs rank shift", sc.MeanAbsRankShift, r["mean_abs_rank_shift_vs_nominal"])
		}
	}
	if nScen != 8 || len(res.Scenarios) != 8 {
		t.Errorf("%d reference scenarios, %d computed; want 8", nScen, len(res.Scenarios))
	}
	if !strings.HasPrefix(res.Scenarios[0].Name, "EB|equal|geo") {
		t.Errorf("first scenario %q is not the nominal one", res.Scenarios[0].Name)
	}
	k.Done(len(rows))
}
