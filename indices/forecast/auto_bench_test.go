package forecast

import (
	"testing"
	"time"
)

// BenchmarkAutoWeekly is model choice and forecast for one weekly series of
// two years (hepatitisA's first 104 weeks), horizon 4, with the calendar.
func BenchmarkAutoWeekly(b *testing.B) {
	y := readRef(b, "series_hepatitisA.csv").col(b, "y")[:104]
	cal := &Calendar{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), StepDays: 7, Holidays: ChinaHolidays}
	for b.Loop() {
		if _, err := Auto(y, Options{Period: 52, Horizon: 4, Calendar: cal}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAutoSparse is the same for a sparse series (mostly zeros).
func BenchmarkAutoSparse(b *testing.B) {
	y := make([]float64, 104)
	for i := range y {
		if i%7 == 3 || i%11 == 0 {
			y[i] = float64(1 + i%3)
		}
	}
	cal := &Calendar{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), StepDays: 7, Holidays: ChinaHolidays}
	for b.Loop() {
		if _, err := Auto(y, Options{Period: 52, Horizon: 4, Calendar: cal}); err != nil {
			b.Fatal(err)
		}
	}
}
