package classify

import (
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// FormatVersion is the layout of the model file this build reads and
// writes. A file of another format is refused, never guessed at.
const FormatVersion = 1

// Model is a trained classifier. It is immutable after Train or Read and
// safe for concurrent use.
type Model struct {
	// Format is FormatVersion.
	Format int
	// Version names the model in category_rule ("model:<version>"): the
	// caller's name, or the first 12 hex digits of DataHash.
	Version string
	// Labels are the classes the model predicts, sorted; for the pipeline
	// they are taxonomy codes.
	Labels []string
	// Taxonomy is the taxonomy the labels were taken from, as code → name
	// (empty when the training data had free labels).
	Taxonomy map[string]string
	// DataHash is the hex SHA-256 of the training texts and labels, in
	// order: the same data gives the same hash.
	DataHash string
	// Examples is the number of training texts, and Counts their number per
	// label.
	Examples int
	Counts   []int
	Features FeatureConfig
	Train    TrainConfig
	// IDF has one weight per bucket; zero drops the bucket.
	IDF []float32
	// W holds the weights by bucket then label: W[b*len(Labels)+k].
	W []float32
	// B holds one bias per label.
	B []float32

	scratch sync.Pool // *work
}

// work is the per-call scratch of Predict.
type work struct {
	runes   []rune
	buckets []uint32
	counts  counter
	vec     sparse
	scores  []float64
}

func (m *Model) getWork() *work {
	if w, ok := m.scratch.Get().(*work); ok {
		return w
	}
	return &work{scores: make([]float64, len(m.Labels))}
}

// Prediction is the label of a text and the model's probability for it.
type Prediction struct {
	Label      string
	Confidence float64
}

// Predict classifies text. A text without any known feature gets the
// label of the bias alone, usually with a low confidence.
func (m *Model) Predict(text string) Prediction {
	w := m.getWork()
	k := m.probs(text, w)
	p := Prediction{Label: m.Labels[k], Confidence: w.scores[k]}
	m.scratch.Put(w)
	return p
}

// Probabilities returns the probability of every label, in Labels order.
func (m *Model) Probabilities(text string) []float64 {
	w := m.getWork()
	m.probs(text, w)
	out := append([]float64(nil), w.scores...)
	m.scratch.Put(w)
	return out
}

// probs fills w.scores with the softmax and returns the best index.
func (m *Model) probs(text string, w *work) int {
	w.runes = normalise(text, w.runes)
	w.buckets = m.Features.buckets(w.runes, w.buckets[:0])
	w.counts.count(w.buckets)
	w.vec = vectorise(&w.counts, m.IDF, w.vec)
	return m.scoreVec(w.vec, w.scores)
}

// scoreVec writes the softmax of the linear scores of v into out and
// returns the index of the largest.
func (m *Model) scoreVec(v sparse, out []float64) int {
	K := len(m.Labels)
	for k := 0; k < K; k++ {
		out[k] = float64(m.B[k])
	}
	for i, b := range v.idx {
		x := float64(v.val[i])
		row := m.W[int(b)*K : int(b)*K+K]
		for k, wk := range row {
			out[k] += x * float64(wk)
		}
	}
	return softmax(out)
}

// softmax turns scores into probabilities in place and returns the index
// of the largest.
func softmax(s []float64) int {
	best := 0
	for k := range s {
		if s[k] > s[best] {
			best = k
		}
	}
	top := s[best]
	var sum float64
	for k := range s {
		s[k] = math.Exp(s[k] - top)
		sum += s[k]
	}
	for k := range s {
		s[k] /= sum
	}
	return best
}

// Write saves the model.
func (m *Model) Write(w io.Writer) error {
	zw := gzip.NewWriter(w)
	if err := gob.NewEncoder(zw).Encode(fileModel{
		Format: m.Format, Version: m.Version, Labels: m.Labels, Taxonomy: m.Taxonomy,
		DataHash: m.DataHash, Examples: m.Examples, Counts: m.Counts, Features: m.Features,
		Train: m.Train, IDF: m.IDF, W: m.W, B: m.B,
	}); err != nil {
		return fmt.Errorf("cannot encode the model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("cannot compress the model: %w", err)
	}
	return nil
}

// fileModel is what a model file holds (Model without its scratch).
type fileModel struct {
	Format   int
	Version  string
	Labels   []string
	Taxonomy map[string]string
	DataHash string
	Examples int
	Counts   []int
	Features FeatureConfig
	Train    TrainConfig
	IDF      []float32
	W        []float32
	B        []float32
}

// Read loads a model written by Write and checks that its parts fit
// together.
func Read(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("cannot read the model: not a model file: %w", err)
	}
	var f fileModel
	if err := gob.NewDecoder(zr).Decode(&f); err != nil {
		return nil, fmt.Errorf("cannot decode the model: %w", err)
	}
	if f.Format != FormatVersion {
		return nil, fmt.Errorf("cannot read the model: format %d; this build reads format %d", f.Format, FormatVersion)
	}
	m := &Model{Format: f.Format, Version: f.Version, Labels: f.Labels, Taxonomy: f.Taxonomy,
		DataHash: f.DataHash, Examples: f.Examples, Counts: f.Counts, Features: f.Features,
		Train: f.Train, IDF: f.IDF, W: f.W, B: f.B}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("cannot read the model: %w", err)
	}
	return m, nil
}

func (m *Model) check() error {
	K := len(m.Labels)
	switch {
	case K < 2:
		return errors.New("fewer than two labels")
	case !m.Features.valid():
		return fmt.Errorf("invalid feature configuration %+v", m.Features)
	case len(m.IDF) != 1<<m.Features.Bits:
		return fmt.Errorf("%d IDF weights for %d buckets", len(m.IDF), 1<<m.Features.Bits)
	case len(m.W) != K<<m.Features.Bits:
		return fmt.Errorf("%d weights for %d buckets and %d labels", len(m.W), 1<<m.Features.Bits, K)
	case len(m.B) != K:
		return fmt.Errorf("%d biases for %d labels", len(m.B), K)
	case m.Version == "":
		return errors.New("no version")
	}
	return nil
}

// RecordText is the text of a record that the model reads: the
// producer's short category text, then the summary. Training from stored
// cases and classifying in the transform both use it, so that they see
// the same text.
func RecordText(categoryText, summary string) string {
	switch {
	case categoryText == "":
		return summary
	case summary == "":
		return categoryText
	}
	return categoryText + "。" + summary
}
