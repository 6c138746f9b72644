package spatial

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// Weights is a spatial weights matrix stored as a neighbour list: the units'
// ids in a fixed order and, for every unit, its neighbours with a weight
// each. The constructors build binary weights (every neighbour weighs 1,
// nobody is its own neighbour); [Weights.RowStandardized],
// [Weights.WithSelf] and the other transforms return new values.
//
// Neighbour relations are directed: unit i lists j as a neighbour
// independently of whether j lists i, as in libpysal. A Weights is
// immutable and safe for concurrent use.
type Weights struct {
	ids   []string
	index map[string]int
	// nbr[i] holds the neighbours of unit i in increasing index order and
	// wt[i] their weights, aligned with nbr[i].
	nbr [][]int
	wt  [][]float64
}

// Transform is a weights transform applied by a statistic before it is
// computed, as libpysal's W.transform.
type Transform int

// Transforms.
const (
	// Binary gives every neighbour the weight 1 (libpysal "B").
	Binary Transform = iota
	// RowStandardized divides every weight by its row sum, so each unit's
	// weights sum to 1 (libpysal "R"). A unit without neighbours keeps an
	// all-zero row.
	RowStandardized
)

// String returns the libpysal letter of the transform.
func (t Transform) String() string {
	switch t {
	case Binary:
		return "B"
	case RowStandardized:
		return "R"
	}
	return fmt.Sprintf("Transform(%d)", int(t))
}

// ParseTransform parses a transform name as the command line spells it:
// "binary" (or "b") and "row" (or "r").
func ParseTransform(s string) (Transform, error) {
	switch s {
	case "binary", "b", "B":
		return Binary, nil
	case "row", "r", "R":
		return RowStandardized, nil
	}
	return 0, fmt.Errorf("unknown weights transform %q (want binary or row)", s)
}

// NewWeights returns binary weights over ids, in that order. neighbors maps
// an id to its neighbours' ids; ids missing from the map have no neighbours.
// It fails on an empty or duplicate id, a map key or neighbour that is not
// in ids, a unit listed as its own neighbour and a neighbour listed twice.
func NewWeights(ids []string, neighbors map[string][]string) (*Weights, error) {
	w, err := newEmpty(ids)
	if err != nil {
		return nil, err
	}
	for id := range neighbors {
		if _, ok := w.index[id]; !ok {
			return nil, fmt.Errorf("neighbours given for unknown id %q", id)
		}
	}
	for i, id := range w.ids {
		row := make([]int, 0, len(neighbors[id]))
		for _, nid := range neighbors[id] {
			j, ok := w.index[nid]
			switch {
			case !ok:
				return nil, fmt.Errorf("id %q: unknown neighbour id %q", id, nid)
			case j == i:
				return nil, fmt.Errorf("id %q is listed as its own neighbour", id)
			}
			row = append(row, j)
		}
		if err := w.setBinaryRow(i, row); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// newEmpty returns weights over ids with no neighbours.
func newEmpty(ids []string) (*Weights, error) {
	w := &Weights{
		ids:   slices.Clone(ids),
		index: make(map[string]int, len(ids)),
		nbr:   make([][]int, len(ids)),
		wt:    make([][]float64, len(ids)),
	}
	for i, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("unit %d has an empty id", i+1)
		}
		if _, dup := w.index[id]; dup {
			return nil, fmt.Errorf("id %q appears twice", id)
		}
		w.index[id] = i
	}
	return w, nil
}

// setBinaryRow sorts row, rejects duplicates and stores it with weight 1.
func (w *Weights) setBinaryRow(i int, row []int) error {
	slices.Sort(row)
	for k := 1; k < len(row); k++ {
		if row[k] == row[k-1] {
			return fmt.Errorf("id %q lists neighbour %q twice", w.ids[i], w.ids[row[k]])
		}
	}
	w.nbr[i] = row
	w.wt[i] = make([]float64, len(row))
	for k := range w.wt[i] {
		w.wt[i][k] = 1
	}
	return nil
}

// FromHierarchy returns binary weights in which units with the same parent
// are neighbours: parent maps every unit's id to its parent's id (a village
// to its town, when no village boundaries exist). The units are the map's
// keys, in increasing id order; a unit that is its parent's only child has
// no neighbours. The parent value is only a grouping key: it need not be a
// unit itself, and the empty string groups the units that share it.
func FromHierarchy(parent map[string]string) (*Weights, error) {
	ids := make([]string, 0, len(parent))
	for id := range parent {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	w, err := newEmpty(ids)
	if err != nil {
		return nil, err
	}
	children := map[string][]int{}
	for i, id := range ids {
		children[parent[id]] = append(children[parent[id]], i)
	}
	for _, sib := range children {
		// sib is in increasing index order because ids are sorted.
		for _, i := range sib {
			row := make([]int, 0, len(sib)-1)
			wt := make([]float64, 0, len(sib)-1)
			for _, j := range sib {
				if j != i {
					row = append(row, j)
					wt = append(wt, 1)
				}
			}
			w.nbr[i], w.wt[i] = row, wt
		}
	}
	return w, nil
}

// Len returns the number of units.
func (w *Weights) Len() int { return len(w.ids) }

// IDs returns the units' ids in order. The caller owns the returned slice.
func (w *Weights) IDs() []string { return slices.Clone(w.ids) }

// ID returns the id of the unit at index i.
func (w *Weights) ID(i int) string { return w.ids[i] }

// Index returns the position of the unit with the given id.
func (w *Weights) Index(id string) (int, bool) {
	i, ok := w.index[id]
	return i, ok
}

// Neighbors returns the ids of the unit's neighbours in unit order (the
// unit itself included when the weights have a self weight), or nil for an
// unknown id. The caller owns the returned slice.
func (w *Weights) Neighbors(id string) []string {
	i, ok := w.index[id]
	if !ok {
		return nil
	}
	out := make([]string, len(w.nbr[i]))
	for k, j := range w.nbr[i] {
		out[k] = w.ids[j]
	}
	return out
}

// Row returns the neighbour indices of unit i in increasing order and their
// weights. The caller owns the returned slices.
func (w *Weights) Row(i int) ([]int, []float64) {
	return slices.Clone(w.nbr[i]), slices.Clone(w.wt[i])
}

// Weight returns w_ij, zero when j is not a neighbour of i.
func (w *Weights) Weight(i, j int) float64 {
	if k, ok := slices.BinarySearch(w.nbr[i], j); ok {
		return w.wt[i][k]
	}
	return 0
}

// Cardinality returns the number of neighbours of unit i.
func (w *Weights) Cardinality(i int) int { return len(w.nbr[i]) }

// Islands returns the ids of the units without neighbours.
func (w *Weights) Islands() []string {
	var out []string
	for i, row := range w.nbr {
		if len(row) == 0 {
			out = append(out, w.ids[i])
		}
	}
	return out
}

// Symmetric reports whether j is a neighbour of i exactly when i is a
// neighbour of j (weights are not compared).
func (w *Weights) Symmetric() bool {
	for i, row := range w.nbr {
		for _, j := range row {
			if _, ok := slices.BinarySearch(w.nbr[j], i); !ok {
				return false
			}
		}
	}
	return true
}

// Binary returns the weights with every neighbour weighing 1.
func (w *Weights) Binary() *Weights {
	return w.mapRows(func(i int, nbr []int, wt []float64) ([]int, []float64) {
		out := make([]float64, len(wt))
		for k := range out {
			out[k] = 1
		}
		return slices.Clone(nbr), out
	})
}

// RowStandardized returns the weights divided by their row sums, so every
// unit's weights sum to 1. A row summing to zero stays zero.
func (w *Weights) RowStandardized() *Weights {
	return w.mapRows(func(i int, nbr []int, wt []float64) ([]int, []float64) {
		var sum float64
		for _, v := range wt {
			sum += v
		}
		out := make([]float64, len(wt))
		if sum != 0 {
			for k, v := range wt {
				out[k] = v / sum
			}
		}
		return slices.Clone(nbr), out
	})
}

// WithSelf returns the weights with every unit its own neighbour of weight
// 1, replacing any self weight (libpysal fill_diagonal(w, 1)). Apply it
// before [Weights.RowStandardized] to get esda's row-standardised G*
// weights, in which the self weight is 1/(k+1).
func (w *Weights) WithSelf() *Weights {
	return w.mapRows(func(i int, nbr []int, wt []float64) ([]int, []float64) {
		k, found := slices.BinarySearch(nbr, i)
		if found {
			out := slices.Clone(wt)
			out[k] = 1
			return slices.Clone(nbr), out
		}
		return slices.Insert(slices.Clone(nbr), k, i), slices.Insert(slices.Clone(wt), k, 1)
	})
}

// WithoutSelf returns the weights with every self weight removed.
func (w *Weights) WithoutSelf() *Weights {
	return w.mapRows(func(i int, nbr []int, wt []float64) ([]int, []float64) {
		k, found := slices.BinarySearch(nbr, i)
		if !found {
			return slices.Clone(nbr), slices.Clone(wt)
		}
		return slices.Delete(slices.Clone(nbr), k, k+1), slices.Delete(slices.Clone(wt), k, k+1)
	})
}

// Transformed returns the weights after t.
func (w *Weights) Transformed(t Transform) (*Weights, error) {
	switch t {
	case Binary:
		return w.Binary(), nil
	case RowStandardized:
		return w.RowStandardized(), nil
	}
	return nil, fmt.Errorf("unknown weights transform %v", t)
}

// mapRows returns new weights with every row replaced by f's result. The
// ids and index are shared: they are never modified after construction.
func (w *Weights) mapRows(f func(i int, nbr []int, wt []float64) ([]int, []float64)) *Weights {
	out := &Weights{ids: w.ids, index: w.index, nbr: make([][]int, len(w.ids)), wt: make([][]float64, len(w.ids))}
	for i := range w.ids {
		out.nbr[i], out.wt[i] = f(i, w.nbr[i], w.wt[i])
	}
	return out
}

// sums returns libpysal's s0, s1 and s2 of the weights:
// s0 = Σ_ij w_ij, s1 = ½ Σ_ij (w_ij + w_ji)², s2 = Σ_i (w_i· + w_·i)².
func (w *Weights) sums() (s0, s1, s2 float64) {
	n := len(w.ids)
	rowSum := make([]float64, n)
	colSum := make([]float64, n)
	for i, row := range w.nbr {
		for k, j := range row {
			v := w.wt[i][k]
			s0 += v
			rowSum[i] += v
			colSum[j] += v
			// Every stored (i,j) contributes (w_ij + w_ji)²; when (j,i) is
			// not stored its own term, equal to this one, is never visited,
			// so it is added here as well.
			back, stored := 0.0, false
			if kk, ok := slices.BinarySearch(w.nbr[j], i); ok {
				back, stored = w.wt[j][kk], true
			}
			t := (v + back) * (v + back)
			s1 += t
			if !stored {
				s1 += t
			}
		}
	}
	s1 /= 2
	for i := range rowSum {
		t := rowSum[i] + colSum[i]
		s2 += t * t
	}
	return s0, s1, s2
}

// errLength reports values that do not match the weights.
var errLength = errors.New("number of values does not match the number of units in the weights")

// checkValues checks that y has one finite value per unit.
func checkValues(y []float64, w *Weights) error {
	if w == nil {
		return errors.New("no weights")
	}
	if len(y) != w.Len() {
		return fmt.Errorf("%w: %d values, %d units", errLength, len(y), w.Len())
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("value of unit %q is %v, not a finite number", w.ids[i], v)
		}
	}
	return nil
}
