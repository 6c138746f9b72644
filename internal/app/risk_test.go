package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/internal/app"
)

// Bad flags of `riskwatch risk calibrate` exit 2 and name the flag,
// before any store is opened.
func TestRiskCalibrateFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"risk"}, "riskwatch risk calibrate --level"},
		{[]string{"risk", "calibrate", "--level", "village", "--baseline-from", "2025-01-01", "--baseline-to", "2025-12-31"}, "--level"},
		{[]string{"risk", "calibrate", "--level", "town", "--baseline-from", "2025-13-01", "--baseline-to", "2025-12-31"}, "--baseline-from"},
		{[]string{"risk", "calibrate", "--level", "town", "--baseline-from", "2025-01-01"}, "--baseline-to"},
		{[]string{"risk", "calibrate", "--level", "4", "--window", "day", "--baseline-from", "2025-01-01", "--baseline-to", "2025-12-31"}, "--window"},
		{[]string{"risk", "calibrate", "--level", "county", "--baseline-from", "2025-02-01", "--baseline-to", "2025-01-01"}, "before"},
	} {
		var out, errb bytes.Buffer
		if code := app.MainContext(context.Background(), tc.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// The calibration through the command line: on a fresh database without
// risk rows the baseline is too short, so the INFORM thresholds are stored
// as a version of each level and window.
func TestRiskCalibrateThroughTheCommandLine(t *testing.T) {
	cfg := testConfig(t)
	var out, errb bytes.Buffer
	code := app.MainContext(context.Background(), []string{"risk", "calibrate", "--config", cfg, "--level", "all",
		"--baseline-from", "2025-01-01", "--baseline-to", "2025-12-31"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	for _, want := range []string{"inform-week-L3-20250101-20260101@", "inform-week-L4-", "inform-month-L3-", "inform-month-L4-",
		"blue ≥ 2.0, yellow ≥ 3.5, orange ≥ 5.0, red ≥ 6.5"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}
