package alarm

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestFarringtonFlexibleReference compares with farringtonFlexible on
// S. Agona with the two control lists of the help page example (range
// 282:312, alpha 0.1).
func TestFarringtonFlexibleReference(t *testing.T) {
	obs := agona(t)
	ref := readRef(t, "ew_surveillance_farringtonFlexible_agona_docexample.csv")
	c1 := DefaultFarringtonFlexibleOptions()
	c1.RangeStart, c1.RangeEnd = 282, 312
	c1.NoPeriods, c1.B, c1.W = 1, 4, 3
	c1.WeightsThreshold, c1.PastWeeksNotIncluded, c1.PThresholdTrend, c1.Alpha = 1, 3, 0.05, 0.1
	c2 := c1
	c2.NoPeriods, c2.WeightsThreshold, c2.PastWeeksNotIncluded, c2.PThresholdTrend = 10, 2.58, 26, 1
	for _, tc := range []struct {
		name string
		opt  FarringtonOptions
	}{{"control1", c1}, {"control2", c2}} {
		t.Run(tc.name, func(t *testing.T) {
			pts, err := FarringtonFlexible(obs, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			tcol := ref.col(t, "t")
			if len(pts) != ref.rows {
				t.Fatalf("got %d points, want %d", len(pts), ref.rows)
			}
			var st compareStats
			for i, p := range pts {
				tt := int(tcol[i])
				if p.T != tt || p.Observed != ref.col(t, "observed")[i] {
					t.Fatalf("row %d: t=%d observed %v, want t=%d observed %v", i, p.T, p.Observed, tt, ref.col(t, "observed")[i])
				}
				st.checkValue(t, tc.name+" upperbound", tt, p.UpperBound, ref.col(t, "ub_"+tc.name)[i], 1e-6)
				st.checkValue(t, tc.name+" expected", tt, p.Expected, ref.col(t, "expected_"+tc.name)[i], 1e-6)
				checkAlarm(t, tc.name, tt, p.Alarm, ref.col(t, "alarm_"+tc.name)[i])
				if want := ref.col(t, "trend_"+tc.name)[i] == 1; p.Trend != want {
					t.Errorf("%s t=%d: trend %v, want %v", tc.name, tt, p.Trend, want)
				}
				st.rows++
			}
			t.Logf("%s: %d rows, max relative error %.3g", tc.name, st.rows, st.maxRel)
		})
	}
}

// TestFarringtonLegacyReference compares with algo.farrington on S. Agona,
// b = 4, w = 3, alpha = 0.01, range 270:312 (the help page example).
func TestFarringtonLegacyReference(t *testing.T) {
	obs := agona(t)
	ref := readRef(t, "ew_surveillance_farrington_agona_b4w3_alpha0.01.csv")
	o := DefaultFarringtonLegacyOptions()
	o.B, o.W, o.Alpha = 4, 3, 0.01
	o.RangeStart, o.RangeEnd = 270, 312
	pts, err := FarringtonLegacy(obs, o)
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
		st.checkValue(t, "upperbound", tt, p.UpperBound, ref.col(t, "upperbound")[i], 1e-6)
		checkAlarm(t, "farrington", tt, p.Alarm, ref.col(t, "alarm")[i])
		if want := ref.col(t, "trend")[i] == 1; p.Trend != want {
			t.Errorf("t=%d: trend %v, want %v", tt, p.Trend, want)
		}
		st.rows++
	}
	t.Logf("farrington: %d rows, max relative error %.3g", st.rows, st.maxRel)
}

// thresholdVectors is the part of
// ew_surveillance_farrington_threshold_testvectors.json the threshold tests
// use.
type thresholdVectors struct {
	Farrington map[string]json.RawMessage `json:"algo.farrington.threshold.farrington"`
	Noufaily   map[string]json.RawMessage `json:"algo.farrington.threshold.noufaily"`
	Weights    map[string][]float64       `json:"algo.farrington.assign.weights"`
}

func readThresholdVectors(t *testing.T) thresholdVectors {
	t.Helper()
	b, err := os.ReadFile(refPath(t, "ew_surveillance_farrington_threshold_testvectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v thresholdVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func wantFour(t *testing.T, raw json.RawMessage) [4]float64 {
	t.Helper()
	var v []float64
	if err := json.Unmarshal(raw, &v); err != nil || len(v) != 4 {
		t.Fatalf("bad vector %s: %v", raw, err)
	}
	return [4]float64{v[0], v[1], v[2], v[3]}
}

// TestThresholdFunctions checks the threshold functions against the
// assertions of surveillance's test-farringtonFlexible.R (absolute
// tolerance 1e-6, as there).
func TestThresholdFunctions(t *testing.T) {
	v := readThresholdVectors(t)
	for _, tr := range []string{"none", "1/2", "2/3"} {
		want := wantFour(t, v.Farrington["skewness.transform="+tr])
		l, u, p, s, err := ThresholdFarrington(5, 0.2, 1, tr, 0.05, 8)
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range []float64{l, u, p, s} {
			if math.Abs(g-want[i]) > 1e-6 {
				t.Errorf("farrington %s: output %d = %.9g, want %.9g", tr, i, g, want[i])
			}
		}
	}
	if _, _, _, _, err := ThresholdFarrington(5, 0.2, 1, "2/88", 0.05, 8); err == nil {
		t.Error("powertrans 2/88: no error")
	}
	for _, tc := range []struct {
		key    string
		phi    float64
		method string
	}{
		{"phi=1.5,method=muan", 1.5, "muan"},
		{"phi=1.0,method=muan", 1, "muan"},
		{"phi=1.5,method=nbPlugin", 1.5, "nbPlugin"},
		{"phi=1.0,method=nbPlugin", 1, "nbPlugin"},
	} {
		want := wantFour(t, v.Noufaily[tc.key])
		l, u, p, s, err := ThresholdNoufaily(math.Log(5), math.Log(2), tc.phi, tc.method, 0.05, 11)
		if err != nil {
			t.Fatal(err)
		}
		for i, g := range []float64{l, u, p, s} {
			if math.Abs(g-want[i]) > 1e-6 {
				t.Errorf("noufaily %s: output %d = %.9g, want %.9g", tc.key, i, g, want[i])
			}
		}
	}
	for key, s := range map[string][]float64{
		"s=rep(0,10), threshold=0":              {0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"s=c(0,0,0,0,0,2,2,2,2,2), threshold=0": {0, 0, 0, 0, 0, 2, 2, 2, 2, 2},
	} {
		want := v.Weights[key]
		got := make([]float64, len(s))
		if !assignWeights(s, 0, got) {
			t.Fatalf("%s: weights undefined", key)
		}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Errorf("%s: weight %d = %v, want %v", key, i, got[i], want[i])
			}
		}
	}
}
