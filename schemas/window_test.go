package schemas

import (
	"encoding/json"
	"testing"
	"time"
)

// cst parses "2006-01-02 15:04" (or with seconds) as Shanghai wall time.
func cst(t *testing.T, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05.999999999"} {
		if v, err := time.ParseInLocation(layout, s, Shanghai); err == nil {
			return v
		}
	}
	t.Fatalf("bad test time %q", s)
	return time.Time{}
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func TestShanghaiLoaded(t *testing.T) {
	if got := Shanghai.String(); got != "Asia/Shanghai" {
		t.Fatalf("Shanghai = %q", got)
	}
	_, off := time.Date(2026, 7, 1, 12, 0, 0, 0, Shanghai).Zone()
	if off != 8*3600 {
		t.Fatalf("offset in July = %d, want 28800", off)
	}
}

func TestAlign(t *testing.T) {
	tests := []struct {
		name string
		w    Window
		t    time.Time
		want string // Shanghai wall time of the end
	}{
		{"day mid-morning covers yesterday", Day, cst(t, "2026-03-02 10:00"), "2026-03-02 00:00"},
		{"day at midnight is its own end", Day, cst(t, "2026-03-02 00:00"), "2026-03-02 00:00"},
		{"day one instant before midnight", Day, cst(t, "2026-03-01 23:59:59.999999999"), "2026-03-01 00:00"},
		{"day from UTC after local midnight", Day, utc(t, "2026-03-01T16:30:00Z"), "2026-03-02 00:00"},
		{"day from UTC before local midnight", Day, utc(t, "2026-03-01T15:59:59Z"), "2026-03-01 00:00"},
		{"day leap day", Day, cst(t, "2024-02-29 23:00"), "2024-02-29 00:00"},
		{"day new year", Day, cst(t, "2026-01-01 00:00"), "2026-01-01 00:00"},

		{"week Thursday 2026-01-01 is in ISO 2026-W01 from Monday 2025-12-29", Week, cst(t, "2026-01-01 12:00"), "2025-12-29 00:00"},
		{"week Sunday 2021-01-03 is in ISO 2020-W53", Week, cst(t, "2021-01-03 23:59"), "2020-12-28 00:00"},
		{"week Monday 2021-01-04 00:00 is its own end", Week, cst(t, "2021-01-04 00:00"), "2021-01-04 00:00"},
		{"week Tuesday 2024-12-31 is in ISO 2025-W01", Week, cst(t, "2024-12-31 08:00"), "2024-12-30 00:00"},
		{"week Sunday 2027-01-03 is in ISO 2026-W53", Week, cst(t, "2027-01-03 18:00"), "2026-12-28 00:00"},
		{"week Sunday night from UTC", Week, utc(t, "2026-01-04T15:59:59Z"), "2025-12-29 00:00"},
		{"week Monday early from UTC", Week, utc(t, "2026-01-04T16:00:00Z"), "2026-01-05 00:00"},

		{"month leap February", Month, cst(t, "2024-02-29 12:00"), "2024-02-01 00:00"},
		{"month 1st at midnight is its own end", Month, cst(t, "2024-03-01 00:00"), "2024-03-01 00:00"},
		{"month new year morning", Month, cst(t, "2026-01-01 05:00"), "2026-01-01 00:00"},
		{"month last instant of the year", Month, cst(t, "2025-12-31 23:59"), "2025-12-01 00:00"},
		{"month from UTC on the 31st", Month, utc(t, "2026-01-31T16:00:00Z"), "2026-02-01 00:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := cst(t, tc.want)
			got := tc.w.Align(tc.t)
			if !got.Equal(want) {
				t.Fatalf("%s.Align(%s) = %s, want %s", tc.w, tc.t, got, want)
			}
			if got.Location() != Shanghai {
				t.Fatalf("location = %s, want Asia/Shanghai", got.Location())
			}
			if e := tc.w.End(tc.t); !e.Equal(want) {
				t.Fatalf("End = %s, want %s", e, want)
			}
		})
	}
}

func TestStartPrevNext(t *testing.T) {
	tests := []struct {
		w                 Window
		t                 string
		start, prev, next string
	}{
		// Unaligned t: Start is the start of the latest complete window,
		// Prev the end before t, Next the end after t.
		{Day, "2026-03-02 10:00", "2026-03-01 00:00", "2026-03-02 00:00", "2026-03-03 00:00"},
		// Aligned t: Prev is the previous end (= Start).
		{Day, "2026-03-02 00:00", "2026-03-01 00:00", "2026-03-01 00:00", "2026-03-03 00:00"},
		{Day, "2024-03-01 00:00", "2024-02-29 00:00", "2024-02-29 00:00", "2024-03-02 00:00"},
		{Day, "2026-01-01 00:00", "2025-12-31 00:00", "2025-12-31 00:00", "2026-01-02 00:00"},
		{Week, "2026-01-01 12:00", "2025-12-22 00:00", "2025-12-29 00:00", "2026-01-05 00:00"},
		{Week, "2026-01-05 00:00", "2025-12-29 00:00", "2025-12-29 00:00", "2026-01-12 00:00"},
		{Month, "2024-03-15 09:00", "2024-02-01 00:00", "2024-03-01 00:00", "2024-04-01 00:00"},
		{Month, "2024-03-01 00:00", "2024-02-01 00:00", "2024-02-01 00:00", "2024-04-01 00:00"},
		{Month, "2026-01-01 00:00", "2025-12-01 00:00", "2025-12-01 00:00", "2026-02-01 00:00"},
		{Month, "2025-12-31 23:59", "2025-11-01 00:00", "2025-12-01 00:00", "2026-01-01 00:00"},
	}
	for _, tc := range tests {
		at := cst(t, tc.t)
		if got, want := tc.w.Start(at), cst(t, tc.start); !got.Equal(want) {
			t.Errorf("%s.Start(%s) = %s, want %s", tc.w, tc.t, got, want)
		}
		if got, want := tc.w.Prev(at), cst(t, tc.prev); !got.Equal(want) {
			t.Errorf("%s.Prev(%s) = %s, want %s", tc.w, tc.t, got, want)
		}
		if got, want := tc.w.Next(at), cst(t, tc.next); !got.Equal(want) {
			t.Errorf("%s.Next(%s) = %s, want %s", tc.w, tc.t, got, want)
		}
	}
}

func TestWindowLengths(t *testing.T) {
	tests := []struct {
		w     Window
		end   string // the window ending here
		hours int
	}{
		{Day, "2024-03-01 00:00", 24},
		{Week, "2026-01-05 00:00", 7 * 24},
		{Month, "2024-03-01 00:00", 29 * 24}, // February 2024, leap
		{Month, "2023-03-01 00:00", 28 * 24}, // February 2023
		{Month, "2100-03-01 00:00", 28 * 24}, // 2100 is not a leap year
		{Month, "2000-03-01 00:00", 29 * 24}, // 2000 is
		{Month, "2026-02-01 00:00", 31 * 24}, // January
		{Month, "2026-05-01 00:00", 30 * 24}, // April
		{Month, "2026-01-01 00:00", 31 * 24}, // December, across the year
	}
	for _, tc := range tests {
		end := cst(t, tc.end)
		if got := end.Sub(tc.w.Start(end)); got != time.Duration(tc.hours)*time.Hour {
			t.Errorf("%s window ending %s lasts %s, want %dh", tc.w, tc.end, got, tc.hours)
		}
	}
}

// TestISOWeekAgainstStdlib checks, for every day of 2019-2028, that the week
// window holding the day starts on a Monday midnight in the same ISO week as
// the day (time.ISOWeek is the independent reference).
func TestISOWeekAgainstStdlib(t *testing.T) {
	for d := cst(t, "2019-01-01 13:00"); d.Year() < 2029; d = d.AddDate(0, 0, 1) {
		mon := Week.Align(d)
		if mon.Weekday() != time.Monday || mon.Hour() != 0 || mon.Minute() != 0 {
			t.Fatalf("Week.Align(%s) = %s, not a Monday midnight", d, mon)
		}
		y1, w1 := d.ISOWeek()
		y2, w2 := mon.ISOWeek()
		if y1 != y2 || w1 != w2 {
			t.Fatalf("Week.Align(%s) = %s in ISO %d-W%02d, want %d-W%02d", d, mon, y2, w2, y1, w1)
		}
		if next := Week.Next(d); next.Sub(mon) != 7*24*time.Hour {
			t.Fatalf("week of %s: Next %s is not 7 days after %s", d, next, mon)
		}
	}
}

// TestShanghaiHasNoDST checks that in the years the jobs cover every day
// window lasts 24 hours and the offset stays +08:00, and that even in the
// years China kept summer time (1986-1991) window ends are local midnights.
func TestShanghaiHasNoDST(t *testing.T) {
	for e := cst(t, "1992-01-01 00:00"); e.Year() < 2031; e = Day.Next(e) {
		if _, off := e.Zone(); off != 8*3600 {
			t.Fatalf("offset at %s = %d", e, off)
		}
		if got := Day.Next(e).Sub(e); got != 24*time.Hour {
			t.Fatalf("day window after %s lasts %s", e, got)
		}
	}
	odd := 0 // days of 23 or 25 hours: calendar steps, not fixed durations, keep midnights
	for e := cst(t, "1986-01-01 00:00"); e.Year() < 1992; e = Day.Next(e) {
		if e.Hour() != 0 || e.Minute() != 0 {
			t.Fatalf("window end %s is not a local midnight", e)
		}
		if Day.Next(e).Sub(e) != 24*time.Hour {
			odd++
		}
	}
	if odd == 0 {
		t.Fatal("no summer-time change found in 1986-1991: the zone data is not the real Asia/Shanghai")
	}
}

func TestBetween(t *testing.T) {
	tests := []struct {
		name     string
		w        Window
		from, to string
		want     []string
	}{
		{"day across leap day, unaligned from", Day, "2024-02-27 12:00", "2024-03-02 00:00",
			[]string{"2024-02-28 00:00", "2024-02-29 00:00", "2024-03-01 00:00", "2024-03-02 00:00"}},
		{"day both ends inclusive", Day, "2026-03-01 00:00", "2026-03-02 00:00",
			[]string{"2026-03-01 00:00", "2026-03-02 00:00"}},
		{"day from equals to", Day, "2026-03-01 00:00", "2026-03-01 00:00", []string{"2026-03-01 00:00"}},
		{"day nothing inside", Day, "2026-03-01 01:00", "2026-03-01 23:00", nil},
		{"day to before from", Day, "2026-03-02 00:00", "2026-03-01 00:00", nil},
		{"week across the year turn", Week, "2025-12-25 00:00", "2026-01-12 00:00",
			[]string{"2025-12-29 00:00", "2026-01-05 00:00", "2026-01-12 00:00"}},
		{"month across the year turn", Month, "2023-12-01 00:00", "2024-03-01 00:00",
			[]string{"2023-12-01 00:00", "2024-01-01 00:00", "2024-02-01 00:00", "2024-03-01 00:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.w.Between(cst(t, tc.from), cst(t, tc.to))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d ends %v, want %v", len(got), got, tc.want)
			}
			for i := range got {
				if !got[i].Equal(cst(t, tc.want[i])) {
					t.Fatalf("end %d = %s, want %s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	for _, w := range []Window{Day, Week, Month} {
		got, err := ParseWindow(w.String())
		if err != nil || got != w {
			t.Errorf("ParseWindow(%q) = %v, %v", w.String(), got, err)
		}
	}
	if _, err := ParseWindow("fortnight"); err == nil {
		t.Error("ParseWindow(fortnight) succeeded")
	}
	var cfg struct{ W Window }
	if err := json.Unmarshal([]byte(`{"W":"week"}`), &cfg); err != nil || cfg.W != Week {
		t.Errorf("unmarshal week: %v, %v", cfg.W, err)
	}
	if _, err := Window(0).MarshalText(); err == nil {
		t.Error("MarshalText of the zero Window succeeded")
	}
	if Window(0).Valid() || Window(4).Valid() {
		t.Error("invalid windows reported valid")
	}
}
