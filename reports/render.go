package reports

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sync"

	"github.com/riskwatch/riskwatch/reports/assets"
)

//go:embed report.html.tmpl bulletin.html.tmpl page.html.tmpl index.html.tmpl
var templates embed.FS

// The report and the bulletin share the page's style, the chart element
// and the script that draws the charts (page.html.tmpl).
var (
	reportTmpl   = template.Must(template.New("report.html.tmpl").ParseFS(templates, "report.html.tmpl", "page.html.tmpl"))
	bulletinTmpl = template.Must(template.New("bulletin.html.tmpl").Funcs(template.FuncMap{"cn": cnOrdinal}).ParseFS(templates, "bulletin.html.tmpl", "page.html.tmpl"))
	indexTmpl    = template.Must(template.New("index.html.tmpl").ParseFS(templates, "index.html.tmpl"))
)

// echartsJS is the embedded ECharts build as template JS, made once.
var echartsJS = sync.OnceValue(func() template.JS {
	if bytes.Contains(bytes.ToLower(assets.EChartsJS), []byte("</script")) {
		panic("the embedded echarts.min.js contains </script and cannot be inlined")
	}
	return template.JS(assets.EChartsJS) // #nosec: our own embedded file
})

type chartJS struct {
	ID     string          `json:"id"`
	Option json.RawMessage `json:"option"`
}

// pageData is what the page templates execute on: the model and the
// script parts.
type pageData struct {
	M       any
	ECharts template.JS
	Charts  template.JS
	GeoJSON template.JS
	MapName string
}

// encodeCharts encodes the charts' ids and options as JSON with <, > and
// & escaped, to sit inside a <script> element.
func encodeCharts(list []chartJS) (template.JS, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(list); err != nil {
		return "", fmt.Errorf("cannot encode the charts: %w", err)
	}
	return template.JS(bytes.TrimSpace(buf.Bytes())), nil
}

// Render writes the report as one self-contained HTML page: ECharts and
// the map polygons inline, no external URL. Every text from the model is
// escaped by html/template; chart options and the GeoJSON are JSON with
// <, > and & escaped.
func Render(w io.Writer, m *Model) error {
	list := make([]chartJS, len(m.Charts))
	for i, c := range m.Charts {
		list[i] = chartJS{ID: c.ID, Option: c.Option}
	}
	charts, err := encodeCharts(list)
	if err != nil {
		return err
	}
	data := pageData{M: m, ECharts: echartsJS(), Charts: charts, GeoJSON: template.JS(m.GeoJSON), MapName: MapName}
	if err := reportTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("cannot render %s: %w", m.Title, err)
	}
	return nil
}

// RenderHTML is Render into a byte slice.
func RenderHTML(m *Model) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(assets.EChartsJS) + len(m.GeoJSON) + 256<<10)
	if err := Render(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cnOrdinal is the Chinese numeral of i+1 (一 … 九十九), for the
// headings （一）, （二） ….
func cnOrdinal(i int) string {
	d := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	n := i + 1
	switch {
	case n < 10:
		return d[n]
	case n < 20:
		return "十" + d[n%10]
	case n < 100:
		return d[n/10] + "十" + d[n%10]
	}
	return fmt.Sprint(n)
}
