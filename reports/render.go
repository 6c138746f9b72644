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

//go:embed report.html.tmpl index.html.tmpl
var templates embed.FS

var (
	reportTmpl = template.Must(template.New("report.html.tmpl").ParseFS(templates, "report.html.tmpl"))
	indexTmpl  = template.Must(template.New("index.html.tmpl").ParseFS(templates, "index.html.tmpl"))
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

// Render writes the report as one self-contained HTML page: ECharts and
// the map polygons inline, no external URL. Every text from the model is
// escaped by html/template; chart options and the GeoJSON are JSON with
// <, > and & escaped.
func Render(w io.Writer, m *Model) error {
	list := make([]chartJS, len(m.Charts))
	for i, c := range m.Charts {
		list[i] = chartJS{ID: c.ID, Option: c.Option}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(list); err != nil {
		return fmt.Errorf("cannot encode the charts: %w", err)
	}
	data := struct {
		M       *Model
		ECharts template.JS
		Charts  template.JS
		GeoJSON template.JS
		MapName string
	}{M: m, ECharts: echartsJS(), Charts: template.JS(bytes.TrimSpace(buf.Bytes())), GeoJSON: template.JS(m.GeoJSON), MapName: MapName}
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
