package jobs

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// demoCounts runs the default demo stream (seed 1, two years of Tongliao)
// through the transform and counts its cases per county and town ×
// category group and window w (day or week), as store.AlarmCounts returns
// them (latest version of each case).
func demoCounts(b *testing.B, w schemas.Window) (fakeCounts, time.Time) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		b.Fatal(err)
	}
	gen, err := demo.New(demo.Options{Seed: 1, Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	_, to := demo.DefaultPeriod()
	now := time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, schemas.Shanghai)
	latest := map[string]schemas.CaseRow{}
	for {
		r, ok := gen.Next()
		if !ok {
			break
		}
		buf, _ := schemas.MarshalRecord(r)
		row, err := tr.Transform(buf, transform.Meta{Topic: "bench"}, now)
		if err != nil {
			b.Fatal(err)
		}
		if old, ok := latest[row.CaseID]; !ok || row.Version >= old.Version {
			latest[row.CaseID] = row
		}
	}
	type key struct {
		level       uint8
		region, cat string
		end         time.Time
	}
	sums := map[key]uint64{}
	for _, row := range latest {
		y, m, d := row.ReportedDate.Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, schemas.Shanghai)
		end := w.Next(day)
		if row.CountyCode != "" {
			sums[key{3, row.CountyCode, row.CategoryGroup, end}]++
		}
		if row.TownCode != "" {
			sums[key{4, row.TownCode, row.CategoryGroup, end}]++
		}
	}
	var out fakeCounts
	for k, n := range sums {
		out = append(out, store.AlarmCount{Level: k.level, Region: k.region, Category: k.cat, WindowEnd: k.end, Count: n})
	}
	return out, w.Align(now)
}

type discardForecasts struct {
	fakeCounts
	n, towns int // rows written, of them town rows
}

func (d *discardForecasts) WriteForecasts(_ context.Context, rows []store.ForecastRow) error {
	d.n += len(rows)
	for _, r := range rows {
		if r.Level == ForecastTown {
			d.towns++
		}
	}
	return nil
}

// BenchmarkForecastWeekTongliao is one run of the weekly forecast job over
// every Tongliao city, county and town × category group series of the demo
// stream with history (counts in memory, no ClickHouse): model choice by
// rolling-origin validation and the 1–4 week forecasts of each series.
func BenchmarkForecastWeekTongliao(b *testing.B) {
	benchForecastJob(b, schemas.Week, DefaultForecastConfig(schemas.Week))
}

// BenchmarkForecastDayTongliao is one run of the daily forecast job over
// the demo stream's daily city, county and town × category group series
// (towns included, which DefaultForecastConfig(schemas.Day) leaves out);
// BenchmarkForecastDayTongliaoDefault is the same run with the default
// levels, so that the cost of the towns is a ratio within one run.
func BenchmarkForecastDayTongliao(b *testing.B) {
	cfg := DefaultForecastConfig(schemas.Day)
	cfg.Levels = []int{ForecastCity, ForecastCounty, ForecastTown}
	benchForecastJob(b, schemas.Day, cfg)
}

// BenchmarkForecastDayTongliaoDefault: see BenchmarkForecastDayTongliao.
func BenchmarkForecastDayTongliaoDefault(b *testing.B) {
	benchForecastJob(b, schemas.Day, DefaultForecastConfig(schemas.Day))
}

// benchForecastJob runs the forecast job of window w with cfg over the
// demo stream's counts, reporting the series forecast and the process CPU
// seconds per run.
func benchForecastJob(b *testing.B, w schemas.Window, cfg ForecastConfig) {
	counts, at := demoCounts(b, w)
	st := &discardForecasts{fakeCounts: counts}
	run := ForecastJob(st, w, cfg, time.Now)
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	b.ResetTimer()
	for b.Loop() {
		st.n, st.towns = 0, 0
		if _, err := run(context.Background(), at); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano()-r0.Utime.Nano()) + time.Duration(r1.Stime.Nano()-r0.Stime.Nano())
	b.ReportMetric(float64(st.n/cfg.Horizon), "series")
	b.ReportMetric(float64(st.towns/cfg.Horizon), "town-series")
	// Process CPU time per run: on a shared machine the wall time depends
	// on the load; CPU-s/2 is the wall time on two idle cores.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
