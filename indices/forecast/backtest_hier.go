package forecast

import (
	"sort"

	"gonum.org/v1/gonum/mat"
)

// Tree is one hierarchy of series for BacktestHierarchy: node i has parent
// Parent[i] (−1 for the root), level Level[i] and counts Y[i]; every
// non-leaf series equals the sum of its children.
type Tree struct {
	Parent []int
	Level  []int
	Y      [][]float64
}

// Reconciliation methods compared by BacktestHierarchy.
const (
	ReconBase = "base"
	ReconBU   = "bottom-up"
	ReconMinT = "mint-shrink"
	// ReconMinTHull is MinT(shrink) with HullIntervals.
	ReconMinTHull = "mint-shrink-hull"
	// ReconMinTNaiveHull is MinT(shrink) with the covariance of the
	// history's one-step naive errors (y_t − y_{t−1}, the latest 52 known
	// at the origin) and HullIntervals: what the forecast jobs store.
	ReconMinTNaiveHull = "mint-naive-hull"
)

// minTErrors is the number of past one-step error vectors MinT needs
// before it replaces bottom-up in the backtest.
const minTErrors = 12

// BacktestHierarchy runs the rolling-origin backtest on every node of the
// trees and scores three sets of forecasts on the same origins and nodes:
// the base forecasts (each node on its own, as Backtest), bottom-up (the
// sum of the leaves' base forecasts) and MinT with the shrinkage
// covariance of the one-step errors of the base forecasts at the earlier
// origins (known at the origin; bottom-up until minTErrors of them exist).
// Reconciled intervals are the base intervals moved with the point. The
// result maps each method to its scores per level and horizon.
func BacktestHierarchy(trees []Tree, o BacktestOptions) map[string][]LevelScore {
	if o.Every < 1 {
		o.Every = 1
	}
	if o.Reselect < 1 {
		o.Reselect = 13
	}
	if o.MinNonZero < 1 {
		o.MinNonZero = 1
	}
	o.Options = o.Options.withDefaults()
	type key struct {
		method   string
		level, h int
	}
	total := map[key]*LevelScore{}
	add := func(method string, level, h int, f Forecast, i int, y, naive, scale float64, model string) {
		k := key{method, level, h}
		ls := total[k]
		if ls == nil {
			ls = &LevelScore{Level: level, H: h, Models: map[string]int{}}
			total[k] = ls
		}
		ls.Score.Add(f, i, y, naive, scale)
		ls.Models[model]++
	}
	H := o.Horizon
	for _, t := range trees {
		hier, err := NewHierarchy(t.Parent)
		if err != nil {
			continue
		}
		n := len(t.Y)
		sfs := make([]*seriesForecaster, n)
		for i := range sfs {
			sfs[i] = &seriesForecaster{o: o, y: t.Y[i]}
		}
		length := len(t.Y[0])
		var errs [][]float64
		for org := o.First; org <= o.Last && org < length; org += o.Every {
			fs := make([]Forecast, n)
			naive := make([]Forecast, n)
			scale := make([]float64, n)
			ok := make([]bool, n)
			for i := range sfs {
				fs[i], naive[i], scale[i], ok[i] = sfs[i].at(org)
				if !ok[i] {
					fs[i] = newForecast("none", H)
				}
			}
			var sp *mat.Dense
			if len(errs) >= minTErrors {
				e := mat.NewDense(len(errs), n, nil)
				for r, v := range errs {
					e.SetRow(r, v)
				}
				w, _ := ShrinkCov(e)
				var tr float64
				for i := 0; i < n; i++ {
					tr += w.At(i, i)
				}
				for i := 0; i < n; i++ {
					w.SetSym(i, i, w.At(i, i)+1e-6*max(tr/float64(n), 1))
				}
				sp, _ = hier.MinTWeights(w)
			}
			var spn *mat.Dense
			if rows := min(52, org-1); rows >= 3 {
				e := mat.NewDense(rows, n, nil)
				for i := 0; i < n; i++ {
					for r := 0; r < rows; r++ {
						tt := org - rows + r
						e.Set(r, i, t.Y[i][tt]-t.Y[i][tt-1])
					}
				}
				spn, _ = MinTShrinkWeights(hier, e)
			}
			for h := 0; h < H && org+h < length; h++ {
				base := make([]float64, n)
				for i := range fs {
					base[i] = fs[i].Point[h]
				}
				bu := hier.BottomUp(base)
				mint := bu
				if sp != nil {
					mint = Apply(sp, base)
				}
				mintN := bu
				if spn != nil {
					mintN = Apply(spn, base)
				}
				rb := ReconcileIntervals(fs, h, bu)
				rm := ReconcileIntervals(fs, h, mint)
				rmh := HullIntervals(fs, h, mint)
				rnh := HullIntervals(fs, h, mintN)
				for i := range fs {
					if !ok[i] {
						continue
					}
					y := t.Y[i][org+h]
					nv := naive[i].Point[h]
					add(ReconBase, t.Level[i], h+1, fs[i], h, y, nv, scale[i], fs[i].Model)
					add(ReconBU, t.Level[i], h+1, reconciledForecast(rb, i, h, H), h, y, nv, scale[i], fs[i].Model)
					add(ReconMinT, t.Level[i], h+1, reconciledForecast(rm, i, h, H), h, y, nv, scale[i], fs[i].Model)
					add(ReconMinTHull, t.Level[i], h+1, reconciledForecast(rmh, i, h, H), h, y, nv, scale[i], fs[i].Model)
					add(ReconMinTNaiveHull, t.Level[i], h+1, reconciledForecast(rnh, i, h, H), h, y, nv, scale[i], fs[i].Model)
				}
			}
			if org < length {
				e := make([]float64, n)
				for i := range fs {
					e[i] = t.Y[i][org] - fs[i].Point[0]
				}
				errs = append(errs, e)
			}
		}
	}
	out := map[string][]LevelScore{}
	for k, ls := range total {
		out[k.method] = append(out[k.method], *ls)
	}
	for m := range out {
		s := out[m]
		sort.Slice(s, func(i, j int) bool {
			if s[i].Level != s[j].Level {
				return s[i].Level < s[j].Level
			}
			return s[i].H < s[j].H
		})
	}
	return out
}

// reconciledForecast puts node i's reconciled values at horizon index h of
// an otherwise empty forecast, for Score.Add.
func reconciledForecast(r Reconciled, i, h, H int) Forecast {
	f := newForecast("", H)
	f.Point[h], f.Lo80[h], f.Hi80[h], f.Lo95[h], f.Hi95[h] = r.Point[i], r.Lo80[i], r.Hi80[i], r.Lo95[i], r.Hi95[i]
	return f
}
