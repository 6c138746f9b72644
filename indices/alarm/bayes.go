package alarm

import "math"

// BayesOptions are the controls of surveillance's algo.bayes.
type BayesOptions struct {
	// B is the number of past years whose windows enter the reference
	// values (≥ 0).
	B int
	// W is the half-width of the windows of past years and, with ActY, the
	// number of immediately preceding points used (≥ 1 with ActY).
	W int
	// ActY adds the W points before t to the reference values.
	ActY bool
	// Alpha is the significance level; the bound is the 1 − α quantile.
	Alpha float64
	// Freq is the number of points per year (52 for weekly data).
	Freq int
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive); 0 means the first t with all reference values,
	// B·Freq + W + 1, and the last point.
	RangeStart, RangeEnd int
}

// Bayes1Options, Bayes2Options and Bayes3Options return the settings of
// surveillance's algo.bayes1, algo.bayes2 and algo.bayes3, which hard-code
// α = 0.05 whatever the control list says.
func Bayes1Options() BayesOptions {
	return BayesOptions{B: 0, W: 6, ActY: true, Alpha: 0.05, Freq: 52}
}

// Bayes2Options returns the settings of algo.bayes2 (see Bayes1Options).
func Bayes2Options() BayesOptions {
	return BayesOptions{B: 1, W: 6, ActY: true, Alpha: 0.05, Freq: 52}
}

// Bayes3Options returns the settings of algo.bayes3 (see Bayes1Options).
func Bayes3Options() BayesOptions {
	return BayesOptions{B: 2, W: 4, ActY: false, Alpha: 0.05, Freq: 52}
}

// Bayes runs surveillance's algo.bayes (Riebler 2004): with the reference
// values (the W points before t when ActY, and the windows t − i·Freq ± W
// for i = 1 … B), n of them and sum s, the bound is the 1 − α quantile of the
// posterior predictive negative binomial, qnbinom(1 − α, s + ½, n/(n + 1))
// (Poisson counts with a Jeffreys prior on the rate). The alarm is y > bound.
// Point.Expected is the posterior predictive mean (s + ½)/n.
func Bayes(observed []float64, opt BayesOptions) ([]Point, error) {
	const name = "bayes"
	if err := checkCounts(name, observed); err != nil {
		return nil, err
	}
	o := opt
	if o.Freq == 0 {
		o.Freq = 52
	}
	switch {
	case o.Freq < 1:
		return nil, paramErr(name, "freq must be positive (got %d)", o.Freq)
	case o.B < 0 || o.W < 0:
		return nil, paramErr(name, "b and w must be non-negative (got b=%d, w=%d)", o.B, o.W)
	case o.ActY && o.W < 1:
		return nil, paramErr(name, "w must be at least 1 with actY")
	case !o.ActY && o.B == 0:
		return nil, paramErr(name, "no reference values: b = 0 without actY")
	case !(o.Alpha > 0 && o.Alpha < 1):
		return nil, paramErr(name, "alpha must be in (0, 1) (got %v)", o.Alpha)
	}
	n := len(observed)
	need := o.B*o.Freq + o.W + 1
	if o.RangeStart == 0 && n < need {
		return nil, shortErr(name, "%d points, but b=%d years of freq=%d with w=%d need at least %d", n, o.B, o.Freq, o.W, need)
	}
	lo, hi, err := resolveRange(name, n, o.RangeStart, o.RangeEnd, need)
	if err != nil {
		return nil, err
	}
	if lo+1-o.B*o.Freq-o.W < 1 {
		return nil, shortErr(name, "the vector of observed is too short: t=%d needs %d earlier points", lo+1, o.B*o.Freq+o.W)
	}
	out := make([]Point, 0, hi-lo)
	for t := lo; t < hi; t++ { // 0-based
		var sum float64
		var cnt int
		if o.ActY {
			for s := t - o.W; s < t; s++ {
				sum += observed[s]
				cnt++
			}
		}
		for i := 1; i <= o.B; i++ {
			for s := t - i*o.Freq - o.W; s <= t-i*o.Freq+o.W; s++ {
				sum += observed[s]
				cnt++
			}
		}
		nn := float64(cnt)
		ub := qnbinom(1-o.Alpha, sum+0.5, nn/(nn+1))
		y := observed[t]
		p := Point{T: t + 1, Observed: y, UpperBound: ub, Alarm: y > ub, Expected: (sum + 0.5) / nn, Statistic: math.NaN()}
		out = append(out, p)
	}
	return out, nil
}
