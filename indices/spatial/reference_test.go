package spatial_test

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

// sharedDir is ../shared relative to the repository root; CI checks shared/
// out beside the repository, at the same relative place.
const sharedDir = "../../../shared"

// rtol is the relative tolerance of every comparison with a reference value.
const rtol = 1e-6

// sharedPath returns the path of a file under shared/. When it is missing
// the test is skipped with a message, or fails under CI=true.
func sharedPath(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedDir, rel)
	if _, err := os.Stat(p); err != nil {
		msg := "shared file " + p + " is missing (shared/ must sit beside the repository): " + err.Error()
		if strings.EqualFold(strings.TrimSpace(os.Getenv("CI")), "true") {
			t.Fatalf("%s; CI=true requires it, so this is a failure, not a skip", msg)
		}
		t.Skip(msg)
	}
	return p
}

func refPath(t testing.TB, name string) string {
	t.Helper()
	return sharedPath(t, filepath.Join("reference", name))
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(refPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// readCSV returns the rows of a reference CSV as maps keyed by header.
func readCSV(t testing.TB, name string) []map[string]string {
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
	var rows []map[string]string
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return rows
}

// readNeighbors reads a reference neighbour file with the package's reader.
func readNeighbors(t testing.TB, name string) *spatial.Weights {
	t.Helper()
	f, err := os.Open(refPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := spatial.ReadNeighborsCSV(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// relErr is |got − want| / |want|, or |got| when want is zero.
func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

// maxErr tracks the largest relative error of one reference comparison and
// fails the test on any value off by more than the tolerance.
type maxErr struct {
	t    testing.TB
	name string
	rows int
	max  float64
}

func newMaxErr(t testing.TB, name string) *maxErr { return &maxErr{t: t, name: name} }

// check compares one value.
func (m *maxErr) check(what string, got, want, tol float64) {
	m.t.Helper()
	e := relErr(got, want)
	if math.IsNaN(got) || e > tol {
		m.t.Errorf("%s: %s = %.17g, want %.17g (relative error %.3g > %g)", m.name, what, got, want, e, tol)
	}
	if e > m.max {
		m.max = e
	}
}

// vec compares a vector row by row and counts the rows.
func (m *maxErr) vec(what string, got, want []float64, tol float64) {
	m.t.Helper()
	if len(got) != len(want) {
		m.t.Fatalf("%s: %s has %d rows, want %d", m.name, what, len(got), len(want))
	}
	for i := range want {
		m.check(what+"["+strconv.Itoa(i)+"]", got[i], want[i], tol)
	}
	m.rows = max(m.rows, len(want))
}

// report logs the comparison summary (go test -v shows it).
func (m *maxErr) report() {
	m.t.Helper()
	m.t.Logf("reference %s: %d rows, max relative error %.3g", m.name, m.rows, m.max)
}

// printed checks that every got value, rounded to the number of decimals
// want is printed with, equals want: the comparison for reference values
// that a test or docstring prints rounded.
func printed(t testing.TB, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		d := decimals(w)
		p := math.Pow(10, float64(d))
		if r := math.Round(got[i]*p) / p; relErr(r, w) > 1e-12 {
			t.Errorf("%s[%d] = %.17g rounds to %.*f, want %.*f", what, i, got[i], d, r, d, w)
		}
	}
}

// decimals returns the number of decimals w is written with.
func decimals(w float64) int {
	for d := 0; d < 17; d++ {
		p := math.Pow(10, float64(d))
		if relErr(math.Round(w*p)/p, w) < 1e-14 {
			return d
		}
	}
	return 17
}
