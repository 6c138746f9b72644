package classify

import (
	"fmt"
	"testing"
)

// benchData returns n messages of about 80 characters in 7 labels (the
// size of a first-level complaint taxonomy).
func benchData(n int) []Example {
	a, b := synth(n, 11), synth(n, 12)
	out := make([]Example, n)
	for i := range out {
		out[i] = Example{Text: a[i].Text + b[i].Text, Label: fmt.Sprintf("%s%d", a[i].Label, i%7/3)}
	}
	return out
}

// BenchmarkTrain10k trains on 10,000 messages (run with -cpu 1).
func BenchmarkTrain10k(b *testing.B) {
	data := benchData(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Train(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict classifies one message per iteration (run with -cpu 1).
func BenchmarkPredict(b *testing.B) {
	data := benchData(2000)
	m, err := Train(data, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Predict(data[i%len(data)].Text)
		i++
	}
}
