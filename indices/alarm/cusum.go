package alarm

import (
	"math"
)

// CUSUMOptions are the controls of surveillance's algo.cusum.
type CUSUMOptions struct {
	// K is the reference value (allowance); surveillance's default is 1.04.
	K float64
	// H is the decision interval; surveillance's default is 2.26.
	H float64
	// M is the in-control mean. NaN means algo.cusum's m = NULL: the mean
	// of all points before RangeStart.
	M float64
	// MGLM selects algo.cusum's m = "glm": a Poisson regression with one
	// harmonic of period Freq, fitted to the points before RangeStart and
	// predicted for each monitored t (time counted from t = 1). It
	// overrides M.
	MGLM bool
	// Freq is the number of points per year for MGLM (52 for weekly data).
	Freq int
	// Trans is the standardisation: "standard" (default when empty),
	// "rossi", "anscombe", "anscombe2nd", "pearsonNegBin" or "none".
	Trans string
	// Alpha is the negative binomial dispersion used by "pearsonNegBin"
	// (Var = m + α·m²); surveillance's default is 0.1.
	Alpha float64
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive). RangeStart 0 means Freq+1 (one season of history for m)
	// when m is estimated and 1 when M is given; RangeEnd 0 means the last
	// point.
	RangeStart, RangeEnd int
}

// DefaultCUSUMOptions returns algo.cusum's defaults (k = 1.04, h = 2.26,
// m estimated, trans = "standard", weekly data).
func DefaultCUSUMOptions() CUSUMOptions {
	return CUSUMOptions{K: 1.04, H: 2.26, M: math.NaN(), Freq: 52, Trans: "standard", Alpha: 0.1}
}

// CUSUM runs the Rossi et al. (1999) CUSUM exactly as surveillance's
// algo.cusum: the counts are standardised with m (e.g. z = (x − m)/√m),
// C_t = max(0, C_{t−1} + z_t − k) with C_0 = 0 at RangeStart, and the alarm
// is C_t ≥ h (non-strict; there is no reset after an alarm). The upper bound
// is the count that would have raised C_t to h given C_{t−1}; for "standard"
// surveillance rounds it up with ceiling(√m·(h + k − C_{t−1}) + m). Bounds
// below zero (and NaN) are reported as 0, as algo.cusum does.
//
// Point.Statistic is C_t and Point.Expected is m.
func CUSUM(observed []float64, opt CUSUMOptions) ([]Point, error) {
	const name = "cusum"
	if err := checkCounts(name, observed); err != nil {
		return nil, err
	}
	trans := opt.Trans
	if trans == "" {
		trans = "standard"
	}
	switch trans {
	case "standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none":
	case "anscombeNegBin":
		return nil, paramErr(name, "trans %q is not implemented", trans)
	default:
		return nil, paramErr(name, "invalid trans %q", trans)
	}
	if math.IsNaN(opt.K) || math.IsInf(opt.K, 0) || math.IsNaN(opt.H) || math.IsInf(opt.H, 0) {
		return nil, paramErr(name, "k and h must be finite (k=%v, h=%v)", opt.K, opt.H)
	}
	if trans == "pearsonNegBin" && (math.IsNaN(opt.Alpha) || opt.Alpha < 0) {
		return nil, paramErr(name, "alpha must be non-negative for pearsonNegBin (got %v)", opt.Alpha)
	}
	estimate := math.IsNaN(opt.M) || opt.MGLM
	if !estimate && (opt.M <= 0 || math.IsInf(opt.M, 0)) {
		return nil, paramErr(name, "m must be positive and finite (got %v)", opt.M)
	}
	freq := opt.Freq
	if freq == 0 {
		freq = 52
	}
	if freq < 1 {
		return nil, paramErr(name, "freq must be positive (got %d)", freq)
	}
	n := len(observed)
	defStart := 1
	if estimate {
		defStart = freq + 1
	}
	lo, hi, err := resolveRange(name, n, opt.RangeStart, opt.RangeEnd, defStart)
	if err != nil {
		return nil, err
	}
	if estimate && lo < 1 {
		return nil, shortErr(name, "m is estimated from the points before rangeStart, and rangeStart is 1")
	}
	m := make([]float64, hi-lo)
	switch {
	case opt.MGLM:
		if err := cusumGLMMean(observed[:lo], lo, hi, freq, m); err != nil {
			return nil, err
		}
	case estimate:
		mean, _ := meanSD(observed[:lo])
		for i := range m {
			m[i] = mean
		}
	default:
		for i := range m {
			m[i] = opt.M
		}
	}
	// An in-control mean of 0 (a history of zeros) makes the standardised
	// counts ±Inf or NaN, as in algo.cusum: a positive count then alarms
	// (C_t = +Inf), a zero count makes C_t NaN from there on (no alarm), and
	// NaN bounds are reported as 0. It is not an error: one quiet series
	// must not stop the others of a job.
	for _, v := range m {
		if math.IsInf(v, 0) || v < 0 {
			return nil, paramErr(name, "the in-control mean m is %v; it must be finite and not negative", v)
		}
	}
	k, h, alpha := opt.K, opt.H, opt.Alpha
	out := make([]Point, 0, hi-lo)
	var c float64 // C_{t-1}
	for i := lo; i < hi; i++ {
		x, mi := observed[i], m[i-lo]
		var z float64
		switch trans {
		case "rossi":
			z = (x - 3*mi + 2*math.Sqrt(x*mi)) / (2 * math.Sqrt(mi))
		case "standard":
			z = (x - mi) / math.Sqrt(mi)
		case "anscombe":
			z = 1.5 * (math.Pow(x, 2.0/3) - math.Pow(mi, 2.0/3)) / math.Pow(mi, 1.0/6)
		case "anscombe2nd":
			z = (math.Pow(x, 2.0/3) - (math.Pow(mi, 2.0/3) - math.Pow(mi, -1.0/3)/9)) / (2.0 / 3 * math.Pow(mi, 1.0/6))
		case "pearsonNegBin":
			z = (x - mi) / math.Sqrt(mi+alpha*mi*mi)
		case "none":
			z = x
		}
		ctm1 := c
		c = math.Max(0, c+(z-k))
		var ub float64
		switch trans {
		case "rossi":
			sm := math.Sqrt(mi)
			m32 := math.Pow(mi, 1.5)
			ub = 2*h*sm + 2*k*sm - 2*ctm1*sm + 5*mi - 2*math.Sqrt(4*mi*mi+2*m32*h+2*m32*k-2*m32*ctm1)
		case "standard":
			ub = math.Ceil(math.Sqrt(mi)*(h+k-ctm1) + mi)
		case "anscombe":
			b := (2.0/3)*math.Pow(mi, 1.0/6)*(h+k-ctm1) + math.Pow(mi, 2.0/3)
			if b < 0 {
				ub = 0
			} else {
				ub = math.Pow(b, 1.5)
			}
		case "anscombe2nd":
			b := (2.0/3)*math.Pow(mi, 1.0/6)*(h+k-ctm1) + (math.Pow(mi, 2.0/3) - math.Pow(mi, 1.0/3)/9)
			if b < 0 {
				ub = 0
			} else {
				ub = math.Pow(b, 1.5)
			}
		case "pearsonNegBin":
			ub = math.Sqrt(mi+alpha*mi*mi)*(h+k-ctm1) + mi
		case "none":
			ub = h - c
		}
		if math.IsNaN(ub) || ub < 0 {
			ub = 0
		}
		if ub == 0 {
			ub = 0 // drop the sign of ceiling(-0.x) = -0
		}
		out = append(out, Point{T: i + 1, Observed: x, UpperBound: ub, Alarm: c >= h, Expected: mi, Statistic: c})
	}
	return out, nil
}

// cusumGLMMean fits algo.cusum's m = "glm" model, x ~ 1 + cos(2πt/p) +
// sin(2πt/p) with a Poisson log link on t = 1 … lo, and predicts m for
// t = lo+1 … hi.
func cusumGLMMean(train []float64, lo, hi, freq int, m []float64) error {
	const name = "cusum"
	n := len(train)
	x := make([]float64, n*3)
	for i := 0; i < n; i++ {
		t := float64(i + 1)
		x[i*3] = 1
		x[i*3+1] = math.Cos(2 * math.Pi / float64(freq) * t)
		x[i*3+2] = math.Sin(2 * math.Pi / float64(freq) * t)
	}
	var w glmWork
	res, err := w.fit(&glmProblem{n: n, p: 3, x: x, y: train, family: famQuasiPoisson})
	if err != nil {
		return shortErr(name, "m = glm: the Poisson model cannot be fitted to the %d points before rangeStart: %v", n, err)
	}
	for i := lo; i < hi; i++ {
		t := float64(i + 1)
		eta := res.coef[0] + res.coef[1]*math.Cos(2*math.Pi/float64(freq)*t) + res.coef[2]*math.Sin(2*math.Pi/float64(freq)*t)
		m[i-lo] = math.Exp(eta)
	}
	return nil
}
