package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
)

const forecastUsage = `Usage:
  riskwatch forecast backtest --from D --to D [--level L] [--horizon H] [--every N] [--config FILE]

backtest forecasts weekly counts per level (city, county, town) × category
group after every week ending from --from to --to (local dates YYYY-MM-DD,
Mondays), for 1..H weeks ahead, and prints per level and horizon the MASE
ratio to seasonal naive, MASE, sMAPE, the coverage of the 80 % and 95 %
intervals and the pinball loss.
`

// forecastCommand is `riskwatch forecast …`.
func forecastCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "backtest" {
		fmt.Fprint(stderr, forecastUsage)
		return 2
	}
	fs := flag.NewFlagSet("riskwatch forecast backtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file")
	from := fs.String("from", "", "first origin: a week end, local date YYYY-MM-DD (required)")
	to := fs.String("to", "", "last origin: a week end, local date YYYY-MM-DD (required)")
	level := fs.String("level", "", "only this level: city, county or town (default: all)")
	horizon := fs.Int("horizon", 4, "largest horizon in weeks (1..13)")
	every := fs.Int("every", 1, "use every n-th week as an origin")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	f, err1 := time.ParseInLocation(time.DateOnly, *from, schemas.Zone())
	t, err2 := time.ParseInLocation(time.DateOnly, *to, schemas.Zone())
	var levels []int
	switch *level {
	case "":
	case "city":
		levels = []int{jobs.ForecastCity}
	case "county":
		levels = []int{jobs.ForecastCounty}
	case "town":
		levels = []int{jobs.ForecastTown}
	default:
		fmt.Fprintf(stderr, "riskwatch forecast backtest: --level: %q is not city, county or town\n", *level)
		return 2
	}
	switch {
	case *from == "" || err1 != nil:
		fmt.Fprintf(stderr, "riskwatch forecast backtest: --from: %q is not a date YYYY-MM-DD\n", *from)
		return 2
	case *to == "" || err2 != nil:
		fmt.Fprintf(stderr, "riskwatch forecast backtest: --to: %q is not a date YYYY-MM-DD\n", *to)
		return 2
	case t.Before(f):
		fmt.Fprintln(stderr, "riskwatch forecast backtest: --to is before --from")
		return 2
	case *horizon < 1 || *horizon > 13:
		fmt.Fprintf(stderr, "riskwatch forecast backtest: --horizon: %d is not in 1..13\n", *horizon)
		return 2
	case *every < 1:
		fmt.Fprintf(stderr, "riskwatch forecast backtest: --every: %d is not positive\n", *every)
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch forecast backtest: %v\n", err)
		return 2
	}
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch forecast backtest: %v\n", err)
		return 1
	}
	defer cleanup()
	// Week ends are Mondays: round the dates up to the next week end.
	res, err := jobs.BacktestForecasts(ctx, st, jobs.ForecastBacktestConfig{
		Window: "week", From: weekEndOnOrAfter(f), To: weekEndOnOrAfter(t), Horizon: *horizon,
		Levels: levels, Holidays: forecast.ChinaHolidays, Every: *every,
	})
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch forecast backtest: %v\n", err)
		return 1
	}
	if len(res) == 0 {
		fmt.Fprintln(stdout, "forecast backtest: no series with history in that period")
		return 0
	}
	PrintForecastScores(stdout, "store", res)
	return 0
}

func weekEndOnOrAfter(d time.Time) time.Time {
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// PrintForecastScores prints one line per level and horizon in the format
// of make eval-forecast, each followed by the detail line.
func PrintForecastScores(w io.Writer, dataset string, res []forecast.LevelScore) {
	for _, r := range res {
		s := r.Score
		fmt.Fprintf(w, "forecast %s level %s h=%d: MASE ratio to seasonal naive %.3f; coverage80 %.3f; coverage95 %.3f\n",
			dataset, jobs.ForecastLevelName(r.Level), r.H, s.MASERatio(), s.Coverage80(), s.Coverage95())
		var ms []string
		for m, c := range r.Models {
			ms = append(ms, fmt.Sprintf("%s:%d", m, c))
		}
		sort.Strings(ms)
		fmt.Fprintf(w, "  MASE %.3f; sMAPE %.1f; pinball %.3f; %d forecasts; models %s\n", s.MASE(), s.SMAPE(), s.Pinball(), s.N, strings.Join(ms, " "))
	}
}

// addForecastJobs schedules forecast_day and forecast_week after the index
// jobs, with the levels of opts.
func addForecastJobs(s *scheduler.Scheduler, st jobs.ForecastStore, opts jobs.Options) error {
	for _, j := range jobs.ForecastJobs(st, time.Now, opts) {
		if err := s.Add(j); err != nil {
			return err
		}
	}
	return nil
}
