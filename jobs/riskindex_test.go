package jobs

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestRiskWindowsFor(t *testing.T) {
	w := RiskWindowsFor(schemas.Week, sh(2026, 3, 9).Add(70*time.Minute), 7)
	want := store.RiskWindows{Start: sh(2026, 3, 2), End: sh(2026, 3, 9),
		PrevStarts:  [4]time.Time{sh(2026, 2, 23), sh(2026, 2, 16), sh(2026, 2, 9), sh(2026, 2, 2)},
		CohortStart: sh(2026, 2, 23), CohortEnd: sh(2026, 3, 2)}
	if fmt.Sprint(w) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", w, want)
	}
	if !w.PrevEnd(0).Equal(sh(2026, 3, 2)) || !w.PrevEnd(3).Equal(sh(2026, 2, 9)) {
		t.Errorf("prev ends %v %v", w.PrevEnd(0), w.PrevEnd(3))
	}
	m := RiskWindowsFor(schemas.Month, sh(2026, 3, 1), 30)
	if !m.Start.Equal(sh(2026, 2, 1)) || !m.PrevStarts[3].Equal(sh(2025, 10, 1)) ||
		!m.CohortStart.Equal(sh(2026, 1, 2)) || !m.CohortEnd.Equal(sh(2026, 1, 30)) {
		t.Errorf("month %+v", m)
	}
}

func TestRiskBandStateAndBaseline(t *testing.T) {
	for _, s := range []composite.BandState{{Band: composite.BandOrange, Below: 1}, {Band: composite.BandNA}} {
		got, err := DecodeBandState(EncodeBandState(s))
		if err != nil || got != s {
			t.Errorf("%+v: round trip %+v, %v", s, got, err)
		}
	}
	if _, err := DecodeBandState("purple:1"); err == nil {
		t.Error("purple band accepted")
	}
	win := RiskWindowsFor(schemas.Week, sh(2026, 3, 9), 7)
	c := &RiskCounts{}
	c.Prev = [4]uint64{10, 20, 30, 40}
	// Data since 2026-02-10: the windows ending 03-02, 02-23 and 02-16 have
	// data, the one ending 02-09 not: B = (10+20+30)/3.
	if b := RiskBaseline(c, win, sh(2026, 2, 10)); b != 20 {
		t.Errorf("baseline %v, want 20", b)
	}
	if b := RiskBaseline(c, win, sh(2026, 1, 1)); b != 25 {
		t.Errorf("baseline %v, want 25", b)
	}
	if b := RiskBaseline(c, win, sh(2026, 3, 3)); !math.IsNaN(b) {
		t.Errorf("baseline %v without history, want NaN", b)
	}
}

func riskRegistry(t *testing.T) *schemas.Registry {
	t.Helper()
	reg, err := schemas.LoadCSV(strings.NewReader("code,name,level,parent_code,population\n"+
		"C,City,2,,200000\nK1,County1,3,C,120000\nK2,County2,3,C,50000\nK3,County3,3,C,30000\n"+
		"T1,Town1,4,K1,60000\nT2,Town2,4,K1,40000\nT3,Town3,4,K1,20000\nV1,Village1,5,T1,30000\n"), "risk.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// riskPlan says which of a unit's n cases in one week have which property:
// case i (0-based) is difficult when i < d, a group dispute (6 parties) when
// i < g, high-amount (80,000 yuan) when i < h, of a sensitive type (labor)
// when i < s, a repeat when i < r, escalated when i < e, due 3 days after
// its report (inside the week) when i < short (else after 15 days, outside
// both weeks), unresolved when i < u (else resolved a day after its
// report), evaluated when i ≥ n − ev and satisfied when i ≥ n − sat.
type riskPlan struct {
	n, d, g, h, s, r, e, short, u, ev, sat int
}

// riskPlans are the two weeks' plans per unit; K2 and K3 have their cases
// recorded at county level, T1's alternate between village V1 and the town.
var riskPlans = map[string][2]riskPlan{
	"T1": {{20, 6, 3, 3, 8, 3, 2, 6, 4, 10, 6}, {10, 0, 0, 0, 1, 0, 0, 4, 0, 5, 5}},
	"T2": {{12, 3, 1, 1, 4, 1, 1, 4, 2, 6, 3}, {8, 1, 0, 0, 1, 0, 0, 3, 1, 4, 4}},
	"T3": {{8, 2, 1, 1, 3, 1, 1, 3, 2, 4, 2}, {5, 0, 0, 0, 0, 0, 0, 2, 0, 2, 2}},
	"K2": {{12, 3, 1, 1, 4, 1, 1, 4, 2, 6, 3}, {9, 1, 0, 1, 2, 1, 0, 3, 1, 4, 3}},
	"K3": {{8, 2, 1, 1, 3, 1, 1, 3, 2, 4, 2}, {5, 0, 0, 0, 1, 0, 0, 2, 0, 2, 2}},
}

// riskWeekStarts are the Mondays of the two weeks (windows ending 03-02
// and 03-09).
var riskWeekStarts = [2]time.Time{sh(2026, 2, 23), sh(2026, 3, 2)}

// riskCases builds the case rows of the plans: every case of a week is
// reported on its Monday from 08:00, ten minutes apart.
func riskCases() []schemas.CaseRow {
	var out []schemas.CaseRow
	for _, unit := range []string{"K2", "K3", "T1", "T2", "T3"} {
		for wk, p := range riskPlans[unit] {
			for i := 0; i < p.n; i++ {
				rep := riskWeekStarts[wk].Add(8*time.Hour + time.Duration(i)*10*time.Minute)
				local := rep.In(schemas.Shanghai)
				r := schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: fmt.Sprintf("%s-w%d-%02d", unit, wk+1, i), Version: 1, Contract: 1,
					ReportedAt: rep, ReportedDate: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC),
					CityCode: "C", Category: "neighbor", CategoryGroup: "neighbor", Severity: schemas.SeverityGeneral, Parties: 2,
					AmountCNY: 1000, Status: schemas.StatusResolved}
				switch {
				case unit[0] == 'K':
					r.RegionCode, r.RegionLevel, r.CountyCode = unit, 3, unit
				case unit == "T1" && i%2 == 0:
					r.RegionCode, r.RegionLevel, r.CountyCode, r.TownCode, r.VillageCode = "V1", 5, "K1", "T1", "V1"
				default:
					r.RegionCode, r.RegionLevel, r.CountyCode, r.TownCode = unit, 4, "K1", unit
				}
				if i < p.d {
					r.Severity = schemas.SeverityDifficult
				}
				if i < p.g {
					r.Parties, r.GroupDispute = 6, true
				}
				if i < p.h {
					r.AmountCNY, r.LargeAmount = 80000, true
				}
				if i < p.s {
					r.Category, r.CategoryGroup = "labor", "labor"
				}
				if i < p.r {
					r.RepeatOf = "earlier-" + r.CaseID
				}
				r.Escalated = i < p.e
				due := rep.AddDate(0, 0, 15)
				if i < p.short {
					due = rep.AddDate(0, 0, 3)
				}
				r.DueAt = &due
				if i < p.u {
					r.Status = schemas.StatusHandling
				} else {
					res := rep.AddDate(0, 0, 1)
					r.ResolvedAt = &res
				}
				if i >= p.n-p.ev {
					ev := rep.AddDate(0, 0, 2)
					r.EvaluatedAt, r.Satisfaction = &ev, schemas.SatisfactionDissatisfied
					if i >= p.n-p.sat {
						r.Satisfaction = schemas.SatisfactionSatisfied
					}
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// riskHandCounts are a unit's counts in week wk (0 or 1) read off the plans
// by hand rules, not through SQL: A2's baseline is the previous week
// (the only week with data); C2's cohort, with a 7-day lag, is the previous
// week's cases, all handled but the u unresolved ones; C1 counts the short
// cases due in the week, overdue when also unresolved (min(short, u)).
func riskHandCounts(units []string, wk int, pop float64) composite.TownCounts {
	tc := composite.TownCounts{Population: pop * 7 / (365.25 / 4), Baseline: math.NaN()}
	if wk == 1 {
		tc.Baseline = 0
	}
	for _, u := range units {
		p, q := riskPlans[u][wk], riskPlans[u][0]
		tc.Accepted += float64(p.n)
		tc.Difficult += float64(p.d)
		tc.Group += float64(p.g)
		tc.HighAmount += float64(p.h)
		tc.Sensitive += float64(p.s)
		tc.Repeat += float64(p.r)
		tc.Escalated += float64(p.e)
		tc.Due += float64(p.short)
		tc.Overdue += float64(min(p.short, p.u))
		tc.Evaluated += float64(p.ev)
		tc.Satisfied += float64(p.sat)
		if wk == 1 {
			tc.Baseline += float64(q.n)
			tc.CohortAccepted += float64(q.n)
			tc.CohortHandled += float64(q.n - q.u)
		}
	}
	return tc
}

// TestRiskIndexJobOnClickHouse writes two weeks of cases for a small
// registry, runs the weekly job for both weeks (the second twice) and
// checks the rows: raw indicator values against hand counts, every
// computed field against composite.Run on hand-built units, the state
// carried from week 1 to week 2, and one set of rows per window.
func TestRiskIndexJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "risk")
	reg := riskRegistry(t)
	if err := st.InsertCases(ctx, riskCases()); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultRiskConfig()
	cfg.CohortLagDays = 7 // so that week 2's C2 cohort is week 1
	// A few dozen cases per unit are far below the §5.1 minimum data, which
	// would mark every row poor; this test checks the index arithmetic, and
	// TestRiskIndexLevelGate the gate.
	cfg.MinMedianExpected = 0
	n := 0
	clock := func() time.Time { n++; return sh(2026, 3, 9).Add(time.Duration(n) * time.Second) }
	job := RiskIndexJobWith(st, reg, cfg, schemas.Week, clock)
	ends := [2]time.Time{sh(2026, 3, 2), sh(2026, 3, 9)}
	for _, at := range []time.Time{ends[0], ends[1], ends[1]} {
		if got, err := job(ctx, at.Add(70*time.Minute)); err != nil || got != 6 {
			t.Fatalf("window %v: %d rows, %v (want 6: three counties, three towns)", at, got, err)
		}
	}
	var stored [2]map[string]store.RiskIndexRow
	for wk, end := range ends {
		rows, err := st.RiskIndexRows(ctx, "week", end)
		if err != nil {
			t.Fatal(err)
		}
		stored[wk] = map[string]store.RiskIndexRow{}
		for _, r := range rows {
			stored[wk][r.RegionCode] = r
		}
		if len(rows) != 6 {
			t.Fatalf("week %d: %d rows", wk+1, len(rows))
		}
	}

	// Raw values against hand counts. T1, week 1: 20 cases, 6 difficult,
	// 3 group, 8 sensitive; 6 due in the week, 4 of them unresolved; 4 of 10
	// evaluated dissatisfied. T1, week 2: 10 cases against a baseline of
	// week 1's 20, one sensitive; 4 of week 1's 20 cases still unresolved.
	perQuarter := 7 / (365.25 / 4)
	hand := []struct {
		wk, k int
		want  float64
	}{
		{0, composite.A1, 20 / (60000 * perQuarter) * 1e4}, {0, composite.A3, 6.0 / 20}, {0, composite.A4, 3.0 / 20},
		{0, composite.B1, 8.0 / 20}, {0, composite.C1, 4.0 / 6}, {0, composite.C3, 4.0 / 10},
		{1, composite.A1, 10 / (60000 * perQuarter) * 1e4}, {1, composite.A2, math.Log(10.5 / 20.5)},
		{1, composite.B1, 1.0 / 10}, {1, composite.C1, 0}, {1, composite.C2, 4.0 / 20}, {1, composite.C3, 0},
	}
	for _, h := range hand {
		if got := stored[h.wk]["T1"].IndicatorRaw[h.k]; math.Abs(got-h.want) > 1e-12 {
			t.Errorf("T1 week %d %s raw %v, want %v", h.wk+1, cfg.Spec.Indicators[h.k].Code, got, h.want)
		}
	}
	t1 := stored[1]["T1"]
	if t1.NCases != 10 || t1.IndicatorNames[composite.C3] != "C3_dissatisfaction_rate" || t1.ParentCode != "K1" || t1.Level != 4 {
		t.Errorf("T1 week 2 %+v", t1)
	}
	// County K1 sums its towns (T1's cases half in village V1): 40 cases in
	// week 1, 11 of them difficult.
	if k1 := stored[0]["K1"]; k1.NCases != 40 || math.Abs(k1.IndicatorRaw[composite.A3]-11.0/40) > 1e-12 {
		t.Errorf("K1 week 1: %d cases, A3 %v", k1.NCases, k1.IndicatorRaw[composite.A3])
	}
	// Week 1 has no baseline and an empty C2 cohort.
	if w1 := stored[0]["T1"]; !math.IsNaN(w1.IndicatorRaw[composite.A2]) || !math.IsNaN(w1.IndicatorRaw[composite.C2]) {
		t.Errorf("T1 week 1 A2 %v C2 %v, want NaN", w1.IndicatorRaw[composite.A2], w1.IndicatorRaw[composite.C2])
	}

	// Plumbing: composite.Run on units built from the hand counts (not from
	// SQL), grouped as siblings, with the job's seed and, in week 2, week 1's
	// hand results as Previous, must give exactly the stored rows. This
	// checks the wiring, not the statistics (tested in indices/composite).
	groups := []struct {
		level  schemas.Level
		parent string
		units  []string
		parts  map[string][]string
		pops   []float64
	}{
		{schemas.LevelCounty, "C", []string{"K1", "K2", "K3"}, map[string][]string{"K1": {"T1", "T2", "T3"}}, []float64{120000, 50000, 30000}},
		{schemas.LevelTown, "K1", []string{"T1", "T2", "T3"}, nil, []float64{60000, 40000, 20000}},
	}
	prevHand := map[string]composite.UnitResult{}
	for wk, end := range ends {
		nextPrev := map[string]composite.UnitResult{}
		for _, g := range groups {
			var units []composite.Unit
			for i, id := range g.units {
				parts := g.parts[id]
				if parts == nil {
					parts = []string{id}
				}
				u := composite.Unit{ID: id, Counts: composite.SCRICounts(riskHandCounts(parts, wk, g.pops[i]))}
				if p, ok := prevHand[id]; ok {
					state := p.State
					vals := make([]float64, len(p.Indicators))
					for k, iv := range p.Indicators {
						vals[k] = iv.Value
					}
					u.Previous = &composite.Previous{Values: vals, State: &state}
				}
				units = append(units, u)
			}
			res, err := composite.Run(cfg.Spec, units, RiskSeed("week", end, g.level, g.parent))
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range res.Units {
				nextPrev[u.ID] = u
				got := stored[wk][u.ID]
				want := []any{u.Index, u.Index1dp, u.BandIndex.String(), u.Band.String(), fmt.Sprint(u.Reasons), u.Reliability.String(),
					u.Funnel.Flag.String(), EncodeBandState(u.State), u.Sensitivity.Agreement, u.Sensitivity.Unstable, u.Rank,
					fmt.Sprint(encodeDrivers(u.DriversVsPrevious)), fmt.Sprint(encodeDrivers(u.DriversVsMean)), res.Fingerprint}
				reasons := fmt.Sprint(got.BandReasons)
				if len(got.BandReasons) == 0 {
					reasons = "[]"
				}
				have := []any{got.Index, got.Score, got.BandIndex, got.Band, reasons, got.Reliability,
					got.FunnelFlag, got.State, got.Agreement, got.Unstable, int(got.Rank),
					fmt.Sprint(got.DriversPrev), fmt.Sprint(got.DriversSiblings), got.SpecFingerprint}
				if fmt.Sprint(have) != fmt.Sprint(want) {
					t.Errorf("week %d %s:\n got %v\nwant %v", wk+1, u.ID, have, want)
				}
				for k, iv := range u.Indicators {
					if !sameFloat(got.IndicatorRaw[k], iv.Raw) || !sameFloat(got.IndicatorValues[k], iv.Value) || !sameFloat(got.IndicatorScores[k], iv.Normalised) {
						t.Errorf("week %d %s %s: stored %v/%v/%v, want %v/%v/%v", wk+1, u.ID, cfg.Spec.Indicators[k].Code,
							got.IndicatorRaw[k], got.IndicatorValues[k], got.IndicatorScores[k], iv.Raw, iv.Value, iv.Normalised)
					}
				}
				for d, v := range u.Dimensions {
					if !sameFloat(got.DimensionScores[d], v) {
						t.Errorf("week %d %s dimension %d: %v, want %v", wk+1, u.ID, d, got.DimensionScores[d], v)
					}
				}
				t.Logf("week %d %s: R=%.3f score %.1f band %s (index band %s) %v reliability %s state %s drivers_prev %v",
					wk+1, u.ID, got.Index, got.Score, got.Band, got.BandIndex, got.BandReasons, got.Reliability, got.State, got.DriversPrev)
			}
		}
		prevHand = nextPrev
	}
	// Week 2 carries week 1's state: every unit was red in week 1 and
	// scores far lower in week 2, so hysteresis holds red for one window
	// (T1: score 1.5, index band normal) and counts one window below. Only
	// week 2 has drivers against a previous window.
	if t1.Band != "red" || t1.BandIndex != "normal" || fmt.Sprint(t1.BandReasons) != "[hysteresis_hold]" || t1.State != "red:1" ||
		stored[0]["T1"].State != "red:0" {
		t.Errorf("T1 week 2 band %s (index band %s) %v state %s; week 1 state %s", t1.Band, t1.BandIndex, t1.BandReasons, t1.State, stored[0]["T1"].State)
	}
	withPrev := 0
	for id, r := range stored[1] {
		if len(stored[0][id].DriversPrev) != 0 {
			t.Errorf("week 1 %s has drivers against a previous window: %v", id, stored[0][id].DriversPrev)
		}
		if len(r.DriversPrev) > 0 {
			withPrev++
		}
	}
	if withPrev == 0 {
		t.Error("no week 2 row has drivers against week 1")
	}
	if !strings.Contains(t1.SpecVersion, "methodology=scri-v0") || !strings.Contains(t1.SpecVersion, "counts=riskwatch-counts-v0#") ||
		t1.SpecFingerprint != cfg.Spec.Fingerprint() || t1.Seed != RiskSeed("week", ends[1], schemas.LevelTown, "K1") {
		t.Errorf("versions %q %q seed %d", t1.SpecVersion, t1.SpecFingerprint, t1.Seed)
	}
	cnt, err := ch.Query(ctx, "SELECT count() FROM "+st.Database()+".risk_index FINAL")
	if err != nil || strings.TrimSpace(cnt) != "12" {
		t.Errorf("risk_index FINAL has %s rows after three runs of two windows, want 12 (%v)", cnt, err)
	}
}

// sameFloat is equality with NaN equal to NaN.
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// TestRiskIndexLevelGate checks the §5.1 minimum data on the same cases:
// by hand, week 2's expected counts (the baseline, week 1 alone) are K1 40,
// K2 12, K3 8 at county level and T1 20, T2 12, T3 8 at town level, so
// both medians are 12. A minimum of 13 marks every row (gate 0, poor, the
// reason, band at most yellow without a funnel alarm); 12 passes (≥). The
// rows also carry the population vintage (0: the CSV registry has none)
// and the data lag: T1's and K1's latest week-2 case is T1's tenth, 8 h 90
// min after the week start; K2's is its ninth, 8 h 80 min after it.
func TestRiskIndexLevelGate(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	reg := riskRegistry(t)
	ends := [2]time.Time{sh(2026, 3, 2), sh(2026, 3, 9)}
	for _, tc := range []struct {
		min  float64
		gate bool
	}{{13, false}, {12, true}} {
		st := migratedStore(t, ch, fmt.Sprintf("riskgate%d", int(tc.min)))
		if err := st.InsertCases(ctx, riskCases()); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultRiskConfig()
		cfg.CohortLagDays = 7
		cfg.MinMedianExpected = tc.min
		job := RiskIndexJobWith(st, reg, cfg, schemas.Week, func() time.Time { return sh(2026, 3, 9) })
		for _, at := range ends {
			if _, err := job(ctx, at.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := st.RiskIndexRows(ctx, "week", ends[1])
		if err != nil || len(rows) != 6 {
			t.Fatalf("min %v: %d rows, %v", tc.min, len(rows), err)
		}
		lagDays := map[string]float64{
			"T1": 7 - (8+1.5)/24, "K1": 7 - (8+1.5)/24, "K2": 7 - (8+80.0/60)/24,
		}
		for _, r := range rows {
			hasReason := slices.Contains(r.BandReasons, LevelGateReason)
			if r.LevelGate != tc.gate || r.LevelMedianExpected != 12 || hasReason == tc.gate {
				t.Errorf("min %v %s: gate %v median %v reasons %v, want gate %v median 12", tc.min, r.RegionCode,
					r.LevelGate, r.LevelMedianExpected, r.BandReasons, tc.gate)
			}
			if !tc.gate {
				if r.Reliability != "poor" {
					t.Errorf("min %v %s: reliability %s, want poor below the gate", tc.min, r.RegionCode, r.Reliability)
				}
				if (r.Band == "orange" || r.Band == "red") && r.FunnelFlag != "alarm_99.8" {
					t.Errorf("min %v %s: band %s above yellow without a funnel alarm", tc.min, r.RegionCode, r.Band)
				}
			}
			if r.PopVintageYear != 0 {
				t.Errorf("%s: pop_vintage_year %d, want 0", r.RegionCode, r.PopVintageYear)
			}
			if want, ok := lagDays[r.RegionCode]; ok && math.Abs(r.DataLagDays-want) > 1e-9 {
				t.Errorf("%s: data_lag_days %v, want %v", r.RegionCode, r.DataLagDays, want)
			}
		}
	}
}
