package jobs

import (
	"time"

	"github.com/riskwatch/riskwatch/indices/emerging"
	"github.com/riskwatch/riskwatch/indices/links"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// Options adjust the jobs; the zero value is the default configuration.
type Options struct {
	// AlarmLevels replaces the alarm jobs' levels and detectors (both the
	// daily and the weekly job); nil keeps DefaultAlarmConfig.
	AlarmLevels []AlarmLevel
	// ForecastDayLevels and ForecastWeekLevels replace the levels of
	// forecast_day and forecast_week (ForecastCity … ForecastVillage, see
	// ForecastLevelByName); nil keeps DefaultForecastConfig's.
	ForecastDayLevels, ForecastWeekLevels []int
}

// All returns every scheduled index job over the store, in the order they
// are added to the scheduler (jobs sharing a window end run in this order
// during catch-up and backfill).
func All(st *store.Store, reg *schemas.Registry, computedAt func() time.Time, opts Options) []scheduler.Job {
	all := KPIJobs(st, reg, computedAt)
	all = append(all, SupervisionJobs(st, DefaultSupervisionConfig(), computedAt)...)
	all = append(all, TypeJobs(st, reg, computedAt)...)
	var geo []byte
	if reg.Root().Code == schemas.TongliaoCityCode {
		geo = schemas.TongliaoCountyGeoJSON()
	}
	all = append(all, HotspotJobs(st, reg, geo, computedAt)...)
	all = append(all, RiskIndexJobs(st, reg, computedAt)...)
	day, week := DefaultAlarmConfig(schemas.Day), DefaultAlarmConfig(schemas.Week)
	if opts.AlarmLevels != nil {
		day.Levels, week.Levels = opts.AlarmLevels, opts.AlarmLevels
	}
	all = append(all, AlarmJobs(st, reg, day, week, computedAt)...)
	all = append(all, EmergingJobs(st, emerging.Options{}, computedAt)...)
	all = append(all, LinksJobs(st, links.Options{}, computedAt)...)
	return all
}
