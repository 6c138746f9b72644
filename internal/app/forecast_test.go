package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
)

func TestForecastBacktestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"forecast"}, "Usage:"},
		{[]string{"forecast", "backtest", "--to", "2026-01-05"}, "--from"},
		{[]string{"forecast", "backtest", "--from", "2026-01-05", "--to", "x"}, "--to"},
		{[]string{"forecast", "backtest", "--from", "2026-02-02", "--to", "2026-01-05"}, "before --from"},
		{[]string{"forecast", "backtest", "--from", "2026-01-05", "--to", "2026-02-02", "--level", "village"}, "--level"},
		{[]string{"forecast", "backtest", "--from", "2026-01-05", "--to", "2026-02-02", "--horizon", "0"}, "--horizon"},
	} {
		var out, errb bytes.Buffer
		if code := MainContext(context.Background(), c.args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: stderr %q does not name %q", c.args, errb.String(), c.want)
		}
	}
}

func TestForecastJobsAreScheduled(t *testing.T) {
	s := scheduler.New(scheduler.NewMemoryRunStore(), time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), scheduler.Options{})
	if err := addForecastJobs(s, nil, jobs.Options{}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(s.Jobs(), ",")
	for _, want := range []string{"forecast_day", "forecast_week"} {
		if !strings.Contains(got, want) {
			t.Errorf("scheduled jobs %s lack %s", got, want)
		}
	}
}

// The level names the config accepts are the jobs' forecast levels; the
// default config forecasts city and county daily and every level weekly.
func TestForecastLevelsFromConfig(t *testing.T) {
	for _, n := range config.ForecastLevelNames {
		if l, ok := jobs.ForecastLevelByName(n); !ok || jobs.ForecastLevelName(l) != n {
			t.Errorf("config level %q: jobs level %d, %v", n, l, ok)
		}
	}
	c := config.Default()
	day, err := forecastLevels("jobs.forecast.day_levels", c.Jobs.Forecast.DayLevels)
	if err != nil || fmt.Sprint(day) != "[2 3]" {
		t.Errorf("default day levels %v, %v; want [2 3]", day, err)
	}
	week, err := forecastLevels("jobs.forecast.week_levels", c.Jobs.Forecast.WeekLevels)
	if err != nil || fmt.Sprint(week) != "[2 3 4 5]" {
		t.Errorf("default week levels %v, %v; want [2 3 4 5]", week, err)
	}
	if _, err := forecastLevels("jobs.forecast.day_levels", []string{"city", "towns"}); err == nil || !strings.Contains(err.Error(), "jobs.forecast.day_levels[1]: ") {
		t.Errorf("bad level name: error %v", err)
	}
}

// A start catches up the jobs in the order they were added: the forecasts
// come with the index jobs, before the reports (extra jobs) that wait for
// them, so that the week's report does not wait behind every other report,
// and the weekly forecast before the daily one, which it does not read.
func TestNewSchedulerAddsTheForecastsBeforeTheReports(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	report := scheduler.Job{Name: "reports_week", Window: schemas.Week, Spec: "30 8 * * 1", After: []string{"forecast_week"},
		Run: func(context.Context, time.Time) (uint64, error) { return 0, nil }}
	s, err := newScheduler(config.Default(), nil, reg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, report)
	if err != nil {
		t.Fatal(err)
	}
	names := s.Jobs()
	at := func(name string) int {
		t.Helper()
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("scheduled jobs %v lack %s", names, name)
		}
		return i
	}
	if r := at("reports_week"); at("forecast_day") > r || at("forecast_week") > r || at("kpi_week") > r || r != len(names)-1 {
		t.Errorf("scheduled jobs in the order %v: want the forecasts with the index jobs, before reports_week, and it last", names)
	}
	if at("forecast_week") > at("forecast_day") {
		t.Errorf("scheduled jobs in the order %v: want forecast_week, which the weekly report waits for, before forecast_day", names)
	}
}
