package reports

import (
	"math"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// cityWeek is the fixed input of the golden tests: the week of
// 2026-03-02..08 for 通辽市, with hand-written rows.
func cityWeek(t testing.TB) Input {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	city := reg.Root()
	// All county-level units are children; the rows cover the eight with
	// polygons (市辖区 and the development zone have none).
	var all, children []Region
	for _, c := range reg.Children(city.Code) {
		all = append(all, RegionOf(c))
		if c.Code != "150501000000" && c.Code != "150571000000" {
			children = append(children, RegionOf(c))
		}
	}
	if len(children) != 8 {
		t.Fatalf("Tongliao has %d banners with polygons in the registry, the fixture expects 8", len(children))
	}
	end := time.Date(2026, 3, 9, 0, 0, 0, 0, Shanghai)
	start := end.AddDate(0, 0, -7)
	in := Input{
		Region: RegionOf(city), Children: all, Regions: RegionsOf(reg, schemas.LevelTown),
		Categories: CategoriesOf(schemas.Taxonomy), Window: Week, Start: start, End: end,
		GeneratedAt: time.Date(2026, 3, 9, 8, 30, 0, 0, Shanghai), Issuer: "中共通辽市委政法委员会　通辽市社会治安综合治理中心",
		KPI: &KPI{Region: city.Code, Accepted: 312, Resolved: 265, Concluded: 250, Evaluated: 120, Satisfied: 108, Overdue: 7,
			Handled: 265, ResolveRate: 265.0 / 312, ConcludeRate: 250.0 / 312, SatisfactionRate: 0.9, MeanHandlingDays: 3.24,
			PrevAccepted: 264, YoYAccepted: 322, MoMChange: 312.0/264 - 1, YoYChange: 312.0/322 - 1},
		TrendStart: start.AddDate(0, 0, -21),
		RiskWindow: Week, RiskStart: start, RiskEnd: end,
		GeoJSON: schemas.TongliaoCountyGeoJSON(),
	}
	// Child KPIs: 科尔沁区 rose most.
	for i, c := range children {
		acc := uint64(20 + 10*i)
		prev := uint64(20 + 9*i)
		if i == 0 {
			acc, prev = 80, 50
		}
		in.ChildKPIs = append(in.ChildKPIs, KPI{Region: c.Code, Accepted: acc, PrevAccepted: prev, MoMChange: float64(acc)/float64(prev) - 1, YoYChange: math.NaN()})
	}
	// Daily: 28 days × 3 categories with a rising labour line.
	for d := in.TrendStart; d.Before(end); d = d.AddDate(0, 0, 1) {
		k := uint64(d.Sub(in.TrendStart).Hours() / 24)
		in.Daily = append(in.Daily,
			DayCount{Day: d, Category: "neighbor.noise", Cases: 10 + k%3},
			DayCount{Day: d, Category: "labor.wage_arrears", Cases: 5 + k/4},
			DayCount{Day: d, Category: "family", Cases: 8},
		)
	}
	bands := []string{"red", "orange", "yellow", "blue", "normal", "normal", "blue", "yellow"}
	scores := []float64{6.84, 5.31, 4.02, 2.55, 1.2, 0.9, 2.1, 3.6}
	dims := []string{"A_pressure", "B_vulnerability", "C_lack_of_capacity"}
	for i, c := range children {
		r := Risk{Region: c.Code, Index: scores[i], Score: math.Round(scores[i]*10) / 10, Band: bands[i], Reliability: "high",
			NCases: in.ChildKPIs[i].Accepted, Rank: uint32(i + 1), DimensionNames: dims,
			DimensionScores: []float64{scores[i] + 1, scores[i], scores[i] - 0.5}}
		if i == 0 {
			r.DriversSiblings = []Driver{{Code: "A3", Attribution: 0.31, Value: 0.312, Ref: 0.125}, {Code: "C1", Attribution: 0.12, Value: 0.2, Ref: 0.08}}
			r.DriversPrev = []Driver{{Code: "A2", Attribution: 0.2, Value: math.Log(1.6), Ref: 0}}
		}
		if i == 1 {
			r.DriversSiblings = []Driver{{Code: "A4", Attribution: 0.2, Value: 0.09, Ref: 0.03}}
		}
		in.Risk = append(in.Risk, r)
		h := Hotspot{Region: c.Code, Cases: in.ChildKPIs[i].Accepted, RatePer10k: 1.5 + float64(i)*0.1, EBRatePer10k: 1.4 + float64(i)*0.1, GiZ: 0.3, GiQ: 0.5, FunnelFlag: "none"}
		if i == 0 {
			h.RatePer10k, h.EBRatePer10k, h.GiZ, h.GiQ, h.Hot, h.EHSACategory, h.FunnelFlag = 4.2, 3.9, 2.81, 0.02, 1, "New Hot Spot", "alarm_99.8"
		}
		in.Hotspots = append(in.Hotspots, h)
	}
	in.Types = []TypeRank{
		{Category: "neighbor", NameZH: "邻里纠纷", Rank: 1, Cases: 98, Share: 98.0 / 312, Growth: 0.05},
		{Category: "labor", NameZH: "劳资纠纷", Rank: 2, Cases: 76, Share: 76.0 / 312, Growth: 0.62, Significant: true, Surging: true},
		{Category: "family", NameZH: "婚姻家庭", Rank: 3, Cases: 56, Share: 56.0 / 312, Growth: -0.1},
		{Category: "land", NameZH: "土地承包", Rank: 4, Cases: 30, Share: 30.0 / 312, Growth: math.NaN()},
	}
	in.StatAlarms = []StatAlarm{{WindowEnd: end, Level: 3, Region: children[0].Code, Category: "labor", Detector: "ears-c1", Observed: 31, Expected: 12.4, UpperBound: 22.9}}
	in.RuleAlarms = []RuleAlarm{
		{Rule: "extreme_words", Level: "red", CaseID: "C-1", Region: children[0].Code, County: children[0].Code, Category: "labor.wage_arrears",
			Detail: "含极端风险言辞：跳楼", Summary: "农民工讨薪称不给钱就跳楼", ReportedAt: time.Date(2026, 3, 6, 14, 5, 0, 0, Shanghai)},
		{Rule: "group_dispute", Level: "orange", CaseID: "C-2", Region: children[1].Code, County: children[1].Code, Category: "land",
			Detail: "群体性矛盾纠纷：涉及23人", Summary: "村民反映土地流转款未兑付", ReportedAt: time.Date(2026, 3, 4, 9, 30, 0, 0, Shanghai)},
	}
	in.StatAlarmsTotal, in.StatAlarmWindow = 1, Week
	in.RuleAlarmsTotal = 2
	in.SupervisionAt = end
	in.Units = []Unit{
		{Unit: "科尔沁区人力资源和社会保障局", County: children[0].Code, Open: 12, Green: 5, Yellow: 4, Red: 3, Rehandle: 1},
		{Unit: "开鲁县司法局", County: children[3].Code, Open: 6, Green: 5, Yellow: 1},
	}
	return in
}
