package emerging

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestShinglesAreFNV1aOfTheRunes: each shingle is the 64-bit FNV-1a hash
// (hash/fnv) of the UTF-8 bytes of k consecutive Han characters, sorted,
// each once; a text shorter than k is one shingle of all of it.
func TestShinglesAreFNV1aOfTheRunes(t *testing.T) {
	ref := func(text string, k int) []uint64 {
		rs := Normalize(text)
		if len(rs) < k {
			k = len(rs)
		}
		var out []uint64
		for i := 0; k > 0 && i+k <= len(rs); i++ {
			h := fnv.New64a()
			h.Write([]byte(string(rs[i : i+k])))
			if v := h.Sum64(); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		text string
		k    int
	}{
		{"拖欠工资拖欠工资，36名农民工讨薪", 2},
		{"邻居装修噪音扰民，多次协商未果。", 3},
		{"噪音", 3},
		{"abc 123", 2},
		{"", 2},
	} {
		got, want := shingles(c.text, c.k), ref(c.text, c.k)
		if !slices.Equal(got, want) {
			t.Errorf("shingles(%q, %d) = %v, want %v", c.text, c.k, got, want)
		}
	}
	if n := len(shingles("拖欠工资拖欠工资", 2)); n != 4 {
		t.Errorf("拖欠工资拖欠工资 has %d distinct 2-shingles, want 4 (拖欠 欠工 工资 资拖)", n)
	}
}

// BenchmarkShingles: the shingles of one summary-length text.
func BenchmarkShingles(b *testing.B) {
	text := "某村民反映邻居装修噪音扰民，多次协商未果，要求社区综治中心协调处理，并希望尽快解决。"
	for b.Loop() {
		shingles(text, 2)
	}
}

// TestAlikeIsTheJaccardThreshold: alike agrees with jaccard >= t on
// sets of many sizes and overlaps, at and around the thresholds.
func TestAlikeIsTheJaccardThreshold(t *testing.T) {
	set := func(from, n int) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = uint64(from + i)
		}
		return out
	}
	checked := 0
	for _, th := range []float64{0.2, 0.25, 0.5, 1.0 / 3, 0.9, 1} {
		for la := 0; la <= 12; la++ {
			for lb := 0; lb <= 12; lb++ {
				for off := 0; off <= la; off++ {
					a, b := set(0, la), set(off, lb)
					if got, want := alike(a, b, th), jaccard(a, b) >= th; got != want {
						t.Fatalf("alike(%v, %v, %v) = %v, jaccard %v", a, b, th, got, jaccard(a, b))
					}
					checked++
				}
			}
		}
	}
	if checked < 5000 {
		t.Fatalf("only %d cases checked", checked)
	}
}

// TestAlikeOnRandomSets: alike agrees with jaccard >= t on random sets of
// a small universe (interleaved overlaps of every size), at thresholds
// whose least intersection falls on and between integers.
func TestAlikeOnRandomSets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	set := func(n, universe int) []uint64 { return randomSet(r, n, universe) }
	ths := []float64{0, 0.1, 0.2, 0.25, 1.0 / 3, 0.5, 2.0 / 3, 0.9, 1, 1.5}
	yes, no := 0, 0
	for k := 0; k < 40000; k++ {
		universe := 5 + r.IntN(120)
		a, b := set(r.IntN(min(universe, 60)+1), universe), set(r.IntN(min(universe, 60)+1), universe)
		th := ths[k%len(ths)]
		if k%3 == 0 {
			th = r.Float64()
		}
		want := jaccard(a, b) >= th
		if got := alike(a, b, th); got != want {
			t.Fatalf("alike(%v, %v, %v) = %v, jaccard %v", a, b, th, got, jaccard(a, b))
		}
		if want {
			yes++
		} else {
			no++
		}
	}
	if yes < 5000 || no < 5000 {
		t.Fatalf("too one-sided a sample: %d alike, %d not", yes, no)
	}
}

// BenchmarkAlike compares summary-sized shingle sets (40–80 of a universe
// of 4,000 bigrams, so most pairs share a few) at the default threshold.
func BenchmarkAlike(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 5))
	sets := make([][]uint64, 256)
	for i := range sets {
		n := 40 + r.IntN(41)
		seen := map[uint64]bool{}
		for len(seen) < n {
			seen[uint64(r.IntN(4000))] = true
		}
		for v := range seen {
			sets[i] = append(sets[i], v)
		}
		slices.Sort(sets[i])
	}
	th := DefaultOptions().Threshold
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		if alike(sets[i%256], sets[(i*7+1)%256], th) {
			n++
		}
	}
	_ = n
}

// TestMayBeAlikeNeverHidesAMember: whenever mayBeAlike refuses a set, no
// member of the group is alike to it by jaccard >= t (so the baseline
// count is unchanged), and it does refuse most unrelated sets.
func TestMayBeAlikeNeverHidesAMember(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	set := func(n, universe int) []uint64 { return randomSet(r, n, universe) }
	refused, kept, alikeSeen := 0, 0, 0
	for k := 0; k < 20000; k++ {
		universe := 10 + r.IntN(300)
		var ds []doc
		var idx []int
		for i := 0; i < 1+r.IntN(6); i++ {
			ds = append(ds, doc{set: set(1+r.IntN(min(universe, 40)), universe)})
			idx = append(idx, i)
		}
		b := set(1+r.IntN(min(universe, 40)), universe)
		th := []float64{0.1, 0.2, 0.3, 0.5, 0.8}[k%5]
		union, smallest := unionOf(ds, idx)
		any := false
		for _, d := range ds {
			if jaccard(b, d.set) >= th {
				any = true
			}
		}
		if any {
			alikeSeen++
		}
		if !mayBeAlike(b, union, smallest, th) {
			refused++
			if any {
				t.Fatalf("mayBeAlike(%v) refused a set alike (t %v) to a member of %v", b, th, ds)
			}
		} else {
			kept++
		}
	}
	if refused < 2000 || kept < 2000 || alikeSeen < 1000 {
		t.Fatalf("too one-sided a sample: %d refused, %d kept, %d alike", refused, kept, alikeSeen)
	}
}

// randomSet returns n distinct values below universe drawn from r, sorted
// (a shingle set of the detector's form).
func randomSet(r *rand.Rand, n, universe int) []uint64 {
	seen := map[uint64]bool{}
	for len(seen) < n {
		seen[uint64(r.IntN(universe))] = true
	}
	out := make([]uint64, 0, n)
	for v := range seen {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
