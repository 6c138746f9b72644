package statcli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/indices/alarm"
)

// agonaInput returns the S. Agona series (312 weeks) from the reference
// directory as a detect input file, with an extra column that detect must
// ignore.
func agonaInput(t *testing.T) (csvText string, observed []string) {
	t.Helper()
	recs := readRefCSV(t, "ew_surveillance_salmonella_agona.csv")
	tt, obs := refColumn(t, recs, "t"), refColumn(t, recs, "observed")
	var b strings.Builder
	b.WriteString("t,note,observed\n")
	for i := range tt {
		fmt.Fprintf(&b, "%s,week %d,%s\n", tt[i], i+1, obs[i])
	}
	return b.String(), obs
}

// TestDetectReference runs detect on the S. Agona series and compares the
// upper bounds and alarms with R surveillance's earsC and algo.cusum runs
// (range 261:312, default controls).
func TestDetectReference(t *testing.T) {
	input, observed := agonaInput(t)
	ears := readRefCSV(t, "ew_surveillance_earsC_default_agona.csv")
	cusum := readRefCSV(t, "ew_surveillance_cusum_agona_k1.04_h2.26.csv")
	for _, tc := range []struct {
		method     string
		ref        [][]string
		ub, alarmC string
	}{
		{"ears-c1", ears, "ub_C1", "alarm_C1"},
		{"ears-c2", ears, "ub_C2", "alarm_C2"},
		{"ears-c3", ears, "ub_C3", "alarm_C3"},
		{"cusum", cusum, "ub_standard", "alarm_standard"},
	} {
		t.Run(tc.method, func(t *testing.T) {
			inTempDir(t, map[string]string{"agona.csv": input})
			out := mustRun(t, "detect", "--method", tc.method, "--range-start", "261", "agona.csv")
			rows := parseOutput(t, out, "t", "observed", "upperbound", "alarm")
			wantT := refColumn(t, tc.ref, "t")
			wantUB := refColumn(t, tc.ref, tc.ub)
			wantAlarm := refColumn(t, tc.ref, tc.alarmC)
			if len(rows) != len(wantT) {
				t.Fatalf("%d rows, want %d", len(rows), len(wantT))
			}
			alarms := 0
			for i, r := range rows {
				tt, _ := strconv.Atoi(wantT[i])
				if r[0] != wantT[i] || r[1] != observed[tt-1] {
					t.Fatalf("row %d: t=%s observed=%s, want t=%s observed=%s", i, r[0], r[1], wantT[i], observed[tt-1])
				}
				if got, want := num(t, r[2]), num(t, wantUB[i]); !closeTo(got, want, 1e-6) {
					t.Errorf("t=%s: upperbound %s, want %s", r[0], r[2], wantUB[i])
				}
				if r[3] != wantAlarm[i] {
					t.Errorf("t=%s: alarm %s, want %s", r[0], r[3], wantAlarm[i])
				}
				if r[3] == "1" {
					alarms++
				}
			}
			t.Logf("%s: %d rows, %d alarms, equal to surveillance", tc.method, len(rows), alarms)
		})
	}
}

// qnorm999 is qnorm(0.999), the EARS quantile for the default alpha 0.001.
const qnorm999 = 3.090232306167813

// TestDetectByHand checks small series whose bounds follow from the
// definitions in R surveillance by hand.
func TestDetectByHand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		series string // observed values, t = 1, 2, …
		args   []string
		want   [][4]string // t, observed, upperbound, alarm; upperbound compared to 1e-12
	}{
		{
			// Reference 1,2,3: mean 2, sd 1, UB = 2 + qnorm(0.999).
			name: "ears-c1 baseline 3", series: "1 2 3 10",
			args: []string{"--method", "ears-c1", "--baseline", "3"},
			want: [][4]string{{"4", "10", fmt.Sprint(2 + qnorm999), "1"}},
		},
		{
			// alpha 0.5: qnorm(0.5) = 0, so UB is the reference mean.
			name: "ears-c1 alpha", series: "1 2 3 2",
			args: []string{"--method", "ears-c1", "--baseline", "3", "--alpha", "0.5"},
			want: [][4]string{{"4", "2", "2", "0"}},
		},
		{
			// Default range: the first t with 3 reference points is 4.
			name: "ears-c1 default range", series: "1 2 3 10 3",
			args: []string{"--method", "ears-c1", "--baseline", "3"},
			want: [][4]string{
				{"4", "10", fmt.Sprint(2 + qnorm999), "1"},
				// Reference 2,3,10: mean 5, sd √19.
				{"5", "3", fmt.Sprint(5 + qnorm999*math.Sqrt(19)), "0"},
			},
		},
		{
			// C2 skips two points: t = 6 uses y1..y3 = 1,2,3.
			name: "ears-c2 guard band", series: "1 2 3 0 0 10",
			args: []string{"--method", "ears-c2", "--baseline", "3"},
			want: [][4]string{{"6", "10", fmt.Sprint(2 + qnorm999), "1"}},
		},
		{
			// m = 4 (mean of t = 1..4), √m = 2. t=5: z = 2, C = 1.5,
			// UB = ceiling(2·(4 + 0.5 − 0) + 4) = 13. t=6: z = 3,
			// C = 1.5 + 3 − 0.5 = 4 = h, an alarm (C ≥ h);
			// UB = ceiling(2·(4.5 − 1.5) + 4) = 10.
			name: "cusum k h", series: "4 4 4 4 8 10",
			args: []string{"--method", "cusum", "--k", "0.5", "--h", "4", "--range-start", "5"},
			want: [][4]string{{"5", "8", "13", "0"}, {"6", "10", "10", "1"}},
		},
		{
			// The default range starts at freq + 1 = 5: the same as above
			// with the default k = 1.04, h = 2.26. t=5: z = 2, C = 0.96,
			// UB = ceiling(2·3.3 + 4) = 11; t=6: C = 0.96 + 3 − 1.04 = 2.92,
			// UB = ceiling(2·(3.3 − 0.96) + 4) = 9.
			name: "cusum freq", series: "4 4 4 4 8 10",
			args: []string{"--method", "cusum", "--freq", "4"},
			want: [][4]string{{"5", "8", "11", "0"}, {"6", "10", "9", "1"}},
		},
		{
			// Eleven zero weeks, then an outbreak: m = 0, so z = x/√0 is
			// +Inf for a positive count: C = +Inf ≥ h, an alarm, with the
			// bound ceiling(√0·(h + k) + 0) = 0 (algo.cusum's arithmetic);
			// after it C stays +Inf, z·0 = NaN bounds print as 0.
			name: "cusum after a history of zeros", series: "0 0 0 0 0 0 0 0 0 0 0 6 9",
			args: []string{"--method", "cusum", "--freq", "11"},
			want: [][4]string{{"12", "6", "0", "1"}, {"13", "9", "0", "1"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("t,observed\n")
			for i, v := range strings.Fields(tc.series) {
				fmt.Fprintf(&b, "%d,%s\n", i+1, v)
			}
			inTempDir(t, map[string]string{"s.csv": b.String()})
			rows := parseOutput(t, mustRun(t, append(append([]string{"detect"}, tc.args...), "s.csv")...),
				"t", "observed", "upperbound", "alarm")
			if len(rows) != len(tc.want) {
				t.Fatalf("%d rows, want %d: %v", len(rows), len(tc.want), rows)
			}
			for i, w := range tc.want {
				r := rows[i]
				if r[0] != w[0] || r[1] != w[1] || r[3] != w[3] || !closeTo(num(t, r[2]), num(t, w[2]), 1e-12) {
					t.Errorf("row %d: %v, want %v", i, r, w)
				}
			}
		})
	}
}

// TestDetectFlagMapping checks that the flags of farrington-flexible and
// glr-nb reach the detector's parameters under the right names: the output
// must equal alarm.Detect called with the parameters set by hand. (The
// detectors themselves are checked against R in indices/alarm.)
func TestDetectFlagMapping(t *testing.T) {
	input, observed := agonaInput(t)
	obs := make([]float64, len(observed))
	for i, s := range observed {
		obs[i] = num(t, s)
	}
	for _, tc := range []struct {
		method string
		args   []string
		set    func(p *alarm.Params)
	}{
		{alarm.MethodFarringtonFlexible, []string{"--b", "4", "--w", "2", "--alpha", "0.1", "--range-start", "282"},
			func(p *alarm.Params) { p.B, p.W, p.Alpha, p.RangeStart = 4, 2, 0.1, 282 }},
		{alarm.MethodFarringtonFlexible, []string{"--freq", "26", "--b", "2"},
			func(p *alarm.Params) { p.Freq, p.B = 26, 2 }},
		{alarm.MethodGLRNB, []string{"--alpha", "0.2", "--range-start", "200"},
			func(p *alarm.Params) { p.Alpha, p.RangeStart = 0.2, 200 }},
		{alarm.MethodGLRNB, []string{"--freq", "26"},
			func(p *alarm.Params) { p.Freq = 26 }},
	} {
		t.Run(tc.method+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			p, err := alarm.DefaultParams(tc.method)
			if err != nil {
				t.Fatal(err)
			}
			tc.set(&p)
			want, err := alarm.Detect(tc.method, obs, p)
			if err != nil {
				t.Fatal(err)
			}
			inTempDir(t, map[string]string{"agona.csv": input})
			rows := parseOutput(t, mustRun(t, append(append([]string{"detect", "--method", tc.method}, tc.args...), "agona.csv")...),
				"t", "observed", "upperbound", "alarm")
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			undefined := 0
			for i, w := range want {
				r := rows[i]
				a := "0"
				if w.Alarm {
					a = "1"
				}
				if r[0] != strconv.Itoa(w.T) || num(t, r[1]) != w.Observed || r[3] != a {
					t.Errorf("row %d: %v, want t=%d observed=%v alarm=%s", i, r, w.T, w.Observed, a)
				}
				if got := num(t, r[2]); !(got == w.UpperBound || math.IsNaN(got) && math.IsNaN(w.UpperBound)) {
					t.Errorf("t=%d: upperbound %s, want %v", w.T, r[2], w.UpperBound)
				}
				if r[2] == "" {
					undefined++
				}
			}
			t.Logf("%d rows, %d undefined bounds", len(rows), undefined)
		})
	}
}

// TestDetectFarringtonFiveInFour checks the empty upper bound: with the
// default limit54 = c(5, 4), farringtonFlexible gives no bound (and no
// alarm) where fewer than 5 cases occurred in the last 4 weeks.
func TestDetectFarringtonFiveInFour(t *testing.T) {
	input, observed := agonaInput(t)
	inTempDir(t, map[string]string{"agona.csv": input})
	rows := parseOutput(t, mustRun(t, "detect", "--method", "farrington-flexible", "agona.csv"),
		"t", "observed", "upperbound", "alarm")
	// Default range: freq·b + w + 1 = 52·5 + 3 + 1 = 264 to 312.
	if len(rows) != 312-264+1 || rows[0][0] != "264" {
		t.Fatalf("rows %d from t=%s, want 49 from t=264", len(rows), rows[0][0])
	}
	empty := 0
	for _, r := range rows {
		tt, _ := strconv.Atoi(r[0])
		var last4 float64
		for s := tt - 3; s <= tt; s++ {
			last4 += num(t, observed[s-1])
		}
		if undefined := last4 < 5; undefined != (r[2] == "") {
			t.Errorf("t=%d: %v cases in the last 4 weeks, upperbound %q", tt, last4, r[2])
		}
		if r[2] == "" {
			empty++
			if r[3] != "0" {
				t.Errorf("t=%d: alarm %s without an upper bound", tt, r[3])
			}
		}
	}
	if empty == 0 {
		t.Error("no week below the 5-in-4 limit: the test checks nothing")
	}
}
