package smallarea

import (
	"errors"
	"fmt"
	"math"
)

// Per10k is the multiplier that turns a rate per resident into a rate per
// 10,000 residents.
const Per10k = 1e4

// ErrInput is wrapped by every error caused by invalid input (length
// mismatch, negative counts, non-positive populations, NaN, bad neighbour
// lists). Callers classify with errors.Is.
var ErrInput = errors.New("invalid input")

// RatePer10k returns cases per 10,000 population. It returns NaN when the
// population is not positive or either argument is NaN, because the rate is
// undefined there.
func RatePer10k(cases, population float64) float64 {
	if math.IsNaN(cases) || math.IsNaN(population) || population <= 0 {
		return math.NaN()
	}
	return Per10k * cases / population
}

// Rates returns per·cases[i]/population[i] for each unit (per = 1 gives
// proportions, Per10k gives rates per 10,000). Entries with a non-positive
// population are NaN.
func Rates(cases, population []float64, per float64) ([]float64, error) {
	if len(cases) != len(population) {
		return nil, fmt.Errorf("%w: %d case counts but %d populations", ErrInput, len(cases), len(population))
	}
	out := make([]float64, len(cases))
	for i := range cases {
		if math.IsNaN(cases[i]) || math.IsNaN(population[i]) || population[i] <= 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = per * cases[i] / population[i]
	}
	return out, nil
}

// ExpectedCounts returns the overall rate theta0 = Σcases/Σpopulation (per
// resident) and the expected counts E_i = theta0·population_i under the null
// of a common rate, as the funnel plot of RISK_INDEX.md §5.3 step 7 uses them.
func ExpectedCounts(cases, population []float64) (expected []float64, theta0 float64, err error) {
	if err := checkCounts(cases, population, "population"); err != nil {
		return nil, 0, err
	}
	var sc, sp float64
	for i := range cases {
		sc += cases[i]
		sp += population[i]
	}
	if sp <= 0 {
		return nil, 0, fmt.Errorf("%w: total population is not positive", ErrInput)
	}
	theta0 = sc / sp
	expected = make([]float64, len(cases))
	for i := range population {
		expected[i] = theta0 * population[i]
	}
	return expected, theta0, nil
}

// checkCounts validates paired case and denominator vectors the way spdep's
// EBest does: same length, no NaN, no negative counts, positive
// denominators.
func checkCounts(cases, denom []float64, denomName string) error {
	if len(cases) != len(denom) {
		return fmt.Errorf("%w: %d case counts but %d %s values", ErrInput, len(cases), len(denom), denomName)
	}
	if len(cases) == 0 {
		return fmt.Errorf("%w: no units", ErrInput)
	}
	for i := range cases {
		switch {
		case math.IsNaN(cases[i]) || math.IsInf(cases[i], 0):
			return fmt.Errorf("%w: unit %d: case count is %v", ErrInput, i, cases[i])
		case math.IsNaN(denom[i]) || math.IsInf(denom[i], 0):
			return fmt.Errorf("%w: unit %d: %s is %v", ErrInput, i, denomName, denom[i])
		case cases[i] < 0:
			return fmt.Errorf("%w: unit %d: negative case count %v", ErrInput, i, cases[i])
		case denom[i] < 0x1p-52:
			return fmt.Errorf("%w: unit %d: non-positive %s %v", ErrInput, i, denomName, denom[i])
		}
	}
	return nil
}
