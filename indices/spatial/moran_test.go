package spatial_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

// valuesByID returns column col of a reference CSV in the weights' unit
// order, matching rows to units by the key column.
func valuesByID(t *testing.T, rows []map[string]string, key, col string, w *spatial.Weights) []float64 {
	t.Helper()
	if len(rows) != w.Len() {
		t.Fatalf("%d rows, %d units", len(rows), w.Len())
	}
	y := make([]float64, w.Len())
	seen := make([]bool, w.Len())
	for _, r := range rows {
		i, ok := w.Index(r[key])
		if !ok {
			t.Fatalf("row %s=%q has no unit in the weights", key, r[key])
		}
		v, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			t.Fatalf("%s=%s: column %s: %v", key, r[key], col, err)
		}
		y[i], seen[i] = v, true
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("unit %s has no row", w.ID(i))
		}
	}
	return y
}

type localMoranRef struct {
	Y    []float64            `json:"y"`
	Test map[string][]float64 `json:"expected_test_local_moments"`
	Q    map[string][]int     `json:"expected_docstring_q"`
	Run  map[string]any       `json:"reference_run_full"`
}

func TestLocalMoranDesmith(t *testing.T) {
	var ref localMoranRef
	readJSON(t, "ew_esda_moran_local_desmith.json", &ref)
	w := readNeighbors(t, "ew_libpysal_desmith_neighbors.csv")
	y := valuesByID(t, readCSV(t, "ew_libpysal_desmith.csv"), "id", "z", w)
	for i := range y {
		if y[i] != ref.Y[i] {
			t.Fatalf("desmith.csv row %d = %v, the JSON's y = %v", i, y[i], ref.Y[i])
		}
	}
	st, err := spatial.LocalMoran(y, w, spatial.RowStandardized)
	if err != nil {
		t.Fatal(err)
	}
	run := newMaxErr(t, "ew_esda_moran_local_desmith.json (RUN, full precision)")
	run.vec("Is", st.I, floats(t, ref.Run["Is"]), rtol)
	run.vec("EI", st.EI, floats(t, ref.Run["EI"]), rtol)
	run.vec("VI", st.VI, floats(t, ref.Run["VI"]), rtol)
	run.vec("EIc", st.EIc, floats(t, ref.Run["EIc"]), rtol)
	run.vec("VIc", st.VIc, floats(t, ref.Run["VIc"]), rtol)
	run.report()
	// esda's test prints VI to 6 decimals and EIc, VIc to 8: compare at the
	// printed precision.
	printed(t, "EI", st.EI, ref.Test["EI"])
	printed(t, "VI", st.VI, ref.Test["VI"])
	printed(t, "EIc", st.EIc, ref.Test["EIc"])
	printed(t, "VIc", st.VIc, ref.Test["VIc"])

	pysal := ref.Q["pysal_scheme(HH=1,LH=2,LL=3,HL=4)"]
	geoda := ref.Q["geoda_quads(HH=1,LL=2,LH=3,HL=4)"]
	toGeoDa := map[int]int{1: 1, 2: 3, 3: 2, 4: 4}
	for i, q := range st.Quadrant {
		if q != pysal[i] || toGeoDa[q] != geoda[i] {
			t.Errorf("unit %s: quadrant %d, want %d (GeoDa %d)", w.ID(i), q, pysal[i], geoda[i])
		}
	}
	for i := range st.Z {
		// Z and ZC are the normal approximations from the reference moments.
		ev, vv := floats(t, ref.Run["EI"])[i], floats(t, ref.Run["VI"])[i]
		if want := (floats(t, ref.Run["Is"])[i] - ev) / math.Sqrt(vv); relErr(st.Z[i], want) > rtol {
			t.Errorf("Z[%d] = %v, want %v", i, st.Z[i], want)
		}
	}

	g := ref.Run["global_Moran_r"].(map[string]any)
	mo, err := spatial.Moran(y, w, spatial.RowStandardized)
	if err != nil {
		t.Fatal(err)
	}
	gm := newMaxErr(t, "ew_esda_moran_local_desmith.json global Moran (RUN)")
	gm.check("I", mo.I, g["I"].(float64), rtol)
	gm.check("EI", mo.EI, g["EI"].(float64), rtol)
	gm.check("VI_norm", mo.VINorm, g["VI_norm"].(float64), rtol)
	gm.check("z_norm", mo.ZNorm, g["z_norm"].(float64), rtol)
	gm.check("p_norm", mo.PNorm, g["p_norm_two_sided"].(float64), rtol)
	gm.check("VI_rand", mo.VIRand, g["VI_rand"].(float64), rtol)
	gm.check("z_rand", mo.ZRand, g["z_rand"].(float64), rtol)
	gm.check("p_rand", mo.PRand, g["p_rand_two_sided"].(float64), rtol)
	gm.rows = 1
	gm.report()
}

type moranGlobalRef struct {
	STL     map[string]map[string]float64 `json:"stl_HR8893_queen_r"`
	SIDS    map[string]map[string]float64 `json:"sids2_SIDR74_r"`
	Rate    map[string]any                `json:"sids2_Moran_Rate_SID79_over_BIR79_r"`
	Lattice struct {
		Neighbors map[string][]int   `json:"neighbors_0based"`
		Y         []float64          `json:"y"`
		Test      map[string]float64 `json:"expected_test"`
		Run       map[string]float64 `json:"reference_run"`
	} `json:"lat3x3_y1to9_binary"`
}

// checkMoran compares a MoranStats with esda's fields; p-values named
// one_tailed are half the two-sided ones.
func checkMoran(m *maxErr, st *spatial.MoranStats, want map[string]float64, tol float64) {
	m.t.Helper()
	got := map[string]float64{
		"I": st.I, "EI": st.EI, "VI_norm": st.VINorm, "z_norm": st.ZNorm, "VI_rand": st.VIRand, "z_rand": st.ZRand,
		"p_norm_one_tailed": st.PNorm / 2, "p_norm_two_tailed": st.PNorm,
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			m.t.Fatalf("%s: no value for reference field %s", m.name, k)
		}
		m.check(k, g, v, tol)
	}
	m.rows = 1
}

func TestMoranSTL(t *testing.T) {
	var ref moranGlobalRef
	readJSON(t, "ew_esda_moran_global_expected.json", &ref)
	w := readNeighbors(t, "ew_libpysal_stl_queen_neighbors.csv")
	y := valuesByID(t, readCSV(t, "ew_libpysal_stl_hom.csv"), "id", "HR8893", w)
	st, err := spatial.Moran(y, w, spatial.RowStandardized)
	if err != nil {
		t.Fatal(err)
	}
	m := newMaxErr(t, "ew_esda_moran_global_expected.json stl (TEST+RUN)")
	checkMoran(m, st, ref.STL["expected_test"], rtol)
	checkMoran(m, st, ref.STL["reference_run"], rtol)
	m.check("docstring EI", st.EI, ref.STL["expected_docstring"]["EI"], rtol)
	m.report()
	if got := math.Round(st.PNorm*1e6) / 1e6; got != ref.STL["expected_docstring"]["p_norm_two_tailed_rounded6"] {
		t.Errorf("two-tailed p rounded to 6 decimals = %v, want %v", got, ref.STL["expected_docstring"]["p_norm_two_tailed_rounded6"])
	}
}

func TestMoranSIDS2(t *testing.T) {
	var ref moranGlobalRef
	readJSON(t, "ew_esda_moran_global_expected.json", &ref)
	// The GAL ids are FIPSNO.
	w := readNeighbors(t, "ew_libpysal_sids2_neighbors.csv")
	rows := readCSV(t, "ew_libpysal_sids2.csv")
	y := valuesByID(t, rows, "FIPSNO", "SIDR74", w)
	st, err := spatial.Moran(y, w, spatial.RowStandardized)
	if err != nil {
		t.Fatal(err)
	}
	m := newMaxErr(t, "ew_esda_moran_global_expected.json sids2 SIDR74 (TEST+RUN+DOC)")
	checkMoran(m, st, ref.SIDS["expected_test"], rtol)
	checkMoran(m, st, ref.SIDS["reference_run"], rtol)
	checkMoran(m, st, ref.SIDS["expected_docstring"], rtol)
	m.report()

	e := valuesByID(t, rows, "FIPSNO", "SID79", w)
	b := valuesByID(t, rows, "FIPSNO", "BIR79", w)
	rt, err := spatial.MoranRate(e, b, w, spatial.RowStandardized)
	if err != nil {
		t.Fatal(err)
	}
	mr := newMaxErr(t, "ew_esda_moran_global_expected.json sids2 Moran_Rate (TEST+RUN)")
	for _, k := range []string{"expected_test", "reference_run"} {
		want := ref.Rate[k].(map[string]any)
		mr.check(k+" I", rt.I, want["I"].(float64), rtol)
		mr.check(k+" p_norm_one_tailed", rt.PNorm/2, want["p_norm_one_tailed"].(float64), rtol)
	}
	mr.rows = 1
	mr.report()
}

func TestMoranLattice(t *testing.T) {
	var ref moranGlobalRef
	readJSON(t, "ew_esda_moran_global_expected.json", &ref)
	lat := ref.Lattice
	ids := make([]string, len(lat.Y))
	adj := map[string][]string{}
	for i := range ids {
		ids[i] = strconv.Itoa(i)
		for _, j := range lat.Neighbors[ids[i]] {
			adj[ids[i]] = append(adj[ids[i]], strconv.Itoa(j))
		}
	}
	w, err := spatial.NewWeights(ids, adj)
	if err != nil {
		t.Fatal(err)
	}
	st, err := spatial.Moran(lat.Y, w, spatial.Binary)
	if err != nil {
		t.Fatal(err)
	}
	m := newMaxErr(t, "ew_esda_moran_global_expected.json 3x3 lattice (TEST+RUN)")
	m.check("VI_rand", st.VIRand, lat.Test["VI_rand"], rtol)
	m.check("VI_norm", st.VINorm, lat.Test["VI_norm"], rtol)
	m.check("I", st.I, lat.Run["I"], rtol)
	m.check("EI", st.EI, lat.Run["EI"], rtol)
	m.check("z_norm", st.ZNorm, lat.Run["z_norm"], rtol)
	m.rows = 1
	m.report()
}

func TestMoranErrors(t *testing.T) {
	w, err := spatial.NewWeights([]string{"a", "b", "c", "d"}, map[string][]string{"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spatial.Moran([]float64{2, 2, 2, 2}, w, spatial.RowStandardized); err == nil {
		t.Error("constant values: no error")
	}
	if _, err := spatial.LocalMoran([]float64{2, 2, 2, 2}, w, spatial.RowStandardized); err == nil {
		t.Error("local, constant values: no error")
	}
	if _, err := spatial.Moran([]float64{1, 2, 3}, w, spatial.RowStandardized); err == nil {
		t.Error("wrong length: no error")
	}
	if _, err := spatial.MoranRate([]float64{1, 2, 3, 4}, []float64{10, 0, 10, 10}, w, spatial.RowStandardized); err == nil {
		t.Error("zero population: no error")
	}
}
