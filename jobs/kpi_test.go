package jobs

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// migratedStore opens a fresh, migrated database on the test server and
// drops it when the test ends.
func migratedStore(t *testing.T, ch *servers.ClickHouse, prefix string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(t, prefix), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DropDatabase(context.Background()); _ = st.Close() })
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	return st
}

func sh(y int, mo time.Month, d int) time.Time {
	return time.Date(y, mo, d, 0, 0, 0, 0, schemas.Shanghai)
}

func TestKPIWindowsFor(t *testing.T) {
	cases := []struct {
		w    schemas.Window
		at   time.Time
		want store.KPIWindows
	}{
		{schemas.Day, sh(2026, 3, 2).Add(10 * time.Minute), store.KPIWindows{
			Start: sh(2026, 3, 1), End: sh(2026, 3, 2), PrevStart: sh(2026, 2, 28), PrevEnd: sh(2026, 3, 1),
			YoYStart: sh(2025, 3, 1), YoYEnd: sh(2025, 3, 2)}},
		// ISO week Mon 2026-02-23 … Sun 03-01; a year earlier is 52 weeks back.
		{schemas.Week, sh(2026, 3, 2), store.KPIWindows{
			Start: sh(2026, 2, 23), End: sh(2026, 3, 2), PrevStart: sh(2026, 2, 16), PrevEnd: sh(2026, 2, 23),
			YoYStart: sh(2025, 2, 24), YoYEnd: sh(2025, 3, 3)}},
		{schemas.Month, sh(2026, 3, 1), store.KPIWindows{
			Start: sh(2026, 2, 1), End: sh(2026, 3, 1), PrevStart: sh(2026, 1, 1), PrevEnd: sh(2026, 2, 1),
			YoYStart: sh(2025, 2, 1), YoYEnd: sh(2025, 3, 1)}},
	}
	for _, c := range cases {
		got := KPIWindowsFor(c.w, c.at)
		if !got.Start.Equal(c.want.Start) || !got.End.Equal(c.want.End) || !got.PrevStart.Equal(c.want.PrevStart) ||
			!got.PrevEnd.Equal(c.want.PrevEnd) || !got.YoYStart.Equal(c.want.YoYStart) || !got.YoYEnd.Equal(c.want.YoYEnd) {
			t.Errorf("%v at %v: got %+v, want %+v", c.w, c.at, got, c.want)
		}
	}
}

func smallRegistry(t *testing.T) *schemas.Registry {
	t.Helper()
	reg, err := schemas.LoadCSV(strings.NewReader("code,name,level,parent_code,population\n"+
		"C,City,2,,1000\nK1,County1,3,C,600\nK2,County2,3,C,400\nT1,Town1,4,K1,600\nV1,Village1,5,T1,300\nV2,Village2,5,T1,300\n"), "small.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestAggregateKPIsByHand(t *testing.T) {
	reg := smallRegistry(t)
	cells := []store.KPICell{
		{County: "K1", Town: "T1", Village: "V1", Accepted: 10, Resolved: 8, Concluded: 9, Evaluated: 5, Satisfied: 4, Handled: 6, HandlingDaysSum: 30, Overdue: 1, PrevAccepted: 5, YoYAccepted: 0},
		{County: "K1", Town: "T1", Village: "V2", Accepted: 2, Resolved: 1, Concluded: 1, Evaluated: 1, Satisfied: 1, Handled: 2, HandlingDaysSum: 4, Overdue: 0, PrevAccepted: 3, YoYAccepted: 1},
		{County: "K1", Town: "T1", Accepted: 3, Resolved: 3, Concluded: 3, PrevAccepted: 0, YoYAccepted: 2}, // recorded at town level
		{County: "K2", Accepted: 5, Resolved: 0, Concluded: 0, Overdue: 2, PrevAccepted: 10},
	}
	win := KPIWindowsFor(schemas.Day, sh(2026, 3, 2))
	rows := AggregateKPIs(reg, cells, "day", win, sh(2026, 3, 2))
	by := map[string]store.RegionKPI{}
	for _, r := range rows {
		by[r.RegionCode] = r
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want one per region (6)", len(rows))
	}
	// Hand sums: T1 = V1 + V2 + the town-level cell.
	t1 := by["T1"]
	if t1.Accepted != 15 || t1.Resolved != 12 || t1.Concluded != 13 || t1.Handled != 8 || t1.PrevAccepted != 8 || t1.YoYAccepted != 3 {
		t.Errorf("T1 %+v", t1)
	}
	if t1.ResolveRate != 12.0/15 || t1.MeanHandlingDays != 34.0/8 || t1.SatisfactionRate != 5.0/6 {
		t.Errorf("T1 rates %v %v %v", t1.ResolveRate, t1.MeanHandlingDays, t1.SatisfactionRate)
	}
	if t1.MoMChange != 15.0/8-1 || t1.YoYChange != 15.0/3-1 {
		t.Errorf("T1 changes %v %v", t1.MoMChange, t1.YoYChange)
	}
	c := by["C"]
	if c.Accepted != 20 || c.Overdue != 3 || c.PrevAccepted != 18 || c.Level != 2 || c.ParentCode != "" {
		t.Errorf("city %+v", c)
	}
	k2 := by["K2"]
	if k2.ResolveRate != 0 || k2.MoMChange != 5.0/10-1 || !math.IsNaN(k2.YoYChange) || !math.IsNaN(k2.SatisfactionRate) {
		t.Errorf("K2 %+v", k2)
	}
	if v2 := by["V2"]; v2.ParentCode != "T1" || v2.Level != 5 || v2.Accepted != 2 {
		t.Errorf("V2 %+v", v2)
	}
}

// TestKPIJobOnClickHouse: cases written through the store give KPI rows
// equal to hand counts, and computing the window twice leaves one set.
func TestKPIJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "jobs")
	reg := smallRegistry(t)
	row := func(id string, reported time.Time, status schemas.Status, village string, due time.Time, resolved *time.Time, sat schemas.Satisfaction) schemas.CaseRow {
		d := due
		return schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1,
			ReportedAt: reported, ReportedDate: time.Date(reported.In(schemas.Shanghai).Year(), reported.In(schemas.Shanghai).Month(), reported.In(schemas.Shanghai).Day(), 0, 0, 0, 0, time.UTC),
			RegionCode: village, RegionLevel: 5, CityCode: "C", CountyCode: "K1", TownCode: "T1", VillageCode: village,
			Category: "other", CategoryGroup: "other", Parties: 1, Status: status, DueAt: &d, ResolvedAt: resolved, Satisfaction: sat}
	}
	day := sh(2026, 3, 1)
	res := day.Add(20 * time.Hour) // resolved the same day, 12 h after a 08:00 report
	rows := []schemas.CaseRow{
		row("a", day.Add(8*time.Hour), schemas.StatusResolved, "V1", day.AddDate(0, 0, 15), &res, schemas.SatisfactionSatisfied),
		row("b", day.Add(9*time.Hour), schemas.StatusHandling, "V1", day.AddDate(0, 0, 15), nil, ""),
		row("c", day.Add(23*time.Hour), schemas.StatusAccepted, "V2", day.AddDate(0, 0, 15), nil, ""),
		row("d", day.AddDate(0, 0, -20), schemas.StatusHandling, "V2", day.AddDate(0, 0, -5), nil, ""), // overdue
		row("e", day.AddDate(0, 0, -1).Add(10*time.Hour), schemas.StatusClosed, "V1", day, &res, schemas.SatisfactionDissatisfied),
		row("f", day.AddDate(-1, 0, 0).Add(10*time.Hour), schemas.StatusClosed, "V1", day, nil, ""),
		row("g", day.Add(24*time.Hour), schemas.StatusAccepted, "V1", day.AddDate(0, 0, 15), nil, ""), // next day: outside
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	clock := func() time.Time { n++; return sh(2026, 3, 2).Add(time.Duration(n) * time.Second) }
	job := KPIJob(st, reg, schemas.Day, clock)
	for i := 0; i < 2; i++ {
		if got, err := job(ctx, sh(2026, 3, 2)); err != nil || got != 6 {
			t.Fatalf("run %d: %d rows, %v", i, got, err)
		}
	}
	out, err := ch.Query(ctx, "SELECT region_code, accepted, resolved, concluded, evaluated, satisfied, overdue, handled, handling_days_sum, prev_accepted, yoy_accepted, count() OVER () FROM "+
		st.Database()+".region_kpis FINAL WHERE window = 'day' AND region_code IN ('C', 'V1', 'V2') ORDER BY region_code")
	if err != nil {
		// 18.16 has no window functions: count separately.
		out, err = ch.Query(ctx, "SELECT region_code, accepted, resolved, concluded, evaluated, satisfied, overdue, handled, handling_days_sum, prev_accepted, yoy_accepted FROM "+
			st.Database()+".region_kpis FINAL WHERE window = 'day' AND region_code IN ('C', 'V1', 'V2') ORDER BY region_code")
		if err != nil {
			t.Fatal(err)
		}
	}
	// By hand, window 2026-03-01 (Shanghai): a, b in V1 and c in V2 reported;
	// a resolved (12 h = 0.5 days) and evaluated satisfied; d overdue in V2;
	// e (reported the day before) counts for 环比 and was handled in the
	// window (resolved 03-01 20:00, 34 h after its report = 1.4166… days); f
	// counts for 同比.
	want := "C\t3\t1\t1\t1\t1\t1\t2\t1.9166666666666667\t1\t1\n" +
		"V1\t2\t1\t1\t1\t1\t0\t2\t1.9166666666666667\t1\t1\n" +
		"V2\t1\t0\t0\t0\t0\t1\t0\t0\t0\t0\n"
	if out != want {
		t.Errorf("region_kpis:\n%s\nwant:\n%s", out, want)
	}
	cnt, _ := ch.Query(ctx, "SELECT count() FROM "+st.Database()+".region_kpis FINAL")
	if strings.TrimSpace(cnt) != "6" {
		t.Errorf("region_kpis FINAL has %s rows after two runs, want 6", cnt)
	}
}
