package forecast

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func coherent(t *testing.T, parent []int, v []float64) {
	t.Helper()
	sum := make([]float64, len(v))
	has := make([]bool, len(v))
	for i, p := range parent {
		if p >= 0 {
			sum[p] += v[i]
			has[p] = true
		}
	}
	for i := range v {
		if has[i] && math.Abs(sum[i]-v[i]) > 1e-9*math.Max(1, math.Abs(v[i])) {
			t.Errorf("node %d = %v, its children sum to %v", i, v[i], sum[i])
		}
	}
}

func TestMinTOLSByHand(t *testing.T) {
	// total = A + B; with W = I the projection is OLS: b = (SᵀS)⁻¹Sᵀŷ.
	// SᵀS = [[2,1],[1,2]], Sᵀŷ = (14, 15) → b = (13/3, 16/3).
	h, err := NewHierarchy([]int{-1, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	id := mat.NewSymDense(3, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1})
	sp, err := h.MinTWeights(id)
	if err != nil {
		t.Fatal(err)
	}
	got := Apply(sp, []float64{10, 4, 5})
	want := []float64{29.0 / 3, 13.0 / 3, 16.0 / 3}
	for i := range want {
		near(t, "ols", got[i], want[i], 1e-12)
	}
	bu := h.BottomUp([]float64{10, 4, 5})
	near(t, "bottom-up total", bu[0], 9, 0)
}

// TestMinTShrinkReference: the shrinkage covariance (λ) and the MinT
// forecasts on a 7-node hierarchy equal the R computation in
// testdata/make_reference.R (hts::shrink.estim and the MinT formula) to
// 1e-9, and both MinT and bottom-up forecasts add up.
func TestMinTShrinkReference(t *testing.T) {
	parent := []int{-1, 0, 0, 1, 1, 2, 2}
	h, err := NewHierarchy(parent)
	if err != nil {
		t.Fatal(err)
	}
	res := readRef(t, "mint_residuals.csv")
	x := mat.NewDense(res.rows, 7, nil)
	for j := 0; j < 7; j++ {
		c := res.col(t, "V"+string(rune('1'+j)))
		for i, v := range c {
			x.Set(i, j, v)
		}
	}
	w, lambda := ShrinkCov(x)
	wantLambda := readRef(t, "mint_lambda.csv").kv(t)["lambda"]
	if e := relErr(lambda, wantLambda); e > 1e-9 {
		t.Errorf("lambda %.12g, want %.12g", lambda, wantLambda)
	}
	sp, err := h.MinTWeights(w)
	if err != nil {
		t.Fatal(err)
	}
	ref := readRef(t, "mint_reconciled.csv")
	base := ref.col(t, "base")
	got := Apply(sp, base)
	bu := h.BottomUp(base)
	for i := range got {
		if e := relErr(got[i], ref.col(t, "mint")[i]); e > 1e-9 {
			t.Errorf("mint node %d: %.12g, want %.12g", i+1, got[i], ref.col(t, "mint")[i])
		}
		if e := relErr(bu[i], ref.col(t, "bu")[i]); e > 1e-12 {
			t.Errorf("bottom-up node %d: %v, want %v", i+1, bu[i], ref.col(t, "bu")[i])
		}
	}
	coherent(t, parent, got)
	coherent(t, parent, bu)
	// Intervals move with the points and keep their widths.
	fs := make([]Forecast, 7)
	for i := range fs {
		fs[i] = Forecast{Point: []float64{base[i]}, Lo80: []float64{base[i] - 5}, Hi80: []float64{base[i] + 5}, Lo95: []float64{base[i] - 9}, Hi95: []float64{base[i] + 9}}
	}
	r := ReconcileIntervals(fs, 0, got)
	for i := range got {
		near(t, "hi80 width", r.Hi80[i]-r.Point[i], 5, 1e-12)
		near(t, "lo95 width", r.Point[i]-r.Lo95[i], 9, 1e-12)
	}
}

func TestHierarchyRejectsCycles(t *testing.T) {
	if _, err := NewHierarchy([]int{1, 0}); err == nil {
		t.Error("a two-node cycle was accepted")
	}
	if _, err := NewHierarchy([]int{-1, 5}); err == nil {
		t.Error("a parent out of range was accepted")
	}
}

func TestHullIntervalsHoldBaseAndReconciledPoint(t *testing.T) {
	base := []Forecast{
		{Point: []float64{1}, Lo80: []float64{0}, Hi80: []float64{3}, Lo95: []float64{0}, Hi95: []float64{5}},
		{Point: []float64{10}, Lo80: []float64{7}, Hi80: []float64{13}, Lo95: []float64{5}, Hi95: []float64{16}},
		{Point: []float64{0.2}, Lo80: []float64{0}, Hi80: []float64{1}, Lo95: []float64{0}, Hi95: []float64{2}},
	}
	r := HullIntervals(base, 0, []float64{2.5, 8, -0.5})
	want := [][4]float64{
		{0, 4.5, 0, 6.5},   // moved up 1.5: lower bound stays 0 (not 1.5), upper moves
		{5, 13, 3, 16},     // moved down 2: lower bounds move, upper stay
		{-0.5, 1, -0.5, 2}, // a negative point: lower bounds reach it
	}
	for k, w := range want {
		got := [4]float64{r.Lo80[k], r.Hi80[k], r.Lo95[k], r.Hi95[k]}
		if got != w {
			t.Errorf("node %d: %v, want %v", k, got, w)
		}
	}
}
