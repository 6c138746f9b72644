package alarm

import (
	"math"
	"slices"
)

// FarringtonOptions are the controls of surveillance's farringtonFlexible
// (Farrington et al. 1996 with the Noufaily et al. 2012 improvements).
//
// Time is the index of the series: the reference points of t are
// t − i·Freq, i = 1 … B. This is what farringtonFlexible does for an sts
// object without dates (e.g. one made by disProg2sts); with dates R picks
// the same weekday one year back instead, which is occasionally one week
// earlier.
type FarringtonOptions struct {
	// B is the number of past years used (≥ 1); default 5.
	B int
	// W is the half-width of the window around each reference point
	// (0 ≤ W < Freq); default 3.
	W int
	// Freq is the number of points per year (52 for weekly data).
	Freq int
	// Reweight down-weights past outbreaks through Anscombe residuals.
	Reweight bool
	// WeightsThreshold is the Anscombe residual above which a point is
	// down-weighted (default 2.58; Farrington 1996 used 1).
	WeightsThreshold float64
	// Alpha is the (one-sided) significance level; default 0.05.
	Alpha float64
	// Trend allows a linear time trend.
	Trend bool
	// PThresholdTrend is the p-value below which the trend is kept (default
	// 0.05; 1 keeps it whenever the other two conditions hold: B ≥ 3 and no
	// extrapolation beyond the largest reference count).
	PThresholdTrend float64
	// Limit54 is the "5 in 4" rule: no bound and no alarm unless at least
	// Limit54[0] cases occurred in the last Limit54[1] points (current one
	// included). Default {5, 4}.
	Limit54 [2]int
	// PowerTrans is the power transformation of the delta method:
	// "2/3" (default), "1/2" or "none".
	PowerTrans string
	// PopulationOffset adds log(population) as an offset; Population must
	// then hold one positive value per observation.
	PopulationOffset bool
	// Population is the population at risk, aligned with the series.
	Population []float64
	// NoPeriods is the number of levels of the seasonal factor (1 = no
	// factor, the 1996 method; Noufaily et al. recommend 10).
	NoPeriods int
	// PastWeeksNotIncluded is the number of points before t left out of the
	// fit (Noufaily et al. recommend 26); a negative value means W, which is
	// surveillance's default (NULL).
	PastWeeksNotIncluded int
	// ThresholdMethod is "delta" (Farrington 1996), "nbPlugin" or "muan"
	// (Noufaily et al. 2012).
	ThresholdMethod string
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive); 0 means surveillance's defaults Freq·B + W + 1 and the last
	// point.
	RangeStart, RangeEnd int
}

// DefaultFarringtonFlexibleOptions returns the defaults of
// farringtonFlexible's formal arguments: b = 5, w = 3, reweight = TRUE,
// weightsThreshold = 2.58, alpha = 0.05, trend = TRUE, pThresholdTrend =
// 0.05, limit54 = c(5, 4), powertrans = "2/3", populationOffset = FALSE,
// noPeriods = 1, pastWeeksNotIncluded = NULL (= w), thresholdMethod =
// "delta", for weekly data.
//
// Note that these are not the "Noufaily" settings (noPeriods = 10,
// pastWeeksNotIncluded = 26, weightsThreshold = 2.58, pThresholdTrend = 1,
// thresholdMethod = "nbPlugin") that the help page recommends; set those
// explicitly.
func DefaultFarringtonFlexibleOptions() FarringtonOptions {
	return FarringtonOptions{
		B: 5, W: 3, Freq: 52, Reweight: true, WeightsThreshold: 2.58, Alpha: 0.05,
		Trend: true, PThresholdTrend: 0.05, Limit54: [2]int{5, 4}, PowerTrans: "2/3",
		NoPeriods: 1, PastWeeksNotIncluded: -1, ThresholdMethod: "delta",
	}
}

// FarringtonLegacyOptions are the controls of surveillance's algo.farrington
// (Farrington et al. 1996 as implemented before farringtonFlexible).
type FarringtonLegacyOptions struct {
	// B is the number of past years (≥ 1); default 5.
	B int
	// W is the half-width of the reference windows (0 ≤ W < Freq); default 3.
	W int
	// Freq is the number of points per year (52 for weekly data).
	Freq int
	// Reweight down-weights points with an Anscombe residual above 1.
	Reweight bool
	// Alpha is the significance level; algo.farrington uses the two-sided
	// quantile qnorm(1 − α/2). Default 0.05.
	Alpha float64
	// Trend allows a linear time trend (kept when p < 0.05, B ≥ 3 and no
	// extrapolation).
	Trend bool
	// Limit54 is the 5-in-4 rule; without enough cases the bound is 0 and
	// there is no alarm (farringtonFlexible leaves the bound undefined).
	Limit54 [2]int
	// PowerTrans is "2/3" (default), "1/2" or "none".
	PowerTrans string
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive); 0 means algo.farrington's defaults Freq·B − W and the last
	// point. Reference points before t = 1 are dropped, as in R.
	RangeStart, RangeEnd int
}

// DefaultFarringtonLegacyOptions returns algo.farrington's defaults (b = 5,
// w = 3, reweight = TRUE, alpha = 0.05, trend = TRUE, limit54 = c(5, 4),
// powertrans = "2/3", weekly data).
func DefaultFarringtonLegacyOptions() FarringtonLegacyOptions {
	return FarringtonLegacyOptions{B: 5, W: 3, Freq: 52, Reweight: true, Alpha: 0.05, Trend: true, Limit54: [2]int{5, 4}, PowerTrans: "2/3"}
}

// farWork holds the buffers of one Farrington run.
type farWork struct {
	glm    glmWork
	labels []int // seasonal factor per t (1-based), 0 = not used
	y      []float64
	wtime  []float64
	lab    []int
	logPop []float64
	levels []int
	x      []float64
	x0     []float64
	s      []float64
	omega  []float64
	noOff  bool
}

func growI(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n, n+n/4+8)
	}
	return s[:n]
}

// design fills the design matrix: intercept, wtime (when trend), and one
// dummy per seasonal level after the first. It returns the column count.
func (fw *farWork) design(trend, factors bool) int {
	n := len(fw.y)
	p := 1
	if trend {
		p++
	}
	nf := 0
	if factors {
		nf = len(fw.levels) - 1
	}
	p += nf
	fw.x = growF(fw.x, n*p)
	for i := 0; i < n; i++ {
		row := fw.x[i*p : i*p+p]
		row[0] = 1
		c := 1
		if trend {
			row[1] = fw.wtime[i]
			c = 2
		}
		for j := 0; j < nf; j++ {
			if fw.lab[i] == fw.levels[j+1] {
				row[c+j] = 1
			} else {
				row[c+j] = 0
			}
		}
	}
	return p
}

// predRow fills the design row of the prediction point.
func (fw *farWork) predRow(p int, trend, factors bool, wtime float64, level int) bool {
	fw.x0 = growF(fw.x0, p)
	fw.x0[0] = 1
	c := 1
	if trend {
		fw.x0[1] = wtime
		c = 2
	}
	if factors {
		found := false
		for j, l := range fw.levels {
			if l == level {
				found = true
			}
			if j > 0 {
				if l == level {
					fw.x0[c+j-1] = 1
				} else {
					fw.x0[c+j-1] = 0
				}
			}
		}
		// R: "factor seasgroups has new level" when the prediction level
		// is absent from the fitted data.
		return found
	}
	return true
}

// farModel is the fitted model the Farrington rules use.
type farModel struct {
	res      *glmResult
	p        int
	hasTrend bool
	phi      float64
	// sumDisp is what summary.glm reports as the dispersion of the returned
	// model, used for the trend p-value and the standard error of the
	// prediction. fitGLM.flexible overwrites model$weights (the working
	// weights) with the prior weights ω after reweighting, so summary.glm
	// then computes Σ ω_i r_i² / df with the working residuals
	// r_i = (y_i − μ_i)/μ_i, not the Pearson statistic Σ ω_i (y_i − μ_i)²/μ_i
	// that gave φ. surveillance 1.20.3 (the reference run) does this; the
	// quirk is reproduced because the reference bounds depend on it.
	sumDisp float64
}

// fitModel is algo.farrington.fitGLM.flexible (flexible = true) or
// algo.farrington.fitGLM.fast (flexible = false): a quasi-Poisson fit, a
// retry without trend if it does not converge, the dispersion
// φ = max(1, Pearson χ²/df), and one refit with Anscombe-residual weights.
func (fw *farWork) fitModel(trend, factors, flexible, reweight bool, weightsThreshold float64) (farModel, bool) {
	var off []float64
	if !fw.noOff {
		off = fw.logPop
	}
	n := len(fw.y)
	p := fw.design(trend, factors)
	pr := glmProblem{n: n, p: p, x: fw.x, y: fw.y, offset: off, family: famQuasiPoisson}
	res, err := fw.glm.fit(&pr)
	if err != nil {
		return farModel{}, false
	}
	if !res.converged && trend {
		trend = false
		p = fw.design(false, factors)
		pr.p, pr.x = p, fw.x
		res, err = fw.glm.fit(&pr)
		if err != nil {
			return farModel{}, false
		}
	}
	if !res.converged && flexible {
		// fitGLM.flexible gives up; fitGLM.fast carries on with the
		// non-converged fit.
		return farModel{}, false
	}
	phi := math.Max(res.dispersion(), 1) // NaN (no residual df) stays NaN, as in R
	if reweight {
		fw.s = growF(fw.s, n)
		for i := 0; i < n; i++ {
			mu := res.mu[i]
			a := 1.5 * (math.Pow(fw.y[i], 2.0/3)*math.Pow(mu, -1.0/6) - math.Sqrt(mu))
			fw.s[i] = a / math.Sqrt(phi*(1-res.hat(i)))
		}
		fw.omega = growF(fw.omega, n)
		if !assignWeights(fw.s, weightsThreshold, fw.omega) {
			return farModel{}, false
		}
		pr.prior = fw.omega
		res, err = fw.glm.fit(&pr)
		if err != nil {
			return farModel{}, false
		}
		phi = math.Max(res.dispersion(), 1)
		sumDisp := res.dispersion()
		if flexible {
			sumDisp = res.dispersionWith(fw.omega)
		}
		return farModel{res: res, p: p, hasTrend: trend, phi: phi, sumDisp: sumDisp}, true
	}
	return farModel{res: res, p: p, hasTrend: trend, phi: phi, sumDisp: res.dispersion()}, true
}

// assignWeights is algo.farrington.assign.weights: ω_i = γ·s_i⁻² when
// s_i > threshold and γ otherwise, with γ normalising the weights to sum to
// n. It reports false when a weight is undefined (R would fail in glm).
func assignWeights(s []float64, threshold float64, omega []float64) bool {
	var den float64
	for _, v := range s {
		if math.IsNaN(v) {
			return false
		}
		if v > threshold {
			den += 1 / (v * v)
		} else {
			den++
		}
	}
	gamma := float64(len(s)) / den
	if math.IsNaN(gamma) || math.IsInf(gamma, 0) {
		return false
	}
	for i, v := range s {
		if v > threshold {
			omega[i] = gamma / (v * v)
		} else {
			omega[i] = gamma
		}
	}
	return true
}

// predict returns the linear predictor at the prediction row and its
// standard error for the given dispersion.
func (m farModel) predict(x0 []float64, offset, dispersion float64) (eta, seEta float64) {
	for j := 0; j < m.p; j++ {
		eta += x0[j] * m.res.coef[j]
	}
	eta += offset
	return eta, math.Sqrt(m.res.quadForm(x0[:m.p]) * dispersion)
}

// trendP is the p-value of the wtime coefficient (column 1) as summary.glm
// reports it for the quasi-Poisson family.
func (m farModel) trendP() float64 {
	d := m.sumDisp
	se := math.Sqrt(d * m.res.covDiag(1))
	return studentTwoSidedP(m.res.coef[1]/se, float64(m.res.dfResid))
}

// ThresholdFarrington is algo.farrington.threshold.farrington, the delta
// method bound of Farrington et al. (1996): with τ = φ + se²/μ0 and the
// power transformation p (1, 1/2 or 2/3), the bounds are
// (μ0^p ∓ z_{1−α}·se_p)^{1/p} with the lower one at least 0; prob is
// P(N(μ0^p, se_p) > y^p) and score (y − μ0)/(U − μ0). predFit and predSeFit
// are on the response scale.
func ThresholdFarrington(predFit, predSeFit, phi float64, powerTrans string, alpha, y float64) (lower, upper, prob, score float64, err error) {
	return farringtonThreshold(predFit, predSeFit, phi, powerTrans, qnorm(1-alpha), y)
}

func farringtonThreshold(mu0, seFit, phi float64, powerTrans string, z, y float64) (lower, upper, prob, score float64, err error) {
	tau := phi + seFit*seFit/mu0
	var se, e float64
	switch powerTrans {
	case "none":
		se, e = math.Sqrt(mu0*tau), 1
	case "1/2":
		se, e = math.Sqrt(0.25*tau), 0.5
	case "2/3":
		se, e = math.Sqrt(4.0/9*math.Pow(mu0, 1.0/3)*tau), 2.0/3
	default:
		return 0, 0, 0, 0, paramErr("farrington", "no proper exponent in powertrans %q (use 2/3, 1/2 or none)", powerTrans)
	}
	me := math.Pow(mu0, e)
	a := math.Pow(me-z*se, 1/e)
	b := math.Pow(me+z*se, 1/e)
	// sort(…, na.last = FALSE): NaN first, then ascending.
	switch {
	case math.IsNaN(a):
		lower, upper = a, b
	case math.IsNaN(b):
		lower, upper = b, a
	case a <= b:
		lower, upper = a, b
	default:
		lower, upper = b, a
	}
	// lu[1] <- max(0, lu[1], na.rm = TRUE)
	if math.IsNaN(lower) || lower < 0 {
		lower = 0
	}
	prob = pnormUpper(math.Pow(y, e), me, se)
	score = (y - mu0) / (upper - mu0)
	return lower, upper, prob, score, nil
}

// ThresholdNoufaily is algo.farrington.threshold.noufaily: with η0 the
// linear predictor and se its standard error, μq = exp(η0) ("nbPlugin") or
// exp(η0 + z_{1−α}·se) ("muan"); the bounds are the α and 1−α quantiles of
// the negative binomial with mean μq and variance φ·μq (size μq/(φ−1),
// prob 1/φ), or of the Poisson when φ ≤ 1. prob is P(Y ≥ y) and score is
// (y − η0)/(U − η0), which mixes the link and the response scale exactly as
// surveillance does.
func ThresholdNoufaily(predFit, predSeFit, phi float64, method string, alpha, y float64) (lower, upper, prob, score float64, err error) {
	var muq float64
	switch method {
	case "nbPlugin":
		muq = math.Exp(predFit)
	case "muan":
		muq = math.Exp(predFit + qnorm(1-alpha)*predSeFit)
	default:
		return 0, 0, 0, 0, paramErr("farrington", "thresholdMethod %q is not nbPlugin or muan", method)
	}
	if math.IsInf(muq, 1) || math.IsNaN(muq) {
		nan := math.NaN()
		return nan, nan, nan, nan, nil
	}
	if phi > 1 {
		size := muq / (phi - 1)
		lower = qnbinom(alpha, size, 1/phi)
		upper = qnbinom(1-alpha, size, 1/phi)
	} else {
		lower = qpois(alpha, muq)
		upper = qpois(1-alpha, muq)
	}
	lower = math.Max(0, lower)
	if phi != 1 {
		prob = 1 - pnbinom(y-1, muq/(phi-1), 1/phi)
	} else {
		prob = 1 - ppois(y-1, muq)
	}
	score = (y - predFit) / (upper - predFit)
	return lower, upper, prob, score, nil
}

// FarringtonFlexible runs surveillance's farringtonFlexible on one series.
//
// For each monitored t: the reference data are the windows t − i·Freq ± W
// (i = 1 … B) and, with NoPeriods > 1, the rest of each past year split
// into NoPeriods − 1 seasonal blocks (Noufaily et al. 2012); the last
// PastWeeksNotIncluded points before t are left out. A quasi-Poisson GLM with
// log link (IRLS as R's glm.fit) is fitted with an optional trend, offset and
// seasonal factor; φ = max(1, Pearson χ²/(n − p)); with Reweight the model is
// refitted with weights from the Anscombe residuals; the trend is kept only if
// its p-value is below PThresholdTrend, B ≥ 3 and the prediction does not
// exceed the largest reference count. The bound then comes from
// ThresholdFarrington ("delta") or ThresholdNoufaily ("nbPlugin", "muan").
//
// The bound is undefined (NaN, no alarm) when fewer than Limit54[0] cases
// occurred in the last Limit54[1] points, and when the model cannot be fitted:
// no convergence with or without trend, a singular design (where R would
// drop aliased coefficients), or no residual degrees of freedom. The alarm
// is score > 1 with y > 0.
//
// Two details follow surveillance rather than the papers:
//   - the standard error of the prediction uses the unclamped Pearson
//     dispersion (farringtonFlexible passes φ inside newdata, so predict.glm
//     ignores it), while the threshold uses φ = max(1, ·);
//   - for nbPlugin and muan the score mixes scales (see ThresholdNoufaily).
//
// Point.Expected is the prediction μ̂ (NaN when the bound is undefined),
// Point.Statistic the score and Point.Trend whether the trend was kept.
func FarringtonFlexible(observed []float64, opt FarringtonOptions) ([]Point, error) {
	const name = "farrington-flexible"
	if err := checkCounts(name, observed); err != nil {
		return nil, err
	}
	o := opt
	if o.Freq == 0 {
		o.Freq = 52
	}
	if o.PastWeeksNotIncluded < 0 {
		o.PastWeeksNotIncluded = o.W
	}
	switch {
	case o.Freq < 1:
		return nil, paramErr(name, "freq must be positive (got %d)", o.Freq)
	case o.B < 1:
		return nil, paramErr(name, "b must be at least 1 (got %d)", o.B)
	case o.W < 0 || o.W >= o.Freq:
		return nil, paramErr(name, "w must be in [0, freq) (got %d)", o.W)
	case !(o.Alpha > 0 && o.Alpha < 1):
		return nil, paramErr(name, "alpha must be in (0, 1) (got %v)", o.Alpha)
	case !(o.Limit54[0] >= 0 && o.Limit54[1] > 0):
		return nil, paramErr(name, "the limit54 arguments are out of bounds: cases >= 0 and period > 0 (got %v)", o.Limit54)
	case o.NoPeriods < 1:
		return nil, paramErr(name, "noPeriods must be at least 1 (got %d)", o.NoPeriods)
	case math.IsNaN(o.WeightsThreshold) || math.IsNaN(o.PThresholdTrend):
		return nil, paramErr(name, "weightsThreshold and pThresholdTrend must be numbers")
	}
	if o.NoPeriods > 1 {
		period := o.Freq - 2*o.W - 1
		if period < o.NoPeriods-1 {
			return nil, paramErr(name, "noPeriods %d is too big: the %d points between the windows of two years cannot hold %d seasonal blocks", o.NoPeriods, period, o.NoPeriods-1)
		}
	}
	switch o.ThresholdMethod {
	case "delta":
		switch o.PowerTrans {
		case "2/3", "1/2", "none":
		default:
			return nil, paramErr(name, "no proper exponent in powertrans %q (use 2/3, 1/2 or none)", o.PowerTrans)
		}
	case "nbPlugin", "muan":
	default:
		return nil, paramErr(name, "thresholdMethod %q is not delta, nbPlugin or muan", o.ThresholdMethod)
	}
	n := len(observed)
	if o.PopulationOffset {
		if len(o.Population) != n {
			return nil, paramErr(name, "populationOffset needs one population value per observation (%d values for %d points)", len(o.Population), n)
		}
		for i, v := range o.Population {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, paramErr(name, "population at t=%d is %v; it must be positive", i+1, v)
			}
		}
	}
	need := o.Freq*o.B + o.W + 1
	if o.RangeStart == 0 && n < need {
		return nil, shortErr(name, "%d points, but b=%d years of freq=%d with w=%d need at least %d", n, o.B, o.Freq, o.W, need)
	}
	lo, hi, err := resolveRange(name, n, o.RangeStart, o.RangeEnd, need)
	if err != nil {
		return nil, err
	}
	first := lo + 1
	if first-o.B*o.Freq < 1 {
		return nil, shortErr(name, "some reference time points did not exist for t=%d: decrease b or postpone rangeStart", first)
	}
	if first-o.B*o.Freq-o.W < 0 {
		return nil, shortErr(name, "the window of the oldest reference point of t=%d starts before the series: decrease b or w or postpone rangeStart", first)
	}
	if first-o.PastWeeksNotIncluded < 0 {
		return nil, shortErr(name, "pastWeeksNotIncluded=%d reaches before the series at t=%d", o.PastWeeksNotIncluded, first)
	}
	fw := &farWork{noOff: !o.PopulationOffset}
	out := make([]Point, 0, hi-lo)
	for k := first; k <= hi; k++ {
		out = append(out, fw.flexiblePoint(observed, &o, k))
	}
	return out, nil
}

// flexiblePoint computes one time point k (1-based) of farringtonFlexible.
func (fw *farWork) flexiblePoint(observed []float64, o *FarringtonOptions, k int) Point {
	y := observed[k-1]
	pt := nanPoint(k, y)
	p := o.NoPeriods
	factors := p != 1
	// blocks(): the seasonal factor per time index.
	fw.labels = growI(fw.labels, k+1)
	lab := fw.labels
	for i := range lab {
		lab[i] = 0
	}
	setRange := func(a, b, v int) {
		for t := max(a, 1); t <= b; t++ {
			lab[t] = v
		}
	}
	setRange(k-o.W, k, p)
	for i := 1; i <= o.B; i++ {
		ref := k - i*o.Freq
		setRange(ref-o.W, ref+o.W, p)
		if p != 1 {
			period := o.Freq - 2*o.W - 1
			size, rest := period/(p-1), period%(p-1)
			start := ref + o.W + 1
			for j := 1; j <= p-1; j++ {
				l := size
				if j <= rest {
					l++
				}
				setRange(start, start+l-1, j)
				start += l
			}
		}
	}
	setRange(k-o.PastWeeksNotIncluded, k, 0)
	// Rows of the GLM, in time order.
	fw.y, fw.wtime, fw.lab, fw.logPop = fw.y[:0], fw.wtime[:0], fw.lab[:0], fw.logPop[:0]
	maxY := math.Inf(-1)
	for t := 1; t <= k; t++ {
		if lab[t] == 0 {
			continue
		}
		fw.y = append(fw.y, observed[t-1])
		fw.wtime = append(fw.wtime, float64(t))
		fw.lab = append(fw.lab, lab[t])
		if o.PopulationOffset {
			fw.logPop = append(fw.logPop, math.Log(o.Population[t-1]))
		}
		maxY = math.Max(maxY, observed[t-1])
	}
	fw.levels = fw.levels[:0]
	if factors {
		fw.levels = append(fw.levels, fw.lab...)
		slices.Sort(fw.levels)
		fw.levels = slices.Compact(fw.levels)
		if len(fw.levels) < 2 {
			// R: contrasts can be applied only to factors with 2 or more levels.
			return pt
		}
	}
	offNow := 0.0
	if o.PopulationOffset {
		offNow = math.Log(o.Population[k-1])
	}
	m, ok := fw.fitModel(o.Trend, factors, true, o.Reweight, o.WeightsThreshold)
	if !ok {
		return pt
	}
	doTrend := false
	if m.hasTrend {
		if !fw.predRow(m.p, true, factors, float64(k), p) {
			return pt
		}
		eta, _ := m.predict(fw.x0, offNow, m.sumDisp)
		fit := logLinkInv(eta)
		pval := m.trendP()
		keep := triAnd(triAnd(triOf(o.B >= 3, false), triOf(pval < o.PThresholdTrend, math.IsNaN(pval))),
			triOf(fit <= maxY, math.IsNaN(fit)))
		if keep == triNA {
			// R: doTrend is NA and `if (doTrend == FALSE)` stops.
			return pt
		}
		doTrend = keep == triTrue
		if !doTrend {
			m, ok = fw.fitModel(false, factors, true, o.Reweight, o.WeightsThreshold)
			if !ok {
				return pt
			}
		}
	}
	if !fw.predRow(m.p, m.hasTrend, factors, float64(k), p) {
		return pt
	}
	// predict.glm without a dispersion argument: summary.glm's estimate.
	eta, seEta := m.predict(fw.x0, offNow, m.sumDisp)
	var upper, score float64
	var expected float64
	if o.ThresholdMethod == "delta" {
		fit := logLinkInv(eta)
		seFit := seEta * math.Max(math.Exp(eta), dblEpsilon)
		_, upper, _, score, _ = farringtonThreshold(fit, seFit, m.phi, o.PowerTrans, qnorm(1-o.Alpha), y)
		expected = fit
	} else {
		_, upper, _, score, _ = ThresholdNoufaily(eta, seEta, m.phi, o.ThresholdMethod, o.Alpha, y)
		expected = math.Exp(eta)
	}
	pt.Trend = doTrend
	pt.Statistic = score
	if !enoughCases(observed, k, o.Limit54) {
		return pt
	}
	pt.UpperBound = upper
	if !math.IsNaN(upper) {
		pt.Expected = expected
	}
	pt.Alarm = !math.IsNaN(score) && score > 1 && y != 0
	return pt
}

// enoughCases is the 5-in-4 rule: at least limit[0] cases in the limit[1]
// points ending at k (1-based).
func enoughCases(observed []float64, k int, limit [2]int) bool {
	var s float64
	for t := max(k-limit[1]+1, 1); t <= k; t++ {
		s += observed[t-1]
	}
	return s >= float64(limit[0])
}

// FarringtonLegacy runs surveillance's algo.farrington (the 1996 method as
// first implemented): reference windows t − i·Freq ± W only (points before
// t = 1 dropped), weights from Anscombe residuals above 1, the trend kept when
// its p-value is below 0.05, B ≥ 3 and there is no extrapolation, and the
// delta-method bound with the two-sided quantile qnorm(1 − α/2). Unlike
// farringtonFlexible, the prediction's standard error uses φ = max(1, ·), and
// without enough cases (5-in-4 rule) the bound is 0 rather than undefined.
// The bound is undefined only when the model cannot be fitted at all (where
// R would stop with an error).
func FarringtonLegacy(observed []float64, opt FarringtonLegacyOptions) ([]Point, error) {
	const name = "farrington"
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
	case o.B < 1:
		return nil, paramErr(name, "b must be at least 1 (got %d)", o.B)
	case o.W < 0 || o.W >= o.Freq:
		return nil, paramErr(name, "w must be in [0, freq) (got %d)", o.W)
	case !(o.Alpha > 0 && o.Alpha < 1):
		return nil, paramErr(name, "alpha must be in (0, 1) (got %v)", o.Alpha)
	case !(o.Limit54[0] >= 0 && o.Limit54[1] > 0):
		return nil, paramErr(name, "the limit54 arguments are out of bounds: cases >= 0 and period > 0 (got %v)", o.Limit54)
	}
	switch o.PowerTrans {
	case "2/3", "1/2", "none":
	default:
		return nil, paramErr(name, "no proper exponent in powertrans %q (use 2/3, 1/2 or none)", o.PowerTrans)
	}
	n := len(observed)
	need := o.Freq*o.B - o.W
	if o.RangeStart == 0 && n < need {
		return nil, shortErr(name, "%d points, but b=%d years of freq=%d with w=%d need at least %d", n, o.B, o.Freq, o.W, need)
	}
	lo, hi, err := resolveRange(name, n, o.RangeStart, o.RangeEnd, max(need, 1))
	if err != nil {
		return nil, err
	}
	z := qnorm(1 - o.Alpha/2)
	fw := &farWork{noOff: true}
	out := make([]Point, 0, hi-lo)
	for k := lo + 1; k <= hi; k++ {
		y := observed[k-1]
		pt := nanPoint(k, y)
		fw.y, fw.wtime = fw.y[:0], fw.wtime[:0]
		maxY := math.Inf(-1)
		for i := o.B; i >= 1; i-- {
			for t := k - o.Freq*i - o.W; t <= k-o.Freq*i+o.W; t++ {
				if t > 0 {
					fw.y = append(fw.y, observed[t-1])
					fw.wtime = append(fw.wtime, float64(t))
					maxY = math.Max(maxY, observed[t-1])
				}
			}
		}
		m, ok := fw.fitModel(o.Trend, false, false, o.Reweight, 1)
		if !ok {
			out = append(out, pt)
			continue
		}
		doTrend := o.Trend
		if m.hasTrend {
			fw.predRow(m.p, true, false, float64(k), 0)
			eta, _ := m.predict(fw.x0, 0, 1)
			fit := logLinkInv(eta)
			pval := m.trendP()
			keep := triAnd(triAnd(triOf(o.B >= 3, false), triOf(pval < 0.05, math.IsNaN(pval))), triOf(fit <= maxY, math.IsNaN(fit)))
			if keep == triNA {
				// R: `if (!(atLeastThreeYears && significant && …))` stops on NA.
				out = append(out, pt)
				continue
			}
			if keep == triFalse {
				doTrend = false
				m, ok = fw.fitModel(false, false, false, o.Reweight, 1)
				if !ok {
					out = append(out, pt)
					continue
				}
			}
		} else {
			doTrend = false
		}
		fw.predRow(m.p, m.hasTrend, false, float64(k), 0)
		eta, seEta := m.predict(fw.x0, 0, m.phi)
		fit := logLinkInv(eta)
		seFit := seEta * math.Max(math.Exp(eta), dblEpsilon)
		_, upper, _, _, _ := farringtonThreshold(fit, seFit, m.phi, o.PowerTrans, z, y)
		pt.Trend = doTrend
		pt.Expected = fit
		pt.Statistic = (y - fit) / (upper - fit)
		if enoughCases(observed, k, o.Limit54) {
			pt.UpperBound = upper
			pt.Alarm = pt.Statistic > 1
		} else {
			pt.UpperBound = 0
			pt.Alarm = false
		}
		out = append(out, pt)
	}
	return out, nil
}

// tri is R's three-valued logical, for the trend conditions whose p-value
// can be NaN.
type tri int

const (
	triFalse tri = iota
	triTrue
	triNA
)

func triOf(v, na bool) tri {
	switch {
	case na:
		return triNA
	case v:
		return triTrue
	}
	return triFalse
}

// triAnd is R's &&: FALSE wins over NA.
func triAnd(a, b tri) tri {
	if a == triFalse || b == triFalse {
		return triFalse
	}
	if a == triNA || b == triNA {
		return triNA
	}
	return triTrue
}
