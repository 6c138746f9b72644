package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

func sha(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, shanghai) }

func reportCase(id, county, town, cat, group string, at time.Time, version uint32, summary string) schemas.CaseRow {
	y, m, d := at.In(shanghai).Date()
	return schemas.CaseRow{
		Source: schemas.SourcePlatform, CaseID: id, Version: version, Contract: 1, Channel: schemas.ChannelVisit,
		ReportedAt: at, ReportedDate: time.Date(y, m, d, 0, 0, 0, 0, time.UTC),
		RegionCode: town, RegionLevel: 4, CityCode: "150500000000", CountyCode: county, TownCode: town,
		Category: cat, CategoryGroup: group, CategoryRule: "given", Summary: summary, Severity: schemas.SeverityGeneral,
		Parties: 2, Status: schemas.StatusHandling, AssignedUnit: "综治中心", IngestedAt: at, Topic: "disputes",
	}
}

// TestReportData writes rows into every table a report reads and reads
// them back through the Report… queries: window, scope and limit filters,
// order, NULLs as NaN, and distinct case counts from the rollup.
func TestReportData(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	const kes, kzz = "150502000000", "150521000000"
	const kesTown, kzzTown = "150502001000", "150521100000"
	start, end := sha(2026, 3, 2, 0), sha(2026, 3, 9, 0)
	noise := reportCase("N1", kes, kesTown, "neighbor.noise", "neighbor", sha(2026, 3, 3, 10), 1, "楼上<script>噪音</script>")
	noise2 := noise
	noise2.Version, noise2.Status = 2, schemas.StatusResolved // a later version: still one case
	rows := []schemas.CaseRow{
		noise, noise2,
		reportCase("N2", kes, kesTown, "neighbor.noise", "neighbor", sha(2026, 3, 3, 23), 1, "装修噪音"),
		reportCase("N3", kes, kesTown, "neighbor.noise", "neighbor", sha(2026, 3, 3, 1), 1, "广场舞"),
		reportCase("L1", kes, kesTown, "labor", "labor", sha(2026, 3, 3, 9), 1, "欠薪"),
		reportCase("F1", kzz, kzzTown, "family", "family", sha(2026, 3, 4, 9), 1, "离婚"),
		reportCase("F2", kzz, kzzTown, "family", "family", sha(2026, 3, 4, 11), 1, "赡养"),
		reportCase("X1", kzz, kzzTown, "family", "family", sha(2026, 3, 9, 0), 1, "next week"),
		// M1 changed category and day between versions: counted once, as
		// its newest version says. M2's newest version moved it out of
		// the week: not counted at all.
		reportCase("M1", kzz, kzzTown, "labor", "labor", sha(2026, 3, 4, 10), 1, "欠薪"),
		reportCase("M1", kzz, kzzTown, "family", "family", sha(2026, 3, 5, 10), 2, "赡养纠纷"),
		reportCase("M2", kzz, kzzTown, "labor", "labor", sha(2026, 3, 6, 10), 1, "欠薪"),
		reportCase("M2", kzz, kzzTown, "labor", "labor", sha(2026, 3, 10, 10), 2, "欠薪"),
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}

	t.Run("daily", func(t *testing.T) {
		got, err := st.ReportDaily(ctx, start, end, shanghai, store.ReportScope{})
		if err != nil {
			t.Fatal(err)
		}
		want := []store.ReportDayCount{{sha(2026, 3, 3, 0), "labor", 1}, {sha(2026, 3, 3, 0), "neighbor.noise", 3}, {sha(2026, 3, 4, 0), "family", 2},
			{sha(2026, 3, 5, 0), "family", 1}}
		if len(got) != len(want) {
			t.Fatalf("daily = %+v, want %+v", got, want)
		}
		for i := range want {
			if !got[i].Day.Equal(want[i].Day) || got[i].Category != want[i].Category || got[i].Cases != want[i].Cases {
				t.Errorf("daily[%d] = %+v, want %+v", i, got[i], want[i])
			}
		}
		got, err = st.ReportDaily(ctx, start, end, shanghai, store.ReportScope{County: kzz})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Category != "family" || got[0].Cases != 2 || got[1].Category != "family" || got[1].Cases != 1 {
			t.Errorf("daily of %s = %+v, want 2 family cases on the 4th and M1 once on the 5th", kzz, got)
		}
		got, err = st.ReportDaily(ctx, start, end, shanghai, store.ReportScope{Town: kesTown})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Errorf("daily of town %s = %+v, want 2 rows", kesTown, got)
		}
	})

	t.Run("rule alarms", func(t *testing.T) {
		alarms := []store.RuleAlarm{
			{Rule: "large_amount", Source: "platform", CaseID: "L1", CaseVersion: 1, Level: "yellow", CountyCode: kes, TownCode: kesTown, RegionCode: kesTown,
				Category: "labor", Detail: "涉及金额较大", ReportedAt: sha(2026, 3, 3, 9), DetectedAt: sha(2026, 3, 3, 9)},
			{Rule: "extreme_words", Source: "platform", CaseID: "N1", CaseVersion: 1, Level: "red", CountyCode: kes, TownCode: kesTown, RegionCode: kesTown,
				Category: "neighbor.noise", Detail: "含极端风险言辞", ReportedAt: sha(2026, 3, 3, 10), DetectedAt: sha(2026, 3, 3, 10)},
			{Rule: "group_dispute", Source: "platform", CaseID: "F1", CaseVersion: 1, Level: "orange", CountyCode: kzz, TownCode: kzzTown, RegionCode: kzzTown,
				Category: "family", Detail: "群体性", ReportedAt: sha(2026, 3, 4, 9), DetectedAt: sha(2026, 11, 20, 9)}, // replayed later: still this week's
			{Rule: "group_dispute", Source: "platform", CaseID: "X1", CaseVersion: 1, Level: "red", CountyCode: kzz, TownCode: kzzTown, RegionCode: kzzTown,
				Category: "family", Detail: "群体性", ReportedAt: sha(2026, 3, 9, 0), DetectedAt: sha(2026, 3, 9, 0)},
		}
		if err := st.InsertRuleAlarms(ctx, alarms); err != nil {
			t.Fatal(err)
		}
		got, total, err := st.ReportRuleAlarms(ctx, start, end, store.ReportScope{}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 3 || len(got) != 2 {
			t.Fatalf("got %d rows of %d, want 2 of 3 (limit 2; X1 is next week)", len(got), total)
		}
		if got[0].CaseID != "N1" || got[0].Level != "red" || got[0].Summary != "楼上<script>噪音</script>" {
			t.Errorf("first alarm %+v, want N1 red with its summary", got[0])
		}
		if got[1].CaseID != "F1" || got[1].Summary != "离婚" {
			t.Errorf("second alarm %+v, want F1 orange", got[1])
		}
		got, total, err = st.ReportRuleAlarms(ctx, start, end, store.ReportScope{County: kes}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || len(got) != 2 || got[1].CaseID != "L1" {
			t.Errorf("alarms of %s: %d of %d %+v", kes, len(got), total, got)
		}
	})

	t.Run("kpis", func(t *testing.T) {
		rows := []store.RegionKPI{
			{Window: "week", WindowStart: start, WindowEnd: end, Level: 2, RegionCode: "150500000000", Accepted: 6, Resolved: 1,
				ResolveRate: 1.0 / 6, ConcludeRate: math.NaN(), SatisfactionRate: math.NaN(), MeanHandlingDays: math.NaN(),
				PrevAccepted: 4, MoMChange: 0.5, YoYChange: math.NaN(), ComputedAt: end},
			{Window: "week", WindowStart: start, WindowEnd: end, Level: 3, RegionCode: kes, ParentCode: "150500000000", Accepted: 4,
				ResolveRate: 0.25, ConcludeRate: 0.25, SatisfactionRate: math.NaN(), MeanHandlingDays: 1, MoMChange: math.NaN(), YoYChange: math.NaN(), ComputedAt: end},
			{Window: "day", WindowStart: end.AddDate(0, 0, -1), WindowEnd: end, Level: 2, RegionCode: "150500000000", ComputedAt: end,
				ResolveRate: math.NaN(), ConcludeRate: math.NaN(), SatisfactionRate: math.NaN(), MeanHandlingDays: math.NaN(), MoMChange: math.NaN(), YoYChange: math.NaN()},
		}
		if err := st.WriteRegionKPIs(ctx, rows); err != nil {
			t.Fatal(err)
		}
		got, err := st.ReportKPIs(ctx, "week", end, []string{"150500000000", kes, kzz})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].RegionCode != "150500000000" || got[0].Accepted != 6 || got[0].MoMChange != 0.5 ||
			!math.IsNaN(got[0].YoYChange) || !math.IsNaN(got[0].ConcludeRate) || got[1].RegionCode != kes || got[1].ResolveRate != 0.25 {
			t.Errorf("KPIs %+v", got)
		}
		e, ok, err := st.ReportLatestWindowEnd(ctx, "region_kpis", "week", end.AddDate(0, 0, 3))
		if err != nil || !ok || !e.Equal(end) {
			t.Errorf("latest week end %v %v %v, want %v", e, ok, err, end)
		}
		if e, ok, err := st.ReportLatestActiveWindowEnd(ctx, "day", "150500000000", end.AddDate(0, 0, 3)); err != nil || ok {
			t.Errorf("latest active day end %v %v %v: the day row has no cases", e, ok, err)
		}
		if e, ok, err := st.ReportLatestActiveWindowEnd(ctx, "week", kes, end.AddDate(0, 0, 3)); err != nil || !ok || !e.Equal(end) {
			t.Errorf("latest active week end of %s: %v %v %v", kes, e, ok, err)
		}
		// A week recomputed to no cases is not active, whatever an older
		// computation said.
		nan := math.NaN()
		kzzWeek := store.RegionKPI{Window: "week", WindowStart: start, WindowEnd: end, Level: 3, RegionCode: kzz, ParentCode: "150500000000", Accepted: 3,
			ResolveRate: nan, ConcludeRate: nan, SatisfactionRate: nan, MeanHandlingDays: nan, MoMChange: nan, YoYChange: nan, ComputedAt: end}
		if err := st.WriteRegionKPIs(ctx, []store.RegionKPI{kzzWeek}); err != nil {
			t.Fatal(err)
		}
		kzzWeek.Accepted, kzzWeek.ComputedAt = 0, end.Add(time.Hour)
		if err := st.WriteRegionKPIs(ctx, []store.RegionKPI{kzzWeek}); err != nil {
			t.Fatal(err)
		}
		if e, ok, err := st.ReportLatestActiveWindowEnd(ctx, "week", kzz, end.AddDate(0, 0, 3)); err != nil || ok {
			t.Errorf("latest active week end of %s: %v %v %v; its newest row has no cases", kzz, e, ok, err)
		}
		if _, ok, err := st.ReportLatestWindowEnd(ctx, "region_kpis", "month", end); err != nil || ok {
			t.Errorf("latest month end found=%v err=%v, want none", ok, err)
		}
		if _, _, err := st.ReportLatestWindowEnd(ctx, "cases; DROP TABLE x", "week", end); err == nil {
			t.Error("an unknown table was accepted")
		}
		if _, err := st.ReportKPIs(ctx, "year", end, nil); err == nil {
			t.Error("an unknown window was accepted")
		}
	})

	t.Run("hotspots types alarms supervision", func(t *testing.T) {
		hs := []store.Hotspot{
			{Window: "week", WindowStart: start, WindowEnd: end, Level: 3, RegionCode: kzz, ParentCode: "150500000000", Cases: 2, Population: 399600,
				RatePer10k: 0.05, EBRatePer10k: 0.06, GiZ: math.NaN(), GiP: math.NaN(), GiQ: math.NaN(), NeighboursSource: "geojson", FunnelFlag: "none", ComputedAt: end},
			{Window: "week", WindowStart: start, WindowEnd: end, Level: 3, RegionCode: kes, ParentCode: "150500000000", Cases: 4, Population: 921800,
				RatePer10k: 0.04, EBRatePer10k: 0.05, GiZ: 2.5, GiP: 0.01, GiQ: 0.04, Hot: 1, NeighboursSource: "geojson", EHSACategory: "New Hot Spot", FunnelFlag: "alert_95", ComputedAt: end},
			{Window: "week", WindowStart: start, WindowEnd: end, Level: 4, RegionCode: kesTown, ParentCode: kes, Cases: 4, RatePer10k: 1, EBRatePer10k: 1,
				GiZ: math.NaN(), GiP: math.NaN(), GiQ: math.NaN(), ComputedAt: end},
		}
		if err := st.WriteHotspots(ctx, hs); err != nil {
			t.Fatal(err)
		}
		h, err := st.ReportHotspots(ctx, "week", end, "150500000000")
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].RegionCode != kes || h[0].Hot != 1 || h[0].EHSACategory != "New Hot Spot" || h[0].GiZ != 2.5 || !math.IsNaN(h[1].GiZ) {
			t.Errorf("hotspots %+v", h)
		}

		trs := []store.TypeRank{
			{Window: "week", WindowEnd: end, Level: 2, RegionCode: "150500000000", Category: "neighbor", CategoryNameZH: "邻里纠纷", Rank: 1, Cases: 3, Share: 0.5,
				Growth: 0.5, Z: math.NaN(), P: math.NaN(), Surging: true, ComputedAt: end},
			{Window: "week", WindowEnd: end, Level: 2, RegionCode: "150500000000", Category: "family", CategoryNameZH: "婚姻家庭", Rank: 2, Cases: 2, Share: 1.0 / 3,
				YoYCases: 1, HasYoY: true, Growth: math.NaN(), Z: math.NaN(), P: math.NaN(), ComputedAt: end},
			{Window: "week", WindowEnd: end, Level: 2, RegionCode: "150500000000", Category: "labor", CategoryNameZH: "劳资纠纷", Rank: 3, Cases: 1, Share: 1.0 / 6,
				Growth: math.NaN(), Z: math.NaN(), P: math.NaN(), ComputedAt: end},
		}
		if err := st.WriteTypeRanks(ctx, trs); err != nil {
			t.Fatal(err)
		}
		tr, err := st.ReportTypeRanks(ctx, "week", end, "150500000000", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr) != 2 || tr[0].Category != "neighbor" || !tr[0].Surging || tr[0].HasYoY || tr[1].YoYCases != 1 || !tr[1].HasYoY || !math.IsNaN(tr[1].Growth) {
			t.Errorf("type ranks %+v", tr)
		}

		sa := []store.StatAlarm{
			{Window: "week", WindowEnd: end, Level: 3, RegionCode: kes, Category: "neighbor", Detector: "ears-c1", Observed: 3, Expected: 1, UpperBound: 2.5, Alarm: true, ComputedAt: end},
			{Window: "week", WindowEnd: end, Level: 3, RegionCode: kzz, Category: "family", Detector: "ears-c1", Observed: 2, Expected: math.NaN(), UpperBound: math.NaN(), Alarm: false, ComputedAt: end},
			{Window: "week", WindowEnd: start, Level: 3, RegionCode: kes, Category: "labor", Detector: "ears-c1", Observed: 9, Expected: 1, UpperBound: 2, Alarm: true, ComputedAt: end},
		}
		if err := st.WriteStatAlarms(ctx, sa); err != nil {
			t.Fatal(err)
		}
		al, total, err := st.ReportStatAlarms(ctx, "week", start, end, []string{kes, kzz}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(al) != 1 || total != 1 || al[0].Category != "neighbor" || al[0].UpperBound != 2.5 {
			t.Errorf("stat alarms %+v (total %d), want only the raised one of the window ending %v", al, total, end)
		}
		// The series switch detector (a newer computation under another
		// detector): each series is listed once, as the newest says; the
		// count is of all raised series, not of the rows read.
		later := end.Add(time.Hour)
		sa = []store.StatAlarm{
			{Window: "week", WindowEnd: end, Level: 3, RegionCode: kes, Category: "neighbor", Detector: "farrington", Observed: 3, Expected: 1.2, UpperBound: 2.7, Alarm: true, ComputedAt: later},
			{Window: "week", WindowEnd: end, Level: 3, RegionCode: kzz, Category: "labor", Detector: "ears-c1", Observed: 5, Expected: 1, UpperBound: 2, Alarm: true, ComputedAt: end},
			{Window: "week", WindowEnd: end, Level: 3, RegionCode: kzz, Category: "labor", Detector: "farrington", Observed: 5, Expected: 4, UpperBound: 7, Alarm: false, ComputedAt: later},
			{Window: "week", WindowEnd: end, Level: 4, RegionCode: kesTown, Category: "labor", Detector: "ears-c1", Observed: 4, Expected: 1, UpperBound: 2, Alarm: true, ComputedAt: end},
		}
		if err := st.WriteStatAlarms(ctx, sa); err != nil {
			t.Fatal(err)
		}
		al, total, err = st.ReportStatAlarms(ctx, "week", start, end, []string{kes, kzz, kesTown}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(al) != 1 || total != 2 || al[0].Detector != "farrington" || al[0].UpperBound != 2.7 {
			t.Errorf("stat alarms after a detector switch %+v (total %d), want kes/neighbor once by farrington, 2 in all", al, total)
		}

		units := []store.SupervisionUnit{{AssignedUnit: "科尔沁区司法局", CountyCode: kes, Open: 3, Green: 1, Yellow: 1, Red: 1},
			{AssignedUnit: "科左中旗人社局", CountyCode: kzz, Open: 2, Red: 2}}
		if err := st.WriteSupervision(ctx, end, end, nil, units); err != nil {
			t.Fatal(err)
		}
		if err := st.WriteSupervision(ctx, end.AddDate(0, 0, 5), end, nil, units[:1]); err != nil {
			t.Fatal(err)
		}
		us, snap, err := st.ReportSupervisionUnits(ctx, end.AddDate(0, 0, 1), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if !snap.Equal(end) || len(us) != 2 || us[0].AssignedUnit != "科左中旗人社局" || us[0].Red != 2 {
			t.Errorf("supervision at %v: %+v", snap, us)
		}
		us, _, err = st.ReportSupervisionUnits(ctx, end, kes, "")
		if err != nil || len(us) != 1 || us[0].CountyCode != kes {
			t.Errorf("supervision of %s: %+v %v", kes, us, err)
		}
		// A town: its own cases of the snapshot, counted per unit; the
		// county's units table would show the whole county.
		const kesTown2 = "150502002000"
		lit := func(id, town, unit, status, light string, rehandle bool) store.SupervisionCase {
			return store.SupervisionCase{Source: "platform", CaseID: id, CountyCode: kes, TownCode: town, Region: town, Category: "labor",
				AssignedUnit: unit, Status: status, ReportedAt: start, Light: light, Rehandle: rehandle}
		}
		cases := []store.SupervisionCase{
			lit("S1", kesTown, "科尔沁区司法局", "handling", "red", false),
			lit("S2", kesTown, "科尔沁区司法局", "handling", "green", false),
			lit("S3", kesTown, "科尔沁区司法局", "resolved", "green", true),
			lit("S4", kesTown2, "科尔沁区司法局", "handling", "red", false),
			lit("S5", kesTown2, "科尔沁区人社局", "handling", "yellow", false),
		}
		if err := st.WriteSupervision(ctx, end, end, cases, nil); err != nil {
			t.Fatal(err)
		}
		us, snap, err = st.ReportSupervisionUnits(ctx, end.AddDate(0, 0, 1), kes, kesTown)
		if err != nil || !snap.Equal(end) || len(us) != 1 {
			t.Fatalf("supervision of town %s at %v: %+v %v", kesTown, snap, us, err)
		}
		if u := us[0]; u.AssignedUnit != "科尔沁区司法局" || u.CountyCode != kes || u.Open != 2 || u.Red != 1 || u.Green != 1 || u.Yellow != 0 || u.Rehandle != 1 {
			t.Errorf("supervision of town %s: %+v, want 2 open (1 red, 1 green) and 1 to re-handle", kesTown, u)
		}
		us, snap, err = st.ReportSupervisionUnits(ctx, start, "", "")
		if err != nil || len(us) != 0 || !snap.IsZero() {
			t.Errorf("supervision before any snapshot: %+v %v %v", us, snap, err)
		}
	})
}
