package reports

import (
	"strings"
	"testing"
	"time"
)

// The risk note names the thresholds version of the rows and says what a
// colour means: the calibrated yellow share on the baseline, or the fixed
// INFORM thresholds; rows without a version add nothing.
func TestRiskNoteNamesThresholds(t *testing.T) {
	in := cityWeek(t)
	if m := build(t, in); strings.Contains(m.Risk.Note, "色阶版本") {
		t.Errorf("rows without a version: note %q", m.Risk.Note)
	}
	for i := range in.Risk {
		in.Risk[i].ThresholdsVersion = "quantile-week-L3-x"
	}
	in.RiskThresholds = []RiskThresholds{{Version: "quantile-week-L3-x", Method: "quantile",
		BaselineFrom: time.Date(2024, 11, 4, 0, 0, 0, 0, Shanghai), BaselineTo: time.Date(2025, 11, 3, 0, 0, 0, 0, Shanghai),
		BaselineShares: []float64{0.5, 0.25, 0.16, 0.07, 0.02}}}
	if m, want := build(t, in), "色阶版本quantile-week-L3-x：本色阶按2024—2025年基准校准：黄色约占16%。"; !strings.HasSuffix(m.Risk.Note, want) {
		t.Errorf("note %q, want it to end in %q", m.Risk.Note, want)
	}
	in.RiskThresholds[0].BaselineFrom = time.Date(2025, 1, 6, 0, 0, 0, 0, Shanghai)
	in.RiskThresholds[0].BaselineTo = time.Date(2026, 1, 1, 0, 0, 0, 0, Shanghai)
	if m, want := build(t, in), "本色阶按2025年基准校准：黄色约占16%。"; !strings.HasSuffix(m.Risk.Note, want) {
		t.Errorf("note %q, want it to end in %q", m.Risk.Note, want)
	}
	in.RiskThresholds = nil
	if m, want := build(t, in), "色阶版本quantile-week-L3-x：采用INFORM固定阈值"; !strings.Contains(m.Risk.Note, want) {
		t.Errorf("note %q lacks %q", m.Risk.Note, want)
	}
}
