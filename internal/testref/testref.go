// Package testref reads the shared reference vectors (../shared/reference)
// for the statistics packages' tests and compares numbers against them. A
// missing file skips the test, or fails it under CI=true.
package testref

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Dir is where the shared reference vectors live relative to a package two
// levels below the repository root; CI checks shared/ out beside the repository.
var Dir = "../../../shared/reference"

// Path returns the path of a reference file. When the file is missing
// the test is skipped with a message, or fails under CI=true.
func Path(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(Dir, name)
	if _, err := os.Stat(p); err != nil {
		msg := "reference file " + p + " is missing (shared/ must sit beside the repository): " + err.Error()
		if strings.EqualFold(strings.TrimSpace(os.Getenv("CI")), "true") {
			t.Fatalf("%s; CI=true requires it, so this is a failure, not a skip", msg)
		}
		t.Skip(msg)
	}
	return p
}

// ReadCSV returns the header and the rows of a reference CSV file.
func ReadCSV(t *testing.T, name string) ([]string, []map[string]string) {
	t.Helper()
	f, err := os.Open(Path(t, name))
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
	return recs[0], rows
}

func ReadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func Num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// PrintedHalfULP returns half a unit in the last printed digit of s, the
// rounding error the reference file itself carries ("2.978034" → 5e-7,
// "5.3e-05" → 5e-7, "1.0" → 0.05).
func PrintedHalfULP(s string) float64 {
	s = strings.TrimSpace(strings.TrimPrefix(s, "-"))
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, _ = strconv.Atoi(s[i+1:])
		s = s[:i]
	}
	dec := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		dec = len(s) - i - 1
	}
	return 0.5 * math.Pow(10, float64(exp-dec))
}

// Tracker compares values with the reference: a value matches when it is
// within 1e-6 relative of the reference or within the reference's own
// printed rounding, whichever is looser. It records the largest relative
// error for the log.
type Tracker struct {
	t      *testing.T
	name   string
	n      int
	maxRel float64
	// maxUsed is the largest |diff|/tolerance: ≤ 1 means every value
	// matched, and how close to the tolerance the worst one came.
	maxUsed float64
}

func NewTracker(t *testing.T, name string) *Tracker { return &Tracker{t: t, name: name} }

func (k *Tracker) Check(what string, got float64, wantStr string) {
	k.t.Helper()
	want := Num(k.t, wantStr)
	k.CheckTol(what, got, want, math.Max(1e-6*math.Abs(want), PrintedHalfULP(wantStr)*(1+1e-9)))
}

func (k *Tracker) CheckTol(what string, got, want, tol float64) {
	k.t.Helper()
	k.n++
	diff := math.Abs(got - want)
	if want != 0 {
		k.maxRel = math.Max(k.maxRel, diff/math.Abs(want))
	} else {
		k.maxRel = math.Max(k.maxRel, diff)
	}
	if tol > 0 {
		k.maxUsed = math.Max(k.maxUsed, diff/tol)
	} else if diff > 0 {
		k.maxUsed = math.Inf(1)
	}
	if !(diff <= tol) {
		k.t.Errorf("%s: %s = %.12g, reference %.12g (|diff| %.3g > tol %.3g)", k.name, what, got, want, diff, tol)
	}
}

func (k *Tracker) Done(rows int) {
	k.t.Helper()
	k.t.Logf("%s: %d rows, %d values, max relative error %.3g, worst |diff| = %.3g × its tolerance", k.name, rows, k.n, k.maxRel, k.maxUsed)
}
