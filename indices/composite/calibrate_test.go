package composite_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/indices/smallarea"
)

func TestEscalationPolicy(t *testing.T) {
	N, B, Y, O := composite.BandNormal, composite.BandBlue, composite.BandYellow, composite.BandOrange
	none, alert, alarm := smallarea.FlagNone, smallarea.FlagAlert95, smallarea.FlagAlarm998
	v0, v1 := composite.EscalationV0(), composite.DefaultEscalation()
	tests := []struct {
		name       string
		e          composite.Escalation
		b          composite.Band
		flag, prev smallarea.Flag
		want       composite.Band
		why        composite.Reason
	}{
		{"v0 alert at once", v0, B, alert, none, Y, composite.ReasonAlertEscalation},
		{"v1 first alert does not escalate", v1, B, alert, none, B, ""},
		{"v1 second alert escalates", v1, N, alert, alert, Y, composite.ReasonAlertEscalation},
		{"v1 alert after an alarm escalates", v1, B, alert, alarm, Y, composite.ReasonAlertEscalation},
		{"v1 alarm at once", v1, B, alarm, none, O, composite.ReasonAlarmEscalation},
		{"never lowers", v1, O, alert, alert, O, ""},
		{"alarm off, alert on: an alarm counts as an alert", composite.Escalation{Alert: Y, Alarm: composite.BandNA, AlertRuns: 1}, B, alarm, none, Y, composite.ReasonAlarmEscalation},
	}
	for _, tc := range tests {
		got, why := tc.e.Apply(tc.b, tc.flag, tc.prev)
		if got != tc.want || why != tc.why {
			t.Errorf("%s: got %v %q, want %v %q", tc.name, got, why, tc.want, tc.why)
		}
	}
	if err := (composite.Escalation{Alert: Y, Alarm: O, AlertRuns: 3}).Validate(); err == nil {
		t.Error("AlertRuns 3 validated")
	}
}

// An alert lifts a unit whose score sits just below yellow: under v0 the
// hysteresis then holds yellow for as long as the score stays within 0.2
// of the bound; under v1 the band follows the index once the alerts stop.
func TestFinalBandDoesNotHoldEscalations(t *testing.T) {
	scores := []float64{3.3, 3.4, 3.4, 3.4, 3.4, 3.4}
	flags := []smallarea.Flag{smallarea.FlagAlert95, smallarea.FlagAlert95, smallarea.FlagNone, smallarea.FlagNone, smallarea.FlagNone, smallarea.FlagNone}
	run := func(e composite.Escalation) []composite.Band {
		spec := composite.DefaultSpec()
		spec.Escalation = e
		var st *composite.BandState
		prev := smallarea.FlagNone
		var out []composite.Band
		for i, s := range scores {
			b, next, _ := spec.FinalBand(spec.Bands.Band(s), s, flags[i], prev, composite.ReliabilityGood, st)
			st, prev = &next, flags[i]
			out = append(out, b)
		}
		return out
	}
	Y, B := composite.BandYellow, composite.BandBlue
	want0 := []composite.Band{Y, Y, Y, Y, Y, Y}
	want1 := []composite.Band{B, Y, B, B, B, B}
	if got := run(composite.EscalationV0()); !equalBands(got, want0) {
		t.Errorf("v0: %v, want %v", got, want0)
	}
	if got := run(composite.DefaultEscalation()); !equalBands(got, want1) {
		t.Errorf("v1: %v, want %v", got, want1)
	}
}

func equalBands(a, b []composite.Band) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Scores drawn uniformly on 0.0…9.9 (100 grid values, 40 units × 52
// windows, no funnel flags, good reliability, no hysteresis effect when
// every unit has one window): the calibrated thresholds must be the
// quantiles, 5.0 / 7.5 / 9.0 / 9.7, and hit the targets exactly.
func TestCalibrateBandsQuantiles(t *testing.T) {
	var obs []composite.CalibrationObs
	for i := 0; i < 1000; i++ {
		obs = append(obs, composite.CalibrationObs{Unit: string(rune('a'+i%26)) + string(rune('a'+i/26)), Order: int64(i % 30), Score: float64(i%100) / 10})
	}
	spec := composite.DefaultSpec()
	c, err := composite.CalibrateBands(spec, obs, composite.DefaultBandTargets(), 26)
	if err != nil {
		t.Fatal(err)
	}
	want := composite.BandThresholds{Blue: 5.0, Yellow: 7.5, Orange: 9.0, Red: 9.7}
	if c.Method != composite.CalibrationQuantile || c.Thresholds != want {
		t.Fatalf("got %s %+v, want quantile %+v", c.Method, c.Thresholds, want)
	}
	for b, s := range c.Shares {
		if math.Abs(s-composite.DefaultBandTargets()[b]) > 1e-9 {
			t.Errorf("band %d share %.4f, want %.2f", b, s, composite.DefaultBandTargets()[b])
		}
	}
	if c.Rows != 1000 || c.Windows != 30 {
		t.Errorf("rows %d windows %d, want 1000 30", c.Rows, c.Windows)
	}
}

// Hysteresis holds bands up, so thresholds taken from the scores'
// quantiles alone give too many coloured windows; calibration simulates
// the published band and must come closer to the targets than the plain
// quantiles do.
func TestCalibrateBandsAccountsForHysteresis(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var obs []composite.CalibrationObs
	for u := 0; u < 30; u++ {
		level := 2 + rng.Float64()*2
		for w := 0; w < 52; w++ {
			s := composite.RoundHalfUp1(level + rng.NormFloat64()*0.6)
			obs = append(obs, composite.CalibrationObs{Unit: string(rune('A' + u)), Order: int64(w), Score: s})
		}
	}
	spec := composite.DefaultSpec()
	c, err := composite.CalibrateBands(spec, obs, composite.DefaultBandTargets(), 26)
	if err != nil {
		t.Fatal(err)
	}
	// The plain quantiles, simulated the same way: one window per unit
	// gives the index band shares, which hysteresis does not change.
	var single []composite.CalibrationObs
	for i, o := range obs {
		o.Unit = string(rune(i))
		single = append(single, o)
	}
	q, err := composite.CalibrateBands(spec, single, composite.DefaultBandTargets(), 26)
	if err != nil {
		t.Fatal(err)
	}
	qs := spec
	qs.Bands = q.Thresholds
	qs.Hysteresis.Margin = c.Margin // the same hysteresis, so that only the thresholds differ
	dist := func(s composite.BandShares) float64 {
		d := 0.0
		for b := range s {
			d += math.Abs(s[b] - composite.DefaultBandTargets()[b])
		}
		return d
	}
	withQ, err := composite.CalibrateBands(qs, obs, composite.DefaultBandTargets(), 1<<30) // too short: keeps qs.Bands, reports their shares
	if err != nil {
		t.Fatal(err)
	}
	if !(dist(c.Shares) < dist(withQ.Shares)) {
		t.Errorf("calibrated shares %v (distance %.3f) not closer to the targets than quantile thresholds' %v (%.3f)",
			c.Shares, dist(c.Shares), withQ.Shares, dist(withQ.Shares))
	}
	for b, s := range c.Shares {
		if math.Abs(s-composite.DefaultBandTargets()[b]) > 0.05 {
			t.Errorf("band %d share %.3f more than 5 pp from %.2f (%+v)", b, s, composite.DefaultBandTargets()[b], c)
		}
	}
	if !(c.Thresholds.Blue > q.Thresholds.Blue || c.Thresholds.Yellow > q.Thresholds.Yellow) {
		t.Errorf("calibrated %+v not above the quantiles %+v", c.Thresholds, q.Thresholds)
	}
}

func TestCalibrateBandsShortBaselineKeepsINFORM(t *testing.T) {
	var obs []composite.CalibrationObs
	for i := 0; i < 200; i++ {
		obs = append(obs, composite.CalibrationObs{Unit: "u", Order: int64(i % 10), Score: 1})
	}
	c, err := composite.CalibrateBands(composite.DefaultSpec(), obs, composite.DefaultBandTargets(), 26)
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != composite.CalibrationINFORM || c.Thresholds != composite.DefaultBandThresholds() {
		t.Errorf("got %s %+v, want inform %+v", c.Method, c.Thresholds, composite.DefaultBandThresholds())
	}
	if _, err := composite.CalibrateBands(composite.DefaultSpec(), obs, composite.BandShares{0.5, 0.5, 0.5, 0, 0}, 26); err == nil {
		t.Error("targets summing to 1.5 accepted")
	}
}

// At a level whose rows are all poor (below the §5.1 minimum data), the cap
// shows orange and red as yellow; the thresholds still come from the
// scores, and the published shares report the cap.
func TestCalibrateBandsLeavesTheCapOut(t *testing.T) {
	var obs []composite.CalibrationObs
	for i := 0; i < 1000; i++ {
		obs = append(obs, composite.CalibrationObs{Unit: string(rune('a'+i%26)) + string(rune('a'+i/26)), Order: int64(i % 30),
			Score: float64(i%100) / 10, Reliability: composite.ReliabilityPoor})
	}
	c, err := composite.CalibrateBands(composite.DefaultSpec(), obs, composite.DefaultBandTargets(), 26)
	if err != nil {
		t.Fatal(err)
	}
	want := composite.BandThresholds{Blue: 5.0, Yellow: 7.5, Orange: 9.0, Red: 9.7}
	if c.Thresholds != want {
		t.Errorf("thresholds %+v, want %+v", c.Thresholds, want)
	}
	if wantShares := (composite.BandShares{0.50, 0.25, 0.25, 0, 0}); math.Abs(c.Shares[2]-wantShares[2]) > 1e-9 || c.Shares[3] != 0 || c.Shares[4] != 0 {
		t.Errorf("published shares %v, want %v", c.Shares, wantShares)
	}
}

// Two units whose score alternates 3.0, 3.6, 3.0, …: consecutive
// differences of 0.6, noise 0.6/√2 = 0.42 → margin 0.4; a steady unit
// (noise 0) does not move the median of three below it when two are noisy.
func TestCalibrateBandsMarginFromNoise(t *testing.T) {
	var obs []composite.CalibrationObs
	for _, u := range []string{"a", "b", "c"} {
		for w := 0; w < 30; w++ {
			s := 3.0
			if u != "c" && w%2 == 1 {
				s = 3.6
			}
			obs = append(obs, composite.CalibrationObs{Unit: u, Order: int64(w), Score: s})
		}
	}
	c, err := composite.CalibrateBands(composite.DefaultSpec(), obs, composite.DefaultBandTargets(), 26)
	if err != nil {
		t.Fatal(err)
	}
	if c.Margin != 0.4 {
		t.Errorf("margin %v, want 0.4", c.Margin)
	}
	// Steady scores: the spec's 0.2 is the floor.
	for i := range obs {
		obs[i].Score = 3
	}
	if c, err = composite.CalibrateBands(composite.DefaultSpec(), obs, composite.DefaultBandTargets(), 26); err != nil || c.Margin != 0.2 {
		t.Errorf("steady scores: margin %v, %v; want 0.2", c.Margin, err)
	}
}

func TestHysteresisUpWindows(t *testing.T) {
	th := composite.DefaultBandThresholds()
	h := composite.Hysteresis{Margin: 0.2, Windows: 2, UpWindows: 2}
	N, B, Y, O := composite.BandNormal, composite.BandBlue, composite.BandYellow, composite.BandOrange
	st := func(b composite.Band, below, above int, pending composite.Band) *composite.BandState {
		return &composite.BandState{Band: b, Below: below, Above: above, Pending: pending}
	}
	tests := []struct {
		name      string
		prev      *composite.BandState
		candidate composite.Band
		score     float64
		want      composite.Band
		next      composite.BandState
		held      bool
	}{
		{"no history: at once", nil, O, 5.2, O, composite.BandState{Band: O}, false},
		{"first window above waits", st(B, 0, 0, N), O, 5.2, B, *st(B, 0, 1, O), true},
		{"second window above goes up to the lower candidate", st(B, 0, 1, O), Y, 3.6, Y, composite.BandState{Band: Y}, false},
		{"second window above, higher candidate: the first's", st(B, 0, 1, Y), O, 5.5, Y, composite.BandState{Band: Y}, false},
		{"back to the band resets", st(B, 0, 1, O), B, 3.0, B, composite.BandState{Band: B}, false},
		{"a drop resets a pending rise", st(Y, 0, 1, O), N, 1.0, Y, *st(Y, 1, 0, N), true},
	}
	for _, tc := range tests {
		got, next, held := h.Apply(tc.prev, tc.candidate, tc.score, th)
		if got != tc.want || next != tc.next || held != tc.held {
			t.Errorf("%s: got %v %+v %v, want %v %+v %v", tc.name, got, next, held, tc.want, tc.next, tc.held)
		}
	}
}

func TestHysteresisCarriesThroughMissingWindows(t *testing.T) {
	th := composite.DefaultBandThresholds()
	h := composite.Hysteresis{Margin: 0.2, Windows: 2, UpWindows: 2, CarryMissing: 2}
	Y, NA := composite.BandYellow, composite.BandNA
	var st *composite.BandState = &composite.BandState{Band: Y}
	var got []composite.Band
	for i := 0; i < 3; i++ {
		b, next, _ := h.Apply(st, NA, math.NaN(), th)
		st = &next
		got = append(got, b)
	}
	if want := []composite.Band{Y, Y, NA}; !equalBands(got, want) {
		t.Errorf("three windows without an index show %v, want %v", got, want)
	}
	// The index is back, at yellow: the band stays and the count resets.
	if b, next, _ := h.Apply(st, Y, 4.0, th); b != Y || next != (composite.BandState{Band: Y}) {
		t.Errorf("back at yellow: %v %+v", b, next)
	}
	// v0 shows no band at once.
	if b, _, _ := composite.DefaultHysteresis().Apply(&composite.BandState{Band: Y}, NA, math.NaN(), th); b != NA {
		t.Errorf("v0: %v, want na", b)
	}
}
