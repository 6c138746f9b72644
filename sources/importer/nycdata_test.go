package importer

// This file generates ../mappings/nyc_regions.csv from the real data and
// checks that the committed file is what the generator makes:
//
//	go test ./sources/importer -run TestNYCRegionsFile -update
//
// The rules are explained in sources/mappings/SOURCES.md.

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

var update = flag.Bool("update", false, "rewrite sources/mappings/nyc_regions.csv from the data in the shared data directory")

// mappingsDir is the repository's mappings directory, seen from this package.
var mappingsDir = filepath.Join("..", "mappings")

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

// nycBorough is one borough with the names the sources use for it.
type nycBorough struct {
	abbr, name, county, upper string
	boards                    int   // regular community boards 1..boards
	jia                       []int // joint interest areas (parks, airports)
}

var nycBoroughs = []nycBorough{
	{"MN", "Manhattan", "New York County", "MANHATTAN", 12, []int{64}},
	{"BX", "Bronx", "Bronx County", "BRONX", 12, []int{26, 27, 28}},
	{"BK", "Brooklyn", "Kings County", "BROOKLYN", 18, []int{55, 56}},
	{"QN", "Queens", "Queens County", "QUEENS", 14, []int{80, 81, 82, 83, 84}},
	{"SI", "Staten Island", "Richmond County", "STATEN ISLAND", 3, []int{95}},
}

// boardRE reads "05 Brooklyn", "5 BROOKLYN" (the council and 311 spellings).
var boardRE = regexp.MustCompile(`^0*([0-9]{1,2}) +(MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)$`)

// board is a parsed community board.
type board struct {
	borough int // index into nycBoroughs
	number  int
	regular bool
}

// parseBoard returns the board of a well-formed value: a number that is a
// regular board of the borough or one of its joint interest areas.
func parseBoard(s string) (board, bool) {
	m := boardRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return board{}, false
	}
	n, _ := strconv.Atoi(m[1])
	for i, b := range nycBoroughs {
		if b.upper != m[2] {
			continue
		}
		if n >= 1 && n <= b.boards {
			return board{i, n, true}, true
		}
		for _, j := range b.jia {
			if n == j {
				return board{i, n, false}, true
			}
		}
	}
	return board{}, false
}

func (b board) code() string {
	return fmt.Sprintf("NYC-%s-CB%02d", nycBoroughs[b.borough].abbr, b.number)
}

// readCSVFile calls fn for each row of a CSV file, as a column → value map.
func readCSVFile(t testing.TB, path string, fn func(row map[string]string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	header = append([]string(nil), header...)
	row := map[string]string{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i, h := range header {
			row[h] = rec[i]
		}
		fn(row)
	}
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

// buildNYCRegions makes the region file (see sources/mappings/SOURCES.md).
func buildNYCRegions(t testing.TB, data string) []byte {
	t.Helper()
	type zipInfo struct {
		borough int
		city    string
		pop     int64
		votes   map[int]int // regular board number of its borough → rows seen with it
	}
	zips := map[string]*zipInfo{}
	readCSVFile(t, filepath.Join(data, "complaints", "nyc_council_constituent_services", "nyc_ziptable_population.csv"), func(r map[string]string) {
		for i, b := range nycBoroughs {
			if r["County"] != b.county {
				continue
			}
			z := strings.TrimSpace(r["Zip Code"])
			pop, err := strconv.ParseInt(strings.TrimSpace(r["Population"]), 10, 64)
			if len(z) != 5 || !allDigits(z) || err != nil {
				t.Fatalf("ziptable: bad row %v", r)
			}
			zips[z] = &zipInfo{borough: i, city: strings.TrimSpace(r["City"]), pop: pop, votes: map[int]int{}}
		}
	})
	boards := map[board]bool{}
	see := func(zip, cb string) {
		b, ok := parseBoard(cb)
		if !ok {
			return
		}
		boards[b] = true
		if z, ok := zips[strings.TrimSpace(zip)]; ok && b.regular && b.borough == z.borough {
			z.votes[b.number]++
		}
	}
	for _, cf := range councilFiles {
		readCSVFile(t, councilPath(data, cf.year), func(r map[string]string) { see(r["ZIP"], r["COMMUNITY_BOARD"]) })
	}
	readCSVFile(t, nyc311Path(data), func(r map[string]string) { see(r["Incident Zip"], r["Community Board"]) })

	regs := []schemas.Region{{Code: "NYC", Name: "New York City", ShortName: "NYC", Level: schemas.LevelCity}}
	boroughPop := make([]int64, len(nycBoroughs))
	boardPop := map[string]int64{}
	var zipRegs []schemas.Region
	for z, info := range zips {
		b := nycBoroughs[info.borough]
		parent := "NYC-" + b.abbr + "-NOCB"
		best, bestN := 0, 0
		for n, c := range info.votes {
			if c > bestN || (c == bestN && n < best) {
				best, bestN = n, c
			}
		}
		if bestN > 0 {
			parent = board{info.borough, best, true}.code()
		}
		boroughPop[info.borough] += info.pop
		boardPop[parent] += info.pop
		zipRegs = append(zipRegs, schemas.Region{Code: "NYC-ZIP-" + z, Name: "ZIP " + z + " " + info.city, ShortName: z,
			Level: schemas.LevelVillage, Parent: parent, Population: info.pop, PopulationSource: schemas.PopulationCensus})
	}
	var total int64
	for i, b := range nycBoroughs {
		total += boroughPop[i]
		regs = append(regs, schemas.Region{Code: "NYC-" + b.abbr, Name: b.name, Level: schemas.LevelCounty, Parent: "NYC",
			Population: boroughPop[i], PopulationSource: schemas.PopulationCensus})
		if pop, ok := boardPop["NYC-"+b.abbr+"-NOCB"]; ok {
			regs = append(regs, schemas.Region{Code: "NYC-" + b.abbr + "-NOCB", Name: b.name + ": ZIPs not matched to a community board",
				ShortName: b.abbr + " no board", Level: schemas.LevelTown, Parent: "NYC-" + b.abbr, Population: pop, PopulationSource: schemas.PopulationCensus})
		}
	}
	regs[0].Population, regs[0].PopulationSource = total, schemas.PopulationCensus
	for bd := range boards {
		b := nycBoroughs[bd.borough]
		r := schemas.Region{Code: bd.code(), Level: schemas.LevelTown, Parent: "NYC-" + b.abbr,
			ShortName: fmt.Sprintf("%s %02d", b.abbr, bd.number)}
		if bd.regular {
			r.Name = fmt.Sprintf("%s Community Board %d", b.name, bd.number)
			r.Population, r.PopulationSource = boardPop[bd.code()], schemas.PopulationCensus
		} else {
			r.Name = fmt.Sprintf("%s joint interest area %d", b.name, bd.number)
		}
		regs = append(regs, r)
	}
	regs = append(regs, zipRegs...)
	reg, err := schemas.NewRegistry(regs)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := reg.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNYCRegionsFile checks that the committed region file is exactly what
// the generator makes from the data (or rewrites it with -update).
func TestNYCRegionsFile(t *testing.T) {
	data := sharedData(t)
	got := buildNYCRegions(t, data)
	path := filepath.Join(mappingsDir, "nyc_regions.csv")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(got))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what the generator makes from the data; run go test ./sources/importer -run TestNYCRegionsFile -update and review the diff", path)
	}
}
