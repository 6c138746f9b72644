package spatial

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// DefaultQueenTolerance is the distance, in the GeoJSON's coordinate units,
// within which a vertex of one polygon counts as touching another polygon's
// boundary. For longitude/latitude degrees it is about 11 m north–south.
//
// DataV's county outlines (../shared/data/geo) are simplified with shared
// borders kept, so neighbours share vertices exactly; the nearest
// non-neighbours in Tongliao are 开鲁县 and 库伦旗, 0.0114° (about 1 km)
// apart at the 奈曼旗–科左后旗 junction, two orders of magnitude above this
// tolerance.
const DefaultQueenTolerance = 1e-4

// QueenOptions controls [ReadGeoJSONQueen].
type QueenOptions struct {
	// IDProperty names the feature property holding the unit id ("adcode"
	// for DataV). Empty means the feature's own "id" member. String and
	// number values are accepted; numbers are written as in the file.
	IDProperty string
	// Tolerance is the largest distance at which a vertex touches another
	// polygon's boundary; zero means DefaultQueenTolerance. To demand
	// exactly coinciding vertices pass a tiny positive value.
	Tolerance float64
}

// ReadGeoJSONQueen reads a GeoJSON FeatureCollection of Polygon and
// MultiPolygon features and returns binary queen-contiguity weights: two
// units are neighbours when their boundaries share a vertex or an edge,
// that is, when a vertex of one (outer rings and holes, every part of a
// MultiPolygon) lies within the tolerance of a boundary segment of the
// other. Units keep the features' order; a feature touching nobody has no
// neighbours. name is used in error messages.
//
// libpysal's Queen matches exactly shared vertices only; the tolerance and
// the vertex-on-segment test make the result robust to simplified outlines
// whose shared borders do not keep every vertex.
func ReadGeoJSONQueen(r io.Reader, name string, opts QueenOptions) (*Weights, error) {
	tol := opts.Tolerance
	if tol == 0 {
		tol = DefaultQueenTolerance
	}
	if tol < 0 || math.IsNaN(tol) || math.IsInf(tol, 0) {
		return nil, fmt.Errorf("%s: queen tolerance %v is not a positive number", name, opts.Tolerance)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string                     `json:"type"`
			ID         json.RawMessage            `json:"id"`
			Properties map[string]json.RawMessage `json:"properties"`
			Geometry   *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fmt.Errorf("%s: cannot decode GeoJSON: %w", name, err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("%s: type is %q, want FeatureCollection", name, fc.Type)
	}
	if len(fc.Features) == 0 {
		return nil, fmt.Errorf("%s: the FeatureCollection has no features", name)
	}
	ids := make([]string, len(fc.Features))
	rings := make([][][][2]float64, len(fc.Features)) // feature → rings → vertices
	for f, ft := range fc.Features {
		where := fmt.Sprintf("%s: feature %d", name, f+1)
		raw := ft.ID
		if opts.IDProperty != "" {
			raw = ft.Properties[opts.IDProperty]
		}
		id, err := jsonID(raw)
		if err != nil {
			what := "member id"
			if opts.IDProperty != "" {
				what = "property " + opts.IDProperty
			}
			return nil, fmt.Errorf("%s: %s: %w", where, what, err)
		}
		ids[f] = id
		where += " (" + id + ")"
		if ft.Geometry == nil {
			return nil, fmt.Errorf("%s: no geometry", where)
		}
		var polys [][][][]float64
		switch ft.Geometry.Type {
		case "Polygon":
			var p [][][]float64
			if err := json.Unmarshal(ft.Geometry.Coordinates, &p); err != nil {
				return nil, fmt.Errorf("%s: Polygon coordinates: %w", where, err)
			}
			polys = [][][][]float64{p}
		case "MultiPolygon":
			if err := json.Unmarshal(ft.Geometry.Coordinates, &polys); err != nil {
				return nil, fmt.Errorf("%s: MultiPolygon coordinates: %w", where, err)
			}
		default:
			return nil, fmt.Errorf("%s: geometry type %q, want Polygon or MultiPolygon", where, ft.Geometry.Type)
		}
		for _, poly := range polys {
			for _, ring := range poly {
				pts := make([][2]float64, 0, len(ring))
				for _, pos := range ring {
					if len(pos) < 2 || !finite(pos[0]) || !finite(pos[1]) {
						return nil, fmt.Errorf("%s: position %v is not a finite [x, y] pair", where, pos)
					}
					pts = append(pts, [2]float64{pos[0], pos[1]})
				}
				if len(pts) > 0 {
					rings[f] = append(rings[f], pts)
				}
			}
		}
		if len(rings[f]) == 0 {
			return nil, fmt.Errorf("%s: empty geometry", where)
		}
	}
	w, err := newEmpty(ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	adj := queenPairs(rings, tol)
	for i := range ids {
		row := make([]int, 0, len(adj[i]))
		for j := range adj[i] {
			row = append(row, j)
		}
		if err := w.setBinaryRow(i, row); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err) // unreachable: adj holds sets
		}
	}
	return w, nil
}

// jsonID returns a JSON string or number as an id.
func jsonID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", errors.New("missing")
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", fmt.Errorf("%s is neither a string nor a number", raw)
		}
		s = n.String()
	}
	if strings.TrimSpace(s) == "" {
		return "", errors.New("empty")
	}
	return s, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// segment is one boundary segment of a feature.
type segment struct {
	f    int
	a, b [2]float64
}

// queenPairs returns, for every feature, the set of features whose boundary
// comes within tol of one of its vertices, and the symmetric counterpart.
//
// Segments are put in a uniform grid (every cell their tol-expanded
// bounding box covers); a vertex then only meets the segments of its own
// cell, since a segment within tol of the vertex covers the vertex's cell.
func queenPairs(rings [][][][2]float64, tol float64) []map[int]bool {
	var segs []segment
	var totalLen float64
	for f, fr := range rings {
		for _, ring := range fr {
			for k := 0; k+1 < len(ring); k++ {
				s := segment{f: f, a: ring[k], b: ring[k+1]}
				segs = append(segs, s)
				totalLen += math.Hypot(s.b[0]-s.a[0], s.b[1]-s.a[1])
			}
			if len(ring) == 1 {
				segs = append(segs, segment{f: f, a: ring[0], b: ring[0]})
			}
		}
	}
	cell := 2 * tol
	if len(segs) > 0 {
		cell = math.Max(cell, totalLen/float64(len(segs)))
	}
	key := func(x, y float64) [2]int64 {
		return [2]int64{int64(math.Floor(x / cell)), int64(math.Floor(y / cell))}
	}
	grid := map[[2]int64][]int{}
	for si, s := range segs {
		lo := key(math.Min(s.a[0], s.b[0])-tol, math.Min(s.a[1], s.b[1])-tol)
		hi := key(math.Max(s.a[0], s.b[0])+tol, math.Max(s.a[1], s.b[1])+tol)
		for cx := lo[0]; cx <= hi[0]; cx++ {
			for cy := lo[1]; cy <= hi[1]; cy++ {
				k := [2]int64{cx, cy}
				grid[k] = append(grid[k], si)
			}
		}
	}
	adj := make([]map[int]bool, len(rings))
	for f := range adj {
		adj[f] = map[int]bool{}
	}
	for f, fr := range rings {
		for _, ring := range fr {
			for _, p := range ring {
				for _, si := range grid[key(p[0], p[1])] {
					s := segs[si]
					if s.f == f || adj[f][s.f] {
						continue
					}
					if pointSegmentDistance(p, s.a, s.b) <= tol {
						adj[f][s.f] = true
						adj[s.f][f] = true
					}
				}
			}
		}
	}
	return adj
}

// pointSegmentDistance returns the Euclidean distance from p to segment ab.
// The endpoints are checked first so that coinciding vertices give exactly
// zero.
func pointSegmentDistance(p, a, b [2]float64) float64 {
	da := math.Hypot(p[0]-a[0], p[1]-a[1])
	db := math.Hypot(p[0]-b[0], p[1]-b[1])
	d := math.Min(da, db)
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return d
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
	if t <= 0 || t >= 1 {
		return d
	}
	return math.Min(d, math.Hypot(p[0]-(a[0]+t*dx), p[1]-(a[1]+t*dy)))
}
