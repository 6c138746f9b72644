// Command evalalarms scores the weekly statistical alarms against the
// ground truth of the demo stream (make eval-alarms).
//
// It starts a throwaway ClickHouse, generates the default demo stream (seed
// 1, two years ending 2026-10-31, with its injected outbreaks) and writes
// its records straight into the store through the real transform: Kafka and
// the ingest consumer are left out, because they change nothing in the
// stored cases (ingest is tested on its own). It then runs the weekly alarm
// job (jobs.AlarmJob) over every week of the data for each configuration
// evaluated, reads the rows back from stat_alarms and prints one line per
// configuration:
//
//	NAME (LEVELS, weekly): sensitivity S (d/n), false alarms F per series-year, median delay D weeks
//
// An outbreak is detected when an alarm fires on its series (its region, or
// its town when the region is a village, and its category group, or the
// category itself when leaf series are on) for a week that overlaps
// [start, end+7 days]; the delay counts weeks from the week holding the
// start. A false alarm is an alarm that no outbreak explains: not on an
// outbreak's region, on one of its ancestors or on one of its descendants,
// with the same category, in such a week. Rates are per series-year: the
// series with at least one row times the weeks evaluated / 52.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/alarm"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
	"github.com/riskwatch/riskwatch/warnings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval-alarms:", err)
		os.Exit(1)
	}
}

// evalConfig is one configuration scored.
type evalConfig struct {
	name string
	cfg  jobs.AlarmConfig
	// detector, when set, keeps only the rows of that detector (and the
	// outbreaks starting no earlier than its first row).
	detector string
}

func run() error {
	seed := flag.Int64("seed", 1, "demo stream seed")
	earsAlpha := flag.Float64("ears-alpha", jobs.DefaultEARSAlpha, "EARS C1 alpha of the variants")
	earsMinSigma := flag.Float64("ears-minsigma", jobs.DefaultEARSMinSigma, "EARS C1 minimum sigma of the variants")
	farAlpha := flag.Float64("far-alpha", 0, "farringtonFlexible alpha of the variants (0: R's 0.05)")
	variants := flag.Bool("variants", false, "also score per-level variants")
	leaves := flag.Bool("leaves", false, "variants also watch leaf-category series")
	onlyDefault := flag.Bool("only-default", false, "score only the default configuration (and the forecasts)")
	withForecasts := flag.Bool("forecasts", true, "also score the forecast warnings against the default configuration (forecast.go)")
	fcFactor := flag.Float64("forecast-factor", 1, "forecast warnings: factor on the threshold")
	fcMin := flag.Float64("forecast-min-cases", warnings.DefaultForecastMinCases, "forecast warnings: smallest 80 % lower bound that warns")
	flag.Parse()
	ctx := context.Background()
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "evalalarms", MaxOpenConns: 4, ReadTimeout: 10 * time.Minute})
	if err != nil {
		return err
	}
	defer env.Close()
	st := env.Store
	reg := env.Registry

	// The stream goes straight from the generator through transform into
	// the store (no Kafka).
	t0 := time.Now()
	gen, err := demo.New(demo.Options{Seed: *seed, Registry: reg})
	if err != nil {
		return err
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return err
	}
	from, to := demo.DefaultPeriod()
	now := time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, schemas.Zone())
	var batch []schemas.CaseRow
	records := 0
	for {
		r, ok := gen.Next()
		if ok {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			row, err := tr.Transform(b, transform.Meta{Topic: "evalalarms", Offset: int64(records)}, now)
			if err != nil {
				return fmt.Errorf("a generated record was rejected: %w", err)
			}
			batch = append(batch, row)
			records++
		}
		if len(batch) == 50_000 || (!ok && len(batch) > 0) {
			if err := st.InsertCases(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		if !ok {
			break
		}
	}
	obs := gen.Outbreaks()
	cs, err := st.CaseStats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d records (%d cases) of the demo stream (seed %d, %s to %s, %d outbreaks) through transform into the store, no Kafka, in %.0f s\n",
		records, cs.Rows, *seed, from.Format(time.DateOnly), to.Format(time.DateOnly), len(obs), time.Since(t0).Seconds())

	// Every week of the data: the first complete week ends on the second
	// Monday after the start; the last week ends after the last day.
	weeks := schemas.Week.Between(schemas.Week.Next(from), schemas.Week.Next(to))

	ears := jobs.DefaultEARS()
	ears.Params.Alpha, ears.Params.MinSigma = *earsAlpha, *earsMinSigma
	far := jobs.DefaultFarrington()
	if *farAlpha > 0 {
		far.Params.Alpha = *farAlpha
	}
	both := func(short, long jobs.AlarmDetector, levels ...schemas.Level) jobs.AlarmConfig {
		var c jobs.AlarmConfig
		for _, l := range levels {
			c.Levels = append(c.Levels, jobs.AlarmLevel{Level: l, Short: short, Long: long})
		}
		c.Leaves = *leaves
		return c
	}
	ct := []schemas.Level{schemas.LevelCounty, schemas.LevelTown}
	configs := []evalConfig{
		{name: "ears-c1 " + jobs.ParamString(ears), cfg: both(ears, jobs.AlarmDetector{}, ct...)},
		{name: "farrington-flexible " + jobs.ParamString(far), cfg: both(ears, far, ct...), detector: alarm.MethodFarringtonFlexible},
	}
	if *onlyDefault {
		configs = nil
	}
	if *variants {
		for _, l := range ct {
			configs = append(configs,
				evalConfig{name: "ears-c1 " + levelName(l), cfg: both(ears, jobs.AlarmDetector{}, l)},
				evalConfig{name: "farrington-flexible " + levelName(l), cfg: both(ears, far, l), detector: alarm.MethodFarringtonFlexible})
		}
	}
	configs = append(configs, evalConfig{name: "default", cfg: jobs.DefaultAlarmConfig(schemas.Week)})
	var defaultRows []store.StatAlarm

	for i, c := range configs {
		t := time.Now()
		// Each configuration's rows carry computed_at from its own base, so
		// the rows it wrote are the ones at or after the base.
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 24 * time.Hour)
		tick := 0
		clock := func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Second) }
		job := jobs.AlarmJob(st, reg, schemas.Week, c.cfg, clock)
		for _, at := range weeks {
			if _, err := job(ctx, at); err != nil {
				return fmt.Errorf("%s: week ending %s: %w", c.name, at.Format(time.DateOnly), err)
			}
		}
		all, err := st.StatAlarms(ctx, "week", weeks[0], weeks[len(weeks)-1])
		if err != nil {
			return err
		}
		var rows []store.StatAlarm
		for _, r := range all {
			if !r.ComputedAt.Before(base) && (c.detector == "" || r.Detector == c.detector) {
				rows = append(rows, r)
			}
		}
		fmt.Printf("%s (%s, weekly): %s  [%.0f s]\n", c.name, levelNames(c.cfg), score(reg, obs, rows, c.cfg, c.detector != ""), time.Since(t).Seconds())
		if c.name == "default" {
			defaultRows = rows
		}
	}
	if *withForecasts {
		t := time.Now()
		rule := warnings.ForecastRule{Enabled: true, Factor: *fcFactor, MinCases: *fcMin}
		fws, n, first, err := forecastWarnings(ctx, st, weeks, defaultRows, rule, 2)
		if err != nil {
			return err
		}
		fmt.Printf("default + %s  [factor %g, min cases %g; %.0f s]\n", scoreForecasts(reg, obs, defaultRows, fws, n, first), *fcFactor, *fcMin, time.Since(t).Seconds())
	}
	return nil
}

func levelNames(c jobs.AlarmConfig) string {
	var s []string
	for _, l := range c.Levels {
		s = append(s, levelName(l.Level))
	}
	return strings.Join(s, "+")
}

// levelName names the levels the alarms watch in English.
func levelName(l schemas.Level) string {
	switch l {
	case schemas.LevelCounty:
		return "county"
	case schemas.LevelTown:
		return "town"
	}
	return l.String()
}

// groupOf returns the category group of a taxonomy code.
func groupOf(code string) string {
	if c, ok := schemas.CategoryByCode()[code]; ok && c.Parent != "" {
		return c.Parent
	}
	return code
}

// seriesOf returns the region of the series that watches an outbreak: its
// region, or its town when the region is a village.
func seriesOf(reg *schemas.Registry, region string) (string, schemas.Level) {
	r, ok := reg.Lookup(region)
	if !ok {
		return region, 0
	}
	if r.Level > schemas.LevelTown {
		if t, ok := reg.AncestorAt(region, schemas.LevelTown); ok {
			return t.Code, schemas.LevelTown
		}
	}
	return r.Code, r.Level
}

// inWindow reports whether the week ending at e overlaps [start, end+7d]
// (days, both inclusive).
func inWindow(e time.Time, o demo.Outbreak) bool {
	ws := e.AddDate(0, 0, -7)
	return e.After(o.Start) && ws.Before(o.End.AddDate(0, 0, 8))
}

// related reports whether a and b are the same region or one is an
// ancestor of the other.
func related(reg *schemas.Registry, a, b string) bool {
	for _, r := range reg.Ancestors(a) {
		if r.Code == b {
			return true
		}
	}
	for _, r := range reg.Ancestors(b) {
		if r.Code == a {
			return true
		}
	}
	return false
}

func sameCategory(series, outbreak string) bool {
	return series == outbreak || series == groupOf(outbreak)
}

// score computes sensitivity, false alarms per series-year and the median
// delay of the rows against the outbreaks.
func score(reg *schemas.Registry, obs []demo.Outbreak, rows []store.StatAlarm, cfg jobs.AlarmConfig, fromFirstRow bool) string {
	if len(rows) == 0 {
		return "no rows"
	}
	levels := map[uint8]bool{}
	for _, l := range cfg.Levels {
		levels[uint8(l.Level)] = true
	}
	first := rows[0].WindowEnd // rows come ordered by window end
	detected, inScope := 0, 0
	var delays []int
	var missed []string
	for _, o := range obs {
		region, lv := seriesOf(reg, o.Region)
		if !levels[uint8(lv)] {
			continue
		}
		startWeek := schemas.Week.Next(o.Start) // end of the week holding the start
		if fromFirstRow && startWeek.Before(first) {
			continue
		}
		inScope++
		hit := false
		for _, r := range rows {
			if r.Alarm && r.RegionCode == region && sameCategory(r.Category, o.Category) && inWindow(r.WindowEnd, o) {
				detected++
				delays = append(delays, int(r.WindowEnd.Sub(startWeek).Hours()/(24*7)+0.5))
				hit = true
				break
			}
		}
		if !hit {
			missed = append(missed, o.Label)
		}
	}
	false_ := 0
	for _, r := range rows {
		if !r.Alarm {
			continue
		}
		explained := false
		for _, o := range obs {
			if sameCategory(r.Category, o.Category) && inWindow(r.WindowEnd, o) && related(reg, r.RegionCode, o.Region) {
				explained = true
				break
			}
		}
		if !explained {
			false_++
		}
	}
	// Series-years: every series that has a row, over the weeks evaluated
	// (a series whose recent windows hold no case gets no row from EARS,
	// so the row count would understate them).
	type key struct {
		level            uint8
		region, category string
	}
	series, weeks := map[key]bool{}, map[int64]bool{}
	for _, r := range rows {
		series[key{r.Level, r.RegionCode, r.Category}] = true
		weeks[r.WindowEnd.Unix()] = true
	}
	seriesYears := float64(len(series)) * float64(len(weeks)) / 52
	sort.Ints(delays)
	med := "n/a"
	if len(delays) > 0 {
		m := float64(delays[len(delays)/2])
		if len(delays)%2 == 0 {
			m = float64(delays[len(delays)/2-1]+delays[len(delays)/2]) / 2
		}
		med = fmt.Sprintf("%g week", m)
		if m != 1 {
			med += "s"
		}
	}
	sens := 0.0
	if inScope > 0 {
		sens = float64(detected) / float64(inScope)
	}
	out := fmt.Sprintf("sensitivity %.2f (%d/%d), false alarms %.2f per series-year (%d in %.0f series-years), median delay %s",
		sens, detected, inScope, float64(false_)/seriesYears, false_, seriesYears, med)
	if len(missed) > 0 {
		slices.Sort(missed)
		out += "; missed: " + strings.Join(missed, ", ")
	}
	return out
}
