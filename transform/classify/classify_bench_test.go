package classify

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time: on a shared machine the
// wall time of a benchmark includes waiting for a core, its CPU time does
// not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per op since start as "cpu-ns/op".
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

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
	start := cpuTime()
	for b.Loop() {
		if _, err := Train(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
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
	start := cpuTime()
	for b.Loop() {
		m.Predict(data[i%len(data)].Text)
		i++
	}
	reportCPU(b, start)
}

// BenchmarkPredictLong classifies messages of about 150 characters, the
// length of a citizen's message on a 问政 board.
func BenchmarkPredictLong(b *testing.B) {
	data := benchData(2000)
	m, err := Train(data, Options{})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, len(data))
	for i := range texts {
		texts[i] = data[i].Text + data[(i+1)%len(data)].Text
	}
	b.ReportAllocs()
	i := 0
	start := cpuTime()
	for b.Loop() {
		m.Predict(texts[i%len(texts)])
		i++
	}
	reportCPU(b, start)
}
