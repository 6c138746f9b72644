package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegionsExportThenCheck(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tongliao.csv")
	if code, _, stderr := runCommand(t, "regions", "export", "--out", out); code != 0 {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "code,name,level,parent_code,population,short_name\n150500000000,通辽市,") {
		t.Errorf("export starts %q", string(b[:min(len(b), 120)]))
	}
	code, stdout, stderr := runCommand(t, "regions", "check", out)
	if code != 0 || !strings.Contains(stdout, "regions, root 150500000000, 0 warnings") {
		t.Errorf("check of the export: exit %d\n%s%s", code, stdout, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("code,name,level,parent_code,population\nC,City,2,,\nA,Area,3,NOPE,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runCommand(t, "regions", "check", bad)
	if code != 1 || !strings.Contains(stdout, bad+":3: error: column parent_code: NOPE is not a code of the file") {
		t.Errorf("check of a bad file: exit %d\n%s", code, stdout)
	}
}
