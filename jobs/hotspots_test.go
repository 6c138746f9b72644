package jobs

import (
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/spatial"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// hotspotRegistry is a hand hierarchy: city C; counties K1 (towns T1, T2)
// and K2 (town T3); villages V1–V3 in T1 and V4–V9 in T2, 500 residents
// each.
func hotspotRegistry(t *testing.T) *schemas.Registry {
	t.Helper()
	var b strings.Builder
	b.WriteString("code,name,level,parent_code,population\n")
	b.WriteString("C,City,2,,10000\nK1,County1,3,C,6000\nK2,County2,3,C,4000\n")
	b.WriteString("T1,Town1,4,K1,1500\nT2,Town2,4,K1,3000\nT3,Town3,4,K2,4000\n")
	for _, v := range []string{"V1", "V2", "V3"} {
		b.WriteString(v + "," + v + ",5,T1,500\n")
	}
	for _, v := range []string{"V4", "V5", "V6", "V7", "V8", "V9"} {
		b.WriteString(v + "," + v + ",5,T2,500\n")
	}
	reg, err := schemas.LoadCSV(strings.NewReader(b.String()), "hotspots.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// hotCells are the cells of the hand test: 10 cases in each of V1–V3, none
// in V4–V9, 4 recorded at town T2, 1 in an unknown village of T2 (counts at
// T2), 6 at town T3 and 2 at county K2 only.
func hotCells() []store.HotspotCell {
	return []store.HotspotCell{
		{County: "K1", Town: "T1", Village: "V1", Cases: 10},
		{County: "K1", Town: "T1", Village: "V2", Cases: 10},
		{County: "K1", Town: "T1", Village: "V3", Cases: 10},
		{County: "K1", Town: "T2", Cases: 4},
		{County: "K1", Town: "T2", Village: "VX", Cases: 1},
		{County: "K2", Town: "T3", Cases: 6},
		{County: "K2", Cases: 2},
	}
}

func hotNear(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

// marshallByHand is Marshall's global Poisson EB per 10,000, written out.
func marshallByHand(cases, pop []float64) []float64 {
	var cs, ns float64
	for i := range cases {
		cs += cases[i]
		ns += pop[i]
	}
	b := cs / ns
	var s2 float64
	for i := range cases {
		d := cases[i]/pop[i] - b
		s2 += pop[i] * d * d / ns
	}
	a := math.Max(0, s2-b/(ns/float64(len(cases))))
	out := make([]float64, len(cases))
	for i := range cases {
		out[i] = 1e4 * (b + a*(cases[i]/pop[i]-b)/(a+b/pop[i]))
	}
	return out
}

func TestHotspotCountsUpTheHierarchy(t *testing.T) {
	got := HotspotCounts(hotspotRegistry(t), hotCells())
	want := map[string]uint64{"C": 43, "K1": 35, "K2": 8, "T1": 30, "T2": 5, "T3": 6, "V1": 10, "V2": 10, "V3": 10}
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d cases, want %d", k, got[k], v)
		}
	}
}

func TestComputeHotspotsByHand(t *testing.T) {
	reg := hotspotRegistry(t)
	start, end, at := sh(2026, 3, 1), sh(2026, 3, 2), sh(2026, 3, 2).Add(15*time.Minute)
	history := []store.HotspotZ{
		{WindowEnd: sh(2026, 2, 28), Level: 5, RegionCode: "V1", Z: 2.9},
		{WindowEnd: sh(2026, 3, 1), Level: 5, RegionCode: "V1", Z: 3.0},
		{WindowEnd: sh(2026, 3, 1), Level: 5, RegionCode: "V2", Z: math.NaN()},
	}
	rows, err := ComputeHotspots(reg, nil, hotCells(), history, "day", start, end, at)
	if err != nil {
		t.Fatal(err)
	}
	// 2 counties + 3 towns + 9 villages; the city is not analysed.
	if len(rows) != 14 {
		t.Fatalf("%d rows, want 14", len(rows))
	}
	by := map[string]store.Hotspot{}
	for _, r := range rows {
		by[r.RegionCode] = r
		if r.Window != "day" || !r.WindowStart.Equal(start) || !r.WindowEnd.Equal(end) || !r.ComputedAt.Equal(at) {
			t.Errorf("%s: window %s %v–%v computed %v", r.RegionCode, r.Window, r.WindowStart, r.WindowEnd, r.ComputedAt)
		}
		if r.NeighboursSource != NeighboursSiblings {
			t.Errorf("%s: neighbours %q without GeoJSON", r.RegionCode, r.NeighboursSource)
		}
	}
	if _, ok := by["C"]; ok {
		t.Error("the city has a row")
	}

	// Villages: equal populations of 500, 10 cases in V1–V3, none in V4–V9.
	// Crude rates 200 and 0 per 10,000. EB by hand: b = 30/4500,
	// s² = 0.4/4500, a = s² − b/500 = 0.34/4500, shrinkage a/(a + b/500) =
	// 0.85, so 10⁴(b ± 0.85·|r − b|) = 180 and 10 per 10,000.
	// Gi* with siblings: ȳ = 10/3 on the counts (Gi* is invariant to the
	// affine map from counts to EB rates at equal populations), s² = 200/9;
	// V1: W = 3 (V1–V3), Σ = 30, z = (30 − 10)/(s·√(3·6/8)) = 2√2; V4: W = 6,
	// Σ = 0, z = (0 − 20)/(s·√(6·3/8)) = −2√2. Every p is 2(1 − Φ(2√2)) =
	// 0.004677734981047…, so every q equals it and all nine are flagged.
	p := 0.004677734981047266
	for _, v := range []string{"V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9"} {
		r := by[v]
		hotV := v <= "V3"
		wantCases, wantRate, wantEB, wantZ, wantHot := uint64(0), 0.0, 10.0, -2*math.Sqrt2, int8(-1)
		if hotV {
			wantCases, wantRate, wantEB, wantZ, wantHot = 10, 200, 180, 2*math.Sqrt2, 1
		}
		if r.Level != 5 || r.Cases != wantCases || r.Population != 500 || r.PopulationSource == "" {
			t.Errorf("%s: level %d, %d cases, population %d (%q)", v, r.Level, r.Cases, r.Population, r.PopulationSource)
		}
		if !hotNear(r.RatePer10k, wantRate) || math.Abs(r.EBRatePer10k-wantEB) > 1e-9 {
			t.Errorf("%s: rate %v, EB %v, want %v, %v", v, r.RatePer10k, r.EBRatePer10k, wantRate, wantEB)
		}
		if math.Abs(r.GiZ-wantZ) > 1e-9 || math.Abs(r.GiP-p) > 1e-12 || math.Abs(r.GiQ-p) > 1e-12 || r.Hot != wantHot {
			t.Errorf("%s: z %v p %v q %v hot %d, want z %v p = q = %v hot %d", v, r.GiZ, r.GiP, r.GiQ, r.Hot, wantZ, p, wantHot)
		}
	}
	// EHSA: V1 has 2.9, 3.0 before 2√2: hot in 3 of 3 steps, no significant
	// trend (Mann-Kendall S = −1) → persistent. V2's only earlier z is NULL
	// and V4 has no history: one defined z, no category.
	if c := by["V1"].EHSACategory; c != "Persistent Hot Spot" {
		t.Errorf("V1 category %q, want Persistent Hot Spot", c)
	}
	if by["V2"].EHSACategory != "" || by["V4"].EHSACategory != "" {
		t.Errorf("V2 %q, V4 %q: want no category", by["V2"].EHSACategory, by["V4"].EHSACategory)
	}

	// Towns: T1 30 cases (its villages), T2 5 (4 at the town, 1 in an
	// unknown village), T3 6; neighbours T1–T2 (K1), T3 alone (K2).
	tc, tp := []float64{30, 5, 6}, []float64{1500, 3000, 4000}
	eb := marshallByHand(tc, tp)
	w, err := spatial.NewWeights([]string{"T1", "T2", "T3"}, map[string][]string{"T1": {"T2"}, "T2": {"T1"}})
	if err != nil {
		t.Fatal(err)
	}
	gi, err := spatial.GiStar(eb, w, spatial.GiOptions{TwoSided: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, code := range []string{"T1", "T2", "T3"} {
		r := by[code]
		if r.Level != 4 || r.Cases != uint64(tc[i]) || !hotNear(r.RatePer10k, 1e4*tc[i]/tp[i]) || !hotNear(r.EBRatePer10k, eb[i]) {
			t.Errorf("%s: level %d, %d cases, rate %v, EB %v; want %v, %v, %v", code, r.Level, r.Cases, r.RatePer10k, r.EBRatePer10k,
				tc[i], 1e4*tc[i]/tp[i], eb[i])
		}
		if !hotNear(r.GiZ, gi[i].Z) || !hotNear(r.GiP, gi[i].P) || !hotNear(r.GiQ, gi[i].Q) {
			t.Errorf("%s: z %v p %v q %v, want %v %v %v", code, r.GiZ, r.GiP, r.GiQ, gi[i].Z, gi[i].P, gi[i].Q)
		}
		if math.IsNaN(r.GiZ) || (r.Hot != 0) != (r.GiQ < HotspotFDR) {
			t.Errorf("%s: z %v q %v hot %d", code, r.GiZ, r.GiQ, r.Hot)
		}
	}
	if by["T2"].ParentCode != "K1" || by["T3"].ParentCode != "K2" {
		t.Errorf("town parents %q %q", by["T2"].ParentCode, by["T3"].ParentCode)
	}

	// Counties: K1 35, K2 8 (2 recorded at the county). Each is the other's
	// sibling, so the neighbourhood is the whole level and Gi* is undefined.
	k1, k2 := by["K1"], by["K2"]
	if k1.Cases != 35 || k2.Cases != 8 || k1.Level != 3 || !hotNear(k2.RatePer10k, 20) {
		t.Errorf("counties %+v %+v", k1, k2)
	}
	if !math.IsNaN(k1.GiZ) || !math.IsNaN(k1.GiQ) || k1.Hot != 0 {
		t.Errorf("K1 z %v q %v hot %d: want undefined", k1.GiZ, k1.GiQ, k1.Hot)
	}
}

// TestCountyContiguityFromGeoJSON: Tongliao's counties from DataV's file;
// 霍林郭勒市 is an enclave of 扎鲁特旗; 开发区 and 市辖区 have no polygon and
// fall back to siblings.
func TestCountyContiguityFromGeoJSON(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	geo, err := os.ReadFile("testdata/150500_full.json")
	if err != nil {
		t.Fatal(err)
	}
	cc, err := ReadCountyContiguity(reg, geo)
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Neighbours) != 8 {
		t.Errorf("%d counties with a polygon, want 8", len(cc.Neighbours))
	}
	if got := cc.Neighbours["150581000000"]; !slices.Equal(got, []string{"150526000000"}) {
		t.Errorf("霍林郭勒市 neighbours %v, want only 扎鲁特旗", got)
	}
	w, err := levelWeights(reg.AtLevel(schemas.LevelCounty), cc)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Neighbors("150571000000"); len(got) != 9 || slices.Contains(got, "150571000000") {
		t.Errorf("开发区 neighbours %v, want its 9 siblings", got)
	}
	if got := w.Neighbors("150581000000"); !slices.Equal(got, []string{"150526000000"}) {
		t.Errorf("霍林郭勒市 weights %v", got)
	}
	rows, err := ComputeHotspots(reg, cc, nil, nil, "day", sh(2026, 3, 1), sh(2026, 3, 2), sh(2026, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	src := map[string]string{}
	for _, r := range rows {
		if r.Level == 3 {
			src[r.RegionCode] = r.NeighboursSource
		}
	}
	if src["150571000000"] != NeighboursSiblings || src["150501000000"] != NeighboursSiblings || src["150502000000"] != NeighboursGeoJSON {
		t.Errorf("neighbour sources %v", src)
	}
}

// openHotspotStore opens a fresh migrated database on the shared server.
func openHotspotStore(t *testing.T) (*store.Store, func(string) string) {
	t.Helper()
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "hotspots")
	query := func(sql string) string {
		t.Helper()
		out, err := ch.Query(ctx, strings.ReplaceAll(sql, "DB.", st.Database()+"."))
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	return st, query
}

// hotCase is a case reported at `at` in village (or, with village "", in
// town) of the hand registry.
func hotCase(id string, version uint32, at time.Time, town, village string) schemas.CaseRow {
	county := "K1"
	if town == "T3" {
		county = "K2"
	}
	region, level := village, uint8(5)
	if village == "" {
		region, level = town, 4
	}
	local := at.In(schemas.Shanghai)
	return schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: version, Contract: 1,
		ReportedAt: at, ReportedDate: time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC),
		RegionCode: region, RegionLevel: level, CityCode: "C", CountyCode: county, TownCode: town, VillageCode: village,
		Category: "other", CategoryGroup: "other", Parties: 1, Status: schemas.StatusAccepted}
}

// TestHotspotJobOnClickHouse: cases written through the store give hot-spot
// rows with the hand counts, and computing the window twice leaves one set.
func TestHotspotJobOnClickHouse(t *testing.T) {
	st, query := openHotspotStore(t)
	ctx := context.Background()
	day := sh(2026, 3, 1)
	rows := []schemas.CaseRow{
		hotCase("a", 1, day.Add(1*time.Hour), "T1", "V1"),
		hotCase("a", 2, day.Add(1*time.Hour), "T1", "V1"), // a later version: counts once
		hotCase("b", 1, day.Add(2*time.Hour), "T1", "V1"),
		hotCase("c", 1, day.Add(23*time.Hour+59*time.Minute), "T1", "V2"),
		hotCase("d", 1, day.Add(12*time.Hour), "T2", "V4"),
		hotCase("e", 1, day.Add(13*time.Hour), "T2", ""), // recorded at the town
		hotCase("f", 1, day.Add(14*time.Hour), "T3", ""),
		hotCase("g", 1, day.Add(24*time.Hour), "T1", "V1"), // the next day
		hotCase("h", 1, day.Add(-time.Second), "T1", "V3"), // the day before
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	clock := func() time.Time { n++; return sh(2026, 3, 2).Add(time.Duration(n) * time.Second) }
	job := HotspotJob(st, hotspotRegistry(t), schemas.Day, nil, clock)
	for i := 0; i < 2; i++ {
		if got, err := job(ctx, sh(2026, 3, 2).Add(15*time.Minute)); err != nil || got != 14 {
			t.Fatalf("run %d: %d rows, %v", i, got, err)
		}
	}
	// By hand: V1 a, b; V2 c; V4 d; T2 = d + e; T3 f; K1 = 5, K2 = 1.
	got := query("SELECT level, region_code, parent_code, cases, population, rate_per_10k, neighbours_source FROM DB.hotspots FINAL " +
		"WHERE window = 'day' AND window_end = toDateTime('2026-03-02 00:00:00', 'Asia/Shanghai') AND region_code IN ('K1', 'K2', 'T1', 'T2', 'T3', 'V1', 'V2', 'V3', 'V4') ORDER BY level, region_code")
	want := "3\tK1\tC\t5\t6000\t8.333333333333334\tsiblings\n" +
		"3\tK2\tC\t1\t4000\t2.5\tsiblings\n" +
		"4\tT1\tK1\t3\t1500\t20\tsiblings\n" +
		"4\tT2\tK1\t2\t3000\t6.666666666666667\tsiblings\n" +
		"4\tT3\tK2\t1\t4000\t2.5\tsiblings\n" +
		"5\tV1\tT1\t2\t500\t40\tsiblings\n" +
		"5\tV2\tT1\t1\t500\t20\tsiblings\n" +
		"5\tV3\tT1\t0\t500\t0\tsiblings\n" +
		"5\tV4\tT2\t1\t500\t20\tsiblings\n"
	if got != want {
		t.Errorf("hotspots:\n%s\nwant:\n%s", got, want)
	}
	if cnt := strings.TrimSpace(query("SELECT count() FROM DB.hotspots FINAL")); cnt != "14" {
		t.Errorf("hotspots FINAL has %s rows after two runs, want 14", cnt)
	}
	// The county Gi* is undefined (two siblings: the whole level) and stored
	// as NULL, and nothing is flagged there.
	if got := query("SELECT gi_z, gi_q, hot, ehsa_category FROM DB.hotspots FINAL WHERE region_code = 'K1'"); got != "\\N\t\\N\t0\t\n" {
		t.Errorf("K1 statistics %q", got)
	}
}

// TestHotspotEHSAOnClickHouse: three consecutive day windows; the category
// of the third comes from the z-scores stored by the first two.
func TestHotspotEHSAOnClickHouse(t *testing.T) {
	st, query := openHotspotStore(t)
	ctx := context.Background()
	var rows []schemas.CaseRow
	// Day 1 (03-01): one case at town T3 only, so every village has 0 cases
	// and an undefined z. Days 2 and 3: 10 cases in each of V1–V3, none in
	// V4–V9, so V1–V3 have z = 2√2 and V4–V9 z = −2√2 (see
	// TestComputeHotspotsByHand).
	rows = append(rows, hotCase("d1", 1, sh(2026, 3, 1).Add(9*time.Hour), "T3", ""))
	for _, d := range []int{2, 3} {
		for _, v := range []string{"V1", "V2", "V3"} {
			for k := 0; k < 10; k++ {
				id := "d" + string(rune('0'+d)) + v + string(rune('a'+k))
				rows = append(rows, hotCase(id, 1, sh(2026, 3, d).Add(time.Duration(k)*time.Hour), "T1", v))
			}
		}
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	clock := func() time.Time { n++; return sh(2026, 3, 5).Add(time.Duration(n) * time.Second) }
	job := HotspotJob(st, hotspotRegistry(t), schemas.Day, nil, clock)
	category := func(end string) string {
		return query("SELECT region_code, hot, ehsa_category FROM DB.hotspots FINAL WHERE window = 'day' AND window_end = toDateTime('" + end +
			" 00:00:00', 'Asia/Shanghai') AND region_code IN ('V1', 'V4') ORDER BY region_code")
	}
	for _, d := range []int{2, 3, 4} {
		if _, err := job(ctx, sh(2026, 3, d)); err != nil {
			t.Fatal(err)
		}
	}
	// Window 1 (ending 03-02): one window, an undefined z: no category.
	// Window 2: the day-1 z is NULL, so one defined z: no category yet.
	// Window 3: V1 is hot on days 2 and 3 and not significant on day 1:
	// final step hot, 2 of 3 steps (< 0.9·3), no earlier cold, one run of
	// two → consecutive; V4 mirrors it.
	for _, c := range []struct{ end, want string }{
		{"2026-03-02", "V1\t0\t\nV4\t0\t\n"},
		{"2026-03-03", "V1\t1\t\nV4\t-1\t\n"},
		{"2026-03-04", "V1\t1\tConsecutive Hot Spot\nV4\t-1\tConsecutive Cold Spot\n"},
	} {
		if got := category(c.end); got != c.want {
			t.Errorf("window ending %s:\n%s\nwant:\n%s", c.end, got, c.want)
		}
	}
	got3 := category("2026-03-04")
	// Computing day 3 again reads the same history (strictly earlier
	// windows) and gives the same categories.
	if _, err := job(ctx, sh(2026, 3, 4)); err != nil {
		t.Fatal(err)
	}
	if again := category("2026-03-04"); again != got3 {
		t.Errorf("day 3 recomputed:\n%s\nfirst:\n%s", again, got3)
	}
	hist, err := st.HotspotZHistory(ctx, "day", sh(2026, 3, 4), 2)
	if err != nil {
		t.Fatal(err)
	}
	var v1 []float64
	for _, h := range hist {
		if h.RegionCode == "V1" {
			v1 = append(v1, h.Z)
		}
	}
	if len(v1) != 2 || !math.IsNaN(v1[0]) || math.Abs(v1[1]-2*math.Sqrt2) > 1e-9 {
		t.Errorf("V1 history %v, want [NaN 2√2]", v1)
	}
}

// TestFunnelFlagsByHand: ten villages of equal population, nine with 5
// cases and one with 20. Expected counts are the level rate × population =
// 65/10 = 6.5 each; the outlier's z is (20 − 6.5)/√6.5 ≈ 5.3, beyond the
// 99.8 % limit (3.09); the others' z ≈ −0.59 are inside. Winsorising the
// top 10 % removes the outlier from the overdispersion check, so no
// overdispersion is declared and the flags stand.
func TestFunnelFlagsByHand(t *testing.T) {
	rows := make([]store.Hotspot, 10)
	active := make([]int, 10)
	cases, pops := make([]float64, 10), make([]float64, 10)
	for i := range rows {
		active[i], cases[i], pops[i] = i, 5, 1000
	}
	cases[9] = 20
	if err := funnelFlags(rows, active, cases, pops); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		want := "none"
		if i == 9 {
			want = "alarm_99.8"
		}
		if r.FunnelFlag != want {
			t.Errorf("village %d: flag %q, want %q", i, r.FunnelFlag, want)
		}
	}
	// A level without cases has no flags.
	empty := make([]store.Hotspot, 2)
	if err := funnelFlags(empty, []int{0, 1}, []float64{0, 0}, []float64{10, 10}); err != nil || empty[0].FunnelFlag != "" {
		t.Errorf("empty level: %q, %v", empty[0].FunnelFlag, err)
	}
}
