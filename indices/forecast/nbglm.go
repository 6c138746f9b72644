package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
)

// NBGLM is a negative binomial regression with log link, fitted like
// MASS::glm.nb: a Poisson fit first, then alternating IRLS for the
// coefficients at fixed θ and Newton steps for θ (MASS::theta.ml) until the
// log-likelihood and θ settle.
type NBGLM struct {
	Coef  []float64
	Theta float64 // NB size; variance μ + μ²/θ
	// Cov is the covariance of the coefficients, (XᵀWX)⁻¹ at the final
	// working weights.
	Cov    *mat.SymDense
	Fitted []float64
	LogLik float64
	Iter   int
}

const (
	glmEps      = 1e-8 // glm.control()$epsilon
	glmMaxit    = 25   // glm.control()$maxit
	thetaMax    = 1e8  // θ beyond this is treated as Poisson
	thetaMLEps  = 1.220703125e-04
	quantileTol = 1e-12
)

// irls fits the GLM at fixed θ (θ = +Inf: Poisson) from the linear
// predictor eta (nil: glm.fit's start μ = y + 0.1). x is n×p row-major.
func irls(x *mat.Dense, y []float64, theta float64, eta []float64) (coef []float64, mu []float64, cov *mat.SymDense, err error) {
	n, p := x.Dims()
	mu = make([]float64, n)
	if eta == nil {
		eta = make([]float64, n)
		for i, v := range y {
			mu[i] = v + 0.1
			if !math.IsInf(theta, 1) {
				mu[i] = v + (1.0/6)*float64(b2i(v == 0))
			}
			eta[i] = math.Log(mu[i])
		}
	} else {
		eta = append([]float64(nil), eta...)
		for i := range eta {
			mu[i] = math.Exp(eta[i])
		}
	}
	dev := nbDeviance(y, mu, theta)
	w := make([]float64, n)
	z := make([]float64, n)
	xtwx := mat.NewSymDense(p, nil)
	xtwz := mat.NewVecDense(p, nil)
	beta := mat.NewVecDense(p, nil)
	var chol mat.Cholesky
	for it := 0; it < glmMaxit; it++ {
		for i := range y {
			v := mu[i]
			if !math.IsInf(theta, 1) {
				v = mu[i] + mu[i]*mu[i]/theta
			}
			w[i] = mu[i] * mu[i] / v
			z[i] = eta[i] + (y[i]-mu[i])/mu[i]
		}
		xtwx.Zero()
		xtwz.Zero()
		for i := 0; i < n; i++ {
			row := x.RawRowView(i)
			for a := 0; a < p; a++ {
				xa := row[a] * w[i]
				xtwz.SetVec(a, xtwz.AtVec(a)+xa*z[i])
				for b := a; b < p; b++ {
					xtwx.SetSym(a, b, xtwx.At(a, b)+xa*row[b])
				}
			}
		}
		if ok := chol.Factorize(xtwx); !ok {
			return nil, nil, nil, fmt.Errorf("negative binomial glm: singular design")
		}
		if err := chol.SolveVecTo(beta, xtwz); err != nil {
			return nil, nil, nil, fmt.Errorf("negative binomial glm: %w", err)
		}
		for i := 0; i < n; i++ {
			eta[i] = mat.Dot(x.RowView(i), beta)
			mu[i] = math.Max(math.Exp(eta[i]), 2.220446e-16)
		}
		nd := nbDeviance(y, mu, theta)
		if math.IsNaN(nd) || math.IsInf(nd, 0) {
			return nil, nil, nil, fmt.Errorf("negative binomial glm: deviance not finite")
		}
		conv := math.Abs(nd-dev)/(math.Abs(nd)+0.1) < glmEps
		dev = nd
		if conv {
			break
		}
	}
	// Covariance at the working weights of the final μ.
	for i := range y {
		v := mu[i]
		if !math.IsInf(theta, 1) {
			v = mu[i] + mu[i]*mu[i]/theta
		}
		w[i] = mu[i] * mu[i] / v
	}
	xtwx.Zero()
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		for a := 0; a < p; a++ {
			for b := a; b < p; b++ {
				xtwx.SetSym(a, b, xtwx.At(a, b)+row[a]*w[i]*row[b])
			}
		}
	}
	cov = mat.NewSymDense(p, nil)
	if ok := chol.Factorize(xtwx); !ok {
		return nil, nil, nil, fmt.Errorf("negative binomial glm: singular design")
	}
	if err := chol.InverseTo(cov); err != nil {
		return nil, nil, nil, fmt.Errorf("negative binomial glm: %w", err)
	}
	return beta.RawVector().Data, mu, cov, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nbDeviance(y, mu []float64, theta float64) float64 {
	var d float64
	for i, v := range y {
		m := mu[i]
		if math.IsInf(theta, 1) {
			r := -(v - m)
			if v > 0 {
				r = v*math.Log(v/m) - (v - m)
			}
			d += 2 * r
			continue
		}
		r := (v + theta) * math.Log((1+m/theta)/(1+v/theta))
		if v > 0 {
			r += v * math.Log(v/m)
		}
		d += 2 * r
	}
	return d
}

// nbLogLik is MASS's loglik: Σ lgamma(θ+y) − lgamma(θ) − lgamma(y+1) +
// θ·log θ + y·log(μ+(y==0)) − (θ+y)·log(θ+μ).
func nbLogLik(y, mu []float64, theta float64) float64 {
	var l float64
	for i, v := range y {
		a, _ := math.Lgamma(theta + v)
		b, _ := math.Lgamma(theta)
		c, _ := math.Lgamma(v + 1)
		ym := mu[i]
		if v == 0 {
			ym++
		}
		l += a - b - c + theta*math.Log(theta) + v*math.Log(ym) - (theta+v)*math.Log(theta+mu[i])
	}
	return l
}

// thetaML is MASS::theta.ml: Newton iterations on the score of θ from the
// moment estimate n / Σ(y/μ − 1)², at most limit−1 steps.
func thetaML(y, mu []float64, limit int) float64 {
	n := float64(len(y))
	var s float64
	for i, v := range y {
		d := v/mu[i] - 1
		s += d * d
	}
	t0 := n / s
	del := 1.0
	for it := 1; it < limit && math.Abs(del) > thetaMLEps; it++ {
		t0 = math.Abs(t0)
		var sc, inf float64
		for i, v := range y {
			m := mu[i]
			sc += mathext.Digamma(t0+v) - mathext.Digamma(t0) + math.Log(t0) + 1 - math.Log(t0+m) - (v+t0)/(m+t0)
			inf += -trigamma(t0+v) + trigamma(t0) - 1/t0 + 2/(m+t0) - (v+t0)/((m+t0)*(m+t0))
		}
		del = sc / inf
		t0 += del
		if t0 > thetaMax || math.IsNaN(t0) {
			return math.Inf(1)
		}
	}
	if t0 < 0 {
		t0 = 0
	}
	return t0
}

// trigamma by recurrence and the asymptotic series.
func trigamma(x float64) float64 {
	var r float64
	for x < 6 {
		r += 1 / (x * x)
		x++
	}
	x2 := 1 / (x * x)
	return r + 1/x + x2/2 + (1/x)*x2*(1.0/6-x2*(1.0/30-x2*(1.0/42-x2*(1.0/30))))
}

// FitNBGLM fits the negative binomial GLM of y on the design x (n×p,
// row-major rows; include the intercept column yourself). When the data
// show no overdispersion θ is +Inf and the fit is the Poisson GLM.
func FitNBGLM(x [][]float64, y []float64) (*NBGLM, error) {
	n := len(y)
	if n == 0 || len(x) != n {
		return nil, fmt.Errorf("negative binomial glm: %d rows for %d counts: %w", len(x), n, ErrBadInput)
	}
	p := len(x[0])
	if n <= p {
		return nil, ErrTooShort
	}
	var sum float64
	for _, v := range y {
		if v < 0 || math.IsNaN(v) {
			return nil, ErrBadInput
		}
		sum += v
	}
	if sum == 0 {
		return nil, fmt.Errorf("negative binomial glm: all counts are zero: %w", ErrBadInput)
	}
	xm := mat.NewDense(n, p, nil)
	for i, r := range x {
		if len(r) != p {
			return nil, ErrBadInput
		}
		xm.SetRow(i, r)
	}
	_, mu, _, err := irls(xm, y, math.Inf(1), nil)
	if err != nil {
		return nil, err
	}
	th := thetaML(y, mu, glmMaxit)
	lm := nbLogLik(y, mu, th)
	if math.IsInf(th, 1) {
		lm = 0
	}
	d1 := math.Sqrt(2 * math.Max(1, float64(n-p)))
	del, d2 := 1.0, 1.0
	lm0 := lm + 2*d1
	var coef []float64
	var cov *mat.SymDense
	iter := 0
	for iter < glmMaxit && (math.Abs(lm0-lm)/d1+math.Abs(del)/d2) > glmEps {
		iter++
		eta := make([]float64, n)
		for i := range mu {
			eta[i] = math.Log(mu[i])
		}
		var fmu []float64
		coef, fmu, cov, err = irls(xm, y, th, eta)
		if err != nil {
			return nil, err
		}
		t0 := th
		th = thetaML(y, fmu, glmMaxit)
		mu = fmu
		if math.IsInf(th, 1) {
			// Poisson: refit at θ = ∞ and stop.
			coef, mu, cov, err = irls(xm, y, th, eta)
			if err != nil {
				return nil, err
			}
			break
		}
		del = t0 - th
		if math.IsInf(t0, 1) {
			del = 1
		}
		lm0 = lm
		lm = nbLogLik(y, mu, th)
	}
	return &NBGLM{Coef: coef, Theta: th, Cov: cov, Fitted: mu, LogLik: lm, Iter: iter}, nil
}

// Mean is exp(xᵀβ) and SE the standard error of xᵀβ.
func (g *NBGLM) Mean(x []float64) (mean, seEta float64) {
	var eta, q float64
	for a := range x {
		eta += x[a] * g.Coef[a]
		for b := range x {
			q += x[a] * g.Cov.At(a, b) * x[b]
		}
	}
	return math.Exp(eta), math.Sqrt(math.Max(q, 0))
}

// PNBinom is P(Y ≤ k) for Y ~ NB(size θ, mean μ) (Poisson when θ is +Inf).
func PNBinom(k, mu, theta float64) float64 {
	if k < 0 {
		return 0
	}
	k = math.Floor(k)
	if mu <= 0 {
		return 1
	}
	if math.IsInf(theta, 1) {
		return mathext.GammaIncRegComp(k+1, mu) // P(Y ≤ k) = Q(k+1, μ)
	}
	return mathext.RegIncBeta(theta, k+1, theta/(theta+mu))
}

// QNBinom is the smallest integer k with P(Y ≤ k) ≥ p, as R's qnbinom
// with mu = μ and size = θ.
func QNBinom(p, mu, theta float64) float64 {
	return discreteQuantile(p, mu, math.Sqrt(mu+mu*mu/math.Min(theta, 1e300)), func(k float64) float64 { return PNBinom(k, mu, theta) })
}

// discreteQuantile finds the smallest integer k ≥ 0 with cdf(k) ≥ p by
// expanding a bracket around mean ± sd and bisecting.
func discreteQuantile(p, mean, sd float64, cdf func(float64) float64) float64 {
	if p <= 0 {
		return 0
	}
	if math.IsNaN(mean) || math.IsInf(mean, 0) || math.IsNaN(sd) || math.IsInf(sd, 0) {
		return math.NaN()
	}
	guess := math.Max(0, math.Floor(mean))
	step := math.Max(1, math.Ceil(sd))
	lo, hi := guess, guess
	if cdf(guess) >= p*(1-quantileTol) {
		// search downward for a k with cdf(k) < p.
		for lo > 0 {
			lo = math.Max(0, lo-step)
			if cdf(lo) < p*(1-quantileTol) {
				break
			}
			step *= 2
		}
		if lo == 0 && cdf(0) >= p*(1-quantileTol) {
			return 0
		}
	} else {
		for cdf(hi) < p*(1-quantileTol) {
			lo = hi
			hi += step
			step *= 2
			if hi > 1e15 {
				return math.NaN()
			}
		}
	}
	// cdf(lo) < p ≤ cdf(hi)
	for hi-lo > 1 {
		mid := math.Floor((lo + hi) / 2)
		if cdf(mid) >= p*(1-quantileTol) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// nbMixQuantile is the p-quantile of the NB(θ) mixture over μ = exp(η),
// η ~ N(eta, se²), approximated by the negative binomial with the
// mixture's mean and variance: E μ = exp(eta + se²/2), Var μ =
// (exp(se²) − 1)(E μ)², Var Y = E μ + E μ²/θ + Var μ, so the matched size is
// (E μ)² / (Var Y − E μ).
func nbMixQuantile(p, eta, se, theta float64) float64 {
	m := math.Exp(eta + se*se/2)
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return math.NaN()
	}
	vmu := math.Expm1(se*se) * m * m
	v := m + vmu
	if !math.IsInf(theta, 1) {
		v += (vmu + m*m) / theta
	}
	size := math.Inf(1)
	if v > m {
		size = m * m / (v - m)
	}
	return QNBinom(p, m, size)
}
