package assets

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// EChartsVersion is the version of the embedded ECharts build.
const EChartsVersion = "5.6.0"

// EChartsJS is dist/echarts.min.js of the npm package echarts 5.6.0. The
// full build: all chart types, the map series and the built-in ZH locale.
// Callers must not modify it.
//
//go:embed echarts.min.js
var EChartsJS []byte

// EChartsLicense is the Apache-2.0 licence text of ECharts.
//
//go:embed LICENSE_echarts_Apache-2.0.txt
var EChartsLicense []byte

// EChartsNotice is the NOTICE file of ECharts.
//
//go:embed NOTICE_echarts.txt
var EChartsNotice []byte

// EChartsSHA256 is the hex SHA-256 of EChartsJS, usable as a cache key or
// in a file name.
var EChartsSHA256 = func() string {
	s := sha256.Sum256(EChartsJS)
	return hex.EncodeToString(s[:])
}()

// buildTime is the Last-Modified of the served files: the files never change
// within a binary, so any fixed time works with If-Modified-Since.
var buildTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Handler serves the embedded files by the last element of the request path:
// "echarts.min.js", "LICENSE_echarts_Apache-2.0.txt" and "NOTICE_echarts.txt";
// anything else is 404. Mount it under a prefix with http.StripPrefix or
// not at all (only the base name is looked at), e.g.
//
//	mux.Handle("GET /console/assets/", assets.Handler())
//
// The JavaScript is served with an ETag of its SHA-256 and a long max-age.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		var body []byte
		ctype := "text/plain; charset=utf-8"
		switch name {
		case "echarts.min.js":
			body = EChartsJS
			ctype = "text/javascript; charset=utf-8"
			w.Header().Set("ETag", `"`+EChartsSHA256[:16]+`"`)
			w.Header().Set("Cache-Control", "public, max-age=86400")
		case "LICENSE_echarts_Apache-2.0.txt":
			body = EChartsLicense
		case "NOTICE_echarts.txt":
			body = EChartsNotice
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, buildTime, strings.NewReader(string(body)))
	})
}
