package reportgen

import (
	"context"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// forecastSource is what a store offers that keeps forecasts: the origins
// and rows of the forecasts table and the weekly counts they were made
// from.
type forecastSource interface {
	ForecastLatestOrigin(ctx context.Context, window string, at time.Time) (time.Time, bool, error)
	ForecastsOf(ctx context.Context, window string, origin time.Time, codes []string) ([]store.ForecastRow, error)
	AlarmCounts(ctx context.Context, levels []uint8, window string, from, to time.Time, leaves bool) ([]store.AlarmCount, error)
}

// forecastWeeks is how many weeks up to the origin the fan chart shows.
const forecastWeeks = 8

// forecastCity is the region code of the city's forecasts.
const forecastCity = "city"

// forecasts reads the section 形势预测 of a weekly or monthly report: the
// weekly forecasts made at the latest origin at or before the report's end
// (a weekly report waits for forecast_week of its own week, see reads) for
// the region and its children, and the weeks counted up to that origin.
// Daily reports and stores without forecasts have no section.
func (g *Generator) forecasts(ctx context.Context, in *reports.Input, spec Spec, region schemas.Region) error {
	src, ok := g.st.(forecastSource)
	if !ok || spec.Window == schemas.Day || region.Level > schemas.LevelTown {
		return nil
	}
	origin, ok, err := src.ForecastLatestOrigin(ctx, "week", in.End)
	if err != nil || !ok {
		return err
	}
	// Forecast codes: the city's forecasts are stored as "city".
	code := func(c string) string {
		if c == region.Code && region.Level == schemas.LevelCity {
			return forecastCity
		}
		return c
	}
	back := map[string]string{code(region.Code): region.Code}
	codes := []string{code(region.Code)}
	levels := map[uint8]bool{}
	if region.Level == schemas.LevelCity {
		levels[3] = true
	} else {
		levels[uint8(region.Level)] = true
	}
	// Villages' forecasts are shares of their town's, and their weeks are
	// not counted here: a town's report shows its own forecast only.
	for _, c := range in.Children {
		if c.Level > int(schemas.LevelTown) {
			continue
		}
		back[c.Code] = c.Code
		codes = append(codes, c.Code)
		levels[uint8(c.Level)] = true
	}
	rows, err := src.ForecastsOf(ctx, "week", origin, codes)
	if err != nil || len(rows) == 0 {
		return err
	}
	f := &reports.ForecastInput{Origin: origin}
	for _, r := range rows {
		f.Rows = append(f.Rows, reports.Forecast{Region: back[r.RegionCode], Category: r.Category, Horizon: int(r.Horizon),
			TargetEnd: r.TargetEnd, Point: r.Point, Lower80: r.Lower80, Upper80: r.Upper80, Lower95: r.Lower95, Upper95: r.Upper95})
	}
	var lv []uint8
	for _, l := range []uint8{3, 4} {
		if levels[l] {
			lv = append(lv, l)
		}
	}
	counts, err := src.AlarmCounts(ctx, lv, "week", origin.AddDate(0, 0, -7*forecastWeeks), origin, false)
	if err != nil {
		return err
	}
	// The region's weeks: the city's are the sum of its counties; each
	// region's total is the sum of its groups.
	type key struct {
		region, category string
		end              time.Time
	}
	sums := map[key]uint64{}
	var order []key
	add := func(k key, n uint64) {
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] += n
	}
	for _, c := range counts {
		regions := []string{}
		if _, ok := back[c.Region]; ok && c.Region != forecastCity {
			regions = append(regions, c.Region)
		}
		if region.Level == schemas.LevelCity && c.Level == 3 {
			regions = append(regions, region.Code)
		}
		for _, r := range regions {
			add(key{r, c.Category, c.WindowEnd}, c.Count)
			add(key{r, reports.ForecastTotal, c.WindowEnd}, c.Count)
		}
	}
	for _, k := range order {
		f.Weeks = append(f.Weeks, reports.WeekCount{Region: k.region, Category: k.category, End: k.end, Cases: sums[k]})
	}
	in.Forecast = f
	return nil
}
