package spatial_test

import (
	"math"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

// Bins used in the hand-built series: H is a significant hot bin, C a
// significant cold bin, o is not significant (|z| < 1.96 at α = 0.05).
const (
	H = 3.0
	C = -3.0
	o = 0.5
)

// rising returns n hot z-scores increasing from 2.5 by 0.1: a significant
// increasing trend (S = n(n−1)/2).
func rising(n int) []float64 {
	z := make([]float64, n)
	for i := range z {
		z[i] = 2.5 + 0.1*float64(i)
	}
	return z
}

func reversed(z []float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[len(z)-1-i] = v
	}
	return out
}

func negated(z []float64) []float64 {
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = -v
	}
	return out
}

func TestEmergingHotSpotCategories(t *testing.T) {
	cases := []struct {
		name string
		z    []float64
		hot  spatial.Category
		cold spatial.Category // the category of −z
	}{
		{"new: significant only in the final step",
			[]float64{o, o, o, o, o, o, o, o, o, H}, spatial.NewHotSpot, spatial.NewColdSpot},
		{"consecutive: one run of 3 ending at the final step",
			[]float64{o, o, o, o, o, o, o, H, H, H}, spatial.ConsecutiveHotSpot, spatial.ConsecutiveColdSpot},
		{"consecutive: a run of 8 (80 % < 90 %)",
			[]float64{o, o, H, H, H, H, H, H, H, H}, spatial.ConsecutiveHotSpot, spatial.ConsecutiveColdSpot},
		// 10 values rising: S = 45, VarS = 125, Z = 44/√125 = 3.94.
		{"intensifying: hot in all steps, rising",
			rising(10), spatial.IntensifyingHotSpot, spatial.IntensifyingColdSpot},
		// o then 9 rising hot values: 9 of 10 hot, S = 45 still.
		{"intensifying: hot in 9 of 10 steps including the final, rising",
			append([]float64{o}, rising(9)...), spatial.IntensifyingHotSpot, spatial.IntensifyingColdSpot},
		// Alternating 3, 3.5: S = 15 − 10 = 5, VarS = (2250 − 2·300)/18
		// = 91.7, Z = 0.42: no trend.
		{"persistent: hot in all steps, no trend",
			[]float64{3, 3.5, 3, 3.5, 3, 3.5, 3, 3.5, 3, 3.5}, spatial.PersistentHotSpot, spatial.PersistentColdSpot},
		// o then nine 3s: S = 9, VarS = (2250 − 9·8·23)/18 = 33, Z = 1.39.
		{"persistent: a final run covering 90 % is not consecutive",
			[]float64{o, H, H, H, H, H, H, H, H, H}, spatial.PersistentHotSpot, spatial.PersistentColdSpot},
		{"diminishing: hot in all steps, falling",
			reversed(rising(10)), spatial.DiminishingHotSpot, spatial.DiminishingColdSpot},
		{"sporadic: final hot, earlier hot bins with gaps, never cold",
			[]float64{H, o, H, o, o, H, o, o, o, H}, spatial.SporadicHotSpot, spatial.SporadicColdSpot},
		{"sporadic: a gap just before the final run",
			[]float64{o, o, o, o, H, o, o, o, H, H}, spatial.SporadicHotSpot, spatial.SporadicColdSpot},
		{"oscillating: final hot, an earlier cold bin",
			[]float64{C, o, o, H, o, o, o, o, o, H}, spatial.OscillatingHotSpot, spatial.OscillatingColdSpot},
		{"oscillating wins over new when the only earlier bins are cold",
			[]float64{o, C, C, o, o, o, o, o, o, H}, spatial.OscillatingHotSpot, spatial.OscillatingColdSpot},
		{"oscillating wins over consecutive",
			[]float64{C, o, o, o, o, o, o, H, H, H}, spatial.OscillatingHotSpot, spatial.OscillatingColdSpot},
		{"historical: hot in 9 of 10 steps, not the final one",
			[]float64{H, H, H, H, H, H, H, H, H, o}, spatial.HistoricalHotSpot, spatial.HistoricalColdSpot},
		{"historical: the final step is even cold",
			[]float64{H, H, H, H, H, H, H, H, H, C}, spatial.HistoricalHotSpot, spatial.HistoricalColdSpot},
		{"no pattern: never significant",
			[]float64{o, o, o, o, o, o, o, o, o, o}, spatial.NoPattern, spatial.NoPattern},
		{"no pattern: hot in the past only, final step not significant",
			[]float64{H, H, o, H, o, o, o, o, o, o}, spatial.NoPattern, spatial.NoPattern},
		{"no pattern: 1.95 is not significant at α = 0.05",
			[]float64{o, o, o, o, o, o, o, o, o, 1.95}, spatial.NoPattern, spatial.NoPattern},
		{"new: 1.97 is significant at α = 0.05",
			[]float64{o, o, o, o, o, o, o, o, o, 1.97}, spatial.NewHotSpot, spatial.NewColdSpot},
		{"new: NaN bins are not significant",
			[]float64{math.NaN(), o, math.NaN(), o, o, o, o, o, o, H}, spatial.NewHotSpot, spatial.NewColdSpot},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := spatial.EmergingHotSpot(c.z, spatial.EHSAOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Category != c.hot {
				t.Errorf("z %v: %v, want %v (trend %+v)", c.z, got.Category, c.hot, got.Trend)
			}
			if !c.hot.Hot() && c.hot != spatial.NoPattern {
				t.Errorf("%v is not a hot category", c.hot)
			}
			got, err = spatial.EmergingHotSpot(negated(c.z), spatial.EHSAOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Category != c.cold {
				t.Errorf("−z: %v, want %v (trend %+v)", got.Category, c.cold, got.Trend)
			}
			if !c.cold.Cold() && c.cold != spatial.NoPattern {
				t.Errorf("%v is not a cold category", c.cold)
			}
		})
	}
}

func TestEmergingHotSpotOptions(t *testing.T) {
	classify := func(z []float64, opts spatial.EHSAOptions) spatial.Category {
		t.Helper()
		r, err := spatial.EmergingHotSpot(z, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r.Category
	}
	// 1.7 is significant at α = 0.10 (critical 1.645), not at 0.05.
	z := []float64{o, o, o, o, o, o, o, o, o, 1.7}
	if got := classify(z, spatial.EHSAOptions{}); got != spatial.NoPattern {
		t.Errorf("α 0.05: %v", got)
	}
	if got := classify(z, spatial.EHSAOptions{Alpha: 0.10}); got != spatial.NewHotSpot {
		t.Errorf("α 0.10: %v", got)
	}
	// The older sporadic wording needs no hot final step.
	past := []float64{H, H, o, H, o, o, o, o, o, o}
	if got := classify(past, spatial.EHSAOptions{LegacySporadic: true}); got != spatial.SporadicHotSpot {
		t.Errorf("legacy sporadic: %v", got)
	}
	if got := classify(negated(past), spatial.EHSAOptions{LegacySporadic: true}); got != spatial.SporadicColdSpot {
		t.Errorf("legacy sporadic cold: %v", got)
	}
	mixed := []float64{H, C, o, o, o, o, o, o, o, o}
	if got := classify(mixed, spatial.EHSAOptions{LegacySporadic: true}); got != spatial.NoPattern {
		t.Errorf("legacy sporadic with hot and cold bins: %v", got)
	}
	// Share 0.8: hot in 8 of 10 steps including the final one is
	// persistent instead of consecutive.
	eight := []float64{o, o, H, H, H, H, H, H, H, H}
	if got := classify(eight, spatial.EHSAOptions{Share: 0.8}); got != spatial.PersistentHotSpot {
		t.Errorf("share 0.8: %v", got)
	}
	// Rising z-scores (Z = 3.94, p = 8e-5) are no trend at TrendAlpha 1e-5.
	if got := classify(rising(10), spatial.EHSAOptions{TrendAlpha: 1e-5}); got != spatial.PersistentHotSpot {
		t.Errorf("trend α 1e-5: %v", got)
	}

	// The caller's significance verdicts override the z-scores' own.
	allHot := []float64{H, H, H, H, H, H, H, H, H, H}
	sig := []bool{false, false, false, false, false, false, false, false, false, true}
	r, err := spatial.EmergingHotSpotSig(allHot, sig, spatial.EHSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Category != spatial.NewHotSpot || r.HotSteps != 1 || r.ColdSteps != 0 || r.Steps != 10 {
		t.Errorf("with significance flags: %+v", r)
	}
}

func TestEmergingHotSpotResultFields(t *testing.T) {
	r, err := spatial.EmergingHotSpot(rising(10), spatial.EHSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Mann-Kendall on 10 rising values: S = 45, VarS = 125.
	if r.Trend.S != 45 || r.Trend.VarS != 125 || r.Trend.Trend != spatial.TrendIncreasing || r.HotSteps != 10 {
		t.Errorf("%+v", r)
	}
	if got := spatial.IntensifyingColdSpot.String(); got != "Intensifying Cold Spot" {
		t.Errorf("label %q", got)
	}
	if got := spatial.NoPattern.String(); got != "No Pattern Detected" {
		t.Errorf("label %q", got)
	}
}

func TestEmergingHotSpotErrors(t *testing.T) {
	for name, c := range map[string]struct {
		z    []float64
		opts spatial.EHSAOptions
	}{
		"no steps":        {nil, spatial.EHSAOptions{}},
		"one finite step": {[]float64{math.NaN(), H}, spatial.EHSAOptions{}},
		"infinite z":      {[]float64{H, math.Inf(1)}, spatial.EHSAOptions{}},
		"share 0.5":       {[]float64{H, H}, spatial.EHSAOptions{Share: 0.5}},
		"alpha 1":         {[]float64{H, H}, spatial.EHSAOptions{Alpha: 1}},
		"trend alpha -1":  {[]float64{H, H}, spatial.EHSAOptions{TrendAlpha: -1}},
	} {
		if _, err := spatial.EmergingHotSpot(c.z, c.opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := spatial.EmergingHotSpotSig([]float64{H, H}, []bool{true}, spatial.EHSAOptions{}); err == nil {
		t.Error("length mismatch: no error")
	}
}
