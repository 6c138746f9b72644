package transform

import (
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/transform/classify"
)

// testModel learns that bus and road complaints are "other" and wage
// complaints "labor.wage_arrears", from texts none of which holds a
// keyword of the taxonomy except 工资.
func testModel(t *testing.T) *classify.Model {
	t.Helper()
	var ex []classify.Example
	for _, s := range []string{"公交车班次太少", "公交线路取消了", "路口红绿灯坏了", "公交站牌被拆了", "道路坑洼不平", "公交车不按站停"} {
		for _, tail := range []string{"", "，请尽快解决", "。谢谢", "，影响出行"} {
			ex = append(ex, classify.Example{Text: s + tail, Label: "other"})
		}
	}
	for _, s := range []string{"老板不给工钱", "包工头跑了没发钱", "干了半年没拿到钱", "年底讨要血汗钱", "工地欠我们的钱", "老板拖着不结账"} {
		for _, tail := range []string{"", "，请尽快解决", "。谢谢", "，生活困难"} {
			ex = append(ex, classify.Example{Text: s + tail, Label: "labor.wage_arrears"})
		}
	}
	m, err := classify.Train(ex, classify.Options{Version: "t9"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModelClassifies(t *testing.T) {
	m := testModel(t)
	cases := []struct {
		name          string
		keywordsFirst bool
		category      string
		summary       string
		wantCode      string
		wantRule      string
		byModel       bool
	}{
		// Without a keyword the rules say "other" by default; the model
		// reads the text.
		{"model where no keyword matches", false, "", "包工头跑了，我们干了半年没拿到钱", "labor.wage_arrears", "model:t9", true},
		// 执行 (a court's enforcement, for the rules) here means carrying
		// out a plan: the model decides when keywords do not come first.
		{"model over a keyword", false, "", "公交车班次太少，执行的新线路不合理", "other", "model:t9", true},
		{"keyword first", true, "", "公交车班次太少，执行的新线路不合理", "petition", "keyword:执行", false},
		{"model when keywords first find none", true, "", "公交站牌被拆了，影响出行", "other", "model:t9", true},
		{"given category untouched", false, "family", "包工头跑了没发钱", "family", "given", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTestTransformer(t, Options{Model: m, KeywordsFirst: c.keywordsFirst})
			ch := map[string]any{"summary": c.summary}
			if c.category != "" {
				ch["category"] = c.category
			}
			row, err := tr.Transform(record(t, ch), Meta{}, testNow)
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if row.Category != c.wantCode || row.CategoryRule != c.wantRule {
				t.Errorf("got %s by %s, want %s by %s", row.Category, row.CategoryRule, c.wantCode, c.wantRule)
			}
			if c.byModel && !(row.CategoryConfidence > 0.5 && row.CategoryConfidence <= 1) {
				t.Errorf("confidence %v, want in (0.5, 1]", row.CategoryConfidence)
			}
			if !c.byModel && row.CategoryConfidence != 0 {
				t.Errorf("confidence %v without the model", row.CategoryConfidence)
			}
			if row.CategoryGroup != map[string]string{"labor.wage_arrears": "labor", "other": "other", "petition": "petition", "family": "family"}[c.wantCode] {
				t.Errorf("group %s", row.CategoryGroup)
			}
		})
	}
}

func TestModelLabelsMustBeTaxonomyCodes(t *testing.T) {
	m, err := classify.Train([]classify.Example{{Text: "公交车少", Label: "transport"}, {Text: "老板欠钱", Label: "labor"}}, classify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tongliao()
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{Registry: reg, Model: m})
	if err == nil || !strings.Contains(err.Error(), `option Model: label "transport" is not a code of the taxonomy`) {
		t.Fatalf("err %v", err)
	}
}
