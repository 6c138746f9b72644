package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
)

const riskUsage = `Usage:
  riskwatch risk calibrate --level L --baseline-from D --baseline-to D [--window W] [--config FILE]

calibrate derives the risk index's band thresholds of level L (county,
town, all, or the level number) from the stored risk_index rows of the
baseline (windows ending after D-from 00:00 and by the end of D-to) so that
the published bands hit the target shares of RISK_INDEX.md §5.5, stores
them as a new version in risk_thresholds, and prints them. The risk jobs use
them from their next run; run riskwatch backfill over the windows to
recompute already published bands. W is week, month or all (default all).
A baseline shorter than 26 weeks or 6 months keeps the INFORM thresholds.
`

// riskCommand is `riskwatch risk calibrate …`.
func riskCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "calibrate" {
		fmt.Fprint(stderr, riskUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return 0
		}
		return 2
	}
	fs := flag.NewFlagSet("riskwatch risk calibrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file")
	levelFlag := fs.String("level", "", "county, town, all or a level number (required)")
	windowFlag := fs.String("window", "all", "week, month or all")
	from := fs.String("baseline-from", "", "first local date of the baseline YYYY-MM-DD (required)")
	to := fs.String("baseline-to", "", "last local date of the baseline YYYY-MM-DD (required)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	levels, err := parseRiskLevels(*levelFlag)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch risk calibrate: --level: %v\n", err)
		return 2
	}
	var windows []schemas.Window
	switch *windowFlag {
	case "week":
		windows = []schemas.Window{schemas.Week}
	case "month":
		windows = []schemas.Window{schemas.Month}
	case "all":
		windows = []schemas.Window{schemas.Week, schemas.Month}
	default:
		fmt.Fprintf(stderr, "riskwatch risk calibrate: --window: %q is not week, month or all\n", *windowFlag)
		return 2
	}
	f, err1 := time.ParseInLocation("2006-01-02", *from, schemas.Zone())
	t, err2 := time.ParseInLocation("2006-01-02", *to, schemas.Zone())
	switch {
	case *from == "" || err1 != nil:
		fmt.Fprintf(stderr, "riskwatch risk calibrate: --baseline-from: %q is not a date YYYY-MM-DD\n", *from)
		return 2
	case *to == "" || err2 != nil:
		fmt.Fprintf(stderr, "riskwatch risk calibrate: --baseline-to: %q is not a date YYYY-MM-DD\n", *to)
		return 2
	case t.Before(f):
		fmt.Fprintln(stderr, "riskwatch risk calibrate: --baseline-to is before --baseline-from")
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch risk calibrate: %v\n", err)
		return 2
	}
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch risk calibrate: %v\n", err)
		return 1
	}
	defer cleanup()
	if _, err := migrateAndLoad(ctx, cfg, st, log, io.Discard); err != nil {
		fmt.Fprintf(stderr, "riskwatch risk calibrate: %v\n", err)
		return 1
	}
	note := "riskwatch risk calibrate " + strings.Join(args[1:], " ")
	for _, w := range windows {
		for _, lv := range levels {
			th, err := jobs.CalibrateRisk(ctx, st, jobs.DefaultRiskConfig(), w, lv, f, t.AddDate(0, 0, 1), time.Now(), note)
			if err != nil {
				fmt.Fprintf(stderr, "riskwatch risk calibrate: %v\n", err)
				return 1
			}
			var sh []string
			for _, s := range th.BaselineShares {
				sh = append(sh, strconv.FormatFloat(100*s, 'f', 0, 64))
			}
			fmt.Fprintf(stdout, "%s: %s level %d, %s on %d rows in %d windows: blue ≥ %.1f, yellow ≥ %.1f, orange ≥ %.1f, red ≥ %.1f, hysteresis margin %.1f; baseline shares normal/blue/yellow/orange/red %s %%\n",
				th.Version, w, int(lv), th.Method, th.BaselineRows, th.BaselineWindows, th.Blue, th.Yellow, th.Orange, th.Red, th.HysteresisMargin, strings.Join(sh, "/"))
		}
	}
	fmt.Fprintln(stdout, "the risk jobs use these thresholds from their next run; riskwatch backfill --job risk_week (or risk_month) recomputes published windows")
	return 0
}

// parseRiskLevels parses --level: county, town, all or a level number of
// jobs.RiskLevels.
func parseRiskLevels(s string) ([]schemas.Level, error) {
	switch s {
	case "county":
		return []schemas.Level{schemas.LevelCounty}, nil
	case "town":
		return []schemas.Level{schemas.LevelTown}, nil
	case "all":
		return jobs.RiskLevels, nil
	}
	n, err := strconv.Atoi(s)
	if err == nil {
		for _, lv := range jobs.RiskLevels {
			if int(lv) == n {
				return []schemas.Level{lv}, nil
			}
		}
	}
	return nil, fmt.Errorf("%q is not county, town, all or one of the levels the risk index computes", s)
}
