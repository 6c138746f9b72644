// Package assets embeds the third-party browser files the warning reports
// and the analyst console ship with, so that no page needs an external
// URL: ECharts 5.6.0, dist/echarts.min.js of the npm package (Apache-2.0;
// the licence and notice are kept next to it, see SOURCES.md).
//
// Reports inline EChartsJS into each HTML file; the console serves it with
// Handler. The banner polygons are not here: they are
// schemas.TongliaoCountyGeoJSON.
package assets
