package emerging

import (
	"hash/fnv"
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
