package classify

import (
	"math"
	"slices"
	"testing"
	"unicode/utf8"
)

// FuzzPredict: any text, valid UTF-8 or not, gets one of the model's
// labels with the largest of its probabilities, which sum to 1.
func FuzzPredict(f *testing.F) {
	m, err := Train(synth(90, 9), Options{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", " ", "老板拖欠工资", "ＡＢＣ１２３", "\xff\xfe", "。。。", "a\u0000b", "𠀀𠀁𠀂"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := m.Predict(s)
		if !slices.Contains(m.Labels, p.Label) {
			t.Fatalf("label %q not among %v", p.Label, m.Labels)
		}
		probs := m.Probabilities(s)
		sum, top := 0.0, 0.0
		for _, q := range probs {
			if !(q >= 0 && q <= 1) {
				t.Fatalf("probability %v", q)
			}
			sum += q
			top = math.Max(top, q)
		}
		if math.Abs(sum-1) > 1e-9 || p.Confidence != top {
			t.Fatalf("probabilities %v (sum %v), confidence %v", probs, sum, p.Confidence)
		}
		// Normalised text holds no boundary at either end and never two in a row.
		rs := normalise(s, nil)
		for i, r := range rs {
			if r == boundary && (i == 0 || i == len(rs)-1 || rs[i-1] == boundary) {
				t.Fatalf("normalise(%q) = %q", s, string(rs))
			}
			if r == utf8.RuneError && utf8.ValidString(s) && !containsRune(s, utf8.RuneError) {
				t.Fatalf("normalise(%q) made a replacement character", s)
			}
		}
	})
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}
