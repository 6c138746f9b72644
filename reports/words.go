package reports

import (
	"fmt"
	"github.com/riskwatch/riskwatch/indices/composite"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Shanghai is Asia/Shanghai, the default deployment zone (fixtures use it).
var Shanghai = schemas.Shanghai

// zone is the deployment time zone, in which every date in a report is
// printed.
func zone() *time.Location { return schemas.Zone() }

// Band colours (REPORTS_ALERTS.md §5): the same in charts, tables and the
// legend.
var bandColor = map[string]string{
	"red": "#E02020", "orange": "#FF7F00", "yellow": "#FFD700", "blue": "#1E6FFF",
	"normal": "#9BBF85", "na": "#C8C8C8",
}

var bandLabel = map[string]string{
	"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色", "normal": "正常", "na": "无数据",
}

var bandOrder = map[string]int{"red": 5, "orange": 4, "yellow": 3, "blue": 2, "normal": 1, "na": 0}

// bandText returns the printed band name; unknown bands print as given.
func bandText(b string) string {
	if s, ok := bandLabel[b]; ok {
		return s
	}
	return b
}

func colorOf(b string) string {
	if c, ok := bandColor[b]; ok {
		return c
	}
	return bandColor["na"]
}

// windowWords are the words of a window: this period, the previous one,
// the report kind.
type windowWords struct{ this, prev, kind, unit string }

var words = map[string]windowWords{
	Day:   {"当日", "前一日", "日报", "日"},
	Week:  {"本周", "上周", "周报", "周"},
	Month: {"本月", "上月", "月报", "月"},
}

// whole is how a region's whole territory is named in running text:
// 全市, 全旗, 全区, 全县, 全镇 …
func whole(r Region) string {
	for _, suffix := range []string{"街道", "苏木", "市", "旗", "区", "县", "镇", "乡"} {
		if strings.HasSuffix(r.Name, suffix) {
			return "全" + suffix
		}
	}
	return "全域"
}

// childWord names the children of a region level.
func childWord(level int) string {
	switch level {
	case 2:
		return "旗县市区"
	case 3:
		return "苏木乡镇（街道）"
	case 4:
		return "嘎查村（社区）"
	}
	return "下级地区"
}

func dateZH(t time.Time) string {
	t = t.In(zone())
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func monthDayZH(t time.Time) string {
	t = t.In(zone())
	return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
}

// periodZH prints [start, end) the way the reports name their period.
func periodZH(window string, start, end time.Time) string {
	last := end.In(zone()).AddDate(0, 0, -1)
	start = start.In(zone())
	switch window {
	case Day:
		return dateZH(start)
	case Month:
		return fmt.Sprintf("%d年%d月", start.Year(), int(start.Month()))
	}
	if start.Year() != last.Year() {
		return dateZH(start) + "至" + dateZH(last)
	}
	return dateZH(start) + "至" + monthDayZH(last)
}

// issueNo is the number of the issue within its year: the day of the year,
// the ISO week or the month of the period's start.
func issueNo(window string, start time.Time) string {
	start = start.In(zone())
	n := 0
	y := start.Year()
	switch window {
	case Day:
		n = start.YearDay()
	case Week:
		y, n = start.ISOWeek()
	case Month:
		n = int(start.Month())
	}
	return fmt.Sprintf("%d年第%d期", y, n)
}

// pct prints a share or rate (0–1) as a percentage with one decimal; "—"
// when undefined.
func pct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return strconv.FormatFloat(round1(x*100), 'f', 1, 64) + "%"
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

func num1(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return strconv.FormatFloat(round1(x), 'f', 1, 64)
}

// change prints a relative change: 上升18.2%, 下降3.1%, 持平, or 无可比数据.
func change(c float64) string {
	switch {
	case math.IsNaN(c) || math.IsInf(c, 0):
		return "无可比数据"
	case round1(c*100) > 0:
		return "上升" + pct(c)
	case round1(c*100) < 0:
		return "下降" + pct(-c)
	}
	return "持平"
}

// arrow is the short form of change for tables: ↑18.2%, ↓3.1%, →.
func arrow(c float64) string {
	switch {
	case math.IsNaN(c) || math.IsInf(c, 0):
		return "—"
	case round1(c*100) > 0:
		return "↑" + pct(c)
	case round1(c*100) < 0:
		return "↓" + pct(-c)
	}
	return "→0.0%"
}

var dimensionZH = map[string]string{
	"A_pressure": "风险压力", "B_vulnerability": "风险脆弱性", "C_lack_of_capacity": "处置能力短板",
	"A": "风险压力", "B": "风险脆弱性", "C": "处置能力短板",
}

func dimensionText(n string) string {
	if s, ok := dimensionZH[n]; ok {
		return s
	}
	return n
}

// driverText is one driver in words, its direction and size first and
// the two values after: 超期办理率高于同级12.0个百分点（20.0%，同级8.0%）.
func driverText(d Driver, against composite.Against) string {
	ref := "同级"
	if against == composite.AgainstPrevious {
		ref = "上期"
	}
	return composite.DriverZH(d.Code, d.Value, d.Ref, against) +
		"（" + composite.IndicatorValueZH(d.Code, d.Value) + "，" + ref + composite.IndicatorValueZH(d.Code, d.Ref) + "）"
}

// advice is the recommendation for a region whose top driver is the code.
var advice = map[string]string{
	"A1": "加密矛盾纠纷排查频次，对新增纠纷集中的嘎查村（社区）开展拉网式排查",
	"A2": "针对受理量快速增长查明原因，落实源头预防和前端化解",
	"A3": "对疑难复杂纠纷实行领导包案、一案一策，组织多部门联合会商",
	"A4": "对群体性纠纷提前介入、落实稳控责任，防止矛盾激化升级",
	"A5": "对涉及大额利益的纠纷会同法院、司法行政部门做好诉调对接",
	"B1": "对敏感类型纠纷加强分析研判，及时向党委政府报告",
	"B2": "对重复来访事项逐件回访，开展积案化解攻坚",
	"B3": "压实属地责任，就地化解，减少矛盾上交",
	"C1": "对超期事项逐件督办，明确办理时限和责任人",
	"C2": "集中力量化解未结事项，防止积案增加",
	"C3": "对群众不满意事项开展回访并重新办理",
}

var ehsaZH = map[string]string{
	"New Hot Spot": "新增热点", "Consecutive Hot Spot": "连续热点", "Intensifying Hot Spot": "加剧热点",
	"Persistent Hot Spot": "持续热点", "Diminishing Hot Spot": "减弱热点", "Sporadic Hot Spot": "零星热点",
	"Oscillating Hot Spot": "振荡热点", "Historical Hot Spot": "历史热点",
	"New Cold Spot": "新增冷点", "Consecutive Cold Spot": "连续冷点", "Intensifying Cold Spot": "加剧冷点",
	"Persistent Cold Spot": "持续冷点", "Diminishing Cold Spot": "减弱冷点", "Sporadic Cold Spot": "零星冷点",
	"Oscillating Cold Spot": "振荡冷点", "Historical Cold Spot": "历史冷点", "No Pattern Detected": "无明显模式",
}

var ruleZH = map[string]string{
	"group_dispute": "群体性纠纷", "large_amount": "涉及大额", "extreme_words": "极端言辞",
	"repeat_petition": "重复来访", "superior_assigned": "上级交办",
}

var detectorZH = map[string]string{
	"ears-c1": "EARS C1", "ears-c2": "EARS C2", "ears-c3": "EARS C3", "cusum": "CUSUM",
	"farrington-flexible": "Farrington", "farringtonFlexible": "Farrington", "glr-nb": "GLR",
}

func lookup(m map[string]string, k string) string {
	if s, ok := m[k]; ok {
		return s
	}
	return k
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
