package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/mappings"
)

// nycWant is what converting one whole real file must give. The numbers
// were computed independently of this package by testdata/nyc_recount.py
// (Python over the CSV files and sources/mappings/nyc_regions.csv, with the rules
// that sources/mappings/SOURCES.md states), and are listed there too.
type nycWant struct {
	rows, records int
	byReason      map[string]int
	byRegion      map[string]int
	noise         int // version-1 records in neighbor.noise
}

var nycWants = map[string]nycWant{
	"council 2019": {39356, 77498, map[string]int{"no_region": 167, "duplicate_case_id(UNIQUE_KEY)": 16},
		map[string]int{"ZIP": 33608, "COMMUNITY_BOARD": 29, "BOROUGH": 1303, "ACCOUNT": 4233}, 718},
	"council 2020": {24482, 47883, map[string]int{"no_region": 172, "duplicate_case_id(UNIQUE_KEY)": 2},
		map[string]int{"ZIP": 20349, "COMMUNITY_BOARD": 23, "BOROUGH": 446, "ACCOUNT": 3490}, 426},
	"council 2021": {18820, 36638, map[string]int{"no_region": 106, "duplicate_case_id(UNIQUE_KEY)": 2},
		map[string]int{"ZIP": 14828, "COMMUNITY_BOARD": 33, "BOROUGH": 388, "ACCOUNT": 3463}, 480},
	"council 2022": {29861, 55175, map[string]int{"no_region": 423, "duplicate_case_id(UNIQUE_KEY)": 5},
		map[string]int{"ZIP": 24069, "COMMUNITY_BOARD": 14, "BOROUGH": 889, "ACCOUNT": 4461}, 512},
	"311 2024-09-01": {9240, 18105, map[string]int{"no_region": 5, "time_order(Closed Date)": 1},
		map[string]int{"Incident Zip": 9124, "Community Board": 73, "Borough": 37}, 4222},
}

// maxRejectShare is the documented bound on rejected rows per real file.
const maxRejectShare = 0.05

// TestNYCFiles converts the whole of each real NYC file with the shipped
// mappings and checks the counts, the reject share, the COVID drop and
// every emitted record against the contract.
func TestNYCFiles(t *testing.T) {
	data := sharedData(t)
	type file struct{ name, mapping, path string }
	var files []file
	for _, cf := range councilFiles {
		files = append(files, file{fmt.Sprintf("council %d", cf.year), "nyc_council.yaml", councilPath(data, cf.year)})
	}
	files = append(files, file{"311 2024-09-01", "nyc311.yaml", nyc311Path(data)})

	records := map[string]int{}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			m, reg, err := Open(mappings.FS, f.mapping)
			if err != nil {
				t.Fatal(err)
			}
			in, err := os.Open(f.path)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			v := newContractValidator(reg)
			noise := 0
			st, err := m.Convert(in, f.path, reg, func(r schemas.Record) error {
				if err := v.check(r); err != nil {
					t.Errorf("record %s v%d breaks the contract: %v", r.CaseID, r.Version, err)
				}
				if r.Version == 1 && r.Category == "neighbor.noise" {
					noise++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			records[f.name] = st.Records
			w := nycWants[f.name]
			if st.Rows != w.rows || st.Records != w.records {
				t.Errorf("rows %d records %d, want %d and %d", st.Rows, st.Records, w.rows, w.records)
			}
			if !sameCounts(st.ByReason, w.byReason) {
				t.Errorf("rejects by reason %v, want %v", st.ByReason, w.byReason)
			}
			if !sameCounts(st.ByRegionColumn, w.byRegion) {
				t.Errorf("region by column %v, want %v", st.ByRegionColumn, w.byRegion)
			}
			if noise != w.noise {
				t.Errorf("%d noise cases, want %d", noise, w.noise)
			}
			if share := float64(st.Rejected) / float64(st.Rows); share >= maxRejectShare {
				t.Errorf("%.2f %% of the rows rejected, the documented bound is %.0f %%", 100*share, 100*maxRejectShare)
			}
			for _, rj := range st.Rejects {
				if rj.File != f.path || rj.Line < 2 || rj.Reason == "" {
					t.Errorf("reject without file, line or reason: %+v", rj)
				}
			}
			t.Logf("%d rows, %d records, %d rejected %v, region via %v, defaults %v, dropped %v",
				st.Rows, st.Records, st.Rejected, st.ByReason, st.ByRegionColumn, st.Defaults, st.Dropped)
		})
	}
	if records["council 2019"] == 0 || records["council 2020"] >= records["council 2019"] {
		t.Errorf("2020 has %d records, 2019 %d: the COVID drop is missing", records["council 2020"], records["council 2019"])
	}
}

func sameCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// contractValidator checks records as they travel on Kafka, written from
// DESIGN.md and record.schema.json independently of the importer: it reads
// the marshalled JSON, not the Go struct.
type contractValidator struct {
	reg      *schemas.Registry
	cats     map[string]schemas.Category
	enums    map[string]map[string]bool
	last     map[string]any // previous record, to check version order
	seen     map[string]bool
	offsetRE *regexp.Regexp
}

func newContractValidator(reg *schemas.Registry) *contractValidator {
	v := &contractValidator{reg: reg, cats: schemas.CategoryByCode(), enums: map[string]map[string]bool{},
		seen: map[string]bool{}, offsetRE: regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)}
	for _, e := range schemas.Enums {
		v.enums[e.Field] = map[string]bool{}
		for _, s := range e.Values {
			v.enums[e.Field][s] = true
		}
	}
	return v
}

// check validates one record and its place in the open_close order.
func (v *contractValidator) check(r schemas.Record) error {
	m, err := v.fields(r)
	if err != nil {
		return err
	}
	return v.order(m)
}

// checkFields validates one record on its own.
func (v *contractValidator) checkFields(r schemas.Record) error {
	_, err := v.fields(r)
	return err
}

func (v *contractValidator) fields(r schemas.Record) (map[string]any, error) {
	b, err := schemas.MarshalRecord(r)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, k := range []string{"case_id", "version", "source", "reported_at", "region_code", "parties", "status"} {
		if _, ok := m[k]; !ok {
			return nil, fmt.Errorf("required field %s is absent", k)
		}
	}
	id, _ := m["case_id"].(string)
	if id == "" || len([]rune(id)) > 128 {
		return nil, fmt.Errorf("case_id %q", id)
	}
	ver, _ := m["version"].(float64)
	if ver < 1 || ver != float64(int(ver)) {
		return nil, fmt.Errorf("version %v", m["version"])
	}
	if p, _ := m["parties"].(float64); p < 1 || p != float64(int(p)) {
		return nil, fmt.Errorf("parties %v", m["parties"])
	}
	for _, f := range []string{"source", "channel", "severity", "status", "satisfaction"} {
		if s, ok := m[f]; ok && !v.enums[f][s.(string)] {
			return nil, fmt.Errorf("%s %q is not in the enum", f, s)
		}
	}
	if c, ok := m["category"]; ok {
		if _, known := v.cats[c.(string)]; !known {
			return nil, fmt.Errorf("category %q is not a taxonomy code", c)
		}
	}
	code, _ := m["region_code"].(string)
	if _, ok := v.reg.Lookup(code); !ok {
		return nil, fmt.Errorf("region_code %q is not in the registry", code)
	}
	times := map[string]time.Time{}
	for _, f := range []string{"reported_at", "occurred_at", "due_at", "resolved_at", "feedback_at", "evaluated_at"} {
		s, ok := m[f].(string)
		if !ok {
			continue
		}
		if !v.offsetRE.MatchString(s) {
			return nil, fmt.Errorf("%s %q is not RFC 3339 with an offset", f, s)
		}
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		times[f] = tm
	}
	if rs, ok := times["resolved_at"]; ok {
		if rs.Before(times["reported_at"]) {
			return nil, fmt.Errorf("resolved_at before reported_at")
		}
		if st := m["status"]; st != "resolved" && st != "failed" && st != "closed" {
			return nil, fmt.Errorf("resolved_at with status %v", st)
		}
	}
	if lat, ok := m["lat"].(float64); ok && (lat < -90 || lat > 90) {
		return nil, fmt.Errorf("lat %v", lat)
	}
	if lon, ok := m["lon"].(float64); ok && (lon < -180 || lon > 180) {
		return nil, fmt.Errorf("lon %v", lon)
	}
	return m, nil
}

// order checks the open_close order of the records of one file.
func (v *contractValidator) order(m map[string]any) error {
	id, _ := m["case_id"].(string)
	ver, _ := m["version"].(float64)
	// open_close: version 1 is accepted; version 2 directly follows the
	// version 1 of the same case, with the same reported_at, and is not
	// accepted. A case id appears in one version-1 record only.
	switch ver {
	case 1:
		if m["status"] != "accepted" {
			return fmt.Errorf("version 1 with status %v", m["status"])
		}
		if v.seen[id] {
			return fmt.Errorf("case id emitted twice as version 1")
		}
		v.seen[id] = true
	case 2:
		if v.last == nil || v.last["case_id"] != id || v.last["version"] != 1.0 || v.last["reported_at"] != m["reported_at"] {
			return fmt.Errorf("version 2 does not follow its version 1")
		}
		if m["status"] == "accepted" {
			return fmt.Errorf("version 2 repeats status accepted")
		}
	default:
		return fmt.Errorf("version %v with open_close", ver)
	}
	v.last = m
	return nil
}
