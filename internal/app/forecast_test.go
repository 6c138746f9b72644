package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
