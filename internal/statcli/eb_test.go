package statcli

import (
	"math"
	"os"
	"strings"
	"testing"
)

// TestEBGlobalReference smooths the Auckland infant deaths (Marshall 1991,
// spdep's EBest example, risk population 9 × under-5 population) and
// compares eb_rate with the reference rates per 1,000, which are printed
// with 6 decimals.
func TestEBGlobalReference(t *testing.T) {
	const name = "riskidx_eb_auckland_marshall_poisson.csv"
	recs := readRefCSV(t, name)
	want := refColumn(t, recs, "eb_rate_per1000")
	input, err := os.ReadFile(refPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		flags []string
		scale float64 // eb_rate × scale is the rate per 1,000
	}{
		{nil, 1000},
		{[]string{"--per", "1000"}, 1},
		{[]string{"--method", "global", "--per", "1e3"}, 1},
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			inTempDir(t, map[string]string{"auckland.csv": string(input)})
			args := append([]string{"eb", "--cases", "deaths_M77_85", "--population", "person_years_at_risk_9x"}, tc.flags...)
			rows := parseOutput(t, mustRun(t, append(args, "auckland.csv")...), append(recs[0], "eb_rate")...)
			if len(rows) != len(recs)-1 {
				t.Fatalf("%d rows, want %d", len(rows), len(recs)-1)
			}
			for i, r := range rows {
				// The input columns come through unchanged.
				if got, in := strings.Join(r[:len(r)-1], ","), strings.Join(recs[i+1], ","); got != in {
					t.Fatalf("row %d: input columns %q, want %q", i, got, in)
				}
				got := num(t, r[len(r)-1]) * tc.scale
				if w := num(t, want[i]); math.Abs(got-w) > 5.0001e-7 {
					t.Errorf("fid %s: eb rate per 1000 %.9g, want %s", r[0], got, want[i])
				}
			}
		})
	}
}

// TestEBLocalByHand checks spdep's EBlocal on four units: A–B–C in a line
// and the island D. With N = the unit and its neighbours,
// m_i = Σ_N cases/Σ_N pop, n̄_i = mean_N pop,
// C_i = Σ_{j∈N} pop_j (r_j − m_j)², a_i = max(0, C_i/Σ_N pop − m_i/n̄_i),
// θ_i = m_i + (r_i − m_i)·a_i/(a_i + m_i/pop_i). With cases 0, 30, 5, 0 and
// populations 100, 100, 100, 50 (exact fractions):
//
//	A: m = 3/20, a = 239/9000,    θ = 81/10100
//	B: m = 7/60, a = 4913/216000, θ = 15033/51650
//	C: m = 7/40, a = 3293/144000, θ = 167/2836
//	D: no case in its neighbourhood: m = 0, θ = 0/0, undefined (empty).
func TestEBLocalByHand(t *testing.T) {
	data := "name,id,cases,pop\nfirst,A,0,100\n\"second, with a comma\",B,30,100\nthird,C,5,100\nfourth,D,0,50\n"
	nb := "id,neighbors\nC,B\nA,B\nD,\nB,C A\n"
	inTempDir(t, map[string]string{"data.csv": data, "nb.csv": nb})
	out := mustRun(t, "eb", "--method", "local", "--neighbors", "nb.csv", "--cases", "cases", "--population", "pop", "--per", "1000", "data.csv")
	rows := parseOutput(t, out, "name", "id", "cases", "pop", "eb_rate")
	want := []float64{81.0 / 10100, 15033.0 / 51650, 167.0 / 2836, math.NaN()}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	if rows[1][0] != "second, with a comma" {
		t.Errorf("quoted field came out as %q", rows[1][0])
	}
	for i, r := range rows {
		if !closeTo(num(t, r[4]), want[i]*1000, 1e-12) {
			t.Errorf("%s: eb_rate %q, want %v", r[1], r[4], want[i]*1000)
		}
	}
	if rows[3][4] != "" {
		t.Errorf("D: eb_rate %q, want empty", rows[3][4])
	}
}

// TestEBGlobalByHand checks Marshall's global estimator on two units:
// cases 1 and 9, populations 100 each. b = 10/200 = 1/20, r = 1/100 and
// 9/100, s² = Σ n_i (r_i − b)²/Σn = (100·(1/25)² + 100·(1/25)²)/200 =
// 1/625, a = s² − b/n̄ = 1/625 − 1/2000 = 11/10000, and
// θ_i = b + a(r_i − b)/(a + b/100) = 1/20 ± (1/25)·(11/10000)/(16/10000),
// that is 1/20 ∓ 11/400: 9/400 and 31/400.
func TestEBGlobalByHand(t *testing.T) {
	inTempDir(t, map[string]string{"d.csv": "c,n\n1,100\n9,100\n"})
	rows := parseOutput(t, mustRun(t, "eb", "--cases", "c", "--population", "n", "d.csv"), "c", "n", "eb_rate")
	for i, want := range []float64{9.0 / 400, 31.0 / 400} {
		if got := num(t, rows[i][2]); !closeTo(got, want, 1e-15) {
			t.Errorf("row %d: eb_rate %v, want %v", i, got, want)
		}
	}
}
