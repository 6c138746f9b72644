package composite

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrInput is wrapped by every error caused by invalid input or
// configuration. Callers classify with errors.Is.
var ErrInput = errors.New("invalid input")

// Transform is the transform applied to an indicator value before
// goalpost normalisation.
type Transform int

const (
	// Identity leaves the value as it is.
	Identity Transform = iota
	// Log takes the natural logarithm (values ≤ 0 map to −Inf, which the
	// goalposts truncate to the lower end).
	Log
)

// String returns "identity" or "ln".
func (t Transform) String() string {
	switch t {
	case Identity:
		return "identity"
	case Log:
		return "ln"
	}
	return fmt.Sprintf("Transform(%d)", int(t))
}

// Apply returns the transformed value.
func (t Transform) Apply(x float64) float64 {
	if t == Log {
		return math.Log(x)
	}
	return x
}

// Goalposts are the fixed lower and upper bounds of an indicator on its
// value scale (before the transform), frozen from a baseline and versioned
// with the Spec.
type Goalposts struct {
	// Lo and Hi are the values that map to 0 and 10.
	Lo, Hi float64
	// Transform is applied to the value and to both goalposts.
	Transform Transform
}

// Score returns the SCRI normalised score of x on the 0–10 scale
// (RISK_INDEX.md §5.2): 10·clamp((T(x) − T(lo))/(T(hi) − T(lo)), 0, 1).
// A NaN value (missing) gives NaN.
func (g Goalposts) Score(x float64) float64 {
	if math.IsNaN(x) {
		return math.NaN()
	}
	lo, hi := g.Transform.Apply(g.Lo), g.Transform.Apply(g.Hi)
	return 10 * clamp((g.Transform.Apply(x)-lo)/(hi-lo), 0, 1)
}

// Validate reports goalposts that cannot normalise: NaN, infinite or
// non-increasing bounds, or a non-positive lower bound under Log.
func (g Goalposts) Validate() error {
	lo, hi := g.Transform.Apply(g.Lo), g.Transform.Apply(g.Hi)
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(hi > lo) {
		return fmt.Errorf("%w: goalposts [%v, %v] under %v", ErrInput, g.Lo, g.Hi, g.Transform)
	}
	if g.Transform != Identity && g.Transform != Log {
		return fmt.Errorf("%w: unknown transform %d", ErrInput, g.Transform)
	}
	return nil
}

func clamp(x, lo, hi float64) float64 {
	switch {
	case x < lo:
		return lo
	case x > hi:
		return hi
	}
	return x
}

// GoalpostScale normalises one value as COINr's n_goalposts does with
// goalposts (lo, hi, scale): y = (x − lo)/(hi − lo) for direction 1 and
// (x − hi)/(lo − hi) for direction −1, truncated to [0, 1], times scale.
func GoalpostScale(x, lo, hi, scale float64, direction int) float64 {
	var y float64
	if direction < 0 {
		y = (x - hi) / (lo - hi)
	} else {
		y = (x - lo) / (hi - lo)
	}
	return clamp(y, 0, 1) * scale
}

// finite returns the non-NaN values of x.
func finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// MinMax rescales x linearly so that its minimum maps to lo and its maximum
// to hi (COINr n_minmax). NaN entries stay NaN. When every value is equal
// the result is NaN everywhere: a constant carries no ranking information.
func MinMax(x []float64, lo, hi float64) []float64 {
	mn, mx := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if !math.IsNaN(v) {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
	}
	out := make([]float64, len(x))
	for i, v := range x {
		if math.IsNaN(v) || !(mx > mn) {
			out[i] = math.NaN()
			continue
		}
		out[i] = (v-mn)/(mx-mn)*(hi-lo) + lo
	}
	return out
}

// ZScore standardises x to the given mean and standard deviation (COINr
// n_zscore with m_sd = (mean, sd)), using the sample standard deviation
// (n − 1). NaN entries stay NaN; fewer than two values or a zero spread
// give NaN everywhere.
func ZScore(x []float64, mean, sd float64) []float64 {
	f := finite(x)
	out := make([]float64, len(x))
	var m, ss float64
	for _, v := range f {
		m += v
	}
	m /= float64(len(f))
	for _, v := range f {
		ss += (v - m) * (v - m)
	}
	s := math.Sqrt(ss / float64(len(f)-1))
	for i, v := range x {
		if math.IsNaN(v) || len(f) < 2 || !(s > 0) {
			out[i] = math.NaN()
			continue
		}
		out[i] = (v-m)/s*sd + mean
	}
	return out
}

// DistToTarget returns COINr's n_dist2targ: for direction 1,
// (x − min)/(target − min); for direction −1, (max − x)/(max − target);
// with capAtOne, values above 1 (beyond the target) become 1.
func DistToTarget(x []float64, target float64, direction int, capAtOne bool) []float64 {
	mn, mx := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if !math.IsNaN(v) {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
	}
	out := make([]float64, len(x))
	for i, v := range x {
		var y float64
		if direction < 0 {
			y = (mx - v) / (mx - target)
		} else {
			y = (v - mn) / (target - mn)
		}
		if capAtOne && y > 1 {
			y = 1
		}
		out[i] = y
	}
	return out
}

// PercentRank returns COINr's n_prank: (rank − 1)/(n − 1) with ascending
// ranks, ties taking the minimum rank, n the number of non-NaN values.
// NaN stays NaN; a single value gets NaN (0/0).
func PercentRank(x []float64) []float64 {
	f := finite(x)
	sort.Float64s(f)
	out := make([]float64, len(x))
	for i, v := range x {
		if math.IsNaN(v) {
			out[i] = math.NaN()
			continue
		}
		r := sort.SearchFloat64s(f, v) // number of values strictly below v
		out[i] = float64(r) / float64(len(f)-1)
	}
	return out
}
