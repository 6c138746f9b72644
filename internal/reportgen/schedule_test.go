package reportgen

import (
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/scheduler"
)

// The default schedules fire at 08:00 daily, 08:30 on Mondays and 09:00 on
// the 1st, Beijing time, whatever the zone of the clock; a run renders the
// window that ended before it.
func TestScheduleTimes(t *testing.T) {
	after := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC) // Thu 26 Nov 07:00 in Shanghai
	for _, c := range []struct {
		spec string
		w    scheduler.Window
		next string
		end  string
	}{
		{"0 8 * * *", scheduler.Day, "2026-11-26T08:00:00+08:00", "2026-11-26"},
		{"30 8 * * 1", scheduler.Week, "2026-11-30T08:30:00+08:00", "2026-11-30"},
		{"0 9 1 * *", scheduler.Month, "2026-12-01T09:00:00+08:00", "2026-12-01"},
	} {
		n, err := Schedule{Spec: c.spec, Window: c.w}.Next(after)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Format(time.RFC3339); got != c.next {
			t.Errorf("%s fires at %s, want %s", c.spec, got, c.next)
		}
		if got := c.w.Align(n).Format(time.DateOnly); got != c.end {
			t.Errorf("%s renders the %s window ending %s, want %s", c.spec, c.w, got, c.end)
		}
	}
	if _, err := (Schedule{Spec: "TZ="}).Next(after); err == nil {
		t.Error("a bare TZ= spec was accepted")
	}
}
