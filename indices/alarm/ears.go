package alarm

import (
	"fmt"
	"math"
)

// EARSOptions are the controls of surveillance's earsC.
type EARSOptions struct {
	// Method is "C1", "C2" or "C3"; empty means "C1".
	Method string
	// Alpha is the significance level; 0 means surveillance's default,
	// 0.001 for C1 and C2 and 0.025 for C3. The bound uses qnorm(1 − α).
	Alpha float64
	// Baseline is the number of reference points (at least 3); 0 means 7.
	Baseline int
	// MinSigma is the floor for the reference standard deviation (≥ 0).
	MinSigma float64
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive); 0 means the defaults: baseline+1 (C1), baseline+3 (C2) or
	// baseline+5 (C3), and the last point.
	RangeStart, RangeEnd int
}

// EARS runs the EARS C1, C2 or C3 detector exactly as surveillance's earsC.
//
// With y the series and z = qnorm(1 − α):
//   - C1 compares y_t with the mean and sample standard deviation (n − 1) of
//     the Baseline points before t: UB_t = mean + z·max(sd, MinSigma).
//   - C2 does the same with a guard band of two: the reference points are
//     y[t−Baseline−2 … t−3].
//   - C3 follows the package, not the CDC textbook. With the C2 statistic
//     C2_s = (y_s − mean_s)/max(sd_s, MinSigma), S_t = max(0, C2_{t−2} − 1) +
//     max(0, C2_{t−1} − 1) and UB_t = max(0, y_t + max(sd_t, MinSigma)·(z − S_t)).
//     The alarm y_t > UB_t therefore reduces to S_t > z (with y_t > 0): the
//     current C2_t does not enter, whereas the textbook C3 alarms when
//     Σ_{s=t−2..t} max(0, C2_s − 1) exceeds the threshold. Point.Statistic
//     holds that textbook sum for reference; Alarm follows the package.
//
// A zero standard deviation with MinSigma 0 gives UB = mean for C1 and C2 and
// an undefined C3 bound when R's arithmetic yields NaN (0·∞), as in R.
func EARS(observed []float64, opt EARSOptions) ([]Point, error) {
	method := opt.Method
	if method == "" {
		method = "C1"
	}
	name := "ears-" + method
	if method != "C1" && method != "C2" && method != "C3" {
		return nil, paramErr("ears", "method %q is not C1, C2 or C3", opt.Method)
	}
	if err := checkCounts(name, observed); err != nil {
		return nil, err
	}
	baseline := opt.Baseline
	if baseline == 0 {
		baseline = 7
	}
	if baseline < 3 {
		return nil, paramErr(name, "minimum baseline to use is 3 (got %d)", baseline)
	}
	if opt.MinSigma < 0 || math.IsNaN(opt.MinSigma) {
		return nil, paramErr(name, "minSigma must be non-negative (got %v)", opt.MinSigma)
	}
	alpha := opt.Alpha
	if alpha == 0 {
		alpha = 0.001
		if method == "C3" {
			alpha = 0.025
		}
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, paramErr(name, "alpha must be in (0, 1) (got %v)", alpha)
	}
	var maxLag int
	switch method {
	case "C1":
		maxLag = baseline
	case "C2":
		maxLag = baseline + 2
	default:
		maxLag = baseline + 4
	}
	n := len(observed)
	if opt.RangeStart == 0 && n < maxLag+1 {
		return nil, shortErr(name, "%d points, but baseline %d needs at least %d", n, baseline, maxLag+1)
	}
	lo, hi, err := resolveRange(name, n, opt.RangeStart, opt.RangeEnd, maxLag+1)
	if err != nil {
		return nil, err
	}
	if lo+1-maxLag < 1 {
		return nil, shortErr(name, "the vector of observed is too short: t=%d needs %d earlier points (baseline %d)", lo+1, maxLag, baseline)
	}
	z := qnorm(1 - alpha)
	minSigma := opt.MinSigma
	// refStats returns mean and sd of the reference points of (0-based) s.
	refStats := func(s, guard int) (mean, sd float64) {
		ref := observed[s-guard-baseline : s-guard]
		return meanSD(ref)
	}
	out := make([]Point, 0, hi-lo)
	for s := lo; s < hi; s++ {
		y := observed[s]
		p := nanPoint(s+1, y)
		switch method {
		case "C1", "C2":
			guard := 0
			if method == "C2" {
				guard = 2
			}
			m, sd := refStats(s, guard)
			sig := math.Max(sd, minSigma)
			p.UpperBound = m + z*sig
			p.Expected = m
			p.Statistic = (y - m) / sig
		case "C3":
			var c2 [3]float64
			var sdT, meanT float64
			for j := 0; j < 3; j++ {
				u := s - 2 + j
				m, sd := refStats(u, 2)
				c2[j] = (observed[u] - m) / math.Max(sd, minSigma)
				if j == 2 {
					sdT, meanT = sd, m
				}
			}
			lag2 := math.Max(0, c2[0]-1)
			lag1 := math.Max(0, c2[1]-1)
			ub := y + math.Max(sdT, minSigma)*(z-(lag2+lag1))
			p.UpperBound = math.Max(0, ub) // NaN stays NaN, as pmax in R
			p.Expected = meanT
			p.Statistic = lag2 + lag1 + math.Max(0, c2[2]-1)
		}
		p.Alarm = y > p.UpperBound
		out = append(out, p)
	}
	return out, nil
}

// meanSD returns the mean and the sample standard deviation (n − 1).
func meanSD(x []float64) (mean, sd float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	n := float64(len(x))
	mean = s / n
	// R refines the mean with a second pass; so do we.
	var c float64
	for _, v := range x {
		c += v - mean
	}
	mean += c / n
	var ss float64
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / (n - 1))
}

// earsMethodName maps the CLI method names to earsC's.
func earsMethodName(method string) (string, error) {
	switch method {
	case "ears-c1":
		return "C1", nil
	case "ears-c2":
		return "C2", nil
	case "ears-c3":
		return "C3", nil
	}
	return "", fmt.Errorf("unknown EARS method %q", method)
}
