package schemas

import (
	"fmt"
	"time"
)

// Window is the period a job computes: a day, an ISO week starting on Monday,
// or a calendar month, all in the deployment time zone (Zone).
//
// A window is the half-open interval [start, end) between two local
// midnights. Windows are named by their end: the day window ending at
// 2026-03-02 00:00 covers 2026-03-01; the week window ending on a Monday at
// 00:00 covers the seven days before it; the month window ending on the 1st at
// 00:00 covers the previous month. The zero value is not a valid Window.
type Window int

// The windows a job can have.
const (
	Day Window = iota + 1
	Week
	Month
)

// String returns "day", "week" or "month".
func (w Window) String() string {
	switch w {
	case Day:
		return "day"
	case Week:
		return "week"
	case Month:
		return "month"
	}
	return fmt.Sprintf("Window(%d)", int(w))
}

// Valid reports whether w is Day, Week or Month.
func (w Window) Valid() bool { return w == Day || w == Week || w == Month }

// ParseWindow returns the Window named s ("day", "week" or "month").
func ParseWindow(s string) (Window, error) {
	switch s {
	case "day":
		return Day, nil
	case "week":
		return Week, nil
	case "month":
		return Month, nil
	}
	return 0, fmt.Errorf("unknown window %q (want day, week or month)", s)
}

// MarshalText implements encoding.TextMarshaler with the String form.
func (w Window) MarshalText() ([]byte, error) {
	if !w.Valid() {
		return nil, fmt.Errorf("invalid window %d", int(w))
	}
	return []byte(w.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler with ParseWindow, so a
// configuration file can say `window: week`.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// Align returns the end of the latest complete window at or before t: the
// local midnight that starts t's day (Day), the Monday 00:00 that starts t's
// ISO week (Week), or the 1st 00:00 that starts t's month (Month). A window
// end is aligned to itself. The result is in Zone() whatever t's location.
//
// Align panics if w is not valid; Add rejects such jobs, so this is a broken
// invariant.
func (w Window) Align(t time.Time) time.Time {
	t = t.In(Zone())
	y, m, d := t.Date()
	switch w {
	case Day:
		return time.Date(y, m, d, 0, 0, 0, 0, Zone())
	case Week:
		// Weekday counts from Sunday = 0; ISO weeks start on Monday.
		back := (int(t.Weekday()) + 6) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, Zone())
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, Zone())
	}
	panic(fmt.Sprintf("invalid window %d", int(w)))
}

// End is Align: the end of the latest complete window at or before t. It
// reads better next to Start.
func (w Window) End(t time.Time) time.Time { return w.Align(t) }

// Start returns the start of the latest complete window at or before t, the
// window that ends at Align(t). For a window end e, Start(e) is Prev(e).
func (w Window) Start(t time.Time) time.Time { return w.step(w.Align(t), -1) }

// Next returns the first window end strictly after t. For a window end e it is
// the end of the following window.
func (w Window) Next(t time.Time) time.Time { return w.step(w.Align(t), 1) }

// Prev returns the last window end strictly before t. For a window end e it is
// the end of the preceding window, which is also the start of e's window.
func (w Window) Prev(t time.Time) time.Time {
	a := w.Align(t)
	if a.Before(t) {
		return a
	}
	return w.step(a, -1)
}

// Between returns the window ends e with from <= e <= to, oldest first; it is
// empty when to is before from. Each end names the window that finishes at
// it, so the day windows covering the dates D1..D2 are Between(D1+1 day, D2+1
// day) at local midnight.
func (w Window) Between(from, to time.Time) []time.Time {
	if to.Before(from) {
		return nil
	}
	e := w.Align(from)
	if e.Before(from) {
		e = w.step(e, 1)
	}
	var out []time.Time
	for ; !e.After(to); e = w.step(e, 1) {
		out = append(out, e)
	}
	return out
}

// step moves the aligned end e by n windows. Calendar arithmetic (AddDate)
// rather than fixed durations keeps month lengths right and would keep local
// midnights right across a DST change too (Shanghai has none since 1991).
func (w Window) step(e time.Time, n int) time.Time {
	switch w {
	case Day:
		return e.AddDate(0, 0, n)
	case Week:
		return e.AddDate(0, 0, 7*n)
	case Month:
		// e is the 1st, so AddDate never normalises past a short month.
		return e.AddDate(0, n, 0)
	}
	panic(fmt.Sprintf("invalid window %d", int(w)))
}
