package jobs

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/store"
)

// ForecastCounter is what the forecasts read: the per-window counts of the
// alarm series (county and town × category group).
type ForecastCounter interface {
	AlarmCounts(ctx context.Context, levels []uint8, window string, from, to time.Time, leaves bool) ([]store.AlarmCount, error)
}

// Forecast levels: the city is the sum of its counties.
const (
	ForecastCity   = 2
	ForecastCounty = 3
	ForecastTown   = 4
	// ForecastVillage forecasts are shares of their town's (forecastjob.go).
	ForecastVillage = 5
)

// ForecastSeries returns one zero-filled count series per (level, region,
// category group) over the windows ("week" or "day") ending in (from, to]
// (local midnights), with the city level (2, region "city") summed from the
// counties. Periods before the first window holding any case are dropped;
// start is the first day of period 0. Keys are "level|region|category".
func ForecastSeries(ctx context.Context, st ForecastCounter, window string, from, to time.Time) ([]forecast.Series, time.Time, error) {
	step := 1
	switch window {
	case "week":
		step = 7
	case "day":
	default:
		return nil, time.Time{}, fmt.Errorf("forecast series: window %q is not week or day", window)
	}
	counts, err := st.AlarmCounts(ctx, []uint8{ForecastCounty, ForecastTown}, window, from, to, false)
	if err != nil {
		return nil, time.Time{}, err
	}
	first := to
	for _, c := range counts {
		if c.WindowEnd.Before(first) {
			first = c.WindowEnd
		}
	}
	n := 0
	for e := first; !e.After(to); e = e.AddDate(0, 0, step) {
		n++
	}
	if n == 0 || len(counts) == 0 {
		return nil, time.Time{}, nil
	}
	type key struct {
		level            int
		region, category string
	}
	by := map[key][]float64{}
	add := func(k key, i int, v float64) {
		s := by[k]
		if s == nil {
			s = make([]float64, n)
			by[k] = s
		}
		s[i] += v
	}
	for _, c := range counts {
		days := int(c.WindowEnd.Sub(first).Hours()/24 + 0.5)
		i := days / step
		if i < 0 || i >= n {
			continue
		}
		add(key{int(c.Level), c.Region, c.Category}, i, float64(c.Count))
		if c.Level == ForecastCounty {
			add(key{ForecastCity, "city", c.Category}, i, float64(c.Count))
		}
	}
	out := make([]forecast.Series, 0, len(by))
	for k, y := range by {
		out = append(out, forecast.Series{Key: fmt.Sprintf("%d|%s|%s", k.level, k.region, k.category), Level: k.level, Y: y})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	start := first.AddDate(0, 0, -step)
	return out, start, nil
}

// ForecastBacktestConfig configures BacktestForecasts.
type ForecastBacktestConfig struct {
	Window string // "week" or "day"
	// Forecasts are made after each window ending in [From, To] (local
	// midnights) for the next Horizon windows.
	From, To time.Time
	Horizon  int
	// History is how many windows before From are read (default 3 years).
	History int
	// Levels to score (default city, county and town).
	Levels []int
	// Holidays feed the count regression (nil: no holiday terms).
	Holidays []forecast.Holiday
	// Every scores every Every-th origin (default 1); Workers run series
	// in parallel (default 2).
	Every, Workers int
}

// BacktestForecasts reads the counts and runs forecast.Backtest.
func BacktestForecasts(ctx context.Context, st ForecastCounter, c ForecastBacktestConfig) ([]forecast.LevelScore, error) {
	series, o, err := backtestInput(ctx, st, &c)
	if err != nil || len(series) == 0 {
		return nil, err
	}
	var keep []forecast.Series
	for _, s := range series {
		for _, l := range c.Levels {
			if s.Level == l {
				keep = append(keep, s)
			}
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	return forecast.Backtest(keep, o), nil
}

// BacktestReconciled compares base, bottom-up and MinT(shrink) forecasts
// on the city–county hierarchy of each category group (the city series is
// the sum of its counties): scores per method, level and horizon.
func BacktestReconciled(ctx context.Context, st ForecastCounter, c ForecastBacktestConfig) (map[string][]forecast.LevelScore, error) {
	series, o, err := backtestInput(ctx, st, &c)
	if err != nil || len(series) == 0 {
		return nil, err
	}
	byCat := map[string]*forecast.Tree{}
	var cats []string
	for _, s := range series {
		if s.Level != ForecastCity && s.Level != ForecastCounty {
			continue
		}
		cat := s.Key[strings.LastIndex(s.Key, "|")+1:]
		t := byCat[cat]
		if t == nil {
			t = &forecast.Tree{Parent: []int{-1}, Level: []int{ForecastCity}, Y: [][]float64{nil}}
			byCat[cat] = t
			cats = append(cats, cat)
		}
		if s.Level == ForecastCity {
			t.Y[0] = s.Y
		} else {
			t.Parent = append(t.Parent, 0)
			t.Level = append(t.Level, ForecastCounty)
			t.Y = append(t.Y, s.Y)
		}
	}
	sort.Strings(cats)
	var trees []forecast.Tree
	for _, cat := range cats {
		if t := byCat[cat]; t.Y[0] != nil && len(t.Y) > 1 {
			trees = append(trees, *t)
		}
	}
	return forecast.BacktestHierarchy(trees, o), nil
}

// backtestInput reads the series and sets the defaults and origins.
func backtestInput(ctx context.Context, st ForecastCounter, c *ForecastBacktestConfig) ([]forecast.Series, forecast.BacktestOptions, error) {
	step, period := 7, 52
	if c.Window == "day" {
		step, period = 1, 7
	}
	if c.History <= 0 {
		c.History = 3 * 365 / step
	}
	if c.Horizon <= 0 {
		c.Horizon = 1
	}
	if c.Every <= 0 {
		c.Every = 1
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if len(c.Levels) == 0 {
		c.Levels = []int{ForecastCity, ForecastCounty, ForecastTown}
	}
	readFrom := c.From.AddDate(0, 0, -step*c.History)
	readTo := c.To.AddDate(0, 0, step*c.Horizon)
	series, start, err := ForecastSeries(ctx, st, c.Window, readFrom, readTo)
	if err != nil || len(series) == 0 {
		return nil, forecast.BacktestOptions{}, err
	}
	// Period i covers [start + i·step, start + (i+1)·step); a forecast at
	// origin o has seen the windows ending up to start + o·step.
	idx := func(end time.Time) int { return int(end.Sub(start).Hours()/24+0.5) / step }
	first, last := idx(c.From), idx(c.To)
	if first < 1 {
		first = 1
	}
	cal := &forecast.Calendar{Start: start, StepDays: step, Holidays: c.Holidays}
	return series, forecast.BacktestOptions{
		Options: forecast.Options{Period: period, Horizon: c.Horizon, Calendar: cal},
		First:   first, Last: last, Every: c.Every, Workers: c.Workers,
	}, nil
}

// ForecastLevelName names a forecast level in the reports of the backtest.
func ForecastLevelName(l int) string {
	switch l {
	case ForecastCity:
		return "city"
	case ForecastCounty:
		return "county"
	case ForecastTown:
		return "town"
	case ForecastVillage:
		return "village"
	}
	return fmt.Sprint(l)
}
