package alarm

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// The reference vectors live in the shared directory beside the repository
// (X/main and X/shared); SOURCES.md there says where each number came from.
const refDirRel = "../../../shared/reference"

// refPath returns the path of a reference file, skipping the test when the
// shared directory is absent, unless CI=true, where its absence fails.
func refPath(t testing.TB, name string) string {
	t.Helper()
	dir, err := filepath.Abs(refDirRel)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference directory %s is missing (CI=true): %v", dir, err)
		}
		t.Skipf("reference directory %s is missing; skipping (set CI=true to fail instead)", dir)
	}
	return filepath.Join(dir, name)
}

// refTable is a CSV reference file: column name → values per row; empty
// cells and "NA" become NaN.
type refTable struct {
	cols map[string][]float64
	rows int
}

func readRef(t testing.TB, name string) refTable {
	t.Helper()
	f, err := os.Open(refPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s: no data rows", name)
	}
	tab := refTable{cols: map[string][]float64{}, rows: len(recs) - 1}
	for j, h := range recs[0] {
		vals := make([]float64, 0, len(recs)-1)
		for _, r := range recs[1:] {
			s := r[j]
			if s == "" || s == "NA" {
				vals = append(vals, math.NaN())
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				// Non-numeric columns (dates) are not compared.
				vals = nil
				break
			}
			vals = append(vals, v)
		}
		if vals != nil {
			tab.cols[h] = vals
		}
	}
	return tab
}

func (tab refTable) col(t testing.TB, name string) []float64 {
	t.Helper()
	c, ok := tab.cols[name]
	if !ok {
		t.Fatalf("reference column %q missing", name)
	}
	return c
}

// relErr is |got − want| / max(|want|, 1e-300); equal values (including two
// zeros) give 0.
func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

// compareStats accumulates a per-file comparison summary.
type compareStats struct {
	rows   int
	maxRel float64
}

// checkValue compares one value: NaN in the reference means undefined.
func (c *compareStats) checkValue(t testing.TB, what string, tt int, got, want, tol float64) {
	t.Helper()
	switch {
	case math.IsNaN(want) != math.IsNaN(got):
		t.Errorf("%s t=%d: got %v, want %v (defined ↔ undefined)", what, tt, got, want)
	case math.IsNaN(want):
	default:
		e := relErr(got, want)
		// Values that are printed with 10 significant digits in the file
		// and are exactly zero in R may come out as ±1e-17 here.
		if math.Abs(want) < 1e-9 {
			e = math.Abs(got - want)
		}
		if e > c.maxRel {
			c.maxRel = e
		}
		if e > tol {
			t.Errorf("%s t=%d: got %.12g, want %.12g (rel. error %.3g > %.0e)", what, tt, got, want, e, tol)
		}
	}
}

func checkAlarm(t testing.TB, what string, tt int, got bool, want float64) {
	t.Helper()
	w := want == 1
	if math.IsNaN(want) {
		w = false
	}
	if got != w {
		t.Errorf("%s t=%d: alarm %v, want %v", what, tt, got, want)
	}
}

// agona returns the S. Agona series (312 weeks).
func agona(t testing.TB) []float64 {
	t.Helper()
	tab := readRef(t, "ew_surveillance_salmonella_agona.csv")
	return tab.col(t, "observed")
}
