package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/warnings"
)

// forecastWarning is one forecast warning of the evaluation: raised at
// Issued (an origin) for the week ending at Target.
type forecastWarning struct {
	region, category string
	issued, target   time.Time
}

// thresholdKey names one series' threshold in one week.
type thresholdKey struct {
	region, category string
	end              int64
}

// thresholds returns, per series and week, the lowest upper bound of the
// detectors' rows (what store.ForecastThresholds reads in production).
func thresholds(rows []store.StatAlarm) map[thresholdKey]float64 {
	out := map[thresholdKey]float64{}
	for _, r := range rows {
		if math.IsNaN(r.UpperBound) {
			continue
		}
		k := thresholdKey{r.RegionCode, r.Category, r.WindowEnd.Unix()}
		if v, ok := out[k]; !ok || r.UpperBound < v {
			out[k] = r.UpperBound
		}
	}
	return out
}

// forecastWarnings makes the weekly forecasts one week ahead of every
// county and town series at every origin from the 53rd week of the data
// on, as the forecast_week job does (model chosen by rolling-origin
// validation, re-chosen every 13 origins), and keeps those the rule raises
// against the detectors' thresholds of the origin's week. It returns the
// warnings, the number of series-origins forecast and the first target.
func forecastWarnings(ctx context.Context, st *store.Store, weeks []time.Time, rows []store.StatAlarm, rule warnings.ForecastRule, workers int) ([]forecastWarning, int, time.Time, error) {
	series, start, err := jobs.ForecastSeries(ctx, st, "week", weeks[0].AddDate(0, 0, -7), weeks[len(weeks)-1])
	if err != nil {
		return nil, 0, time.Time{}, err
	}
	thr := thresholds(rows)
	cal := &forecast.Calendar{Start: start, StepDays: 7, Holidays: forecast.ChinaHolidays}
	var (
		mu    sync.Mutex
		out   []forecastWarning
		count int
		wg    sync.WaitGroup
	)
	ch := make(chan forecast.Series)
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range ch {
				parts := strings.SplitN(s.Key, "|", 3)
				o := forecast.BacktestOptions{Options: forecast.Options{Period: 52, Horizon: 1, Calendar: cal},
					First: 52, Last: len(s.Y) - 1, MinNonZero: 3}
				var ws []forecastWarning
				fs := forecast.Rolling(s.Y, o)
				for _, f := range fs {
					// y[i] is the week ending at start + 7(i+1): the origin
					// after y[:org] is the end of week org−1.
					origin := start.AddDate(0, 0, 7*f.Origin)
					t, ok := thr[thresholdKey{parts[1], parts[2], origin.Unix()}]
					if ok && rule.Fires(f.Forecast.Lo80[0], t) {
						ws = append(ws, forecastWarning{parts[1], parts[2], origin, origin.AddDate(0, 0, 7)})
					}
				}
				mu.Lock()
				out = append(out, ws...)
				count += len(fs)
				mu.Unlock()
			}
		}()
	}
	for _, s := range series {
		if s.Level == jobs.ForecastCounty || s.Level == jobs.ForecastTown {
			ch <- s
		}
	}
	close(ch)
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].issued.Equal(out[j].issued) {
			return out[i].issued.Before(out[j].issued)
		}
		return out[i].region+out[i].category < out[j].region+out[j].category
	})
	return out, count, start.AddDate(0, 0, 7*53), nil
}

// scoreForecasts compares, on the outbreaks whose start week is forecast,
// when the detectors alone and the detectors with the forecast warnings
// first knew of each outbreak (weeks from the end of the week holding its
// start; a forecast warning is known at its origin, one week before the
// week it forecasts), and counts the forecast warnings no outbreak
// explains per series-year.
func scoreForecasts(reg *schemas.Registry, obs []demo.Outbreak, rows []store.StatAlarm, fws []forecastWarning, seriesOrigins int, firstTarget time.Time) string {
	inScope, det, comb, fcHit, earlier := 0, 0, 0, 0, 0
	var detDelay, combDelay, leads []float64
	for _, o := range obs {
		region, lv := seriesOf(reg, o.Region)
		if lv != schemas.LevelCounty && lv != schemas.LevelTown {
			continue
		}
		startWeek := schemas.Week.Next(o.Start)
		if startWeek.Before(firstTarget) {
			continue
		}
		inScope++
		var dAt, fAt time.Time
		for _, r := range rows {
			if r.Alarm && r.RegionCode == region && sameCategory(r.Category, o.Category) && inWindow(r.WindowEnd, o) {
				dAt = r.WindowEnd
				break
			}
		}
		for _, w := range fws {
			if w.region == region && sameCategory(w.category, o.Category) && inWindow(w.target, o) {
				fAt = w.issued
				break
			}
		}
		weeks := func(t time.Time) float64 { return math.Round(t.Sub(startWeek).Hours() / (24 * 7)) }
		if !dAt.IsZero() {
			det++
			detDelay = append(detDelay, weeks(dAt))
		}
		if !fAt.IsZero() {
			fcHit++
		}
		first := dAt
		if !fAt.IsZero() && (first.IsZero() || fAt.Before(first)) {
			first = fAt
			if !dAt.IsZero() {
				earlier++
				leads = append(leads, weeks(dAt)-weeks(fAt))
			}
		}
		if !first.IsZero() {
			comb++
			combDelay = append(combDelay, weeks(first))
		}
	}
	false_ := 0
	for _, w := range fws {
		explained := false
		for _, o := range obs {
			if sameCategory(w.category, o.Category) && inWindow(w.target, o) && related(reg, w.region, o.Region) {
				explained = true
				break
			}
		}
		if !explained {
			false_++
		}
	}
	sy := float64(seriesOrigins) / 52
	return fmt.Sprintf("forecast warnings (80%% lower bound above the detectors' upper bound): outbreaks warned %d/%d, before the detectors %d (median lead %s weeks); "+
		"detectors alone %d/%d median delay %s weeks, detectors with forecasts %d/%d median delay %s weeks; "+
		"false forecast warnings %.2f per series-year (%d in %.0f series-years)",
		fcHit, inScope, earlier, median(leads), det, inScope, median(detDelay), comb, inScope, median(combDelay),
		float64(false_)/sy, false_, sy)
}

func median(xs []float64) string {
	if len(xs) == 0 {
		return "n/a"
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%g", m)
}
