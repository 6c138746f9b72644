package alarm

import (
	"math"
	"testing"
)

// TestGLRNBReference is surveillance's test-algo.glrnb.R: 120 weeks of
// negative binomial counts with a known seasonal μ0, α = 0.2, c.ARL = 5,
// ret = "value", dir = "inc". The expected statistic is compared with the
// reference run (10 digits, per row, 1e-6 relative) and with the 7-digit
// values of the R test the way the test does it (all.equal, mean relative
// difference below 1e-6); the only alarm is at t = 114.
func TestGLRNBReference(t *testing.T) {
	ref := readRef(t, "ew_surveillance_glrnb_test_vector.csv")
	obs := ref.col(t, "observed")
	o := DefaultGLRNBOptions()
	o.Mu0 = ref.col(t, "mu0")
	o.Alpha = 0.2
	o.CARL = 5
	o.RangeStart, o.RangeEnd = 1, len(obs)
	pts, err := GLRNB(obs, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != ref.rows {
		t.Fatalf("got %d points, want %d", len(pts), ref.rows)
	}
	var st compareStats
	var sumDiff, sumAbs float64
	want := ref.col(t, "glr_expected_from_test")
	for i, p := range pts {
		tt := int(ref.col(t, "t")[i])
		if p.T != tt {
			t.Fatalf("row %d: t=%d, want %d", i, p.T, tt)
		}
		st.checkValue(t, "glr", tt, p.UpperBound, ref.col(t, "glr_reference_run")[i], 1e-6)
		checkAlarm(t, "glr", tt, p.Alarm, ref.col(t, "alarm_reference_run")[i])
		sumDiff += math.Abs(p.UpperBound - want[i])
		sumAbs += math.Abs(want[i])
		st.rows++
	}
	if d := sumDiff / sumAbs; d > 1e-6 {
		t.Errorf("mean relative difference to the R test's values %.3g > 1e-6", d)
	}
	t.Logf("glr-nb: %d rows, max relative error %.3g (reference run); all.equal difference to the R test %.3g", st.rows, st.maxRel, sumDiff/sumAbs)
}

// TestBayesReference compares algo.bayes1, bayes2 and bayes3 on S. Agona,
// range 261:312.
func TestBayesReference(t *testing.T) {
	obs := agona(t)
	ref := readRef(t, "ew_surveillance_bayes123_agona.csv")
	for _, tc := range []struct {
		name string
		opt  BayesOptions
	}{{"bayes1", Bayes1Options()}, {"bayes2", Bayes2Options()}, {"bayes3", Bayes3Options()}} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opt
			o.RangeStart, o.RangeEnd = 261, 312
			pts, err := Bayes(obs, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != ref.rows {
				t.Fatalf("got %d points, want %d", len(pts), ref.rows)
			}
			var st compareStats
			for i, p := range pts {
				tt := int(ref.col(t, "t")[i])
				if p.T != tt {
					t.Fatalf("row %d: t=%d, want %d", i, p.T, tt)
				}
				st.checkValue(t, tc.name, tt, p.UpperBound, ref.col(t, "ub_"+tc.name)[i], 1e-6)
				checkAlarm(t, tc.name, tt, p.Alarm, ref.col(t, "alarm_"+tc.name)[i])
				st.rows++
			}
			t.Logf("%s: %d rows, max relative error %.3g", tc.name, st.rows, st.maxRel)
		})
	}
}
