// Command evalrisk validates the risk index's bands (make eval-risk): on
// the demo stream, whose injected outbreaks are known, and on the NYC
// Council constituent casework 2019–2022 (boroughs and community boards),
// it backfills the weekly risk index job over the whole period, once with
// the uncalibrated SCRI v0 configuration (INFORM thresholds, v0
// escalation) and once with thresholds calibrated on a baseline year and
// the current escalation, and prints per level:
//
//   - band shares (all weeks and after the baseline year);
//   - which rule raised how many unit-weeks above the index's own band;
//   - outbreak response (demo only): the share of injected outbreak units
//     whose band rises at least one step within [start, end+7 days] above
//     the band of the last week before the start (a week without a band
//     shows no warning and counts as normal), and the median weeks
//     from the week holding the start to the rise;
//   - false rises: band rises (one step or more over the previous week)
//     that no outbreak explains, per unit-year;
//   - predictive validity: per week the Spearman rho across the level's
//     units between the index at week t and the unit's cases, overdue cases
//     and escalations in weeks t+1…t+4 (mean over weeks, then over the
//     three outcomes), against the same rho for the week's raw case count
//     (the naive predictor).
//
// The last line per dataset, run and level is
//
//	risk bands: <dataset> level <L>: shares n/b/y/o/r …; outbreak rise R; false rises F per unit-year; predictive rho P (naive N)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/sources/importer"
	"github.com/riskwatch/riskwatch/sources/mappings"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// forward turns on the forward-looking indicator's evaluation.
var forward bool

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval-risk:", err)
		os.Exit(1)
	}
}

func run() error {
	dataset := flag.String("dataset", "demo,nyc", "datasets to evaluate (demo, nyc)")
	nycDir := flag.String("nyc-data", "../shared/data/complaints/nyc_council_constituent_services", "folder of nyc_council_constituent_services_20*.csv")
	seed := flag.Int64("seed", 1, "demo stream seed")
	variants := flag.Bool("variants", false, "also score calibrated thresholds under other escalation rules")
	flag.BoolVar(&forward, "forward", true, "also score a forward-looking indicator from the forecasts (forecast.go)")
	flag.Parse()
	ctx := context.Background()
	for _, d := range strings.Split(*dataset, ",") {
		var err error
		switch strings.TrimSpace(d) {
		case "demo":
			err = evalDemo(ctx, *seed, *variants)
		case "nyc":
			err = evalNYC(ctx, *nycDir, *variants)
		default:
			err = fmt.Errorf("unknown dataset %q", d)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	return nil
}

// dataset is one loaded dataset ready to be backfilled.
type dataset struct {
	name     string
	env      *toolenv.Env
	weeks    []time.Time // window ends, in order
	baseline [2]time.Time
	// outbreaks are the known outbreaks (none for NYC).
	outbreaks []demo.Outbreak
}

func evalDemo(ctx context.Context, seed int64, variants bool) error {
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "evalrisk", MaxOpenConns: 4, ReadTimeout: 10 * time.Minute})
	if err != nil {
		return err
	}
	defer env.Close()
	gen, err := demo.New(demo.Options{Seed: seed, Registry: env.Registry})
	if err != nil {
		return err
	}
	t0 := time.Now()
	n, err := toolenv.Load(ctx, env.Store, env.Registry, gen, toolenv.StreamEnd(), nil)
	if err != nil {
		return err
	}
	from, to := demo.DefaultPeriod()
	fmt.Printf("demo: loaded %d records (seed %d, %s to %s, %d outbreaks) in %.0f s\n", n, seed,
		from.Format(time.DateOnly), to.Format(time.DateOnly), len(gen.Outbreaks()), time.Since(t0).Seconds())
	weeks := schemas.Week.Between(schemas.Week.Next(from), schemas.Week.Next(to))
	// The baseline is the first year of the stream; "after" is the second.
	bEnd := schemas.Week.Align(from.AddDate(1, 0, 0))
	return evaluate(ctx, dataset{name: "demo", env: env, weeks: weeks, baseline: [2]time.Time{weeks[0], bEnd}, outbreaks: gen.Outbreaks()}, variants)
}

func evalNYC(ctx context.Context, dir string, variants bool) error {
	files, _ := filepath.Glob(filepath.Join(dir, "nyc_council_constituent_services_20*.csv"))
	if len(files) == 0 {
		return fmt.Errorf("no casework files in %s", dir)
	}
	m, reg, err := importer.Open(mappings.FS, "nyc_council.yaml")
	if err != nil {
		return err
	}
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "evalrisknyc", ReadTimeout: 10 * time.Minute, Registry: reg})
	if err != nil {
		return err
	}
	defer env.Close()
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return err
	}
	now := time.Now()
	var rows []schemas.CaseRow
	rejected := 0
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		_, err = m.Convert(r, f, reg, func(rec schemas.Record) error {
			b, err := schemas.MarshalRecord(rec)
			if err != nil {
				return err
			}
			row, err := tr.Transform(b, transform.Meta{Topic: "nyc"}, now)
			if err != nil {
				var re *transform.RejectError
				if errors.As(err, &re) {
					rejected++
					return nil
				}
				return err
			}
			rows = append(rows, row)
			return nil
		})
		r.Close()
		if err != nil {
			return err
		}
	}
	if err := env.Store.InsertCases(ctx, rows); err != nil {
		return err
	}
	fmt.Printf("nyc: stored %d cases (%d rejected by the transform)\n", len(rows), rejected)
	from := time.Date(2019, 1, 1, 0, 0, 0, 0, schemas.Zone())
	to := time.Date(2022, 12, 31, 0, 0, 0, 0, schemas.Zone())
	weeks := schemas.Week.Between(schemas.Week.Next(from), schemas.Week.Next(to))
	// The baseline is 2019, the year before the pandemic.
	bEnd := schemas.Week.Align(time.Date(2020, 1, 1, 0, 0, 0, 0, schemas.Zone()))
	return evaluate(ctx, dataset{name: "nyc", env: env, weeks: weeks, baseline: [2]time.Time{weeks[0], bEnd}}, variants)
}

// recStore records what the risk job reads and writes: the summed counts
// of every unit per window (the outcomes) and the rows written.
type recStore struct {
	*store.Store
	reg    *schemas.Registry
	counts map[int64]map[string]jobs.RiskCounts
	rows   []store.RiskIndexRow
}

func (r *recStore) RiskCells(ctx context.Context, w store.RiskWindows, o store.RiskCountOptions) ([]store.RiskCell, error) {
	cells, err := r.Store.RiskCells(ctx, w, o)
	if err != nil {
		return nil, err
	}
	if r.counts[w.End.Unix()] == nil {
		sums, _ := jobs.AggregateRiskCells(r.reg, cells)
		m := map[string]jobs.RiskCounts{}
		for k, v := range sums {
			m[k] = *v
		}
		r.counts[w.End.Unix()] = m
	}
	return cells, nil
}

func (r *recStore) WriteRiskIndex(ctx context.Context, rows []store.RiskIndexRow) error {
	r.rows = append(r.rows, rows...)
	return r.Store.WriteRiskIndex(ctx, rows)
}

// runConfig is one configuration backfilled and scored.
type runConfig struct {
	name string
	cfg  jobs.RiskConfig
	// calibrate: thresholds are calibrated on the baseline before the run
	// (jobs.CalibrateRisk), which the job then loads.
	calibrate bool
}

// runs are the configurations scored, in order: SCRI v0 as it was (INFORM
// thresholds, an alert escalates at once, hysteresis holds escalated bands
// and bands go up at once), the current escalation and hysteresis with
// INFORM thresholds, and the current
// configuration with thresholds calibrated on the baseline (the default).
// With -variants, calibrated thresholds under the v0 escalation and under
// an alert escalating at once without hysteresis hold are scored too.
func runs(variants bool) []runConfig {
	v0 := jobs.DefaultRiskConfig()
	v0.Spec.Escalation = composite.EscalationV0()
	v0.Spec.Hysteresis = composite.DefaultHysteresis()
	v0.Spec.Versions.Bands = "scri-v0-bands-inform"
	v0.FixedBands = true
	esc := jobs.DefaultRiskConfig()
	esc.FixedBands = true
	out := []runConfig{
		{name: "before", cfg: v0},
		{name: "new-rules-inform", cfg: esc},
	}
	if variants {
		cal0 := v0
		cal0.FixedBands = false
		once := jobs.DefaultRiskConfig()
		once.Spec.Escalation.AlertRuns = 1
		out = append(out, runConfig{name: "calibrated+v0-escalation", cfg: cal0, calibrate: true},
			runConfig{name: "calibrated+alert-at-once", cfg: once, calibrate: true})
	}
	return append(out, runConfig{name: "after", cfg: jobs.DefaultRiskConfig(), calibrate: true})
}

func evaluate(ctx context.Context, d dataset, variants bool) error {
	rs := &recStore{Store: d.env.Store, reg: d.env.Registry, counts: map[int64]map[string]jobs.RiskCounts{}}
	for i, rc := range runs(variants) {
		if rc.calibrate {
			for _, lv := range jobs.RiskLevels {
				now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 24 * time.Hour)
				t, err := jobs.CalibrateRisk(ctx, d.env.Store, rc.cfg, schemas.Week, lv, d.baseline[0], d.baseline[1], now, "eval-risk "+rc.name)
				if err != nil {
					return err
				}
				fmt.Printf("%s %s level %s: calibrated %s on %d rows in %d weeks ending %s…%s: blue %.1f, yellow %.1f, orange %.1f, red %.1f, hysteresis margin %.1f; baseline shares n/b/y/o/r %s (%s)\n",
					d.name, rc.name, levelName(lv), t.Method, t.BaselineRows, t.BaselineWindows,
					t.BaselineFrom.Format(time.DateOnly), t.BaselineTo.Format(time.DateOnly), t.Blue, t.Yellow, t.Orange, t.Red, t.HysteresisMargin, pct(t.BaselineShares), t.Version)
			}
		}
		rs.rows = nil
		t := time.Now()
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 24 * time.Hour)
		tick := 0
		clock := func() time.Time { tick++; return base.Add(time.Duration(tick) * time.Second) }
		job := jobs.RiskIndexJobWith(rs, d.env.Registry, rc.cfg, schemas.Week, clock)
		for _, at := range d.weeks {
			if _, err := job(ctx, at); err != nil {
				return fmt.Errorf("%s: week ending %s: %w", rc.name, at.Format(time.DateOnly), err)
			}
		}
		fmt.Printf("%s %s: backfilled risk_week over %d weeks (%d rows) in %.0f s\n", d.name, rc.name, len(d.weeks), len(rs.rows), time.Since(t).Seconds())
		for _, lv := range jobs.RiskLevels {
			report(d, rc.name, lv, rs)
		}
	}
	return nil
}

func pct(s []float64) string {
	p := make([]string, len(s))
	for i, x := range s {
		p[i] = fmt.Sprintf("%.0f", 100*x)
	}
	return strings.Join(p, "/") + " %"
}

// series is one unit's weekly rows in window order.
type series struct {
	code string
	rows []store.RiskIndexRow
}

func report(d dataset, runName string, lv schemas.Level, rs *recStore) {
	reg := d.env.Registry
	byUnit := map[string][]store.RiskIndexRow{}
	for _, r := range rs.rows {
		if r.Level == uint8(lv) {
			byUnit[r.RegionCode] = append(byUnit[r.RegionCode], r)
		}
	}
	var units []series
	for code, rows := range byUnit {
		sort.Slice(rows, func(i, j int) bool { return rows[i].WindowEnd.Before(rows[j].WindowEnd) })
		units = append(units, series{code, rows})
	}
	sort.Slice(units, func(i, j int) bool { return units[i].code < units[j].code })
	ln := levelName(lv)
	prefix := fmt.Sprintf("%s %s level %s", d.name, runName, ln)

	// Shares: all weeks and the weeks after the baseline.
	all, after := shares(units, time.Time{}), shares(units, d.baseline[1])
	fmt.Printf("%s: final band shares n/b/y/o/r, all weeks: %s (%d unit-weeks); after the baseline: %s (%d)\n",
		prefix, all.String(), all.n, after.String(), after.n)
	idx := indexShares(units, d.baseline[1])
	fmt.Printf("%s: index band shares after the baseline (before escalation, hysteresis and cap): %s\n", prefix, idx.String())
	fmt.Printf("%s: rules acting, unit-weeks (after the baseline): %s\n", prefix, ruleCounts(units, d.baseline[1]))

	// Outbreak response.
	rise := "n/a"
	if len(d.outbreaks) > 0 {
		r, n, med, detail := outbreakResponse(reg, lv, units, d.outbreaks)
		if n > 0 {
			rise = fmt.Sprintf("%.2f", float64(r)/float64(n))
			fmt.Printf("%s: outbreak rise %d/%d, median weeks to the rise %s; %s\n", prefix, r, n, med, detail)
		}
	}
	fr, frn, uy, fromNA := falseRises(reg, units, d.outbreaks)
	fmt.Printf("%s: false rises %d in %.1f unit-years (%d of them from a week without a band)\n", prefix, frn, uy, fromNA)
	if len(d.outbreaks) > 0 {
		fmt.Printf("%s: chance of a rise within the outbreak windows at the false-rise rate (no signal): %.2f\n", prefix, chanceRise(reg, lv, units, d.outbreaks, fr))
	}

	rho, naive, detail := predictive(units, rs.counts)
	fmt.Printf("%s: predictive rho by outcome (index / naive): %s\n", prefix, detail)
	wi, wn := predictiveWithin(units, rs.counts)
	fmt.Printf("%s: predictive rho within units over time, cases in t+1…t+4 (index / naive): %.2f / %.2f\n", prefix, wi, wn)
	if forward {
		var ws []int64
		for _, w := range d.weeks {
			ws = append(ws, w.Unix())
		}
		forwardLooking(prefix, reg, units, rs.counts, ws) // forecast.go
	}
	fmt.Printf("risk bands: %s level %s [%s]: shares n/b/y/o/r %s; outbreak rise %s; false rises %.2f per unit-year; predictive rho %.2f (naive %.2f)\n",
		d.name, ln, runName, after.String(), rise, fr, rho, naive)
}

func levelName(l schemas.Level) string {
	switch l {
	case schemas.LevelCounty:
		return "county"
	case schemas.LevelTown:
		return "town"
	}
	return l.String()
}

// bandShares counts bands.
type bandShares struct {
	n, na int
	c     [5]int
}

func (s *bandShares) add(band string) {
	b, err := composite.ParseBand(band)
	if err != nil || b == composite.BandNA {
		s.na++
		return
	}
	s.n++
	s.c[b]++
}

func (s bandShares) String() string {
	if s.n == 0 {
		return fmt.Sprintf("n/a (no band in %d unit-weeks)", s.na)
	}
	p := make([]string, 5)
	for i, c := range s.c {
		p[i] = fmt.Sprintf("%.0f", 100*float64(c)/float64(s.n))
	}
	out := strings.Join(p, "/") + " %"
	if s.na > 0 {
		out += fmt.Sprintf(" (no band in %d of %d unit-weeks)", s.na, s.n+s.na)
	}
	return out
}

func shares(units []series, after time.Time) bandShares {
	var s bandShares
	for _, u := range units {
		for _, r := range u.rows {
			if r.WindowEnd.After(after) {
				s.add(r.Band)
			}
		}
	}
	return s
}

func indexShares(units []series, after time.Time) bandShares {
	var s bandShares
	for _, u := range units {
		for _, r := range u.rows {
			if r.WindowEnd.After(after) {
				s.add(r.BandIndex)
			}
		}
	}
	return s
}

// ruleCounts counts the rows each band reason acted on, and the rows whose
// final band is above the index band.
func ruleCounts(units []series, after time.Time) string {
	reasons := map[string]int{}
	raised, lowered, rows := 0, 0, 0
	streak, maxStreak := 0, 0
	alertOnlyYellowPlus := 0
	for _, u := range units {
		streak = 0
		for _, r := range u.rows {
			if !r.WindowEnd.After(after) {
				continue
			}
			rows++
			for _, x := range r.BandReasons {
				reasons[x]++
			}
			bi, _ := composite.ParseBand(r.BandIndex)
			b, _ := composite.ParseBand(r.Band)
			if b > bi {
				raised++
			} else if b < bi {
				lowered++
			}
			onlyAlert := b >= composite.BandYellow && bi < composite.BandYellow && r.FunnelFlag == "alert_95"
			if onlyAlert {
				alertOnlyYellowPlus++
				streak++
				if streak > maxStreak {
					maxStreak = streak
				}
			} else {
				streak = 0
			}
		}
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var p []string
	for _, k := range keys {
		p = append(p, fmt.Sprintf("%s %d", k, reasons[k]))
	}
	return fmt.Sprintf("%d rows; raised above the index band %d, lowered %d; yellow+ with an index band below yellow and an alert_95 %d (longest run %d weeks); reasons: %s",
		rows, raised, lowered, alertOnlyYellowPlus, maxStreak, strings.Join(p, ", "))
}

// unitOf returns the unit at level lv an outbreak region counts for ("" when
// the region lies above lv).
func unitOf(reg *schemas.Registry, region string, lv schemas.Level) string {
	r, ok := reg.Lookup(region)
	if !ok || r.Level < lv {
		return ""
	}
	if r.Level == lv {
		return r.Code
	}
	a, ok := reg.AncestorAt(region, lv)
	if !ok {
		return ""
	}
	return a.Code
}

// inWindow reports whether the week ending at e overlaps [start, end+7d].
func inWindow(e time.Time, o demo.Outbreak) bool {
	ws := e.AddDate(0, 0, -7)
	return e.After(o.Start) && ws.Before(o.End.AddDate(0, 0, 8))
}

// shownBand returns the warning a row shows: its band, with a row without
// a band (no index, no funnel flag) showing no warning, like normal.
func shownBand(s string) composite.Band {
	b, err := composite.ParseBand(s)
	if err != nil || b == composite.BandNA {
		return composite.BandNormal
	}
	return b
}

func outbreakResponse(reg *schemas.Registry, lv schemas.Level, units []series, obs []demo.Outbreak) (rose, n int, med string, detail string) {
	byCode := map[string]series{}
	for _, u := range units {
		byCode[u.code] = u
	}
	var delays []float64
	var missed []string
	for _, o := range obs {
		code := unitOf(reg, o.Region, lv)
		u, ok := byCode[code]
		if code == "" || !ok {
			continue
		}
		// The band before: the last week ending at or before the start.
		before, seen := composite.BandNormal, false
		for _, r := range u.rows {
			if !r.WindowEnd.After(o.Start) {
				before, seen = shownBand(r.Band), true
			}
		}
		if !seen {
			continue
		}
		n++
		startWeek := schemas.Week.Next(o.Start)
		hit := false
		for _, r := range u.rows {
			if inWindow(r.WindowEnd, o) && shownBand(r.Band) > before {
				rose++
				delays = append(delays, math.Round(r.WindowEnd.Sub(startWeek).Hours()/(24*7)))
				hit = true
				break
			}
		}
		if !hit {
			missed = append(missed, o.Label)
		}
	}
	med = "n/a"
	if len(delays) > 0 {
		med = fmt.Sprintf("%g", medianOf(delays))
	}
	detail = "missed: none"
	if len(missed) > 0 {
		detail = "missed: " + strings.Join(missed, ", ")
	}
	return rose, n, med, detail
}

// chanceRise returns the mean over the outbreaks scored at lv of the
// probability that a unit rising at the false-rise rate f (per unit-year,
// as a Poisson process) rises at least once in as many weeks as the
// outbreak's window holds: what the outbreak rise would be without any
// signal.
func chanceRise(reg *schemas.Registry, lv schemas.Level, units []series, obs []demo.Outbreak, f float64) float64 {
	byCode := map[string]series{}
	for _, u := range units {
		byCode[u.code] = u
	}
	var ps []float64
	for _, o := range obs {
		u, ok := byCode[unitOf(reg, o.Region, lv)]
		if !ok {
			continue
		}
		weeks := 0
		for _, r := range u.rows {
			if inWindow(r.WindowEnd, o) {
				weeks++
			}
		}
		ps = append(ps, 1-math.Exp(-f*float64(weeks)/52))
	}
	return mean(ps)
}

// related reports whether a and b are the same region or one is an
// ancestor of the other.
func related(reg *schemas.Registry, a, b string) bool {
	if a == b {
		return true
	}
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

// falseRises counts band rises over the previous week (a week without a
// band shows no warning, like normal) that no outbreak explains (an outbreak on the unit, an ancestor or a descendant whose
// window holds the week), per unit-year (units with rows × weeks / 52).
func falseRises(reg *schemas.Registry, units []series, obs []demo.Outbreak) (perUnitYear float64, n int, unitYears float64, fromNoBand int) {
	weeks := 0
	for _, u := range units {
		for i, r := range u.rows {
			b := shownBand(r.Band)
			weeks++
			if i > 0 && b > shownBand(u.rows[i-1].Band) {
				explained := false
				for _, o := range obs {
					if inWindow(r.WindowEnd, o) && related(reg, u.code, o.Region) {
						explained = true
						break
					}
				}
				if !explained {
					n++
					if bandOrNA(u.rows[i-1].Band) == composite.BandNA {
						fromNoBand++
					}
				}
			}
		}
	}
	unitYears = float64(weeks) / 52
	if unitYears == 0 {
		return math.NaN(), n, 0, fromNoBand
	}
	return float64(n) / unitYears, n, unitYears, fromNoBand
}

func bandOrNA(s string) composite.Band {
	b, err := composite.ParseBand(s)
	if err != nil {
		return composite.BandNA
	}
	return b
}

// predictive returns the mean over the outcomes (cases, overdue,
// escalations in t+1…t+4) of the mean over weeks of the cross-sectional
// Spearman rho of the index at t, and the same for the week's case count.
func predictive(units []series, counts map[int64]map[string]jobs.RiskCounts) (rho, naive float64, detail string) {
	type obs struct{ index, naive, cases, overdue, esc []float64 }
	byWeek := map[int64]*obs{}
	var weeks []int64
	for _, u := range units {
		for i, r := range u.rows {
			if math.IsNaN(r.Index) || i+4 >= len(u.rows) {
				continue
			}
			var c, o, e float64
			ok := true
			for k := 1; k <= 4; k++ {
				m := counts[u.rows[i+k].WindowEnd.Unix()]
				if m == nil {
					ok = false
					break
				}
				x := m[u.code]
				c += float64(x.Accepted)
				o += float64(x.Overdue)
				e += float64(x.Escalated)
			}
			if !ok {
				continue
			}
			w := r.WindowEnd.Unix()
			if byWeek[w] == nil {
				byWeek[w] = &obs{}
				weeks = append(weeks, w)
			}
			b := byWeek[w]
			b.index = append(b.index, r.Index)
			b.naive = append(b.naive, float64(r.NCases))
			b.cases = append(b.cases, c)
			b.overdue = append(b.overdue, o)
			b.esc = append(b.esc, e)
		}
	}
	names := []string{"cases", "overdue", "escalations"}
	var sumI, sumN float64
	var parts []string
	for k, name := range names {
		var ri, rn []float64
		for _, w := range weeks {
			b := byWeek[w]
			y := [][]float64{b.cases, b.overdue, b.esc}[k]
			if len(y) < 3 {
				continue
			}
			if v := spearman(b.index, y); !math.IsNaN(v) {
				ri = append(ri, v)
			}
			if v := spearman(b.naive, y); !math.IsNaN(v) {
				rn = append(rn, v)
			}
		}
		mi, mn := mean(ri), mean(rn)
		sumI += mi
		sumN += mn
		parts = append(parts, fmt.Sprintf("%s %.2f / %.2f", name, mi, mn))
	}
	return sumI / 3, sumN / 3, strings.Join(parts, "; ")
}

// predictiveWithin is predictive over time within each unit: the Spearman
// rho between the index at t (or the week's case count) and the unit's
// cases in t+1…t+4 over its weeks, averaged over units.
func predictiveWithin(units []series, counts map[int64]map[string]jobs.RiskCounts) (rho, naive float64) {
	var ri, rn []float64
	for _, u := range units {
		var x, nv, y []float64
		for i, r := range u.rows {
			if math.IsNaN(r.Index) || i+4 >= len(u.rows) {
				continue
			}
			c := 0.0
			for k := 1; k <= 4; k++ {
				c += float64(counts[u.rows[i+k].WindowEnd.Unix()][u.code].Accepted)
			}
			x, nv, y = append(x, r.Index), append(nv, float64(r.NCases)), append(y, c)
		}
		if len(x) < 10 {
			continue
		}
		if v := spearman(x, y); !math.IsNaN(v) {
			ri = append(ri, v)
		}
		if v := spearman(nv, y); !math.IsNaN(v) {
			rn = append(rn, v)
		}
	}
	return mean(ri), mean(rn)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func medianOf(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ranks returns the average ranks (1-based) of xs.
func ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	r := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// spearman returns the Spearman rank correlation of x and y (Pearson on
// average ranks); NaN when either is constant.
func spearman(x, y []float64) float64 {
	rx, ry := ranks(x), ranks(y)
	mx, my := mean(rx), mean(ry)
	var sxy, sxx, syy float64
	for i := range rx {
		dx, dy := rx[i]-mx, ry[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}
