package alarm

import (
	"math"
)

// GLRNBOptions are the controls of surveillance's algo.glrnb for the
// intercept chart (change = "intercept", theta = NULL: κ is estimated).
type GLRNBOptions struct {
	// CARL is the alarm threshold c.ARL for the GLR statistic (default 5).
	CARL float64
	// Mu0 is the in-control mean, one value per monitored point (or one per
	// observation, of which the monitored range is used). Nil means
	// estimated, as algo.glrnb does with mu0 = NULL: a regression on the
	// points before RangeStart (see S, MuTrend) predicted for the range.
	Mu0 []float64
	// Alpha is the negative binomial dispersion α (Var = μ + α·μ²), as
	// algo.glrnb names it; 0 gives the Poisson chart (algo.glrpois). NaN
	// means estimated together with μ0 by MASS::glm.nb (α = 1/θ), which
	// needs Mu0 to be nil.
	Alpha float64
	// Mtilde is the number of observations needed before a change point
	// can be estimated (default 1).
	Mtilde int
	// M is the window: only change points within the last M points are
	// considered; −1 (default) means no window.
	M int
	// Dir is "inc" (default when empty) to detect increases or "dec".
	Dir string
	// Ret is "value" (default when empty): the upper bound is the GLR
	// statistic; or "cases": the number of cases that would have raised
	// an alarm at each point.
	Ret string
	// XMax caps the search for Ret "cases" with α > 0 (default 10000).
	XMax int
	// S is the number of harmonics of the estimated μ0 model (default 1
	// when Mu0 is nil; 0 means intercept only).
	S int
	// MuTrend adds a linear trend to the estimated μ0 model.
	MuTrend bool
	// Freq is the period of the harmonics (52 for weekly data).
	Freq int
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive). RangeStart 0 means 1 when Mu0 is given and Freq+1 (one
	// season to estimate μ0) otherwise; RangeEnd 0 means the last point.
	RangeStart, RangeEnd int
}

// DefaultGLRNBOptions returns algo.glrnb's defaults: c.ARL = 5, μ0 and α
// estimated (glm.nb with one harmonic), Mtilde = 1, M = −1, dir = "inc",
// ret = "value", weekly data.
func DefaultGLRNBOptions() GLRNBOptions {
	return GLRNBOptions{CARL: 5, Alpha: math.NaN(), Mtilde: 1, M: -1, Dir: "inc", Ret: "value", XMax: 10000, S: 1, Freq: 52}
}

// GLRNB runs the GLR detector for a change in the intercept of a negative
// binomial (or, with α = 0, Poisson) count series, as surveillance's
// algo.glrnb (Höhle and Paul 2008). Under the alternative μ1,t = μ0,t·e^κ; the
// statistic at n is max over change points k of the log-likelihood ratio
// with κ estimated (by Newton-Raphson for the negative binomial, in closed
// form for the Poisson chart), κ ≥ 0 for Dir "inc". The chart alarms when the
// statistic reaches c.ARL and then restarts at the next point.
//
// The counts are truncated to integers (R's as.integer). Point.UpperBound is
// what algo.glrnb reports: the GLR statistic for Ret "value" (negative and
// NaN values reported as 0), the number of cases needed for an alarm for
// "cases". Point.Statistic is the GLR statistic and Point.Expected is μ0.
//
// Quirks kept from surveillance: with α > 0 and Ret "cases", a point with a
// count of 0 gets 1e99 cases (R's brute-force search only starts from counts
// ≥ 1); the windowed Poisson chart (α = 0, M > 0) never evaluates the first
// Mtilde points of a segment.
func GLRNB(observed []float64, opt GLRNBOptions) ([]Point, error) {
	const name = "glr-nb"
	if err := checkCounts(name, observed); err != nil {
		return nil, err
	}
	o := opt
	if o.Dir == "" {
		o.Dir = "inc"
	}
	if o.Ret == "" {
		o.Ret = "value"
	}
	if o.Freq == 0 {
		o.Freq = 52
	}
	if o.XMax == 0 {
		o.XMax = 10000
	}
	dir := 1.0
	switch o.Dir {
	case "inc":
	case "dec":
		dir = -1
	default:
		return nil, paramErr(name, "dir %q is not inc or dec", o.Dir)
	}
	switch {
	case o.Ret != "value" && o.Ret != "cases":
		return nil, paramErr(name, "ret %q is not value or cases", o.Ret)
	case math.IsNaN(o.CARL) || math.IsInf(o.CARL, 0):
		return nil, paramErr(name, "c.ARL must be finite (got %v)", o.CARL)
	case o.Mtilde < 1:
		return nil, paramErr(name, "Mtilde must be at least 1 (got %d)", o.Mtilde)
	case o.M != -1 && o.M < o.Mtilde-1:
		return nil, paramErr(name, "M must be -1 or at least Mtilde-1 (got %d)", o.M)
	case !math.IsNaN(o.Alpha) && (o.Alpha < 0 || math.IsInf(o.Alpha, 0)):
		return nil, paramErr(name, "alpha (the dispersion) must be non-negative (got %v)", o.Alpha)
	case o.Freq < 1:
		return nil, paramErr(name, "freq must be positive (got %d)", o.Freq)
	case o.S < 0:
		return nil, paramErr(name, "S must be non-negative (got %d)", o.S)
	}
	n := len(observed)
	estimate := o.Mu0 == nil
	if !estimate && math.IsNaN(o.Alpha) {
		return nil, paramErr(name, "alpha must be given when mu0 is given")
	}
	defStart := 1
	if estimate {
		defStart = o.Freq + 1
		if o.RangeStart == 0 && n < defStart {
			return nil, shortErr(name, "%d points, but estimating mu0 needs one season of %d points before the first monitored one", n, o.Freq)
		}
	}
	lo, hi, err := resolveRange(name, n, o.RangeStart, o.RangeEnd, defStart)
	if err != nil {
		return nil, err
	}
	mu0 := make([]float64, hi-lo)
	alpha := o.Alpha
	if estimate {
		a, err := estimateGLRMu0(observed, lo, hi, o, mu0)
		if err != nil {
			return nil, err
		}
		alpha = a
	} else {
		switch len(o.Mu0) {
		case hi - lo:
			copy(mu0, o.Mu0)
		case n:
			copy(mu0, o.Mu0[lo:hi])
		default:
			return nil, paramErr(name, "mu0 has %d values; want one per monitored point (%d) or per observation (%d)", len(o.Mu0), hi-lo, n)
		}
		for i, v := range mu0 {
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, paramErr(name, "mu0 at t=%d is %v; it must be positive and finite", lo+i+1, v)
			}
		}
	}
	x := make([]float64, hi-lo)
	for i := range x {
		x[i] = math.Trunc(observed[lo+i])
	}
	g := glrChart{alpha: alpha, mtilde: o.Mtilde, m: o.M, cARL: o.CARL, dir: dir, cases: o.Ret == "cases", xMax: float64(o.XMax)}
	ub := make([]float64, len(x))
	stat := make([]float64, len(x))
	alarm := make([]bool, len(x))
	for done := 0; done < len(x); {
		seg := x[done:]
		nAlarm, val, cases := g.run(seg, mu0[done:])
		last := nAlarm
		if nAlarm < 0 {
			last = len(seg) - 1
		} else {
			alarm[done+nAlarm] = true
		}
		for i := 0; i <= last; i++ {
			stat[done+i] = val[i]
			if g.cases {
				ub[done+i] = cases[i]
			} else {
				ub[done+i] = val[i]
			}
		}
		done += last + 1
	}
	out := make([]Point, len(x))
	for i := range x {
		u := ub[i]
		if math.IsNaN(u) || u < 0 {
			u = 0
		}
		out[i] = Point{T: lo + i + 1, Observed: observed[lo+i], UpperBound: u, Alarm: alarm[i], Expected: mu0[i], Statistic: stat[i]}
	}
	return out, nil
}

// glrChart holds the settings of one GLR run.
type glrChart struct {
	alpha  float64
	mtilde int
	m      int
	cARL   float64
	dir    float64
	cases  bool
	xMax   float64
}

// run is one call of the C routine on a segment: it returns the 0-based
// index of the first alarm (−1 for none), the statistic up to that point
// (0 after it) and, when asked, the cases.
func (g *glrChart) run(x, mu0 []float64) (int, []float64, []float64) {
	val := make([]float64, len(x))
	var cases []float64
	if g.cases {
		cases = make([]float64, len(x))
	}
	switch {
	case g.alpha == 0 && g.m > 0:
		return g.runPoisWindow(x, mu0, val, cases), val, cases
	case g.alpha == 0:
		return g.runPois(x, mu0, val, cases), val, cases
	}
	nAlarm := -1
	for n := max(g.mtilde-1, 0); n < len(x); n++ {
		val[n] = g.nbGLR(n, x, mu0)
		if val[n] >= g.cARL {
			nAlarm = n
			break
		}
	}
	if g.cases {
		g.nbCases(x, mu0, nAlarm, cases)
	}
	return nAlarm, val, cases
}

// nbGLR is the statistic at n of glr_nb_window: for each change point k,
// κ̂ by Newton-Raphson (started at the previous k's estimate) and the
// log-likelihood ratio l_{n,k}(κ̂); the maximum over k.
func (g *glrChart) nbGLR(n int, x, mu0 []float64) float64 {
	alpha, dir := g.alpha, g.dir
	maxGLR := -1e99
	kappaML := 0.5
	low := 0
	if g.m != -1 {
		low = max(0, n-g.m)
	}
	up := n - (g.mtilde - 1)
	for k := low; k <= up; k++ {
		kappaOld := 0.4
		kappaNew := kappaML
		for iter := 0; kappaNew > -18 && math.Abs(kappaNew-kappaOld) > 1e-6 && iter < 1000; iter++ {
			kappaOld = kappaNew
			ek := math.Exp(kappaOld)
			var score, fisher float64
			for i := k; i <= n; i++ {
				d := 1 + alpha*ek*mu0[i]
				score += (x[i] - ek*mu0[i]) / d
				fisher += mu0[i] * (alpha*x[i] + 1) / (d * d)
			}
			kappaNew = kappaOld + score/(ek*fisher)
		}
		kappaML = dir * cfmax(0, dir*kappaNew)
		ek := math.Exp(kappaML)
		var lnk float64
		for i := k; i <= n; i++ {
			lnk += kappaML*x[i] + (x[i]+1/alpha)*math.Log((1+alpha*mu0[i])/(1+alpha*mu0[i]*ek))
		}
		if lnk > maxGLR {
			maxGLR = lnk
		}
	}
	return maxGLR
}

// nbCases is algo.glrnb's brute-force search for ret = "cases" with α > 0.
// R steps the count at each position one by one; the statistic at a
// position is monotone in its count (increasing for Dir "inc", decreasing
// for "dec"), so the same answers are found here by bisection:
//   - no alarm at pos: the smallest count above x_pos, up to xMax + 1, that
//     raises an alarm, and 1e99 when there is none or when x_pos is 0 (R's
//     loop only runs for counts ≥ 1);
//   - the alarm position: the smallest count, down to 1, that still
//     alarms; NaN (reported as 0) when even 0 alarms.
func (g *glrChart) nbCases(x, mu0 []float64, nAlarm int, cases []float64) {
	last := len(x) - 1
	if nAlarm >= 0 {
		last = nAlarm
	}
	y := make([]float64, len(x))
	copy(y, x)
	// No alarm before pos, so the chart alarms at or before pos exactly
	// when the statistic at pos reaches c.ARL.
	alarmAt := func(pos int, v float64) bool {
		y[pos] = v
		return g.nbGLR(pos, y, mu0) >= g.cARL
	}
	for pos := 0; pos <= last; pos++ {
		orig := y[pos]
		switch {
		case orig < 1 || orig > g.xMax:
			// R's loop condition fails before the first step.
			if pos == nAlarm {
				cases[pos] = math.NaN()
			} else {
				cases[pos] = 1e99
			}
		case pos != nAlarm && g.dir < 0:
			cases[pos] = 1e99 // larger counts only lower the statistic
		case pos != nAlarm:
			top := math.Floor(g.xMax) + 1
			if !alarmAt(pos, top) {
				cases[pos] = 1e99
				break
			}
			cases[pos] = firstTrue(orig+1, top, func(v float64) bool { return alarmAt(pos, v) })
		case g.dir < 0:
			cases[pos] = math.NaN() // smaller counts only raise the statistic
		default:
			if alarmAt(pos, 0) {
				cases[pos] = math.NaN()
				break
			}
			cases[pos] = firstTrue(1, orig, func(v float64) bool { return alarmAt(pos, v) })
		}
		y[pos] = orig
	}
}

// firstTrue returns the smallest integer v in [lo, hi] with f(v) true,
// for f monotone (false … false true … true) and f(hi) true.
func firstTrue(lo, hi float64, f func(float64) bool) float64 {
	for lo < hi {
		mid := math.Floor((lo + hi) / 2)
		if f(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return hi
}

// poisGLR is glr() of surveillance.c: the Poisson statistic at n over all
// change points, κ̂ = log(Σx/Σμ0) clamped by direction.
func (g *glrChart) poisGLR(n int, x, mu0 []float64) float64 {
	var sumx, summu0 float64
	maxGLR := -1e99
	for k := n; k >= 0; k-- {
		sumx += x[k]
		summu0 += mu0[k]
		kappa := g.dir * cfmax(0, g.dir*math.Log(sumx/summu0))
		s := kappa*sumx + (1-math.Exp(kappa))*summu0
		if s > maxGLR {
			maxGLR = s
		}
	}
	return maxGLR
}

// poisGLRWindow is glr_window() of surveillance.c.
func (g *glrChart) poisGLRWindow(n int, x, mu0 []float64) float64 {
	var sumx, summu0 float64
	maxGLR := -1e99
	for l := n - g.mtilde + 1; l <= n; l++ {
		sumx += x[l]
		summu0 += mu0[l]
	}
	for k := n - g.mtilde; k >= max(0, n-g.m); k-- {
		sumx += x[k]
		summu0 += mu0[k]
		kappa := g.dir * cfmax(0, g.dir*math.Log(sumx/summu0))
		s := kappa*sumx + (1-math.Exp(kappa))*summu0
		if s > maxGLR {
			maxGLR = s
		}
	}
	return maxGLR
}

// poisCases is the ret == 2 search of glr_cusum: the smallest count at n,
// from 0 up, for which the statistic reaches c.ARL (Dir "inc") or falls to
// c.ARL or below (Dir "dec"). The C code steps one by one; the statistic is
// monotone in the count, so doubling and bisection give the same answer.
func (g *glrChart) poisCases(n int, x, mu0 []float64, stat func(int, []float64, []float64) float64) float64 {
	old := x[n]
	done := func(v float64) bool {
		x[n] = v
		s := stat(n, x, mu0)
		return !(g.dir*s < g.cARL*g.dir)
	}
	var res float64
	if done(0) {
		res = 0
	} else {
		lo, hi := 0.0, 1.0
		for !done(hi) {
			lo, hi = hi, 2*hi
			if hi > 1e15 {
				hi = math.NaN()
				break
			}
		}
		if math.IsNaN(hi) {
			res = math.NaN()
		} else {
			res = firstTrue(lo+1, hi, done)
		}
	}
	x[n] = old
	return res
}

// runPois is glr_cusum of surveillance.c.
func (g *glrChart) runPois(x, mu0, val, cases []float64) int {
	y := x
	if g.cases {
		y = append([]float64(nil), x...)
	}
	for n := max(0, g.mtilde-1); n < len(x); n++ {
		val[n] = g.poisGLR(n, y, mu0)
		if g.cases {
			cases[n] = g.poisCases(n, y, mu0, g.poisGLR)
		}
		if val[n] >= g.cARL {
			return n
		}
	}
	return -1
}

// runPoisWindow is glr_cusum_window of surveillance.c; note that it starts
// at n = Mtilde (0-based), so the first Mtilde points keep the value 0.
func (g *glrChart) runPoisWindow(x, mu0, val, cases []float64) int {
	y := x
	if g.cases {
		y = append([]float64(nil), x...)
	}
	for n := g.mtilde; n < len(x); n++ {
		val[n] = g.poisGLRWindow(n, y, mu0)
		if g.cases {
			cases[n] = g.poisCases(n, y, mu0, g.poisGLRWindow)
		}
		if val[n] >= g.cARL {
			return n
		}
	}
	return -1
}

// estimateGLRMu0 is algo.glrnb's estimateGLRNbHook with refit = FALSE:
// y ~ 1 (+ t) + Σ_s cos(2πst/Freq) + sin(2πst/Freq) on t = 1 … lo, with
// MASS::glm.nb when α is not given (α = 1/θ̂), a Poisson GLM when α = 0 and
// a negative binomial GLM with θ = 1/α otherwise; μ0 is the prediction for
// the monitored t. It returns α.
func estimateGLRMu0(observed []float64, lo, hi int, o GLRNBOptions, mu0 []float64) (float64, error) {
	const name = "glr-nb"
	p := 1 + 2*o.S
	if o.MuTrend {
		p++
	}
	row := func(t float64, r []float64) {
		r[0] = 1
		c := 1
		if o.MuTrend {
			r[1] = t
			c = 2
		}
		for s := 1; s <= o.S; s++ {
			a := 2 * float64(s) * math.Pi / float64(o.Freq) * t
			r[c] = math.Cos(a)
			r[c+1] = math.Sin(a)
			c += 2
		}
	}
	n := lo
	if n <= p {
		return 0, shortErr(name, "estimating mu0 needs more than %d points before rangeStart (got %d)", p, n)
	}
	x := make([]float64, n*p)
	for i := 0; i < n; i++ {
		row(float64(i+1), x[i*p:i*p+p])
	}
	y := observed[:lo]
	var w glmWork
	var coef []float64
	alpha := o.Alpha
	switch {
	case math.IsNaN(alpha):
		c, theta, err := fitGLMNB(&w, n, p, x, y)
		if err != nil {
			return 0, shortErr(name, "the negative binomial model for mu0 cannot be fitted to the %d points before rangeStart: %v", n, err)
		}
		coef, alpha = c, 1/theta
	default:
		pr := glmProblem{n: n, p: p, x: x, y: y, family: famQuasiPoisson}
		if alpha > 0 {
			pr.family, pr.theta = famNegBin, 1/alpha
		}
		res, err := w.fit(&pr)
		if err != nil {
			return 0, shortErr(name, "the model for mu0 cannot be fitted to the %d points before rangeStart: %v", n, err)
		}
		coef = append([]float64(nil), res.coef...)
	}
	r := make([]float64, p)
	for i := lo; i < hi; i++ {
		row(float64(i+1), r)
		var eta float64
		for j := range r {
			eta += r[j] * coef[j]
		}
		mu0[i-lo] = logLinkInv(eta)
	}
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) || alpha < 0 {
		return 0, shortErr(name, "the estimated dispersion is %v", alpha)
	}
	return alpha, nil
}

// fitGLMNB is MASS::glm.nb (log link, unit weights, default control): a
// Poisson fit, θ by theta.ml, then alternating negative binomial fits and
// θ updates until the log-likelihood and θ settle.
func fitGLMNB(w *glmWork, n, p int, x, y []float64) ([]float64, float64, error) {
	pr := glmProblem{n: n, p: p, x: x, y: y, family: famQuasiPoisson}
	res, err := w.fit(&pr)
	if err != nil {
		return nil, 0, err
	}
	mu := append([]float64(nil), res.mu...)
	dfResid := res.dfResid
	th, err := thetaML(y, mu, glmMaxit)
	if err != nil {
		return nil, 0, err
	}
	loglik := func(th float64, mu []float64) float64 {
		var s float64
		for i, yi := range y {
			lg1, _ := math.Lgamma(th + yi)
			lg2, _ := math.Lgamma(th)
			lg3, _ := math.Lgamma(yi + 1)
			m := mu[i]
			if yi == 0 {
				m++
			}
			s += lg1 - lg2 - lg3 + th*math.Log(th) + yi*math.Log(m) - (th+yi)*math.Log(th+mu[i])
		}
		return s
	}
	d1 := math.Sqrt(2 * math.Max(1, float64(dfResid)))
	d2, del := 1.0, 1.0
	lm := loglik(th, mu)
	lm0 := lm + 2*d1
	eta := make([]float64, n)
	coef := append([]float64(nil), res.coef...)
	for iter := 1; iter <= glmMaxit && math.Abs(lm0-lm)/d1+math.Abs(del)/d2 > glmEpsilon; iter++ {
		for i := range eta {
			eta[i] = math.Log(mu[i])
		}
		pr := glmProblem{n: n, p: p, x: x, y: y, family: famNegBin, theta: th, etaStart: eta}
		res, err := w.fit(&pr)
		if err != nil {
			return nil, 0, err
		}
		t0 := th
		// theta.ml uses μ of the previous fit, as glm.nb does.
		th, err = thetaML(y, mu, glmMaxit)
		if err != nil {
			return nil, 0, err
		}
		copy(mu, res.mu)
		copy(coef, res.coef)
		del = t0 - th
		lm0 = lm
		lm = loglik(th, mu)
	}
	return coef, th, nil
}

// thetaML is MASS::theta.ml with unit weights: Newton-Raphson for the
// negative binomial size θ given μ, from the moment estimate.
func thetaML(y, mu []float64, limit int) (float64, error) {
	n := float64(len(y))
	var den float64
	for i, yi := range y {
		d := yi/mu[i] - 1
		den += d * d
	}
	t0 := n / den
	del := 1.0
	eps := math.Pow(dblEpsilon, 0.25)
	for it := 1; it < limit && math.Abs(del) > eps; it++ {
		t0 = math.Abs(t0)
		var score, info float64
		for i, yi := range y {
			m := mu[i]
			score += digamma(t0+yi) - digamma(t0) + math.Log(t0) + 1 - math.Log(t0+m) - (yi+t0)/(m+t0)
			info += -trigamma(t0+yi) + trigamma(t0) - 1/t0 + 2/(m+t0) - (yi+t0)/((m+t0)*(m+t0))
		}
		del = score / info
		t0 += del
	}
	if t0 < 0 {
		t0 = 0 // "estimate truncated at zero"
	}
	if math.IsNaN(t0) || t0 == 0 || math.IsInf(t0, 0) {
		return 0, errNoFit
	}
	return t0, nil
}
