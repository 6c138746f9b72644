package statcli

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestMannKendallReference runs mann-kendall on pyMannKendall's
// arbitrary_1d fixture (360 values, 7 of them NaN) and compares with the
// asserted result of original_test.
func TestMannKendallReference(t *testing.T) {
	var ref map[string]json.RawMessage
	readRefJSON(t, "ew_pymannkendall_expected.json", &ref)
	var want struct {
		Trend string  `json:"trend"`
		P     float64 `json:"p"`
		Z     float64 `json:"z"`
		S     float64 `json:"s"`
		VarS  float64 `json:"var_s"`
	}
	if err := json.Unmarshal(ref["original_test(arbitrary_1d)"], &want); err != nil || want.VarS == 0 {
		t.Fatalf("reference original_test(arbitrary_1d) missing or malformed: %v", err)
	}
	input, err := os.ReadFile(refPath(t, "ew_pymannkendall_arbitrary_1d.csv"))
	if err != nil {
		t.Fatal(err)
	}
	inTempDir(t, map[string]string{"series.csv": string(input)})
	rows := parseOutput(t, mustRun(t, "mann-kendall", "--column", "value", "series.csv"), "s", "var_s", "z", "p", "trend")
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if num(t, r[0]) != want.S || !closeTo(num(t, r[1]), want.VarS, 1e-12) ||
		!closeTo(num(t, r[2]), want.Z, 1e-12) || !closeTo(num(t, r[3]), want.P, 1e-12) || r[4] != want.Trend {
		t.Errorf("got %v, want s=%v var_s=%v z=%v p=%v trend=%q", r, want.S, want.VarS, want.Z, want.P, want.Trend)
	}
}

// TestMannKendallByHand checks series small enough to do by hand:
// S = Σ_{k<j} sign(x_j − x_k), VarS = (n(n−1)(2n+5) − Σ t(t−1)(2t+5))/18,
// z = (S ∓ 1)/√VarS, p = erfc(|z|/√2).
func TestMannKendallByHand(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		s, varS   float64
		trend     string
	}{
		// 1..5: every pair increases, S = 10; VarS = 5·4·15/18 = 50/3.
		{"increasing", "v\n1\n2\n3\n4\n5\n", 10, 50.0 / 3, "increasing"},
		// Reversed: S = −10.
		{"decreasing", "v\n5\n4\n3\n2\n1\n", -10, 50.0 / 3, "decreasing"},
		// Missing values dropped: 1, 3, 2 gives S = 1 + 1 − 1 = 1,
		// VarS = 3·2·11/18 = 11/3, z = 0.
		{"missing dropped", "v\n1\nNA\n\n3\nNaN\n2\n", 1, 11.0 / 3, "no trend"},
		// One tie group of 2 in 1, 2, 2: S = 1 + 1 + 0 = 2,
		// VarS = (66 − 2·1·9)/18 = 48/18.
		{"ties", "v\n1\n2\n2\n", 2, 48.0 / 18, "no trend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inTempDir(t, map[string]string{"x.csv": tc.csv})
			rows := parseOutput(t, mustRun(t, "mann-kendall", "--column", "v", "x.csv"), "s", "var_s", "z", "p", "trend")
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			z := 0.0
			if tc.s > 0 {
				z = (tc.s - 1) / math.Sqrt(tc.varS)
			} else if tc.s < 0 {
				z = (tc.s + 1) / math.Sqrt(tc.varS)
			}
			p := math.Erfc(math.Abs(z) / math.Sqrt2)
			r := rows[0]
			if num(t, r[0]) != tc.s || !closeTo(num(t, r[1]), tc.varS, 1e-12) ||
				!closeTo(num(t, r[2]), z, 1e-12) || !closeTo(num(t, r[3]), p, 1e-12) || r[4] != tc.trend {
				t.Errorf("got %v, want s=%v var_s=%v z=%v p=%v trend=%q", r, tc.s, tc.varS, z, p, tc.trend)
			}
		})
	}
}
