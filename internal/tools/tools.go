//go:build tools

// Package tools pins modules that the project has chosen but whose first
// importers arrive in later work (scheduler, statistics, charts), so that
// `go mod tidy` keeps the agreed versions in go.mod. It is never built.
package tools

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/go-echarts/go-echarts/v2/charts"
	_ "github.com/robfig/cron/v3"
	_ "go.etcd.io/bbolt"
	_ "gonum.org/v1/gonum/stat"
)
