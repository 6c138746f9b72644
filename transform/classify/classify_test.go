package classify

import (
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"strings"
	"testing"
)

func TestTrainPredictsUnseenMessages(t *testing.T) {
	m, err := Train(synth(300, 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand: phrasings that occur nowhere in the training data,
	// sharing only some characters with their class.
	cases := []struct{ text, want string }{
		{"包工头拖欠我们的工资快半年了", "labor"},
		{"物业不修电梯，老人上下楼很困难", "property"},
		{"公交车太少了，上班等不到车", "traffic"},
		{"工厂老板不缴社保还把我辞退了", "labor"},
	}
	for _, c := range cases {
		p := m.Predict(c.text)
		if p.Label != c.want {
			t.Errorf("Predict(%q) = %s (%.2f), want %s", c.text, p.Label, p.Confidence, c.want)
		}
		if p.Confidence <= 1.0/3 || p.Confidence > 1 {
			t.Errorf("Predict(%q) confidence %.3f, want in (1/3, 1]", c.text, p.Confidence)
		}
	}
	if got := m.Labels; strings.Join(got, ",") != "labor,property,traffic" {
		t.Errorf("labels %v", got)
	}
	if m.Examples != 300 || len(m.DataHash) != 64 || m.Version != m.DataHash[:12] {
		t.Errorf("examples %d, hash %q, version %q", m.Examples, m.DataHash, m.Version)
	}
}

func TestTrainIsDeterministicAndHashesData(t *testing.T) {
	data := synth(150, 2)
	a, err := Train(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Train(data, Options{})
	if a.DataHash != b.DataHash || !equalF32(a.W, b.W) {
		t.Fatal("two trainings on the same data differ")
	}
	data[0].Label = "traffic"
	c, _ := Train(data, Options{})
	if c.DataHash == a.DataHash {
		t.Fatal("changing a label kept the data hash")
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTrainRejectsBadInput(t *testing.T) {
	for name, c := range map[string]struct {
		ex  []Example
		tax map[string]string
		msg string
	}{
		"none":      {nil, nil, "no examples"},
		"one label": {[]Example{{"a", "x"}, {"b", "x"}}, nil, "at least two"},
		"no label":  {[]Example{{"a", "x"}, {"b", ""}}, nil, "example 2 has no label"},
		"taxonomy":  {[]Example{{"a", "x"}, {"b", "y"}}, map[string]string{"x": "X"}, `example 2: label "y" is not a code`},
	} {
		_, err := Train(c.ex, Options{Taxonomy: c.tax})
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err %v, want %q", name, err, c.msg)
		}
	}
}

func TestModelFileRoundTrip(t *testing.T) {
	m, err := Train(synth(120, 3), Options{Version: "v7", Taxonomy: map[string]string{"labor": "劳资", "property": "物业", "traffic": "交通"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "v7" || r.Taxonomy["property"] != "物业" || r.DataHash != m.DataHash || r.Features != m.Features {
		t.Fatalf("read back %q %v %q %+v", r.Version, r.Taxonomy, r.DataHash, r.Features)
	}
	for _, e := range synth(30, 4) {
		if a, b := m.Predict(e.Text), r.Predict(e.Text); a != b {
			t.Fatalf("%q: %v before, %v after the round trip", e.Text, a, b)
		}
	}

	// Another format is refused, and so is a file that is no model.
	var other bytes.Buffer
	zw := gzip.NewWriter(&other)
	if err := gob.NewEncoder(zw).Encode(fileModel{Format: FormatVersion + 1}); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if _, err := Read(&other); err == nil || !strings.Contains(err.Error(), "format 2") {
		t.Errorf("other format: %v", err)
	}
	if _, err := Read(strings.NewReader("text,label\n")); err == nil {
		t.Error("a CSV file was read as a model")
	}
}

func TestEvaluateMetrics(t *testing.T) {
	// a: 3 true, 2 found, 1 false alarm; b: 2 true, 1 found; c: never true.
	truth := []string{"a", "a", "a", "b", "b", "c"}
	pred := []string{"a", "a", "b", "b", "a", "c"}
	r := Evaluate(truth, pred)
	if r.N != 6 || r.Accuracy != 4.0/6 {
		t.Fatalf("n %d accuracy %v", r.N, r.Accuracy)
	}
	// a: P 2/3 R 2/3 F1 2/3; b: P 1/2 R 1/2 F1 1/2; c: 1, 1, 1.
	want := []float64{2.0 / 3, 0.5, 1}
	for i := range want {
		if d := r.F1[i] - want[i]; d > 1e-12 || d < -1e-12 {
			t.Errorf("F1[%s] = %v, want %v", r.Labels[i], r.F1[i], want[i])
		}
	}
	if d := r.MacroF1 - (2.0/3+0.5+1)/3; d > 1e-12 || d < -1e-12 {
		t.Errorf("macro-F1 %v", r.MacroF1)
	}
	if r.Confusion[0][1] != 1 || r.Confusion[1][0] != 1 || r.Confusion[2][2] != 1 {
		t.Errorf("confusion %v", r.Confusion)
	}
	var out bytes.Buffer
	if err := r.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != "accuracy 0.667; macro-F1 0.722; n 6" {
		t.Errorf("last line %q", last)
	}
}

func TestFoldsStratifiedAndGrouped(t *testing.T) {
	var labels, groups []string
	for i := 0; i < 40; i++ {
		l := "x"
		if i%4 == 0 {
			l = "y"
		}
		labels = append(labels, l)
		groups = append(groups, l+string(rune('a'+i%8)))
	}
	fold, err := Folds(labels, nil, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	perFold := map[[2]string]int{}
	for i, f := range fold {
		perFold[[2]string{labels[i], string(rune('0' + f))}]++
	}
	for f := 0; f < 5; f++ {
		if x, y := perFold[[2]string{"x", string(rune('0' + f))}], perFold[[2]string{"y", string(rune('0' + f))}]; x != 6 || y != 2 {
			t.Errorf("fold %d: %d x and %d y, want 6 and 2", f, x, y)
		}
	}
	fold, err = Folds(labels, groups, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]int{}
	for i, g := range groups {
		if f, ok := where[g]; ok && f != fold[i] {
			t.Fatalf("group %s in folds %d and %d", g, f, fold[i])
		}
		where[g] = fold[i]
	}
	if _, err := Folds(labels, groups, 9, 1); err == nil {
		t.Error("9 folds of 8 groups were made")
	}
}

func TestClassWeightsLiftTheRareClass(t *testing.T) {
	// 8 property messages for 400 of each other label.
	var data []Example
	n := 0
	for _, e := range synth(1200, 5) {
		if e.Label == "property" {
			if n++; n%50 != 0 {
				continue
			}
		}
		data = append(data, e)
	}
	test := synth(300, 6)
	recall := func(o Options) float64 {
		m, err := Train(data, o)
		if err != nil {
			t.Fatal(err)
		}
		var n, hit float64
		for _, e := range test {
			if e.Label == "property" {
				n++
				if m.Predict(e.Text).Label == "property" {
					hit++
				}
			}
		}
		return hit / n
	}
	weighted, unweighted := recall(Options{}), recall(Options{Train: TrainConfig{Unweighted: true}})
	t.Logf("rare-class recall: weighted %.3f, unweighted %.3f", weighted, unweighted)
	if weighted <= unweighted {
		t.Errorf("class weights did not lift the rare class's recall: %.3f ≤ %.3f", weighted, unweighted)
	}
}
