package reports

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Chart is one chart of a report: a stable element id (golden tests), its
// height in CSS pixels and the ECharts option as JSON, built with
// go-echarts and encoded with HTML escaping (<, > and & as \u003c …), so
// it can sit inside a <script> element whatever the records contain.
type Chart struct {
	ID     string          `json:"id"`
	Title  string          `json:"title"`
	Height int             `json:"height"`
	Option json.RawMessage `json:"option"`
	// UsesMap says the option refers to the registered "tongliao" map.
	UsesMap bool `json:"uses_map,omitempty"`
}

// Chart ids, fixed so the HTML is the same on every run.
const (
	ChartTrend       = "chart-trend"
	ChartRiskMap     = "chart-risk-map"
	ChartRiskRank    = "chart-risk-rank"
	ChartRiskRadar   = "chart-risk-radar"
	ChartHotspots    = "chart-hotspots"
	ChartTypes       = "chart-types"
	ChartSupervision = "chart-supervision"
)

// MapName is the name the banner polygons are registered under.
const MapName = "tongliao"

// palette is the categorical palette of the stacked charts; the warning
// colours stay reserved for bands.
var palette = []string{"#3A6EA5", "#6AA84F", "#8E7CC3", "#C27BA0", "#45818E", "#B45F06", "#999999"}

const fontFamily = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, sans-serif"

// optioner is what go-echarts charts have in common for our use.
type optioner interface {
	Validate()
	JSON() map[string]interface{}
}

// finish turns a go-echarts chart into a Chart: it validates the chart,
// takes its option map, removes what a printed report has no use for
// (toolbox), turns animation off (the PNG/PDF capture must see the final
// frame), applies patch for the options go-echarts lacks, and encodes the
// result with HTML escaping.
func finish(id, title string, height int, c optioner, patch func(o map[string]any)) *Chart {
	c.Validate()
	o := toMap(c.JSON()) // plain maps and slices from here on
	delete(o, "toolbox")
	o["animation"] = false
	o["textStyle"] = map[string]any{"fontFamily": fontFamily}
	if patch != nil {
		patch(o)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(o); err != nil {
		// The option holds only strings, numbers, slices and maps.
		panic(fmt.Sprintf("chart %s option does not encode: %v", id, err))
	}
	return &Chart{ID: id, Title: title, Height: height, Option: json.RawMessage(bytes.TrimSpace(buf.Bytes()))}
}

func init1() opts.Initialization {
	return opts.Initialization{Theme: "white", Width: "100%"}
}

func trendChart(labels, names []string, data [][]uint64) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "48", Right: "16", Top: "56", Bottom: "40"}),
		charts.WithYAxisOpts(opts.YAxis{Name: "件"}),
	)
	bar.SetXAxis(labels)
	for i, n := range names {
		d := make([]opts.BarData, len(data[i]))
		for j, v := range data[i] {
			d[j] = opts.BarData{Value: v}
		}
		bar.AddSeries(n, d, charts.WithBarChartOpts(opts.BarChart{Stack: "cases"}))
	}
	return finish(ChartTrend, "受理量趋势（按类型）", 320, bar, func(o map[string]any) {
		o["color"] = palette
	})
}

func riskRankChart(rows []RiskRow) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "120", Right: "40", Top: "32", Bottom: "24"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "指数", Min: 0, Max: 10}),
	)
	// Highest at the top: a horizontal bar draws its first category at
	// the bottom. Units without an index stay in the table only.
	var drawn []RiskRow
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Score != "—" {
			drawn = append(drawn, rows[i])
		}
	}
	names := make([]string, len(drawn))
	for i, r := range drawn {
		names[i] = r.Name
	}
	bar.SetXAxis(names)
	// One stacked series per band: each unit has its value in its band's
	// series only, so the chart's own legend is the four-colour legend.
	for _, band := range []string{"red", "orange", "yellow", "blue", "normal"} {
		data := make([]opts.BarData, len(drawn))
		for i, r := range drawn {
			data[i] = opts.BarData{Name: r.Name, Value: "-"}
			if r.Band == band {
				data[i].Value = scoreValue(r.Score)
			}
		}
		bar.AddSeries(bandText(band), data,
			charts.WithBarChartOpts(opts.BarChart{Stack: "rank"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf(band)}),
			charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	}
	bar.XYReversal()
	h := 56 + 26*len(names)
	return finish(ChartRiskRank, "风险指数排名（四色预警）", max(h, 160), bar, nil)
}

// scoreValue turns a printed score back into a number for the charts, so
// chart and table show the same figure; "—" is 0.
func scoreValue(s string) float64 {
	var v float64
	if _, err := fmt.Sscanf(s, "%g", &v); err != nil {
		return 0
	}
	return v
}

// mapItem is one region on a map: its official name (the GeoJSON's
// properties.name after the join on the division code), value and colour.
type mapItem struct {
	Name  string
	Value float64
	Color string
	Band  string
}

func riskMapChart(items []mapItem) *Chart {
	mc := charts.NewMap()
	mc.RegisterMapType(MapName)
	mc.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	)
	data := make([]opts.MapData, len(items))
	for i, it := range items {
		data[i] = opts.MapData{Name: it.Name, Value: it.Value}
	}
	mc.AddSeries("风险指数", data)
	c := finish(ChartRiskMap, "各旗县市区风险等级分布", 380, mc, func(o map[string]any) {
		series := o["series"].([]any)
		s := series[0].(map[string]any)
		styled := make([]map[string]any, len(items))
		for i, it := range items {
			styled[i] = map[string]any{"name": it.Name, "value": it.Value,
				"itemStyle": map[string]any{"areaColor": it.Color},
				"label":     map[string]any{"show": true, "formatter": "{b}\n" + fmt.Sprintf("%.1f %s", it.Value, bandText(it.Band))}}
		}
		s["data"] = styled
		s["roam"] = false
		s["label"] = map[string]any{"show": true, "fontSize": 10}
		s["itemStyle"] = map[string]any{"borderColor": "#555", "borderWidth": 0.8, "areaColor": colorOf("na")}
		s["emphasis"] = map[string]any{"disabled": true}
		s["select"] = map[string]any{"disabled": true}
		series[0] = s
	})
	c.UsesMap = true
	return c
}

func radarChart(indicators, names []string, values [][]float64) *Chart {
	rc := charts.NewRadar()
	ind := make([]*opts.Indicator, len(indicators))
	for i, n := range indicators {
		ind[i] = &opts.Indicator{Name: n, Max: 10}
	}
	rc.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: ind, Shape: "polygon"}),
	)
	data := make([]opts.RadarData, len(names))
	for i, n := range names {
		data[i] = opts.RadarData{Name: n, Value: values[i]}
	}
	rc.AddSeries("维度得分", data)
	return finish(ChartRiskRadar, "风险维度（压力、脆弱性、处置能力）", 320, rc, func(o map[string]any) {
		o["color"] = []string{"#E02020", "#3A6EA5", "#6AA84F", "#8E7CC3"}
		o["legend"] = map[string]any{"show": true, "bottom": 0, "data": names}
	})
}

func hotspotMapChart(names []string, values []float64) *Chart {
	mc := charts.NewMap()
	mc.RegisterMapType(MapName)
	hi := 1.0
	for _, v := range values {
		hi = max(hi, v)
	}
	mc.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithVisualMapOpts(opts.VisualMap{Type: "continuous", Min: 0, Max: float32(hi), Calculable: opts.Bool(false),
			Text: []string{"高", "低"}, Left: "left", Bottom: "8",
			InRange: &opts.VisualMapInRange{Color: []string{"#FFF5D6", "#FFD700", "#FF7F00", "#E02020"}}}),
	)
	data := make([]opts.MapData, len(names))
	for i, n := range names {
		data[i] = opts.MapData{Name: n, Value: values[i]}
	}
	mc.AddSeries("每万人受理量", data)
	c := finish(ChartHotspots, "每万人受理量（经验贝叶斯平滑）", 380, mc, func(o map[string]any) {
		series := o["series"].([]any)
		s := series[0].(map[string]any)
		s["label"] = map[string]any{"show": true, "fontSize": 10}
		s["itemStyle"] = map[string]any{"borderColor": "#555", "borderWidth": 0.8}
		s["emphasis"] = map[string]any{"disabled": true}
		s["select"] = map[string]any{"disabled": true}
		series[0] = s
	})
	c.UsesMap = true
	return c
}

func hotspotBarChart(names []string, values []float64, hot []bool) *Chart {
	n := min(len(names), 15)
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "150", Right: "40", Top: "16", Bottom: "24"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "件/万人"}),
	)
	var labels []string
	var data []opts.BarData
	for i := n - 1; i >= 0; i-- {
		color := "#3A6EA5"
		if hot[i] {
			color = bandColor["red"]
		}
		labels = append(labels, names[i])
		data = append(data, opts.BarData{Value: values[i], ItemStyle: &opts.ItemStyle{Color: color}})
	}
	bar.SetXAxis(labels)
	bar.AddSeries("每万人受理量", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	bar.XYReversal()
	return finish(ChartHotspots, "每万人受理量前15位（红色为Gi*热点）", max(160, 40+24*n), bar, nil)
}

func typesChart(names []string, cases []uint64, surging []bool) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "130", Right: "48", Top: "16", Bottom: "24"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "件"}),
	)
	var labels []string
	var data []opts.BarData
	for i := len(names) - 1; i >= 0; i-- {
		color := "#3A6EA5"
		if surging[i] {
			color = bandColor["orange"]
		}
		labels = append(labels, names[i])
		data = append(data, opts.BarData{Value: cases[i], ItemStyle: &opts.ItemStyle{Color: color}})
	}
	bar.SetXAxis(labels)
	bar.AddSeries("受理量", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	bar.XYReversal()
	return finish(ChartTypes, "高发类型（橙色为快速上升）", max(160, 40+26*len(names)), bar, nil)
}

func supervisionChart(units []string, reds, yellows []uint64) *Chart {
	bar := charts.NewBar()
	bar.SetGlobalOptions(
		charts.WithInitializationOpts(init1()),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0"}),
		charts.WithGridOpts(opts.Grid{Left: "170", Right: "40", Top: "32", Bottom: "24"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "件"}),
	)
	n := len(units)
	labels := make([]string, n)
	r := make([]opts.BarData, n)
	y := make([]opts.BarData, n)
	for i := range units {
		j := n - 1 - i
		labels[i] = units[j]
		r[i] = opts.BarData{Value: reds[j]}
		y[i] = opts.BarData{Value: yellows[j]}
	}
	bar.SetXAxis(labels)
	bar.AddSeries("红灯", r, charts.WithBarChartOpts(opts.BarChart{Stack: "light"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: bandColor["red"]}))
	bar.AddSeries("黄灯", y, charts.WithBarChartOpts(opts.BarChart{Stack: "light"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: bandColor["yellow"]}))
	bar.XYReversal()
	return finish(ChartSupervision, "督办事项红黄灯（按责任单位）", max(160, 56+26*n), bar, nil)
}

// toMap returns a go-echarts option as plain JSON maps and slices (it keeps
// series and components as structs), round-tripped through JSON once.
func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("series does not encode: %v", err))
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("series does not decode: %v", err))
	}
	return m
}
