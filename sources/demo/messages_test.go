package demo

import (
	"slices"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

// TestLabelledMessages: the same seed gives the same messages; labels are
// taxonomy groups, each written in at least three families; messages
// repeat rarely, so that a family is not a handful of sentences.
func TestLabelledMessages(t *testing.T) {
	a, b := LabelledMessages(3000, 7), LabelledMessages(3000, 7)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different messages")
	}
	if slices.Equal(a, LabelledMessages(3000, 8)) {
		t.Fatal("another seed gave the same messages")
	}
	groups := map[string]bool{}
	for _, c := range schemas.Taxonomy {
		if c.Parent == "" {
			groups[c.Code] = true
		}
	}
	families := map[string]map[string]bool{}
	distinct := map[string]bool{}
	for _, m := range a {
		if !groups[m.Label] {
			t.Fatalf("label %q is not a taxonomy group", m.Label)
		}
		if families[m.Label] == nil {
			families[m.Label] = map[string]bool{}
		}
		families[m.Label][m.Family] = true
		distinct[m.Text] = true
	}
	for l, fs := range families {
		if len(fs) < 3 {
			t.Errorf("label %s has %d families, want at least 3", l, len(fs))
		}
	}
	if len(distinct) < len(a)*9/10 {
		t.Errorf("%d distinct texts of %d", len(distinct), len(a))
	}
}
