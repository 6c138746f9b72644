package schemas

import (
	"testing"
	"time"
)

// useZone makes name the deployment zone for one test.
func useZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	prev := SetZone(loc)
	t.Cleanup(func() { SetZone(prev) })
	return loc
}

func TestDefaultZoneIsShanghai(t *testing.T) {
	if Zone().String() != DefaultZone {
		t.Errorf("zone %s, want %s", Zone(), DefaultZone)
	}
}

func TestWindowsInNewYork(t *testing.T) {
	ny := useZone(t, "America/New_York")
	// A complaint at 23:30 New York time on 9 March counts on 9 March: the
	// day window that holds it ends at midnight of the 10th, New York time
	// (05:00 UTC), not at a Shanghai midnight.
	at := time.Date(2024, 3, 9, 23, 30, 0, 0, ny)
	end := Day.Next(at)
	if want := time.Date(2024, 3, 10, 5, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Errorf("day window of %s ends %s, want %s", at, end.UTC(), want)
	}
	if start := Day.Start(end); !start.Equal(time.Date(2024, 3, 9, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("day window starts %s", start.UTC())
	}
	if end.Location() != ny {
		t.Errorf("window end in %s, want America/New_York", end.Location())
	}
	// The weeks of the DST changes: Monday 4 to Monday 11 March 2024 loses
	// an hour (clocks go forward on Sunday 10 March), Monday 28 October to
	// Monday 4 November gains one (back on Sunday 3 November).
	for _, c := range []struct {
		in    time.Time
		hours float64
	}{
		{time.Date(2024, 3, 10, 12, 0, 0, 0, ny), 167},
		{time.Date(2024, 11, 3, 12, 0, 0, 0, ny), 169},
		{time.Date(2024, 6, 12, 12, 0, 0, 0, ny), 168},
	} {
		e := Week.Next(c.in)
		s := Week.Start(e)
		if got := e.Sub(s).Hours(); got != c.hours {
			t.Errorf("week %s – %s: %v hours, want %v", s, e, got, c.hours)
		}
		if s.Weekday() != time.Monday || s.Hour() != 0 || e.Hour() != 0 {
			t.Errorf("week %s – %s does not run Monday midnight to Monday midnight", s, e)
		}
	}
	// The spring-forward day has 23 hours, the fall-back day 25.
	for _, c := range []struct {
		day   time.Time
		hours float64
	}{{time.Date(2024, 3, 10, 12, 0, 0, 0, ny), 23}, {time.Date(2024, 11, 3, 12, 0, 0, 0, ny), 25}} {
		e := Day.Next(c.day)
		if got := e.Sub(Day.Start(e)).Hours(); got != c.hours {
			t.Errorf("day %s: %v hours, want %v", c.day.Format(time.DateOnly), got, c.hours)
		}
	}
}
