package spatial_test

import (
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

// tongliaoBanners is the queen adjacency of Tongliao's eight county-level
// units in geo/150500_full.json (DataV, GCJ-02), written by hand from the
// map and checked against the geometry: every pair listed shares from 6
// (科左后旗–奈曼旗) to 139 (科尔沁区–科左中旗) exactly coinciding vertices;
// every pair not listed is at least 0.0114° apart (开鲁县–库伦旗, which
// touch only through the short 奈曼旗–科左后旗 border between them; the
// next closest, 科尔沁区 to 奈曼旗 and 库伦旗, are 0.12° apart).
//
// 科尔沁区 (the city proper) borders 科左中旗 (north and east), 科左后旗
// (south-east) and 开鲁县 (west), not 奈曼旗 or 库伦旗. 霍林郭勒市 is an
// enclave in 扎鲁特旗 as far as Tongliao is concerned.
var tongliaoBanners = map[string][]string{
	"150502": {"150521", "150522", "150523"},                     // 科尔沁区
	"150521": {"150502", "150522", "150523", "150526"},           // 科左中旗
	"150522": {"150502", "150521", "150523", "150524", "150525"}, // 科左后旗
	"150523": {"150502", "150521", "150522", "150525", "150526"}, // 开鲁县
	"150524": {"150522", "150525"},                               // 库伦旗
	"150525": {"150522", "150523", "150524"},                     // 奈曼旗
	"150526": {"150521", "150523", "150581"},                     // 扎鲁特旗
	"150581": {"150526"},                                         // 霍林郭勒市
}

func readTongliao(t testing.TB, tol float64) *spatial.Weights {
	t.Helper()
	f, err := os.Open(sharedPath(t, "data/geo/150500_full.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := spatial.ReadGeoJSONQueen(f, "150500_full.json", spatial.QueenOptions{IDProperty: "adcode", Tolerance: tol})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func adjacency(w *spatial.Weights) map[string][]string {
	out := map[string][]string{}
	for _, id := range w.IDs() {
		nb := w.Neighbors(id)
		sort.Strings(nb)
		out[id] = nb
	}
	return out
}

func TestGeoJSONQueenTongliao(t *testing.T) {
	// The default tolerance, exact vertices only, and a tolerance just
	// under the 开鲁县–库伦旗 gap all give the hand-written adjacency.
	for _, tol := range []float64{0, 1e-12, 5e-3} {
		w := readTongliao(t, tol)
		if got := w.IDs(); !reflect.DeepEqual(got, []string{"150502", "150521", "150522", "150523", "150524", "150525", "150526", "150581"}) {
			t.Errorf("tolerance %g: ids %v", tol, got)
		}
		if got := adjacency(w); !reflect.DeepEqual(got, tongliaoBanners) {
			t.Errorf("tolerance %g: adjacency\n%v\nwant\n%v", tol, got, tongliaoBanners)
		}
		if !w.Symmetric() {
			t.Errorf("tolerance %g: not symmetric", tol)
		}
	}
	// A tolerance above the gap joins 开鲁县 and 库伦旗, and nothing else.
	got := adjacency(readTongliao(t, 0.02))
	if !contains(got["150523"], "150524") || !contains(got["150524"], "150523") {
		t.Errorf("tolerance 0.02: 开鲁县 and 库伦旗 are not joined: %v", got)
	}
	if len(got["150502"]) != 3 {
		t.Errorf("tolerance 0.02: 科尔沁区 has %v", got["150502"])
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The unit squares used below, as GeoJSON polygon rings.
const (
	sqA = `[[[0,0],[1,0],[1,1],[0,1],[0,0]]]`                                // touches B along x=1
	sqB = `[[[1,0],[2,0],[2,1],[1,1],[1,0]]]`                                // touches A, C
	sqC = `[[[2,1],[3,1],[3,2],[2,2],[2,1]]]`                                // touches B at the corner (2,1) only
	sqD = `[[[5,5],[6,5],[6,6],[5,6],[5,5]]]`                                // isolated
	sqE = `[[[0.25,1],[0.75,1],[0.75,2],[0.25,2],[0.25,1]]]`                 // on top of A: two vertices on A's edge, none shared (T-junctions)
	sqF = `[[[1.5,-1],[2.5,-1],[2.5,-0.0000001],[1.5,-0.0000001],[1.5,-1]]]` // 1e-7 below B
)

func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func feat(id, geomType, coords string) string {
	return `{"type":"Feature","properties":{"code":` + id + `},"geometry":{"type":"` + geomType + `","coordinates":` + coords + `}}`
}

func TestGeoJSONQueenSynthetic(t *testing.T) {
	doc := fc(
		feat(`"A"`, "Polygon", sqA),
		feat(`"B"`, "Polygon", sqB),
		feat(`"C"`, "Polygon", sqC),
		feat(`"D"`, "MultiPolygon", "["+sqD+","+sqF+"]"), // D's second part sits just under B
		feat(`"E"`, "Polygon", sqE),
	)
	w, err := spatial.ReadGeoJSONQueen(strings.NewReader(doc), "squares.json", spatial.QueenOptions{IDProperty: "code"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"A": {"B", "E"},
		"B": {"A", "C", "D"},
		"C": {"B"},
		"D": {"B"},
		"E": {"A"},
	}
	if got := adjacency(w); !reflect.DeepEqual(got, want) {
		t.Errorf("adjacency %v, want %v", got, want)
	}
	// With a tolerance below the 1e-7 gap, D's second part no longer
	// touches B.
	w, err = spatial.ReadGeoJSONQueen(strings.NewReader(doc), "squares.json", spatial.QueenOptions{IDProperty: "code", Tolerance: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	want["B"], want["D"] = []string{"A", "C"}, []string{}
	if got := adjacency(w); !reflect.DeepEqual(got, want) {
		t.Errorf("tolerance 1e-9: adjacency %v, want %v", got, want)
	}

	// Numeric ids and the feature's own id member.
	doc = `{"type":"FeatureCollection","features":[` +
		`{"type":"Feature","id":150502,"properties":{},"geometry":{"type":"Polygon","coordinates":` + sqA + `}},` +
		`{"type":"Feature","id":"x","properties":{},"geometry":{"type":"Polygon","coordinates":` + sqB + `}}]}`
	w, err = spatial.ReadGeoJSONQueen(strings.NewReader(doc), "ids.json", spatial.QueenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := adjacency(w); !reflect.DeepEqual(got, map[string][]string{"150502": {"x"}, "x": {"150502"}}) {
		t.Errorf("ids from the id member: %v", got)
	}
}

func TestGeoJSONQueenErrors(t *testing.T) {
	cases := map[string]struct{ doc, msg string }{
		"not JSON":           {`{"type":`, "cannot decode"},
		"not a collection":   {`{"type":"Feature"}`, "want FeatureCollection"},
		"no features":        {fc(), "no features"},
		"missing id":         {fc(`{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":` + sqA + `}}`), "feature 1: property code: missing"},
		"object id":          {fc(`{"type":"Feature","properties":{"code":{}},"geometry":{"type":"Polygon","coordinates":` + sqA + `}}`), "neither a string nor a number"},
		"duplicate id":       {fc(feat(`"A"`, "Polygon", sqA), feat(`"A"`, "Polygon", sqB)), `id "A" appears twice`},
		"point":              {fc(feat(`"A"`, "Point", `[0,0]`)), `feature 1 (A): geometry type "Point"`},
		"no geometry":        {fc(`{"type":"Feature","properties":{"code":"A"},"geometry":null}`), "feature 1 (A): no geometry"},
		"bad coordinates":    {fc(feat(`"A"`, "Polygon", `[[0,0]]`)), "Polygon coordinates"},
		"short position":     {fc(feat(`"A"`, "Polygon", `[[[0],[1,1],[0,1]]]`)), "not a finite [x, y] pair"},
		"empty polygon":      {fc(feat(`"A"`, "MultiPolygon", `[]`)), "empty geometry"},
		"negative tolerance": {fc(feat(`"A"`, "Polygon", sqA)), "tolerance"},
	}
	for name, c := range cases {
		opts := spatial.QueenOptions{IDProperty: "code"}
		if name == "negative tolerance" {
			opts.Tolerance = -1
		}
		_, err := spatial.ReadGeoJSONQueen(strings.NewReader(c.doc), "g.json", opts)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "g.json") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q does not name the file or lacks %q", name, err, c.msg)
		}
	}
}
