package statcli

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
)

// points6 is the part of ew_esda_getisord_points6.json these tests read.
type points6 struct {
	Neighbors map[string][]int `json:"neighbors_0based"`
	Y         []float64        `json:"y"`
	// Run maps a variant such as "transform=B,star=True" to its outputs;
	// it also holds the global G, which has another shape.
	Run map[string]json.RawMessage `json:"reference_run_full"`
}

// localRun is one variant of points6.Run.
type localRun struct {
	Zs []float64 `json:"Zs"`
	P  []float64 `json:"p_norm_one_sided"`
}

// TestGistarReference runs gistar on esda's six-point example for every
// weights variant and compares z and p with esda G_Local.
func TestGistarReference(t *testing.T) {
	var ref points6
	readRefJSON(t, "ew_esda_getisord_points6.json", &ref)
	n := len(ref.Y)
	if n != 6 || len(ref.Neighbors) != n {
		t.Fatalf("reference has %d values and %d neighbour lists, want 6", n, len(ref.Neighbors))
	}
	// Units are named u0…u5. The values file lists them in reverse order
	// and the neighbours file in order, so the output must follow the
	// values file, not the neighbours file.
	id := func(i int) string { return "u" + strconv.Itoa(i) }
	var values, nbs strings.Builder
	values.WriteString("name,id,y\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&values, "point %d,%s,%s\n", i, id(i), strconv.FormatFloat(ref.Y[i], 'g', -1, 64))
	}
	nbs.WriteString("id,neighbors\n")
	for i := range n {
		var ns []string
		for _, j := range ref.Neighbors[strconv.Itoa(i)] {
			ns = append(ns, id(j))
		}
		fmt.Fprintf(&nbs, "%s,%s\n", id(i), strings.Join(ns, " "))
	}

	for _, tc := range []struct {
		variant string
		flags   []string
		twice   bool // two-sided: p is twice esda's one-sided value
	}{
		{"transform=B,star=True", nil, false},
		{"transform=B,star=True", []string{"--two-sided"}, true},
		{"transform=B,star=True", []string{"--weights", "binary"}, false},
		{"transform=B,star=False", []string{"--no-star"}, false},
		{"transform=R,star=True", []string{"--weights", "row"}, false},
		{"transform=R,star=False", []string{"--weights", "row", "--no-star", "--two-sided"}, true},
	} {
		t.Run(tc.variant+" "+strings.Join(tc.flags, " "), func(t *testing.T) {
			var want localRun
			if err := json.Unmarshal(ref.Run[tc.variant], &want); err != nil || len(want.Zs) != n || len(want.P) != n {
				t.Fatalf("reference variant %s missing or malformed: %v", tc.variant, err)
			}
			inTempDir(t, map[string]string{"values.csv": values.String(), "nb.csv": nbs.String()})
			args := append([]string{"gistar", "--values", "values.csv", "--value-column", "y", "--neighbors", "nb.csv"}, tc.flags...)
			rows := parseOutput(t, mustRun(t, args...), "id", "value", "z", "p")
			if len(rows) != n {
				t.Fatalf("%d rows, want %d", len(rows), n)
			}
			for k, r := range rows {
				i := n - 1 - k
				wantP := want.P[i]
				if tc.twice {
					wantP *= 2
				}
				if r[0] != id(i) || num(t, r[1]) != ref.Y[i] {
					t.Errorf("row %d: id %s value %s, want %s %v", k, r[0], r[1], id(i), ref.Y[i])
				}
				if !closeTo(num(t, r[2]), want.Zs[i], 1e-9) || !closeTo(num(t, r[3]), wantP, 1e-9) {
					t.Errorf("%s: z=%s p=%s, want z=%v p=%v", r[0], r[2], r[3], want.Zs[i], wantP)
				}
			}
		})
	}
}

// TestGistarByHand checks a 3×3 rook lattice (cells a…i, row by row) with
// the value 1 in the centre cell e and 0 elsewhere. With binary weights
// and the unit included (G*), n = 9, ȳ = 1/9, s² = 1/9 − 1/81 = 8/81 and,
// for a unit with W_i weights (itself included),
//
//	z_i = (Σ_j w_ij y_j − W_i/9) / (s · √(W_i (9 − W_i)/8)).
//
// The centre (W = 5, lag 1): (1 − 5/9)/((√8/9)·√(5·4/8)) = 4/√20 = 2/√5.
// A corner (W = 3, lag 0): (−3/9)/((√8/9)·√(3·6/8)) = −3/(√8·1.5) = −1/√2.
// An edge (W = 4, lag 1 from e): (1 − 4/9)/((√8/9)·√(4·5/8)) = 5/√20 = √5/2.
// One-sided p = P(Z > |z|) = erfc(|z|/√2)/2.
func TestGistarByHand(t *testing.T) {
	values := "id,risk\na,0\nb,0\nc,0\nd,0\ne,1\nf,0\ng,0\nh,0\ni,0\n"
	nb := "id,neighbors\na,b d\nb,a c e\nc,b f\nd,a e g\ne,b d f h\nf,c e i\ng,d h\nh,g e i\ni,f h\n"
	corner, edge, centre := -1/math.Sqrt2, math.Sqrt(5)/2, 2/math.Sqrt(5)
	wantZ := map[string]float64{"a": corner, "c": corner, "g": corner, "i": corner, "b": edge, "d": edge, "f": edge, "h": edge, "e": centre}
	inTempDir(t, map[string]string{"values.csv": values, "nb.csv": nb})
	rows := parseOutput(t, mustRun(t, "gistar", "--values", "values.csv", "--value-column", "risk", "--neighbors", "nb.csv"), "id", "value", "z", "p")
	if len(rows) != 9 {
		t.Fatalf("%d rows, want 9", len(rows))
	}
	for k, r := range rows {
		if want := string(rune('a' + k)); r[0] != want {
			t.Errorf("row %d: id %s, want %s", k, r[0], want)
		}
		z := wantZ[r[0]]
		p := math.Erfc(math.Abs(z)/math.Sqrt2) / 2
		if !closeTo(num(t, r[2]), z, 1e-12) || !closeTo(num(t, r[3]), p, 1e-12) {
			t.Errorf("%s: z=%s p=%s, want z=%v p=%v", r[0], r[2], r[3], z, p)
		}
	}

	// Constant values: every z-score and p-value is undefined (empty).
	inTempDir(t, map[string]string{"values.csv": strings.ReplaceAll(values, "e,1", "e,0"), "nb.csv": nb})
	rows = parseOutput(t, mustRun(t, "gistar", "--values", "values.csv", "--value-column", "risk", "--neighbors", "nb.csv"), "id", "value", "z", "p")
	for _, r := range rows {
		if r[1] != "0" || r[2] != "" || r[3] != "" {
			t.Errorf("constant values: row %v, want value 0 and empty z and p", r)
		}
	}
}
