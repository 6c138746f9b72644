package alarm

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// The benchmarks run each detector over 10,000 weekly series of 104 weeks
// (two years); one b.N iteration is the whole set. Run them with
// -benchtime 1x (or 3x): go test -run '^$' -bench . -benchtime 1x ./indices/alarm/
const (
	benchSeries = 10000
	benchWeeks  = 104
)

var (
	benchOnce sync.Once
	benchData [][]float64
)

// benchSet returns the synthetic series: Poisson counts around a seasonal
// mean whose level differs per series (from about 0.3 to 20 cases a week),
// with an outbreak in the second year of every tenth series. Seeded, so
// every run sees the same data.
func benchSet() [][]float64 {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(2024, 11))
		benchData = make([][]float64, benchSeries)
		for s := range benchData {
			level := math.Exp(-1.2 + 4.2*rng.Float64())
			y := make([]float64, benchWeeks)
			for t := range y {
				mu := level * math.Exp(0.5*math.Sin(2*math.Pi*float64(t+1)/52))
				if s%10 == 0 && t >= 80 && t < 86 {
					mu *= 3
				}
				y[t] = poissonDraw(rng, mu)
			}
			benchData[s] = y
		}
	})
	return benchData
}

// poissonDraw is Knuth's multiplication method (the means here are small).
func poissonDraw(rng *rand.Rand, mu float64) float64 {
	l := math.Exp(-mu)
	k, p := 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// benchDetector runs fn on every series per iteration and reports the
// monitored points per second.
func benchDetector(b *testing.B, fn func([]float64) ([]Point, error)) {
	data := benchSet()
	b.ReportAllocs()
	b.ResetTimer()
	points := 0
	for i := 0; i < b.N; i++ {
		points = 0
		for _, y := range data {
			pts, err := fn(y)
			if err != nil {
				b.Fatal(err)
			}
			points += len(pts)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(points), "points/op")
	b.ReportMetric(float64(points)*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

func BenchmarkEARSC1(b *testing.B) {
	benchDetector(b, func(y []float64) ([]Point, error) { return EARS(y, EARSOptions{Method: "C1"}) })
}

func BenchmarkEARSC2(b *testing.B) {
	benchDetector(b, func(y []float64) ([]Point, error) { return EARS(y, EARSOptions{Method: "C2"}) })
}

func BenchmarkEARSC3(b *testing.B) {
	benchDetector(b, func(y []float64) ([]Point, error) { return EARS(y, EARSOptions{Method: "C3"}) })
}

// BenchmarkCUSUM monitors weeks 53–104 with m the mean of the first year.
func BenchmarkCUSUM(b *testing.B) {
	o := DefaultCUSUMOptions()
	benchDetector(b, func(y []float64) ([]Point, error) {
		pts, err := CUSUM(y, o)
		if err != nil && y[0] == 0 { // a first year of zeros has no m
			return nil, nil
		}
		return pts, err
	})
}

// BenchmarkFarringtonFlexible uses the only b two years allow (b = 1,
// w = 3: weeks 56–104) with the 1996-style controls.
func BenchmarkFarringtonFlexible(b *testing.B) {
	o := DefaultFarringtonFlexibleOptions()
	o.B = 1
	benchDetector(b, func(y []float64) ([]Point, error) { return FarringtonFlexible(y, o) })
}

// BenchmarkFarringtonFlexibleNoufaily adds the Noufaily options: 10
// seasonal periods, 26 weeks left out, nbPlugin threshold.
func BenchmarkFarringtonFlexibleNoufaily(b *testing.B) {
	o := DefaultFarringtonFlexibleOptions()
	o.B, o.NoPeriods, o.PastWeeksNotIncluded, o.ThresholdMethod, o.PThresholdTrend = 1, 10, 26, "nbPlugin", 1
	benchDetector(b, func(y []float64) ([]Point, error) { return FarringtonFlexible(y, o) })
}

// BenchmarkFarringtonLegacy is algo.farrington with b = 1 (weeks 49–104).
func BenchmarkFarringtonLegacy(b *testing.B) {
	o := DefaultFarringtonLegacyOptions()
	o.B = 1
	benchDetector(b, func(y []float64) ([]Point, error) { return FarringtonLegacy(y, o) })
}

// BenchmarkGLRNB estimates μ0 and α with glm.nb on the first year and
// monitors weeks 53–104 (algo.glrnb's defaults).
func BenchmarkGLRNB(b *testing.B) {
	o := DefaultGLRNBOptions()
	benchDetector(b, func(y []float64) ([]Point, error) {
		pts, err := GLRNB(y, o)
		if err != nil {
			// A first year that glm.nb cannot fit (all zeros, or no
			// overdispersion to estimate) is skipped, as a job would.
			return nil, nil
		}
		return pts, nil
	})
}

// BenchmarkGLRNBKnownMu0 runs the chart alone with μ0 and α given.
func BenchmarkGLRNBKnownMu0(b *testing.B) {
	o := DefaultGLRNBOptions()
	o.Alpha, o.RangeStart = 0.2, 53
	mu0 := make([]float64, benchWeeks)
	benchDetector(b, func(y []float64) ([]Point, error) {
		m, _ := meanSD(y[:52])
		for i := range mu0 {
			mu0[i] = math.Max(m, 0.1) * math.Exp(0.5*math.Sin(2*math.Pi*float64(i+1)/52))
		}
		o.Mu0 = mu0
		return GLRNB(y, o)
	})
}

// BenchmarkBayes2 is algo.bayes2 (b = 1, w = 6: weeks 59–104).
func BenchmarkBayes2(b *testing.B) {
	o := Bayes2Options()
	benchDetector(b, func(y []float64) ([]Point, error) { return Bayes(y, o) })
}
