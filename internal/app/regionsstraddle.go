package app

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// shape is the polygon of one unit or parent of `regions build`.
type shape struct {
	code  string
	geom  orb.MultiPolygon
	bound orb.Bound
}

// multiPolygon returns the polygons of a GeoJSON geometry (Polygon or
// MultiPolygon); ok is false for any other type.
func multiPolygon(g orb.Geometry) (orb.MultiPolygon, bool) {
	switch x := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{x}, true
	case orb.MultiPolygon:
		return x, true
	}
	return nil, false
}

// parentAt returns the code of the first parent shape that holds pt, ""
// when none does.
func parentAt(parents []shape, pt orb.Point) string {
	for i := range parents {
		p := &parents[i]
		if p.bound.Contains(pt) && planar.MultiPolygonContains(p.geom, pt) {
			return p.code
		}
	}
	return ""
}

// shareGrid is the side of the grid of sample points over a unit's bounds:
// the area shares are those of the points inside the unit (about 1,000 to
// 2,500 for most shapes: a share is known to about a tenth of a percent
// of the unit's area).
const shareGrid = 50

// areaShares estimates which share of unit's area lies in each parent: a
// regular grid of points over the unit's bounds, those inside the unit
// placed in the parents ("" = in none). Over a unit the size of a city
// district, degrees of longitude and latitude keep one ratio, so shares of
// points are shares of area. Each grid row is one scan line: the edges
// crossing it are found once per shape (even-odd rule, holes included).
func areaShares(unit orb.MultiPolygon, parents []shape) (map[string]float64, int) {
	b := unit.Bound()
	var near []shape
	for _, p := range parents {
		if p.bound.Intersects(b) {
			near = append(near, p)
		}
	}
	counts, n := map[string]int{}, 0
	dx, dy := (b.Max[0]-b.Min[0])/shareGrid, (b.Max[1]-b.Min[1])/shareGrid
	var ux []float64
	px := make([][]float64, len(near))
	for j := 0; j < shareGrid; j++ {
		y := b.Min[1] + (float64(j)+0.5)*dy
		ux = crossings(unit, y, ux)
		for k := range near {
			px[k] = crossings(near[k].geom, y, px[k])
		}
		for i := 0; i < shareGrid; i++ {
			x := b.Min[0] + (float64(i)+0.5)*dx
			if !inside(ux, x) {
				continue
			}
			n++
			in := ""
			for k := range near {
				if inside(px[k], x) {
					in = near[k].code
					break
				}
			}
			counts[in]++
		}
	}
	shares := map[string]float64{}
	for c, k := range counts {
		shares[c] = float64(k) / float64(n)
	}
	return shares, n
}

// crossings returns, sorted, the x of every edge of mp that crosses the
// horizontal line at y (an edge holds its lower end, not its upper one),
// reusing buf.
func crossings(mp orb.MultiPolygon, y float64, buf []float64) []float64 {
	buf = buf[:0]
	for _, p := range mp {
		for _, r := range p {
			for i := range r {
				a, b := r[i], r[(i+1)%len(r)]
				if (a[1] > y) != (b[1] > y) {
					buf = append(buf, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
				}
			}
		}
	}
	sort.Float64s(buf)
	return buf
}

// inside says whether x lies inside the shape on a scan line whose
// crossings are xs: an odd number of crossings lie before it.
func inside(xs []float64, x float64) bool { return sort.SearchFloat64s(xs, x)%2 == 1 }

// recordShares places the records of a CSV (a unit code column, latitude
// and longitude) in the parents: per unit code (written through codeOf),
// how many records fall in each parent ("" = in none). Rows without
// coordinates are skipped; so are 0,0 coordinates (a common "unknown").
func recordShares(path, codeCol, latCol, lonCol string, codeOf func(string) string, parents []shape) (map[string]map[string]int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	h, err := cr.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: cannot read the header: %w", path, err)
	}
	col := map[string]int{}
	for i, c := range h {
		col[strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))] = i
	}
	ci, okc := col[codeCol]
	yi, oky := col[latCol]
	xi, okx := col[lonCol]
	if !okc || !oky || !okx {
		return nil, 0, fmt.Errorf("%s line 1: needs the columns %s, %s and %s", path, codeCol, latCol, lonCol)
	}
	out := map[string]map[string]int{}
	placed := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, placed, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		if ci >= len(rec) || yi >= len(rec) || xi >= len(rec) {
			continue
		}
		code := strings.TrimSpace(rec[ci])
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(rec[yi]), 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(rec[xi]), 64)
		if code == "" || err1 != nil || err2 != nil || (lat == 0 && lon == 0) {
			continue
		}
		code = codeOf(code)
		if out[code] == nil {
			out[code] = map[string]int{}
		}
		out[code][parentAt(parents, orb.Point{lon, lat})]++
		placed++
	}
}

// side is one parent's part of a unit.
type side struct {
	parent string
	share  float64
	n      int
}

// sides orders a unit's parts, largest first (ties by code), leaving out
// the part in no parent.
func sides(shares map[string]float64, counts map[string]int) []side {
	var out []side
	for c, s := range shares {
		if c != "" {
			out = append(out, side{parent: c, share: s, n: counts[c]})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].share != out[j].share {
			return out[i].share > out[j].share
		}
		return out[i].parent < out[j].parent
	})
	return out
}

// straddles says whether at least two parents each hold min or more of a
// unit.
func straddles(s []side, min float64) bool { return len(s) >= 2 && s[1].share >= min }

// formatSides writes the parts as "P1 81.2 %, P2 18.8 %" (with counts when
// withCounts: "P1 930 (93.0 %)"), and the part in no parent last.
func formatSides(s []side, outside float64, outsideN int, withCounts bool) string {
	var parts []string
	for _, x := range s {
		if withCounts {
			parts = append(parts, fmt.Sprintf("%s %d (%.1f %%)", x.parent, x.n, 100*x.share))
		} else {
			parts = append(parts, fmt.Sprintf("%s %.1f %%", x.parent, 100*x.share))
		}
	}
	if outside > 0 {
		if withCounts {
			parts = append(parts, fmt.Sprintf("in no parent %d (%.1f %%)", outsideN, 100*outside))
		} else {
			parts = append(parts, fmt.Sprintf("in no parent %.1f %%", 100*outside))
		}
	}
	return strings.Join(parts, ", ")
}
