package demo

import (
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

// benchOptions is the stream NewN makes for a million records: two years
// at a small province's scale (200k cases a year).
func benchOptions() Options {
	return Options{Seed: 1, CasesPerYear: 200_000}
}

// BenchmarkNext measures the cost of one record.
func BenchmarkNext(b *testing.B) {
	b.ReportAllocs()
	g, err := New(benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := g.Next(); !ok {
			b.StopTimer()
			if g, err = New(benchOptions()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
}

// BenchmarkNextJSON adds the marshalling the wiring does before writing to
// Kafka, for comparison.
func BenchmarkNextJSON(b *testing.B) {
	b.ReportAllocs()
	g, err := New(benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		r, ok := g.Next()
		if !ok {
			b.StopTimer()
			if g, err = New(benchOptions()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			continue
		}
		buf, err := schemas.MarshalRecord(r)
		if err != nil {
			b.Fatal(err)
		}
		n += int64(len(buf))
	}
	b.SetBytes(n / int64(max(b.N, 1)))
}
