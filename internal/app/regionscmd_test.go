package app_test

import (
	"fmt"
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

// TestRegionsBuildReportsStraddlingUnits: units under two parent squares A
// (lon 0–2) and B (lon 2–4). U1 lies in A; U2 has 80 % of its area in A
// and 20 % in B, and 9 of its 10 records in A; U3 has 2 % in B (under the
// 5 % threshold); U4 has no polygon and 7 of its 10 records in B. Each
// unit goes under the parent with most of its area (U4: of its records),
// and populations sum upwards.
func TestRegionsBuildReportsStraddlingUnits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rect := func(x0, y0, x1, y1 float64) string {
		return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
	}
	parents := write("parents.csv", "code,name,level,parent_code,population\nROOT,City,2,,\nA,Area A,3,ROOT,\nB,Area B,3,ROOT,\n")
	parentGeo := write("parents.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"id":"A"},"geometry":`+rect(0, 0, 2, 2)+`},
{"type":"Feature","properties":{"id":"B"},"geometry":{"type":"MultiPolygon","coordinates":[[[[2,0],[4,0],[4,2],[2,2],[2,0]]]]}}]}`)
	units := write("units.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"zip":1,"name":"One"},"geometry":`+rect(0.5, 0.5, 1.5, 1.5)+`},
{"type":"Feature","properties":{"zip":2,"name":"Two"},"geometry":`+rect(1.2, 0, 2.2, 1)+`},
{"type":"Feature","properties":{"zip":3,"name":"Three"},"geometry":`+rect(1.0, 1.2, 2.02, 1.4)+`},
{"type":"Feature","properties":{"zip":4,"name":"Four"},"geometry":null}]}`)
	recs := "id,zip,lat,lon\n"
	add := func(zip string, n int, lon float64) {
		for i := 0; i < n; i++ {
			recs += fmt.Sprintf("r,%s,1.0,%g\n", zip, lon)
		}
	}
	add("1", 2, 1)
	add("1", 1, 10) // in no parent
	add("2", 9, 1.5)
	add("2", 1, 2.1)
	add("4", 3, 0.5)
	add("4", 7, 3)
	recs += "r,4,,\n" // no coordinates: skipped
	records := write("records.csv", recs)
	pop := write("pop.csv", "zip,population\n1,10\n2,20\n3,30\n4,40\n")
	out := filepath.Join(dir, "regions.csv")
	code, stdout, stderr := runCommand(t, "regions", "build", "--geojson", units, "--code-field", "zip", "--name-field", "name",
		"--code-format", "U{}", "--parents", parents, "--parent-geojson", parentGeo, "--parent-code-field", "id",
		"--records", records, "--records-code", "zip", "--records-lat", "lat", "--records-lon", "lon",
		"--population", pop, "--population-key", "zip", "--sum-population", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	want := "records: 23 with coordinates placed in the parents\n" +
		"straddles: unit U2 (Two) by area: A 80.0 %, B 20.0 %\n" +
		"straddles: unit U2 (Two) by records: A 9 (90.0 %), B 1 (10.0 %)\n" +
		"straddles: unit U4 (Four) by records: B 7 (70.0 %), A 3 (30.0 %)\n" +
		"straddling units (a second parent with at least 5 %): 1 by area, 2 by records\n" +
		"population: 4 of 4 rows joined, 0 units without population\n" +
		"7 regions written to " + out + "\n"
	if stdout != want {
		t.Errorf("report\n%s\nwant\n%s", stdout, want)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "code,name,level,parent_code,population,short_name\n" +
		"ROOT,City,2,,100,\n" +
		"A,Area A,3,ROOT,60,\n" +
		"U1,One,4,A,10,\n" +
		"U2,Two,4,A,20,\n" +
		"U3,Three,4,A,30,\n" +
		"B,Area B,3,ROOT,40,\n" +
		"U4,Four,4,B,40,\n"
	if string(b) != wantCSV {
		t.Errorf("regions CSV\n%s\nwant\n%s", b, wantCSV)
	}
	// A lower threshold reports U3's 2 % too.
	_, stdout, _ = runCommand(t, "regions", "build", "--geojson", units, "--code-field", "zip", "--name-field", "name",
		"--code-format", "U{}", "--parents", parents, "--parent-geojson", parentGeo, "--parent-code-field", "id", "--straddle-min", "1", "--out", out)
	if !strings.Contains(stdout, "straddles: unit U3 (Three) by area: A 98.0 %, B 2.0 %\n") {
		t.Errorf("with --straddle-min 1 the report lacks U3:\n%s", stdout)
	}
}
