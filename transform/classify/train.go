package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Example is one labelled text.
type Example struct {
	Text  string
	Label string
}

// TrainConfig sets the optimiser. A zero field takes the default of
// DefaultTrain.
type TrainConfig struct {
	// Epochs is the number of passes over the data.
	Epochs int
	// Alpha is the L2 regularisation per example.
	Alpha float64
	// Eta0 is the initial learning rate; it decays as Eta0/(1+Alpha·Eta0·t).
	Eta0 float64
	// Seed orders the examples of each epoch.
	Seed uint64
	// Unweighted turns the class weights off: by default an example of
	// label k weighs n/(K·n_k), so that rare classes are not drowned.
	Unweighted bool
}

// DefaultTrain is the optimiser configuration of Train for zero fields.
var DefaultTrain = TrainConfig{Epochs: 12, Alpha: 1e-5, Eta0: 0.5, Seed: 1}

// Options configure Train.
type Options struct {
	// Features; the zero value means DefaultFeatures.
	Features FeatureConfig
	Train    TrainConfig
	// Version names the model; "" means the first 12 hex digits of the
	// data hash.
	Version string
	// Taxonomy, when not nil, is the set of allowed labels (code → name):
	// a label outside it is an error, and the model carries it.
	Taxonomy map[string]string
}

// Train fits a model on examples. It needs at least two labels, and every
// text must be non-empty.
func Train(examples []Example, o Options) (*Model, error) {
	if o.Features == (FeatureConfig{}) {
		o.Features = DefaultFeatures
	}
	if !o.Features.valid() {
		return nil, fmt.Errorf("cannot train: invalid feature configuration %+v", o.Features)
	}
	o.Train = o.Train.withDefaults()
	if len(examples) == 0 {
		return nil, errors.New("cannot train: no examples")
	}
	labelSet := map[string]int{}
	for i, e := range examples {
		if e.Label == "" {
			return nil, fmt.Errorf("cannot train: example %d has no label", i+1)
		}
		if o.Taxonomy != nil {
			if _, ok := o.Taxonomy[e.Label]; !ok {
				return nil, fmt.Errorf("cannot train: example %d: label %q is not a code of the taxonomy", i+1, e.Label)
			}
		}
		labelSet[e.Label]++
	}
	if len(labelSet) < 2 {
		return nil, fmt.Errorf("cannot train: %d label(s); at least two are needed", len(labelSet))
	}
	labels := make([]string, 0, len(labelSet))
	for l := range labelSet {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	index := make(map[string]int, len(labels))
	counts := make([]int, len(labels))
	for k, l := range labels {
		index[l] = k
		counts[k] = labelSet[l]
	}

	h := sha256.New()
	for _, e := range examples {
		h.Write([]byte(e.Text))
		h.Write([]byte{0x1f})
		h.Write([]byte(e.Label))
		h.Write([]byte{0x1e})
	}
	m := &Model{
		Format: FormatVersion, Version: o.Version, Labels: labels, Taxonomy: o.Taxonomy,
		DataHash: hex.EncodeToString(h.Sum(nil)), Examples: len(examples), Counts: counts,
		Features: o.Features, Train: o.Train,
	}
	if m.Version == "" {
		m.Version = m.DataHash[:12]
	}

	// Buckets of every text, then document frequencies and IDF.
	nb := 1 << o.Features.Bits
	docs := make([][]uint32, len(examples))
	df := make([]int32, nb)
	var runes []rune
	var cnt counter
	for i, e := range examples {
		runes = normalise(e.Text, runes)
		bs := o.Features.buckets(runes, nil)
		docs[i] = bs
		cnt.count(bs)
		for _, s := range cnt.uniq {
			df[cnt.keys[s]]++
		}
	}
	m.IDF = make([]float32, nb)
	n := float64(len(examples))
	for b, d := range df {
		if int(d) >= o.Features.MinDF {
			m.IDF[b] = float32(math.Log((1+n)/(1+float64(d))) + 1)
		}
	}
	vecs := make([]sparse, len(examples))
	ys := make([]int, len(examples))
	for i, bs := range docs {
		cnt.count(bs)
		vecs[i] = vectorise(&cnt, m.IDF, sparse{})
		ys[i] = index[examples[i].Label]
		docs[i] = nil
	}
	m.W, m.B = sgd(vecs, ys, len(labels), counts, nb, o.Train)
	return m, nil
}

func (c TrainConfig) withDefaults() TrainConfig {
	d := DefaultTrain
	if c.Epochs > 0 {
		d.Epochs = c.Epochs
	}
	if c.Alpha > 0 {
		d.Alpha = c.Alpha
	}
	if c.Eta0 > 0 {
		d.Eta0 = c.Eta0
	}
	if c.Seed != 0 {
		d.Seed = c.Seed
	}
	d.Unweighted = c.Unweighted
	return d
}

// sgd fits multinomial logistic regression with L2 regularisation by
// stochastic gradient descent. The weights are kept as scale·V, so that the
// decay of every weight at each step costs one multiplication (Bottou's
// trick) and a step touches only the buckets of one text.
func sgd(vecs []sparse, ys []int, K int, counts []int, nb int, c TrainConfig) (w, b []float32) {
	V := make([]float64, nb*K)
	bias := make([]float64, K)
	cw := make([]float64, K)
	for k := range cw {
		cw[k] = 1
		if !c.Unweighted {
			cw[k] = float64(len(ys)) / (float64(K) * float64(counts[k]))
		}
	}
	scale := 1.0
	order := make([]int, len(vecs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	p := make([]float64, K)
	t := 0.0
	for epoch := 0; epoch < c.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			v, y := vecs[i], ys[i]
			eta := c.Eta0 / (1 + c.Alpha*c.Eta0*t)
			t++
			copy(p, bias)
			for j, f := range v.idx {
				x := float64(v.val[j]) * scale
				row := V[int(f)*K : int(f)*K+K]
				for k := range row {
					p[k] += x * row[k]
				}
			}
			softmax(p)
			scale *= 1 - eta*c.Alpha
			for k := range p {
				g := p[k]
				if k == y {
					g--
				}
				g *= cw[y] * eta
				p[k] = g
				bias[k] -= g
			}
			for j, f := range v.idx {
				x := float64(v.val[j]) / scale
				row := V[int(f)*K : int(f)*K+K]
				for k := range row {
					row[k] -= p[k] * x
				}
			}
			if scale < 1e-9 {
				for j := range V {
					V[j] *= scale
				}
				scale = 1
			}
		}
	}
	w = make([]float32, len(V))
	for j := range V {
		w[j] = float32(V[j] * scale)
	}
	b = make([]float32, K)
	for k := range bias {
		b[k] = float32(bias[k])
	}
	return w, b
}
