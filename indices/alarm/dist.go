package alarm

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// This file holds the few distribution functions the detectors need, written
// so that they return NaN instead of panicking on arguments outside their
// domain (the gonum special functions panic there) and so that the discrete
// quantiles follow R's definition, fuzz included.

const dblEpsilon = 2.220446049250313e-16 // R's .Machine$double.eps

// qnorm is R's qnorm(p): the standard normal quantile (Wichura's AS 241, the
// algorithm R uses as well).
func qnorm(p float64) float64 {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return math.NaN()
	}
	return mathext.NormalQuantile(p)
}

// pnormUpper is R's pnorm(x, mean, sd, lower.tail = FALSE).
func pnormUpper(x, mean, sd float64) float64 {
	if math.IsNaN(x) || math.IsNaN(mean) || math.IsNaN(sd) || sd < 0 {
		return math.NaN()
	}
	if sd == 0 {
		if x < mean {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc((x-mean)/(sd*math.Sqrt2))
}

// studentTwoSidedP is 2·pt(−|t|, df), the p-value summary.glm reports for a
// coefficient when the dispersion is estimated.
func studentTwoSidedP(t, df float64) float64 {
	if math.IsNaN(t) || math.IsNaN(df) || df <= 0 {
		return math.NaN()
	}
	if math.IsInf(t, 0) {
		return 0
	}
	x := df / (df + t*t)
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	return mathext.RegIncBeta(df/2, 0.5, x)
}

// ppois is R's ppois(q, lambda): P(Y ≤ q) for Y ~ Poisson(lambda).
func ppois(q, lambda float64) float64 {
	switch {
	case math.IsNaN(q) || math.IsNaN(lambda) || lambda < 0:
		return math.NaN()
	case q < 0:
		return 0
	case lambda == 0 || math.IsInf(q, 1):
		return 1
	case math.IsInf(lambda, 1):
		return 0
	}
	return mathext.GammaIncRegComp(math.Floor(q+1e-7)+1, lambda)
}

// pnbinom is R's pnbinom(q, size, prob): P(Y ≤ q) for the negative binomial
// with the given size and success probability.
func pnbinom(q, size, prob float64) float64 {
	switch {
	case math.IsNaN(q) || math.IsNaN(size) || math.IsNaN(prob) || size < 0 || prob <= 0 || prob > 1:
		return math.NaN()
	case q < 0:
		return 0
	case size == 0 || prob == 1 || math.IsInf(q, 1):
		return 1
	case math.IsInf(size, 1):
		return math.NaN()
	}
	return mathext.RegIncBeta(size, math.Floor(q+1e-7)+1, prob)
}

// discreteQuantile returns the smallest integer y ≥ 0 with cdf(y) ≥ p, where
// p carries R's fuzz p·(1 − 64ε) so that a probability that equals a CDF value
// up to rounding gives the same quantile as R's qpois and qnbinom. start is a
// first guess (R's Cornish-Fisher value); the search walks from there.
func discreteQuantile(p, start float64, cdf func(float64) float64) float64 {
	p *= 1 - 64*dblEpsilon
	y := math.Floor(start + 0.5)
	if math.IsNaN(y) || y < 0 {
		y = 0
	}
	if y > 1e15 {
		y = 1e15
	}
	var lo, hi float64 // invariant: cdf(lo) < p ≤ cdf(hi)
	if cdf(y) >= p {
		hi = y
		step := 1.0
		for {
			lo = hi - step
			if lo < 0 {
				if cdf(0) >= p {
					return 0
				}
				lo = 0
				break
			}
			if cdf(lo) < p {
				break
			}
			hi = lo
			step *= 2
		}
	} else {
		lo = y
		step := 1.0
		for {
			hi = lo + step
			if hi > 1e15 {
				return math.Inf(1)
			}
			if cdf(hi) >= p {
				break
			}
			lo = hi
			step *= 2
		}
	}
	for hi-lo > 1 {
		mid := math.Floor((lo + hi) / 2)
		if cdf(mid) >= p {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// qpois is R's qpois(p, lambda) for the lower tail.
func qpois(p, lambda float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(lambda) || lambda < 0 || p < 0 || p > 1:
		return math.NaN()
	case lambda == 0 || p == 0:
		return 0
	case p == 1 || math.IsInf(lambda, 1):
		return math.Inf(1)
	case p+1.01*dblEpsilon >= 1:
		return math.Inf(1)
	}
	sigma := math.Sqrt(lambda)
	gamma := 1 / sigma
	z := qnorm(p)
	start := lambda + sigma*(z+gamma*(z*z-1)/6)
	return discreteQuantile(p, start, func(y float64) float64 { return ppois(y, lambda) })
}

// qnbinom is R's qnbinom(p, size, prob) for the lower tail.
func qnbinom(p, size, prob float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(size) || math.IsNaN(prob) || prob <= 0 || prob > 1 || size < 0 || p < 0 || p > 1:
		return math.NaN()
	case prob == 1 || size == 0 || p == 0:
		return 0
	case p == 1 || math.IsInf(size, 1):
		return math.Inf(1)
	case p+1.01*dblEpsilon >= 1:
		return math.Inf(1)
	}
	q := 1 / prob
	pr := (1 - prob) * q
	mu := size * pr
	sigma := math.Sqrt(size * pr * q)
	gamma := (q + pr) / sigma
	z := qnorm(p)
	start := mu + sigma*(z+gamma*(z*z-1)/6)
	return discreteQuantile(p, start, func(y float64) float64 { return pnbinom(y, size, prob) })
}

// cfmax is C's fmax: when one argument is NaN it returns the other. The GLR
// C code of surveillance relies on it.
func cfmax(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	if math.IsNaN(b) {
		return a
	}
	return math.Max(a, b)
}

// digamma and trigamma guard the gonum functions against arguments where
// they would panic or are undefined for our use (theta.ml only needs x > 0).
func digamma(x float64) float64 {
	if math.IsNaN(x) || x <= 0 {
		return math.NaN()
	}
	return mathext.Digamma(x)
}

func trigamma(x float64) float64 {
	if math.IsNaN(x) || x <= 0 {
		return math.NaN()
	}
	if math.IsInf(x, 1) {
		return 0
	}
	// Shift to x ≥ 10 with ψ₁(x) = ψ₁(x+1) + 1/x², then the asymptotic
	// series 1/x + 1/(2x²) + Σ B₂ₖ/x^(2k+1); the first omitted term is
	// below 1e-16 relative there. (mathext.Zeta(2, x) gives the same
	// values but is several times slower, and theta.ml calls it often.)
	var acc float64
	for x < 10 {
		acc += 1 / (x * x)
		x++
	}
	z := 1 / (x * x)
	// Bernoulli numbers B2..B16.
	series := z * (1.0/6 + z*(-1.0/30+z*(1.0/42+z*(-1.0/30+z*(5.0/66+z*(-691.0/2730+z*(7.0/6+z*(-3617.0/510))))))))
	return acc + 1/x + z/2 + series/x
}
