package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
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
	if err := addForecastJobs(s, nil); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(s.Jobs(), ",")
	for _, want := range []string{"forecast_day", "forecast_week"} {
		if !strings.Contains(got, want) {
			t.Errorf("scheduled jobs %s lack %s", got, want)
		}
	}
}
