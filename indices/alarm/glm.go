package alarm

import (
	"errors"
	"math"
)

// This file is a small replica of R's glm.fit for the log link: the
// quasi-Poisson family (the Farrington detectors; its iterations are those of
// the Poisson family) and the negative binomial family with a known θ (the
// mean model of the GLR chart and MASS::glm.nb).
//
// It follows glm.fit step by step because the reference values depend on its
// details: the starting values (μ = y + 0.1 for the Poisson family), the
// convergence rule |dev − dev_old| / (|dev| + 0.1) < 1e-8 with at most 25
// iterations, step halving when the deviance is not finite, and the fact that
// the working weights and the QR decomposition kept in the fitted object come
// from the last iteration, i.e. they were computed from the μ *before* the
// final update. summary.glm (dispersion, covariance) and hatvalues use those.
//
// The weighted least-squares step uses a Householder QR written out here
// instead of gonum/mat: the Farrington detectors run millions of these small
// (n ≤ a few hundred, p ≤ a dozen) factorisations, and a reused workspace
// keeps the hot loop free of allocations. Rank detection mimics LINPACK's
// dqrdc2 as called by glm.fit (tolerance 1e-11 relative to the column norm);
// where R would pivot an aliased column out and carry on, this code reports
// errSingular and the detectors leave the bound undefined.

const (
	glmEpsilon = 1e-8  // glm.control()$epsilon
	glmMaxit   = 25    // glm.control()$maxit
	qrTol      = 1e-11 // min(1e-7, epsilon/1000) in glm.fit
)

var (
	errSingular  = errors.New("singular design (aliased coefficients)")
	errNoFit     = errors.New("no valid set of coefficients")
	errBadInput  = errors.New("invalid response for the family")
	errNotFinite = errors.New("non-finite coefficients")
)

type glmFamily int

const (
	famQuasiPoisson glmFamily = iota // variance μ
	famNegBin                        // variance μ + μ²/θ
)

// glmProblem is one model fit: design x (row-major, n×p), response y,
// optional prior weights and offset, and the family.
type glmProblem struct {
	n, p     int
	x        []float64
	y        []float64
	prior    []float64 // nil means all ones
	offset   []float64 // nil means zero
	family   glmFamily
	theta    float64   // negative binomial size θ
	etaStart []float64 // nil means the family's initialisation
}

// glmResult is the part of an R glm object the detectors use. Its slices
// belong to the glmWork that produced it and are overwritten by the next fit.
type glmResult struct {
	n, p      int
	coef      []float64 // p
	eta, mu   []float64 // n
	wt        []float64 // working weights of the last iteration (object$weights)
	resid     []float64 // working residuals (y − μ)/μ'(η) (object$residuals)
	rinv      []float64 // p×p, row-major, inverse of the R factor of the last QR
	converged bool
	dev       float64
	dfResid   int
	iter      int
	swx       []float64 // weighted design of the last iteration, column-major
}

// glmWork holds reusable buffers; one per goroutine.
type glmWork struct {
	res     glmResult
	a       []float64 // column-major weighted design, factorised in place
	orig    []float64 // column norms before the factorisation
	z       []float64 // working response
	w       []float64 // square roots of the working weights
	coefOld []float64
	start   []float64 // coefficients of the current iteration
}

func growF(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n, n+n/4+8)
	}
	return s[:n]
}

func (w *glmWork) resize(n, p int) {
	r := &w.res
	r.n, r.p = n, p
	r.coef = growF(r.coef, p)
	r.eta = growF(r.eta, n)
	r.mu = growF(r.mu, n)
	r.wt = growF(r.wt, n)
	r.resid = growF(r.resid, n)
	r.rinv = growF(r.rinv, p*p)
	r.swx = growF(r.swx, n*p)
	w.a = growF(w.a, n*p)
	w.orig = growF(w.orig, p)
	w.z = growF(w.z, n)
	w.w = growF(w.w, n)
	w.coefOld = growF(w.coefOld, p)
	w.start = growF(w.start, p)
}

func logLinkInv(eta float64) float64 { return math.Max(math.Exp(eta), dblEpsilon) }

// devResid is the family's deviance contribution of one observation.
func devResid(fam glmFamily, theta, y, mu, wt float64) float64 {
	switch fam {
	case famNegBin:
		return 2 * wt * (y*math.Log(math.Max(1, y)/mu) - (y+theta)*math.Log((y+theta)/(mu+theta)))
	default:
		if y == 0 {
			return 2 * wt * mu
		}
		return 2 * wt * (y*math.Log(y/mu) - (y - mu))
	}
}

func variance(fam glmFamily, theta, mu float64) float64 {
	if fam == famNegBin {
		return mu + mu*mu/theta
	}
	return mu
}

func (pr *glmProblem) priorAt(i int) float64 {
	if pr.prior == nil {
		return 1
	}
	return pr.prior[i]
}

func (pr *glmProblem) offsetAt(i int) float64 {
	if pr.offset == nil {
		return 0
	}
	return pr.offset[i]
}

func (pr *glmProblem) deviance(mu []float64) float64 {
	var d float64
	for i := 0; i < pr.n; i++ {
		d += devResid(pr.family, pr.theta, pr.y[i], mu[i], pr.priorAt(i))
	}
	return d
}

func (pr *glmProblem) linpred(coef, eta, mu []float64) {
	p := pr.p
	for i := 0; i < pr.n; i++ {
		row := pr.x[i*p : i*p+p]
		var s float64
		for j, c := range coef {
			s += row[j] * c
		}
		eta[i] = s + pr.offsetAt(i)
		mu[i] = logLinkInv(eta[i])
	}
}

// fit runs glm.fit's IRLS. Observations with prior weight 0 take no part in
// the fit (glm.fit's "good" subset) but keep their η and μ. A non-converged fit is returned with
// converged == false; errors mean R would have stopped or produced
// aliased (NA) coefficients.
func (w *glmWork) fit(pr *glmProblem) (*glmResult, error) {
	n, p := pr.n, pr.p
	nOK := 0
	for i := 0; i < n; i++ {
		y, pw := pr.y[i], pr.priorAt(i)
		if !(y >= 0) || math.IsInf(y, 0) || !(pw >= 0) || math.IsInf(pw, 0) {
			return nil, errBadInput
		}
		if pw > 0 {
			nOK++
		}
	}
	if nOK == 0 || p == 0 || nOK < p {
		return nil, errSingular
	}
	w.resize(n, p)
	r := &w.res
	// Initialisation: the family's mustart, or etastart.
	for i := 0; i < n; i++ {
		if pr.etaStart != nil {
			r.eta[i] = pr.etaStart[i]
		} else {
			var m float64
			if pr.family == famNegBin {
				m = pr.y[i]
				if m == 0 {
					m = 1.0 / 6
				}
			} else {
				m = pr.y[i] + 0.1
			}
			r.eta[i] = math.Log(m)
		}
		r.mu[i] = logLinkInv(r.eta[i])
	}
	devOld := pr.deviance(r.mu)
	haveCoefOld := false
	r.converged = false
	r.iter = 0
	var dev float64
	for iter := 1; iter <= glmMaxit; iter++ {
		r.iter = iter
		// Working response and weights from the current η, μ.
		for i := 0; i < n; i++ {
			muEta := r.mu[i] // for the log link μ'(η) = max(exp(η), ε) = μ
			w.z[i] = r.eta[i] - pr.offsetAt(i) + (pr.y[i]-r.mu[i])/muEta
			w.w[i] = math.Sqrt(pr.priorAt(i) * muEta * muEta / variance(pr.family, pr.theta, r.mu[i]))
		}
		if err := w.wls(pr); err != nil {
			return nil, err
		}
		finite := true
		for _, c := range w.start {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				finite = false
			}
		}
		if !finite {
			// glm.fit warns "non-finite coefficients" and breaks with conv = FALSE;
			// nothing usable remains.
			return nil, errNotFinite
		}
		pr.linpred(w.start, r.eta, r.mu)
		dev = pr.deviance(r.mu)
		if math.IsNaN(dev) || math.IsInf(dev, 0) {
			if !haveCoefOld {
				return nil, errNoFit
			}
			ok := false
			for ii := 1; ii <= glmMaxit; ii++ {
				for j := range w.start {
					w.start[j] = (w.start[j] + w.coefOld[j]) / 2
				}
				pr.linpred(w.start, r.eta, r.mu)
				dev = pr.deviance(r.mu)
				if !math.IsNaN(dev) && !math.IsInf(dev, 0) {
					ok = true
					break
				}
			}
			if !ok {
				return nil, errNoFit
			}
		}
		if math.Abs(dev-devOld)/(math.Abs(dev)+0.1) < glmEpsilon {
			r.converged = true
			break
		}
		devOld = dev
		copy(w.coefOld, w.start)
		haveCoefOld = true
	}
	copy(r.coef, w.start)
	w.finish(pr)
	r.dev = dev
	r.dfResid = nOK - p
	for i := 0; i < n; i++ {
		muEta := r.mu[i]
		r.resid[i] = (pr.y[i] - r.mu[i]) / muEta
		r.wt[i] = w.w[i] * w.w[i]
	}
	return r, nil
}

// wls solves the weighted least-squares step with a Householder QR of
// diag(w)·X, storing the coefficients in w.start and the factorisation in
// w.a (R on and above the diagonal).
func (w *glmWork) wls(pr *glmProblem) error {
	n, p := pr.n, pr.p
	a := w.a
	for j := 0; j < p; j++ {
		col := a[j*n : j*n+n]
		var ss float64
		for i := 0; i < n; i++ {
			v := pr.x[i*p+j] * w.w[i]
			col[i] = v
			ss += v * v
		}
		w.orig[j] = math.Sqrt(ss)
		if w.orig[j] == 0 {
			w.orig[j] = 1 // dqrdc2 compares against 1 for an all-zero column
		}
	}
	z := w.z
	for i := 0; i < n; i++ {
		z[i] *= w.w[i]
	}
	for l := 0; l < p; l++ {
		col := a[l*n : l*n+n]
		var ss float64
		for i := l; i < n; i++ {
			ss += col[i] * col[i]
		}
		nrm := math.Sqrt(ss)
		if !(nrm >= w.orig[l]*qrTol) {
			return errSingular
		}
		if l == n-1 {
			continue
		}
		if col[l] != 0 {
			nrm = math.Copysign(nrm, col[l])
		}
		inv := 1 / nrm
		for i := l; i < n; i++ {
			col[i] *= inv
		}
		col[l]++
		v0 := col[l]
		for j := l + 1; j < p; j++ {
			cj := a[j*n : j*n+n]
			var t float64
			for i := l; i < n; i++ {
				t -= col[i] * cj[i]
			}
			t /= v0
			for i := l; i < n; i++ {
				cj[i] += t * col[i]
			}
		}
		var t float64
		for i := l; i < n; i++ {
			t -= col[i] * z[i]
		}
		t /= v0
		for i := l; i < n; i++ {
			z[i] += t * col[i]
		}
		col[l] = -nrm
	}
	// Back substitution R·β = (Qᵀz)[:p].
	for i := p - 1; i >= 0; i-- {
		s := z[i]
		for j := i + 1; j < p; j++ {
			s -= a[j*n+i] * w.start[j]
		}
		w.start[i] = s / a[i*n+i]
	}
	return nil
}

// finish keeps what summary.glm, predict.glm and hatvalues need from the
// last iteration: R⁻¹ of its QR and its weighted design.
func (w *glmWork) finish(pr *glmProblem) {
	n, p := pr.n, pr.p
	a := w.a
	r := &w.res
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			r.swx[j*n+i] = pr.x[i*p+j] * w.w[i]
		}
	}
	ri := r.rinv
	for i := range ri {
		ri[i] = 0
	}
	for j := 0; j < p; j++ {
		ri[j*p+j] = 1 / a[j*n+j]
		for i := j - 1; i >= 0; i-- {
			var s float64
			for k := i + 1; k <= j; k++ {
				s += a[k*n+i] * ri[k*p+j]
			}
			ri[i*p+j] = -s / a[i*n+i]
		}
	}
}

// dispersion is summary.glm's estimate for families with a free dispersion:
// Σ wt·resid² / df.residual over the observations with positive weight, NaN
// when there are no residual degrees of freedom.
func (r *glmResult) dispersion() float64 {
	return r.dispersionWith(r.wt)
}

// dispersionWith is summary.glm's formula with other weights in place of
// object$weights (see farModel.sumDisp).
func (r *glmResult) dispersionWith(wt []float64) float64 {
	if r.dfResid <= 0 {
		return math.NaN()
	}
	var s float64
	for i := 0; i < r.n; i++ {
		if wt[i] > 0 {
			s += wt[i] * r.resid[i] * r.resid[i]
		}
	}
	return s / float64(r.dfResid)
}

// quadForm returns xᵀ(RᵀR)⁻¹x = ‖xᵀR⁻¹‖², the unscaled variance of xᵀβ.
func (r *glmResult) quadForm(x []float64) float64 {
	p := r.p
	var s float64
	for j := 0; j < p; j++ {
		var v float64
		for k := 0; k <= j; k++ {
			v += x[k] * r.rinv[k*p+j]
		}
		s += v * v
	}
	return s
}

// covDiag returns the j-th diagonal element of (RᵀR)⁻¹.
func (r *glmResult) covDiag(j int) float64 {
	p := r.p
	var s float64
	for k := j; k < p; k++ {
		v := r.rinv[j*p+k]
		s += v * v
	}
	return s
}

// hat returns the i-th diagonal element of the hat matrix of the last
// weighted least-squares step, as hatvalues() does (values within 10ε of 1
// become 1).
func (r *glmResult) hat(i int) float64 {
	n, p := r.n, r.p
	var s float64
	for j := 0; j < p; j++ {
		var v float64
		for k := 0; k <= j; k++ {
			v += r.swx[k*n+i] * r.rinv[k*p+j]
		}
		s += v * v
	}
	if s > 1-10*dblEpsilon {
		s = 1
	}
	return s
}
