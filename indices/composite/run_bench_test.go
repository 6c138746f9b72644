package composite_test

import (
	"math/rand/v2"
	"testing"

	"github.com/riskwatch/riskwatch/indices/composite"
)

// benchTowns returns n towns with random but seeded counts of the size of
// a county's towns (population 3,000–90,000, about 22 cases per 10,000).
func benchTowns(n int, seed uint64) []composite.Unit {
	rng := rand.New(rand.NewPCG(seed, 1))
	binom := func(total, p float64) float64 {
		k := 0.0
		for range int(total) {
			if rng.Float64() < p {
				k++
			}
		}
		return k
	}
	units := make([]composite.Unit, n)
	for i := range units {
		pop := float64(3000 + rng.IntN(87000))
		accepted := float64(1 + int(pop*0.0022*(0.5+rng.Float64())))
		handled := binom(accepted, 0.8+0.15*rng.Float64())
		evaluated := binom(handled, 0.85)
		c := composite.TownCounts{
			Population: pop, Accepted: accepted, Baseline: float64(int(accepted * (0.7 + 0.6*rng.Float64()))),
			Difficult: binom(accepted, 0.09), Group: binom(accepted, 0.05), HighAmount: binom(accepted, 0.11*rng.Float64()*2),
			Sensitive: binom(accepted, 0.2), Repeat: binom(accepted, 0.1), Escalated: binom(accepted, 0.06),
			Overdue: binom(accepted, 0.09), Due: accepted, CohortAccepted: accepted, CohortHandled: handled,
			Evaluated: evaluated, Satisfied: binom(evaluated, 0.9),
		}
		units[i] = composite.Unit{ID: "town" + string(rune('A'+i/26)) + string(rune('a'+i%26)), Counts: composite.SCRICounts(c),
			Previous: &composite.Previous{State: &composite.BandState{Band: composite.Band(rng.IntN(5))}}}
	}
	return units
}

// BenchmarkRun143Towns is one full SCRI v0 run over 143 towns with the
// default sensitivity analysis: the 8-scenario grid and 200 weight-noise
// draws.
func BenchmarkRun143Towns(b *testing.B) {
	units := benchTowns(143, 42)
	spec := composite.DefaultSpec()
	if spec.Sensitivity.NoiseDraws != 200 {
		b.Fatalf("default noise draws %d", spec.Sensitivity.NoiseDraws)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := composite.Run(spec, units, 20240601)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Units) != 143 || res.Units[0].Sensitivity.Scenarios == 0 {
			b.Fatal("incomplete result")
		}
	}
}
