package emerging

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Complaint is one case as the detector sees it.
type Complaint struct {
	// ID is the case id.
	ID string
	// Place is the unit within which clusters are sought (a town code);
	// complaints of different places are never clustered together.
	Place string
	// Spot is the finer place reported with a cluster (a village code);
	// may be empty.
	Spot string
	// Category is the category the case was filed under.
	Category string
	// At is when the case was reported.
	At time.Time
	// Text is the masked summary.
	Text string
}

// Options are the controls of Detect. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	// Window is the length of the sliding window ending at the detection
	// time (default 3 days).
	Window time.Duration
	// Baseline is the length of the period before the window whose similar
	// complaints give the expected count (default 28 days).
	Baseline time.Duration
	// Shingle is the number of characters per shingle (default 2).
	Shingle int
	// Bands and Rows shape the LSH: a signature has Bands·Rows MinHash
	// values (default 64 bands of 2 rows: a pair at similarity 0.2 is a
	// candidate with probability 0.93).
	Bands, Rows int
	// Threshold is the Jaccard similarity of two texts' shingle sets at
	// which they are linked (default 0.2; texts on one topic in different
	// words share about a fifth of their character pairs, unrelated
	// complaints almost none).
	Threshold float64
	// MinSize is the smallest cluster reported (default 5).
	MinSize int
	// MinCategories is the smallest number of distinct categories in a
	// reported cluster (default 2): a burst inside one category is seen by
	// the per-category alarms already.
	MinCategories int
	// Alpha is the upper-tail probability under the baseline below which
	// a cluster is a burst (default 0.001).
	Alpha float64
	// MinRate is the floor of the expected count per window, so that a
	// place without history needs more than one or two similar complaints
	// (default 0.5).
	MinRate float64
}

// DefaultOptions returns the defaults described on Options.
func DefaultOptions() Options {
	return Options{
		Window:        72 * time.Hour,
		Baseline:      28 * 24 * time.Hour,
		Shingle:       2,
		Bands:         64,
		Rows:          2,
		Threshold:     0.2,
		MinSize:       5,
		MinCategories: 2,
		Alpha:         0.001,
		MinRate:       0.5,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Window <= 0 {
		o.Window = d.Window
	}
	if o.Baseline <= 0 {
		o.Baseline = d.Baseline
	}
	if o.Shingle <= 0 {
		o.Shingle = d.Shingle
	}
	if o.Bands <= 0 || o.Rows <= 0 {
		o.Bands, o.Rows = d.Bands, d.Rows
	}
	if o.Threshold <= 0 {
		o.Threshold = d.Threshold
	}
	if o.MinSize <= 0 {
		o.MinSize = d.MinSize
	}
	if o.MinCategories <= 0 {
		o.MinCategories = d.MinCategories
	}
	if o.Alpha <= 0 {
		o.Alpha = d.Alpha
	}
	if o.MinRate <= 0 {
		o.MinRate = d.MinRate
	}
	return o
}

// Validate reports an option that cannot work.
func (o Options) Validate() error {
	if o.Threshold > 1 {
		return errors.New("threshold must be at most 1")
	}
	if o.Alpha >= 1 {
		return errors.New("alpha must be below 1")
	}
	return nil
}

// Cluster is one burst of similar complaints.
type Cluster struct {
	// Key identifies the cluster across overlapping windows: the place and
	// the id of its earliest member.
	Key   string
	Place string
	// Representative is the masked text of the member most similar to the
	// others.
	Representative string
	Size           int
	// Spots and Categories are sorted and distinct.
	Spots      []string
	Categories []string
	First      time.Time
	Last       time.Time
	// Members are the case ids, sorted.
	Members []string
	// Expected is the baseline mean count of similar complaints per window.
	Expected float64
	// P is the upper-tail probability of Size under Poisson(Expected).
	P float64
}

type doc struct {
	c   Complaint
	set []uint64 // sorted distinct shingle hashes
	sig []uint64
}

// Detect returns the bursts among complaints reported in the window
// (at−Window, at], ordered by place and first time. Complaints reported in
// (at−Window−Baseline, at−Window] form each place's baseline; later or
// earlier ones are ignored. The slice is not modified.
func Detect(cs []Complaint, at time.Time, opt Options) ([]Cluster, error) {
	opt = opt.withDefaults()
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	winStart := at.Add(-opt.Window)
	baseStart := winStart.Add(-opt.Baseline)
	groups := map[string]*place{}
	for _, c := range cs {
		if !c.At.After(baseStart) || c.At.After(at) {
			continue
		}
		g := groups[c.Place]
		if g == nil {
			g = &place{}
			groups[c.Place] = g
		}
		if c.At.After(winStart) {
			g.now = append(g.now, doc{c: c})
		} else {
			g.base = append(g.base, doc{c: c})
		}
	}
	places := make([]string, 0, len(groups))
	for p := range groups {
		places = append(places, p)
	}
	sort.Strings(places)
	// Places are independent: they are searched by a worker per processor,
	// each place's clusters kept apart and joined in place order.
	found := make([][]Cluster, len(places))
	next := atomic.Int64{}
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(places)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(places) {
					return
				}
				found[i] = groups[places[i]].bursts(opt)
			}
		}()
	}
	wg.Wait()
	var out []Cluster
	for _, f := range found {
		out = append(out, f...)
	}
	return out, nil
}

// place holds one place's complaints of the window (now) and of its
// baseline.
type place struct{ now, base []doc }

// bursts returns the place's clusters of similar complaints in the window
// that its baseline does not explain, in order of their first complaint.
// A baseline complaint's shingles are made only when the place has a
// cluster to compare it with (most places have none on most days).
func (g *place) bursts(opt Options) []Cluster {
	now := g.now[:0]
	for _, d := range g.now {
		if d.set = shingles(d.c.Text, opt.Shingle); len(d.set) == 0 {
			continue
		}
		d.sig = signature(d.set, opt.Bands*opt.Rows)
		now = append(now, d)
	}
	g.now = now
	windows := float64(opt.Baseline) / float64(opt.Window)
	var out []Cluster
	sort.Slice(g.now, func(i, j int) bool { return less(g.now[i].c, g.now[j].c) })
	for _, comp := range components(g.now, opt) {
		if len(comp) < opt.MinSize {
			continue
		}
		cl := describe(g.now, comp)
		if len(cl.Categories) < opt.MinCategories {
			continue
		}
		similar := 0
		var union []uint64
		smallest := 0
		if len(g.base) > 0 {
			union, smallest = unionOf(g.now, comp)
		}
		for k := range g.base {
			b := &g.base[k]
			if b.set == nil {
				if b.set = shingles(b.c.Text, opt.Shingle); b.set == nil {
					b.set = []uint64{} // no shingles: never similar
				}
			}
			if len(b.set) > 0 && !mayBeAlike(b.set, union, smallest, opt.Threshold) {
				continue
			}
			for _, i := range comp {
				if alike(b.set, g.now[i].set, opt.Threshold) {
					similar++
					break
				}
			}
		}
		cl.Expected = math.Max(float64(similar)/windows, opt.MinRate)
		cl.P = poissonUpper(cl.Size, cl.Expected)
		if cl.P < opt.Alpha {
			out = append(out, cl)
		}
	}
	return out
}

func less(a, b Complaint) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.ID < b.ID
}

// components links the docs whose shingle sets reach the threshold, with
// LSH bands proposing the candidate pairs, and returns the connected
// components as index lists in ascending order.
func components(ds []doc, opt Options) [][]int {
	parent := make([]int, len(ds))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	checked := map[[2]int]bool{}
	for b := 0; b < opt.Bands; b++ {
		buckets := map[uint64][]int{}
		for i, d := range ds {
			h := uint64(14695981039346656037)
			for _, v := range d.sig[b*opt.Rows : (b+1)*opt.Rows] {
				h = mix(h ^ v)
			}
			buckets[h] = append(buckets[h], i)
		}
		for _, idx := range buckets {
			for x := 0; x < len(idx); x++ {
				for y := x + 1; y < len(idx); y++ {
					i, j := idx[x], idx[y]
					if find(i) == find(j) || checked[[2]int{i, j}] {
						continue
					}
					checked[[2]int{i, j}] = true
					if alike(ds[i].set, ds[j].set, opt.Threshold) {
						parent[find(i)] = find(j)
					}
				}
			}
		}
	}
	byRoot := map[int][]int{}
	var roots []int
	for i := range ds {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], i)
	}
	out := make([][]int, 0, len(roots))
	for _, r := range roots {
		out = append(out, byRoot[r])
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// describe builds the cluster of the docs at idx (ascending, so idx[0] is
// the earliest).
func describe(ds []doc, idx []int) Cluster {
	first := ds[idx[0]].c
	cl := Cluster{Key: first.Place + ":" + first.ID, Place: first.Place, Size: len(idx), First: first.At, Last: first.At}
	spots, cats := map[string]bool{}, map[string]bool{}
	for _, i := range idx {
		c := ds[i].c
		cl.Members = append(cl.Members, c.ID)
		if c.Spot != "" {
			spots[c.Spot] = true
		}
		cats[c.Category] = true
		if c.At.After(cl.Last) {
			cl.Last = c.At
		}
	}
	sort.Strings(cl.Members)
	cl.Spots = keys(spots)
	cl.Categories = keys(cats)
	// The representative is the medoid; at most the first 200 members are
	// compared so that a huge cluster stays cheap.
	cand := idx
	if len(cand) > 200 {
		cand = cand[:200]
	}
	best, bestSum := cand[0], -1.0
	for _, i := range cand {
		sum := 0.0
		for _, j := range cand {
			if i != j {
				sum += jaccard(ds[i].set, ds[j].set)
			}
		}
		if sum > bestSum {
			best, bestSum = i, sum
		}
	}
	cl.Representative = ds[best].c.Text
	return cl
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Normalize keeps the Han characters of a text: masked digits, Latin
// letters, mask stars and punctuation carry no topic and would make
// unrelated texts alike.
func Normalize(text string) []rune {
	var out []rune
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			out = append(out, r)
		}
	}
	return out
}

// shingles returns the sorted distinct hashes (64-bit FNV-1a of the UTF-8
// bytes) of the k-character shingles of the normalised text (the whole
// text when it is shorter than k).
func shingles(text string, k int) []uint64 {
	rs := Normalize(text)
	if len(rs) == 0 {
		return nil
	}
	if len(rs) < k {
		k = len(rs)
	}
	const offset, prime = 14695981039346656037, 1099511628211
	out := make([]uint64, 0, len(rs)-k+1)
	var buf [utf8.UTFMax]byte
	for i := 0; i+k <= len(rs); i++ {
		h := uint64(offset)
		for _, r := range rs[i : i+k] {
			n := utf8.EncodeRune(buf[:], r)
			for _, b := range buf[:n] {
				h ^= uint64(b)
				h *= prime
			}
		}
		out = append(out, h)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// signature is the MinHash signature of a shingle set with n hash
// functions, each a seeded mix of the shingle hash.
func signature(set []uint64, n int) []uint64 {
	sig := make([]uint64, n)
	for i := range sig {
		sig[i] = math.MaxUint64
	}
	for _, s := range set {
		for i := range sig {
			if v := mix(s ^ (uint64(i+1) * 0x9E3779B97F4A7C15)); v < sig[i] {
				sig[i] = v
			}
		}
	}
	return sig
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// jaccard is |a∩b| / |a∪b| of two sorted distinct sets.
func jaccard(a, b []uint64) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// alike reports whether jaccard(a, b) >= t. The Jaccard similarity is at
// most the smaller set's size over the larger's (and the rounded quotients
// keep that order), so sets of too different sizes are refused without
// the merge. The merge stops as soon as the answer is known: the
// intersection has reached the least size that makes the quotient reach t,
// or can no longer reach it with the elements left. Both tests compare
// with that least size, found with jaccard's own float quotient, so the
// answer is jaccard's to the last bit.
func alike(a, b []uint64, t float64) bool {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return jaccard(a, b) >= t
	}
	if float64(min(la, lb))/float64(max(la, lb)) < t {
		return false
	}
	need := leastIntersection(la+lb, min(la, lb), t)
	return need >= 0 && sharesAtLeast(a, b, need)
}

// sharesAtLeast reports whether the sorted distinct sets a and b have at
// least need elements in common. The merge stops as soon as the answer is
// known: the intersection has reached need, or the elements left cannot
// reach it.
func sharesAtLeast(a, b []uint64, need int) bool {
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		if inter >= need {
			return true
		}
		if inter+min(len(a)-i, len(b)-j) < need {
			return false
		}
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return inter >= need
}

// unionOf returns the union of the sets of ds at idx (sorted, distinct)
// and the size of the smallest of them.
func unionOf(ds []doc, idx []int) ([]uint64, int) {
	var all []uint64
	smallest := -1
	for _, i := range idx {
		all = append(all, ds[i].set...)
		if smallest < 0 || len(ds[i].set) < smallest {
			smallest = len(ds[i].set)
		}
	}
	slices.Sort(all)
	return slices.Compact(all), smallest
}

// mayBeAlike reports whether a non-empty set b can be alike (threshold t)
// to any set of a group whose union is union and whose smallest set has
// smallest (≥ 1) elements. When it is false, alike(b, m, t) is false for
// every member m: b shares at most |b ∩ union| (and at most |b|) elements
// with m, and alike needs leastIntersection(|b|+|m|), which does not fall
// as |m| grows (jaccard's quotient only falls as its divisor grows).
func mayBeAlike(b, union []uint64, smallest int, t float64) bool {
	need := leastIntersection(len(b)+smallest, len(b), t)
	if need < 0 {
		return false // not even all of b would do
	}
	return sharesAtLeast(b, union, need)
}

// leastIntersection returns the least x in [0, most] with
// float64(x)/float64(sum-x) >= t (sum = |a|+|b|, as jaccard divides), or
// -1 when none is. The quotient grows with x, so the first x found from
// the real-valued bound t·sum/(1+t), less a margin for rounding, is it.
func leastIntersection(sum, most int, t float64) int {
	ok := func(x int) bool { return float64(x)/float64(sum-x) >= t }
	x := int(math.Floor(t*float64(sum)/(1+t))) - 2
	x = max(x, 0)
	for x > 0 && ok(x-1) {
		x--
	}
	for ; x <= most; x++ {
		if ok(x) {
			return x
		}
	}
	return -1
}

// Similarity is the Jaccard similarity of two texts' shingle sets with the
// default shingle length; exported for tools that match texts.
func Similarity(a, b string) float64 {
	k := DefaultOptions().Shingle
	return jaccard(shingles(a, k), shingles(b, k))
}

// poissonUpper is P(X ≥ n) for X ~ Poisson(mu).
func poissonUpper(n int, mu float64) float64 {
	if n <= 0 {
		return 1
	}
	// 1 − P(X ≤ n−1), the cdf summed term by term.
	term := math.Exp(-mu)
	cdf := term
	for k := 1; k < n; k++ {
		term *= mu / float64(k)
		cdf += term
	}
	if p := 1 - cdf; p > 0 {
		return p
	}
	// Far tail: sum the terms from n upward instead of subtracting.
	lt := -mu + float64(n)*math.Log(mu) - lgamma(n+1)
	sum, t := 0.0, math.Exp(lt)
	for k := n; t > sum*1e-16 && k < n+1000; k++ {
		sum += t
		t *= mu / float64(k+1)
	}
	return sum
}

func lgamma(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}
