package jobs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// ForecastStore is what the forecast jobs read and write.
type ForecastStore interface {
	ForecastCounter
	WriteForecasts(ctx context.Context, rows []store.ForecastRow) error
}

// ForecastConfig configures a forecast job.
type ForecastConfig struct {
	Horizon int // windows ahead
	History int // windows of training history read
	// MinNonZero: a series is forecast only when its history has at least
	// this many windows with cases.
	MinNonZero int
	Holidays   []forecast.Holiday
	Workers    int
	// Levels forecast (nil: city, county, town and village).
	Levels []int
	// ShareWindows is how many windows before the origin give each
	// village its share of its town (default 52).
	ShareWindows int
}

// VillageCounter is what village forecasts read: the cases per village
// and category group of a period (a ForecastStore without it gets no
// village forecasts).
type VillageCounter interface {
	VillageCounts(ctx context.Context, from, to time.Time) ([]store.VillageCount, error)
}

// DefaultForecastConfig is 1–4 weeks ahead from three years of weekly
// history for the city, counties, towns and villages, or 1–14 days ahead
// from one year of days for the city and counties, with the Chinese
// holiday calendar. Daily town forecasts are left out because they cost
// eight times the rest: on the demo stream one daily run is 8.8 CPU-s for
// the 160 city and county series and 73 CPU-s with the 1,602 town series
// (BenchmarkForecastDayTongliao); jobs.forecast.day_levels turns them on.
func DefaultForecastConfig(w schemas.Window) ForecastConfig {
	if w == schemas.Day {
		return ForecastConfig{Horizon: 14, History: 365, MinNonZero: 3, Holidays: forecast.ChinaHolidays, Workers: 2,
			Levels: []int{ForecastCity, ForecastCounty}}
	}
	return ForecastConfig{Horizon: 4, History: 156, MinNonZero: 3, Holidays: forecast.ChinaHolidays, Workers: 2}
}

// ForecastJob returns the job that forecasts, after the window ending at
// `at`, every city, county and town × category group series with enough
// history for the next cfg.Horizon windows and writes one forecasts row per
// series and horizon (model chosen per series by forecast.Auto), and of each
// region's total (category TotalCategory).
func ForecastJob(st ForecastStore, w schemas.Window, cfg ForecastConfig, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return func(ctx context.Context, at time.Time) (uint64, error) {
		step, period := 7, 52
		switch w {
		case schemas.Week:
		case schemas.Day:
			step, period = 1, 7
		default:
			return 0, fmt.Errorf("forecasts: window %v is not day or week", w)
		}
		end := w.Align(at)
		series, start, err := ForecastSeries(ctx, st, w.String(), end.AddDate(0, 0, -step*cfg.History), end)
		if err != nil {
			return 0, err
		}
		series = withTotals(series)
		stamp := computedAt()
		cal := &forecast.Calendar{Start: start, StepDays: step, Holidays: cfg.Holidays}
		opts := forecast.Options{Period: period, Horizon: cfg.Horizon, Calendar: cal}
		trainFrom := start.AddDate(0, 0, step)
		var (
			mu   sync.Mutex
			rows []store.ForecastRow
			wg   sync.WaitGroup
		)
		ch := make(chan forecast.Series)
		for i := 0; i < max(cfg.Workers, 1); i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range ch {
					if !wantLevel(cfg.Levels, s.Level) {
						continue
					}
					r := forecastRows(s, opts, cfg, w.String(), end, trainFrom, step, stamp)
					mu.Lock()
					rows = append(rows, r...)
					mu.Unlock()
				}
			}()
		}
	feed:
		for _, s := range series {
			select {
			case ch <- s:
			case <-ctx.Done():
				break feed
			}
		}
		close(ch)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		reconcileRows(rows, series, opts, cfg)
		if vc, ok := st.(VillageCounter); ok && wantLevel(cfg.Levels, ForecastVillage) {
			n := cfg.ShareWindows
			if n <= 0 {
				n = 52
			}
			counts, err := vc.VillageCounts(ctx, end.AddDate(0, 0, -step*n), end)
			if err != nil {
				return 0, err
			}
			rows = append(rows, villageRows(rows, counts)...)
		}
		if err := st.WriteForecasts(ctx, rows); err != nil {
			return 0, err
		}
		return uint64(len(rows)), nil
	}
}

func forecastRows(s forecast.Series, opts forecast.Options, cfg ForecastConfig, window string, end, trainFrom time.Time, step int, stamp time.Time) []store.ForecastRow {
	nz := 0
	for _, v := range s.Y {
		if v > 0 {
			nz++
		}
	}
	if nz < cfg.MinNonZero {
		return nil
	}
	c, err := forecast.Auto(s.Y, opts)
	if err != nil {
		return nil
	}
	parts := strings.SplitN(s.Key, "|", 3)
	lv, _ := strconv.Atoi(parts[0])
	out := make([]store.ForecastRow, 0, opts.Horizon)
	for h := 0; h < opts.Horizon; h++ {
		out = append(out, store.ForecastRow{
			Window: window, Origin: end, Horizon: uint8(h + 1), TargetEnd: end.AddDate(0, 0, step*(h+1)),
			Level: uint8(lv), RegionCode: parts[1], Category: parts[2],
			Point: c.Point[h], Lower80: c.Lo80[h], Upper80: c.Hi80[h], Lower95: c.Lo95[h], Upper95: c.Hi95[h],
			Model: c.Model, TrainFrom: trainFrom, TrainTo: end, FittedAt: stamp,
		})
	}
	return out
}

// ForecastJobs returns the weekly and daily forecast jobs, after the alarm
// jobs of the same window, with DefaultForecastConfig and the levels of
// opts.ForecastDayLevels and opts.ForecastWeekLevels. The weekly one comes
// first: a start's catch-up runs the jobs in order, and the weekly report
// waits for forecast_week, not for forecast_day.
func ForecastJobs(st ForecastStore, computedAt func() time.Time, opts Options) []scheduler.Job {
	day, week := DefaultForecastConfig(schemas.Day), DefaultForecastConfig(schemas.Week)
	if opts.ForecastDayLevels != nil {
		day.Levels = slices.Clone(opts.ForecastDayLevels)
	}
	if opts.ForecastWeekLevels != nil {
		week.Levels = slices.Clone(opts.ForecastWeekLevels)
	}
	return []scheduler.Job{
		{Name: "forecast_week", Window: schemas.Week, Spec: "55 0 * * 1", CatchUp: 1, OnlyNamedBackfill: true,
			Run: ForecastJob(st, schemas.Week, week, computedAt)},
		{Name: "forecast_day", Window: schemas.Day, Spec: "50 0 * * *", CatchUp: 1, OnlyNamedBackfill: true,
			Run: ForecastJob(st, schemas.Day, day, computedAt)},
	}
}

// ForecastLevelByName is the forecast level named city, county, town or
// village (the names of the jobs.forecast.*_levels keys).
func ForecastLevelByName(name string) (int, bool) {
	switch name {
	case "city":
		return ForecastCity, true
	case "county":
		return ForecastCounty, true
	case "town":
		return ForecastTown, true
	case "village":
		return ForecastVillage, true
	}
	return 0, false
}

// TotalCategory is the category of the forecasts of all cases of a region
// (the sum of its category groups, forecast as a series of its own).
const TotalCategory = "all"

// withTotals adds to series one series per (level, region): the sum of its
// category groups under TotalCategory, placed after the region's groups.
func withTotals(series []forecast.Series) []forecast.Series {
	type key struct {
		level  int
		region string
	}
	sums := map[key][]float64{}
	var order []key
	for _, s := range series {
		parts := strings.SplitN(s.Key, "|", 3)
		if len(parts) != 3 || parts[2] == TotalCategory {
			continue
		}
		k := key{s.Level, parts[1]}
		y := sums[k]
		if y == nil {
			y = make([]float64, len(s.Y))
			sums[k] = y
			order = append(order, k)
		}
		for i, v := range s.Y {
			y[i] += v
		}
	}
	out := slices.Clone(series)
	for _, k := range order {
		out = append(out, forecast.Series{Key: fmt.Sprintf("%d|%s|%s", k.level, k.region, TotalCategory), Level: k.level, Y: sums[k]})
	}
	return out
}

// villageRows forecasts the villages as shares of their town: each
// village's share of the town's cases that name a village, per category
// group (and of all its cases for TotalCategory), over the share window,
// times the town's point forecast and bounds. The villages of a town add
// up to the town's point forecast (and bounds); a village without a case
// in the window gets no row.
func villageRows(rows []store.ForecastRow, counts []store.VillageCount) []store.ForecastRow {
	type key struct{ town, category string }
	byVillage := map[key]map[string]float64{}
	totals := map[key]float64{}
	add := func(k key, village string, n float64) {
		m := byVillage[k]
		if m == nil {
			m = map[string]float64{}
			byVillage[k] = m
		}
		m[village] += n
		totals[k] += n
	}
	for _, c := range counts {
		add(key{c.Town, c.Category}, c.Village, float64(c.Count))
		add(key{c.Town, TotalCategory}, c.Village, float64(c.Count))
	}
	var out []store.ForecastRow
	for _, r := range rows {
		if r.Level != ForecastTown {
			continue
		}
		k := key{r.RegionCode, r.Category}
		total := totals[k]
		if total == 0 {
			continue
		}
		villages := make([]string, 0, len(byVillage[k]))
		for v := range byVillage[k] {
			villages = append(villages, v)
		}
		slices.Sort(villages)
		for _, v := range villages {
			sh := byVillage[k][v] / total
			vr := r
			vr.Level, vr.RegionCode, vr.Model = ForecastVillage, v, "share:"+r.Model
			vr.Point, vr.Lower80, vr.Upper80, vr.Lower95, vr.Upper95 = sh*r.Point, sh*r.Lower80, sh*r.Upper80, sh*r.Lower95, sh*r.Upper95
			out = append(out, vr)
		}
	}
	return out
}

func wantLevel(levels []int, l int) bool {
	if levels == nil {
		return true
	}
	for _, x := range levels {
		if x == l {
			return true
		}
	}
	return false
}
