package spatial_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
	"github.com/riskwatch/riskwatch/schemas"
)

// tongliaoVillages returns sibling weights over Tongliao's villages
// (neighbours = villages of the same town) and a fixed pseudo-random count
// per village.
func tongliaoVillages(b *testing.B) (*spatial.Weights, []float64) {
	b.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		b.Fatal(err)
	}
	villages := reg.AtLevel(schemas.LevelVillage)
	parent := make(map[string]string, len(villages))
	for _, v := range villages {
		parent[v.Code] = v.Parent
	}
	w, err := spatial.FromHierarchy(parent)
	if err != nil {
		b.Fatal(err)
	}
	if w.Len() != 2561 {
		b.Fatalf("%d villages, want 2561", w.Len())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, w.Len())
	for i := range y {
		y[i] = float64(rng.IntN(20))
	}
	return w, y
}

// BenchmarkGiStarTongliaoVillages is Gi* (binary, self included) over
// Tongliao's 2,561 villages with sibling weights.
func BenchmarkGiStarTongliaoVillages(b *testing.B) {
	w, y := tongliaoVillages(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := spatial.GiStar(y, w, spatial.GiOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGiStarRowTongliaoVillages is the row-standardised variant.
func BenchmarkGiStarRowTongliaoVillages(b *testing.B) {
	w, y := tongliaoVillages(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spatial.GiStar(y, w, spatial.GiOptions{Transform: spatial.RowStandardized}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFromHierarchyTongliaoVillages builds the sibling weights.
func BenchmarkFromHierarchyTongliaoVillages(b *testing.B) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		b.Fatal(err)
	}
	parent := map[string]string{}
	for _, v := range reg.AtLevel(schemas.LevelVillage) {
		parent[v.Code] = v.Parent
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spatial.FromHierarchy(parent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadGeoJSONQueenTongliao reads and joins the 8 banner outlines.
func BenchmarkReadGeoJSONQueenTongliao(b *testing.B) {
	data, err := os.ReadFile(sharedPath(b, "data/geo/150500_full.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spatial.ReadGeoJSONQueen(bytes.NewReader(data), "150500_full.json", spatial.QueenOptions{IDProperty: "adcode"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMannKendall104 is the trend test on two years of weekly values.
func BenchmarkMannKendall104(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 104)
	for i := range x {
		x[i] = float64(rng.IntN(10))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := spatial.MannKendall(x); err != nil {
			b.Fatal(err)
		}
	}
}
