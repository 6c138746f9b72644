package reports

import (
	"cmp"
	"fmt"
	"github.com/riskwatch/riskwatch/indices/composite"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Model is a report ready to render: every number and sentence, and the
// chart options, derived from one Input. It is plain data (the golden
// tests compare it as JSON).
type Model struct {
	Title      string `json:"title"`
	IssueNo    string `json:"issue_no"`
	Period     string `json:"period"`
	Issuer     string `json:"issuer"`
	Generated  string `json:"generated"`
	Marking    string `json:"marking"`
	RegionCode string `json:"region_code"`
	RegionName string `json:"region_name"`
	Level      int    `json:"level"`
	Window     string `json:"window"`
	Start      string `json:"start"` // RFC 3339, Shanghai
	End        string `json:"end"`
	Judgement  string `json:"judgement"`
	// SubUnits names the sub-units in words (旗县市区, 苏木乡镇（街道）…).
	SubUnits string `json:"sub_units"`

	Overview    Overview    `json:"overview"`
	Trend       Trend       `json:"trend"`
	Risk        RiskPart    `json:"risk"`
	Hotspots    HotspotPart `json:"hotspots"`
	Types       TypePart    `json:"types"`
	Alarms      AlarmPart   `json:"alarms"`
	Supervision SupPart     `json:"supervision"`
	Advice      []string    `json:"advice"`

	// Charts lists every chart in page order.
	Charts []*Chart `json:"charts"`
	// GeoJSON is the map polygons registered as "tongliao" (names replaced
	// by the registry's official names); empty without maps.
	GeoJSON []byte `json:"-"`

	// Forecast is the section 形势预测 (forecast.go; printed under 二、趋势);
	// nil without forecasts.
	Forecast *ForecastPart `json:"forecast,omitempty"`
	// Emerging is the section 新出现问题 (emerging.go; printed under
	// 六、预警事项); nil when the input has none.
	Emerging *EmergingPart `json:"emerging,omitempty"`
	// Links is the section 关联案件 (links.go; printed under 六、预警事项);
	// nil when the input has none.
	Links *LinksPart `json:"links,omitempty"`
}

// Card is one KPI of the overview.
type Card struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Note  string `json:"note,omitempty"`
}

// BandCount is how many sub-units are in one band.
type BandCount struct {
	Band  string `json:"band"`
	Label string `json:"label"`
	Color string `json:"color"`
	N     int    `json:"n"`
}

// Overview is section 一、总体情况.
type Overview struct {
	Cards     []Card      `json:"cards"`
	Narrative []string    `json:"narrative"`
	Bands     []BandCount `json:"bands"`
}

// Trend is section 二、趋势.
type Trend struct {
	Chart *Chart `json:"chart"`
	Note  string `json:"note"`
}

// RiskRow is one sub-unit in the risk ranking table.
type RiskRow struct {
	Rank        int    `json:"rank"`
	Name        string `json:"name"`
	Score       string `json:"score"`
	Band        string `json:"band"`
	BandLabel   string `json:"band_label"`
	Color       string `json:"color"`
	Cases       uint64 `json:"cases"`
	Reliability string `json:"reliability"`
}

// RiskPart is section 三、风险指数.
type RiskPart struct {
	Map     *Chart      `json:"map,omitempty"`
	Rank    *Chart      `json:"rank,omitempty"`
	Radar   *Chart      `json:"radar,omitempty"`
	Rows    []RiskRow   `json:"rows"`
	Legend  []BandCount `json:"legend"`
	Drivers []string    `json:"drivers"`
	Note    string      `json:"note"`
}

// HotspotRow is one sub-unit in the hot-spot table.
type HotspotRow struct {
	Name   string `json:"name"`
	Cases  uint64 `json:"cases"`
	Rate   string `json:"rate"`
	EBRate string `json:"eb_rate"`
	Z      string `json:"z"`
	Status string `json:"status"`
	Hot    bool   `json:"hot"`
}

// HotspotPart is section 四、热点区域.
type HotspotPart struct {
	Chart *Chart       `json:"chart,omitempty"`
	Rows  []HotspotRow `json:"rows"`
	Note  string       `json:"note"`
}

// TypeRow is one high-frequency type.
type TypeRow struct {
	Rank   int    `json:"rank"`
	Name   string `json:"name"`
	Cases  uint64 `json:"cases"`
	Share  string `json:"share"`
	Growth string `json:"growth"`
	Flag   string `json:"flag,omitempty"`
}

// TypePart is section 五、高发类型.
type TypePart struct {
	Chart *Chart    `json:"chart,omitempty"`
	Rows  []TypeRow `json:"rows"`
	Note  string    `json:"note"`
}

// AlarmRow is one warning item with its reason.
type AlarmRow struct {
	Level     string `json:"level"`
	LevelText string `json:"level_text"`
	Color     string `json:"color"`
	Kind      string `json:"kind"`
	Region    string `json:"region"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	Summary   string `json:"summary,omitempty"`
	When      string `json:"when"`
}

// AlarmPart is section 六、预警事项.
type AlarmPart struct {
	Rows []AlarmRow `json:"rows"`
	More int        `json:"more"`
	Note string     `json:"note"`
}

// UnitRow is one responsible unit's lights.
type UnitRow struct {
	Unit     string `json:"unit"`
	County   string `json:"county"`
	Open     uint64 `json:"open"`
	Red      uint64 `json:"red"`
	Yellow   uint64 `json:"yellow"`
	Rehandle uint64 `json:"rehandle"`
}

// SupPart is section 七、督办事项.
type SupPart struct {
	Chart *Chart    `json:"chart,omitempty"`
	Rows  []UnitRow `json:"rows"`
	More  int       `json:"more"`
	Note  string    `json:"note"`
}

// Limits of the tables; the rest is counted ("另有N项").
const (
	maxAlarmRows = 30
	maxUnitRows  = 15
	maxTypeRows  = 10
	maxTrendCats = 6
	maxDrivers   = 8
)

// Build derives the report model from the input. It is a pure function of
// the input (GeneratedAt included).
func Build(in Input) (*Model, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ww := words[in.Window]
	m := &Model{
		Title:      in.Region.Name + "矛盾纠纷风险预警" + ww.kind,
		IssueNo:    issueNo(in.Window, in.Start),
		Period:     periodZH(in.Window, in.Start, in.End),
		Issuer:     in.Issuer,
		Generated:  dateZH(in.GeneratedAt),
		Marking:    "内部资料　注意保存",
		RegionCode: in.Region.Code,
		RegionName: in.Region.Name,
		Level:      in.Region.Level,
		Window:     in.Window,
		Start:      in.Start.In(zone()).Format(time.RFC3339),
		End:        in.End.In(zone()).Format(time.RFC3339),
		SubUnits:   childWord(in.Region.Level),
	}
	b := builder{in: &in, m: m, ww: ww,
		// One total of each kind of alarm, for the narrative and the
		// alarms section alike: the stored count, or the rows read when
		// the count is missing.
		statTotal: max(in.StatAlarmsTotal, len(in.StatAlarms)),
		ruleTotal: max(in.RuleAlarmsTotal, len(in.RuleAlarms)),
	}
	b.children()
	b.overview()
	b.trend()
	b.forecast() // forecast.go
	b.risk()
	b.hotspots()
	b.types()
	b.alarms()
	b.emerging() // emerging.go
	b.links()    // links.go
	b.supervision()
	b.advice()
	b.judgement()
	b.narrative()
	for _, c := range []*Chart{m.Trend.Chart, m.Risk.Map, m.Risk.Rank, m.Risk.Radar, m.Hotspots.Chart, m.Types.Chart, m.Supervision.Chart} {
		if c != nil {
			m.Charts = append(m.Charts, c)
		}
	}
	b.addFanChart() // forecast.go
	return m, nil
}

type builder struct {
	in       *Input
	m        *Model
	ww       windowWords
	child    map[string]bool
	childRsk []Risk // children's risk rows, highest score first
	raised   []StatAlarm
	// statTotal and ruleTotal count the alarms of the period (more than
	// the rows read when the store capped them).
	statTotal, ruleTotal int
}

func (b *builder) name(code string) string {
	if r, ok := b.in.Regions[code]; ok {
		return r.Name
	}
	for _, c := range b.in.Children {
		if c.Code == code {
			return c.Name
		}
	}
	if code == b.in.Region.Code {
		return b.in.Region.Name
	}
	if code == "" {
		return "—"
	}
	return code
}

// place names a region for the warning tables: a town or village with
// the county (and town) above it, 科尔沁区永清街道; a county or the city by
// its name. A code the registry lacks is named by its nearest known
// ancestor, never printed as a code, when one is known.
func (b *builder) place(code string) string {
	r, ok := b.in.Regions[code]
	if !ok {
		// A village the input does not list: its town, else its county.
		if len(code) == 12 {
			for _, up := range []string{code[:9] + "000", code[:6] + "000000"} {
				if _, found := b.in.Regions[up]; found {
					return b.place(up)
				}
			}
		}
		return b.name(code)
	}
	name := r.Name
	for r.Level > 3 {
		pr, found := b.in.Regions[r.Parent]
		if !found {
			break
		}
		name = pr.Name + name
		r = pr
	}
	return name
}

func (b *builder) category(code string) string {
	switch code {
	case "", "all", "*":
		return "全部类型"
	}
	if c, ok := b.in.Categories[code]; ok {
		return c.NameZH
	}
	return code
}

// group returns the taxonomy group of a category code.
func (b *builder) group(code string) string {
	if c, ok := b.in.Categories[code]; ok && c.Group != "" {
		return c.Group
	}
	return code
}

func (b *builder) children() {
	b.child = map[string]bool{}
	for _, c := range b.in.Children {
		b.child[c.Code] = true
	}
	for _, r := range b.in.Risk {
		if b.child[r.Region] {
			b.childRsk = append(b.childRsk, r)
		}
	}
	slices.SortStableFunc(b.childRsk, func(x, y Risk) int {
		if c := cmp.Compare(nanLow(y.Score), nanLow(x.Score)); c != 0 {
			return c
		}
		return strings.Compare(x.Region, y.Region)
	})
}

func nanLow(x float64) float64 {
	if math.IsNaN(x) {
		return math.Inf(-1)
	}
	return x
}

func (b *builder) overview() {
	k := b.in.KPI
	if k == nil {
		b.m.Overview.Cards = []Card{{Label: "受理", Value: "—", Note: "本期指标尚未计算"}}
	} else {
		b.m.Overview.Cards = []Card{
			{Label: "受理（件）", Value: strconv.FormatUint(k.Accepted, 10), Note: "环比" + arrow(k.MoMChange) + "　同比" + arrow(k.YoYChange)},
			{Label: "化解（件）", Value: strconv.FormatUint(k.Resolved, 10), Note: "化解率" + pct(k.ResolveRate)},
			{Label: "办结（件）", Value: strconv.FormatUint(k.Concluded, 10), Note: "办结率" + pct(k.ConcludeRate)},
			{Label: "超期（件）", Value: strconv.FormatUint(k.Overdue, 10)},
			{Label: "满意率", Value: pct(k.SatisfactionRate), Note: "评价" + strconv.FormatUint(k.Evaluated, 10) + "件"},
			{Label: "平均办理（天）", Value: num1(k.MeanHandlingDays)},
		}
	}
	counts := map[string]int{}
	for _, r := range b.childRsk {
		counts[r.Band]++
	}
	for _, band := range []string{"red", "orange", "yellow", "blue"} {
		b.m.Overview.Bands = append(b.m.Overview.Bands, BandCount{Band: band, Label: bandText(band), Color: colorOf(band), N: counts[band]})
	}
}

// narrative writes the overview sentences from the same rows as the cards
// and charts.
func (b *builder) narrative() {
	in, ww := b.in, b.ww
	var s []string
	if k := in.KPI; k != nil {
		s = append(s, fmt.Sprintf("%s%s受理矛盾纠纷%d件，环比%s（%s%d件），同比%s（去年同期%d件）。",
			ww.this, whole(in.Region), k.Accepted, change(k.MoMChange), ww.prev, k.PrevAccepted, change(k.YoYChange), k.YoYAccepted))
		s = append(s, fmt.Sprintf("化解%d件，化解率%s；办结%d件，办结率%s；超期%d件；群众满意率%s；平均办理%s天。",
			k.Resolved, pct(k.ResolveRate), k.Concluded, pct(k.ConcludeRate), k.Overdue, pct(k.SatisfactionRate), num1(k.MeanHandlingDays)))
		if up := b.topChildGrowth(); up != "" {
			s = append(s, up)
		}
	} else {
		s = append(s, fmt.Sprintf("%s%s的统计指标尚未计算，以下各部分依据已存储的结果编制。", ww.this, whole(in.Region)))
	}
	var bands []string
	var reds []string
	for _, bc := range b.m.Overview.Bands {
		if bc.N > 0 {
			bands = append(bands, fmt.Sprintf("%s%d个", bc.Label, bc.N))
		}
	}
	for _, r := range b.childRsk {
		if r.Band == "red" || r.Band == "orange" {
			reds = append(reds, b.name(r.Region)+"（"+bandText(r.Band)+"）")
		}
	}
	switch {
	case len(b.childRsk) == 0:
		s = append(s, "本期风险指数尚未计算。")
	case len(bands) == 0:
		s = append(s, fmt.Sprintf("风险指数显示，%d个%s均未达到预警等级。", len(b.childRsk), childWord(in.Region.Level)))
	default:
		t := fmt.Sprintf("风险指数显示，%d个%s中%s", len(b.childRsk), childWord(in.Region.Level), strings.Join(bands, "、"))
		if len(reds) > 0 {
			t += "，其中" + strings.Join(reds, "、") + "需重点关注"
		}
		s = append(s, t+"。")
	}
	var red uint64
	var yellow uint64
	for _, u := range in.Units {
		red += u.Red
		yellow += u.Yellow
	}
	s = append(s, fmt.Sprintf("本期统计预警%d条、规则预警%d条；督办事项红灯%d件、黄灯%d件。总体研判：%s。",
		b.statTotal, b.ruleTotal, red, yellow, b.m.Judgement))
	b.m.Overview.Narrative = s
}

// topChildGrowth names the child with the largest rise, when one rose by
// at least 20 % on at least 10 cases.
func (b *builder) topChildGrowth() string {
	best := -1
	for i, k := range b.in.ChildKPIs {
		if !b.child[k.Region] || math.IsNaN(k.MoMChange) || k.MoMChange < 0.2 || k.Accepted < 10 {
			continue
		}
		if best < 0 || k.MoMChange > b.in.ChildKPIs[best].MoMChange {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	k := b.in.ChildKPIs[best]
	return fmt.Sprintf("%s受理%d件，环比%s，增幅居%s首位。", b.name(k.Region), k.Accepted, change(k.MoMChange), childWord(b.in.Region.Level))
}

func (b *builder) judgement() {
	red, orange := 0, 0
	for _, r := range b.childRsk {
		switch r.Band {
		case "red":
			red++
		case "orange":
			orange++
		}
	}
	redAlarms := 0
	for _, a := range b.in.RuleAlarms {
		if a.Level == "red" {
			redAlarms++
		}
	}
	mom := math.NaN()
	if b.in.KPI != nil {
		mom = b.in.KPI.MoMChange
	}
	switch {
	case red > 0 || redAlarms >= 5:
		b.m.Judgement = "形势严峻，需高度关注"
	case orange > 0 || b.statTotal > 0 || (!math.IsNaN(mom) && mom >= 0.1):
		b.m.Judgement = "总体平稳，局部升温"
	default:
		b.m.Judgement = "总体平稳"
	}
}

func (b *builder) trend() {
	in := b.in
	// Buckets: days for day and week reports, 7-day spans ending at End
	// for month reports.
	type bucket struct {
		start time.Time
		label string
	}
	var buckets []bucket
	if in.Window == Month {
		for e := in.End; e.After(in.TrendStart); e = e.AddDate(0, 0, -7) {
			s := e.AddDate(0, 0, -7)
			buckets = append(buckets, bucket{s, monthDayZH(s) + "—" + monthDayZH(e.AddDate(0, 0, -1))})
		}
		slices.Reverse(buckets)
	} else {
		for d := in.TrendStart.In(zone()); d.Before(in.End); d = d.AddDate(0, 0, 1) {
			buckets = append(buckets, bucket{d, monthDayZH(d)})
		}
	}
	idx := func(t time.Time) int {
		i, _ := slices.BinarySearchFunc(buckets, t, func(b bucket, t time.Time) int {
			if b.start.After(t) {
				return 1
			}
			return -1
		})
		return i - 1 // the last bucket starting at or before t
	}
	totals := map[string]uint64{}
	series := map[string][]uint64{}
	for _, d := range in.Daily {
		if d.Day.Before(in.TrendStart) || !d.Day.Before(in.End) {
			continue
		}
		i := idx(d.Day)
		if i < 0 {
			continue
		}
		g := b.group(d.Category)
		if series[g] == nil {
			series[g] = make([]uint64, len(buckets))
		}
		series[g][i] += d.Cases
		totals[g] += d.Cases
	}
	groups := make([]string, 0, len(totals))
	for g := range totals {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(x, y string) int {
		if c := cmp.Compare(totals[y], totals[x]); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	var names []string
	var data [][]uint64
	other := make([]uint64, len(buckets))
	hasOther := false
	for i, g := range groups {
		if i < maxTrendCats {
			names = append(names, b.category(g))
			data = append(data, series[g])
			continue
		}
		hasOther = true
		for j, v := range series[g] {
			other[j] += v
		}
	}
	if hasOther {
		names = append(names, "其他类型")
		data = append(data, other)
	}
	labels := make([]string, len(buckets))
	for i, bk := range buckets {
		labels[i] = bk.label
	}
	var sum uint64
	for _, v := range totals {
		sum += v
	}
	span := "逐日"
	if in.Window == Month {
		span = "逐周"
	}
	b.m.Trend.Note = fmt.Sprintf("%s至%s%s受理量（按类型堆叠），合计%d件。", dateZH(in.TrendStart), dateZH(in.End.AddDate(0, 0, -1)), span, sum)
	b.m.Trend.Chart = trendChart(labels, names, data)
}

func (b *builder) risk() {
	in := b.in
	for i, r := range b.childRsk {
		b.m.Risk.Rows = append(b.m.Risk.Rows, RiskRow{Rank: i + 1, Name: b.name(r.Region), Score: num1(r.Score),
			Band: r.Band, BandLabel: bandText(r.Band), Color: colorOf(r.Band), Cases: r.NCases, Reliability: reliabilityZH(r.Reliability)})
	}
	for _, band := range []string{"red", "orange", "yellow", "blue", "normal"} {
		b.m.Risk.Legend = append(b.m.Risk.Legend, BandCount{Band: band, Label: bandText(band), Color: colorOf(band)})
	}
	if len(b.childRsk) == 0 {
		b.m.Risk.Note = "本期风险指数尚未计算。"
		return
	}
	rw := lookup(map[string]string{Week: "周", Month: "月", Day: "日"}, in.RiskWindow)
	b.m.Risk.Note = fmt.Sprintf("风险指数（SCRI，0—10分，%s）分红、橙、黄、蓝四色预警，颜色由风险指数、滞后规则和可靠性共同确定。", b.riskBasis(rw))
	b.m.Risk.Note += b.bandMeaning()
	b.m.Risk.Rank = riskRankChart(b.m.Risk.Rows)
	if len(in.GeoJSON) > 0 {
		if geo, mapData, err := b.mapData(); err == nil && len(mapData) > 0 {
			b.m.GeoJSON = geo
			b.m.Risk.Map = riskMapChart(mapData)
		}
	}
	b.m.Risk.Radar = b.radar()
	// Drivers of the orange and red units, the region itself first.
	var focus []Risk
	for _, r := range in.Risk {
		if r.Region == in.Region.Code && (r.Band == "red" || r.Band == "orange") {
			focus = append(focus, r)
		}
	}
	for _, r := range b.childRsk {
		if r.Band == "red" || r.Band == "orange" {
			focus = append(focus, r)
		}
	}
	for i, r := range focus {
		if i == maxDrivers {
			b.m.Risk.Drivers = append(b.m.Risk.Drivers, fmt.Sprintf("另有%d个地区处于橙色及以上预警，详见排名表。", len(focus)-maxDrivers))
			break
		}
		b.m.Risk.Drivers = append(b.m.Risk.Drivers, b.driverSentence(r))
	}
	if len(focus) == 0 {
		b.m.Risk.Drivers = []string{"本期无橙色及以上风险地区。"}
	}
}

// riskBasis names the risk window the rows come from: its dates when the
// input has them, flagged when it is not the report's own period.
func (b *builder) riskBasis(rw string) string {
	in := b.in
	if in.RiskEnd.IsZero() || !in.RiskEnd.After(in.RiskStart) {
		return "按" + rw + "计算"
	}
	// periodZH of a week prints start至last for any span.
	s := fmt.Sprintf("按%s%s窗口计算", periodZH(Week, in.RiskStart, in.RiskEnd), rw)
	if in.RiskWindow != in.Window || !in.RiskEnd.Equal(in.End) || !in.RiskStart.Equal(in.Start) {
		s += "，非本期统计窗口，为截至本期末最近一期的计算结果"
	}
	return s
}

// bandMeaning says per thresholds version of the children's rows what a
// colour means: the calibrated share of yellow on its baseline, or that the
// fixed INFORM thresholds apply.
func (b *builder) bandMeaning() string {
	var out string
	seen := map[string]bool{}
	for _, r := range b.childRsk {
		v := r.ThresholdsVersion
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		var cal *RiskThresholds
		for i := range b.in.RiskThresholds {
			if b.in.RiskThresholds[i].Version == v {
				cal = &b.in.RiskThresholds[i]
			}
		}
		if cal == nil || cal.Method != "quantile" || len(cal.BaselineShares) != 5 {
			out += fmt.Sprintf("色阶版本%s：采用INFORM固定阈值（蓝2.0、黄3.5、橙5.0、红6.5），未按本地基准校准。", v)
			continue
		}
		from, to := cal.BaselineFrom.In(zone()).Year(), cal.BaselineTo.Add(-time.Second).In(zone()).Year()
		years := strconv.Itoa(to)
		if from != to {
			years = fmt.Sprintf("%d—%d", from, to)
		}
		out += fmt.Sprintf("色阶版本%s：本色阶按%s年基准校准：黄色约占%.0f%%。", v, years, 100*cal.BaselineShares[2])
	}
	return out
}

func reliabilityZH(r string) string {
	return lookup(map[string]string{"high": "高", "medium": "中", "low": "低", "": "—"}, r)
}

func (b *builder) driverSentence(r Risk) string {
	var sib, prev []string
	for _, d := range r.DriversSiblings {
		sib = append(sib, driverText(d, composite.AgainstSiblings))
	}
	for _, d := range r.DriversPrev {
		prev = append(prev, driverText(d, composite.AgainstPrevious))
	}
	s := fmt.Sprintf("%s（%s预警，风险指数%s）：", b.name(r.Region), bandText(r.Band), num1(r.Score))
	switch {
	case len(sib) > 0 && len(prev) > 0:
		s += strings.Join(sib, "、") + "；与上期相比，" + strings.Join(prev, "、") + "。"
	case len(sib) > 0:
		s += strings.Join(sib, "、") + "。"
	case len(prev) > 0:
		s += "与上期相比，" + strings.Join(prev, "、") + "。"
	default:
		s += "未记录主要驱动因素。"
	}
	return s
}

func (b *builder) radar() *Chart {
	var rows []Risk
	for _, r := range b.in.Risk {
		if r.Region == b.in.Region.Code && len(r.DimensionScores) > 0 {
			rows = append(rows, r)
		}
	}
	for _, r := range b.childRsk {
		if len(rows) >= 3 {
			break
		}
		if len(r.DimensionScores) > 0 {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	dims := rows[0].DimensionNames
	var names []string
	var values [][]float64
	for _, r := range rows {
		if len(r.DimensionScores) != len(dims) {
			continue
		}
		names = append(names, b.name(r.Region))
		v := make([]float64, len(dims))
		for i, x := range r.DimensionScores {
			v[i] = round1(x)
			if math.IsNaN(x) {
				v[i] = 0
			}
		}
		values = append(values, v)
	}
	labels := make([]string, len(dims))
	for i, d := range dims {
		labels[i] = dimensionText(d)
	}
	return radarChart(labels, names, values)
}

func (b *builder) hotspots() {
	var rows []Hotspot
	for _, h := range b.in.Hotspots {
		if b.child[h.Region] {
			rows = append(rows, h)
		}
	}
	slices.SortStableFunc(rows, func(x, y Hotspot) int {
		if c := cmp.Compare(nanLow(y.EBRatePer10k), nanLow(x.EBRatePer10k)); c != 0 {
			return c
		}
		return strings.Compare(x.Region, y.Region)
	})
	hot := 0
	var names []string
	var values []float64
	var hots []bool
	for _, h := range rows {
		var st []string
		switch h.Hot {
		case 1:
			st = append(st, "热点（Gi* z="+num1(h.GiZ)+"）")
			hot++
		case -1:
			st = append(st, "冷点")
		}
		if h.EHSACategory != "" && h.EHSACategory != "No Pattern Detected" {
			st = append(st, lookup(ehsaZH, h.EHSACategory))
		}
		switch h.FunnelFlag {
		case "alarm_99.8":
			st = append(st, "超出99.8%控制限")
		case "alert_95":
			st = append(st, "超出95%预警限")
		}
		status := strings.Join(st, "；")
		if status == "" {
			status = "—"
		}
		b.m.Hotspots.Rows = append(b.m.Hotspots.Rows, HotspotRow{Name: b.name(h.Region), Cases: h.Cases, Rate: num1(h.RatePer10k),
			EBRate: num1(h.EBRatePer10k), Z: num1(h.GiZ), Status: status, Hot: h.Hot == 1})
		names = append(names, b.name(h.Region))
		v := round1(h.EBRatePer10k)
		if math.IsNaN(h.EBRatePer10k) {
			v = 0
		}
		values = append(values, v)
		hots = append(hots, h.Hot == 1)
	}
	if len(rows) == 0 {
		b.m.Hotspots.Note = "本期热点分析尚未计算。"
		return
	}
	b.m.Hotspots.Note = fmt.Sprintf("按每万人受理量（经验贝叶斯平滑）排序；Gi*热点分析识别热点%d个。", hot)
	if b.m.GeoJSON != nil && b.in.Region.Level == 2 {
		b.m.Hotspots.Chart = hotspotMapChart(names, values)
	} else {
		b.m.Hotspots.Chart = hotspotBarChart(names, values, hots)
	}
}

func (b *builder) types() {
	rows := slices.Clone(b.in.Types)
	slices.SortStableFunc(rows, func(x, y TypeRank) int { return cmp.Compare(x.Rank, y.Rank) })
	if len(rows) > maxTypeRows {
		rows = rows[:maxTypeRows]
	}
	var names []string
	var cases []uint64
	var surging []bool
	var rising []string
	for _, t := range rows {
		name := t.NameZH
		if name == "" {
			name = b.category(t.Category)
		}
		flag := ""
		switch {
		case t.Surging:
			flag = "快速上升"
			rising = append(rising, name+"（"+change(t.Growth)+"）")
		case t.Significant:
			flag = "显著增长"
		}
		b.m.Types.Rows = append(b.m.Types.Rows, TypeRow{Rank: t.Rank, Name: name, Cases: t.Cases, Share: pct(t.Share), Growth: arrow(t.Growth), Flag: flag})
		names = append(names, name)
		cases = append(cases, t.Cases)
		surging = append(surging, t.Surging)
	}
	if len(rows) == 0 {
		b.m.Types.Note = "本期高发类型尚未计算。"
		return
	}
	top := b.m.Types.Rows[0]
	note := fmt.Sprintf("%s居首，%d件，占%s", top.Name, top.Cases, top.Share)
	if len(b.m.Types.Rows) > 2 {
		r1, r2 := b.m.Types.Rows[1], b.m.Types.Rows[2]
		note += fmt.Sprintf("；其次为%s（%d件）和%s（%d件）", r1.Name, r1.Cases, r2.Name, r2.Cases)
	}
	note += "。"
	if len(rising) > 0 {
		note += "快速上升的类型：" + strings.Join(rising, "、") + "。"
	}
	b.m.Types.Note = note
	b.m.Types.Chart = typesChart(names, cases, surging)
}

func (b *builder) alarms() {
	in := b.in
	type item struct {
		order int
		when  time.Time
		row   AlarmRow
	}
	var items []item
	for _, a := range in.StatAlarms {
		b.raised = append(b.raised, a)
		reason := fmt.Sprintf("%s检测：观测%s件，超过预期上限%s件（预期%s件）", lookup(detectorZH, a.Detector),
			num0(a.Observed), num1(a.UpperBound), num1(a.Expected))
		items = append(items, item{order: 3, when: a.WindowEnd, row: AlarmRow{Level: "yellow", LevelText: "黄色",
			Color: colorOf("yellow"), Kind: "统计预警", Region: b.place(a.Region), Type: b.category(a.Category),
			Reason: reason, When: dateZH(a.WindowEnd.AddDate(0, 0, -1))}})
	}
	for _, a := range in.RuleAlarms {
		items = append(items, item{order: bandOrder[a.Level], when: a.ReportedAt, row: AlarmRow{Level: a.Level, LevelText: bandText(a.Level),
			Color: colorOf(a.Level), Kind: "规则预警·" + lookup(ruleZH, a.Rule), Region: b.place(a.Region), Type: b.category(a.Category),
			Reason: hideCaseID(a.Detail, a.CaseID), Summary: clip(hideCaseID(a.Summary, a.CaseID), 60), When: a.ReportedAt.In(zone()).Format("1月2日 15:04")}})
	}
	slices.SortStableFunc(items, func(x, y item) int {
		if c := cmp.Compare(y.order, x.order); c != 0 {
			return c
		}
		return y.when.Compare(x.when)
	})
	total := b.statTotal + b.ruleTotal
	for i, it := range items {
		if i == maxAlarmRows {
			break
		}
		b.m.Alarms.Rows = append(b.m.Alarms.Rows, it.row)
	}
	b.m.Alarms.More = total - len(b.m.Alarms.Rows)
	if total == 0 {
		b.m.Alarms.Note = "本期无预警事项。"
		return
	}
	counts := map[string]int{}
	for _, a := range in.RuleAlarms {
		counts[a.Level]++
	}
	b.m.Alarms.Note = fmt.Sprintf("本期统计预警%d条（同类纠纷数量超出历史基线上限），规则预警%d条（按列出的%d条计：红色%d条、橙色%d条、黄色%d条）。",
		b.statTotal, b.ruleTotal, len(in.RuleAlarms), counts["red"], counts["orange"], counts["yellow"])
	switch in.StatAlarmWindow {
	case Day:
		b.m.Alarms.Note += "统计预警按日检测，计入本期内每一日的检测结果。"
	case Week:
		b.m.Alarms.Note += "统计预警按周检测，计入截止日在本期内的各周。"
	}
}

func num0(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
}

func (b *builder) supervision() {
	// Units with nothing open and no light are not listed or counted.
	var units []Unit
	for _, u := range b.in.Units {
		if u.Open+u.Red+u.Yellow+u.Rehandle > 0 {
			units = append(units, u)
		}
	}
	slices.SortStableFunc(units, func(x, y Unit) int {
		if c := cmp.Compare(y.Red, x.Red); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Yellow, x.Yellow); c != 0 {
			return c
		}
		return strings.Compare(x.Unit, y.Unit)
	})
	var red, yellow, open uint64
	for _, u := range units {
		red += u.Red
		yellow += u.Yellow
		open += u.Open
	}
	for i, u := range units {
		if i == maxUnitRows {
			break
		}
		b.m.Supervision.Rows = append(b.m.Supervision.Rows, UnitRow{Unit: u.Unit, County: b.name(u.County), Open: u.Open, Red: u.Red, Yellow: u.Yellow, Rehandle: u.Rehandle})
	}
	b.m.Supervision.More = len(units) - len(b.m.Supervision.Rows)
	if len(units) == 0 {
		b.m.Supervision.Note = "本期无在办督办事项。"
		return
	}
	b.m.Supervision.Note = fmt.Sprintf("截至%s，%d个责任单位在办%d件，其中红灯%d件、黄灯%d件。", b.supervisionAt(), len(units), open, red, yellow)
	if at := b.in.SupervisionAt; !at.IsZero() && !at.Equal(b.in.End) {
		b.m.Supervision.Note += fmt.Sprintf("（督办快照时间与本期截止时间%s不同。）", timeZH(b.in.End))
	}
	var names []string
	var reds, yellows []uint64
	for i, u := range b.m.Supervision.Rows {
		if i == 12 || u.Red+u.Yellow == 0 {
			break
		}
		names = append(names, u.Unit)
		reds = append(reds, u.Red)
		yellows = append(yellows, u.Yellow)
	}
	if len(names) > 0 {
		b.m.Supervision.Chart = supervisionChart(names, reds, yellows)
	}
}

// supervisionAt prints the time of the supervision snapshot the units
// come from (End when the input does not say).
func (b *builder) supervisionAt() string {
	if b.in.SupervisionAt.IsZero() {
		return timeZH(b.in.End)
	}
	return timeZH(b.in.SupervisionAt)
}

// timeZH prints a time as 2026年3月9日0时, with the minutes when they are
// not zero.
func timeZH(t time.Time) string {
	t = t.In(zone())
	if t.Minute() != 0 || t.Second() != 0 {
		return fmt.Sprintf("%s%d时%02d分", dateZH(t), t.Hour(), t.Minute())
	}
	return fmt.Sprintf("%s%d时", dateZH(t), t.Hour())
}

func (b *builder) advice() {
	var out []string
	n := 0
	for _, r := range b.childRsk {
		if r.Band != "red" && r.Band != "orange" {
			continue
		}
		if n == 5 {
			break
		}
		n++
		code := "A1"
		if len(r.DriversSiblings) > 0 {
			code = r.DriversSiblings[0].Code
		} else if len(r.DriversPrev) > 0 {
			code = r.DriversPrev[0].Code
		}
		out = append(out, fmt.Sprintf("%s（%s预警）：%s。", b.name(r.Region), bandText(r.Band), lookup(advice, code)))
	}
	// Statistical alarms grouped by region and category.
	type key struct{ region, cat string }
	seen := map[key]int{}
	var keys []key
	for _, a := range b.raised {
		k := key{a.Region, a.Category}
		if seen[k] == 0 {
			keys = append(keys, k)
		}
		seen[k]++
	}
	for i, k := range keys {
		if i == 5 {
			out = append(out, fmt.Sprintf("其余%d处统计预警由属地综治中心逐一核查。", len(keys)-5))
			break
		}
		out = append(out, fmt.Sprintf("对%s%s异常增多情况开展专项核查（统计预警%d条），查明原因并落实化解责任。", b.name(k.region), b.category(k.cat), seen[k]))
	}
	redRules := 0
	for _, a := range b.in.RuleAlarms {
		if a.Level == "red" {
			redRules++
		}
	}
	if redRules > 0 {
		out = append(out, fmt.Sprintf("对%d件红色规则预警事项（群体性、极端言辞等），24小时内落实稳控和化解措施，逐件明确包案领导。", redRules))
	}
	var redUnits []string
	for _, u := range b.m.Supervision.Rows {
		if u.Red > 0 {
			redUnits = append(redUnits, u.Unit)
		}
	}
	if len(redUnits) > 0 {
		shown := redUnits
		if len(shown) > 3 {
			shown = shown[:3]
		}
		out = append(out, fmt.Sprintf("对%s等%d个责任单位的红灯事项挂牌督办，限期办结。", strings.Join(shown, "、"), len(redUnits)))
	}
	for _, t := range b.m.Types.Rows {
		if t.Flag == "快速上升" {
			out = append(out, fmt.Sprintf("关注%s快速上升（%s），做好政策解释和源头化解。", t.Name, t.Growth))
			break
		}
	}
	if len(out) == 0 {
		out = append(out, "当前总体平稳，继续落实常态化排查和分级分类处置。")
	}
	b.m.Advice = out
}

// HiddenCaseID stands for a case id in a report. Reports are written for
// leaders, who see no case ids: the alarm table has no id column, and an
// alarm's own id is cut from its reason and summary (free text that may
// quote it), whatever the masking of personal data did.
const HiddenCaseID = "〔案件编号已隐藏〕"

func hideCaseID(s, id string) string {
	if len(id) < 2 {
		return s
	}
	return strings.ReplaceAll(s, id, HiddenCaseID)
}
