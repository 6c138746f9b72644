package demo

import (
	"crypto/sha256"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// liveStart is the fake clock's start: a Monday night, outside office
// hours, when the stream itself is quiet.
var liveStart = time.Date(2026, 12, 7, 22, 30, 0, 0, shanghai)

// TestStreamUpToNowEndsAtNow: the stream for `run --demo` covers the two
// years up to the clock at start: its first day is two years before, its
// last records are from the hours before now, none after.
func TestStreamUpToNowEndsAtNow(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 4, 5, 0, shanghai)
	o := UpTo(Options{Seed: 1, Registry: registry()}, now)
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	var first, last time.Time
	today := 0
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		if first.IsZero() {
			first = r.ReportedAt
		}
		if r.Version == 1 {
			last = r.ReportedAt
			if r.ReportedAt.In(shanghai).Format(time.DateOnly) == "2026-12-07" {
				today++
			}
		}
	}
	if got := first.In(shanghai).Format(time.DateOnly); got != "2024-12-08" {
		t.Errorf("first case reported on %s, want 2024-12-08 (two years up to 2026-12-07)", got)
	}
	if last.After(now) || now.Sub(last) > 6*time.Hour {
		t.Errorf("last case reported at %s, want within the 6 hours before %s", last, now)
	}
	if l := g.Last(); l.Before(last) || l.After(now) {
		t.Errorf("Last() = %s, want the last record's time, between the last case's report (%s) and now", l, last)
	}
	if today < 10 {
		t.Errorf("%d cases reported on the day of now, want a working day's share (at least 10)", today)
	}
}

func newTestLive(t *testing.T, rate float64, every time.Duration) *Live {
	t.Helper()
	l, err := NewLive(LiveOptions{Seed: 1, Start: liveStart, Rate: rate, OutbreakEvery: every, Registry: registry()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLiveTrickleFollowsTheClock drives the trickle with a fake clock: no
// record before the start or after the clock, new cases at the configured
// rate (3 a minute: 1,080 in six hours, give or take the Poisson noise),
// later versions of the same cases after them, and case ids that no case
// of the stream ending at the start uses.
func TestLiveTrickleFollowsTheClock(t *testing.T) {
	l := newTestLive(t, 3, -1)
	if recs := l.Until(liveStart); len(recs) != 0 {
		t.Fatalf("%d records at the start, want none", len(recs))
	}
	seen := map[string]uint32{}
	newCases := 0
	st := &streamStats{}
	var prev time.Time
	for clock := liveStart; clock.Before(liveStart.Add(6 * time.Hour)); {
		next := clock.Add(time.Minute)
		for _, r := range l.Until(next) {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				t.Fatalf("record %s v%d does not marshal: %v", r.CaseID, r.Version, err)
			}
			st.validate(b, r, registry(), next)
			if !r.ReportedAt.After(liveStart) || r.ReportedAt.After(next) {
				t.Fatalf("case %s reported at %s, outside (%s, %s]", r.CaseID, r.ReportedAt, liveStart, next)
			}
			if r.Version != seen[r.CaseID]+1 {
				t.Fatalf("case %s: version %d after %d", r.CaseID, r.Version, seen[r.CaseID])
			}
			seen[r.CaseID] = r.Version
			if r.Version == 1 {
				newCases++
				if r.ReportedAt.Before(prev) {
					t.Fatalf("case %s reported at %s, before the previous case (%s)", r.CaseID, r.ReportedAt, prev)
				}
				prev = r.ReportedAt
				if !r.ReportedAt.After(clock) {
					t.Fatalf("new case %s reported at %s, already past at the previous tick %s", r.CaseID, r.ReportedAt, clock)
				}
			}
		}
		clock = next
	}
	for _, p := range st.problems {
		t.Error(p)
	}
	if want, sd := 1080.0, math.Sqrt(1080); math.Abs(float64(newCases)-want) > 4*sd {
		t.Errorf("%d new cases in six hours at 3 a minute, want 1080 ± %.0f", newCases, 4*sd)
	}
	versions := 0
	for _, v := range seen {
		versions += int(v)
	}
	if versions <= newCases {
		t.Errorf("%d records for %d cases: no case moved on within six hours", versions, newCases)
	}
	g, err := New(UpTo(Options{Seed: 1, Registry: registry()}, liveStart))
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		if _, dup := seen[r.CaseID]; dup {
			t.Fatalf("case id %s is both in the stream and in the trickle", r.CaseID)
		}
	}
}

// TestLiveTrickleKeepsRatesAboveOneASecond: demo.rate goes up to 600 new
// cases a minute; the trickle keeps that pace (several cases within one
// second) rather than one a second at most, and its cases stay unique,
// after the start and in time order.
func TestLiveTrickleKeepsRatesAboveOneASecond(t *testing.T) {
	for _, rate := range []float64{120, 600} {
		l := newTestLive(t, rate, -1)
		seen := map[string]bool{}
		var prev time.Time
		for clock := liveStart; clock.Before(liveStart.Add(10 * time.Minute)); {
			clock = clock.Add(2 * time.Second)
			for _, r := range l.Until(clock) {
				if r.Version != 1 {
					continue
				}
				if seen[r.CaseID] || !r.ReportedAt.After(liveStart) || r.ReportedAt.After(clock) || r.ReportedAt.Before(prev) {
					t.Fatalf("rate %g: new case %s reported at %s (previous %s, clock %s), or seen before", rate, r.CaseID, r.ReportedAt, prev, clock)
				}
				seen[r.CaseID], prev = true, r.ReportedAt
			}
		}
		if want, sd := rate*10, math.Sqrt(rate*10); math.Abs(float64(len(seen))-want) > 4*sd {
			t.Errorf("%d new cases in ten minutes at %g a minute, want %.0f ± %.0f", len(seen), rate, want, 4*sd)
		}
	}
}

// TestLiveTrickleIsDeterministic: the same options give the same records,
// however the clock is stepped; another seed gives others.
func TestLiveTrickleIsDeterministic(t *testing.T) {
	digest := func(l *Live, steps int) string {
		h := sha256.New()
		end := liveStart.Add(3 * time.Hour)
		for i := 1; i <= steps; i++ {
			for _, r := range l.Until(liveStart.Add(time.Duration(i) * (end.Sub(liveStart) / time.Duration(steps)))) {
				b, _ := schemas.MarshalRecord(r)
				h.Write(b)
			}
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	a := digest(newTestLive(t, 3, 0), 1)
	if b := digest(newTestLive(t, 3, 0), 180); a != b {
		t.Errorf("one step and 180 steps differ: %s vs %s", a, b)
	}
	other, err := NewLive(LiveOptions{Seed: 2, Start: liveStart, Registry: registry()})
	if err != nil {
		t.Fatal(err)
	}
	if c := digest(other, 1); c == a {
		t.Error("seeds 1 and 2 give the same trickle")
	}
}

// TestLiveOutbreaks: with an outbreak every 30 minutes on average, six
// hours hold several, each a burst of cases of its category in its town,
// on top of the trickle's pace.
func TestLiveOutbreaks(t *testing.T) {
	l := newTestLive(t, 3, 30*time.Minute)
	end := liveStart.Add(6 * time.Hour)
	recs := l.Until(end)
	obs := l.Outbreaks()
	if len(obs) < 4 {
		t.Fatalf("%d outbreaks in six hours at one every 30 minutes, want at least 4", len(obs))
	}
	for _, o := range obs {
		if d := o.End.Sub(o.Start); d < 30*time.Minute || d > time.Hour {
			t.Errorf("outbreak %s lasts %s, want 30 to 60 minutes", o.Label, d)
		}
		if o.ExtraCases < 15 {
			t.Errorf("outbreak %s has %d extra cases, want about one a minute", o.Label, o.ExtraCases)
		}
		in := 0
		for _, r := range recs {
			if r.Version != 1 || r.ReportedAt.Before(o.Start) || r.ReportedAt.After(o.End.Add(5*time.Minute)) {
				continue
			}
			if code := effectiveCategory(r); strings.HasPrefix(r.RegionCode, o.Region[:9]) && strings.HasPrefix(code, o.Category) {
				in++
			}
		}
		if in < o.ExtraCases {
			t.Errorf("outbreak %s (%s in %s): %d cases of its category in its town during it, want at least its %d extra ones",
				o.Label, o.Category, o.Region, in, o.ExtraCases)
		}
	}
}
