package spatial

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Trend is the outcome of a Mann-Kendall test, spelled as pyMannKendall
// spells it.
type Trend string

// Trends.
const (
	TrendIncreasing Trend = "increasing"
	TrendDecreasing Trend = "decreasing"
	TrendNone       Trend = "no trend"
)

// MKResult is the outcome of the original Mann-Kendall test, with
// pyMannKendall's names.
type MKResult struct {
	N     int     // number of values after dropping NaN
	S     float64 // Mann-Kendall score Σ_{k<j} sign(x_j − x_k)
	VarS  float64 // variance of S, corrected for ties
	Z     float64 // standardised score with continuity correction
	P     float64 // two-sided normal p-value
	Tau   float64 // Kendall's tau, S / (n(n−1)/2)
	Trend Trend   // increasing or decreasing when |Z| exceeds the critical value
}

// MinMannKendall is the smallest number of non-NaN values MannKendall
// accepts: with fewer there is no pair to compare (pyMannKendall fails with
// a division by zero).
const MinMannKendall = 2

// MannKendall runs the original Mann-Kendall trend test at α = 0.05,
// exactly as pyMannKendall's original_test. See MannKendallAlpha.
func MannKendall(x []float64) (MKResult, error) {
	return MannKendallAlpha(x, 0.05)
}

// MannKendallAlpha runs the original Mann-Kendall trend test as
// pyMannKendall's original_test(x, alpha). NaN values are dropped first.
// With n values and tie groups of sizes t_g:
//
//	S     = Σ_{k<j} sign(x_j − x_k)
//	VarS  = (n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)) / 18
//	Z     = (S−1)/√VarS if S > 0, 0 if S = 0, (S+1)/√VarS if S < 0
//	P     = 2(1 − Φ(|Z|))
//
// and the trend is increasing or decreasing when |Z| > Φ⁻¹(1 − α/2).
// P is computed as pyMannKendall does, as 2(1 − Φ(|Z|)), so it is exactly 0
// for |Z| beyond about 8.3. Fewer than MinMannKendall values, an infinite
// value or an α outside (0, 1) is an error.
func MannKendallAlpha(x []float64, alpha float64) (MKResult, error) {
	if !(alpha > 0 && alpha < 1) {
		return MKResult{}, fmt.Errorf("significance level %v is not in (0, 1)", alpha)
	}
	v := make([]float64, 0, len(x))
	for i, xi := range x {
		if math.IsNaN(xi) {
			continue
		}
		if math.IsInf(xi, 0) {
			return MKResult{}, fmt.Errorf("value %d is %v", i+1, xi)
		}
		v = append(v, xi)
	}
	n := len(v)
	if n < MinMannKendall {
		return MKResult{}, fmt.Errorf("Mann-Kendall needs at least %d values that are not NaN, got %d", MinMannKendall, n)
	}
	var s float64
	for k := 0; k < n-1; k++ {
		for j := k + 1; j < n; j++ {
			switch {
			case v[j] > v[k]:
				s++
			case v[j] < v[k]:
				s--
			}
		}
	}
	nf := float64(n)
	varS := nf * (nf - 1) * (2*nf + 5)
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	for a := 0; a < n; {
		b := a + 1
		for b < n && sorted[b] == sorted[a] {
			b++
		}
		if t := float64(b - a); t > 1 {
			varS -= t * (t - 1) * (2*t + 5)
		}
		a = b
	}
	varS /= 18
	var z float64
	switch {
	case s > 0:
		z = (s - 1) / math.Sqrt(varS)
	case s < 0:
		z = (s + 1) / math.Sqrt(varS)
	}
	res := MKResult{
		N: n, S: s, VarS: varS, Z: z,
		P:     2 * (1 - distuv.UnitNormal.CDF(math.Abs(z))),
		Tau:   s / (0.5 * nf * (nf - 1)),
		Trend: TrendNone,
	}
	if math.Abs(z) > distuv.UnitNormal.Quantile(1-alpha/2) {
		if z < 0 {
			res.Trend = TrendDecreasing
		} else {
			res.Trend = TrendIncreasing
		}
	}
	return res, nil
}
