package transform

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

func TestClassify(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	cases := []struct {
		name                       string
		category, text, summary    string
		wantCode, wantGroup, wantR string
	}{
		{"wage arrears by keyword", "", "拖欠农民工工资36人", "", "labor.wage_arrears", "labor", "keyword:农民工工资"},
		{"noise leaf before the neighbour group", "", "", "楼上装修噪音", "neighbor.noise", "neighbor", "keyword:噪音"},
		{"group keyword alone", "", "", "楼上漏水", "neighbor", "neighbor", "keyword:楼上"},
		{"nothing matches", "", "其他事项", "今天天气不错", "other", "other", "default"},
		{"no text at all", "", "", "", "other", "other", "default"},
		{"given group kept", "family", "", "楼上装修噪音", "family", "family", "given"},
		{"given leaf kept", "finance.mass", "", "", "finance.mass", "finance", "given"},
		{"category_text before summary", "", "离婚纠纷", "楼上装修噪音", "family", "family", "keyword:离婚"},
		{"summary when category_text has no keyword", "", "其他", "非法集资", "finance.mass", "finance", "keyword:非法集资"},
		{"full-width keyword", "", "", "Ｐ２Ｐ平台", "finance.mass", "finance", "keyword:P2P"},
		{"first keyword of the first category wins", "", "", "学校门口车祸", "traffic", "traffic", "keyword:车祸"},
		{"leaf keyword later in the text still wins", "", "", "邻居家工资", "labor.wage_arrears", "labor", "keyword:工资"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := map[string]any{"summary": c.summary, "category_text": c.text}
			if c.category != "" {
				ch["category"] = c.category
			}
			row, err := tr.Transform(record(t, ch), Meta{}, testNow)
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if row.Category != c.wantCode || row.CategoryGroup != c.wantGroup || row.CategoryRule != c.wantR {
				t.Errorf("got %s/%s/%s, want %s/%s/%s", row.Category, row.CategoryGroup, row.CategoryRule,
					c.wantCode, c.wantGroup, c.wantR)
			}
		})
	}
}

// naiveClassify is the rule as the taxonomy states it, written the slow
// obvious way: every category in ClassifyOrder, every keyword in order,
// first one contained wins. It is the oracle for the one-pass classifier.
func naiveClassify(text string) (string, bool) {
	for _, c := range schemas.ClassifyOrder() {
		for _, kw := range c.Keywords {
			if strings.Contains(text, kw) {
				return c.Code + " " + kw, true
			}
		}
	}
	return "", false
}

func TestClassifierMatchesNaiveRule(t *testing.T) {
	cl, err := newClassifier(schemas.Taxonomy)
	if err != nil {
		t.Fatal(err)
	}
	var pieces []string
	for _, c := range schemas.Taxonomy {
		pieces = append(pieces, c.Keywords...)
	}
	pieces = append(pieces, "的", "了", "村民", "反映", "1", "a", "拖欠", "工", "噪", "集")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(6); n >= 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		text := b.String()
		want, wantOK := naiveClassify(text)
		kw, ok := cl.match(text)
		got := ""
		if ok {
			got = kw.code + " " + kw.text
		}
		if ok != wantOK || got != want {
			t.Fatalf("text %q: classifier %q (%v), naive rule %q (%v)", text, got, ok, want, wantOK)
		}
	}
}

// TestClassifyOrderMatchesSchemas checks that the order used for any
// taxonomy is the order schemas defines for the built-in one.
func TestClassifyOrderMatchesSchemas(t *testing.T) {
	got, want := classifyOrder(schemas.Taxonomy), schemas.ClassifyOrder()
	if len(got) != len(want) {
		t.Fatalf("%d categories, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Code != want[i].Code {
			t.Errorf("position %d: %s, want %s", i, got[i].Code, want[i].Code)
		}
	}
}

func TestCustomTaxonomy(t *testing.T) {
	tax := []schemas.Category{
		{Code: "water", NameZH: "用水", NameEN: "Water", Keywords: []string{"停水"}},
		{Code: "water.bill", Parent: "water", NameZH: "水费", NameEN: "Water bill", Keywords: []string{"水费"}},
		{Code: "other", NameZH: "其他", NameEN: "Other"},
	}
	tr := newTestTransformer(t, Options{Taxonomy: tax})
	row, err := tr.Transform(record(t, map[string]any{"summary": "停水后水费照收"}), Meta{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if row.Category != "water.bill" || row.CategoryGroup != "water" || row.CategoryRule != "keyword:水费" {
		t.Errorf("got %s/%s/%s", row.Category, row.CategoryGroup, row.CategoryRule)
	}
	if _, err := tr.Transform(record(t, map[string]any{"category": "labor"}), Meta{}, testNow); err == nil {
		t.Error("a code of the built-in taxonomy was accepted with a custom taxonomy")
	}
}
