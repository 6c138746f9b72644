package spatial_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

func TestReadNeighborsCSV(t *testing.T) {
	// BOM, extra column, neighbours in any order, an island, a forward
	// reference and an asymmetric relation (c lists a, a does not list c).
	in := "\ufeffname,id,neighbors\nA,a,b\nB,b,  d a \nC,c,a\nD,d,b\nE,e,\n"
	w, err := spatial.ReadNeighborsCSV(strings.NewReader(in), "nb.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := w.IDs(); !reflect.DeepEqual(got, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("ids %v", got)
	}
	want := map[string][]string{"a": {"b"}, "b": {"a", "d"}, "c": {"a"}, "d": {"b"}, "e": {}}
	for id, nb := range want {
		if got := w.Neighbors(id); !reflect.DeepEqual(got, nb) {
			t.Errorf("neighbours of %s: %v, want %v", id, got, nb)
		}
	}
	if got := w.Islands(); !reflect.DeepEqual(got, []string{"e"}) {
		t.Errorf("islands %v, want [e]", got)
	}
	if w.Symmetric() {
		t.Error("c→a without a→c is reported symmetric")
	}
}

func TestReadNeighborsCSVErrors(t *testing.T) {
	cases := []struct {
		name, in string
		line     int
		col      int
		msg      string // expected in the message, after the location
	}{
		{"unknown id", "id,neighbors\n1,2\n2,1 9\n", 3, 2, `nb.csv line 3, column 2 (neighbors): unknown id "9"`},
		{"own neighbour", "id,neighbors\n1,2 1\n2,1\n", 2, 2, `nb.csv line 2, column 2 (neighbors): id "1" is listed as its own neighbour`},
		{"neighbour twice", "id,neighbors\n1,2 2\n2,1\n", 2, 2, `neighbour "2" is listed twice`},
		{"id twice", "id,neighbors\n1,2\n2,1\n1,2\n", 4, 1, `nb.csv line 4, column 1 (id): id "1" already has a row on line 2`},
		{"empty id", "id,neighbors\n1,\n,1\n", 3, 1, `column 1 (id): empty id`},
		{"columns swapped", "neighbors,id\n2,1\n9,2\n", 3, 1, `nb.csv line 3, column 1 (neighbors): unknown id "9"`},
		{"no id column", "code,neighbors\n1,2\n", 1, 0, `header has no column "id"`},
		{"no neighbors column", "id,nb\n1,2\n", 1, 0, `header has no column "neighbors"`},
		{"ragged row", "id,neighbors\n1,2\n2,1,x\n", 3, 0, "row has 3 columns, the header has 2"},
		{"bad quote", "id,neighbors\n1,\"2\n", 2, 0, "quote"},
		{"empty file", "", 0, 0, "empty file"},
		{"header only", "id,neighbors\n", 0, 0, "no units"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := spatial.ReadNeighborsCSV(strings.NewReader(c.in), "nb.csv")
			if err == nil {
				t.Fatal("no error")
			}
			var ie *spatial.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			if ie.File != "nb.csv" || ie.Line != c.line || ie.Column != c.col {
				t.Errorf("at %s line %d column %d, want nb.csv line %d column %d (%v)", ie.File, ie.Line, ie.Column, c.line, c.col, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("message %q does not contain %q", err, c.msg)
			}
		})
	}
}

// FuzzReadNeighborsCSV checks the invariants of whatever the reader
// accepts: every unit has a distinct id, no unit is its own neighbour and
// every neighbour is a unit.
func FuzzReadNeighborsCSV(f *testing.F) {
	f.Add("id,neighbors\n1,2 3\n2,1\n3,1\n")
	f.Add("id,neighbors\n1,\n")
	f.Add("x,neighbors,id\n,2,1\n,1,2\n")
	f.Add("id,neighbors\n1,2\n2,1 9\n")
	f.Fuzz(func(t *testing.T, in string) {
		w, err := spatial.ReadNeighborsCSV(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			var ie *spatial.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an *InputError", err)
			}
			return
		}
		seen := map[string]bool{}
		for i, id := range w.IDs() {
			if id == "" || seen[id] {
				t.Fatalf("unit %d: empty or repeated id %q", i, id)
			}
			seen[id] = true
		}
		for _, id := range w.IDs() {
			nbs := w.Neighbors(id)
			for k, nb := range nbs {
				if nb == id {
					t.Fatalf("%q is its own neighbour", id)
				}
				if _, ok := w.Index(nb); !ok {
					t.Fatalf("%q has unknown neighbour %q", id, nb)
				}
				if k > 0 && nb == nbs[k-1] {
					t.Fatalf("%q lists %q twice", id, nb)
				}
			}
		}
	})
}

func TestNewWeightsErrors(t *testing.T) {
	cases := map[string]struct {
		ids []string
		adj map[string][]string
	}{
		"duplicate id":      {[]string{"a", "a"}, nil},
		"empty id":          {[]string{"a", ""}, nil},
		"unknown key":       {[]string{"a"}, map[string][]string{"b": {"a"}}},
		"unknown neighbour": {[]string{"a", "b"}, map[string][]string{"a": {"c"}}},
		"self":              {[]string{"a", "b"}, map[string][]string{"a": {"a"}}},
		"neighbour twice":   {[]string{"a", "b"}, map[string][]string{"a": {"b", "b"}}},
	}
	for name, c := range cases {
		if _, err := spatial.NewWeights(c.ids, c.adj); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestFromHierarchy(t *testing.T) {
	// Three towns: A with three villages, B with one, C with two.
	w, err := spatial.FromHierarchy(map[string]string{
		"a2": "A", "a1": "A", "a3": "A", "b1": "B", "c1": "C", "c2": "C",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.IDs(); !reflect.DeepEqual(got, []string{"a1", "a2", "a3", "b1", "c1", "c2"}) {
		t.Errorf("ids %v", got)
	}
	want := map[string][]string{
		"a1": {"a2", "a3"}, "a2": {"a1", "a3"}, "a3": {"a1", "a2"},
		"b1": {}, "c1": {"c2"}, "c2": {"c1"},
	}
	for id, nb := range want {
		if got := w.Neighbors(id); !reflect.DeepEqual(got, nb) {
			t.Errorf("neighbours of %s: %v, want %v", id, got, nb)
		}
	}
	if !w.Symmetric() {
		t.Error("sibling weights are not symmetric")
	}
	if _, err := spatial.FromHierarchy(map[string]string{"": "A"}); err == nil {
		t.Error("empty id: no error")
	}
}

func TestTransforms(t *testing.T) {
	w, err := spatial.NewWeights([]string{"a", "b", "c"}, map[string][]string{"a": {"b", "c"}, "b": {"a"}})
	if err != nil {
		t.Fatal(err)
	}
	row := func(w *spatial.Weights, i int) ([]int, []float64) { return w.Row(i) }

	r := w.RowStandardized()
	if nb, wt := row(r, 0); !reflect.DeepEqual(nb, []int{1, 2}) || !reflect.DeepEqual(wt, []float64{0.5, 0.5}) {
		t.Errorf("row-standardised a: %v %v", nb, wt)
	}
	if _, wt := row(r, 2); len(wt) != 0 {
		t.Errorf("island c: %v", wt)
	}
	// G* row standardisation: self weight 1 first, so a gets 1/3 each.
	rs := w.WithSelf().RowStandardized()
	if nb, wt := row(rs, 0); !reflect.DeepEqual(nb, []int{0, 1, 2}) || !reflect.DeepEqual(wt, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}) {
		t.Errorf("with self, row-standardised a: %v %v", nb, wt)
	}
	if nb, wt := row(rs, 2); !reflect.DeepEqual(nb, []int{2}) || !reflect.DeepEqual(wt, []float64{1}) {
		t.Errorf("with self, row-standardised c: %v %v", nb, wt)
	}
	back := rs.WithoutSelf().Binary()
	for i := 0; i < 3; i++ {
		nb0, wt0 := row(w, i)
		nb1, wt1 := row(back, i)
		if !reflect.DeepEqual(nb0, nb1) || !reflect.DeepEqual(wt0, wt1) {
			t.Errorf("unit %d: %v %v after the round trip, want %v %v", i, nb1, wt1, nb0, wt0)
		}
	}
	if w.Weight(0, 1) != 1 || w.Weight(2, 0) != 0 || r.Weight(0, 2) != 0.5 {
		t.Error("Weight lookup")
	}
	for s, want := range map[string]spatial.Transform{"binary": spatial.Binary, "row": spatial.RowStandardized, "r": spatial.RowStandardized} {
		if got, err := spatial.ParseTransform(s); err != nil || got != want {
			t.Errorf("ParseTransform(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := spatial.ParseTransform("kernel"); err == nil {
		t.Error("ParseTransform(kernel): no error")
	}
}
