package spatial

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// GiOptions selects the variant of the local Getis-Ord statistic. The zero
// value is ArcGIS's Gi*: binary weights with every unit its own neighbour,
// which is also the default of `riskwatch stat gistar`.
type GiOptions struct {
	// Transform is applied to the weights after the self weight is set:
	// Binary (default) or RowStandardized.
	Transform Transform
	// NoStar computes G_i, which leaves the unit itself out, instead of
	// G*_i. Without NoStar the self weight is 1 before the transform, so
	// 1/(k_i+1) after row standardisation (esda star=True).
	NoStar bool
	// TwoSided reports the two-sided normal p-value 2·P(Z > |z|), the one
	// ArcGIS prints next to a Gi* z-score, instead of esda's one-sided
	// P(Z > |z|).
	TwoSided bool
}

// LocalGStats holds the local Getis-Ord statistic of every unit, in the
// weights' unit order, with esda G_Local's names and meaning.
type LocalGStats struct {
	G  []float64 // the statistic G_i (esda Gs)
	EG []float64 // its expectation under the null (EGs)
	VG []float64 // its variance under the null (VGs)
	Z  []float64 // the z-score (Zs)
	P  []float64 // the normal p-value (one-sided unless GiOptions.TwoSided)
}

// LocalG computes the local Getis-Ord statistic G_i, or G*_i, of every unit
// as esda's G_Local does with analytic (normal) inference. With W the
// weights after the self weight and the transform, N = n − 1 for G and n
// for G*, and the sums leaving y_i out for G:
//
//	G_i    = Σ_j w_ij y_j / Σ_{j} y_j
//	E[G_i] = W_i / N,   W_i = Σ_j w_ij
//	V[G_i] = W_i (N − W_i) / (N − 1) · s²/(N² ȳ²)
//	Z_i    = (Σ_j w_ij y_j − W_i ȳ) / (s · √(W_i (N − W_i)/(N − 1)))
//
// where ȳ and s² (population variance) are taken over the N values. Z is
// algebraically (G − E[G])/√V[G] when ȳ > 0, which is esda's formula; it is
// computed in the second form, which stays right when ȳ ≤ 0 (where esda's
// division by ȳ² flips or loses the sign) and is invariant to shifting y.
// With binary weights and the unit included it is the classic ArcGIS Gi*
// z-score.
//
// For non-binary weights esda, and so this function, keeps the binary-weights
// variance W_i(N − W_i) rather than Ord and Getis's NΣw² − (Σw)².
//
// A z-score is NaN when it is undefined: a unit whose weights sum to zero
// (an island under G), a unit whose neighbourhood is every other unit, or
// constant values. Its p-value is NaN too.
func LocalG(y []float64, w *Weights, opts GiOptions) (*LocalGStats, error) {
	if err := checkValues(y, w); err != nil {
		return nil, err
	}
	if opts.Transform != Binary && opts.Transform != RowStandardized {
		return nil, fmt.Errorf("unknown weights transform %v", opts.Transform)
	}
	n := len(y)
	star := !opts.NoStar
	if n < 2 || (!star && n < 3) {
		return nil, errors.New("local G needs at least 2 units (3 without the unit itself)")
	}
	var sum float64
	for _, v := range y {
		sum += v
	}
	mean := sum / float64(n)
	var ss float64 // Σ (y − mean)², two-pass for accuracy
	for _, v := range y {
		ss += (v - mean) * (v - mean)
	}

	out := &LocalGStats{
		G: make([]float64, n), EG: make([]float64, n), VG: make([]float64, n),
		Z: make([]float64, n), P: make([]float64, n),
	}
	N := float64(n)
	if !star {
		N = float64(n - 1)
	}
	for i := range y {
		// Leave-one-out moments for G; for G* the whole sample.
		total, yBar, ssI := sum, mean, ss
		if !star {
			total = sum - y[i]
			yBar = total / N
			d := y[i] - mean
			ssI = ss - d*d*float64(n)/float64(n-1)
			if ssI < 0 {
				ssI = 0 // rounding when every other value is equal
			}
		}
		s2 := ssI / N

		// The row after the self weight and the transform.
		var lag, wSum, rowRaw float64
		self := 0.0
		if star {
			self = 1
		}
		nbr, wt := w.nbr[i], w.wt[i]
		for k, j := range nbr {
			if j == i {
				continue // replaced by the self weight
			}
			v := 1.0
			if opts.Transform == RowStandardized {
				v = wt[k]
			}
			rowRaw += v
			lag += v * y[j]
		}
		lag += self * y[i]
		rowRaw += self
		wSum = rowRaw
		if opts.Transform == RowStandardized {
			if rowRaw != 0 {
				lag /= rowRaw
				wSum = 1
			} else {
				lag, wSum = 0, 0
			}
		}

		out.G[i] = lag / total
		out.EG[i] = wSum / N
		out.VG[i] = wSum * (N - wSum) / (N - 1) / (N * N) * s2 / (yBar * yBar)
		den := math.Sqrt(s2) * math.Sqrt(wSum*(N-wSum)/(N-1))
		num := lag - wSum*yBar
		z := math.NaN()
		if den > 0 {
			z = num / den
		}
		out.Z[i] = z
		out.P[i] = normalP(z, opts.TwoSided)
	}
	return out, nil
}

// normalP returns P(Z > |z|) for a standard normal Z, doubled when
// twoSided; NaN for a NaN z.
func normalP(z float64, twoSided bool) float64 {
	if math.IsNaN(z) {
		return math.NaN()
	}
	p := distuv.UnitNormal.Survival(math.Abs(z))
	if twoSided {
		p *= 2
	}
	return p
}

// Result is one unit's Gi* (or Gi) outcome, as `riskwatch stat gistar`
// prints it.
type Result struct {
	ID    string
	Value float64 // the input value
	Z     float64 // the z-score; NaN when undefined (see LocalG)
	P     float64 // the normal p-value (one-sided unless GiOptions.TwoSided)
	// Q is the Benjamini–Hochberg adjusted p-value of P over all units of
	// the call with a defined P (see AdjustBH); a unit is significant at
	// false discovery rate α when Q ≤ α.
	Q float64
}

// GiStar computes the local Getis-Ord z-score and p-value of every unit;
// values are in the weights' unit order. The zero GiOptions gives ArcGIS's
// Gi* (binary weights, unit included, esda G_Local star=True). See LocalG
// for the formulas and the NaN cases.
func GiStar(values []float64, w *Weights, opts GiOptions) ([]Result, error) {
	st, err := LocalG(values, w, opts)
	if err != nil {
		return nil, err
	}
	q := AdjustBH(st.P)
	out := make([]Result, len(values))
	for i := range values {
		out[i] = Result{ID: w.ids[i], Value: values[i], Z: st.Z[i], P: st.P[i], Q: q[i]}
	}
	return out, nil
}

// GlobalGStats is the general (global) Getis-Ord G with its analytic
// moments, as esda's G.
type GlobalGStats struct {
	G, EG, VG float64
	Z         float64
	P         float64 // one-sided P(Z > |z|), esda's p_norm
}

// GlobalG computes Getis and Ord's general G = Σ_ij w_ij y_i y_j /
// Σ_{i≠j} y_i y_j with its expectation and variance under randomisation
// (Getis & Ord 1992), as esda's G. The weights get transform t (esda's
// default is Binary) and must not contain self weights. The values should
// be positive.
func GlobalG(y []float64, w *Weights, t Transform) (*GlobalGStats, error) {
	if err := checkValues(y, w); err != nil {
		return nil, err
	}
	if len(y) < 4 {
		return nil, errors.New("global G needs at least 4 units")
	}
	tw, err := w.WithoutSelf().Transformed(t)
	if err != nil {
		return nil, err
	}
	n := float64(len(y))
	var sy, sy2, sy3, sy4 float64
	for _, v := range y {
		sy += v
		sy2 += v * v
		sy3 += v * v * v
		sy4 += v * v * v * v
	}
	var num float64
	for i, row := range tw.nbr {
		for k, j := range row {
			num += tw.wt[i][k] * y[i] * y[j]
		}
	}
	g := num / (sy*sy - sy2)
	s0, s1, s2 := tw.sums()
	n2, s02 := n*n, s0*s0
	eg := s0 / (n * (n - 1))
	b0 := (n2-3*n+3)*s1 - n*s2 + 3*s02
	b1 := -((n2-n)*s1 - 2*n*s2 + 6*s02)
	b2 := -(2*n*s1 - (n+3)*s2 + 6*s02)
	b3 := 4*(n-1)*s1 - 2*(n+1)*s2 + 8*s02
	b4 := s1 - s2 + s02
	eg2 := b0*sy2*sy2 + b1*sy4 + b2*sy*sy*sy2 + b3*sy*sy3 + b4*sy*sy*sy*sy
	d := sy*sy - sy2
	eg2 /= d * d * n * (n - 1) * (n - 2) * (n - 3)
	vg := eg2 - eg*eg
	z := (g - eg) / math.Sqrt(vg)
	return &GlobalGStats{G: g, EG: eg, VG: vg, Z: z, P: normalP(z, false)}, nil
}
