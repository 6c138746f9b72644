package importer

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/riskwatch/riskwatch/schemas"
)

// Two squares side by side: Manhattan west of -73.9, Brooklyn east of it.
const coordsGeoJSON = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"boro":"NYC-MN"},"geometry":{"type":"Polygon","coordinates":[[[-74.0,40.6],[-73.9,40.6],[-73.9,40.8],[-74.0,40.8],[-74.0,40.6]]]}},
{"type":"Feature","properties":{"boro":"NYC-BK"},"geometry":{"type":"MultiPolygon","coordinates":[[[[-73.9,40.6],[-73.8,40.6],[-73.8,40.8],[-73.9,40.8],[-73.9,40.6]]]]}}
]}`

const coordsMapping = `
regions: regions.csv
polygons: {file: boroughs.geojson, code: boro}
fields:
  case_id: {column: KEY}
  reported_at: {column: OPENDATE, format: date}
  status: {constant: accepted}
  lat: {column: LAT}
  lon: {column: LON}
region:
  - {column: ZIP, normalize: zip5, code: "NYC-ZIP-{value}"}
  - {coordinates: true}
`

func TestPlaceByCoordinates(t *testing.T) {
	fsys := fstest.MapFS{
		"m.yaml":           {Data: []byte(coordsMapping)},
		"regions.csv":      {Data: []byte(testRegions)},
		"boroughs.geojson": {Data: []byte(coordsGeoJSON)},
	}
	m, reg, err := Open(fsys, "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var recs []schemas.Record
	st, err := m.Convert(strings.NewReader("KEY,OPENDATE,ZIP,LAT,LON\n"+
		"a,2020-01-01,11207,40.7,-73.95\n"+ // ZIP first
		"b,2020-01-01,,40.7,-73.95\n"+ // Manhattan by coordinates
		"c,2020-01-01,,40.7,-73.85\n"+ // Brooklyn
		"d,2020-01-01,,41.5,-73.85\n"+ // outside every polygon
		"e,2020-01-01,,,\n"), // nothing at all
		"in.csv", reg, func(r schemas.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "NYC-ZIP-11207", "b": "NYC-MN", "c": "NYC-BK"}
	if len(recs) != 3 {
		t.Fatalf("records %+v, rejects %v", recs, st.Rejects)
	}
	for _, r := range recs {
		if r.RegionCode != want[r.CaseID] {
			t.Errorf("%s: region %s, want %s", r.CaseID, r.RegionCode, want[r.CaseID])
		}
	}
	if st.ByRegionColumn["coordinates"] != 2 || st.ByRegionColumn["ZIP"] != 1 {
		t.Errorf("by region column %v", st.ByRegionColumn)
	}
	wantRej := []string{
		"in.csv:5: no known region: column ZIP is empty; coordinates 41.5,-73.85 lie in no polygon",
		"in.csv:6: no known region: column ZIP is empty; no coordinates",
	}
	if len(st.Rejects) != 2 || st.Rejects[0].String() != wantRej[0] || st.Rejects[1].String() != wantRej[1] {
		t.Errorf("rejects %v, want %v", st.Rejects, wantRej)
	}

	// Without the polygons loaded, the conversion refuses to start.
	bare := mustLoad(t, strings.Replace(coordsMapping, "regions: regions.csv\n", "", 1))
	if _, err := bare.Convert(strings.NewReader("KEY,OPENDATE,ZIP,LAT,LON\n"), "in.csv", reg, func(schemas.Record) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "no polygons are loaded") {
		t.Errorf("convert without polygons: %v", err)
	}
	// coordinates: true needs lat and lon fields and polygons.
	for _, c := range []struct{ edit, want string }{
		{"  lat: {column: LAT}\n", "coordinates: true needs fields.lat and fields.lon"},
		{"polygons: {file: boroughs.geojson, code: boro}\n", "coordinates: true needs polygons"},
	} {
		if _, err := LoadMapping(strings.NewReader(strings.Replace(coordsMapping, c.edit, "", 1)), "m.yaml"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("without %q: %v", c.edit, err)
		}
	}
}
