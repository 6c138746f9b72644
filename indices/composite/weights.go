package composite

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// EqualWeights returns n weights of 1/n.
func EqualWeights(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	return w
}

// Normalise returns w scaled to sum to 1. It fails when a weight is
// negative or NaN or when all are zero.
func Normalise(w []float64) ([]float64, error) {
	var s float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: weight %d is %v", ErrInput, i, v)
		}
		s += v
	}
	if !(s > 0) {
		return nil, fmt.Errorf("%w: weights sum to %v", ErrInput, s)
	}
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = v / s
	}
	return out, nil
}

// SaatyRI is Saaty's random consistency index for n = 1…9 criteria
// (SaatyRI[n-1]), as RISK_INDEX.md §2.4 tabulates it.
var SaatyRI = [9]float64{0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45}

// AHPMaxCR is the consistency-ratio limit: a pairwise matrix is accepted
// only when CR < AHPMaxCR (RISK_INDEX.md §5.4).
const AHPMaxCR = 0.10

// ErrInconsistent is returned by AHPStrict when the consistency ratio is
// not below AHPMaxCR.
var ErrInconsistent = errors.New("the AHP matrix is inconsistent (CR ≥ 0.10)")

// AHPResult is the outcome of an analytic hierarchy process weighting.
type AHPResult struct {
	// Weights is the principal right eigenvector, normalised to sum 1.
	Weights []float64
	// LambdaMax is the principal eigenvalue.
	LambdaMax float64
	// CI is the consistency index (LambdaMax − n)/(n − 1) (0 for n ≤ 2).
	CI float64
	// RI is Saaty's random index for n.
	RI float64
	// CR is CI/RI (0 when RI is 0, that is n ≤ 2).
	CR float64
	// Consistent reports CR < AHPMaxCR.
	Consistent bool
}

// AHP computes the weights of a pairwise comparison matrix on Saaty's
// scale: m[i][j] says how much more important criterion i is than j, with
// m[i][i] = 1 and m[j][i] = 1/m[i][j] (to a relative tolerance of 1e-4,
// so that 1/3 written as 0.333333 is accepted). The weights are the
// principal eigenvector; an inconsistent matrix is returned with
// Consistent = false (use AHPStrict to get an error instead). n must be
// 1…9, the range of Saaty's RI table.
func AHP(m [][]float64) (AHPResult, error) {
	n := len(m)
	if n < 1 || n > len(SaatyRI) {
		return AHPResult{}, fmt.Errorf("%w: AHP needs 1 to %d criteria, got %d", ErrInput, len(SaatyRI), n)
	}
	a := mat.NewDense(n, n, nil)
	for i := range m {
		if len(m[i]) != n {
			return AHPResult{}, fmt.Errorf("%w: AHP row %d has %d entries, want %d", ErrInput, i, len(m[i]), n)
		}
		for j, v := range m[i] {
			if !(v > 0) || math.IsInf(v, 0) {
				return AHPResult{}, fmt.Errorf("%w: AHP entry (%d,%d) = %v is not positive", ErrInput, i, j, v)
			}
			a.Set(i, j, v)
		}
	}
	for i := range m {
		if math.Abs(m[i][i]-1) > 1e-9 {
			return AHPResult{}, fmt.Errorf("%w: AHP diagonal (%d,%d) = %v, want 1", ErrInput, i, i, m[i][i])
		}
		for j := i + 1; j < n; j++ {
			if math.Abs(m[i][j]*m[j][i]-1) > 1e-4 {
				return AHPResult{}, fmt.Errorf("%w: AHP entries (%d,%d) = %v and (%d,%d) = %v are not reciprocal", ErrInput, i, j, m[i][j], j, i, m[j][i])
			}
		}
	}
	res := AHPResult{RI: SaatyRI[n-1]}
	if n == 1 {
		res.Weights, res.LambdaMax, res.Consistent = []float64{1}, 1, true
		return res, nil
	}
	var eig mat.Eigen
	if !eig.Factorize(a, mat.EigenRight) {
		return AHPResult{}, fmt.Errorf("%w: AHP eigen decomposition failed", ErrInput)
	}
	vals := eig.Values(nil)
	best := 0
	for i, v := range vals {
		if real(v) > real(vals[best]) {
			best = i
		}
	}
	var vecs mat.CDense
	eig.VectorsTo(&vecs)
	w := make([]float64, n)
	var s float64
	for i := range w {
		// The Perron vector of a positive matrix is real and of one sign.
		w[i] = math.Abs(real(vecs.At(i, best)))
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
	res.Weights = w
	res.LambdaMax = real(vals[best])
	res.CI = (res.LambdaMax - float64(n)) / float64(n-1)
	if res.RI > 0 {
		res.CR = res.CI / res.RI
	}
	res.Consistent = res.CR < AHPMaxCR
	return res, nil
}

// AHPStrict is AHP that rejects an inconsistent matrix: it returns the
// result together with an error wrapping ErrInconsistent when CR ≥ 0.10.
func AHPStrict(m [][]float64) (AHPResult, error) {
	r, err := AHP(m)
	if err != nil {
		return r, err
	}
	if !r.Consistent {
		return r, fmt.Errorf("%w: CR = %.4f", ErrInconsistent, r.CR)
	}
	return r, nil
}

// EntropyVariant names the two entropy-weight variants of RISK_INDEX.md
// §3.1, which give different numbers on the same data.
type EntropyVariant int

const (
	// EntropyRawProportion is variant (a), the common MCDA form:
	// p_ij = x_ij/Σ_i x_ij on the raw (non-negative) data; directions are
	// ignored.
	EntropyRawProportion EntropyVariant = iota
	// EntropyMinMax is variant (b), the Chinese-practice 熵权法: min–max
	// standardisation per indicator first ((x − min)/(max − min) for
	// risk-increasing indicators, (max − x)/(max − min) for decreasing
	// ones), optionally shifted, then the same entropy steps. The SCRI uses
	// this variant on the 0–10 scores.
	EntropyMinMax
)

// String returns "raw_proportion" or "minmax".
func (v EntropyVariant) String() string {
	switch v {
	case EntropyRawProportion:
		return "raw_proportion"
	case EntropyMinMax:
		return "minmax"
	}
	return fmt.Sprintf("EntropyVariant(%d)", int(v))
}

// ErrNoDispersion is returned by EntropyWeights when no indicator varies
// across units, so that entropy weights are undefined.
var ErrNoDispersion = errors.New("no indicator varies across units; entropy weights are undefined")

// EntropyResult holds entropy weights and their intermediate values.
type EntropyResult struct {
	// Weights are d_j/Σd.
	Weights []float64
	// E holds the entropies e_j = −(1/ln m) Σ_i p_ij ln p_ij (0 ln 0 = 0).
	E []float64
	// D holds the diversification degrees 1 − e_j (at least 0).
	D []float64
}

// EntropyWeights computes entropy weights of the columns of x (rows are
// units, columns indicators) in the given variant. directions (nil = all
// +1) orient the min–max step of EntropyMinMax; shift is added after it
// (0, or 0.0001 as some practice does, to avoid ln 0). NaN cells are
// missing: each column uses its present cells and m is their count. A
// column that does not vary (or sums to zero) has e = 1 and weight 0; if
// no column varies the error wraps ErrNoDispersion.
func EntropyWeights(x [][]float64, variant EntropyVariant, directions []int, shift float64) (EntropyResult, error) {
	if len(x) == 0 {
		return EntropyResult{}, fmt.Errorf("%w: entropy weights need units", ErrInput)
	}
	n := len(x[0])
	for i, r := range x {
		if len(r) != n {
			return EntropyResult{}, fmt.Errorf("%w: entropy row %d has %d values, want %d", ErrInput, i, len(r), n)
		}
	}
	if directions != nil && len(directions) != n {
		return EntropyResult{}, fmt.Errorf("%w: %d directions for %d indicators", ErrInput, len(directions), n)
	}
	if variant != EntropyRawProportion && variant != EntropyMinMax {
		return EntropyResult{}, fmt.Errorf("%w: unknown entropy variant %d", ErrInput, variant)
	}
	res := EntropyResult{Weights: make([]float64, n), E: make([]float64, n), D: make([]float64, n)}
	col := make([]float64, 0, len(x))
	var dsum float64
	for j := 0; j < n; j++ {
		col = col[:0]
		for i := range x {
			if v := x[i][j]; !math.IsNaN(v) {
				col = append(col, v)
			}
		}
		if variant == EntropyRawProportion {
			for _, v := range col {
				if v < 0 {
					return EntropyResult{}, fmt.Errorf("%w: raw-proportion entropy needs non-negative data, indicator %d has %v", ErrInput, j, v)
				}
			}
		} else {
			dir := 1
			if directions != nil {
				dir = directions[j]
			}
			mn, mx := math.Inf(1), math.Inf(-1)
			for _, v := range col {
				mn, mx = math.Min(mn, v), math.Max(mx, v)
			}
			if !(mx > mn) {
				col = col[:0] // constant: no information
			}
			for i, v := range col {
				if dir < 0 {
					col[i] = (mx-v)/(mx-mn) + shift
				} else {
					col[i] = (v-mn)/(mx-mn) + shift
				}
			}
		}
		e := entropy(col)
		res.E[j] = e
		// A near-uniform column can give e = 1 + ε by rounding; its
		// diversification is 0, not negative.
		res.D[j] = math.Max(0, 1-e)
		dsum += res.D[j]
	}
	if !(dsum > 0) {
		return res, ErrNoDispersion
	}
	for j := range res.D {
		res.Weights[j] = res.D[j] / dsum
	}
	return res, nil
}

// entropy returns −(1/ln m) Σ p ln p of the proportions of col; fewer than
// two values or a zero sum give 1 (no information).
func entropy(col []float64) float64 {
	m := len(col)
	var s float64
	for _, v := range col {
		s += v
	}
	if m < 2 || !(s > 0) {
		return 1
	}
	var h float64
	for _, v := range col {
		if v > 0 {
			p := v / s
			h -= p * math.Log(p)
		}
	}
	return h / math.Log(float64(m))
}

// Blend returns alpha·base + (1 − alpha)·other, renormalised to sum 1
// (RISK_INDEX.md §5.4: w = α·w_base + (1 − α)·w_entropy). alpha must be in
// [0, 1]; the SCRI requires alpha ≥ 0.5, which Spec.Validate checks.
func Blend(base, other []float64, alpha float64) ([]float64, error) {
	if len(base) != len(other) {
		return nil, fmt.Errorf("%w: blending %d weights with %d", ErrInput, len(base), len(other))
	}
	if !(alpha >= 0 && alpha <= 1) {
		return nil, fmt.Errorf("%w: blend alpha %v is not in [0, 1]", ErrInput, alpha)
	}
	out := make([]float64, len(base))
	for i := range base {
		out[i] = alpha*base[i] + (1-alpha)*other[i]
	}
	return Normalise(out)
}

// Bound returns w'_i = clamp(c·w_i, lo, hi) with the one scale c for which
// the weights sum to 1: the weights keep their proportions except where a
// bound binds. (A single clip-then-renormalise, the literal reading of
// "bounded, then re-normalised" in RISK_INDEX.md §5.4, can push weights out
// of the bounds again; this cannot.) It fails when no c exists, that is
// when n·lo > 1 or the positive weights cannot reach 1 under hi.
func Bound(w []float64, lo, hi float64) ([]float64, error) {
	if !(lo >= 0) || !(hi >= lo) {
		return nil, fmt.Errorf("%w: bounds [%v, %v]", ErrInput, lo, hi)
	}
	var bps []float64
	top := 0.0 // f(∞)
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: weight %d is %v", ErrInput, i, v)
		}
		if v > 0 {
			bps = append(bps, lo/v, hi/v)
			top += hi
		} else {
			top += lo
		}
	}
	f := func(c float64) float64 {
		var s float64
		for _, v := range w {
			s += clamp(c*v, lo, hi)
		}
		return s
	}
	if f(0) > 1+1e-12 || top < 1-1e-12 {
		return nil, fmt.Errorf("%w: bounds [%v, %v] are infeasible for %d weights", ErrInput, lo, hi, len(w))
	}
	sort.Float64s(bps)
	prev := 0.0
	c := 0.0
	if len(bps) > 0 {
		c = bps[len(bps)-1] // f reaches 1 only at the top (within rounding)
	}
	for _, b := range bps {
		if f(b) < 1 {
			prev = b
			continue
		}
		// f is linear on [prev, b]: f(c) = A + c·S over the free weights.
		mid := (prev + b) / 2
		var a, sFree float64
		for _, v := range w {
			if x := mid * v; x > lo && x < hi {
				sFree += v
			} else {
				a += clamp(x, lo, hi)
			}
		}
		if sFree > 0 {
			c = (1 - a) / sFree
		} else {
			c = b
		}
		break
	}
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = clamp(c*v, lo, hi)
	}
	return out, nil
}

// Noisy returns w with multiplicative uniform noise, COINr's
// get_noisy_weights: w'_i = w_i + U(−1, 1)·factor·w_i, then renormalised
// to sum 1. factor 0.25 gives the ±25 % of RISK_INDEX.md §5.7. The draws
// come from rng, which the caller seeds.
func Noisy(w []float64, factor float64, rng *rand.Rand) []float64 {
	out := make([]float64, len(w))
	var s float64
	for i, v := range w {
		out[i] = v * (1 + (2*rng.Float64()-1)*factor)
		s += out[i]
	}
	if s > 0 {
		for i := range out {
			out[i] /= s
		}
	}
	return out
}
