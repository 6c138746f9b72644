package reportgen

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// The default schedules fire at 08:00 daily, 08:30 on Mondays and 09:00 on
// the 1st, Beijing time, whatever the zone of the clock; a run renders the
// window that ended before it.
func TestScheduleTimes(t *testing.T) {
	after := time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC) // Thu 26 Nov 07:00 in Shanghai
	for _, c := range []struct {
		spec string
		w    schemas.Window
		next string
		end  string
	}{
		{"0 8 * * *", schemas.Day, "2026-11-26T08:00:00+08:00", "2026-11-26"},
		{"30 8 * * 1", schemas.Week, "2026-11-30T08:30:00+08:00", "2026-11-30"},
		{"0 9 1 * *", schemas.Month, "2026-12-01T09:00:00+08:00", "2026-12-01"},
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

// decodeDrivers keeps exactly the well-formed entries, whatever the input.
func FuzzDecodeDrivers(f *testing.F) {
	f.Add("A3|0.31|0.312|0.125")
	f.Add("C1|x|1|2")
	f.Add("|||")
	f.Add("A1|1e308|-0|NaN")
	f.Fuzz(func(t *testing.T, s string) {
		ds := decodeDrivers([]string{s})
		parts := strings.Split(s, "|")
		wellFormed := len(parts) == 4
		for _, p := range parts[1:] {
			if _, err := strconv.ParseFloat(p, 64); err != nil {
				wellFormed = false
			}
		}
		if wellFormed != (len(ds) == 1) {
			t.Fatalf("%q: decoded %+v, well-formed %v", s, ds, wellFormed)
		}
		if len(ds) == 1 && ds[0].Code != parts[0] {
			t.Fatalf("%q: code %q", s, ds[0].Code)
		}
	})
}
