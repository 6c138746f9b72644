package composite

import (
	"fmt"
	"math"
	"sort"
)

// Structure is the two-level hierarchy of the index: indicators grouped
// into dimensions, with weights. Indicator weights are relative within
// their dimension; dimension weights are relative across dimensions. Both
// are normalised by NewStructure.
type Structure struct {
	// Members lists the indicator indices of each dimension.
	Members [][]int
	// IndicatorWeights holds each indicator's weight within its dimension
	// (summing to 1 per dimension).
	IndicatorWeights []float64
	// DimensionWeights holds the dimension weights W_d (summing to 1).
	DimensionWeights []float64
	// Floor is the value each dimension is floored at before the geometric
	// mean (0.1 in SCRI v0).
	Floor float64
	// MinShare is the share of a dimension's indicators that must be
	// present (2/3 in SCRI v0).
	MinShare float64
}

// NewStructure validates and normalises a hierarchy. dimOf[i] is the
// dimension index of indicator i; every dimension needs at least one
// indicator.
func NewStructure(dimOf []int, indicatorWeights, dimensionWeights []float64, floor, minShare float64) (Structure, error) {
	if len(dimOf) != len(indicatorWeights) {
		return Structure{}, fmt.Errorf("%w: %d indicators but %d weights", ErrInput, len(dimOf), len(indicatorWeights))
	}
	if !(floor > 0) || !(minShare >= 0 && minShare <= 1) {
		return Structure{}, fmt.Errorf("%w: floor %v, minimum share %v", ErrInput, floor, minShare)
	}
	dw, err := Normalise(dimensionWeights)
	if err != nil {
		return Structure{}, fmt.Errorf("dimension weights: %w", err)
	}
	s := Structure{Members: make([][]int, len(dw)), IndicatorWeights: make([]float64, len(dimOf)), DimensionWeights: dw, Floor: floor, MinShare: minShare}
	for i, d := range dimOf {
		if d < 0 || d >= len(dw) {
			return Structure{}, fmt.Errorf("%w: indicator %d in dimension %d of %d", ErrInput, i, d, len(dw))
		}
		s.Members[d] = append(s.Members[d], i)
	}
	for d, m := range s.Members {
		if len(m) == 0 {
			return Structure{}, fmt.Errorf("%w: dimension %d has no indicator", ErrInput, d)
		}
		w := make([]float64, len(m))
		for k, i := range m {
			w[k] = indicatorWeights[i]
		}
		if w, err = Normalise(w); err != nil {
			return Structure{}, fmt.Errorf("dimension %d weights: %w", d, err)
		}
		for k, i := range m {
			s.IndicatorWeights[i] = w[k]
		}
	}
	return s, nil
}

// WithWeights returns a copy of s with other indicator and dimension
// weights (normalised as in NewStructure). nil keeps the current ones.
func (s Structure) WithWeights(indicatorWeights, dimensionWeights []float64) (Structure, error) {
	dimOf := s.dimOf()
	if indicatorWeights == nil {
		indicatorWeights = s.IndicatorWeights
	}
	if dimensionWeights == nil {
		dimensionWeights = s.DimensionWeights
	}
	return NewStructure(dimOf, indicatorWeights, dimensionWeights, s.Floor, s.MinShare)
}

func (s Structure) dimOf() []int {
	d := make([]int, len(s.IndicatorWeights))
	for k, m := range s.Members {
		for _, i := range m {
			d[i] = k
		}
	}
	return d
}

// EffectiveWeights returns each indicator's weight in the index, W_d·w_i
// (COINr get_eff_weights); they sum to 1.
func (s Structure) EffectiveWeights() []float64 {
	e := make([]float64, len(s.IndicatorWeights))
	for d, m := range s.Members {
		for _, i := range m {
			e[i] = s.DimensionWeights[d] * s.IndicatorWeights[i]
		}
	}
	return e
}

// Dimensions returns the dimension scores of one unit's normalised
// indicator vector x (NaN = missing): the weighted mean over the present
// indicators with renormalised weights, NaN when fewer than MinShare of the
// dimension's indicators are present (RISK_INDEX.md §5.3 step 5). dst is
// reused when it has the right length.
func (s Structure) Dimensions(x, dst []float64) []float64 {
	if len(dst) != len(s.Members) {
		dst = make([]float64, len(s.Members))
	}
	for d, m := range s.Members {
		var sum, sw float64
		present := 0
		for _, i := range m {
			if v := x[i]; !math.IsNaN(v) {
				present++
				sum += s.IndicatorWeights[i] * v
				sw += s.IndicatorWeights[i]
			}
		}
		if present == 0 || float64(present) < s.MinShare*float64(len(m))-1e-9 || !(sw > 0) {
			dst[d] = math.NaN()
			continue
		}
		dst[d] = sum / sw
	}
	return dst
}

// Geometric returns the SCRI index Π max(D_d, Floor)^W_d; NaN if any
// dimension is NaN.
func (s Structure) Geometric(dims []float64) float64 {
	var l float64
	for d, v := range dims {
		if math.IsNaN(v) {
			return math.NaN()
		}
		l += s.DimensionWeights[d] * math.Log(math.Max(v, s.Floor))
	}
	return math.Exp(l)
}

// Arithmetic returns Σ W_d·D_d without a floor (the alternative
// aggregation of the sensitivity grid); NaN if any dimension is NaN.
func (s Structure) Arithmetic(dims []float64) float64 {
	var r float64
	for d, v := range dims {
		if math.IsNaN(v) {
			return math.NaN()
		}
		r += s.DimensionWeights[d] * v
	}
	return r
}

// LogMean returns the logarithmic mean L(a, b) = (a − b)/(ln a − ln b),
// with L(a, a) = a, of two positive numbers.
func LogMean(a, b float64) float64 {
	if a == b {
		return a
	}
	// Near a = b the quotient loses digits; the series
	// L = b·(1 + r/2 − r²/12 + r³/24 …) with r = a/b − 1 is exact there.
	if r := a/b - 1; math.Abs(r) < 1e-4 {
		return b * (1 + r/2 - r*r/12 + r*r*r/24)
	}
	return (a - b) / (math.Log(a) - math.Log(b))
}

// Attribution is the exact decomposition of ln(R/R_ref) into indicator
// terms.
type Attribution struct {
	// Terms holds attr_i per indicator; they sum to LogRatio.
	Terms []float64
	// LogRatio is ln R − ln R_ref (both with floored dimensions).
	LogRatio float64
	// Dims and RefDims are the dimension scores of x and ref.
	Dims, RefDims []float64
}

// Attribute splits ln R − ln R_ref exactly into indicator terms
// (RISK_INDEX.md §5.6): ln R − ln R_ref = Σ_d W_d (ln D̃_d − ln D̃_d,ref)
// with D̃ = max(D, Floor), and each dimension term is split through the
// logarithmic mean:
//
//	attr_i = W_d·(ŵ_i x′_i − ŵ_i,ref x′_i,ref)/L(D̃_d, D̃_d,ref),
//
// where ŵ are the weights renormalised over the indicators present in each
// vector (with everything present, ŵ = w and the numerator is
// w_i (x′_i − x′_i,ref), the spec's formula). When a floor binds the
// dimension's indicator terms are scaled so that they still sum to the
// dimension's floored log change. ref is the previous window's vector
// ("why did it change") or the siblings' mean profile ("why is it high").
// It fails when either index is NA.
func (s Structure) Attribute(x, ref []float64) (Attribution, error) {
	if len(x) != len(s.IndicatorWeights) || len(ref) != len(x) {
		return Attribution{}, fmt.Errorf("%w: %d and %d values for %d indicators", ErrInput, len(x), len(ref), len(s.IndicatorWeights))
	}
	a := Attribution{Terms: make([]float64, len(x)), Dims: s.Dimensions(x, nil), RefDims: s.Dimensions(ref, nil)}
	for d := range s.Members {
		if math.IsNaN(a.Dims[d]) || math.IsNaN(a.RefDims[d]) {
			return Attribution{}, fmt.Errorf("%w: dimension %d is NA in the unit or the reference", ErrInput, d)
		}
	}
	for d, m := range s.Members {
		var sw, swRef float64
		for _, i := range m {
			if !math.IsNaN(x[i]) {
				sw += s.IndicatorWeights[i]
			}
			if !math.IsNaN(ref[i]) {
				swRef += s.IndicatorWeights[i]
			}
		}
		df, rf := math.Max(a.Dims[d], s.Floor), math.Max(a.RefDims[d], s.Floor)
		dimLog := s.DimensionWeights[d] * (math.Log(df) - math.Log(rf))
		a.LogRatio += dimLog
		var num []float64
		var numSum float64
		for _, i := range m {
			var t float64
			if !math.IsNaN(x[i]) {
				t += s.IndicatorWeights[i] / sw * x[i]
			}
			if !math.IsNaN(ref[i]) {
				t -= s.IndicatorWeights[i] / swRef * ref[i]
			}
			num = append(num, t)
			numSum += t
		}
		floored := a.Dims[d] < s.Floor || a.RefDims[d] < s.Floor
		for k, i := range m {
			switch {
			case !floored:
				a.Terms[i] = s.DimensionWeights[d] * num[k] / LogMean(df, rf)
			case numSum != 0:
				a.Terms[i] = dimLog * num[k] / numSum
			}
		}
	}
	return a, nil
}

// TopPositive returns the indices of the n largest positive terms in
// decreasing order (ties keep index order): the top drivers of a rise.
func TopPositive(terms []float64, n int) []int {
	var idx []int
	for i, v := range terms {
		if v > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return terms[idx[a]] > terms[idx[b]] })
	if len(idx) > n {
		idx = idx[:n]
	}
	return idx
}
