package smallarea

import (
	"fmt"
	"math"
)

// PoissonEB is the result of Marshall's global empirical Bayes estimator for
// Poisson rates (spdep EBest, family "poisson").
type PoissonEB struct {
	// Raw holds the crude rates cases/population per resident.
	Raw []float64
	// Estimate holds the smoothed rates per resident.
	Estimate []float64
	// Shrinkage holds each unit's weight on its own crude rate,
	// a/(a + b/n_i); 0 means the estimate is the overall rate.
	Shrinkage []float64
	// A is the prior variance (spdep's "a"), clamped at 0.
	A float64
	// B is the prior mean, the overall rate Σcases/Σpopulation (spdep's "b").
	B float64
	// S2 is the population-weighted variance of the crude rates around B.
	S2 float64
}

// GlobalPoisson smooths Poisson rates towards the overall rate with
// Marshall's (1991) global method-of-moments estimator, exactly as spdep's
// EBest(cases, population) does:
//
//	b = Σcases/Σn, s² = Σ n_i (r_i − b)² / Σn, a = max(0, s² − b/n̄),
//	θ_i = b + a (r_i − b)/(a + b/n_i).
//
// Rates are per resident; multiply by Per10k for rates per 10,000. Every
// population must be positive and every count non-negative, as in spdep.
func GlobalPoisson(cases, population []float64) (PoissonEB, error) {
	if err := checkCounts(cases, population, "population"); err != nil {
		return PoissonEB{}, fmt.Errorf("cannot smooth (Poisson EB): %w", err)
	}
	m := float64(len(cases))
	var csum, nsum float64
	for i := range cases {
		csum += cases[i]
		nsum += population[i]
	}
	b := csum / nsum
	raw := make([]float64, len(cases))
	var s2 float64
	for i := range cases {
		raw[i] = cases[i] / population[i]
		d := raw[i] - b
		s2 += population[i] * (d * d / nsum)
	}
	a := s2 - b/(nsum/m)
	if a < 0 {
		a = 0
	}
	res := PoissonEB{Raw: raw, Estimate: make([]float64, len(cases)), Shrinkage: make([]float64, len(cases)), A: a, B: b, S2: s2}
	for i := range cases {
		if a == 0 {
			// spdep computes b + 0·(r−b)/(0 + b/n), which is b; when there
			// are no cases at all (b = 0) spdep gets 0/0 = NaN, and this
			// returns the overall rate 0 instead.
			res.Estimate[i] = b
			continue
		}
		res.Shrinkage[i] = a / (a + b/population[i])
		res.Estimate[i] = b + a*(raw[i]-b)/(a+b/population[i])
	}
	return res, nil
}

// BinomialEB is the result of the global empirical Bayes estimator for
// shares (spdep EBest, family "binomial").
type BinomialEB struct {
	// Raw holds the crude shares cases/totals.
	Raw []float64
	// Estimate holds the smoothed shares rho_i·raw_i + (1 − rho_i)·B.
	Estimate []float64
	// Rho holds each unit's shrinkage factor (its weight on its own share),
	// after clamping when clamping was asked for.
	Rho []float64
	// B is the overall share Σcases/Σtotals.
	B float64
	// S2 is the totals-weighted variance of the crude shares around B
	// (spdep reports it as parameter "a").
	S2 float64
}

// GlobalBinomial smooths shares towards the overall share with the Martuzzi
// and Elliott (1996) estimator as spdep's EBest(cases, totals, family =
// "binomial") implements it:
//
//	ρ_i = (n_i s² − (n_i/n̄) b(1−b)) / ((n_i − 1) s² + ((n̄ − n_i)/n̄) b(1−b)),
//	p̂_i = ρ_i r_i + (1 − ρ_i) b.
//
// spdep does not clamp ρ; with clampRho the factor is clamped to [0, 1] as
// the SCRI spec requires (RISK_INDEX.md §4.2), so that a between-area
// variance too small to detect shrinks every share to b (a NaN rho from a
// degenerate denominator becomes 0 too). When no unit has a case (or every
// unit is all cases) spdep returns NaN; this returns rho = 0 and the common
// share. Cases may not exceed totals.
func GlobalBinomial(cases, totals []float64, clampRho bool) (BinomialEB, error) {
	if err := checkCounts(cases, totals, "total"); err != nil {
		return BinomialEB{}, fmt.Errorf("cannot smooth (binomial EB): %w", err)
	}
	m := float64(len(cases))
	var csum, nsum float64
	for i := range cases {
		if cases[i] > totals[i] {
			return BinomialEB{}, fmt.Errorf("cannot smooth (binomial EB): %w: unit %d: %v cases out of %v", ErrInput, i, cases[i], totals[i])
		}
		csum += cases[i]
		nsum += totals[i]
	}
	b := csum / nsum
	nbar := nsum / m
	raw := make([]float64, len(cases))
	var s2 float64
	for i := range cases {
		raw[i] = cases[i] / totals[i]
		d := raw[i] - b
		s2 += totals[i] * (d * d / nsum)
	}
	bq := b * (1 - b)
	res := BinomialEB{Raw: raw, Estimate: make([]float64, len(cases)), Rho: make([]float64, len(cases)), B: b, S2: s2}
	for i := range cases {
		n := totals[i]
		var rho float64
		if bq > 0 {
			rho = (n*s2 - (n/nbar)*bq) / ((n-1)*s2 + ((nbar-n)/nbar)*bq)
		}
		// else every share is 0 (or every share is 1): spdep gets 0/0 = NaN;
		// here rho = 0 and the estimate is b, the common share.
		if clampRho {
			if math.IsNaN(rho) {
				rho = 0 // a degenerate denominator carries no evidence
			}
			rho = clamp01(rho)
		}
		res.Rho[i] = rho
		res.Estimate[i] = rho*raw[i] + (1-rho)*b
	}
	return res, nil
}

func clamp01(x float64) float64 {
	switch {
	case x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x // NaN stays NaN
}

// LocalVariant selects how LocalPoisson computes the local variance term.
type LocalVariant int

const (
	// LocalSpdep is spdep's default (EBlocal with geoda = FALSE): the local
	// sum of squares uses, for each neighbour j, j's own local mean m_j,
	// C_i = Σ_{j∈N(i)∪{i}} n_j (r_j − m_j)².
	LocalSpdep LocalVariant = iota
	// LocalGeoDa is EBlocal with geoda = TRUE, as GeoDa computes it: the
	// local sum of squares is taken around unit i's local mean,
	// C_i = Σ_{j∈N(i)∪{i}} n_j (r_j − m_i)².
	LocalGeoDa
)

// LocalEB is the result of Marshall's local empirical Bayes estimator.
type LocalEB struct {
	// Raw holds the crude rates per resident.
	Raw []float64
	// Estimate holds the smoothed rates per resident.
	Estimate []float64
	// M holds each unit's local prior mean: Σ cases / Σ population over the
	// unit and its neighbours.
	M []float64
	// A holds each unit's local prior variance, clamped at 0.
	A []float64
}

// LocalPoisson smooths Poisson rates towards each unit's neighbourhood
// (the unit plus its neighbours), as spdep's EBlocal(cases, population, nb)
// does:
//
//	m_i = Σ_N cases / Σ_N n,  n̄_i = mean_N n,  a_i = max(0, C_i/Σ_N n − m_i/n̄_i),
//	θ_i = m_i + (r_i − m_i) a_i/(a_i + m_i/n_i),
//
// with N = N(i) ∪ {i} and C_i as the variant says. neighbours[i] lists the
// 0-based indices of unit i's neighbours, without i itself (it is added
// here, as spdep's include.self does); an empty list is allowed. A unit
// whose neighbourhood has no cases gets m_i = 0 and an estimate of NaN, as
// in spdep (0/0).
func LocalPoisson(cases, population []float64, neighbours [][]int, variant LocalVariant) (LocalEB, error) {
	if err := checkCounts(cases, population, "population"); err != nil {
		return LocalEB{}, fmt.Errorf("cannot smooth (local EB): %w", err)
	}
	n := len(cases)
	if len(neighbours) != n {
		return LocalEB{}, fmt.Errorf("cannot smooth (local EB): %w: %d units but %d neighbour lists", ErrInput, n, len(neighbours))
	}
	for i, nb := range neighbours {
		seen := make(map[int]bool, len(nb))
		for _, j := range nb {
			switch {
			case j < 0 || j >= n:
				return LocalEB{}, fmt.Errorf("cannot smooth (local EB): %w: unit %d: neighbour index %d out of range [0, %d)", ErrInput, i, j, n)
			case j == i:
				return LocalEB{}, fmt.Errorf("cannot smooth (local EB): %w: unit %d lists itself as a neighbour", ErrInput, i)
			case seen[j]:
				return LocalEB{}, fmt.Errorf("cannot smooth (local EB): %w: unit %d lists neighbour %d twice", ErrInput, i, j)
			}
			seen[j] = true
		}
	}
	if variant != LocalSpdep && variant != LocalGeoDa {
		return LocalEB{}, fmt.Errorf("cannot smooth (local EB): %w: unknown variant %d", ErrInput, variant)
	}
	res := LocalEB{Raw: make([]float64, n), Estimate: make([]float64, n), M: make([]float64, n), A: make([]float64, n)}
	sumN := make([]float64, n)
	nbar := make([]float64, n)
	for i := range cases {
		res.Raw[i] = cases[i] / population[i]
		rc, rn := cases[i], population[i]
		for _, j := range neighbours[i] {
			rc += cases[j]
			rn += population[j]
		}
		res.M[i] = rc / rn
		sumN[i] = rn
		nbar[i] = rn / float64(len(neighbours[i])+1)
	}
	for i := range cases {
		var c float64
		centre := func(j int) float64 {
			if variant == LocalGeoDa {
				return res.M[i]
			}
			return res.M[j]
		}
		d := res.Raw[i] - centre(i)
		c += population[i] * d * d
		for _, j := range neighbours[i] {
			d := res.Raw[j] - centre(j)
			c += population[j] * d * d
		}
		a := c/sumN[i] - res.M[i]/nbar[i]
		if a < 0 {
			a = 0
		}
		res.A[i] = a
		res.Estimate[i] = res.M[i] + (res.Raw[i]-res.M[i])*(a/(a+res.M[i]/population[i]))
	}
	return res, nil
}
