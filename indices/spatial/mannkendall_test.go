package spatial_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

func TestMannKendallReference(t *testing.T) {
	var ref map[string]map[string]any
	readJSON(t, "ew_pymannkendall_expected.json", &ref)
	rows := readCSV(t, "ew_pymannkendall_arbitrary_1d.csv")
	x := make([]float64, len(rows))
	for i, r := range rows {
		v, err := strconv.ParseFloat(r["value"], 64) // "NaN" parses to NaN
		if err != nil {
			t.Fatalf("row %d: %v", i+2, err)
		}
		x[i] = v
	}
	got, err := spatial.MannKendall(x)
	if err != nil {
		t.Fatal(err)
	}
	want := ref["original_test(arbitrary_1d)"]
	m := newMaxErr(t, "ew_pymannkendall_expected.json original_test(arbitrary_1d) (TEST, exact equality in pyMannKendall)")
	m.check("s", got.S, want["s"].(float64), rtol)
	m.check("var_s", got.VarS, want["var_s"].(float64), rtol)
	m.check("z", got.Z, want["z"].(float64), rtol)
	m.check("p", got.P, want["p"].(float64), rtol)
	m.check("Tau", got.Tau, want["Tau"].(float64), rtol)
	m.rows = len(rows)
	m.report()
	if got.Trend != spatial.Trend(want["trend"].(string)) {
		t.Errorf("trend %q, want %q", got.Trend, want["trend"])
	}
	if got.N != 353 {
		t.Errorf("n = %d, want 353 (360 values, 7 NaN)", got.N)
	}
	// S and var_s are sums of integers and thirds: exact.
	if got.S != want["s"].(float64) || got.VarS != want["var_s"].(float64) {
		t.Errorf("s, var_s = %v, %v, want exactly %v, %v", got.S, got.VarS, want["s"], want["var_s"])
	}
}

func TestMannKendallDegenerate(t *testing.T) {
	var ref struct {
		Degenerate map[string]map[string]any `json:"degenerate_cases_from_tests"`
	}
	readJSON(t, "ew_pymannkendall_expected.json", &ref)
	deg := ref.Degenerate

	constant := make([]float64, 360)
	for i := range constant {
		constant[i] = 7
	}
	got, err := spatial.MannKendall(constant)
	if err != nil {
		t.Fatal(err)
	}
	want := deg["constant series (360 equal values)"]
	if got.S != want["s"].(float64) || got.VarS != want["var_s"].(float64) || got.Z != want["z"].(float64) ||
		got.P != want["p"].(float64) || got.Tau != want["Tau"].(float64) || got.Trend != spatial.Trend(want["trend"].(string)) {
		t.Errorf("constant series: %+v, want %v", got, want)
	}

	increasing := make([]float64, 360)
	for i := range increasing {
		increasing[i] = float64(i)
	}
	got, err = spatial.MannKendall(increasing)
	if err != nil {
		t.Fatal(err)
	}
	want = deg["strictly increasing 0..359 (+tiny noise)"]
	if got.S != want["s"].(float64) || got.P != want["p"].(float64) || got.Tau != want["Tau"].(float64) ||
		got.Trend != spatial.Trend(want["trend"].(string)) {
		t.Errorf("increasing series: %+v, want %v", got, want)
	}
}

// TestMannKendallByHand checks a short series with a tie worked out by hand.
func TestMannKendallByHand(t *testing.T) {
	// x = 1, 2, 2, 3, NaN: pairs (1,2) (1,2) (1,3) (2,3) (2,3) are
	// increasing, (2,2) is tied, so S = 5. n = 4 with one tie group of 2:
	// VarS = (4·3·13 − 2·1·9)/18 = 138/18. Z = (5 − 1)/√(138/18).
	// Tau = 5/6. |Z| = 1.4446 < 1.96: no trend.
	got, err := spatial.MannKendall([]float64{1, 2, 2, 3, math.NaN()})
	if err != nil {
		t.Fatal(err)
	}
	wantZ := 4 / math.Sqrt(138.0/18)
	if got.N != 4 || got.S != 5 || relErr(got.VarS, 138.0/18) > 1e-15 || relErr(got.Z, wantZ) > 1e-15 ||
		relErr(got.Tau, 5.0/6) > 1e-15 || got.Trend != spatial.TrendNone {
		t.Errorf("got %+v, want n 4, S 5, VarS %v, Z %v, Tau 5/6, no trend", got, 138.0/18, wantZ)
	}
	// 2(1 − Φ(1.44463)) = 0.14856 (normal table).
	if math.Abs(got.P-0.14856) > 5e-5 {
		t.Errorf("p = %v, want 0.14856", got.P)
	}

	// 10 decreasing values: S = −45, VarS = 10·9·25/18 = 125,
	// Z = −44/√125 = −3.9355: decreasing.
	dec := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	got, err = spatial.MannKendall(dec)
	if err != nil {
		t.Fatal(err)
	}
	if got.S != -45 || got.VarS != 125 || relErr(got.Z, -44/math.Sqrt(125)) > 1e-15 || got.Trend != spatial.TrendDecreasing {
		t.Errorf("decreasing: %+v", got)
	}
	// At α = 1e-5 the critical value is 4.417 > 3.9355: no trend.
	got, err = spatial.MannKendallAlpha(dec, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if got.Trend != spatial.TrendNone {
		t.Errorf("decreasing at α=1e-5: trend %q, want no trend", got.Trend)
	}
}

func TestMannKendallErrors(t *testing.T) {
	for name, x := range map[string][]float64{
		"empty":          nil,
		"one value":      {1},
		"one non-NaN":    {math.NaN(), 1, math.NaN()},
		"infinite value": {1, 2, math.Inf(-1)},
	} {
		if _, err := spatial.MannKendall(x); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := spatial.MannKendallAlpha([]float64{1, 2, 3}, 0); err == nil {
		t.Error("alpha 0: no error")
	}
	// Two values are enough (pyMannKendall: S = 1, var_s = 1, z = 0, p = 1).
	got, err := spatial.MannKendall([]float64{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if got.S != 1 || got.VarS != 1 || got.Z != 0 || got.P != 1 {
		t.Errorf("two values: %+v", got)
	}
}
