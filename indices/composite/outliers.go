package composite

import (
	"math"
)

// SkewKurt returns the sample skewness and excess kurtosis of the non-NaN
// values of x with the Excel / e1071 "type 2" estimators that COINr's
// check_SkewKurt uses. Fewer than 4 values or no spread give NaN.
func SkewKurt(x []float64) (skew, kurt float64) {
	f := finite(x)
	n := float64(len(f))
	if len(f) < 4 {
		return math.NaN(), math.NaN()
	}
	var m float64
	for _, v := range f {
		m += v
	}
	m /= n
	var m2, m3, m4 float64
	for _, v := range f {
		d := v - m
		m2 += d * d
		m3 += d * d * d
		m4 += d * d * d * d
	}
	m2, m3, m4 = m2/n, m3/n, m4/n
	if !(m2 > 0) {
		return math.NaN(), math.NaN()
	}
	g1 := m3 / math.Pow(m2, 1.5)
	g2 := m4/(m2*m2) - 3
	skew = g1 * math.Sqrt(n*(n-1)) / (n - 2)
	kurt = ((n+1)*g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
	return skew, kurt
}

// The JRC/COINr outlier thresholds: a variable is flagged only when
// |skew| ≥ SkewLimit and kurtosis ≥ KurtLimit.
const (
	SkewLimit = 2.0
	KurtLimit = 3.5
)

// OutlierFlagged applies the JRC/COINr rule: flagged when |skew| ≥ 2 and
// kurtosis ≥ 3.5; it passes when either is below its threshold.
func OutlierFlagged(skew, kurt float64) bool {
	return math.Abs(skew) >= SkewLimit && kurt >= KurtLimit
}

// Treatment is the outcome of Treat.
type Treatment struct {
	// Values are the treated values (a fresh slice).
	Values []float64
	// Winsorised is the number of points winsorised.
	Winsorised int
	// LogApplied reports that winsorisation did not suffice and log_CT was
	// applied to the original values.
	LogApplied bool
	// Skew and Kurt describe the treated values.
	Skew, Kurt float64
	// Flagged reports whether the treated values still fail the rule.
	Flagged bool
}

// Treat applies COINr's default outlier treatment (RISK_INDEX.md §2.3):
// while the variable is flagged and fewer than winmax points were treated,
// replace the most extreme value on the skewed side with the next value
// (the maximum with the next highest when the skew is positive, the
// minimum with the next lowest otherwise) and re-check. If it still fails
// after winmax points, return the original values under log_CT,
// log(x − min + 0.01·(max − min)). COINr's default winmax is 5. The SCRI
// only diagnoses (goalposts already cap extremes); this is for the
// sensitivity and calibration work.
func Treat(x []float64, winmax int) Treatment {
	v := append([]float64(nil), x...)
	t := Treatment{Values: v}
	t.Skew, t.Kurt = SkewKurt(v)
	for OutlierFlagged(t.Skew, t.Kurt) && t.Winsorised < winmax {
		ext, next := -1, math.NaN()
		if t.Skew > 0 {
			for i, y := range v {
				if !math.IsNaN(y) && (ext < 0 || y > v[ext]) {
					ext = i
				}
			}
			for i, y := range v {
				if i != ext && !math.IsNaN(y) && (math.IsNaN(next) || y > next) {
					next = y
				}
			}
		} else {
			for i, y := range v {
				if !math.IsNaN(y) && (ext < 0 || y < v[ext]) {
					ext = i
				}
			}
			for i, y := range v {
				if i != ext && !math.IsNaN(y) && (math.IsNaN(next) || y < next) {
					next = y
				}
			}
		}
		if ext < 0 || math.IsNaN(next) {
			break
		}
		v[ext] = next
		t.Winsorised++
		t.Skew, t.Kurt = SkewKurt(v)
	}
	if OutlierFlagged(t.Skew, t.Kurt) {
		mn, mx := math.Inf(1), math.Inf(-1)
		for _, y := range x {
			if !math.IsNaN(y) {
				mn, mx = math.Min(mn, y), math.Max(mx, y)
			}
		}
		lv := make([]float64, len(x))
		for i, y := range x {
			lv[i] = math.Log(y - mn + 0.01*(mx-mn))
		}
		t.Values, t.LogApplied = lv, true
		t.Skew, t.Kurt = SkewKurt(lv)
	}
	t.Flagged = OutlierFlagged(t.Skew, t.Kurt)
	return t
}
