package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Hierarchy is a tree of units (city → counties → towns → villages): node i
// has parent Parent[i] (−1 for a root). The bottom level is the nodes
// without children; every other node is the sum of the bottom nodes below
// it.
type Hierarchy struct {
	Parent []int
	bottom []int // node indices of the leaves, in node order
	s      *mat.Dense
}

// NewHierarchy checks the parent array (no cycles, parents in range) and
// builds the summing matrix S (nodes × leaves).
func NewHierarchy(parent []int) (*Hierarchy, error) {
	n := len(parent)
	if n == 0 {
		return nil, fmt.Errorf("hierarchy: no nodes: %w", ErrBadInput)
	}
	hasChild := make([]bool, n)
	for i, p := range parent {
		if p < -1 || p >= n || p == i {
			return nil, fmt.Errorf("hierarchy: node %d has parent %d: %w", i, p, ErrBadInput)
		}
		if p >= 0 {
			hasChild[p] = true
		}
	}
	h := &Hierarchy{Parent: append([]int(nil), parent...)}
	col := map[int]int{}
	for i := range parent {
		if !hasChild[i] {
			col[i] = len(h.bottom)
			h.bottom = append(h.bottom, i)
		}
	}
	if len(h.bottom) == 0 {
		return nil, fmt.Errorf("hierarchy: no leaves (a cycle): %w", ErrBadInput)
	}
	h.s = mat.NewDense(n, len(h.bottom), nil)
	for _, leaf := range h.bottom {
		j := col[leaf]
		for i, steps := leaf, 0; i >= 0; i, steps = parent[i], steps+1 {
			if steps > n {
				return nil, fmt.Errorf("hierarchy: cycle through node %d: %w", leaf, ErrBadInput)
			}
			h.s.Set(i, j, 1)
		}
	}
	return h, nil
}

// Bottom returns the node indices of the leaves.
func (h *Hierarchy) Bottom() []int { return h.bottom }

// BottomUp returns the coherent forecasts that sum the leaves' base
// forecasts: ỹ = S·ŷ_bottom (base holds one value per node).
func (h *Hierarchy) BottomUp(base []float64) []float64 {
	b := make([]float64, len(h.bottom))
	for j, leaf := range h.bottom {
		b[j] = base[leaf]
	}
	var out mat.VecDense
	out.MulVec(h.s, mat.NewVecDense(len(b), b))
	return out.RawVector().Data
}

// MinTWeights returns the MinT projection ỹ = S(SᵀW⁻¹S)⁻¹SᵀW⁻¹ŷ as the
// matrix S·P for a given covariance W of the base forecast errors (nodes ×
// nodes).
func (h *Hierarchy) MinTWeights(w mat.Symmetric) (*mat.Dense, error) {
	n, b := h.s.Dims()
	if w.SymmetricDim() != n {
		return nil, fmt.Errorf("mint: covariance of size %d for %d nodes: %w", w.SymmetricDim(), n, ErrBadInput)
	}
	var chol mat.Cholesky
	if !chol.Factorize(w) {
		return nil, fmt.Errorf("mint: covariance not positive definite")
	}
	var winvS mat.Dense // W⁻¹S
	if err := chol.SolveTo(&winvS, h.s); err != nil {
		return nil, fmt.Errorf("mint: %w", err)
	}
	var a mat.Dense // SᵀW⁻¹S (b×b)
	a.Mul(h.s.T(), &winvS)
	var p mat.Dense // (SᵀW⁻¹S)⁻¹ SᵀW⁻¹ = solve(a, (W⁻¹S)ᵀ)
	if err := p.Solve(&a, winvS.T()); err != nil {
		return nil, fmt.Errorf("mint: %w", err)
	}
	sp := mat.NewDense(n, n, nil)
	sp.Mul(h.s, &p)
	_ = b
	return sp, nil
}

// Apply multiplies a projection (from MinTWeights) with base forecasts.
func Apply(sp *mat.Dense, base []float64) []float64 {
	var out mat.VecDense
	out.MulVec(sp, mat.NewVecDense(len(base), base))
	return out.RawVector().Data
}

// ShrinkCov is the shrinkage estimator of the covariance of one-step
// residuals (rows = time, columns = nodes) towards its diagonal, as
// hts::shrink.estim (Schäfer & Strimmer 2005) used by MinT(shrink): the
// uncentred covariance XᵀX/n, the shrinkage intensity
// λ = Σ_{i≠j} Var(r̂_ij) / Σ_{i≠j} r̂_ij² clipped to [0, 1], and
// λ·diag + (1 − λ)·cov. It returns the matrix and λ.
func ShrinkCov(x *mat.Dense) (*mat.SymDense, float64) {
	n, p := x.Dims()
	cov := mat.NewSymDense(p, nil)
	cov.SymOuterK(1/float64(n), x.T())
	sd := make([]float64, p)
	for j := range sd {
		sd[j] = math.Sqrt(cov.At(j, j))
	}
	xs := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			if sd[j] > 0 {
				xs.Set(i, j, x.At(i, j)/sd[j])
			}
		}
	}
	var num, den float64
	nf := float64(n)
	for a := 0; a < p; a++ {
		for b := 0; b < p; b++ {
			if a == b {
				continue
			}
			var s2, s1 float64
			for i := 0; i < n; i++ {
				v := xs.At(i, a) * xs.At(i, b)
				s2 += v * v
				s1 += v
			}
			num += (s2 - s1*s1/nf) / (nf * (nf - 1))
			r := 0.0
			if sd[a] > 0 && sd[b] > 0 {
				r = cov.At(a, b) / (sd[a] * sd[b])
			}
			den += r * r
		}
	}
	lambda := 1.0
	if den > 0 {
		lambda = math.Max(0, math.Min(1, num/den))
	}
	out := mat.NewSymDense(p, nil)
	for a := 0; a < p; a++ {
		for b := a; b < p; b++ {
			v := (1 - lambda) * cov.At(a, b)
			if a == b {
				v = cov.At(a, a)
			}
			out.SetSym(a, b, v)
		}
	}
	return out, lambda
}

// Reconciled holds coherent forecasts for every node of a hierarchy at one
// horizon: point and interval bounds. The interval of a node is its base
// interval moved by the change of its point forecast (widths are kept).
type Reconciled struct {
	Point, Lo80, Hi80, Lo95, Hi95 []float64
}

// ReconcileIntervals applies the reconciled points rec to base forecasts
// (one Forecast per node) at horizon index i, shifting each node's base
// interval by rec − base point and clipping lower bounds at 0.
func ReconcileIntervals(base []Forecast, i int, rec []float64) Reconciled {
	n := len(base)
	r := Reconciled{Point: rec, Lo80: make([]float64, n), Hi80: make([]float64, n), Lo95: make([]float64, n), Hi95: make([]float64, n)}
	for k, f := range base {
		d := rec[k] - f.Point[i]
		r.Lo80[k] = math.Max(0, f.Lo80[i]+d)
		r.Hi80[k] = f.Hi80[i] + d
		r.Lo95[k] = math.Max(0, f.Lo95[i]+d)
		r.Hi95[k] = f.Hi95[i] + d
	}
	return r
}

// HullIntervals is ReconcileIntervals with each bound the outer one of the
// base bound and the moved bound: the interval is the hull of the base
// interval and the base interval moved by rec − base point, so it holds
// the reconciled point and the base interval. Lower bounds are clipped at
// 0 unless the reconciled point is negative (then they equal it).
func HullIntervals(base []Forecast, i int, rec []float64) Reconciled {
	n := len(base)
	r := Reconciled{Point: rec, Lo80: make([]float64, n), Hi80: make([]float64, n), Lo95: make([]float64, n), Hi95: make([]float64, n)}
	for k, f := range base {
		r.Lo80[k], r.Hi80[k] = HullBounds(f.Lo80[i], f.Hi80[i], f.Point[i], rec[k])
		r.Lo95[k], r.Hi95[k] = HullBounds(f.Lo95[i], f.Hi95[i], f.Point[i], rec[k])
	}
	return r
}

// HullBounds returns the hull of the interval [lo, hi] around the base
// point and the same interval moved to the reconciled point p, with the
// lower bound clipped at 0 (or at p when p is negative).
func HullBounds(lo, hi, point, p float64) (float64, float64) {
	d := p - point
	return math.Min(math.Max(0, math.Min(lo, lo+d)), p), math.Max(math.Max(hi, hi+d), p)
}

// MinTShrinkWeights is MinTWeights with the ShrinkCov of the error rows e
// (time × nodes) and a ridge of 1e-6 × the mean variance (at least 1e-6)
// on the diagonal, so that series without errors keep it invertible.
func MinTShrinkWeights(h *Hierarchy, e *mat.Dense) (*mat.Dense, error) {
	w, _ := ShrinkCov(e)
	n := w.SymmetricDim()
	var tr float64
	for i := 0; i < n; i++ {
		tr += w.At(i, i)
	}
	for i := 0; i < n; i++ {
		w.SetSym(i, i, w.At(i, i)+1e-6*max(tr/float64(n), 1))
	}
	return h.MinTWeights(w)
}
