// Command evalforecast backtests the forecasts (make eval-forecast) on the
// demo stream and on the NYC Council casework 2019–2022.
//
// For each dataset it starts a throwaway ClickHouse (toolenv), loads the
// cases through the real transform, and runs jobs.BacktestForecasts: weekly
// counts per level (city, county/borough, town/community board) × category
// group, a forecast after every week (-every; every -town-every weeks at the
// town level, whose 2,000-odd series cost the most) of the scored period
// for the next -horizon weeks, the model chosen per series by rolling-origin validation
// on its own history. It prints one line per level and horizon:
//
//	forecast <dataset> level <L> h=<H>: MASE ratio to seasonal naive R; coverage80 C80; coverage95 C95
//
// followed by MASE, sMAPE, pinball loss, the number of forecasts and the
// models chosen. With the city and county levels it then compares base,
// bottom-up and MinT(shrink) forecasts on the city–county hierarchy of each
// category group (jobs.BacktestReconciled).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/sources/importer"
	"github.com/riskwatch/riskwatch/sources/mappings"
	"github.com/riskwatch/riskwatch/transform"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval-forecast:", err)
		os.Exit(1)
	}
}

func run() error {
	horizon := flag.Int("horizon", 4, "largest horizon in weeks")
	every := flag.Int("every", 1, "score every n-th week as an origin (city and county levels)")
	townEvery := flag.Int("town-every", 4, "score every n-th week as an origin at the town level")
	levels := flag.String("levels", "city,county,town", "levels scored")
	datasets := flag.String("datasets", "demo,nyc", "datasets: demo, nyc")
	nycDir := flag.String("nyc-data", "../shared/data/complaints/nyc_council_constituent_services", "folder of nyc_council_constituent_services_20*.csv")
	flag.Parse()
	var lv []int
	for _, l := range strings.Split(*levels, ",") {
		switch strings.TrimSpace(l) {
		case "city":
			lv = append(lv, jobs.ForecastCity)
		case "county":
			lv = append(lv, jobs.ForecastCounty)
		case "town":
			lv = append(lv, jobs.ForecastTown)
		default:
			return fmt.Errorf("-levels: unknown level %q", l)
		}
	}
	ctx := context.Background()
	for _, ds := range strings.Split(*datasets, ",") {
		var err error
		switch ds {
		case "demo":
			err = evalDemo(ctx, lv, *horizon, *every, *townEvery)
		case "nyc":
			err = evalNYC(ctx, *nycDir, lv, *horizon, *every, *townEvery)
		default:
			err = fmt.Errorf("-datasets: unknown dataset %q", ds)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func evalDemo(ctx context.Context, lv []int, horizon, every, townEvery int) error {
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "evalforecast", ReadTimeout: 10 * time.Minute})
	if err != nil {
		return err
	}
	defer env.Close()
	gen, err := demo.New(demo.Options{Seed: 1, Registry: env.Registry})
	if err != nil {
		return err
	}
	t0 := time.Now()
	n, err := toolenv.Load(ctx, env.Store, env.Registry, gen, toolenv.StreamEnd(), nil)
	if err != nil {
		return err
	}
	from, to := demo.DefaultPeriod()
	fmt.Printf("demo: %d cases (seed 1, %s to %s) loaded in %.0f s\n", n, from.Format(time.DateOnly), to.Format(time.DateOnly), time.Since(t0).Seconds())
	// Score the second year: forecasts made after each week ending from
	// 2025-11-03 on; the outcomes run to the stream's last full week.
	lastEnd := schemas.Week.Next(to)
	lastEnd = lastEnd.AddDate(0, 0, -7) // the last complete week ends here
	c := jobs.ForecastBacktestConfig{
		Window: "week", From: time.Date(2025, 11, 3, 0, 0, 0, 0, schemas.Shanghai), To: lastEnd.AddDate(0, 0, -7),
		Horizon: horizon, History: 104, Levels: lv, Holidays: forecast.ChinaHolidays, Every: every,
	}
	return report(ctx, env, "demo", c, map[int]string{}, townEvery)
}

func evalNYC(ctx context.Context, dir string, lv []int, horizon, every, townEvery int) error {
	files, _ := filepath.Glob(filepath.Join(dir, "nyc_council_constituent_services_20*.csv"))
	if len(files) == 0 {
		return fmt.Errorf("no casework files in %s", dir)
	}
	m, reg, err := importer.Open(mappings.FS, "nyc_council.yaml")
	if err != nil {
		return err
	}
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "evalforecastnyc", ReadTimeout: 10 * time.Minute, Registry: reg})
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
	fmt.Printf("nyc: %d cases of the NYC Council casework 2019–2022 loaded\n", len(rows))
	// Forecasts after each week ending from 2020-01-06 (one year of
	// history) to the end of 2022, COVID-2020 included.
	c := jobs.ForecastBacktestConfig{
		Window: "week", From: time.Date(2020, 1, 6, 0, 0, 0, 0, schemas.Shanghai), To: time.Date(2022, 12, 26, 0, 0, 0, 0, schemas.Shanghai).AddDate(0, 0, -7*horizon),
		Horizon: horizon, History: 60, Levels: lv, Every: every,
	}
	return report(ctx, env, "nyc", c, map[int]string{jobs.ForecastCounty: "borough", jobs.ForecastTown: "community-board"}, townEvery)
}

func report(ctx context.Context, env *toolenv.Env, name string, c jobs.ForecastBacktestConfig, labels map[int]string, townEvery int) error {
	var upper []int
	town := false
	for _, l := range c.Levels {
		if l == jobs.ForecastTown {
			town = true
		} else {
			upper = append(upper, l)
		}
	}
	if len(upper) > 0 {
		cu := c
		cu.Levels = upper
		if err := printLevels(ctx, env, name, cu, labels); err != nil {
			return err
		}
	}
	if town {
		ct := c
		ct.Levels, ct.Every = []int{jobs.ForecastTown}, townEvery
		if err := printLevels(ctx, env, name, ct, labels); err != nil {
			return err
		}
	}
	if !hasLevels(c.Levels, jobs.ForecastCity, jobs.ForecastCounty) {
		return nil
	}
	t0 := time.Now()
	rec, err := jobs.BacktestReconciled(ctx, env.Store, c)
	if err != nil {
		return err
	}
	fmt.Printf("%s: city–county reconciliation backtest in %.0f s (same origins; MinT after %d origins of one-step errors)\n", name, time.Since(t0).Seconds(), 12)
	for _, m := range []string{forecast.ReconBase, forecast.ReconBU, forecast.ReconMinT, forecast.ReconMinTHull, forecast.ReconMinTNaiveHull} {
		for _, r := range rec[m] {
			l := labels[r.Level]
			if l == "" {
				l = jobs.ForecastLevelName(r.Level)
			}
			s := r.Score
			fmt.Printf("forecast %s %s level %s h=%d: MASE ratio to seasonal naive %.3f; coverage80 %.3f; coverage95 %.3f; pinball %.3f\n",
				name, m, l, r.H, s.MASERatio(), s.Coverage80(), s.Coverage95(), s.Pinball())
		}
	}
	return nil
}

func printLevels(ctx context.Context, env *toolenv.Env, name string, c jobs.ForecastBacktestConfig, labels map[int]string) error {
	t0 := time.Now()
	res, err := jobs.BacktestForecasts(ctx, env.Store, c)
	if err != nil {
		return err
	}
	fmt.Printf("%s: backtest of %d level×horizon cells in %.0f s (origins %s … %s, every %d week)\n", name, len(res), time.Since(t0).Seconds(),
		c.From.Format(time.DateOnly), c.To.Format(time.DateOnly), c.Every)
	for _, r := range res {
		l := labels[r.Level]
		if l == "" {
			l = jobs.ForecastLevelName(r.Level)
		}
		s := r.Score
		fmt.Printf("forecast %s level %s h=%d: MASE ratio to seasonal naive %.3f; coverage80 %.3f; coverage95 %.3f\n", name, l, r.H, s.MASERatio(), s.Coverage80(), s.Coverage95())
		fmt.Printf("  MASE %.3f (seasonal naive %.3f); sMAPE %.1f; pinball %.3f; %d forecasts; models %s\n",
			s.MASE(), s.NaiveScal/float64(s.N), s.SMAPE(), s.Pinball(), s.N, models(r.Models))
	}
	return nil
}

func hasLevels(have []int, want ...int) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

func models(m map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range m {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || (l[i].v == l[j].v && l[i].k < l[j].k) })
	var b strings.Builder
	for i, x := range l {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%d", x.k, x.v)
	}
	return b.String()
}
