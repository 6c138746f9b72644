package spatial_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

func TestAdjustBH(t *testing.T) {
	// m = 5 finite p-values (the NaN is left out). Sorted: 0.005, 0.01,
	// 0.03, 0.04, 0.2; m·p/k = 0.025, 0.025, 0.05, 0.05, 0.2; running
	// minimum from the largest: 0.2, 0.05, 0.05, 0.025, 0.025.
	p := []float64{0.01, 0.04, 0.03, 0.005, 0.2, math.NaN()}
	want := []float64{0.025, 0.05, 0.05, 0.025, 0.2}
	q := spatial.AdjustBH(p)
	for i, w := range want {
		if relErr(q[i], w) > 1e-15 {
			t.Errorf("q[%d] = %v, want %v", i, q[i], w)
		}
	}
	if !math.IsNaN(q[5]) {
		t.Errorf("q of NaN = %v, want NaN", q[5])
	}
	if got := spatial.FDRSignificant(p, 0.05); !reflect.DeepEqual(got, []bool{true, true, true, true, false, false}) {
		t.Errorf("significant at 0.05: %v", got)
	}
	if got := spatial.FDRSignificant(p, 0.03); !reflect.DeepEqual(got, []bool{true, false, false, true, false, false}) {
		t.Errorf("significant at 0.03: %v", got)
	}

	// Step-up: p_(1) = 0.02 > 1·0.04/3, yet all three are rejected at 0.04
	// because p_(3) = 0.035 ≤ 3·0.04/3. m·p/k = 0.06, 0.045, 0.035 → all
	// q = 0.035.
	q = spatial.AdjustBH([]float64{0.035, 0.02, 0.03})
	for i, v := range q {
		if relErr(v, 0.035) > 1e-15 {
			t.Errorf("step-up q[%d] = %v, want 0.035", i, v)
		}
	}
	if got := spatial.AdjustBH(nil); len(got) != 0 {
		t.Errorf("empty input: %v", got)
	}
}
