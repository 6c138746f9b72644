package schemas

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Placer finds the region whose polygon holds a point (longitude,
// latitude), for records that carry coordinates but no region code. The
// polygons belong to one level of a registry (the lowest level that has
// boundaries); a uniform grid over their bounding boxes keeps a lookup to
// the few polygons near the point, and an even-odd ray cast over orb's
// geometry decides. It is immutable and safe for concurrent use.
type Placer struct {
	polys  []placed
	bound  orb.Bound
	nx, ny int
	cw, ch float64 // cell width and height in degrees
	cells  [][]int32
}

type placed struct {
	code  string
	geom  orb.MultiPolygon
	bound orb.Bound
	// polyBounds are the bounds of geom's polygons (their outer rings).
	polyBounds []orb.Bound
}

// LoadPlacer reads a GeoJSON FeatureCollection of Polygon and MultiPolygon
// features. Each feature's property codeProp is its region code, which the
// registry must know (normalised as at ingest); features of other geometry
// types are an error, as is an unknown code.
func LoadPlacer(r io.Reader, name, codeProp string, reg *Registry) (*Placer, error) {
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, fmt.Errorf("%s: cannot decode GeoJSON: %w", name, err)
	}
	var polys []placed
	for i, f := range fc.Features {
		raw, ok := f.Properties[codeProp]
		if !ok {
			return nil, fmt.Errorf("%s: feature %d: no property %q", name, i, codeProp)
		}
		code := fmt.Sprint(raw)
		if reg != nil {
			c, ok := reg.Normalize(code)
			if !ok {
				return nil, fmt.Errorf("%s: feature %d: region %s is not in the registry", name, i, code)
			}
			code = c
		}
		var mp orb.MultiPolygon
		switch f.Geometry.Type {
		case "Polygon":
			var c [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("%s: feature %d (%s): bad coordinates: %w", name, i, code, err)
			}
			mp = orb.MultiPolygon{polygon(c)}
		case "MultiPolygon":
			var c [][][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return nil, fmt.Errorf("%s: feature %d (%s): bad coordinates: %w", name, i, code, err)
			}
			for _, pc := range c {
				mp = append(mp, polygon(pc))
			}
		default:
			return nil, fmt.Errorf("%s: feature %d (%s): geometry %q is not a Polygon or MultiPolygon", name, i, code, f.Geometry.Type)
		}
		polys = append(polys, placed{code: code, geom: mp, bound: mp.Bound()})
	}
	return newPlacer(polys)
}

func polygon(rings [][][2]float64) orb.Polygon {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		p[i] = make(orb.Ring, len(r))
		for j, pt := range r {
			p[i][j] = orb.Point(pt)
		}
	}
	return p
}

// newPlacer builds the index. About four cells per polygon keep lookups
// short without much memory.
func newPlacer(polys []placed) (*Placer, error) {
	if len(polys) == 0 {
		return nil, fmt.Errorf("cannot place by coordinates: no polygons")
	}
	for i := range polys {
		q := &polys[i]
		q.polyBounds = make([]orb.Bound, len(q.geom))
		for j, poly := range q.geom {
			if len(poly) == 0 || len(poly[0]) < 4 {
				return nil, fmt.Errorf("cannot place by coordinates: region %s: a polygon with fewer than 4 points", q.code)
			}
			q.polyBounds[j] = poly[0].Bound()
		}
	}
	p := &Placer{polys: polys, bound: polys[0].bound}
	for _, q := range polys[1:] {
		p.bound = p.bound.Union(q.bound)
	}
	side := int(math.Ceil(math.Sqrt(float64(len(polys)) * 64)))
	p.nx, p.ny = side, side
	p.cw = (p.bound.Max[0] - p.bound.Min[0]) / float64(p.nx)
	p.ch = (p.bound.Max[1] - p.bound.Min[1]) / float64(p.ny)
	if p.cw <= 0 || p.ch <= 0 {
		return nil, fmt.Errorf("cannot place by coordinates: the polygons have no area")
	}
	p.cells = make([][]int32, p.nx*p.ny)
	for i, q := range polys {
		x0, y0 := p.cell(q.bound.Min)
		x1, y1 := p.cell(q.bound.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				p.cells[y*p.nx+x] = append(p.cells[y*p.nx+x], int32(i))
			}
		}
	}
	// Smaller polygons first: where boundaries overlap slightly, the more
	// specific unit wins, and small units are tested before large ones.
	for _, c := range p.cells {
		sort.Slice(c, func(a, b int) bool {
			return area(p.polys[c[a]].bound) < area(p.polys[c[b]].bound)
		})
	}
	return p, nil
}

func area(b orb.Bound) float64 { return (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]) }

// cell returns the grid cell of a point, clamped to the grid.
func (p *Placer) cell(pt orb.Point) (int, int) {
	x := int((pt[0] - p.bound.Min[0]) / p.cw)
	y := int((pt[1] - p.bound.Min[1]) / p.ch)
	return min(max(x, 0), p.nx-1), min(max(y, 0), p.ny-1)
}

// Len returns the number of polygons.
func (p *Placer) Len() int { return len(p.polys) }

// Place returns the code of the region whose polygon holds (lon, lat), or
// false when none does.
func (p *Placer) Place(lon, lat float64) (string, bool) {
	pt := orb.Point{lon, lat}
	if !p.bound.Contains(pt) {
		return "", false
	}
	x, y := p.cell(pt)
	for _, i := range p.cells[y*p.nx+x] {
		q := &p.polys[i]
		if q.bound.Contains(pt) && q.contains(pt) {
			return q.code, true
		}
	}
	return "", false
}

// contains is planar.MultiPolygonContains with the polygons' bounds
// computed once: orb's RingContains computes the ring's bound on every
// call, which cost 72 % of a lookup in BenchmarkPlace. The tests compare
// it with orb's function.
func (q *placed) contains(pt orb.Point) bool {
	for i, poly := range q.geom {
		if !q.polyBounds[i].Contains(pt) || !ringContains(poly[0], pt) {
			continue
		}
		inHole := false
		for _, hole := range poly[1:] {
			if ringContains(hole, pt) {
				inHole = true
				break
			}
		}
		if !inHole {
			return true
		}
	}
	return false
}

// ringContains is the even-odd ray cast.
func ringContains(r orb.Ring, pt orb.Point) bool {
	x, y := pt[0], pt[1]
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > y) != (b[1] > y) && x < (b[0]-a[0])*(y-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}
