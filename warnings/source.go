package warnings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// RuleAlarmRow is one row of rule_alarms, as the engine needs it.
type RuleAlarmRow struct {
	Rule, Source, CaseID             string
	Level                            string
	CountyCode, TownCode, RegionCode string
	Category, Detail                 string
	ReportedAt, DetectedAt           time.Time
}

// BandRow is one region's risk-index band in the latest computed window of
// its window type.
type BandRow struct {
	Window      string // week, month, day
	WindowStart time.Time
	WindowEnd   time.Time
	Region      string
	Score       float64
	Band        string // red, orange, yellow, blue, normal, na
	Reasons     []string
	Drivers     []string // "code|attribution|value|reference"
}

// StatAlarmRow is one alarmed region × category series in the latest
// computed window.
type StatAlarmRow struct {
	Window     string // day, week
	WindowEnd  time.Time
	Region     string
	Category   string
	Detector   string
	Observed   float64
	Expected   float64 // NaN when undefined
	UpperBound float64 // NaN when undefined
}

// SupervisionRow is one case lit red or yellow in the latest 督办 snapshot.
type SupervisionRow struct {
	WindowEnd                        time.Time
	Source, CaseID                   string
	CountyCode, TownCode, RegionCode string
	Category, AssignedUnit, Status   string
	DaysOverdue                      int32
	Light                            string // red, yellow
	Reasons                          []string
}

// RuleAlarmSource returns rule alarms detected at or after a time, in a
// stable order (detection time first), skipping offset rows and returning
// at most limit.
type RuleAlarmSource interface {
	RuleAlarmsSince(ctx context.Context, since time.Time, offset, limit int) ([]RuleAlarmRow, error)
}

// SnapshotSource returns the current state of the scheduled indices: the
// latest window of each.
type SnapshotSource interface {
	RiskBands(ctx context.Context) ([]BandRow, error)
	StatAlarms(ctx context.Context) ([]StatAlarmRow, error)
	SupervisionLights(ctx context.Context) ([]SupervisionRow, error)
}

// Builder turns source rows into warnings with Chinese titles and bodies,
// official region names and taxonomy category names.
type Builder struct {
	Regions *schemas.Registry
	// BaseURL is where the console and reports are served (http://host:port).
	BaseURL string
	// Bands are the risk bands that raise a warning (default orange, red).
	Bands []string
	// StatLevel is the level of a statistical alarm (default yellow).
	StatLevel Level
	// Forecast is the rule of the forecast warnings (forecast.go); off
	// when zero.
	Forecast ForecastRule

	cats map[string]schemas.Category
}

func (b *Builder) catName(code string) string {
	if b.cats == nil {
		b.cats = schemas.CategoryByCode()
	}
	if c, ok := b.cats[code]; ok {
		return c.NameZH
	}
	if code == "" {
		return "全部类型"
	}
	return code
}

// place fills the region fields of w from the registry.
func (b *Builder) place(w *Warning, code string) {
	w.Region = code
	w.RegionName = code
	if r, ok := b.Regions.Lookup(code); ok {
		w.RegionName = r.Name
		w.RegionLevel = int(r.Level)
	}
	if r, ok := b.Regions.AncestorAt(code, schemas.LevelTown); ok {
		w.Town = r.Code
	}
	if r, ok := b.Regions.AncestorAt(code, schemas.LevelCounty); ok {
		w.County = r.Code
	}
	if r, ok := b.Regions.AncestorAt(code, schemas.LevelCity); ok {
		w.City = r.Code
	}
}

// fullName is "科尔沁左翼中旗保康镇": the county's name before a town's.
func (b *Builder) fullName(w *Warning) string {
	name := w.RegionName
	if w.County != "" && w.County != w.Region {
		if r, ok := b.Regions.Lookup(w.County); ok {
			name = r.Name + name
		}
	}
	return name
}

func (b *Builder) regionLink(code string) string {
	return strings.TrimRight(b.BaseURL, "/") + "/console/?region=" + code
}

func (b *Builder) reportLink() string { return strings.TrimRight(b.BaseURL, "/") + "/reports/" }

func (b *Builder) bandWanted(band string) bool {
	bands := b.Bands
	if len(bands) == 0 {
		bands = []string{"orange", "red"}
	}
	for _, x := range bands {
		if x == band {
			return true
		}
	}
	return false
}

// indicatorZH names the SCRI v0 indicators (RISK_INDEX.md §5.2) as the
// centers read them.
var indicatorZH = map[string]string{
	"A1": "万人受理量", "A2": "受理量增幅", "A3": "疑难复杂纠纷占比", "A4": "群体性纠纷占比", "A5": "大额纠纷占比",
	"B1": "敏感类型纠纷占比", "B2": "重复来访占比", "B3": "上交升级占比",
	"C1": "超期办理率", "C2": "未化解率", "C3": "群众不满意率",
}

// bandReasonZH explains why the final band differs from the index's own.
var bandReasonZH = map[string]string{
	"funnel_alert_95_escalation":   "受理量超出漏斗图95%控制限，升至黄色及以上",
	"funnel_alarm_99.8_escalation": "受理量超出漏斗图99.8%控制限，升至橙色及以上",
	"hysteresis_hold":              "未连续两期回落，维持原级别",
	"low_reliability_cap":          "数据可靠性低，最高定为黄色",
	"level_below_min_expected":     "同级案件量偏少，结果仅供参考",
}

// FromBand returns the warning of a band row, or false when the band does
// not raise one. The id does not depend on the window end: a region that
// stays orange week after week keeps one warning, which resolves when the
// band drops.
func (b *Builder) FromBand(r BandRow) (Warning, bool) {
	if !b.bandWanted(r.Band) {
		return Warning{}, false
	}
	lv, err := ParseLevel(r.Band)
	if err != nil {
		return Warning{}, false
	}
	w := Warning{Kind: KindRiskBand, Rule: r.Window, Level: lv, Subject: r.Window}
	b.place(&w, r.Region)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	win := map[string]string{"day": "日", "week": "周", "month": "月"}[r.Window]
	w.Title = fmt.Sprintf("%s社会矛盾风险指数%s预警", b.fullName(&w), lv.ZH())
	var body strings.Builder
	fmt.Fprintf(&body, "%s风险指数 %.1f（%s级，%s—%s）。", win, r.Score, lv.ZH(),
		r.WindowStart.In(schemas.Zone()).Format("01-02"), r.WindowEnd.Add(-time.Second).In(schemas.Zone()).Format("01-02"))
	if len(r.Drivers) > 0 {
		var ds []string
		for _, d := range r.Drivers {
			code := strings.SplitN(d, "|", 2)[0]
			if zh, ok := indicatorZH[code]; ok {
				code = zh
			}
			ds = append(ds, code)
		}
		fmt.Fprintf(&body, "主要驱动指标：%s。", strings.Join(ds, "、"))
	}
	if len(r.Reasons) > 0 {
		var rs []string
		for _, x := range r.Reasons {
			if zh, ok := bandReasonZH[x]; ok {
				x = zh
			}
			rs = append(rs, x)
		}
		fmt.Fprintf(&body, "定级说明：%s。", strings.Join(rs, "；"))
	}
	w.Body = body.String()
	w.Link = b.regionLink(w.Region)
	return w, true
}

// FromStatAlarm returns the warning of an alarmed series. Its id includes
// the window end: each alarmed window is its own warning, resolved once a
// later window of the series no longer alarms.
func (b *Builder) FromStatAlarm(r StatAlarmRow) Warning {
	lv := b.StatLevel
	if lv == 0 {
		lv = Yellow
	}
	w := Warning{Kind: KindStatAlarm, Rule: r.Window, Level: lv, Category: r.Category,
		Subject: r.Category + "@" + r.WindowEnd.UTC().Format(time.RFC3339)}
	b.place(&w, r.Region)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	win := map[string]string{"day": "日", "week": "周"}[r.Window]
	w.Title = fmt.Sprintf("%s%s%s异常增多", b.fullName(&w), b.catName(r.Category), win+"案件量")
	var body strings.Builder
	fmt.Fprintf(&body, "截至 %s，本%s受理%s %.0f 件", r.WindowEnd.In(schemas.Zone()).Format("2006-01-02 15:04"), win, b.catName(r.Category), r.Observed)
	if r.Expected == r.Expected { // not NaN
		fmt.Fprintf(&body, "，基线预期 %.1f 件", r.Expected)
	}
	if r.UpperBound == r.UpperBound {
		fmt.Fprintf(&body, "，超过预警上限 %.1f 件", r.UpperBound)
	}
	fmt.Fprintf(&body, "（检测方法 %s）。", r.Detector)
	w.Body = body.String()
	w.Link = b.regionLink(w.Region)
	return w
}

var ruleZH = map[string]string{
	"group_dispute": "群体性矛盾纠纷", "large_amount": "大额纠纷", "extreme_words": "极端言辞",
	"repeat_petition": "重复信访", "superior_assigned": "上级交办",
}

// FromRuleAlarm returns the warning of a rule alarm. Its region is the
// case's town (its county when the town is unknown), so that the town
// center is the one addressed. ttl is how long the event stays firing,
// counted from when the case was reported (from its detection when that
// is earlier): a record of a past case that arrives late (a backfill, an
// import of history, the demo's two years) is history, expired on
// arrival and never pushed; its alarm stays in rule_alarms for reports.
func (b *Builder) FromRuleAlarm(r RuleAlarmRow, ttl time.Duration) (Warning, error) {
	lv, err := ParseLevel(r.Level)
	if err != nil {
		return Warning{}, fmt.Errorf("rule alarm %s/%s: %w", r.Rule, r.CaseID, err)
	}
	region := r.TownCode
	if region == "" {
		region = r.CountyCode
	}
	if region == "" {
		region = r.RegionCode
	}
	w := Warning{Kind: KindRuleAlarm, Rule: r.Rule, Level: lv, Category: r.Category, Subject: r.Source + ":" + r.CaseID}
	b.place(&w, region)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	name := ruleZH[r.Rule]
	if name == "" {
		name = r.Rule
	}
	w.Title = fmt.Sprintf("%s发生%s（%s）", b.fullName(&w), name, b.catName(r.Category))
	w.Body = fmt.Sprintf("案件 %s，%s受理。%s。", r.CaseID, r.ReportedAt.In(schemas.Zone()).Format("2006-01-02 15:04"), r.Detail)
	w.Link = b.regionLink(w.Region)
	event := r.DetectedAt
	if !r.ReportedAt.IsZero() && r.ReportedAt.Before(event) {
		event = r.ReportedAt
	}
	w.ExpiresAt = event.Add(ttl)
	w.DetectedAt = r.DetectedAt
	return w, nil
}

// FromSupervision returns the warning of a lit case: red for 红灯, yellow
// for 黄灯, resolved when the case leaves the snapshot or turns green.
func (b *Builder) FromSupervision(r SupervisionRow) (Warning, bool) {
	var lv Level
	switch r.Light {
	case "red":
		lv = Red
	case "yellow":
		lv = Yellow
	default:
		return Warning{}, false
	}
	region := r.TownCode
	if region == "" {
		region = r.CountyCode
	}
	if region == "" {
		region = r.RegionCode
	}
	w := Warning{Kind: KindSupervision, Rule: "light", Level: lv, Category: r.Category, Subject: r.Source + ":" + r.CaseID}
	b.place(&w, region)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	light := map[Level]string{Red: "红灯", Yellow: "黄灯"}[lv]
	w.Title = fmt.Sprintf("%s督办%s：%s案件 %s", b.fullName(&w), light, b.catName(r.Category), r.CaseID)
	var body strings.Builder
	fmt.Fprintf(&body, "责任单位：%s；状态：%s", orDash(r.AssignedUnit), orDash(r.Status))
	if r.DaysOverdue > 0 {
		fmt.Fprintf(&body, "；已超期 %d 天", r.DaysOverdue)
	}
	if len(r.Reasons) > 0 {
		fmt.Fprintf(&body, "；原因：%s", strings.Join(r.Reasons, "、"))
	}
	body.WriteString("。")
	w.Body = body.String()
	w.Link = b.reportLink()
	return w, true
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
