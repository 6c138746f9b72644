package composite

import (
	"fmt"
	"math"
)

func weightsFor(x, w []float64) ([]float64, error) {
	if w == nil {
		w = make([]float64, len(x))
		for i := range w {
			w[i] = 1
		}
	}
	if len(w) != len(x) {
		return nil, fmt.Errorf("%w: %d values but %d weights", ErrInput, len(x), len(w))
	}
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: weight %d is %v", ErrInput, i, v)
		}
	}
	return w, nil
}

// ArithmeticMean returns COINr's a_amean: the weighted mean of the non-NaN
// entries with their weights renormalised, so that a missing value is
// implicitly imputed by the weighted mean of the others. It returns NaN
// when the share of non-NaN entries (by count) is below minShare — the
// SCRI uses 2/3 (RISK_INDEX.md §5.3 step 5) — or when nothing is present.
// w nil means equal weights.
func ArithmeticMean(x, w []float64, minShare float64) (float64, error) {
	w, err := weightsFor(x, w)
	if err != nil {
		return math.NaN(), err
	}
	var s, sw float64
	present := 0
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		present++
		s += w[i] * v
		sw += w[i]
	}
	if present == 0 || float64(present) < minShare*float64(len(x))-1e-9 || !(sw > 0) {
		return math.NaN(), nil
	}
	return s / sw, nil
}

// GeometricMean returns COINr's a_gmean, exp(Σ w ln x/Σ w). As in COINr,
// a zero or negative value is an error (use GeometricMeanFloor for the
// INFORM form). A NaN entry gives NaN. w nil means equal weights.
func GeometricMean(x, w []float64) (float64, error) {
	w, err := weightsFor(x, w)
	if err != nil {
		return math.NaN(), err
	}
	var s, sw float64
	for i, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), nil
		}
		if v <= 0 {
			return math.NaN(), fmt.Errorf("%w: geometric mean of a non-positive value %v (entry %d)", ErrInput, v, i)
		}
		s += w[i] * math.Log(v)
		sw += w[i]
	}
	return math.Exp(s / sw), nil
}

// GeometricMeanFloor returns the SCRI index form Π max(x_d, floor)^(w_d/Σw)
// (RISK_INDEX.md §5.3 step 6; floor 0.1): every value is floored before the
// logarithm, so a zero dimension cannot zero the index. A NaN entry gives
// NaN (the index is NA if any dimension is NA).
func GeometricMeanFloor(x, w []float64, floor float64) (float64, error) {
	w, err := weightsFor(x, w)
	if err != nil {
		return math.NaN(), err
	}
	if !(floor > 0) {
		return math.NaN(), fmt.Errorf("%w: floor %v is not positive", ErrInput, floor)
	}
	var s, sw float64
	for i, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), nil
		}
		s += w[i] * math.Log(math.Max(v, floor))
		sw += w[i]
	}
	return math.Exp(s / sw), nil
}

// HarmonicMean returns the weighted harmonic mean Σw/Σ(w/x) (COINr
// a_hmean); zero or negative values are an error.
func HarmonicMean(x, w []float64) (float64, error) {
	w, err := weightsFor(x, w)
	if err != nil {
		return math.NaN(), err
	}
	var s, sw float64
	for i, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), nil
		}
		if v <= 0 {
			return math.NaN(), fmt.Errorf("%w: harmonic mean of a non-positive value %v (entry %d)", ErrInput, v, i)
		}
		s += w[i] / v
		sw += w[i]
	}
	return sw / s, nil
}

// GeneralisedMean returns the weighted power mean (Σ w x^p/Σ w)^(1/p)
// (COINr a_genmean): p = 1 is the arithmetic, p = −1 the harmonic mean and
// p = 0 the geometric mean.
func GeneralisedMean(x, w []float64, p float64) (float64, error) {
	if p == 0 {
		return GeometricMean(x, w)
	}
	w, err := weightsFor(x, w)
	if err != nil {
		return math.NaN(), err
	}
	var s, sw float64
	for i, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), nil
		}
		if v <= 0 && p < 0 {
			return math.NaN(), fmt.Errorf("%w: power mean with p < 0 of a non-positive value %v", ErrInput, v)
		}
		s += w[i] * math.Pow(v, p)
		sw += w[i]
	}
	return math.Pow(s/sw, 1/p), nil
}

// InvertedGeometricMean returns top − (Π (top − x_k))^(1/K), the INFORM
// hazard form in which one extreme value dominates (RISK_INDEX.md §1.3;
// top = 10 on the 0–10 scale). Example: (9, 1, 1) → 5.6733, against an
// arithmetic mean of 3.6667. Values above top are an error.
func InvertedGeometricMean(x []float64, top float64) (float64, error) {
	if len(x) == 0 {
		return math.NaN(), fmt.Errorf("%w: no values", ErrInput)
	}
	var s float64
	for i, v := range x {
		if math.IsNaN(v) {
			return math.NaN(), nil
		}
		if v > top {
			return math.NaN(), fmt.Errorf("%w: value %v (entry %d) above the top %v", ErrInput, v, i, top)
		}
		if v == top {
			return top, nil
		}
		s += math.Log(top - v)
	}
	return top - math.Exp(s/float64(len(x))), nil
}

// Outranking is a pairwise outranking matrix of units (COINr
// outrankMatrix).
type Outranking struct {
	// Matrix[a][b] is the weighted share of indicators on which unit a
	// beats unit b, ties counting ½; Matrix[a][a] is 0.
	Matrix [][]float64
	// NDominant is the number of unit pairs in which one unit beats the
	// other on every indicator (Matrix entry 1, the other 0).
	NDominant int
	// FracDominant is NDominant over the number of pairs.
	FracDominant float64
}

// OutrankingMatrix builds the outranking matrix of the units (rows of x;
// higher is better on every column) with indicator weights w (nil =
// equal). NaN cells are not allowed.
func OutrankingMatrix(x [][]float64, w []float64) (Outranking, error) {
	n := len(x)
	if n == 0 {
		return Outranking{}, fmt.Errorf("%w: no units", ErrInput)
	}
	k := len(x[0])
	w, err := weightsFor(x[0], w)
	if err != nil {
		return Outranking{}, err
	}
	w, err = Normalise(w)
	if err != nil {
		return Outranking{}, err
	}
	o := Outranking{Matrix: make([][]float64, n)}
	for a := range x {
		if len(x[a]) != k {
			return Outranking{}, fmt.Errorf("%w: unit %d has %d values, want %d", ErrInput, a, len(x[a]), k)
		}
		o.Matrix[a] = make([]float64, n)
	}
	for a := range x {
		for b := range x {
			if a == b {
				continue
			}
			var s float64
			for j := 0; j < k; j++ {
				switch {
				case math.IsNaN(x[a][j]) || math.IsNaN(x[b][j]):
					return Outranking{}, fmt.Errorf("%w: NaN in unit %d or %d", ErrInput, a, b)
				case x[a][j] > x[b][j]:
					s += w[j]
				case x[a][j] == x[b][j]:
					s += w[j] / 2
				}
			}
			o.Matrix[a][b] = s
		}
	}
	pairs := 0
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			pairs++
			if math.Abs(o.Matrix[a][b]-1) < 1e-12 || math.Abs(o.Matrix[b][a]-1) < 1e-12 {
				o.NDominant++
			}
		}
	}
	if pairs > 0 {
		o.FracDominant = float64(o.NDominant) / float64(pairs)
	}
	return o, nil
}

// Copeland returns each unit's Copeland score from an outranking matrix:
// the number of units it outranks (entry > ½) minus the number that
// outrank it (entry < ½) (COINr a_copeland).
func Copeland(orm [][]float64) []float64 {
	out := make([]float64, len(orm))
	for a := range orm {
		for b, v := range orm[a] {
			if a == b {
				continue
			}
			switch {
			case v > 0.5:
				out[a]++
			case v < 0.5:
				out[a]--
			}
		}
	}
	return out
}
