package alarm

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// TestEARSReference compares C1, C2 and C3 with earsC's defaults on
// S. Agona, range 261:312.
func TestEARSReference(t *testing.T) {
	obs := agona(t)
	ref := readRef(t, "ew_surveillance_earsC_default_agona.csv")
	for _, m := range []string{"C1", "C2", "C3"} {
		t.Run(m, func(t *testing.T) {
			pts, err := EARS(obs, EARSOptions{Method: m, RangeStart: 261, RangeEnd: 312})
			if err != nil {
				t.Fatal(err)
			}
			if len(pts) != ref.rows {
				t.Fatalf("got %d points, want %d", len(pts), ref.rows)
			}
			var st compareStats
			for i, p := range pts {
				tt := int(ref.col(t, "t")[i])
				if p.T != tt || p.Observed != ref.col(t, "observed")[i] {
					t.Fatalf("row %d: t=%d, want %d", i, p.T, tt)
				}
				st.checkValue(t, m, tt, p.UpperBound, ref.col(t, "ub_"+m)[i], 1e-6)
				checkAlarm(t, m, tt, p.Alarm, ref.col(t, "alarm_"+m)[i])
				st.rows++
			}
			t.Logf("%s: %d rows, max relative error %.3g", m, st.rows, st.maxRel)
		})
	}
}

// earsVectors is the earsC part of the threshold test-vector JSON.
type earsVectors struct {
	EARS struct {
		Control struct {
			Method   string  `json:"method"`
			Alpha    float64 `json:"alpha"`
			Baseline int     `json:"baseline"`
		} `json:"control"`
		First4 []float64 `json:"expected_upperbound_first4"`
	} `json:"earsC_test"`
}

// TestEARSSalmNewport is surveillance's test-earsC.R: C1 with alpha 0.05 on
// S. Newport (Germany), weeks of 2011 (t = 366 … 417); the test asserts the
// first four bounds (one-sided, 1e-6), which we check two-sided. It also
// checks the error conditions the R test asserts.
func TestEARSSalmNewport(t *testing.T) {
	tab := readRef(t, "ew_surveillance_salmNewport_germany_weekly.csv")
	obs := tab.col(t, "observed")
	b, err := os.ReadFile(refPath(t, "ew_surveillance_farrington_threshold_testvectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v earsVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	c := v.EARS.Control
	// The 2011 weeks: ISO year 2011.
	years := tab.col(t, "iso_year")
	first, last := 0, 0
	for i, y := range years {
		if y == 2011 {
			if first == 0 {
				first = i + 1
			}
			last = i + 1
		}
	}
	if first != 366 || last != 417 {
		t.Fatalf("2011 is t=%d…%d, want 366…417", first, last)
	}
	pts, err := EARS(obs, EARSOptions{Method: c.Method, Alpha: c.Alpha, Baseline: c.Baseline, RangeStart: first, RangeEnd: last})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 52 {
		t.Fatalf("got %d points, want 52", len(pts))
	}
	var st compareStats
	for i, want := range v.EARS.First4 {
		// The file holds the 7-digit values of the R test.
		if d := math.Abs(pts[i].UpperBound - want); d > 1e-6 {
			t.Errorf("t=%d: upper bound %.9g, want %.7g", pts[i].T, pts[i].UpperBound, want)
		}
		st.checkValue(t, "C1", pts[i].T, pts[i].UpperBound, want, 1e-6)
	}
	t.Logf("salmNewport C1: 4 rows, max relative error %.3g", st.maxRel)

	for _, tc := range []struct {
		opt  EARSOptions
		want error
		msg  string
	}{
		{EARSOptions{Baseline: 2, RangeStart: first, RangeEnd: last}, ErrInvalidParam, "Minimum baseline to use is 3"},
		{EARSOptions{MinSigma: -2, RangeStart: first, RangeEnd: last}, ErrInvalidParam, "minSigma"},
		{EARSOptions{Baseline: 1500, RangeStart: first, RangeEnd: last}, ErrTooShort, "too short"},
	} {
		_, err := EARS(obs, tc.opt)
		if !errors.Is(err, tc.want) || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.msg)) {
			t.Errorf("%+v: error %v, want %v mentioning %q", tc.opt, err, tc.want, tc.msg)
		}
	}
	// With baseline 10 and no range, one bound per point after the baseline.
	pts, err = EARS(obs, EARSOptions{Method: "C1", Baseline: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != len(obs)-10 || pts[0].T != 11 {
		t.Errorf("default range: %d points from t=%d, want %d from t=11", len(pts), pts[0].T, len(obs)-10)
	}
}

// TestCUSUMReference compares with algo.cusum (k = 1.04, h = 2.26, m = mean
// of weeks 1–260) on S. Agona, range 261:312, for the standard and the
// Anscombe standardisation.
func TestCUSUMReference(t *testing.T) {
	obs := agona(t)
	ref := readRef(t, "ew_surveillance_cusum_agona_k1.04_h2.26.csv")
	for _, trans := range []string{"standard", "anscombe"} {
		t.Run(trans, func(t *testing.T) {
			o := DefaultCUSUMOptions()
			o.Trans, o.RangeStart, o.RangeEnd = trans, 261, 312
			pts, err := CUSUM(obs, o)
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
				if math.Abs(p.Expected-2.826923077) > 1e-9 {
					t.Fatalf("m = %.10g, want 2.826923077", p.Expected)
				}
				st.checkValue(t, trans+" upperbound", tt, p.UpperBound, ref.col(t, "ub_"+trans)[i], 1e-6)
				st.checkValue(t, trans+" cusum", tt, p.Statistic, ref.col(t, "cusum_"+trans)[i], 1e-6)
				checkAlarm(t, trans, tt, p.Alarm, ref.col(t, "alarm_"+trans)[i])
				st.rows++
			}
			t.Logf("%s: %d rows, max relative error %.3g", trans, st.rows, st.maxRel)
		})
	}
}
