package composite_test

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/indices/smallarea"
)

func TestRoundHalfUp1AndBands(t *testing.T) {
	// RISK_INDEX.md §6.2 item 7 plus the 1-dp scores of the toy file.
	th := composite.DefaultBandThresholds()
	tests := []struct {
		x    float64
		r    float64
		band composite.Band
	}{
		{1.94, 1.9, composite.BandNormal},
		{1.95, 2.0, composite.BandBlue},
		{3.449, 3.4, composite.BandBlue},
		{3.45, 3.5, composite.BandYellow},
		{6.45, 6.5, composite.BandRed},
		{4.95, 5.0, composite.BandOrange},
		{4.9324, 4.9, composite.BandYellow},
		{0, 0, composite.BandNormal},
		{10, 10, composite.BandRed},
		{0.05, 0.1, composite.BandNormal},
		{2.25, 2.3, composite.BandBlue}, // 2.25 is exact in binary; half-up, not half-even
		{1.0000000000000002, 1.0, composite.BandNormal},
	}
	for _, tc := range tests {
		r := composite.RoundHalfUp1(tc.x)
		if r != tc.r {
			t.Errorf("RoundHalfUp1(%v) = %v, want %v", tc.x, r, tc.r)
		}
		if b := th.Band(r); b != tc.band {
			t.Errorf("band of %v (%v) = %v, want %v", tc.x, r, b, tc.band)
		}
	}
	if r := composite.RoundHalfUp1(-1.25); r != -1.3 {
		t.Errorf("RoundHalfUp1(-1.25) = %v, want -1.3 (away from zero)", r)
	}
	if !math.IsNaN(composite.RoundHalfUp1(math.NaN())) || th.Band(math.NaN()) != composite.BandNA {
		t.Error("NaN must stay NaN and have no band")
	}
	for b := composite.BandNA; b <= composite.BandRed; b++ {
		p, err := composite.ParseBand(b.String())
		if err != nil || p != b {
			t.Errorf("ParseBand(%q) = %v, %v", b.String(), p, err)
		}
	}
}

func TestEscalateAndCap(t *testing.T) {
	N, B, Y, O, R, NA := composite.BandNormal, composite.BandBlue, composite.BandYellow, composite.BandOrange, composite.BandRed, composite.BandNA
	none, alert, alarm := smallarea.FlagNone, smallarea.FlagAlert95, smallarea.FlagAlarm998
	good, fair, poor := composite.ReliabilityGood, composite.ReliabilityFair, composite.ReliabilityPoor
	esc := []struct {
		in      composite.Band
		flag    smallarea.Flag
		want    composite.Band
		changed bool
	}{
		{N, none, N, false}, {N, alert, Y, true}, {B, alert, Y, true}, {Y, alert, Y, false},
		{O, alert, O, false}, {R, alert, R, false}, {N, alarm, O, true}, {Y, alarm, O, true},
		{O, alarm, O, false}, {R, alarm, R, false}, {NA, alert, Y, true}, {NA, none, NA, false},
	}
	for _, tc := range esc {
		got, ch := composite.Escalate(tc.in, tc.flag)
		if got != tc.want || ch != tc.changed {
			t.Errorf("Escalate(%v, %v) = %v, %v; want %v, %v", tc.in, tc.flag, got, ch, tc.want, tc.changed)
		}
	}
	capTests := []struct {
		in      composite.Band
		rel     composite.Reliability
		flag    smallarea.Flag
		want    composite.Band
		changed bool
	}{
		{R, poor, none, Y, true},
		{O, poor, alert, Y, true}, // an alert is not an alarm
		{O, poor, alarm, O, false},
		{R, poor, alarm, R, false},
		{Y, poor, none, Y, false},
		{B, poor, none, B, false},
		{R, fair, none, R, false},
		{R, good, none, R, false},
	}
	for _, tc := range capTests {
		got, ch := composite.CapLowReliability(tc.in, tc.rel, tc.flag, Y)
		if got != tc.want || ch != tc.changed {
			t.Errorf("CapLowReliability(%v, %v, %v) = %v, %v; want %v, %v", tc.in, tc.rel, tc.flag, got, ch, tc.want, tc.changed)
		}
	}
}

func TestHysteresis(t *testing.T) {
	th := composite.DefaultBandThresholds()
	h := composite.DefaultHysteresis()
	B, Y, O, R, NA := composite.BandBlue, composite.BandYellow, composite.BandOrange, composite.BandRed, composite.BandNA
	st := func(b composite.Band, n int) *composite.BandState { return &composite.BandState{Band: b, Below: n} }
	tests := []struct {
		name      string
		prev      *composite.BandState
		candidate composite.Band
		score     float64
		want      composite.Band
		next      composite.BandState
		held      bool
	}{
		{"no history", nil, Y, 4.0, Y, composite.BandState{Band: Y}, false},
		{"up at once", st(B, 0), O, 5.2, O, composite.BandState{Band: O}, false},
		{"up resets a pending drop", st(Y, 1), O, 5.0, O, composite.BandState{Band: O}, false},
		{"same band", st(O, 0), O, 5.5, O, composite.BandState{Band: O}, false},
		{"same band clears the count", st(O, 1), O, 5.5, O, composite.BandState{Band: O}, false},
		{"first window 0.2 below holds", st(O, 0), Y, 4.8, O, composite.BandState{Band: O, Below: 1}, true},
		{"second window 0.2 below drops", st(O, 1), Y, 4.8, Y, composite.BandState{Band: Y}, false},
		{"second window drops two bands", st(O, 1), B, 3.0, B, composite.BandState{Band: B}, false},
		{"only 0.1 below holds and resets", st(O, 1), Y, 4.9, O, composite.BandState{Band: O}, true},
		{"red holds at 6.4", st(R, 0), O, 6.4, R, composite.BandState{Band: R}, true},
		{"red: 6.3 qualifies", st(R, 0), O, 6.3, R, composite.BandState{Band: R, Below: 1}, true},
		{"no index keeps the state", st(O, 1), NA, math.NaN(), NA, composite.BandState{Band: O, Below: 1}, false},
		{"escalated band with NaN score holds", st(O, 1), Y, math.NaN(), O, composite.BandState{Band: O}, true},
	}
	for _, tc := range tests {
		got, next, held := h.Apply(tc.prev, tc.candidate, tc.score, th)
		if got != tc.want || next != tc.next || held != tc.held {
			t.Errorf("%s: got %v %+v %v, want %v %+v %v", tc.name, got, next, held, tc.want, tc.next, tc.held)
		}
	}
	// A timeline: orange, then three windows at 4.7 (yellow): held, held…
	// no: held once, dropped on the second, then yellow stays.
	var prev *composite.BandState
	var seq []composite.Band
	for _, s := range []float64{5.6, 4.7, 4.7, 4.7, 3.6} {
		b, next, _ := h.Apply(prev, th.Band(s), s, th)
		seq = append(seq, b)
		prev = &next
	}
	want := []composite.Band{O, O, Y, Y, Y}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("timeline %v, want %v", seq, want)
		}
	}
}

// decimalHalfUp1 is an independent reference for RoundHalfUp1: round the
// shortest decimal string of |x| half-up at the first decimal with
// big-number-free string arithmetic.
func decimalHalfUp1(x float64) float64 {
	s := strconv.FormatFloat(math.Abs(x), 'f', -1, 64)
	i := strings.IndexByte(s, '.')
	if i < 0 {
		s += ".0"
		i = len(s) - 2
	}
	digits := []byte(s[:i] + s[i+1:i+2])
	if len(s) > i+2 && s[i+2] >= '5' {
		for k := len(digits) - 1; k >= 0; k-- {
			if digits[k] < '9' {
				digits[k]++
				break
			}
			digits[k] = '0'
			if k == 0 {
				digits = append([]byte{'1'}, digits...)
			}
		}
	}
	r, _ := strconv.ParseFloat(string(digits[:len(digits)-1])+"."+string(digits[len(digits)-1:]), 64)
	if x < 0 {
		return -r
	}
	return r
}

func TestRoundHalfUp1MatchesDecimalRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 200000 {
		var x float64
		switch i % 3 {
		case 0:
			x = 10 * rng.Float64()
		case 1: // near ties: k/100 + 0.05 with k random
			x = float64(rng.IntN(1000))/10 + 0.05
		default: // two decimals
			x = float64(rng.IntN(100000)) / 100
		}
		if got, want := composite.RoundHalfUp1(x), decimalHalfUp1(x); got != want {
			t.Fatalf("RoundHalfUp1(%v) = %v, decimal half-up gives %v", x, got, want)
		}
	}
	if decimalHalfUp1(9.96) != 10 || decimalHalfUp1(1.95) != 2 {
		t.Fatal("the reference rounding itself is wrong")
	}
}

func TestGoalpostsScore(t *testing.T) {
	// A1's goalposts [5, 60] per 10,000 under ln: 5 → 0, 60 → 10, the
	// geometric midpoint √300 → 5, anything ≤ 5 (and 0, ln 0 = −Inf) → 0.
	g := composite.Goalposts{Lo: 5, Hi: 60, Transform: composite.Log}
	for _, tc := range []struct{ x, want float64 }{{5, 0}, {60, 10}, {math.Sqrt(300), 5}, {2, 0}, {0, 0}, {100, 10}} {
		if got := g.Score(tc.x); math.Abs(got-tc.want) > 1e-14 {
			t.Errorf("Score(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if !math.IsNaN(g.Score(math.NaN())) {
		t.Error("a missing value must stay missing")
	}
	// A share with goalposts [0, 0.25]: 0.1 → 4.
	if got := (composite.Goalposts{Lo: 0, Hi: 0.25}).Score(0.1); math.Abs(got-4) > 1e-15 {
		t.Errorf("share score %v, want 4", got)
	}
	if err := (composite.Goalposts{Lo: 0, Hi: 1, Transform: composite.Log}).Validate(); err == nil {
		t.Error("ln goalposts at 0 must be invalid")
	}
}
