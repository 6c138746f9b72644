package classify

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is the evaluation of predictions against true labels.
type Report struct {
	// Labels are every label seen in truth or predictions, sorted.
	Labels []string
	// Confusion[i][j] counts texts of true label i predicted as j.
	Confusion [][]int
	// Precision, Recall, F1 and Support are per label, in Labels order.
	Precision, Recall, F1 []float64
	Support               []int
	Accuracy              float64
	// MacroF1 is the mean F1 over the labels present in the truth.
	MacroF1 float64
	N       int
}

// Evaluate compares predictions with the true labels (same length).
func Evaluate(truth, pred []string) Report {
	set := map[string]bool{}
	for i := range truth {
		set[truth[i]] = true
		set[pred[i]] = true
	}
	r := Report{N: len(truth)}
	for l := range set {
		r.Labels = append(r.Labels, l)
	}
	slices.Sort(r.Labels)
	idx := map[string]int{}
	for i, l := range r.Labels {
		idx[l] = i
	}
	L := len(r.Labels)
	r.Confusion = make([][]int, L)
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, L)
	}
	correct := 0
	for i := range truth {
		r.Confusion[idx[truth[i]]][idx[pred[i]]]++
		if truth[i] == pred[i] {
			correct++
		}
	}
	r.Precision, r.Recall, r.F1 = make([]float64, L), make([]float64, L), make([]float64, L)
	r.Support = make([]int, L)
	present := 0
	for i := 0; i < L; i++ {
		tp, predicted := r.Confusion[i][i], 0
		for j := 0; j < L; j++ {
			r.Support[i] += r.Confusion[i][j]
			predicted += r.Confusion[j][i]
		}
		if predicted > 0 {
			r.Precision[i] = float64(tp) / float64(predicted)
		}
		if r.Support[i] > 0 {
			r.Recall[i] = float64(tp) / float64(r.Support[i])
		}
		if p, q := r.Precision[i], r.Recall[i]; p+q > 0 {
			r.F1[i] = 2 * p * q / (p + q)
		}
		if r.Support[i] > 0 {
			present++
			r.MacroF1 += r.F1[i]
		}
	}
	if present > 0 {
		r.MacroF1 /= float64(present)
	}
	if r.N > 0 {
		r.Accuracy = float64(correct) / float64(r.N)
	}
	return r
}

// WriteText prints the per-label table, the confusion table (rows: true,
// columns: predicted) and, as the last line,
// "accuracy A; macro-F1 F; n N".
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "label\tprecision\trecall\tF1\tsupport\t")
	for i, l := range r.Labels {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", l, r.Precision[i], r.Recall[i], r.F1[i], r.Support[i])
	}
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "true \\ predicted\t%s\t\n", strings.Join(r.Labels, "\t"))
	for i, l := range r.Labels {
		cells := make([]string, len(r.Labels))
		for j := range cells {
			cells[j] = fmt.Sprint(r.Confusion[i][j])
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", l, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "accuracy %.3f; macro-F1 %.3f; n %d\n", r.Accuracy, r.MacroF1, r.N)
	return err
}

// Folds assigns each example to one of k folds, stratified by label:
// within each label the examples (in an order shuffled by seed) go round
// the folds. With groups (one per example, same length), whole groups go
// to one fold instead, stratified by each group's most frequent label, so
// that no group is both trained on and tested.
func Folds(labels, groups []string, k int, seed uint64) ([]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("cannot make %d folds: at least 2 are needed", k)
	}
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	fold := make([]int, len(labels))
	if groups == nil {
		byLabel := map[string][]int{}
		for i, l := range labels {
			byLabel[l] = append(byLabel[l], i)
		}
		next := 0
		for _, l := range sortedKeys(byLabel) {
			is := byLabel[l]
			rng.Shuffle(len(is), func(a, b int) { is[a], is[b] = is[b], is[a] })
			for _, i := range is {
				fold[i] = next % k
				next++
			}
		}
		return fold, nil
	}
	if len(groups) != len(labels) {
		return nil, fmt.Errorf("cannot make folds: %d groups for %d examples", len(groups), len(labels))
	}
	members := map[string][]int{}
	for i, g := range groups {
		members[g] = append(members[g], i)
	}
	if len(members) < k {
		return nil, fmt.Errorf("cannot make %d folds of whole groups: only %d groups", k, len(members))
	}
	byLabel := map[string][]string{}
	for _, g := range sortedKeys(members) {
		n := map[string]int{}
		top := ""
		for _, i := range members[g] {
			n[labels[i]]++
			if l := labels[i]; n[l] > n[top] || (n[l] == n[top] && l < top) {
				top = l
			}
		}
		byLabel[top] = append(byLabel[top], g)
	}
	next := 0
	for _, l := range sortedKeys(byLabel) {
		gs := byLabel[l]
		rng.Shuffle(len(gs), func(a, b int) { gs[a], gs[b] = gs[b], gs[a] })
		for _, g := range gs {
			for _, i := range members[g] {
				fold[i] = next % k
			}
			next++
		}
	}
	return fold, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// CrossValidate trains on all folds but one and predicts that one, for
// every fold, and returns the predictions in example order.
func CrossValidate(examples []Example, fold []int, k int, o Options) ([]string, error) {
	pred := make([]string, len(examples))
	for f := 0; f < k; f++ {
		var train []Example
		var test []int
		for i, e := range examples {
			if fold[i] == f {
				test = append(test, i)
			} else {
				train = append(train, e)
			}
		}
		if len(test) == 0 {
			continue
		}
		m, err := Train(train, o)
		if err != nil {
			return nil, fmt.Errorf("cannot train fold %d: %w", f+1, err)
		}
		for _, i := range test {
			pred[i] = m.Predict(examples[i].Text).Label
		}
	}
	return pred, nil
}
