package importer

import (
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/mappings"
)

// minimal is a valid mapping; the error cases below change one thing.
const minimal = `
format: csv
timezone: America/New_York
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
  summary: {template: "{TYPE}: {DESC}"}
region:
  - {column: ZIP, normalize: zip5, code: "NYC-ZIP-{value}"}
`

func TestLoadMappingMinimal(t *testing.T) {
	m, err := LoadMapping(strings.NewReader(minimal), "minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "minimal.yaml" || m.Format() != FormatCSV {
		t.Errorf("name %q format %q", m.Name(), m.Format())
	}
	want := []string{"KEY", "OPENDATE", "TYPE", "DESC", "ZIP"}
	if got := m.Columns(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("columns %v, want %v", got, want)
	}
}

func TestLoadMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown key names its path", strings.Replace(minimal, `summary: {template:`, `summary: {from: X, template:`, 1),
			"mapping m.yaml: fields.summary.from: unknown key (line 8)"},
		{"unknown top-level key", minimal + "colums: {}\n", "colums: unknown key"},
		{"unknown field name", strings.Replace(minimal, "summary:", "sumary:", 1), "fields.sumary: unknown key"},
		{"unknown key in a list entry", minimal + "  - {column: BOARD, patern: x}\n", "region[1].patern: unknown key"},
		{"unknown key in a rule condition", strings.Replace(minimal, `status: {constant: accepted}`,
			"status: {constant: accepted}\n  category:\n    rules:\n      - when: {TYPE: {equal: [x]}}\n        value: other", 1),
			"fields.category.rules[0].when.TYPE.equal: unknown key"},
		{"duplicate key", strings.Replace(minimal, "  case_id: {column: KEY}\n", "  case_id: {column: KEY}\n  case_id: {column: ID}\n", 1),
			"fields.case_id: duplicate key (lines 5 and 6)"},
		{"wrong type", minimal + "csv: {header: maybe}\n", `csv.header: "maybe" is not true or false`},
		{"mapping instead of list", strings.Replace(minimal, "region:\n  - {column: ZIP, normalize: zip5, code: \"NYC-ZIP-{value}\"}", "region: {column: ZIP}", 1),
			"region: want a list"},
		{"required field", strings.Replace(minimal, "  case_id: {column: KEY}\n", "", 1), "fields.case_id: required"},
		{"no region", strings.Split(minimal, "region:")[0], "region: required"},
		{"bad format", strings.Replace(minimal, "format: csv", "format: xlsx", 1), `format: "xlsx" is not csv or jsonl`},
		{"bad time zone", strings.Replace(minimal, "America/New_York", "Mars/Olympus_Mons", 1), `timezone: "Mars/Olympus_Mons" is not an IANA time zone`},
		{"bad layout", strings.Replace(minimal, "format: date}", "format: yyyy-mm-dd}", 1), `fields.reported_at.format[0]: "yyyy-mm-dd" is neither a layout name`},
		{"format on a text field", strings.Replace(minimal, `{template: "{TYPE}: {DESC}"}`, `{column: TYPE, format: date}`, 1),
			"fields.summary: format and timezone are only for date fields"},
		{"status not in the enum", strings.Replace(minimal, "{constant: accepted}", "{column: S, map: {Closed: closd}}", 1),
			`fields.status.map.Closed: "closd" is not a status (accepted, routed, handling, resolved, failed, closed)`},
		{"category not in the taxonomy", minimal + "", ""}, // replaced below
		{"two sources", strings.Replace(minimal, "{column: KEY}", "{column: KEY, constant: x}", 1),
			"fields.case_id: give only one of column, constant and template"},
		{"bad versions", minimal + "versions: both\n", `versions: "both" is not final or open_close`},
		{"bad source", minimal + "source: fax\n", `source: "fax" is not one of platform, fengqiao_board, hotline, grid, import`},
		{"code with an unknown group", minimal + "  - {column: BOARD, pattern: '^(?P<n>[0-9]+)$', code: 'X-{boro}'}\n",
			"region[1].code: {boro}: neither {value} nor a named group of the pattern"},
		{"bad pattern", minimal + "  - {column: BOARD, pattern: '(', code: 'X'}\n", "region[1].pattern: error parsing regexp"},
		{"bad normalizer", minimal + "  - {column: BOARD, normalize: title}\n", `region[1].normalize: "title" is not upper, lower or zip5`},
		{"zip map key", minimal + "  - {column: Z2, normalize: zip5, map: {abc: NYC}}\n", "region[1].map.abc: the key is not a valid zip5 value"},
		{"csv options with jsonl", minimal + "csv: {delimiter: ';'}\n" + "", ""}, // replaced below
		{"empty file", "  \n", "mapping m.yaml: empty file"},
		{"not YAML", "fields: [\n", "invalid YAML"},
	} {
		switch tc.name {
		case "category not in the taxonomy":
			tc.yaml = strings.Replace(minimal, "status: {constant: accepted}", "status: {constant: accepted}\n  category: {column: TYPE, map: {Housing: housing}, default: other}", 1)
			tc.want = `fields.category.map.Housing: "housing" is not a taxonomy code`
		case "csv options with jsonl":
			tc.yaml = strings.Replace(minimal, "format: csv", "format: jsonl", 1) + "csv: {delimiter: ';'}\n"
			tc.want = "csv: only for format csv"
		}
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadMapping(strings.NewReader(tc.yaml), "m.yaml")
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestShippedMappings loads the mappings and the region file of the
// repository's mappings directory, as embedded in the binary.
func TestShippedMappings(t *testing.T) {
	for _, name := range []string{"nyc_council.yaml", "nyc311.yaml"} {
		m, reg, err := Open(mappings.FS, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.RegionsFile() != "nyc_regions.csv" {
			t.Errorf("%s: regions %q", name, m.RegionsFile())
		}
		// Built by regions build (TestNYCRegionsBuilt): 1 city, 5
		// boroughs, 59 community districts, 214 ZIPs (those the modified
		// ZIP code tabulation areas list, without the placeholder 99999).
		if reg.Len() != 279 {
			t.Errorf("%s: %d regions, want 279", name, reg.Len())
		}
		for lv, want := range map[int]int{2: 1, 3: 5, 4: 59, 5: 214} {
			if got := len(reg.AtLevel(levelOf(lv))); got != want {
				t.Errorf("level %d: %d units, want %d", lv, got, want)
			}
		}
		// The sum of the ZIP table's populations of those 214 ZIPs
		// (computed in Python over zcta.geojson and the ZIP table).
		root := reg.Root()
		if root.Code != "NYC" || root.Population != 8684974 {
			t.Errorf("root %s population %d, want NYC 8684974", root.Code, root.Population)
		}
		// 11207 (East New York) lies in Brooklyn Community District 5;
		// its population is the ZIP table's.
		z, _ := reg.Lookup("NYC-ZIP-11207")
		if z.Population != 96801 || z.Parent != "NYC-CD305" {
			t.Errorf("NYC-ZIP-11207 = %+v", z)
		}
		// 10454 (Mott Haven) lies in Bronx Community District 1.
		if z, _ := reg.Lookup("NYC-ZIP-10454"); z.Parent != "NYC-CD201" {
			t.Errorf("NYC-ZIP-10454 parent %s, want NYC-CD201", z.Parent)
		}
		// Every district with ZIPs has their sum; the boroughs the sum of
		// their districts.
		for _, lv := range []int{3, 4} {
			for _, r := range reg.AtLevel(levelOf(lv)) {
				var sum int64
				kids := reg.Children(r.Code)
				for _, c := range kids {
					sum += c.Population
				}
				if len(kids) > 0 && sum != r.Population {
					t.Errorf("%s population %d, its children's sum %d", r.Code, r.Population, sum)
				}
			}
		}
	}
}

func levelOf(n int) schemas.Level { return schemas.Level(n) }

// TestLoadMappingAliases checks that YAML anchors work, so that a long map
// can be written once and used by two candidates.
func TestLoadMappingAliases(t *testing.T) {
	m := mustLoad(t, minimal+`  - {column: BOROUGH, normalize: upper, map: &boroughs {MANHATTAN: NYC-MN, BROOKLYN: NYC-BK}}
  - {column: CITY, normalize: upper, map: *boroughs}
`)
	recs, st := convert(t, m, "KEY,OPENDATE,TYPE,DESC,ZIP,BOROUGH,CITY\na,2020-01-01,,,,,Brooklyn\n")
	if len(recs) != 1 || recs[0].RegionCode != "NYC-BK" || st.ByRegionColumn["CITY"] != 1 {
		t.Fatalf("records %+v, stats %+v", recs, st)
	}
}
