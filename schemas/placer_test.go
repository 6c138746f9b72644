package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestPlaceTongliaoCountySeats(t *testing.T) {
	reg, err := LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadPlacer(bytes.NewReader(TongliaoCountyGeoJSON()), "150500_full.json", "adcode", reg)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Properties struct {
				Adcode int        `json:"adcode"`
				Name   string     `json:"name"`
				Center [2]float64 `json:"center"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(TongliaoCountyGeoJSON(), &fc); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 8 || len(fc.Features) != 8 {
		t.Fatalf("%d polygons, %d features", p.Len(), len(fc.Features))
	}
	// Each county's seat (the GeoJSON's center property) lies in it.
	for _, f := range fc.Features {
		want := fmt.Sprintf("%d000000", f.Properties.Adcode)
		got, ok := p.Place(f.Properties.Center[0], f.Properties.Center[1])
		if !ok || got != want {
			t.Errorf("%s seat %v: placed in %q %v, want %s", f.Properties.Name, f.Properties.Center, got, ok, want)
		}
	}
	// Beijing is not in Tongliao.
	if code, ok := p.Place(116.4, 39.9); ok {
		t.Errorf("Beijing placed in %s", code)
	}
}

func TestLoadPlacerErrors(t *testing.T) {
	reg, _ := LoadTongliao()
	for _, c := range []struct{ in, want string }{
		{`{"features":[{"properties":{"adcode":999999},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`, "feature 0: region 999999 is not in the registry"},
		{`{"features":[{"properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}`, `feature 0: no property "adcode"`},
		{`{"features":[{"properties":{"adcode":150502},"geometry":{"type":"Point","coordinates":[0,0]}}]}`, `geometry "Point" is not a Polygon or MultiPolygon`},
		{`{"features":[]}`, "no polygons"},
	} {
		if _, err := LoadPlacer(strings.NewReader(c.in), "x.geojson", "adcode", reg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}

// wigglyGrid makes n×n polygons over a 0.5° square (about New York's
// extent), each with 16 vertices a side; neighbours share their wiggly
// edges, so the polygons tile the square without gaps or overlaps.
func wigglyGrid(n int) *Placer {
	const x0, y0, size, k = -74.25, 40.5, 0.5, 16
	w := size / float64(n)
	// offset moves a point of an edge across it; zero at the corners.
	offset := func(a, b float64, t int) float64 {
		return 0.2 * w * math.Sin(math.Pi*float64(t)/k) * math.Sin(a*977+b*613)
	}
	var polys []placed
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			var ring orb.Ring
			xa, ya := x0+float64(i)*w, y0+float64(j)*w
			for t := 0; t < k; t++ { // bottom, left to right
				x := xa + float64(t)*w/k
				ring = append(ring, orb.Point{x, ya + offset(xa, ya, t)})
			}
			for t := 0; t < k; t++ { // right, bottom to top
				ring = append(ring, orb.Point{xa + w + offset(xa+w, ya, t), ya + float64(t)*w/k})
			}
			for t := k; t > 0; t-- { // top, right to left
				ring = append(ring, orb.Point{xa + float64(t)*w/k, ya + w + offset(xa, ya+w, t)})
			}
			for t := k; t > 0; t-- { // left, top to bottom
				ring = append(ring, orb.Point{xa + offset(xa, ya, t), ya + float64(t)*w/k})
			}
			ring = append(ring, ring[0])
			mp := orb.MultiPolygon{orb.Polygon{ring}}
			polys = append(polys, placed{code: fmt.Sprintf("U%03d", j*n+i), geom: mp, bound: mp.Bound()})
		}
	}
	p, err := newPlacer(polys)
	if err != nil {
		panic(err)
	}
	return p
}

func TestWigglyGridPlacesEveryPointOnce(t *testing.T) {
	p := wigglyGrid(20)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		// Inside the outer edges, which wiggle by up to a fifth of a unit.
		lon, lat := -74.25+0.01+0.48*rng.Float64(), 40.5+0.01+0.48*rng.Float64()
		code, ok := p.Place(lon, lat)
		if !ok {
			t.Fatalf("(%v, %v) not placed", lon, lat)
		}
		// orb's own test over every polygon gives the same unit.
		n := 0
		for i := range p.polys {
			if planar.MultiPolygonContains(p.polys[i].geom, orb.Point{lon, lat}) {
				n++
				if p.polys[i].code != code {
					t.Fatalf("(%v, %v): index says %s, orb %s", lon, lat, code, p.polys[i].code)
				}
			}
		}
		if n != 1 {
			t.Fatalf("(%v, %v) lies in %d polygons", lon, lat, n)
		}
	}
}

// BenchmarkPlace places random points in a city of 400 polygons of 64
// vertices; it reports records placed per second on one goroutine.
func BenchmarkPlace(b *testing.B) {
	p := wigglyGrid(20)
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([][2]float64, 1<<16)
	for i := range pts {
		pts[i] = [2]float64{-74.25 + 0.01 + 0.48*rng.Float64(), 40.5 + 0.01 + 0.48*rng.Float64()}
	}
	placedN := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pt := pts[i&(len(pts)-1)]
		if _, ok := p.Place(pt[0], pt[1]); ok {
			placedN++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if placedN != b.N {
		b.Fatalf("%d of %d placed", placedN, b.N)
	}
}
