package main

import (
	"reflect"
	"testing"
)

func TestShapeTakesOutValuesOnly(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"SELECT a FROM t WHERE d >= toDate(?) AND c = 'x' LIMIT 10", "SELECT a FROM t\n  WHERE d >= toDate(?)  AND c = 'it\\'s' LIMIT 5"},
		{"SELECT a FROM t WHERE c IN ('a', 'b', 'c')", "SELECT a FROM t WHERE c IN ('d')"},
		{"SELECT has(['a','b'], c), 1.5e-9, -3 FROM t", "SELECT has(['z'], c), 2, -70 FROM t"},
		{"SELECT x FROM t1 -- note 1\nWHERE y = 2", "SELECT x FROM t1 -- note 1\nWHERE y = 3"},
	} {
		if sa, sb := shape(c.a), shape(c.b); sa != sb {
			t.Errorf("shapes differ:\n%q -> %q\n%q -> %q", c.a, sa, c.b, sb)
		}
	}
	for _, c := range []struct{ a, b string }{
		{"SELECT a FROM t1", "SELECT a FROM t2"},
		{"SELECT `a 1` FROM t", "SELECT `a 2` FROM t"},
		{"SELECT toDateTime(?) FROM t", "SELECT toDateTime(?, ?) FROM t"},
		{"SELECT a FROM t WHERE c = ?", "SELECT a FROM t WHERE c = ? AND d = ?"},
		{"SELECT a FROM t ORDER BY a", "SELECT a FROM t ORDER BY a DESC"},
		{"SELECT x FROM t -- note 1", "SELECT x FROM t -- note 2"},
	} {
		if sa, sb := shape(c.a), shape(c.b); sa == sb {
			t.Errorf("%q and %q have one shape %q", c.a, c.b, sa)
		}
	}
	if got, want := shape("SELECT f(x, 2) FROM t WHERE s IN ('a', 'b') AND d = '2026-03-01'"), "SELECT f(x, ?) FROM t WHERE s IN (?) AND d = ?"; got != want {
		t.Errorf("shape = %q, want %q", got, want)
	}
}

func TestPickVariantsKeepsEveryShapeSpreadAndInOrder(t *testing.T) {
	// Shape 0 has 7 variants, shape 1 two, shape 2 one, interleaved.
	shapes := []int{0, 1, 0, 0, 2, 0, 1, 0, 0, 0}
	var recs []*pending
	for i, s := range shapes {
		recs = append(recs, &pending{shape: s, sends: i})
	}
	var got []int
	for _, p := range pickVariants(recs, 3) {
		got = append(got, p.sends)
	}
	// Shape 0 at 0, 2, 3, 5, 7, 8, 9: the first, the middle and the last.
	want := []int{0, 1, 4, 5, 6, 9}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
	if n := len(pickVariants(recs, 0)); n != len(recs) {
		t.Errorf("variants 0 kept %d of %d", n, len(recs))
	}
}
