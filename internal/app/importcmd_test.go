package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/schemas"
)

const importTestMapping = `
timezone: America/New_York
regions: regions.csv
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
  category:
    column: TYPE
    map: {Housing: property}
    default: other
region:
  - {column: AREA}
`

const importTestRegions = `code,name,level,parent_code,population
C,City,2,,100
C-A,Area A,3,C,100
`

// importDir writes the test mapping, its regions and a CSV of rows (after
// the header) and returns the mapping and CSV paths.
func importDir(t *testing.T, rows []string) (mapping, csv string) {
	t.Helper()
	dir := t.TempDir()
	mapping = filepath.Join(dir, "m.yaml")
	csv = filepath.Join(dir, "in.csv")
	for name, body := range map[string]string{
		mapping:                           importTestMapping,
		filepath.Join(dir, "regions.csv"): importTestRegions,
		csv:                               "KEY,OPENDATE,TYPE,AREA\n" + strings.Join(rows, "\n") + "\n",
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return mapping, csv
}

func runImport(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCommand(t, append([]string{"import"}, args...)...)
}

func runCommand(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = app.MainContext(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestImportExitsOneWhenEveryRowIsRejected(t *testing.T) {
	m, in := importDir(t, []string{"a,2020-13-01,Housing,C-A", "b,2020-01-01,Housing,NOWHERE", "c,2020-01-02,Housing,NOWHERE"})
	code, stdout, stderr := runImport(t, "--mapping", m, "--out", filepath.Join(t.TempDir(), "out.jsonl"), in)
	if code != 1 {
		t.Errorf("exit %d, want 1 (every row rejected)\n%s%s", code, stdout, stderr)
	}
	wantLine := in + `:2: rejected: column OPENDATE: "2020-13-01" does not match 2006-01-02`
	if strings.Count(stderr, wantLine+"\n") != 1 {
		t.Errorf("stderr lacks %q once:\n%s", wantLine, stderr)
	}
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if strings.Count(l, in) > 1 {
			t.Errorf("the path twice: %q", l)
		}
	}
	for _, want := range []string{
		"rejected: 3 of 3 rows (100.00 %)",
		"no_region ", "bad_date(OPENDATE) ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "3 of 3 rows rejected (100.00 %), more than --max-reject-rate 1%") {
		t.Errorf("stderr lacks the reason for exit 1:\n%s", stderr)
	}
}

func TestImportMaxRejectRate(t *testing.T) {
	rows := make([]string, 0, 200)
	for i := 0; i < 199; i++ {
		rows = append(rows, fmt.Sprintf("k%d,2020-01-01,Housing,C-A", i))
	}
	rows = append(rows, "bad,2020-01-01,Housing,NOWHERE") // 1 of 200: 0.5 %
	m, in := importDir(t, rows)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	for _, c := range []struct {
		rate string
		want int
	}{{"", 0}, {"1%", 0}, {"0.5", 0}, {"0.4", 1}, {"0", 1}} {
		args := []string{"--mapping", m, "--out", out}
		if c.rate != "" {
			args = append(args, "--max-reject-rate", c.rate)
		}
		code, stdout, stderr := runImport(t, append(args, in)...)
		if code != c.want {
			t.Errorf("--max-reject-rate %q: exit %d, want %d\n%s%s", c.rate, code, c.want, stdout, stderr)
		}
	}
	if code, _, stderr := runImport(t, "--mapping", m, "--out", out, "--max-reject-rate", "lots", in); code != 2 ||
		!strings.Contains(stderr, "--max-reject-rate") {
		t.Errorf("bad rate: exit %d, %s", code, stderr)
	}
}

func TestImportReportsUnmappedValues(t *testing.T) {
	rows := []string{"a,2020-01-01,Housing,C-A"}
	for i := 0; i < 21; i++ {
		rows = append(rows, fmt.Sprintf("s%d,2020-01-01,SMALL BUSINESS,C-A", i))
	}
	m, in := importDir(t, rows)
	code, stdout, stderr := runImport(t, "--mapping", m, "--out", filepath.Join(t.TempDir(), "out.jsonl"), in)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := `unmapped: 21 rows: column TYPE "SMALL BUSINESS" is not in the category value map → other`
	if !strings.Contains(stdout, want+"\n") {
		t.Errorf("stdout lacks %q:\n%s", want, stdout)
	}
}

func TestImportUsesTheConfiguredTaxonomy(t *testing.T) {
	t.Cleanup(func() { schemas.SetTaxonomy(nil); schemas.SetZone(nil) })
	dir := t.TempDir()
	cats := filepath.Join(dir, "categories.csv")
	cfg := filepath.Join(dir, "rw.yaml")
	for name, body := range map[string]string{
		cats: "code,parent,name_zh,name_en,keywords\nurban,,城乡建设,,住房\nenv,,环境保护,,污染\nenv.noise,env,噪音污染,,噪音\nother,,其他,,\n",
		cfg:  "timezone: America/New_York\nregions:\n  categories: " + cats + "\n",
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, in := importDir(t, []string{"a,2020-01-01,Housing,C-A"})
	b, err := os.ReadFile(m)
	if err != nil {
		t.Fatal(err)
	}
	mb := strings.Replace(string(b), "map: {Housing: property}", "map: {Housing: env.noise}", 1)
	if err := os.WriteFile(m, []byte(mb), 0o644); err != nil {
		t.Fatal(err)
	}
	// The built-in taxonomy has no env.noise.
	if code, _, stderr := runImport(t, "--mapping", m, "--out", filepath.Join(dir, "o.jsonl"), in); code != 2 ||
		!strings.Contains(stderr, `"env.noise" is not a taxonomy code`) {
		t.Fatalf("without the categories file: exit %d %s", code, stderr)
	}
	out := filepath.Join(dir, "out.jsonl")
	if code, stdout, stderr := runImport(t, "--mapping", m, "--config", cfg, "--out", out, in); code != 0 {
		t.Fatalf("with the categories file: exit %d %s%s", code, stdout, stderr)
	}
	rec, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(rec), `"category":"env.noise"`) {
		t.Errorf("record %s %v", rec, err)
	}
	if schemas.Zone().String() != "America/New_York" || len(schemas.Taxonomy) != 4 {
		t.Errorf("zone %s, %d categories in force", schemas.Zone(), len(schemas.Taxonomy))
	}
}

func TestImportListsAtMostTwentyUnmappedValues(t *testing.T) {
	var rows []string
	for i := 0; i < 25; i++ {
		rows = append(rows, fmt.Sprintf("k%d,2020-01-01,TYPE %02d,C-A", i, i))
	}
	m, in := importDir(t, rows)
	code, stdout, stderr := runImport(t, "--mapping", m, "--out", filepath.Join(t.TempDir(), "out.jsonl"), in)
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if n := strings.Count(stdout, "is not in the category value map"); n != 20 || !strings.Contains(stdout, "unmapped: 5 more values not listed\n") {
		t.Errorf("%d values listed:\n%s", n, stdout)
	}
}
