package composite

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

// Band is a warning band, ordered by severity. Red is level I, the highest
// (突发事件应对法 Art. 42).
type Band int8

const (
	// BandNA means no band: the index is not available.
	BandNA Band = iota - 1
	// BandNormal is 正常, no warning.
	BandNormal
	// BandBlue is 蓝色, level IV.
	BandBlue
	// BandYellow is 黄色, level III.
	BandYellow
	// BandOrange is 橙色, level II.
	BandOrange
	// BandRed is 红色, level I.
	BandRed
)

var bandNames = map[Band]string{BandNA: "na", BandNormal: "normal", BandBlue: "blue", BandYellow: "yellow", BandOrange: "orange", BandRed: "red"}

// String returns the stored name: "normal", "blue", "yellow", "orange",
// "red" or "na".
func (b Band) String() string {
	if s, ok := bandNames[b]; ok {
		return s
	}
	return fmt.Sprintf("Band(%d)", int(b))
}

// ParseBand is the inverse of Band.String.
func ParseBand(s string) (Band, error) {
	for b, n := range bandNames {
		if n == s {
			return b, nil
		}
	}
	return BandNA, fmt.Errorf("%w: unknown band %q", ErrInput, s)
}

// RoundHalfUp1 rounds x half-up (away from zero) to one decimal on its
// shortest decimal representation, as the golden files do (Python
// Decimal(repr(x)) with ROUND_HALF_UP; RISK_INDEX.md §5.8): 1.95 → 2.0 and
// 3.449 → 3.4, with no binary-representation surprises. NaN and ±Inf are
// returned unchanged.
func RoundHalfUp1(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	// Fast path: away from a tie the binary value rounds like its decimal
	// representation, and n/10 is the double nearest to the decimal n/10
	// (the division is correctly rounded), as ParseFloat would give.
	a := math.Abs(x)
	if v := a * 10; v < 1e12 {
		if f := v - math.Floor(v); math.Abs(f-0.5) > 1e-6 {
			r := math.Floor(v+0.5) / 10
			if x < 0 {
				return -r
			}
			return r
		}
	}
	s := strconv.FormatFloat(a, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	tenths := 0
	if len(frac) > 0 {
		tenths = int(frac[0] - '0')
	}
	up := len(frac) > 1 && frac[1] >= '5'
	n, _ := strconv.ParseInt(intPart, 10, 64)
	v := n*10 + int64(tenths)
	if up {
		v++
	}
	r, _ := strconv.ParseFloat(strconv.FormatInt(v/10, 10)+"."+strconv.FormatInt(v%10, 10), 64)
	if x < 0 {
		return -r
	}
	return r
}

// BandThresholds are the lower bounds of the warning bands on the 1-dp
// score (RISK_INDEX.md §5.5): normal < Blue ≤ blue < Yellow ≤ yellow <
// Orange ≤ orange < Red ≤ red.
type BandThresholds struct {
	// Blue, Yellow, Orange and Red are the lower bounds of those bands.
	Blue, Yellow, Orange, Red float64
}

// DefaultBandThresholds returns the SCRI v0 / INFORM thresholds 2.0, 3.5,
// 5.0 and 6.5.
func DefaultBandThresholds() BandThresholds {
	return BandThresholds{Blue: 2.0, Yellow: 3.5, Orange: 5.0, Red: 6.5}
}

// Validate reports thresholds that are not finite and strictly increasing.
func (t BandThresholds) Validate() error {
	v := []float64{t.Blue, t.Yellow, t.Orange, t.Red}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || (i > 0 && !(x > v[i-1])) {
			return fmt.Errorf("%w: band thresholds %v are not finite and increasing", ErrInput, v)
		}
	}
	return nil
}

// bandEps absorbs binary noise when comparing 1-dp scores with
// thresholds given in tenths.
const bandEps = 1e-9

// Band returns the band of a score already rounded to one decimal
// (RoundHalfUp1); NaN gives BandNA.
func (t BandThresholds) Band(score1dp float64) Band {
	switch {
	case math.IsNaN(score1dp):
		return BandNA
	case score1dp >= t.Red-bandEps:
		return BandRed
	case score1dp >= t.Orange-bandEps:
		return BandOrange
	case score1dp >= t.Yellow-bandEps:
		return BandYellow
	case score1dp >= t.Blue-bandEps:
		return BandBlue
	}
	return BandNormal
}

// Lower returns the lower bound of band b (−Inf for normal, NaN for NA).
func (t BandThresholds) Lower(b Band) float64 {
	switch b {
	case BandNormal:
		return math.Inf(-1)
	case BandBlue:
		return t.Blue
	case BandYellow:
		return t.Yellow
	case BandOrange:
		return t.Orange
	case BandRed:
		return t.Red
	}
	return math.NaN()
}

// Escalate applies the statistical escalation of RISK_INDEX.md §5.5: an
// alert_95 raises the band to at least yellow, an alarm_99.8 to at least
// orange; the funnel never lowers a band. An NA band is raised too (a unit
// without an index can still be flagged). It reports whether the band
// changed.
func Escalate(b Band, flag smallarea.Flag) (Band, bool) {
	min := BandNA
	switch flag {
	case smallarea.FlagAlert95:
		min = BandYellow
	case smallarea.FlagAlarm998:
		min = BandOrange
	}
	if min > b {
		return min, true
	}
	return b, false
}

// Escalation is the statistical escalation of RISK_INDEX.md §5.5 as a
// policy: the lowest band an alert_95 and an alarm_99.8 raise a unit to,
// how many consecutive windows with at least an alert it takes before the
// alert escalates, and whether hysteresis holds an escalated band.
type Escalation struct {
	// Alert and Alarm are the lowest bands an alert_95 and an alarm_99.8
	// raise to (BandNA: the flag does not escalate).
	Alert, Alarm Band
	// AlertRuns is the number of consecutive windows, this one included,
	// whose funnel flag is at least an alert before an alert_95 escalates
	// (1: at once; 2: the previous window flagged too; no other value).
	// An alarm always
	// escalates at once.
	AlertRuns int
	// HoldEscalated makes hysteresis act on the escalated band (SCRI v0):
	// a band raised by the funnel is then held like one the score reached,
	// so a score just below the band keeps it for as long as it stays
	// there. When false, hysteresis acts on the index band alone and the
	// funnel raises the band of the window it fires in only.
	HoldEscalated bool
}

// EscalationV0 returns the SCRI v0 policy: alert to yellow and alarm to
// orange at once, and escalated bands held by hysteresis.
func EscalationV0() Escalation {
	return Escalation{Alert: BandYellow, Alarm: BandOrange, AlertRuns: 1, HoldEscalated: true}
}

// DefaultEscalation returns the SCRI v1 policy (docs/risk.md): an alarm
// raises to orange at once; an alert raises to yellow only in its second
// consecutive flagged window (a single 95 % alert is expected in one
// window of 20 by chance); the funnel raises the band of the windows it
// fires in, and hysteresis acts on the index band only.
func DefaultEscalation() Escalation {
	return Escalation{Alert: BandYellow, Alarm: BandOrange, AlertRuns: 2, HoldEscalated: false}
}

// Validate reports a policy whose bands or run length are out of range.
func (e Escalation) Validate() error {
	for _, b := range []Band{e.Alert, e.Alarm} {
		if b < BandNA || b > BandRed {
			return fmt.Errorf("%w: escalation band %v", ErrInput, b)
		}
	}
	if e.AlertRuns < 1 || e.AlertRuns > 2 {
		return fmt.Errorf("%w: escalation alert runs %d not 1 or 2", ErrInput, e.AlertRuns)
	}
	return nil
}

// Apply raises b for this window's flag; prevFlag is the previous window's
// flag (FlagNone without one). It returns the band and the reason, "" when
// the band did not change. The funnel never lowers a band; an NA band is
// raised too.
func (e Escalation) Apply(b Band, flag, prevFlag smallarea.Flag) (Band, Reason) {
	switch {
	case flag == smallarea.FlagAlarm998 && e.Alarm != BandNA && e.Alarm > b:
		return e.Alarm, ReasonAlarmEscalation
	case flag >= smallarea.FlagAlert95 && e.Alert != BandNA && e.Alert > b &&
		(e.AlertRuns <= 1 || prevFlag >= smallarea.FlagAlert95):
		if flag == smallarea.FlagAlarm998 {
			return e.Alert, ReasonAlarmEscalation
		}
		return e.Alert, ReasonAlertEscalation
	}
	return b, ""
}

// Reliability is the data-reliability class of a unit's row, ordered from
// best to worst.
type Reliability int8

const (
	// ReliabilityGood is the default class.
	ReliabilityGood Reliability = iota
	// ReliabilityFair is set by the caller (the spec leaves its criteria to
	// calibration); it does not cap the band.
	ReliabilityFair
	// ReliabilityPoor caps the band at yellow unless the funnel alarms.
	ReliabilityPoor
)

// String returns "good", "fair" or "poor".
func (r Reliability) String() string {
	switch r {
	case ReliabilityGood:
		return "good"
	case ReliabilityFair:
		return "fair"
	case ReliabilityPoor:
		return "poor"
	}
	return fmt.Sprintf("Reliability(%d)", int(r))
}

// CapLowReliability applies the low-confidence cap of RISK_INDEX.md §5.5:
// with poor reliability and no funnel alarm (alarm_99.8) the band is capped
// at capBand (yellow in SCRI v0). It reports whether the band was lowered.
func CapLowReliability(b Band, r Reliability, flag smallarea.Flag, capBand Band) (Band, bool) {
	if r == ReliabilityPoor && flag != smallarea.FlagAlarm998 && b > capBand {
		return capBand, true
	}
	return b, false
}

// BandState is what hysteresis carries from one window to the next: the
// band in force (before the low-reliability cap), how many consecutive
// windows so far qualified for going down from it, and how many so far
// had a higher candidate band (with the lowest of those candidates).
// The job stores it with the row and passes it back for the next window.
type BandState struct {
	// Band is the band in force.
	Band Band
	// Below counts the consecutive windows so far whose score qualified for
	// going down from Band.
	Below int
	// Above counts the consecutive windows so far whose candidate band was
	// above Band without the band going up yet; Pending is the lowest of
	// their candidates (meaningful only when Above > 0).
	Above   int
	Pending Band
	// Missing counts the consecutive windows so far without an index
	// through which Band was carried.
	Missing int
}

// Hysteresis is the SCRI rule against flickering (RISK_INDEX.md §5.5): a
// band goes down only after Windows consecutive windows whose 1-dp score is
// at least Margin below the lower bound of the band in force; it goes up
// once UpWindows consecutive windows (this one included) have a higher
// candidate band, to the lowest of their candidates (1: at once, as
// §5.5 has it).
type Hysteresis struct {
	// Margin is how far below the band's lower bound a score must be (0.2).
	Margin float64
	// Windows is how many consecutive such windows it takes (2).
	Windows int
	// UpWindows is how many consecutive windows above the band in force it
	// takes to go up (0 or 1: at once).
	UpWindows int
	// CarryMissing is how many consecutive windows without an index
	// (candidate BandNA) keep showing the band in force (0: they show no
	// band). A week too thin for an index is no evidence that the risk
	// went away.
	CarryMissing int
}

// DefaultHysteresis returns the rule of RISK_INDEX.md §5.5: 0.2 below, 2
// windows, up at once.
func DefaultHysteresis() Hysteresis { return Hysteresis{Margin: 0.2, Windows: 2, UpWindows: 1} }

// Apply returns the band to publish for this window and the state to carry
// to the next, given the previous state (nil: no history), this window's
// candidate band (after escalation) and its 1-dp score. held reports that
// the previous band was kept although the candidate differs. A window with
// no candidate band (BandNA) shows the band in force for up to CarryMissing
// consecutive such windows, then BandNA; either way it neither confirms
// nor resets a pending change.
func (h Hysteresis) Apply(prev *BandState, candidate Band, score1dp float64, t BandThresholds) (band Band, next BandState, held bool) {
	if candidate == BandNA {
		if prev != nil && prev.Band != BandNA && prev.Missing < h.CarryMissing {
			next := *prev
			next.Missing++
			return prev.Band, next, true
		}
		if prev != nil {
			return BandNA, *prev, false
		}
		return BandNA, BandState{Band: BandNA}, false
	}
	if prev == nil || prev.Band == BandNA || candidate == prev.Band {
		return candidate, BandState{Band: candidate}, false
	}
	if candidate > prev.Band {
		pending := candidate
		if prev.Above > 0 && prev.Pending < pending {
			pending = prev.Pending
		}
		if prev.Above+1 >= h.UpWindows {
			return pending, BandState{Band: pending}, false
		}
		return prev.Band, BandState{Band: prev.Band, Above: prev.Above + 1, Pending: pending}, true
	}
	below := 0
	if score1dp <= t.Lower(prev.Band)-h.Margin+bandEps {
		below = prev.Below + 1
	}
	if below >= h.Windows {
		return candidate, BandState{Band: candidate}, false
	}
	return prev.Band, BandState{Band: prev.Band, Below: below}, true
}
