package composite

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Ranks returns the rank of each score, 1 = highest risk, ties taking the
// minimum rank (COINr ties.method = "min"). NaN scores get rank 0 and are
// not counted.
func Ranks(scores []float64) []int {
	return ranksInto(scores, nil, nil)
}

// ranksInto is Ranks with reusable buffers (idx must have len(scores)
// capacity or be nil).
func ranksInto(scores []float64, dst []int, idx []int) []int {
	if len(dst) != len(scores) {
		dst = make([]int, len(scores))
	}
	idx = idx[:0]
	for i, v := range scores {
		dst[i] = 0
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	for k, i := range idx {
		if k > 0 && scores[i] == scores[idx[k-1]] {
			dst[i] = dst[idx[k-1]]
		} else {
			dst[i] = k + 1
		}
	}
	return dst
}

// MeanAbsRankShift returns R̄_S = mean over units of |rank_nominal −
// rank_alt| (OECD Handbook, COINr), over the units ranked in both (rank >
// 0). It is NaN when no unit is ranked in both.
func MeanAbsRankShift(nominal, alt []int) float64 {
	var s float64
	n := 0
	for i := range nominal {
		if nominal[i] > 0 && alt[i] > 0 {
			s += math.Abs(float64(nominal[i] - alt[i]))
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// UnitStability summarises how one unit fares across the sensitivity
// scenarios.
type UnitStability struct {
	// Scenarios is the number of scenarios in which the unit has a score.
	Scenarios int
	// Agreement is the share of scenarios giving the nominal band.
	Agreement float64
	// Unstable reports Agreement below the threshold ("band unstable", shown
	// with a "±"; never escalated automatically).
	Unstable bool
	// RankMin and RankMax are the best and worst ranks over the scenarios.
	RankMin, RankMax int
	// RankP5 and RankP95 are the 5th and 95th percentile ranks (type 7).
	RankP5, RankP95 float64
}

// Stability computes each unit's band agreement and rank spread from the
// scenario bands and ranks (scenario-major: bands[s][u]). A unit whose
// nominal band is NA gets NaN agreement and is not marked.
func Stability(nominal []Band, bands [][]Band, ranks [][]int, unstableBelow float64) []UnitStability {
	out := make([]UnitStability, len(nominal))
	rs := make([]float64, 0, len(ranks))
	for u := range nominal {
		st := UnitStability{Agreement: math.NaN(), RankP5: math.NaN(), RankP95: math.NaN()}
		agree := 0
		for s := range bands {
			if bands[s][u] == BandNA {
				continue
			}
			st.Scenarios++
			if bands[s][u] == nominal[u] {
				agree++
			}
		}
		if nominal[u] != BandNA && st.Scenarios > 0 {
			st.Agreement = float64(agree) / float64(st.Scenarios)
			st.Unstable = st.Agreement < unstableBelow
		}
		rs = rs[:0]
		for s := range ranks {
			if r := ranks[s][u]; r > 0 {
				rs = append(rs, float64(r))
			}
		}
		if len(rs) > 0 {
			sort.Float64s(rs)
			st.RankMin, st.RankMax = int(rs[0]), int(rs[len(rs)-1])
			st.RankP5 = quantileSorted7(rs, 0.05)
			st.RankP95 = quantileSorted7(rs, 0.95)
		}
		out[u] = st
	}
	return out
}

// quantileSorted7 is R's type-7 quantile of sorted, non-empty values.
func quantileSorted7(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

// SobolDesign is the sample of COINr's SA_sample: N rows of A and B drawn
// uniformly on [0, 1)^d, and for each input i the matrix AB[i] equal to A
// with column i taken from B. The model is run on N(d + 2) rows.
type SobolDesign struct {
	// A and B are the two base samples (N rows of d inputs).
	A, B [][]float64
	// AB[i] is A with column i taken from B.
	AB [][][]float64
}

// NewSobolDesign draws a design for d inputs with n base rows from rng
// (seeded by the caller).
func NewSobolDesign(d, n int, rng *rand.Rand) SobolDesign {
	mk := func() [][]float64 {
		m := make([][]float64, n)
		for r := range m {
			m[r] = make([]float64, d)
			for c := range m[r] {
				m[r][c] = rng.Float64()
			}
		}
		return m
	}
	s := SobolDesign{A: mk(), B: mk(), AB: make([][][]float64, d)}
	for i := 0; i < d; i++ {
		s.AB[i] = make([][]float64, n)
		for r := range s.A {
			row := append([]float64(nil), s.A[r]...)
			row[i] = s.B[r][i]
			s.AB[i][r] = row
		}
	}
	return s
}

// SobolIndices returns first-order and total Sobol indices from model
// outputs on a SobolDesign, with COINr's SA_estimate estimators:
// S_i = mean(y_B·(y_ABi − y_A))/V and S_Ti = Σ(y_A − y_ABi)²/(2N·V), with V
// the sample variance of y_A and y_B pooled. An input the model ignores
// gets exactly 0 for both.
func SobolIndices(yA, yB []float64, yAB [][]float64) (first, total []float64, err error) {
	n := len(yA)
	if n < 2 || len(yB) != n {
		return nil, nil, fmt.Errorf("%w: %d A outputs and %d B outputs", ErrInput, n, len(yB))
	}
	var m float64
	for i := range yA {
		m += yA[i] + yB[i]
	}
	m /= float64(2 * n)
	var v float64
	for i := range yA {
		v += (yA[i]-m)*(yA[i]-m) + (yB[i]-m)*(yB[i]-m)
	}
	v /= float64(2*n - 1)
	if !(v > 0) {
		return nil, nil, fmt.Errorf("%w: output variance is %v", ErrInput, v)
	}
	first = make([]float64, len(yAB))
	total = make([]float64, len(yAB))
	for i, y := range yAB {
		if len(y) != n {
			return nil, nil, fmt.Errorf("%w: AB[%d] has %d outputs, want %d", ErrInput, i, len(y), n)
		}
		var s1, st float64
		for r := range y {
			s1 += yB[r] * (y[r] - yA[r])
			st += (yA[r] - y[r]) * (yA[r] - y[r])
		}
		first[i] = s1 / float64(n) / v
		total[i] = st / float64(2*n) / v
	}
	return first, total, nil
}

func sensitivity(spec Spec, nominal Structure, xEB, xRaw [][]float64, seed uint64, res *Result) error {
	se := spec.Sensitivity
	nU := len(res.Units)
	type input struct {
		name string
		x    [][]float64
	}
	smoothings := []input{{"EB", xEB}}
	if se.Smoothing {
		smoothings = append(smoothings, input{"raw", xRaw})
	}
	var inputs []input
	for _, s := range smoothings {
		inputs = append(inputs, s)
		if se.MinMax {
			vals := func(u, k int) float64 { return res.Units[u].Indicators[k].Value }
			if s.name == "raw" {
				vals = func(u, k int) float64 { return res.Units[u].Indicators[k].Raw }
			}
			inputs = append(inputs, input{s.name + "|minmax", minMaxWithin(spec, vals, nU)})
		}
	}
	nominalBands := make([]Band, nU)
	for u := range res.Units {
		nominalBands[u] = res.Units[u].BandIndex
	}
	var allBands [][]Band
	var allRanks [][]int
	dims := make([]float64, len(nominal.Members))
	idx := make([]int, 0, nU)
	score := func(st Structure, x [][]float64, geo bool, scores []float64, bands []Band) {
		for u := range x {
			dims = st.Dimensions(x[u], dims)
			if geo {
				scores[u] = st.Geometric(dims)
			} else {
				scores[u] = st.Arithmetic(dims)
			}
			bands[u] = spec.Bands.Band(RoundHalfUp1(scores[u]))
		}
	}
	for _, in := range inputs {
		weights := []struct {
			name string
			st   Structure
		}{{string(spec.Weighting.Method), nominal}}
		if se.Weights != "" {
			alt, err := alternativeWeights(nominal, in.x, se.Weights, spec.Weighting)
			if err != nil {
				return fmt.Errorf("cannot draw the alternative weights of %s: %w", in.name, err)
			}
			weights = append(weights, struct {
				name string
				st   Structure
			}{string(se.Weights), alt})
		}
		for _, w := range weights {
			aggs := []string{"geo"}
			if se.Aggregation {
				aggs = append(aggs, "arith")
			}
			for _, agg := range aggs {
				sc := Scenario{Name: in.name + "|" + w.name + "|" + agg, Scores: make([]float64, nU), Bands: make([]Band, nU)}
				score(w.st, in.x, agg == "geo", sc.Scores, sc.Bands)
				sc.Ranks = ranksInto(sc.Scores, nil, idx)
				res.Scenarios = append(res.Scenarios, sc)
				allBands = append(allBands, sc.Bands)
				allRanks = append(allRanks, sc.Ranks)
			}
		}
	}
	nominalRanks := res.Scenarios[0].Ranks
	for i := range res.Scenarios {
		res.Scenarios[i].MeanAbsRankShift = MeanAbsRankShift(nominalRanks, res.Scenarios[i].Ranks)
	}
	nGrid := len(allBands)

	res.Noise = NoiseSummary{Draws: se.NoiseDraws, Factor: se.NoiseFactor, MeanAbsRankShift: math.NaN()}
	if se.NoiseDraws > 0 {
		rng := rand.New(rand.NewPCG(seed, RNGStream))
		dimOf := nominal.dimOf()
		iw := make([]float64, len(nominal.IndicatorWeights))
		sub := make([]float64, 0, len(iw))
		var shift float64
		for range se.NoiseDraws {
			for _, m := range nominal.Members {
				sub = sub[:0]
				for _, i := range m {
					sub = append(sub, nominal.IndicatorWeights[i])
				}
				for j, v := range Noisy(sub, se.NoiseFactor, rng) {
					iw[m[j]] = v
				}
			}
			dw := Noisy(nominal.DimensionWeights, se.NoiseFactor, rng)
			st, err := NewStructure(dimOf, iw, dw, nominal.Floor, nominal.MinShare)
			if err != nil {
				return fmt.Errorf("cannot build the structure of the noisy weights: %w", err)
			}
			scores := make([]float64, nU)
			bands := make([]Band, nU)
			score(st, xEB, true, scores, bands)
			ranks := ranksInto(scores, nil, idx)
			shift += MeanAbsRankShift(nominalRanks, ranks)
			allBands = append(allBands, bands)
			allRanks = append(allRanks, ranks)
		}
		res.Noise.MeanAbsRankShift = shift / float64(se.NoiseDraws)
	}

	all := Stability(nominalBands, allBands, allRanks, se.UnstableBelow)
	grid := Stability(nominalBands, allBands[:nGrid], allRanks[:nGrid], se.UnstableBelow)
	var noise []UnitStability
	if len(allBands) > nGrid {
		noise = Stability(nominalBands, allBands[nGrid:], allRanks[nGrid:], se.UnstableBelow)
	}
	for u := range res.Units {
		us := UnitSensitivity{UnitStability: all[u], AgreementGrid: grid[u].Agreement, AgreementNoise: math.NaN()}
		if noise != nil {
			us.AgreementNoise = noise[u].Agreement
		}
		res.Units[u].Sensitivity = us
	}
	return nil
}
