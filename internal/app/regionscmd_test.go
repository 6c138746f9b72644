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

func TestRegionsBuildFromGeoJSON(t *testing.T) {
	dir := t.TempDir()
	geo := filepath.Join(dir, "cd.geojson")
	pop := filepath.Join(dir, "pop.csv")
	sq := `"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`
	if err := os.WriteFile(geo, []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"cd":101,"name":"Financial District","boro":"MN"},`+sq+`},
{"type":"Feature","properties":{"cd":102,"name":"Greenwich Village","boro":"MN"},`+sq+`},
{"type":"Feature","properties":{"cd":301,"name":"Williamsburg","boro":"BK"},`+sq+`}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pop, []byte("name,population\nFinancial District,60976\nGreenwhich Village,91638\nWilliamsburg,\"151,308\"\nAtlantis,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "regions.csv")
	code, stdout, stderr := runCommand(t, "regions", "build", "--geojson", geo, "--code-field", "cd", "--name-field", "name",
		"--parent-field", "boro", "--root-code", "NYC", "--root-name", "New York City", "--population", pop, "--join-on", "name", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`population line 3: name "Greenwhich Village" matches no unit (did you mean "greenwich village"?)`,
		`population line 5: name "Atlantis" matches no unit` + "\n",
		"population: 2 of 4 rows joined, 3 units without population",
		"6 regions written to " + out,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "code,name,level,parent_code,population,short_name\n" +
		"NYC,New York City,2,,,\n" +
		"BK,BK,3,NYC,,\n" +
		"301,Williamsburg,4,BK,151308,\n" +
		"MN,MN,3,NYC,,\n" +
		"101,Financial District,4,MN,60976,\n" +
		"102,Greenwich Village,4,MN,,\n"
	if string(b) != wantCSV {
		t.Errorf("regions CSV\n%s\nwant\n%s", b, wantCSV)
	}
	if code, stdout, _ := runCommand(t, "regions", "check", out); code != 0 {
		t.Errorf("the built file does not check: %s", stdout)
	}
}

func TestCategoriesExportThenCheck(t *testing.T) {
	code, stdout, stderr := runCommand(t, "categories", "export")
	if code != 0 || !strings.HasPrefix(stdout, "code,parent,name_zh,name_en,keywords\nneighbor,,邻里纠纷,") {
		t.Fatalf("export: exit %d %q %s", code, stdout[:min(len(stdout), 80)], stderr)
	}
	f := filepath.Join(t.TempDir(), "categories.csv")
	if err := os.WriteFile(f, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCommand(t, "categories", "check", f); code != 0 || !strings.Contains(stdout, ": 18 categories, 15 groups") {
		t.Errorf("check: exit %d %s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(f, []byte("code,parent,name_zh,name_en,keywords\nx,,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCommand(t, "categories", "check", f); code != 1 || !strings.Contains(stderr, "line 2: column name_zh: empty") {
		t.Errorf("check of a bad file: exit %d %s", code, stderr)
	}
}
