package spatial

import (
	"errors"
	"fmt"
	"math"
)

// Category is an emerging hot spot pattern of one location, as ESRI's
// Emerging Hot Spot Analysis names them.
type Category int

// Categories. The zero value is NoPattern.
const (
	NoPattern Category = iota
	NewHotSpot
	ConsecutiveHotSpot
	IntensifyingHotSpot
	PersistentHotSpot
	DiminishingHotSpot
	SporadicHotSpot
	OscillatingHotSpot
	HistoricalHotSpot
	NewColdSpot
	ConsecutiveColdSpot
	IntensifyingColdSpot
	PersistentColdSpot
	DiminishingColdSpot
	SporadicColdSpot
	OscillatingColdSpot
	HistoricalColdSpot
)

var categoryNames = [...]string{
	NoPattern:            "No Pattern Detected",
	NewHotSpot:           "New Hot Spot",
	ConsecutiveHotSpot:   "Consecutive Hot Spot",
	IntensifyingHotSpot:  "Intensifying Hot Spot",
	PersistentHotSpot:    "Persistent Hot Spot",
	DiminishingHotSpot:   "Diminishing Hot Spot",
	SporadicHotSpot:      "Sporadic Hot Spot",
	OscillatingHotSpot:   "Oscillating Hot Spot",
	HistoricalHotSpot:    "Historical Hot Spot",
	NewColdSpot:          "New Cold Spot",
	ConsecutiveColdSpot:  "Consecutive Cold Spot",
	IntensifyingColdSpot: "Intensifying Cold Spot",
	PersistentColdSpot:   "Persistent Cold Spot",
	DiminishingColdSpot:  "Diminishing Cold Spot",
	SporadicColdSpot:     "Sporadic Cold Spot",
	OscillatingColdSpot:  "Oscillating Cold Spot",
	HistoricalColdSpot:   "Historical Cold Spot",
}

// String returns ESRI's label of the category, e.g. "New Hot Spot".
func (c Category) String() string {
	if c >= 0 && int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return fmt.Sprintf("Category(%d)", int(c))
}

// Hot reports whether c is one of the eight hot spot patterns.
func (c Category) Hot() bool { return c >= NewHotSpot && c <= HistoricalHotSpot }

// Cold reports whether c is one of the eight cold spot patterns.
func (c Category) Cold() bool { return c >= NewColdSpot && c <= HistoricalColdSpot }

// EHSAOptions controls the emerging hot spot classification. The zero value
// uses the defaults named on each field.
type EHSAOptions struct {
	// Alpha is the significance level of a single bin: a bin is a hot
	// (cold) spot when its two-sided normal p-value 2·P(Z > |z|) is at most
	// Alpha and z > 0 (z < 0). Zero means 0.05 (|z| ≥ 1.96). ESRI's own
	// level for EHSA bins is not documented in the material we could read.
	Alpha float64
	// TrendAlpha is the significance level of the Mann-Kendall trend on the
	// z-scores. Zero means 0.05.
	TrendAlpha float64
	// Share is ESRI's "ninety percent": the share of time steps a location
	// must be a hot (cold) spot to be intensifying, persistent, diminishing
	// or historical. Zero means 0.9; it must lie in (0.5, 1].
	Share float64
	// LegacySporadic uses the older ESRI wording of sporadic hot (cold)
	// spots, "an on-again then off-again hot spot", which does not demand a
	// hot (cold) final step. By default the newer ArcGIS Pro wording holds:
	// a hot spot in the final time step with an on-again/off-again history.
	LegacySporadic bool
}

// EHSAResult is the emerging hot spot outcome of one location.
type EHSAResult struct {
	Category Category
	// Trend is the Mann-Kendall test on the location's z-scores at
	// TrendAlpha (ESRI's TREND_Z and TREND_P are Trend.Z and Trend.P).
	Trend MKResult
	// Steps is the number of time steps; HotSteps and ColdSteps count the
	// significant hot and cold bins.
	Steps, HotSteps, ColdSteps int
}

// EmergingHotSpot classifies one location from its series of Gi* z-scores,
// oldest first, with bin significance from the normal p-value of each
// z-score (see EHSAOptions.Alpha). See EmergingHotSpotSig for the rules.
func EmergingHotSpot(z []float64, opts EHSAOptions) (EHSAResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return EHSAResult{}, err
	}
	sig := make([]bool, len(z))
	for t, v := range z {
		sig[t] = normalP(v, true) <= o.Alpha // false for NaN
	}
	return classify(z, sig, o)
}

// EmergingHotSpotSig classifies one location from its series of Gi*
// z-scores, oldest first, and the caller's verdict on the significance of
// each bin (for example after a false discovery rate correction over the
// locations of each time step). A NaN z-score is never a hot or cold bin
// and is left out of the trend test.
//
// With hot = significant and z > 0, cold = significant and z < 0, n time
// steps and the share s (0.9), the rules for hot spots, in this order, are
// (cold spots mirror them, with a decreasing z trend intensifying a cold
// spot):
//
//   - hot in at least s·n steps: Historical when the final step is not
//     hot; otherwise Intensifying with a significant increasing trend,
//     Diminishing with a significant decreasing trend, else Persistent;
//   - final step hot, fewer than s·n hot steps:
//     Oscillating when some earlier step was cold;
//     New when no earlier step was hot;
//     Consecutive when the hot steps form one uninterrupted run ending at
//     the final step (at least two long);
//     else Sporadic;
//   - otherwise No Pattern Detected (with LegacySporadic, Sporadic when some
//     step was hot and none cold).
//
// ESRI's definitions overlap in two places, resolved here as follows. A
// location whose only earlier significant bins are cold and whose final bin
// is hot fits both "new" and "oscillating"; it is Oscillating, the more
// specific pattern (sfdep likewise lets New and Consecutive have no earlier
// significant bins of either sign). A location hot in at least s·n steps
// but not in the final one fits both "persistent" (which ESRI words
// without the final step) and "historical"; it is Historical.
func EmergingHotSpotSig(z []float64, significant []bool, opts EHSAOptions) (EHSAResult, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return EHSAResult{}, err
	}
	if len(significant) != len(z) {
		return EHSAResult{}, fmt.Errorf("%d z-scores but %d significance flags", len(z), len(significant))
	}
	return classify(z, significant, o)
}

// withDefaults fills in zero fields and checks the rest.
func (o EHSAOptions) withDefaults() (EHSAOptions, error) {
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.TrendAlpha == 0 {
		o.TrendAlpha = 0.05
	}
	if o.Share == 0 {
		o.Share = 0.9
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return o, fmt.Errorf("bin significance level %v is not in (0, 1)", o.Alpha)
	}
	if !(o.TrendAlpha > 0 && o.TrendAlpha < 1) {
		return o, fmt.Errorf("trend significance level %v is not in (0, 1)", o.TrendAlpha)
	}
	if !(o.Share > 0.5 && o.Share <= 1) {
		return o, fmt.Errorf("share %v is not in (0.5, 1]", o.Share)
	}
	return o, nil
}

// classify applies the rules documented on EmergingHotSpotSig.
func classify(z []float64, sig []bool, o EHSAOptions) (EHSAResult, error) {
	n := len(z)
	if n == 0 {
		return EHSAResult{}, errors.New("no time steps")
	}
	for t, v := range z {
		if math.IsInf(v, 0) {
			return EHSAResult{}, fmt.Errorf("z-score of time step %d is %v", t+1, v)
		}
	}
	trend, err := MannKendallAlpha(z, o.TrendAlpha)
	if err != nil {
		return EHSAResult{}, fmt.Errorf("cannot test the trend of the z-scores: %w", err)
	}
	hot := make([]bool, n)
	cold := make([]bool, n)
	res := EHSAResult{Trend: trend, Steps: n}
	for t, v := range z {
		hot[t] = sig[t] && v > 0
		cold[t] = sig[t] && v < 0
		if hot[t] {
			res.HotSteps++
		}
		if cold[t] {
			res.ColdSteps++
		}
	}
	// A tiny allowance so that 9 of 10 steps meet a share of 0.9 despite
	// rounding in 0.9·10.
	enough := func(k int) bool { return float64(k) >= o.Share*float64(n)-1e-9 }

	type side struct {
		this, other                                      []bool
		count                                            int
		rising, falling                                  bool // trend that intensifies / diminishes
		newC, consC, intC, persC, dimC, spoC, oscC, hisC Category
	}
	hs := side{this: hot, other: cold, count: res.HotSteps,
		rising: trend.Trend == TrendIncreasing, falling: trend.Trend == TrendDecreasing,
		newC: NewHotSpot, consC: ConsecutiveHotSpot, intC: IntensifyingHotSpot, persC: PersistentHotSpot,
		dimC: DiminishingHotSpot, spoC: SporadicHotSpot, oscC: OscillatingHotSpot, hisC: HistoricalHotSpot}
	cs := side{this: cold, other: hot, count: res.ColdSteps,
		rising: trend.Trend == TrendDecreasing, falling: trend.Trend == TrendIncreasing,
		newC: NewColdSpot, consC: ConsecutiveColdSpot, intC: IntensifyingColdSpot, persC: PersistentColdSpot,
		dimC: DiminishingColdSpot, spoC: SporadicColdSpot, oscC: OscillatingColdSpot, hisC: HistoricalColdSpot}

	final := n - 1
	for _, s := range []side{hs, cs} {
		if !enough(s.count) {
			continue
		}
		switch {
		case !s.this[final]:
			res.Category = s.hisC
		case s.rising:
			res.Category = s.intC
		case s.falling:
			res.Category = s.dimC
		default:
			res.Category = s.persC
		}
		return res, nil
	}
	for _, s := range []side{hs, cs} {
		if !s.this[final] {
			continue
		}
		otherBefore := false
		for t := 0; t < final; t++ {
			otherBefore = otherBefore || s.other[t]
		}
		run := 0 // length of the run of this side's bins ending at the final step
		for t := final; t >= 0 && s.this[t]; t-- {
			run++
		}
		switch {
		case otherBefore:
			res.Category = s.oscC
		case s.count == 1:
			res.Category = s.newC
		case s.count == run:
			res.Category = s.consC
		default:
			res.Category = s.spoC
		}
		return res, nil
	}
	if o.LegacySporadic {
		switch {
		case res.HotSteps > 0 && res.ColdSteps == 0:
			res.Category = SporadicHotSpot
		case res.ColdSteps > 0 && res.HotSteps == 0:
			res.Category = SporadicColdSpot
		}
	}
	return res, nil
}
