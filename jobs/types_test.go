package jobs

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestPoissonUpperTailByHand(t *testing.T) {
	// P(X >= k | λ) = 1 - Σ_{i<k} e^-λ λ^i / i!, summed here term by term.
	byHand := func(k int, lambda float64) float64 {
		s, term := 0.0, math.Exp(-lambda)
		for i := 0; i < k; i++ {
			s += term
			term *= lambda / float64(i+1)
		}
		return 1 - s
	}
	for _, c := range []struct {
		k      uint64
		lambda float64
		want   float64
	}{
		{8, 2, 0.0010967189678585676}, // ≈ 0.00110
		{3, 3, 0.5768099188731565},    // 1 - 8.5 e^-3
		{5, 0.5, 0.00017211562995578245},
		{1, 0.5, 0.3934693402873666}, // 1 - e^-0.5
		{0, 4, 1},
	} {
		got := PoissonUpperTail(c.k, c.lambda)
		if !near(got, c.want, 1e-12) || !near(got, byHand(int(c.k), c.lambda), 1e-12) {
			t.Errorf("P(X >= %d | %v) = %v, want %v", c.k, c.lambda, got, c.want)
		}
	}
}

func TestTypeSignalRules(t *testing.T) {
	cases := []struct {
		name                 string
		cases                uint64
		prev                 [4]uint64
		baseline, growth     float64 // growth NaN = undefined
		significant, surging bool
	}{
		// 8 against a mean of 2: p ≈ 0.0011, growth +300 %.
		{"surge", 8, [4]uint64{2, 2, 2, 2}, 2, 3, true, true},
		// 3 against 3: no increase, p ≈ 0.577.
		{"flat", 3, [4]uint64{3, 3, 3, 3}, 3, 0, false, false},
		// 5 from nothing: λ is floored at 0.5, p ≈ 0.00017; growth infinite.
		{"new", 5, [4]uint64{}, 0, math.NaN(), true, true},
		// 2 from nothing: p ≈ 0.090 and fewer than 3 cases.
		{"few", 2, [4]uint64{}, 0, math.NaN(), false, false},
		// 3 from nothing: p = 1 - e^-0.5 (1 + 0.5 + 0.125) ≈ 0.0144 < 0.05, 3 cases.
		{"three", 3, [4]uint64{}, 0, math.NaN(), true, true},
		// 30 against a mean of 22: p ≈ 0.055, not significant although +36 %.
		{"noisy", 30, [4]uint64{20, 24, 22, 22}, 22, 30.0/22 - 1, false, false},
		// 40 against 30: significant (p ≈ 0.044) but growth +33 % < 50 %: not surging.
		{"significant only", 40, [4]uint64{30, 30, 30, 30}, 30, 40.0/30 - 1, true, false},
		// A drop is never significant.
		{"drop", 0, [4]uint64{1, 0, 0, 0}, 0.25, -1, false, false},
	}
	for _, c := range cases {
		s := TypeSignalOf(c.cases, c.prev)
		growthOK := (math.IsNaN(c.growth) && math.IsNaN(s.Growth)) || near(s.Growth, c.growth, 1e-12)
		if s.Baseline != c.baseline || !growthOK || s.Significant != c.significant || s.Surging != c.surging {
			t.Errorf("%s: got %+v, want baseline %v growth %v significant %v surging %v", c.name, s, c.baseline, c.growth, c.significant, c.surging)
		}
	}
	if s := TypeSignalOf(8, [4]uint64{2, 2, 2, 2}); !near(s.P, 0.0010967189678585676, 1e-12) || s.Z != 6/math.Sqrt(2) {
		t.Errorf("surge p %v z %v", s.P, s.Z)
	}
}

func TestAggregateTypesByHand(t *testing.T) {
	reg := smallRegistry(t)
	cells := []store.TypeCell{
		{County: "K1", Town: "T1", Village: "V1", Category: "labor.wage_arrears", Cases: 8, Prev: [4]uint64{2, 2, 2, 2}},
		{County: "K1", Town: "T1", Village: "V1", Category: "zzz", Cases: 8, Prev: [4]uint64{2, 2, 2, 2}}, // not in the taxonomy
		{County: "K1", Town: "T1", Village: "V1", Category: "consumer", Prev: [4]uint64{1, 0, 0, 0}},      // a drop to 0
		{County: "K1", Town: "T1", Village: "V2", Category: "neighbor.noise", Cases: 3, Prev: [4]uint64{3, 3, 3, 3}},
		{County: "K1", Town: "T1", Category: "labor.wage_arrears", YoY: 4}, // town level, a year ago only
		{County: "K2", Category: "neighbor.noise", Cases: 5},
		{County: "K2", Category: "family", Cases: 2},
	}
	win := TypeWindowsFor(schemas.Week, sh(2026, 3, 2))
	rows := AggregateTypes(reg, cells, "week", win, sh(2026, 3, 2))
	type key struct{ region, cat string }
	by := map[key]store.TypeRank{}
	var order []string
	for _, r := range rows {
		by[key{r.RegionCode, r.Category}] = r
		if len(order) == 0 || order[len(order)-1] != r.RegionCode {
			order = append(order, r.RegionCode)
		}
		if r.Level == uint8(schemas.LevelVillage) {
			t.Errorf("village row %+v", r)
		}
	}
	// C: 5 categories; K1 and T1: wage, zzz, noise, consumer; K2: noise, family.
	if len(rows) != 15 || strings.Join(order, ",") != "C,K1,T1,K2" {
		t.Fatalf("%d rows in region order %v, want 15 in C,K1,T1,K2", len(rows), order)
	}
	// City: three categories with 8 cases, ranked by code; total 26.
	for cat, rank := range map[string]uint16{"labor.wage_arrears": 1, "neighbor.noise": 2, "zzz": 3, "family": 4, "consumer": 5} {
		if r := by[key{"C", cat}]; r.Rank != rank {
			t.Errorf("C %s rank %d, want %d", cat, r.Rank, rank)
		}
	}
	cw := by[key{"C", "labor.wage_arrears"}]
	if cw.Cases != 8 || cw.Share != 8.0/26 || cw.Baseline != 2 || cw.Growth != 3 || !cw.Significant || !cw.Surging ||
		!cw.HasYoY || cw.YoYCases != 4 || cw.CategoryNameZH != "拖欠农民工工资" || cw.Level != 2 || cw.Window != "week" || !cw.WindowEnd.Equal(sh(2026, 3, 2)) {
		t.Errorf("C wage %+v", cw)
	}
	// City noise = V2 (3, baseline 3) + K2 (5, baseline 0): 8 against 3, p ≈ 0.012, +167 %.
	if cn := by[key{"C", "neighbor.noise"}]; cn.Cases != 8 || cn.Baseline != 3 || !near(cn.Growth, 5.0/3, 1e-12) || !cn.Surging || cn.YoYCases != 0 || !cn.HasYoY {
		t.Errorf("C noise %+v", cn)
	}
	if z := by[key{"C", "zzz"}]; z.CategoryNameZH != "zzz" {
		t.Errorf("unknown category name %q", z.CategoryNameZH)
	}
	// T1: the town-level cell adds the year-ago count.
	tn := by[key{"T1", "neighbor.noise"}]
	if tn.Rank != 3 || tn.Cases != 3 || tn.Share != 3.0/19 || tn.Growth != 0 || tn.Significant || tn.Surging || tn.Level != 4 {
		t.Errorf("T1 noise %+v", tn)
	}
	tc := by[key{"T1", "consumer"}]
	if tc.Rank != 4 || tc.Cases != 0 || tc.Share != 0 || tc.Baseline != 0.25 || tc.Growth != -1 || tc.P != 1 || tc.Significant {
		t.Errorf("T1 consumer %+v", tc)
	}
	// K2: no case a year ago, so no year-ago count; noise is new and surging
	// (growth undefined), family has too few cases.
	kn, kf := by[key{"K2", "neighbor.noise"}], by[key{"K2", "family"}]
	if kn.Rank != 1 || kn.Share != 5.0/7 || kn.HasYoY || !math.IsNaN(kn.Growth) || !kn.Significant || !kn.Surging || kn.Level != 3 {
		t.Errorf("K2 noise %+v", kn)
	}
	if kf.Rank != 2 || kf.Share != 2.0/7 || kf.Significant || kf.Surging || !near(kf.P, 0.09020401043104986, 1e-12) {
		t.Errorf("K2 family %+v", kf)
	}
}

func TestTypeWindowsFor(t *testing.T) {
	w := TypeWindowsFor(schemas.Week, sh(2026, 3, 4))
	want := []time.Time{sh(2026, 2, 23), sh(2026, 3, 2), sh(2026, 2, 16), sh(2026, 2, 23), sh(2026, 2, 9), sh(2026, 2, 16),
		sh(2026, 2, 2), sh(2026, 2, 9), sh(2026, 1, 26), sh(2026, 2, 2), sh(2025, 2, 24), sh(2025, 3, 3)}
	got := []time.Time{w.Start, w.End, w.PrevStart[0], w.PrevEnd[0], w.PrevStart[1], w.PrevEnd[1],
		w.PrevStart[2], w.PrevEnd[2], w.PrevStart[3], w.PrevEnd[3], w.YoYStart, w.YoYEnd}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("bound %d: %v, want %v", i, got[i], want[i])
		}
	}
	m := TypeWindowsFor(schemas.Month, sh(2026, 3, 1))
	if !m.PrevStart[3].Equal(sh(2025, 10, 1)) || !m.PrevEnd[0].Equal(sh(2026, 2, 1)) || !m.YoYStart.Equal(sh(2025, 2, 1)) {
		t.Errorf("month windows %+v", m)
	}
	jobs := TypeJobs(nil, nil, nil)
	if len(jobs) != 3 || jobs[0].Name != "types_day" || jobs[1].Spec != "30 0 * * 1" || jobs[2].Window != schemas.Month {
		t.Errorf("jobs %+v", jobs)
	}
}

// TestTypeJobOnClickHouse: five consecutive weeks of cases written through
// the store give ranks, baselines and flags equal to hand counts, and
// computing the window twice leaves one set of rows.
func TestTypeJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "jobs")
	reg := smallRegistry(t)
	var rows []schemas.CaseRow
	add := func(reported time.Time, category, county, town, village string) {
		id := "c" + string(rune('a'+len(rows)%26)) + string(rune('a'+len(rows)/26))
		level, code := 3, county
		if town != "" {
			level, code = 4, town
		}
		if village != "" {
			level, code = 5, village
		}
		group := category
		if c, ok := schemas.CategoryByCode()[category]; ok && c.Parent != "" {
			group = c.Parent
		}
		loc := reported.In(schemas.Shanghai)
		rows = append(rows, schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1,
			ReportedAt: reported, ReportedDate: time.Date(loc.Year(), loc.Month(), loc.Day(), 0, 0, 0, 0, time.UTC),
			RegionCode: code, RegionLevel: uint8(level), CityCode: "C", CountyCode: county, TownCode: town, VillageCode: village,
			Category: category, CategoryGroup: group, Parties: 1, Status: schemas.StatusAccepted})
	}
	// The week ending Monday 2026-03-02 covers 02-23 … 03-01; the four weeks
	// before it start on 02-16, 02-09, 02-02 and 01-26.
	cur := sh(2026, 2, 23)
	for w := 1; w <= 4; w++ {
		start := cur.AddDate(0, 0, -7*w)
		add(start.Add(10*time.Hour), "labor.wage_arrears", "K1", "T1", "V1")             // 1 a week
		add(start.AddDate(0, 0, 2).Add(9*time.Hour), "neighbor.noise", "K1", "T1", "V2") // 2 a week
		add(start.AddDate(0, 0, 6).Add(23*time.Hour), "neighbor.noise", "K1", "T1", "V2")
	}
	for i := 0; i < 6; i++ { // 6 this week against 1: p ≈ 0.000594, +500 %
		add(cur.AddDate(0, 0, i).Add(8*time.Hour), "labor.wage_arrears", "K1", "T1", "V1")
	}
	for i := 0; i < 3; i++ { // 3 against 2: +50 % but p ≈ 0.323
		add(cur.AddDate(0, 0, i).Add(15*time.Hour), "neighbor.noise", "K1", "T1", "V2")
	}
	add(cur.Add(12*time.Hour), "family", "K2", "", "")                             // recorded at county level
	add(sh(2025, 2, 25).Add(10*time.Hour), "labor.wage_arrears", "K1", "T1", "V1") // 52 weeks earlier
	add(sh(2026, 3, 2).Add(time.Hour), "labor.wage_arrears", "K1", "T1", "V1")     // next week: outside
	add(cur.AddDate(0, 0, -35).Add(time.Hour), "neighbor.noise", "K1", "T1", "V2") // 5 weeks back: outside
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	clock := func() time.Time { n++; return sh(2026, 3, 2).Add(time.Duration(n) * time.Second) }
	job := TypeJob(st, reg, schemas.Week, clock)
	// C: wage, noise, family; K1 and T1: wage, noise; K2: family; no village rows.
	for i := 0; i < 2; i++ {
		if got, err := job(ctx, sh(2026, 3, 2).Add(30*time.Minute)); err != nil || got != 8 {
			t.Fatalf("run %d: %d rows, %v", i, got, err)
		}
	}
	out, err := ch.Query(ctx, "SELECT region_code, level, category, rank, cases, share, baseline, yoy_cases, growth, round(p, 6), significant, surging FROM "+
		st.Database()+".type_ranks FINAL WHERE window = 'week' AND window_end = toDateTime('2026-03-02 00:00:00', 'Asia/Shanghai') ORDER BY level, region_code, rank")
	if err != nil {
		t.Fatal(err)
	}
	want := "C\t2\tlabor.wage_arrears\t1\t6\t0.6\t1\t1\t5\t0.000594\t1\t1\n" +
		"C\t2\tneighbor.noise\t2\t3\t0.3\t2\t0\t0.5\t0.323324\t0\t0\n" +
		"C\t2\tfamily\t3\t1\t0.1\t0\t0\t\\N\t0.393469\t0\t0\n" +
		"K1\t3\tlabor.wage_arrears\t1\t6\t0.6666666666666666\t1\t1\t5\t0.000594\t1\t1\n" +
		"K1\t3\tneighbor.noise\t2\t3\t0.3333333333333333\t2\t0\t0.5\t0.323324\t0\t0\n" +
		"K2\t3\tfamily\t1\t1\t1\t0\t\\N\t\\N\t0.393469\t0\t0\n" +
		"T1\t4\tlabor.wage_arrears\t1\t6\t0.6666666666666666\t1\t1\t5\t0.000594\t1\t1\n" +
		"T1\t4\tneighbor.noise\t2\t3\t0.3333333333333333\t2\t0\t0.5\t0.323324\t0\t0\n"
	if out != want {
		t.Errorf("type_ranks:\n%s\nwant:\n%s", out, want)
	}
	cnt, _ := ch.Query(ctx, "SELECT count() FROM "+st.Database()+".type_ranks FINAL")
	if strings.TrimSpace(cnt) != "8" {
		t.Errorf("type_ranks FINAL has %s rows after two runs, want 8", cnt)
	}
}
