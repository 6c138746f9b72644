package demo

import (
	"math"
	"math/rand/v2"
)

// splitmix is a SplitMix64 generator: eight bytes of state, fast, and good
// enough for synthetic data. It implements rand.Source, so a *rand.Rand on
// top of it gives the usual distributions; reseeding is assigning s.
type splitmix struct{ s uint64 }

// Uint64 returns the next value.
func (r *splitmix) Uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// stream is a reseedable random stream. It must not be copied: r points at
// src.
type stream struct {
	src splitmix
	r   *rand.Rand
}

func newStream(seed uint64) *stream {
	s := &stream{src: splitmix{seed}}
	s.r = rand.New(&s.src)
	return s
}

// reseed restarts the stream at seed.
func (s *stream) reseed(seed uint64) { s.src.s = seed }

// fmix is the SplitMix64 finalizer: a bijective mixing of 64 bits.
func fmix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// mix derives a seed from a parent seed and up to three coordinates, so
// that every day, stratum and case has its own independent stream.
func mix(seed, a, b, c uint64) uint64 {
	h := fmix(seed ^ 0x243f6a8885a308d3)
	h = fmix(h ^ (a + 0x13198a2e03707344))
	h = fmix(h ^ (b + 0xa4093822299f31d0))
	return fmix(h ^ (c + 0x082efa98ec4e6c89))
}

// Seed tags keep the derived streams of different purposes apart.
const (
	tagDay      = 1
	tagBaseline = 2
	tagOutbreak = 3
	tagPlan     = 4
	tagLeaves   = 5
)

// poisson draws a Poisson variate: inversion below 30 (one uniform draw),
// a rounded normal approximation above, which is plenty for synthetic
// counts.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda < 30 {
		p := math.Exp(-lambda)
		cum, u, k := p, r.Float64(), 0
		for u > cum && k < 200 {
			k++
			p *= lambda / float64(k)
			cum += p
		}
		return k
	}
	x := math.Floor(lambda + math.Sqrt(lambda)*r.NormFloat64() + 0.5)
	if x < 0 {
		return 0
	}
	return int(x)
}

// pick returns an index drawn from the cumulative weights cum (increasing,
// last = total).
func pick(r *rand.Rand, cum []float64) int {
	u := r.Float64() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > u {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// choose returns an index drawn with the given probabilities (summing to
// about 1; the last index takes the rest).
func choose(r *rand.Rand, probs []float64) int {
	u := r.Float64()
	for i, p := range probs {
		if u < p {
			return i
		}
		u -= p
	}
	return len(probs) - 1
}

// lognormal draws exp(N(ln median, sigma²)).
func lognormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// uniform draws from [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*r.Float64()
}
