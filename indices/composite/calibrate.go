package composite

import (
	"fmt"
	"math"
	"sort"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

// BandShares are shares of normal, blue, yellow, orange and red, in that
// order.
type BandShares [5]float64

// DefaultBandTargets returns the calibration target of RISK_INDEX.md §5.5:
// at least 50 % normal, about 25 % blue, 15 % yellow and 7 % orange, at
// most 3 % red.
func DefaultBandTargets() BandShares { return BandShares{0.50, 0.25, 0.15, 0.07, 0.03} }

// CalibrationObs is one baseline window of one unit: what the final band
// is computed from.
type CalibrationObs struct {
	// Unit identifies the unit; Order orders its windows (the window end).
	Unit  string
	Order int64
	// Score is the 1-dp index score (NaN: no index).
	Score float64
	// Flag is the window's funnel flag; Reliability its reliability class.
	Flag        smallarea.Flag
	Reliability Reliability
}

// Calibration methods.
const (
	// CalibrationQuantile: thresholds chosen on the baseline so that the
	// published bands (after escalation, hysteresis and the cap) come as
	// close as possible to the target shares.
	CalibrationQuantile = "quantile"
	// CalibrationINFORM: the baseline was too short; the spec's fixed
	// (INFORM) thresholds are kept.
	CalibrationINFORM = "inform"
)

// Calibration is the result of CalibrateBands.
type Calibration struct {
	// Method is CalibrationQuantile or CalibrationINFORM.
	Method string
	// Thresholds are the band lower bounds on the 1-dp score.
	Thresholds BandThresholds
	// Rows are the baseline windows with a score, Windows the distinct
	// window orders among them.
	Rows, Windows int
	// Margin is the hysteresis margin the thresholds go with: the
	// baseline's window-to-window noise of a unit's score (see
	// CalibrateBands), at least the spec's margin.
	Margin float64
	// Shares are the shares of the published bands on the baseline under
	// Thresholds and Margin, Targets the shares aimed at.
	Shares, Targets BandShares
}

// CalibrateBands derives band thresholds from a baseline (RISK_INDEX.md
// §5.5: "re-derive fixed thresholds … on the baseline, then freeze them and
// version them"). The thresholds are quantiles of the published band: on
// the 0.1 grid of the 1-dp score, red first, each is the value at which
// the share of baseline windows published at that band or above comes
// closest to the cumulative target from the top (3, 10, 25, 50 %), where
// the published bands are simulated over every unit's baseline windows in
// order with spec's escalation, hysteresis and cap (spec.FinalBand); red
// takes the lowest value whose share does not exceed its target (a ceiling,
// "≤ 3 %"); the others the closest (ties: the lower). Without hysteresis and
// escalation these are the quantiles of the scores; with them the
// thresholds rise until the held and escalated windows are counted in. The
// low-reliability cap is left out of the search (it only lowers bands where
// the data are thin); Shares are the published shares, cap included.
//
// The hysteresis margin is calibrated first, from the same baseline: a band
// goes down once the score is clearly below it, and "clearly" is the
// baseline's noise of a unit's score from one window to the next (the
// median over units of the root mean square of consecutive differences
// over √2, rounded to 0.1), never less than the spec's margin (0.2). With
// thresholds closer together than the noise, a fixed 0.2 would let every
// noisy window change the colour.
//
// With fewer than minWindows distinct windows, or fewer than 20 scored
// rows, the baseline is too short and spec.Bands (the INFORM thresholds)
// are returned with method CalibrationINFORM.
func CalibrateBands(spec Spec, obs []CalibrationObs, targets BandShares, minWindows int) (Calibration, error) {
	if err := spec.Bands.Validate(); err != nil {
		return Calibration{}, err
	}
	sum := 0.0
	for _, t := range targets {
		if !(t >= 0) {
			return Calibration{}, fmt.Errorf("%w: band targets %v", ErrInput, targets)
		}
		sum += t
	}
	if math.Abs(sum-1) > 1e-6 {
		return Calibration{}, fmt.Errorf("%w: band targets %v do not sum to 1", ErrInput, targets)
	}
	sorted := append([]CalibrationObs(nil), obs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Unit != sorted[j].Unit {
			return sorted[i].Unit < sorted[j].Unit
		}
		return sorted[i].Order < sorted[j].Order
	})
	var scores []float64
	windows := map[int64]bool{}
	for _, o := range sorted {
		if !math.IsNaN(o.Score) {
			scores = append(scores, RoundHalfUp1(o.Score))
			windows[o.Order] = true
		}
	}
	c := Calibration{Rows: len(scores), Windows: len(windows), Targets: targets, Margin: spec.Hysteresis.Margin}
	if c.Windows < minWindows || c.Rows < 20 {
		c.Method, c.Thresholds = CalibrationINFORM, spec.Bands
		c.Shares = simulateShares(spec, sorted)
		return c, nil
	}
	c.Margin = math.Max(spec.Hysteresis.Margin, RoundHalfUp1(scoreNoise(sorted)))
	spec.Hysteresis.Margin = c.Margin
	sort.Float64s(scores)
	// The grid: every tenth from the lowest score to 0.1 above the highest.
	lo, hi := tenths(scores[0]), tenths(scores[len(scores)-1])+1
	// Top down: the share of windows published at band k or above depends
	// on the thresholds of k and above only (a unit reaches k when its
	// score does, and hysteresis holds a band by that band's own bound), so
	// each threshold is set in turn, red first, to the grid value whose
	// share at or above it is closest to the cumulative target from the
	// top; red takes the lowest value that does not exceed its target (a
	// ceiling: "≤ 3 %").
	// The search leaves the low-reliability cap out: the thresholds say
	// what a score means at this level, and the cap then shows the bands
	// above it as the cap band where the data are thin (a level below the
	// §5.1 minimum data is all poor; calibrating through the cap would put
	// every threshold at the bottom).
	uncapped := spec
	uncapped.CapBand = BandRed
	var t [4]int
	above := 0.0
	for k := 3; k >= 0; k-- {
		above += targets[k+1]
		top := hi + 1
		if k < 3 {
			top = t[k+1] - 1
		}
		best, bestD := top, math.Inf(1)
		for v := top; v >= lo-1; v-- {
			cand := t
			for j := 0; j <= k; j++ {
				cand[j] = v - (k - j) // placeholders below v, increasing
			}
			sh := simulateShares(withBands(uncapped, cand), sorted)
			got := 0.0
			for b := k + 1; b < 5; b++ {
				got += sh[b]
			}
			oneSided := k == 3
			if oneSided && got > above+1e-12 {
				break // lower values only raise the share further
			}
			if d := math.Abs(got - above); d <= bestD+1e-12 || oneSided {
				best, bestD = v, d
			}
		}
		t[k] = best
		for j := 0; j < k; j++ {
			t[j] = best - (k - j)
		}
	}
	c.Method = CalibrationQuantile
	s := withBands(spec, t)
	c.Thresholds = s.Bands
	c.Shares = simulateShares(s, sorted)
	return c, nil
}

// withBands returns spec with the thresholds t (in tenths).
func withBands(spec Spec, t [4]int) Spec {
	spec.Bands = BandThresholds{Blue: float64(t[0]) / 10, Yellow: float64(t[1]) / 10, Orange: float64(t[2]) / 10, Red: float64(t[3]) / 10}
	return spec
}

// scoreNoise returns the median over units of the noise of a unit's 1-dp
// score from one window to the next: the root mean square of its
// consecutive differences divided by √2 (the standard deviation of one
// window's noise around a steady level); 0 without two consecutive scores.
// obs are sorted by unit and order.
func scoreNoise(obs []CalibrationObs) float64 {
	var per []float64
	ss, n := 0.0, 0
	flush := func() {
		if n > 0 {
			per = append(per, math.Sqrt(ss/float64(n)/2))
		}
		ss, n = 0, 0
	}
	for i := 1; i < len(obs); i++ {
		if obs[i].Unit != obs[i-1].Unit {
			flush()
			continue
		}
		a, b := RoundHalfUp1(obs[i-1].Score), RoundHalfUp1(obs[i].Score)
		if !math.IsNaN(a) && !math.IsNaN(b) {
			ss += (b - a) * (b - a)
			n++
		}
	}
	flush()
	if len(per) == 0 {
		return 0
	}
	sort.Float64s(per)
	if len(per)%2 == 1 {
		return per[len(per)/2]
	}
	return (per[len(per)/2-1] + per[len(per)/2]) / 2
}

// tenths returns x (a 1-dp score) in tenths.
func tenths(x float64) int { return int(math.Round(x * 10)) }

// simulateShares returns the shares of the published bands over obs
// (sorted by unit and order), each unit's windows run through
// spec.FinalBand in order from no history; windows without a band are not
// counted.
func simulateShares(spec Spec, obs []CalibrationObs) BandShares {
	var counts [5]int
	n := 0
	var state *BandState
	prevFlag := smallarea.FlagNone
	for i, o := range obs {
		if i == 0 || o.Unit != obs[i-1].Unit {
			state, prevFlag = nil, smallarea.FlagNone
		}
		score := RoundHalfUp1(o.Score)
		b, st, _ := spec.FinalBand(spec.Bands.Band(score), score, o.Flag, prevFlag, o.Reliability, state)
		state, prevFlag = &st, o.Flag
		if b >= BandNormal && b <= BandRed {
			counts[b]++
			n++
		}
	}
	var s BandShares
	if n == 0 {
		return s
	}
	for b := range counts {
		s[b] = float64(counts[b]) / float64(n)
	}
	return s
}
