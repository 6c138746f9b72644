package importer

// The NYC data files the tests read. sources/mappings/nyc_regions.csv is
// built by `riskwatch regions build` from NYC boundary files
// (TestNYCRegionsBuilt in internal/app checks it; make nyc-regions rebuilds
// it).

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedData returns the shared data directory (RISKWATCH_SHARED_DATA, or
// ../shared/data beside the repository). When it is missing the test is
// skipped, or fails under CI=true, where the real data is required.
func sharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("RISKWATCH_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "complaints", "nyc_council_constituent_services")); err != nil {
		msg := fmt.Sprintf("no shared data at %s (set RISKWATCH_SHARED_DATA): %v", dir, err)
		switch strings.ToLower(os.Getenv("CI")) {
		case "true", "1", "yes":
			t.Fatalf("%s; CI=true requires the real data, so this is a failure, not a skip", msg)
		}
		t.Skip(msg)
	}
	return dir
}

// councilFiles are the four council years, with the row counts that
// shared/data/SOURCES.md states.
var councilFiles = []struct {
	year int
	rows int
}{{2019, 39356}, {2020, 24482}, {2021, 18820}, {2022, 29861}}

func councilPath(data string, year int) string {
	return filepath.Join(data, "complaints", "nyc_council_constituent_services",
		fmt.Sprintf("nyc_council_constituent_services_%d.csv", year))
}

func nyc311Path(data string) string {
	return filepath.Join(data, "complaints", "nyc311_2024-09-01", "nyc311_service_requests_2024-09-01.csv")
}
