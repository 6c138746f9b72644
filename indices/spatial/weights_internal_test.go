package spatial

import "testing"

// TestSums checks libpysal's s0, s1 and s2 on asymmetric weights worked out
// by hand.
func TestSums(t *testing.T) {
	w, err := NewWeights([]string{"a", "b", "c"}, map[string][]string{"a": {"b"}, "b": {"a", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	// Row-standardised: w_ab = 1, w_ba = w_bc = 1/2.
	// s0 = 2.
	// s1 = ½ Σ_ij (w_ij + w_ji)² = ½ (2·(1 + ½)² + 2·(½ + 0)²) = 2.5.
	// Row sums 1, 1, 0; column sums ½, 1, ½; s2 = 1.5² + 2² + 0.5² = 6.5.
	s0, s1, s2 := w.RowStandardized().sums()
	if s0 != 2 || s1 != 2.5 || s2 != 6.5 {
		t.Errorf("s0, s1, s2 = %v, %v, %v, want 2, 2.5, 6.5", s0, s1, s2)
	}
	// With self weights of 1 (binary): s1 adds ½ (1+1)² per diagonal entry.
	// Pairs: a–b (1+1)² twice, b–c (1+0)² twice → ½(8 + 2) = 5; diagonal
	// 3·2 = 6; s1 = 11. s0 = 3 + 3 = 6. Row sums 2, 3, 1; column sums
	// 2, 2, 2; s2 = 16 + 25 + 9 = 50.
	s0, s1, s2 = w.WithSelf().sums()
	if s0 != 6 || s1 != 11 || s2 != 50 {
		t.Errorf("with self: s0, s1, s2 = %v, %v, %v, want 6, 11, 50", s0, s1, s2)
	}
}
