package statcli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The reference vectors live in the shared directory beside the repository
// (X/main and X/shared); SOURCES.md there says where each number came from.
const refDirRel = "../../../shared/reference"

// refPath returns the absolute path of a reference file, skipping the test
// when the shared directory is absent, unless CI=true, where its absence
// fails.
func refPath(t *testing.T, name string) string {
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

// readRefCSV reads a reference CSV file as records, header first.
func readRefCSV(t *testing.T, name string) [][]string {
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
	return recs
}

// readRefJSON decodes a reference JSON file into v.
func readRefJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(refPath(t, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// refColumn returns the named column of reference records.
func refColumn(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	for j, h := range recs[0] {
		if h == name {
			out := make([]string, len(recs)-1)
			for i, r := range recs[1:] {
				out[i] = r[j]
			}
			return out
		}
	}
	t.Fatalf("reference column %q missing", name)
	return nil
}

// inTempDir makes a temporary directory the working directory, writes the
// files (name → content) there, and returns the directory. Tests use
// relative file names so that error messages can be compared in full.
func inTempDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// run calls Main and returns its exit code, stdout and stderr.
func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustRun calls Main and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := run(args...)
	if code != ExitOK {
		t.Fatalf("riskwatch stat %s: exit %d, stderr:\n%s", strings.Join(args, " "), code, errs)
	}
	if errs != "" {
		t.Errorf("riskwatch stat %s: unexpected stderr:\n%s", strings.Join(args, " "), errs)
	}
	return out
}

// parseOutput parses Main's CSV output, checks the header and returns the
// data rows.
func parseOutput(t *testing.T, out string, header ...string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, out)
	}
	if len(recs) == 0 {
		t.Fatal("empty output")
	}
	if got, want := strings.Join(recs[0], ","), strings.Join(header, ","); got != want {
		t.Fatalf("output header %q, want %q", got, want)
	}
	return recs[1:]
}

// num parses a number printed by Main; the empty cell is NaN.
func num(t *testing.T, s string) float64 {
	t.Helper()
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return v
}

// close reports whether got is within relative tolerance rel (absolute for
// |want| < 1) of want; two NaN are equal.
func closeTo(got, want, rel float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

func TestUsage(t *testing.T) {
	commandLines := []string{
		"riskwatch stat detect --method METHOD [flags] FILE.csv",
		"riskwatch stat gistar --values FILE.csv --value-column COL --neighbors FILE.csv [flags]",
		"riskwatch stat mann-kendall --column COL FILE.csv",
		"riskwatch stat eb --cases COL --population COL [flags] FILE.csv",
	}
	for _, tc := range []struct {
		args     []string
		code     int
		toStdout bool
		want     []string
	}{
		{nil, ExitUsage, false, commandLines},
		{[]string{"--help"}, ExitOK, true, commandLines},
		{[]string{"-h"}, ExitOK, true, commandLines},
		{[]string{"help"}, ExitOK, true, commandLines},
		{[]string{"detect", "--help"}, ExitOK, true, []string{commandLines[0], "--range-start T", "ears-c1, ears-c2, ears-c3"}},
		{[]string{"gistar", "--method", "x", "-h"}, ExitOK, true, []string{commandLines[1], "one-sided P(Z > |z|)"}},
		{[]string{"mann-kendall", "--help"}, ExitOK, true, []string{commandLines[2]}},
		{[]string{"eb", "--help"}, ExitOK, true, []string{commandLines[3], "--per N", "default 1: the rate per\n                       resident"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			text, other := errs, out
			if tc.toStdout {
				text, other = out, errs
			}
			if other != "" {
				t.Errorf("unexpected output on the other stream:\n%s", other)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("usage lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteFailureExitsOne(t *testing.T) {
	inTempDir(t, map[string]string{"x.csv": "v\n1\n2\n3\n"})
	var errb bytes.Buffer
	code := Main([]string{"mann-kendall", "--column", "v", "x.csv"}, failWriter{}, &errb)
	if code != ExitFailure {
		t.Errorf("exit %d, want %d", code, ExitFailure)
	}
	if want := "riskwatch stat mann-kendall: cannot write the output: disk full\n"; errb.String() != want {
		t.Errorf("stderr %q, want %q", errb.String(), want)
	}
}

func TestFormatNumber(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "0"},
		{4, "4"},
		{-1959, "-1959"},
		{4889800.333333333, "4889800.333333333"},
		{0.1, "0.1"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{1e15, "1000000000000000"},
		{1e16, "1e+16"},
		{1e99, "1e+99"},
		{2.0 / 3, "0.6666666666666666"},
		{math.NaN(), ""},
		{math.Inf(1), "Inf"},
		{math.Inf(-1), "-Inf"},
	} {
		if got := formatNumber(tc.v); got != tc.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
	// Every finite value reads back exactly.
	for _, v := range []float64{math.Pi, 1 / 3.0, 1e-300, 5e-324, math.MaxFloat64, 0.1 + 0.2, 123456789.123456789, 9007199254740993} {
		got, err := strconv.ParseFloat(formatNumber(v), 64)
		if err != nil || got != v {
			t.Errorf("formatNumber(%v) = %q reads back as %v (%v)", v, formatNumber(v), got, err)
		}
	}
}

func TestFlagsAfterFile(t *testing.T) {
	inTempDir(t, map[string]string{"x.csv": "v\n1\n2\n3\n4\n5\n"})
	a := mustRun(t, "mann-kendall", "--column", "v", "x.csv")
	b := mustRun(t, "mann-kendall", "x.csv", "--column", "v")
	c := mustRun(t, "mann-kendall", "--column", "v", "--", "x.csv")
	if a != b || a != c {
		t.Errorf("flag order changes the output:\n%s\n%s\n%s", a, b, c)
	}
}
