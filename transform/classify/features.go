package classify

import (
	"math"
	"unicode"
)

// FeatureConfig says how text becomes a feature vector. It is stored in
// the model, so that prediction extracts the features training saw.
type FeatureConfig struct {
	// MinN and MaxN bound the character n-grams, in runes.
	MinN, MaxN int
	// Bits is the log2 of the number of hash buckets.
	Bits int
	// MinDF drops the buckets seen in fewer training texts (their IDF is
	// zero): features seen once carry noise rather than signal.
	MinDF int
}

// DefaultFeatures is the feature configuration of Train when none is given.
var DefaultFeatures = FeatureConfig{MinN: 1, MaxN: 3, Bits: 18, MinDF: 2}

func (c FeatureConfig) valid() bool {
	return c.MinN >= 1 && c.MaxN >= c.MinN && c.MaxN <= 8 && c.Bits >= 8 && c.Bits <= 24 && c.MinDF >= 1
}

// boundary stands for any run of characters that are neither letters nor
// digits (spaces, punctuation): n-grams keep word and clause boundaries.
const boundary = ' '

// normalise maps text to the rune sequence the n-grams are taken from:
// full-width ASCII to half-width, letters to lower case, every digit to
// '0' (amounts and numbers identify nothing), and every run of other
// characters to one boundary. buf is reused and returned.
func normalise(text string, buf []rune) []rune {
	buf = buf[:0]
	prevBoundary := true
	for _, r := range text {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		switch {
		case r >= '0' && r <= '9', unicode.IsDigit(r):
			r = '0'
		case r < 0x80 && r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r < 0x80 && r >= 'a' && r <= 'z':
		case r >= 0x80 && unicode.IsLetter(r):
			r = unicode.ToLower(r)
		default:
			if !prevBoundary {
				buf = append(buf, boundary)
				prevBoundary = true
			}
			continue
		}
		buf = append(buf, r)
		prevBoundary = false
	}
	if n := len(buf); n > 0 && buf[n-1] == boundary {
		buf = buf[:n-1]
	}
	return buf
}

// FNV-1a constants (32-bit).
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// buckets appends to dst the hash bucket of every n-gram of runes, one per
// occurrence. A lone boundary is no feature.
func (c FeatureConfig) buckets(runes []rune, dst []uint32) []uint32 {
	mask := uint32(1)<<c.Bits - 1
	for i := range runes {
		h := uint32(fnvOffset)
		for n := 1; n <= c.MaxN && i+n <= len(runes); n++ {
			r := uint32(runes[i+n-1])
			h = (h ^ (r & 0xFF)) * fnvPrime
			h = (h ^ (r >> 8)) * fnvPrime
			h = (h ^ (r >> 16)) * fnvPrime
			if n < c.MinN || (n == 1 && runes[i] == boundary) {
				continue
			}
			// Mix once more so that close n-grams spread over the buckets.
			x := h ^ h>>15
			x *= 0x2c1b3c6d
			x ^= x >> 12
			dst = append(dst, x&mask)
		}
	}
	return dst
}

// counter counts bucket occurrences in an open-addressing table that is
// reused across texts without clearing (a slot belongs to the current text
// when its stamp is gen).
type counter struct {
	keys   []uint32
	counts []uint32
	stamps []uint32
	gen    uint32
	uniq   []int32 // slots in order of first occurrence
}

// count tallies bs; afterwards c.uniq lists the slots of distinct buckets.
func (c *counter) count(bs []uint32) {
	size := 256
	for size < 2*len(bs) {
		size *= 2
	}
	if len(c.keys) < size {
		c.keys, c.counts, c.stamps = make([]uint32, size), make([]uint32, size), make([]uint32, size)
		c.gen = 0
	}
	c.gen++
	if c.gen == 0 { // wrapped: every stamp may look current
		clear(c.stamps)
		c.gen = 1
	}
	mask := uint32(len(c.keys) - 1)
	c.uniq = c.uniq[:0]
	for _, b := range bs {
		s := (b * 0x9e3779b1) >> 7 & mask
		for {
			if c.stamps[s] != c.gen {
				c.stamps[s], c.keys[s], c.counts[s] = c.gen, b, 1
				c.uniq = append(c.uniq, int32(s))
				break
			}
			if c.keys[s] == b {
				c.counts[s]++
				break
			}
			s = (s + 1) & mask
		}
	}
}

// tfTable holds 1+ln(n) for small n.
var tfTable = func() [64]float32 {
	var t [64]float32
	for n := 1; n < len(t); n++ {
		t[n] = 1 + float32(math.Log(float64(n)))
	}
	return t
}()

func tf(n uint32) float32 {
	if n < uint32(len(tfTable)) {
		return tfTable[n]
	}
	return 1 + float32(math.Log(float64(n)))
}

// sparse is a feature vector: idx ascending, val of the same length.
type sparse struct {
	idx []uint32
	val []float32
}

// vectorise turns the counted buckets of c into a TF-IDF vector of unit
// length: tf is 1+ln(count), idf the model's weight of the bucket (zero
// drops it). It appends to v's slices; idx is in order of first occurrence.
func vectorise(c *counter, idf []float32, v sparse) sparse {
	v.idx, v.val = v.idx[:0], v.val[:0]
	var norm float32
	for _, s := range c.uniq {
		b := c.keys[s]
		w := idf[b]
		if w != 0 {
			x := tf(c.counts[s]) * w
			v.idx = append(v.idx, b)
			v.val = append(v.val, x)
			norm += x * x
		}
	}
	if norm > 0 {
		s := float32(1 / math.Sqrt(float64(norm)))
		for k := range v.val {
			v.val[k] *= s
		}
	}
	return v
}
