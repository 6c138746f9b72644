package forecast

import (
	"math"
	"sort"
)

// nelderMead minimises f from x0 with the Nelder-Mead simplex method as R's
// optim does it (reflection 1, contraction 0.5, expansion 2, shrink 0.5;
// initial simplex x0 + step·e_i with step = 0.1·max|x0_i|; stop when the
// spread of the simplex's values is at most reltol·(|f_best| + reltol) or
// after maxEval evaluations). It is written out here instead of
// gonum/optimize because Minimize evaluates through goroutines and
// channels, which cost more than the ETS likelihood itself; the ETS fit runs
// for every series at every backtest origin.
func nelderMead(f func([]float64) float64, x0 []float64, reltol float64, maxEval int) ([]float64, float64) {
	n := len(x0)
	step := 0.0
	for _, v := range x0 {
		step = math.Max(step, math.Abs(v))
	}
	step *= 0.1
	if step == 0 {
		step = 0.1
	}
	pts := make([][]float64, n+1)
	vals := make([]float64, n+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += step
		}
		vals[i] = f(pts[i])
	}
	evals := n + 1
	idx := make([]int, n+1)
	cen := make([]float64, n)
	xr := make([]float64, n)
	xe := make([]float64, n)
	xc := make([]float64, n)
	for evals < maxEval {
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
		best, worst, second := idx[0], idx[n], idx[n-1]
		if !math.IsInf(vals[worst], 1) && vals[worst]-vals[best] <= reltol*(math.Abs(vals[best])+reltol) {
			break
		}
		for j := range cen {
			cen[j] = 0
			for _, i := range idx[:n] {
				cen[j] += pts[i][j]
			}
			cen[j] /= float64(n)
		}
		for j := range xr {
			xr[j] = cen[j] + (cen[j] - pts[worst][j])
		}
		fr := f(xr)
		evals++
		switch {
		case fr < vals[best]:
			for j := range xe {
				xe[j] = cen[j] + 2*(cen[j]-pts[worst][j])
			}
			fe := f(xe)
			evals++
			if fe < fr {
				copy(pts[worst], xe)
				vals[worst] = fe
			} else {
				copy(pts[worst], xr)
				vals[worst] = fr
			}
		case fr < vals[second]:
			copy(pts[worst], xr)
			vals[worst] = fr
		default:
			// contract towards the better of the worst and its reflection.
			base, fb := pts[worst], vals[worst]
			if fr < fb {
				base, fb = xr, fr
			}
			for j := range xc {
				xc[j] = cen[j] + 0.5*(base[j]-cen[j])
			}
			fc := f(xc)
			evals++
			if fc < fb {
				copy(pts[worst], xc)
				vals[worst] = fc
			} else {
				// shrink towards the best.
				for _, i := range idx[1:] {
					for j := range pts[i] {
						pts[i][j] = pts[best][j] + 0.5*(pts[i][j]-pts[best][j])
					}
					vals[i] = f(pts[i])
					evals++
				}
			}
		}
	}
	bi := 0
	for i := range vals {
		if vals[i] < vals[bi] {
			bi = i
		}
	}
	return pts[bi], vals[bi]
}
