package importer

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// testRegions is a small NYC-like hierarchy.
const testRegions = `code,name,level,parent_code,population
NYC,New York City,2,,100
NYC-BK,Brooklyn,3,NYC,60
NYC-MN,Manhattan,3,NYC,40
NYC-BK-CB05,Brooklyn Community Board 5,4,NYC-BK,60
NYC-ZIP-11207,ZIP 11207,5,NYC-BK-CB05,60
`

func testRegistry(t testing.TB) *schemas.Registry {
	t.Helper()
	reg, err := schemas.LoadCSV(strings.NewReader(testRegions), "test regions")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func mustLoad(t testing.TB, yaml string) *Mapping {
	t.Helper()
	m, err := LoadMapping(strings.NewReader(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// convert runs a mapping over input and returns the records and stats.
func convert(t testing.TB, m *Mapping, input string) ([]schemas.Record, Stats) {
	t.Helper()
	var recs []schemas.Record
	st, err := m.Convert(strings.NewReader(input), "in.csv", testRegistry(t), func(r schemas.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != st.Rejected+countV1(recs) {
		t.Errorf("rows %d != rejected %d + accepted %d", st.Rows, st.Rejected, countV1(recs))
	}
	return recs, st
}

func countV1(recs []schemas.Record) int {
	n := 0
	for _, r := range recs {
		if r.Version == 1 {
			n++
		}
	}
	return n
}

// wire returns the JSON wire value of one field of a record.
func wire(t testing.TB, r schemas.Record, field string) string {
	t.Helper()
	b, err := schemas.MarshalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	v, ok := m[field]
	if !ok {
		return "<absent>"
	}
	if s, ok := v.(string); ok {
		return s
	}
	out, _ := json.Marshal(v)
	return string(out)
}

const datesMapping = `
timezone: America/New_York
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: %s}
  status: {constant: accepted}
region:
  - {constant: NYC}
`

// TestDatesNewYork checks local times around the 2019 DST switches (second
// Sunday of March, first Sunday of November, both at 02:00), hand-computed:
// before the switch New York is EST, UTC-5; after it EDT, UTC-4.
func TestDatesNewYork(t *testing.T) {
	t.Run("days", func(t *testing.T) {
		m := mustLoad(t, strings.Replace(datesMapping, "%s", "date", 1))
		recs, st := convert(t, m, "KEY,OPENDATE\n"+
			"a,2019-03-10\n"+ // the switch day: midnight is still EST
			"b,2019-03-11\n"+
			"c,2019-11-03\n"+ // back to EST at 02:00: midnight is still EDT
			"d,2019-11-04\n"+
			"e,2019-13-01\n"+
			"f,2019-3-1\n")
		want := []struct{ wire, utc string }{
			{"2019-03-10T00:00:00-05:00", "2019-03-10T05:00:00Z"},
			{"2019-03-11T00:00:00-04:00", "2019-03-11T04:00:00Z"},
			{"2019-11-03T00:00:00-04:00", "2019-11-03T04:00:00Z"},
			{"2019-11-04T00:00:00-05:00", "2019-11-04T05:00:00Z"},
		}
		if len(recs) != len(want) {
			t.Fatalf("%d records, want %d", len(recs), len(want))
		}
		for i, w := range want {
			if got := wire(t, recs[i], "reported_at"); got != w.wire {
				t.Errorf("%s: reported_at %s, want %s", recs[i].CaseID, got, w.wire)
			}
			if got := recs[i].ReportedAt.UTC().Format(time.RFC3339); got != w.utc {
				t.Errorf("%s: UTC %s, want %s", recs[i].CaseID, got, w.utc)
			}
		}
		wantRej := []Reject{
			{File: "in.csv", Line: 6, Kind: KindBadDate, Column: "OPENDATE", Reason: `column OPENDATE: "2019-13-01" does not match 2006-01-02`},
			{File: "in.csv", Line: 7, Kind: KindBadDate, Column: "OPENDATE", Reason: `column OPENDATE: "2019-3-1" does not match 2006-01-02`},
		}
		if len(st.Rejects) != 2 || st.Rejects[0] != wantRej[0] || st.Rejects[1] != wantRej[1] {
			t.Fatalf("rejects %+v\nwant %+v", st.Rejects, wantRej)
		}
		if st.ByReason["bad_date(OPENDATE)"] != 2 {
			t.Errorf("by reason %v", st.ByReason)
		}
	})
	t.Run("311 times", func(t *testing.T) {
		m := mustLoad(t, strings.Replace(datesMapping, "%s", "[us_datetime, rfc3339]", 1))
		recs, st := convert(t, m, "KEY,OPENDATE\n"+
			"a,09/01/2024 12:00:33 AM\n"+ // 12 AM is the hour after midnight
			"b,09/01/2024 12:00:33 PM\n"+
			"c,03/10/2019 03:30:00 AM\n"+ // after the spring switch
			"d,03/10/2019 01:59:59 AM\n"+ // before it
			"e,2019-03-10T01:00:00+08:00\n"+ // an explicit offset wins over the zone
			"f,13/01/2024 10:00:00 AM\n")
		want := []string{"2024-09-01T00:00:33-04:00", "2024-09-01T12:00:33-04:00",
			"2019-03-10T03:30:00-04:00", "2019-03-10T01:59:59-05:00", "2019-03-10T01:00:00+08:00"}
		if len(recs) != len(want) {
			t.Fatalf("%d records, want %d; rejects %v", len(recs), len(want), st.Rejects)
		}
		for i, w := range want {
			if got := wire(t, recs[i], "reported_at"); got != w {
				t.Errorf("%s: reported_at %s, want %s", recs[i].CaseID, got, w)
			}
		}
		wantReason := `column OPENDATE: "13/01/2024 10:00:00 AM" does not match 01/02/2006 03:04:05 PM or 2006-01-02T15:04:05Z07:00`
		if len(st.Rejects) != 1 || st.Rejects[0].Reason != wantReason || st.Rejects[0].Line != 7 {
			t.Fatalf("rejects %+v, want line 7: %s", st.Rejects, wantReason)
		}
	})
}

const valuesMapping = `
fields:
  case_id: {column: KEY, prefix: "T-"}
  reported_at: {column: OPENDATE, format: date}
  status:
    column: STATUS
    map: {Closed: closed, Open: accepted, In Progress: handling}
  channel:
    column: CHANNEL
    map: {ONLINE: online, MOBILE: online, PHONE: phone, UNKNOWN: ""}
    default: ""
  category:
    rules:
      - when: {DESC: {contains: [noise]}}
        value: neighbor.noise
      - when: {TYPE: {equals: [COVID-19]}, DESC: {equals: [health]}}
        value: medical
    column: TYPE
    ignore_case: true
    map: {Housing and Buildings: property, COVID-19: other, Transportation: other}
    default: other
  summary: {template: "{TYPE}: {DESC}"}
  petition:
    column: TYPE
    present: "false"
    empty: "true"
region:
  - {constant: NYC}
`

func TestValueMapsAndDefaults(t *testing.T) {
	m := mustLoad(t, valuesMapping)
	recs, st := convert(t, m, "KEY,OPENDATE,STATUS,CHANNEL,TYPE,DESC\n"+
		"1,2020-01-01,Closed,ONLINE,Housing and Buildings,Heat\n"+
		"2,2020-01-01,Open,PHONE,HOUSING AND BUILDINGS,\n"+
		"3,2020-01-01,Open,UNKNOWN,Quality of Life,Noise - Residential\n"+
		"4,2020-01-01,Open,,Martian Affairs,x\n"+
		"5,2020-01-01,Open,FAX,,Pothole\n"+
		"6,2020-01-01,Bogus,PHONE,Transportation,x\n"+
		"7,2020-01-01,In Progress,MOBILE,COVID-19,Health\n"+
		"8,2020-01-01,,PHONE,COVID-19,Food\n")
	type want struct {
		id, category, channel, summary string
		status                         schemas.Status
		petition                       bool
	}
	wants := []want{
		{"T-1", "property", "online", "Housing and Buildings: Heat", "closed", false},
		{"T-2", "property", "phone", "HOUSING AND BUILDINGS", "accepted", false},                 // ignore_case; separator dropped
		{"T-3", "neighbor.noise", "", "Quality of Life: Noise - Residential", "accepted", false}, // rule before map
		{"T-4", "other", "", "Martian Affairs: x", "accepted", false},                            // default: unmapped
		{"T-5", "other", "", "Pothole", "accepted", true},                                        // default: empty; channel default
		{"T-7", "medical", "online", "COVID-19: Health", "handling", false},                      // two-column rule
	}
	if len(recs) != len(wants) {
		t.Fatalf("%d records, want %d; rejects %v", len(recs), len(wants), st.Rejects)
	}
	for i, w := range wants {
		r := recs[i]
		if r.CaseID != w.id || r.Category != w.category || string(r.Channel) != w.channel ||
			r.Summary != w.summary || r.Status != w.status || r.Petition != w.petition {
			t.Errorf("record %d = {%s %s %q %q %s %v}, want %+v", i, r.CaseID, r.Category, r.Channel, r.Summary, r.Status, r.Petition, w)
		}
		if r.Parties != 1 || r.Source != schemas.SourceImport || r.Version != 1 {
			t.Errorf("record %d: parties %d source %s version %d", i, r.Parties, r.Source, r.Version)
		}
	}
	wantRej := []Reject{
		{File: "in.csv", Line: 7, Kind: KindUnmapped, Column: "STATUS", Reason: `column STATUS: "Bogus" is not in the status map and there is no default`},
		{File: "in.csv", Line: 9, Kind: KindMissing, Column: "STATUS", Reason: `column STATUS: empty, and status is required`},
	}
	if len(st.Rejects) != 2 || st.Rejects[0] != wantRej[0] || st.Rejects[1] != wantRej[1] {
		t.Fatalf("rejects %+v\nwant %+v", st.Rejects, wantRej)
	}
	// Rows 4 and 5 took the category default; 4 (empty), 5 (FAX) the
	// channel default. Rejected rows do not count.
	if st.Defaults["category"] != 2 || st.Defaults["channel"] != 2 || len(st.Defaults) != 2 {
		t.Errorf("defaults %v, want category 2, channel 2", st.Defaults)
	}
	// Only the defaults that stood in for an unknown value (not for an
	// empty cell) are reported, with the value.
	wantUnmapped := []string{
		`1 row: column CHANNEL "FAX" is not in the channel value map → (empty)`,
		`1 row: column TYPE "Martian Affairs" is not in the category value map → other`,
	}
	if got := st.UnmappedReport(); strings.Join(got, "\n") != strings.Join(wantUnmapped, "\n") {
		t.Errorf("unmapped report\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantUnmapped, "\n"))
	}
	if st.Rows != 8 || st.Records != 6 || st.Rejected != 2 {
		t.Errorf("rows %d records %d rejected %d", st.Rows, st.Records, st.Rejected)
	}
}

func TestTemplate(t *testing.T) {
	cols := map[string]int{"A": 0, "B": 1, "C": 2}
	for _, tc := range []struct {
		tmpl    string
		a, b, c string
		want    string
	}{
		{"{A}: {B}", "x", "y", "", "x: y"},
		{"{A}: {B}", "x", "", "", "x"},
		{"{A}: {B}", "", "y", "", "y"},
		{"{A}: {B}", "", "", "", ""},
		{"{A} / {B} / {C}", "x", "", "z", "x / z"},
		{"{A} / {B} / {C}", "", "y", "z", "y / z"},
		{"#{A}!", "x", "", "", "#x!"},
		{"#{A}!", "", "", "", ""},
		{"{{{A}}}", "x", "", "", "{x}"},
	} {
		tp, err := parseTemplate(tc.tmpl, func(n string, _ int) (int, error) { return cols[n], nil }, false)
		if err != nil {
			t.Fatalf("%q: %v", tc.tmpl, err)
		}
		vals := []string{tc.a, tc.b, tc.c}
		if got := tp.render(func(ref int) string { return vals[ref] }); got != tc.want {
			t.Errorf("%q with %q: got %q, want %q", tc.tmpl, vals, got, tc.want)
		}
	}
	for _, bad := range []string{"{A", "A}", "no placeholder", "{}"} {
		if _, err := parseTemplate(bad, func(string, int) (int, error) { return 0, nil }, false); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

const regionMapping = `
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
  summary: {column: DESC}
region:
  - column: ZIP
    normalize: zip5
    code: "NYC-ZIP-{value}"
  - column: BOARD
    normalize: upper
    pattern: '^0*(?P<number>[0-9]{1,2}) +(?P<borough>MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)$'
    groups:
      borough: {Manhattan: MN, Brooklyn: BK}
    code: "NYC-{borough}-CB{number:2}"
  - column: BOROUGH
    normalize: upper
    map: {Manhattan: NYC-MN, Brooklyn: NYC-BK}
  - column: ACCOUNT
    fallback: true
    map: {NYCC35: NYC-BK}
`

// TestRegionOrder checks ZIP before board before borough, the fallback, and
// rejects with their physical line.
func TestRegionOrder(t *testing.T) {
	m := mustLoad(t, regionMapping)
	recs, st := convert(t, m, "KEY,OPENDATE,ZIP,BOARD,BOROUGH,ACCOUNT,DESC\n"+
		"a,2020-01-01,11207,16 Brooklyn,Manhattan,NYCC02,ZIP wins over the others\n"+ // line 2
		"b,2020-01-01,11207-4410,,,,ZIP+4\n"+ // line 3
		"c,2020-01-01,1207,5 brooklyn,,,bad ZIP: the board\n"+ // line 4
		"d,2020-01-01,,Unspecified BROOKLYN,manhattan,,no board: the borough\n"+ // line 5
		"e,2020-01-01,,,,NYCC35,\"nothing given:\n"+ // lines 6-7: one row on two lines
		"the office\"\n"+
		"f,2020-01-01,10530,,,NYCC35,a ZIP outside the registry is not replaced by the office\n"+ // line 8
		"g,2020-01-01,,,,,no place at all\n"+ // line 9
		"h,2020-01-01,NY,06,Queens,NYCC35,nothing resolves\n") // line 10
	want := map[string]string{"a": "NYC-ZIP-11207", "b": "NYC-ZIP-11207", "c": "NYC-BK-CB05", "d": "NYC-MN", "e": "NYC-BK"}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d; rejects %v", len(recs), len(want), st.Rejects)
	}
	for _, r := range recs {
		if r.RegionCode != want[r.CaseID] {
			t.Errorf("%s: region %s, want %s", r.CaseID, r.RegionCode, want[r.CaseID])
		}
	}
	if recs[4].Summary != "nothing given:\nthe office" {
		t.Errorf("multi-line summary %q", recs[4].Summary)
	}
	wantRej := []Reject{
		{"in.csv", 8, KindNoRegion, "", `no known region: column ZIP: "10530" gives NYC-ZIP-10530, not in the registry; column BOARD is empty; column BOROUGH is empty; column ACCOUNT not used (a place was given)`, 0},
		{"in.csv", 9, KindNoRegion, "", `no known region: column ZIP is empty; column BOARD is empty; column BOROUGH is empty; column ACCOUNT is empty`, 0},
		{"in.csv", 10, KindNoRegion, "", `no known region: column ZIP: "NY" is not a well-formed value; column BOARD: "06" does not match the pattern; column BOROUGH: "Queens" is not in the map; column ACCOUNT not used (a place was given)`, 0},
	}
	if len(st.Rejects) != len(wantRej) {
		t.Fatalf("rejects %+v", st.Rejects)
	}
	for i := range wantRej {
		if st.Rejects[i] != wantRej[i] {
			t.Errorf("reject %d:\n got %+v\nwant %+v", i, st.Rejects[i], wantRej[i])
		}
	}
	wantVia := map[string]int{"ZIP": 2, "BOARD": 1, "BOROUGH": 1, "ACCOUNT": 1}
	for k, v := range wantVia {
		if st.ByRegionColumn[k] != v {
			t.Errorf("by region column %v, want %v", st.ByRegionColumn, wantVia)
			break
		}
	}
	if st.ByReason["no_region"] != 3 {
		t.Errorf("by reason %v", st.ByReason)
	}
}

const versionsMapping = `
timezone: America/New_York
versions: %s
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  resolved_at: {column: CLOSEDATE, format: date}
  status: {column: CLOSEDATE, present: closed, empty: accepted}
region:
  - {constant: NYC}
`

func TestVersions(t *testing.T) {
	input := "KEY,OPENDATE,CLOSEDATE\n" +
		"k1,2019-03-01,2019-03-05\n" +
		"k2,2019-03-02,\n" +
		"k3,2019-03-10,2019-03-09\n" + // closed before it was opened
		"k4,2019-03-10,2019-03-10\n" // closed the same day
	t.Run("open_close", func(t *testing.T) {
		recs, st := convert(t, mustLoad(t, strings.Replace(versionsMapping, "%s", "open_close", 1)), input)
		type w struct {
			id       string
			version  uint32
			status   schemas.Status
			resolved string
			updated  string // the version's event time: opened, then closed
		}
		want := []w{
			{"k1", 1, "accepted", "<absent>", "2019-03-01T00:00:00-05:00"},
			{"k1", 2, "closed", "2019-03-05T00:00:00-05:00", "2019-03-05T00:00:00-05:00"},
			{"k2", 1, "accepted", "<absent>", "2019-03-02T00:00:00-05:00"},
			{"k4", 1, "accepted", "<absent>", "2019-03-10T00:00:00-05:00"},
			{"k4", 2, "closed", "2019-03-10T00:00:00-05:00", "2019-03-10T00:00:00-05:00"},
		}
		if len(recs) != len(want) {
			t.Fatalf("%d records, want %d", len(recs), len(want))
		}
		for i, x := range want {
			r := recs[i]
			if r.CaseID != x.id || r.Version != x.version || r.Status != x.status || wire(t, r, "resolved_at") != x.resolved {
				t.Errorf("record %d = %s v%d %s %s, want %+v", i, r.CaseID, r.Version, r.Status, wire(t, r, "resolved_at"), x)
			}
			if got := wire(t, r, "updated_at"); got != x.updated {
				t.Errorf("record %d: updated_at %s, want %s", i, got, x.updated)
			}
			if wire(t, r, "reported_at") != wire(t, recs[i-int(r.Version)+1], "reported_at") {
				t.Errorf("record %d: versions differ in reported_at", i)
			}
		}
		wantRej := Reject{"in.csv", 4, KindTimeOrder, "CLOSEDATE",
			"column CLOSEDATE: resolved_at is 2019-03-09T00:00:00-05:00 24h0m0s before reported_at 2019-03-10T00:00:00-05:00", 0}
		if len(st.Rejects) != 1 || st.Rejects[0] != wantRej {
			t.Fatalf("rejects %+v, want %+v", st.Rejects, wantRej)
		}
		if st.Rows != 4 || st.Records != 5 || st.Rejected != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("final", func(t *testing.T) {
		recs, st := convert(t, mustLoad(t, strings.Replace(versionsMapping, "%s", "final", 1)), input)
		if len(recs) != 3 || st.Records != 3 {
			t.Fatalf("%d records, want 3", len(recs))
		}
		if r := recs[0]; r.CaseID != "k1" || r.Version != 1 || r.Status != "closed" || wire(t, r, "resolved_at") != "2019-03-05T00:00:00-05:00" ||
			wire(t, r, "updated_at") != "2019-03-01T00:00:00-05:00" {
			t.Errorf("k1 = %+v", r)
		}
		if r := recs[1]; r.CaseID != "k2" || r.Status != "accepted" || r.ResolvedAt != nil {
			t.Errorf("k2 = %+v", r)
		}
	})
	t.Run("closing values need a final status", func(t *testing.T) {
		m := mustLoad(t, `
versions: open_close
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  resolved_at: {column: CLOSEDATE, format: date}
  status: {column: STATUS, map: {Open: accepted, Assigned: routed, Closed: closed}}
region:
  - {constant: NYC}
`)
		recs, st := convert(t, m, "KEY,OPENDATE,STATUS,CLOSEDATE\n"+
			"a,2024-09-01,Open,2024-09-02\n"+
			"b,2024-09-01,Assigned,2024-09-02\n"+
			"c,2024-09-01,Closed,\n")
		// a: one record; b: accepted then routed; c: accepted then closed
		// without a close date.
		if len(recs) != 5 {
			t.Fatalf("%d records, want 5", len(recs))
		}
		for _, r := range recs {
			if r.ResolvedAt != nil {
				t.Errorf("%s v%d (%s) has resolved_at", r.CaseID, r.Version, r.Status)
			}
		}
		if recs[2].Status != "routed" || recs[2].Version != 2 || recs[4].Status != "closed" {
			t.Errorf("records %+v", recs)
		}
		want := map[string]int{"resolved_at: status accepted is not final": 1, "resolved_at: status routed is not final": 1}
		if len(st.Dropped) != 2 || st.Dropped["resolved_at: status accepted is not final"] != 1 || st.Dropped["resolved_at: status routed is not final"] != 1 {
			t.Errorf("dropped %v, want %v", st.Dropped, want)
		}
	})
}

func TestDuplicates(t *testing.T) {
	input := "KEY,OPENDATE\n" +
		"a,2020-01-01\n" +
		"b,not a date\n" + // rejected: does not claim the id
		"a,2020-01-02\n" +
		"b,2020-01-03\n"
	m := mustLoad(t, strings.Replace(datesMapping, "%s", "date", 1))
	recs, st := convert(t, m, input)
	if len(recs) != 2 || recs[0].CaseID != "a" || recs[1].CaseID != "b" || recs[1].ReportedAt.Day() != 3 {
		t.Fatalf("records %+v", recs)
	}
	want := Reject{"in.csv", 4, KindDuplicate, "KEY", `column KEY: duplicate case id "a" (first at line 2)`, 0}
	if len(st.Rejects) != 2 || st.Rejects[1] != want {
		t.Fatalf("rejects %+v, want second %+v", st.Rejects, want)
	}
	keep := mustLoad(t, strings.Replace(datesMapping, "%s", "date", 1)+"duplicates: keep\n")
	if recs, _ := convert(t, keep, input); len(recs) != 3 {
		t.Errorf("keep: %d records, want 3", len(recs))
	}
}

func TestContractChecks(t *testing.T) {
	m := mustLoad(t, `
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
  category: {column: CAT}
  parties: {column: N}
  amount_cny: {column: AMT}
  lat: {column: LAT}
  severity: {column: SEV}
region:
  - {constant: NYC}
`)
	long := strings.Repeat("x", 129)
	recs, st := convert(t, m, "KEY,OPENDATE,CAT,N,AMT,LAT,SEV\n"+
		"a,2020-01-01,labor.wage_arrears,40,12.5,40.7,difficult\n"+ // line 2: fine
		"b,2020-01-01,,,,,\n"+ // line 3: fine, parties 1
		",2020-01-01,,,,,\n"+ // line 4
		long+",2020-01-01,,,,,\n"+ // line 5
		"c,2020-01-01,housing,,,,\n"+ // line 6
		"d,2020-01-01,,0,,,\n"+ // line 7
		"e,2020-01-01,,2.5,,,\n"+ // line 8
		"f,2020-01-01,,,-3,,\n"+ // line 9
		"g,2020-01-01,,,,91,\n"+ // line 10
		"h,2020-01-01,,,,,hard\n"+ // line 11
		"i,2020-01-01\n") // line 12
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	if r := recs[0]; r.Category != "labor.wage_arrears" || r.Parties != 40 || r.AmountCNY != 12.5 || r.Lat == nil || *r.Lat != 40.7 || r.Lon != nil || r.Severity != "difficult" {
		t.Errorf("a = %+v", r)
	}
	if r := recs[1]; r.Parties != 1 || r.Lat != nil || r.Category != "" {
		t.Errorf("b = %+v", r)
	}
	want := []string{
		"4 missing(KEY) column KEY: empty, and case_id is required",
		"5 too_long(KEY) column KEY: 129 characters, the contract allows 128",
		`6 bad_value(CAT) column CAT: "housing" is not a taxonomy code`,
		`7 bad_number(N) column N: "0" is not a whole number of parties of at least 1`,
		`8 bad_number(N) column N: "2.5" is not a whole number of parties of at least 1`,
		`9 bad_number(AMT) column AMT: "-3" is a negative amount`,
		`10 bad_number(LAT) column LAT: "91" is not a latitude (-90 to 90)`,
		`11 bad_value(SEV) column SEV: "hard" is not a severity (simple, general, difficult)`,
		"12 bad_row 2 fields, the header has 7",
	}
	if len(st.Rejects) != len(want) {
		t.Fatalf("rejects %+v", st.Rejects)
	}
	for i, w := range want {
		r := st.Rejects[i]
		if got := strings.Join([]string{strconv.Itoa(r.Line), r.Key(), r.Reason}, " "); got != w {
			t.Errorf("reject %d:\n got %s\nwant %s", i, got, w)
		}
	}
}

func TestCSVOptions(t *testing.T) {
	base := strings.Replace(datesMapping, "%s", "date", 1)
	t.Run("BOM, semicolons, CRLF", func(t *testing.T) {
		m := mustLoad(t, base+"csv: {delimiter: ';'}\n")
		recs, _ := convert(t, m, "\ufeffKEY;OPENDATE\r\na;2020-01-01\r\nb;2020-01-02\r\n")
		if len(recs) != 2 || recs[1].CaseID != "b" {
			t.Fatalf("records %+v", recs)
		}
	})
	t.Run("no header", func(t *testing.T) {
		m := mustLoad(t, base+"csv: {header: false, columns: [KEY, OPENDATE, EXTRA]}\n")
		recs, _ := convert(t, m, "a,2020-01-01,x\nb,2020-01-02,y\n")
		if len(recs) != 2 || recs[0].CaseID != "a" {
			t.Fatalf("records %+v", recs)
		}
	})
	t.Run("missing column", func(t *testing.T) {
		m := mustLoad(t, base)
		_, err := m.Convert(strings.NewReader("KEY,OPEN\na,2020-01-01\n"), "in.csv", testRegistry(t), func(schemas.Record) error { return nil })
		if err == nil || err.Error() != `in.csv: line 1: the header lacks the mapped column(s) "OPENDATE"` {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("broken quotes", func(t *testing.T) {
		m := mustLoad(t, base)
		recs, st := convert(t, m, "KEY,OPENDATE\na,2020-01-01\nb\"x,2020-01-02\nc,2020-01-03\n")
		if len(recs) != 2 || recs[1].CaseID != "c" {
			t.Fatalf("records %+v", recs)
		}
		if len(st.Rejects) != 1 || st.Rejects[0].Line != 3 || st.Rejects[0].Kind != KindBadRow ||
			!strings.HasPrefix(st.Rejects[0].Reason, "unreadable CSV: ") {
			t.Fatalf("rejects %+v", st.Rejects)
		}
	})
}

func TestJSONL(t *testing.T) {
	m := mustLoad(t, `
format: jsonl
fields:
  case_id: {column: id, prefix: "J-"}
  reported_at: {column: opened, format: rfc3339}
  status: {constant: accepted}
  summary: {template: "{tags} {note}"}
  parties: {column: n}
region:
  - {column: zip, normalize: zip5, code: "NYC-ZIP-{value}"}
`)
	recs, st := convert(t, m, `{"id": "a", "opened": "2019-03-10T01:00:00+08:00", "zip": 11207, "n": 3, "tags": ["x", 1], "note": null}

{"id": 7, "opened": "2019-03-10T01:00:00Z", "zip": "11207"}
not json
[1, 2]
{"id": "c", "opened": "2019-03-10", "zip": "11207"}
`)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2; rejects %+v", len(recs), st.Rejects)
	}
	if r := recs[0]; r.CaseID != "J-a" || r.Parties != 3 || r.Summary != `["x",1]` || wire(t, r, "reported_at") != "2019-03-10T01:00:00+08:00" || r.RegionCode != "NYC-ZIP-11207" {
		t.Errorf("a = %+v", r)
	}
	if r := recs[1]; r.CaseID != "J-7" || r.Parties != 1 {
		t.Errorf("7 = %+v", r)
	}
	// Blank line 2 is not a row.
	if st.Rows != 5 || len(st.Rejects) != 3 {
		t.Fatalf("rows %d, rejects %+v", st.Rows, st.Rejects)
	}
	for i, w := range []struct {
		line int
		kind string
	}{{4, KindBadRow}, {5, KindBadRow}, {6, KindBadDate}} {
		if st.Rejects[i].Line != w.line || st.Rejects[i].Kind != w.kind {
			t.Errorf("reject %d = %+v, want line %d %s", i, st.Rejects[i], w.line, w.kind)
		}
	}
}

func TestEmitErrorStops(t *testing.T) {
	m := mustLoad(t, strings.Replace(datesMapping, "%s", "date", 1))
	boom := errors.New("broker down")
	n := 0
	st, err := m.Convert(strings.NewReader("KEY,OPENDATE\na,2020-01-01\nb,2020-01-02\nc,2020-01-03\n"), "in.csv", testRegistry(t),
		func(schemas.Record) error {
			if n++; n == 2 {
				return boom
			}
			return nil
		})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "in.csv line 3: cannot emit") {
		t.Fatalf("error %v", err)
	}
	if st.Records != 1 || st.Rows != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestConvertFuncStreamsRejects checks that ConvertFunc hands over every
// reject and keeps none in Stats.
func TestConvertFuncStreamsRejects(t *testing.T) {
	m := mustLoad(t, strings.Replace(datesMapping, "%s", "date", 1))
	var input strings.Builder
	input.WriteString("KEY,OPENDATE\n")
	for i := 0; i < MaxKeptRejects+5; i++ {
		input.WriteString("k" + strconv.Itoa(i) + ",never\n")
	}
	var got []Reject
	st, err := m.ConvertFunc(strings.NewReader(input.String()), "in.csv", testRegistry(t),
		func(schemas.Record) error { return nil }, func(r Reject) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != MaxKeptRejects+5 || st.Rejected != MaxKeptRejects+5 || len(st.Rejects) != 0 {
		t.Fatalf("handed %d, rejected %d, kept %d", len(got), st.Rejected, len(st.Rejects))
	}
	if got[len(got)-1].Line != MaxKeptRejects+6 {
		t.Errorf("last line %d", got[len(got)-1].Line)
	}
	st, _ = m.Convert(strings.NewReader(input.String()), "in.csv", testRegistry(t), func(schemas.Record) error { return nil })
	if len(st.Rejects) != MaxKeptRejects || st.Rejected != MaxKeptRejects+5 {
		t.Errorf("Convert kept %d of %d", len(st.Rejects), st.Rejected)
	}
}

// statRegions is a registry of 12-digit statistical codes, where a 6-digit
// county code stands for its 12-digit code.
const statRegions = `code,name,level,parent_code,population
150500000000,通辽市,2,,100
150502000000,科尔沁区,3,150500000000,60
150521000000,科左中旗,3,150500000000,40
`

func TestRegionCodesNormalisedAsAtIngest(t *testing.T) {
	reg, err := schemas.LoadCSV(strings.NewReader(statRegions), "stat regions")
	if err != nil {
		t.Fatal(err)
	}
	m := mustLoad(t, `
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
region:
  - {column: AREA}
`)
	var recs []schemas.Record
	st, err := m.Convert(strings.NewReader("KEY,OPENDATE,AREA\na,2020-01-01,150502\nb,2020-01-01,150521000000\nc,2020-01-01,150599\n"),
		"in.csv", reg, func(r schemas.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].RegionCode != "150502000000" || recs[1].RegionCode != "150521000000" {
		t.Fatalf("records %+v", recs)
	}
	if st.Rejected != 1 || st.Rejects[0].Line != 4 {
		t.Errorf("rejects %+v, want line 4 (150599 is no county)", st.Rejects)
	}

	// A constant code is normalised too, and checked before any row is read.
	constant := func(code string) *Mapping {
		return mustLoad(t, `
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
region:
  - {constant: "`+code+`"}
`)
	}
	recs = nil
	if _, err := constant("150521").Convert(strings.NewReader("KEY,OPENDATE\na,2020-01-01\n"), "in.csv", reg,
		func(r schemas.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].RegionCode != "150521000000" {
		t.Errorf("constant 150521: records %+v", recs)
	}
	bad := constant("150599")
	if err := bad.CheckRegions(reg); err == nil || !strings.Contains(err.Error(), "region[0].constant: 150599 is not in the region registry") {
		t.Errorf("CheckRegions: %v", err)
	}
	rows := 0
	_, err = bad.Convert(strings.NewReader("KEY,OPENDATE\na,2020-01-01\n"), "in.csv", reg,
		func(schemas.Record) error { rows++; return nil })
	if err == nil || rows != 0 {
		t.Errorf("convert with an unknown constant: err %v, %d records", err, rows)
	}
}
