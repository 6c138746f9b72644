package composite

import (
	"fmt"
	"math"
)

// TopsisNormalisation selects how TOPSIS normalises the decision matrix.
type TopsisNormalisation int

const (
	// TopsisMinMax normalises each criterion by min–max, cost criteria
	// reversed, so that every column is "higher is better" (pymcdm's
	// default).
	TopsisMinMax TopsisNormalisation = iota
	// TopsisVector divides each column by its Euclidean norm; the ideal of a
	// cost criterion is then its minimum.
	TopsisVector
)

// Topsis returns the closeness C_i = D⁻_i/(D⁺_i + D⁻_i) of each unit (row
// of x) to the ideal solution, with criterion weights w and types (+1
// benefit, −1 cost). RISK_INDEX.md §3.2: TOPSIS is relative to the batch,
// so it is for the sensitivity set only, never for bands.
func Topsis(x [][]float64, w []float64, types []int, norm TopsisNormalisation) ([]float64, error) {
	if len(x) == 0 {
		return nil, fmt.Errorf("%w: no units", ErrInput)
	}
	k := len(x[0])
	if len(w) != k || len(types) != k {
		return nil, fmt.Errorf("%w: %d criteria, %d weights, %d types", ErrInput, k, len(w), len(types))
	}
	n := len(x)
	z := make([][]float64, n)
	for i := range z {
		if len(x[i]) != k {
			return nil, fmt.Errorf("%w: unit %d has %d values, want %d", ErrInput, i, len(x[i]), k)
		}
		z[i] = make([]float64, k)
	}
	ideal := make([]float64, k)
	anti := make([]float64, k)
	for j := 0; j < k; j++ {
		mn, mx, ss := math.Inf(1), math.Inf(-1), 0.0
		for i := range x {
			v := x[i][j]
			if math.IsNaN(v) {
				return nil, fmt.Errorf("%w: NaN at unit %d criterion %d", ErrInput, i, j)
			}
			mn, mx, ss = math.Min(mn, v), math.Max(mx, v), ss+v*v
		}
		for i := range x {
			v := x[i][j]
			switch norm {
			case TopsisMinMax:
				if types[j] < 0 {
					z[i][j] = (mx - v) / (mx - mn)
				} else {
					z[i][j] = (v - mn) / (mx - mn)
				}
			case TopsisVector:
				z[i][j] = v / math.Sqrt(ss)
			default:
				return nil, fmt.Errorf("%w: unknown TOPSIS normalisation %d", ErrInput, norm)
			}
			z[i][j] *= w[j]
		}
		ideal[j], anti[j] = math.Inf(-1), math.Inf(1)
		for i := range z {
			ideal[j], anti[j] = math.Max(ideal[j], z[i][j]), math.Min(anti[j], z[i][j])
		}
		if norm == TopsisVector && types[j] < 0 {
			ideal[j], anti[j] = anti[j], ideal[j]
		}
	}
	c := make([]float64, n)
	for i := range z {
		var dp, dm float64
		for j := range z[i] {
			dp += (z[i][j] - ideal[j]) * (z[i][j] - ideal[j])
			dm += (z[i][j] - anti[j]) * (z[i][j] - anti[j])
		}
		dp, dm = math.Sqrt(dp), math.Sqrt(dm)
		c[i] = dm / (dp + dm)
	}
	return c, nil
}
