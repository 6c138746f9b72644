// Package reports renders warning reports (预警报告) for political-legal
// committee leaders: Chinese, self-contained offline HTML with embedded
// charts, from the rows the index jobs stored.
//
// It sits at the end of the flow: internal/reportgen reads the result
// tables through the store, fills an Input, and Build turns it into a
// Model (every number, sentence and chart option, a pure function of the
// input and its GeneratedAt). Render writes the Model as one HTML page with
// ECharts 5.6.0 (package reports/assets) and the banner polygons inline: no
// external URL, the Chinese locale, stable chart ids, the red/orange/
// yellow/blue palette and an A4 print layout after GB/T 9704. Charts are
// built with go-echarts; their options are JSON with <, > and & escaped,
// and every text field goes through html/template, so a record's summary
// is always text. RenderIndex writes the index page of a reports
// directory. PNG and PDF come from headless Chromium (internal/browser,
// driven by internal/reportgen).
//
// It reads no store: it never imports the store, ingest, clickhouse-go or
// kafka-go (make check-imports).
package reports
