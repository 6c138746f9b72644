package app

import (
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
)

// TestDemoDaysShortensTheHistory: the stream of `run --demo` covers the two
// years up to the start, or with demo.days only its last days (the start's
// day included), and no case after the start.
func TestDemoDaysShortensTheHistory(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	start := time.Date(2026, 3, 10, 15, 30, 0, 0, cst)
	span := func(days int) (first, last time.Time, n int) {
		t.Helper()
		cfg := config.Default()
		cfg.Demo.Enabled, cfg.Demo.Days = true, days
		gen, err := demo.New(demoOptions(cfg, reg, start))
		if err != nil {
			t.Fatal(err)
		}
		for {
			r, ok := gen.Next()
			if !ok || (days == 0 && n > 0) { // two years: the first record is enough
				return first, last, n
			}
			if n == 0 || r.ReportedAt.Before(first) {
				first = r.ReportedAt
			}
			if r.ReportedAt.After(last) {
				last = r.ReportedAt
			}
			n++
		}
	}
	first, _, _ := span(0)
	if two := start.AddDate(-2, 0, 0); first.Before(two.AddDate(0, 0, -1)) || first.After(two.AddDate(0, 0, 7)) {
		t.Errorf("without demo.days the stream starts %s, want about two years before %s", first, start)
	}
	first, last, n := span(60)
	from := time.Date(2026, 1, 10, 0, 0, 0, 0, cst) // 60 days up to 2026-03-10
	if n == 0 || first.Before(from) || first.After(from.AddDate(0, 0, 3)) || last.After(start) {
		t.Errorf("demo.days 60: %d records reported from %s to %s, want from %s (or the next days) to at most %s",
			n, first.In(cst), last.In(cst), from, start)
	}
}
