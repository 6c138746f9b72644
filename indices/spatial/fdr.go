package spatial

import (
	"cmp"
	"math"
	"slices"
)

// AdjustBH returns Benjamini–Hochberg adjusted p-values (q-values), as R's
// p.adjust(p, "BH"): with the m finite p-values sorted increasingly,
// q_(k) = min_{j ≥ k} m·p_(j)/j, capped at 1, returned in the input order.
// NaN entries are left out of m and stay NaN. A unit is significant at false
// discovery rate α when its q ≤ α, which is the Benjamini–Hochberg step-up
// rule: reject p_(1) … p_(k) for the largest k with p_(k) ≤ kα/m.
//
// esda's fdr(p, α) returns a p-value cutoff instead and, when nothing is
// significant, falls back to the Bonferroni bound α/m; this function has
// no fallback.
func AdjustBH(p []float64) []float64 {
	type entry struct {
		p float64
		i int
	}
	out := make([]float64, len(p))
	sorted := make([]entry, 0, len(p))
	for i, v := range p {
		if math.IsNaN(v) {
			out[i] = math.NaN()
			continue
		}
		sorted = append(sorted, entry{v, i})
	}
	// Tied p-values end with the same q whatever their order, so the sort
	// need not be stable.
	slices.SortFunc(sorted, func(a, b entry) int { return cmp.Compare(a.p, b.p) })
	m := float64(len(sorted))
	running := math.Inf(1)
	for k := len(sorted) - 1; k >= 0; k-- {
		running = math.Min(running, m*sorted[k].p/float64(k+1))
		out[sorted[k].i] = math.Min(running, 1)
	}
	return out
}

// FDRSignificant reports, for every p-value, whether it is significant at
// false discovery rate alpha under the Benjamini–Hochberg step-up rule
// (AdjustBH(p)[i] ≤ alpha). NaN p-values are never significant.
func FDRSignificant(p []float64, alpha float64) []bool {
	q := AdjustBH(p)
	out := make([]bool, len(p))
	for i, v := range q {
		out[i] = v <= alpha
	}
	return out
}
