package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// ForecastTotal is the category of a region's forecast of all its cases.
const ForecastTotal = "all"

// Forecast is one weekly forecasts row of the report's region or of one of
// its children: the count expected in the week ending at TargetEnd,
// Horizon weeks after the origin, with its 80 % and 95 % intervals.
type Forecast struct {
	Region, Category string // Category: a group code or ForecastTotal
	Horizon          int
	TargetEnd        time.Time
	Point            float64
	Lower80, Upper80 float64
	Lower95, Upper95 float64
}

// WeekCount is the number of cases of a region and category group (or
// ForecastTotal) reported in the week ending at End, counted as the
// forecasts count them.
type WeekCount struct {
	Region, Category string
	End              time.Time
	Cases            uint64
}

// ForecastInput is what the section 形势预测 is built from: the weekly
// forecasts made at Origin (the end of the last week the models saw) for
// the region and its children, and the weeks observed up to Origin.
type ForecastInput struct {
	Origin time.Time
	Rows   []Forecast
	Weeks  []WeekCount
}

// ForecastPart is the section 形势预测.
type ForecastPart struct {
	Note string `json:"note"`
	// Sentences say what a leader reads first: the region's next week,
	// then the children whose 80 % interval lies above this week.
	Sentences []string      `json:"sentences"`
	Rows      []ForecastRow `json:"rows"`  // the children
	Types     []ForecastRow `json:"types"` // the region's top types
	Chart     *Chart        `json:"chart,omitempty"`
}

// ForecastRow is one line of the forecast tables.
type ForecastRow struct {
	Name     string `json:"name"`
	This     string `json:"this"`     // cases this week
	Point    string `json:"point"`    // expected next week
	Range80  string `json:"range80"`  // 41–64
	Range95  string `json:"range95"`  // 35–72
	Change   string `json:"change"`   // 上升18%
	Above    bool   `json:"above"`    // the 80 % interval lies above this week
	Category string `json:"category"` // code (types) or ""
}

// Limits of the forecast section.
const (
	maxForecastTypes   = 5
	maxForecastAlerts  = 3
	forecastChartWeeks = 8
)

// ChartForecast is the id of the fan chart.
const ChartForecast = "chart-forecast"

// counts rounds a forecast figure to whole cases (never below 0).
func counts(x float64) float64 { return math.Max(0, math.Round(x)) }

// changeZH says how the rounded point compares with this week's count.
func changeZH(point float64, this uint64) string {
	if this == 0 {
		if point == 0 {
			return "与本周持平"
		}
		return "本周无受理"
	}
	c := point/float64(this) - 1
	p := math.Round(math.Abs(c) * 100)
	switch {
	case p == 0:
		return "与本周基本持平"
	case c > 0:
		return fmt.Sprintf("较本周上升%.0f%%", p)
	}
	return fmt.Sprintf("较本周下降%.0f%%", p)
}

func (b *builder) forecast() {
	f := b.in.Forecast
	if f == nil || len(f.Rows) == 0 {
		return
	}
	region := b.in.Region.Code
	type key struct{ region, category string }
	next := map[key]Forecast{}
	for _, r := range f.Rows {
		if r.Horizon == 1 {
			next[key{r.Region, r.Category}] = r
		}
	}
	this := map[key]uint64{}
	for _, w := range f.Weeks {
		if w.End.Equal(f.Origin) {
			this[key{w.Region, w.Category}] += w.Cases
		}
	}
	row := func(name string, k key) (ForecastRow, bool) {
		r, ok := next[k]
		if !ok {
			return ForecastRow{}, false
		}
		p, n := counts(r.Point), this[k]
		lo80 := counts(r.Lower80)
		return ForecastRow{
			Name: name, This: fmt.Sprint(n), Point: fmt.Sprintf("%.0f", p),
			Range80: fmt.Sprintf("%.0f–%.0f", lo80, counts(r.Upper80)),
			Range95: fmt.Sprintf("%.0f–%.0f", counts(r.Lower95), counts(r.Upper95)),
			Change:  changeZH(p, n), Above: lo80 > float64(n),
		}, true
	}
	sentence := func(short string, r ForecastRow) string {
		return fmt.Sprintf("预计下周%s受理%s件（80%%区间%s），%s", short, r.Point, r.Range80, r.Change)
	}
	part := &ForecastPart{}
	week := fmt.Sprintf("%s至%s", monthDayZH(f.Origin), monthDayZH(f.Origin.AddDate(0, 0, 6)))
	part.Note = fmt.Sprintf("以截至%s的逐周受理量为基础，按各地区、各类型的历史分别选择预测模型，预测下周（%s）受理量。"+
		"80%%区间表示实际受理量约有八成可能落在其中，95%%区间约有九成五可能。", dateZH(f.Origin.AddDate(0, 0, -1)), week)
	if r, ok := row(b.in.Region.Name, key{region, ForecastTotal}); ok {
		part.Sentences = append(part.Sentences, sentence(shortName(b.in.Region), r)+"。")
	}
	type alert struct {
		row   ForecastRow
		short string
		rise  float64 // of the printed point over this week
	}
	var alerts []alert
	for _, c := range b.in.Children {
		k := key{c.Code, ForecastTotal}
		r, ok := row(c.Name, k)
		if !ok {
			continue
		}
		part.Rows = append(part.Rows, r)
		if r.Above {
			rise := math.Inf(1)
			if n := this[k]; n > 0 {
				rise = counts(next[k].Point)/float64(n) - 1
			}
			alerts = append(alerts, alert{r, shortName(c), rise})
		}
	}
	// The children expected to rise beyond their interval, largest rise
	// first.
	slices.SortStableFunc(alerts, func(x, y alert) int { return cmp.Compare(y.rise, x.rise) })
	for i, a := range alerts {
		if i == maxForecastAlerts {
			part.Sentences = append(part.Sentences, fmt.Sprintf("另有%d个%s预计受理量高于本周，详见下表。", len(alerts)-maxForecastAlerts, b.m.SubUnits))
			break
		}
		part.Sentences = append(part.Sentences, sentence(a.short, a.row)+"，区间下限已高于本周受理量，建议提前研判、靠前化解。")
	}
	var cats []Forecast
	for k, r := range next {
		if k.region == region && k.category != ForecastTotal {
			cats = append(cats, r)
		}
	}
	slices.SortFunc(cats, func(x, y Forecast) int {
		if c := cmp.Compare(y.Point, x.Point); c != 0 {
			return c
		}
		return strings.Compare(x.Category, y.Category)
	})
	for i, c := range cats {
		if i == maxForecastTypes {
			break
		}
		r, _ := row(b.category(c.Category), key{region, c.Category})
		r.Category = c.Category
		part.Types = append(part.Types, r)
	}
	part.Chart = b.fanChart(region)
	b.m.Forecast = part
}

// addFanChart puts the fan chart into the page's charts, after the trend
// chart it continues.
func (b *builder) addFanChart() {
	m := b.m
	if m.Forecast == nil || m.Forecast.Chart == nil {
		return
	}
	at := 0
	if m.Trend.Chart != nil {
		at = 1
	}
	m.Charts = slices.Insert(m.Charts, at, m.Forecast.Chart)
}

func shortName(r Region) string {
	if r.ShortName != "" {
		return r.ShortName
	}
	return r.Name
}

// fanChart draws the region's weekly total: the last weeks observed up to
// the origin and the forecasts after it, the 95 % and 80 % intervals as
// bands and the point forecast as a dashed line.
func (b *builder) fanChart(region string) *Chart {
	f := b.in.Forecast
	var past []WeekCount
	for _, w := range f.Weeks {
		if w.Region == region && w.Category == ForecastTotal && !w.End.After(f.Origin) && w.End.After(f.Origin.AddDate(0, 0, -7*forecastChartWeeks)) {
			past = append(past, w)
		}
	}
	slices.SortFunc(past, func(x, y WeekCount) int { return x.End.Compare(y.End) })
	var ahead []Forecast
	for _, r := range f.Rows {
		if r.Region == region && r.Category == ForecastTotal {
			ahead = append(ahead, r)
		}
	}
	if len(ahead) == 0 {
		return nil
	}
	slices.SortFunc(ahead, func(x, y Forecast) int { return cmp.Compare(x.Horizon, y.Horizon) })
	n := len(past) + len(ahead)
	labels := make([]string, 0, n)
	actual, point := make([]any, n), make([]any, n)
	lo95, w95, lo80, w80 := make([]any, n), make([]any, n), make([]any, n), make([]any, n)
	for i, w := range past {
		labels = append(labels, monthDayZH(w.End.AddDate(0, 0, -7))+"起")
		actual[i] = w.Cases
	}
	if len(past) > 0 {
		// The dashed line starts at the last observed week.
		point[len(past)-1] = past[len(past)-1].Cases
	}
	for j, r := range ahead {
		i := len(past) + j
		labels = append(labels, monthDayZH(r.TargetEnd.AddDate(0, 0, -7))+"起")
		l95, u95, l80, u80 := counts(r.Lower95), counts(r.Upper95), counts(r.Lower80), counts(r.Upper80)
		point[i] = counts(r.Point)
		lo95[i], w95[i] = l95, u95-l95
		lo80[i], w80[i] = l80, u80-l80
	}
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "48", Right: "16", Top: "40", Bottom: "40"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "件"}),
	)
	line.SetXAxis(labels)
	const blue = "#3A6EA5"
	return finish(ChartForecast, "受理量预测（逐周，虚线为预测，阴影为80%和95%区间）", 300, line, func(o map[string]any) {
		band := func(name, stack string, data []any, opacity float64) map[string]any {
			s := map[string]any{"name": name, "type": "line", "stack": stack, "data": data, "symbol": "none",
				"lineStyle": map[string]any{"opacity": 0}, "silent": true}
			if opacity > 0 {
				s["areaStyle"] = map[string]any{"color": blue, "opacity": opacity}
			}
			return s
		}
		o["series"] = []any{
			band("95%区间下限", "i95", lo95, 0), band("95%区间", "i95", w95, 0.15),
			band("80%区间下限", "i80", lo80, 0), band("80%区间", "i80", w80, 0.3),
			map[string]any{"name": "实际受理", "type": "line", "data": actual, "itemStyle": map[string]any{"color": "#000000"},
				"lineStyle": map[string]any{"color": "#000000", "width": 2}},
			map[string]any{"name": "预测", "type": "line", "data": point, "itemStyle": map[string]any{"color": blue},
				"lineStyle": map[string]any{"color": blue, "width": 2, "type": "dashed"}},
		}
		o["legend"] = map[string]any{"show": true, "top": "0", "data": []string{"实际受理", "预测", "80%区间", "95%区间"}}
	})
}
