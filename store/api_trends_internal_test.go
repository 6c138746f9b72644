package store

import (
	"testing"
	"time"
)

// TestRefreshChunksFollowYears: the refresh batches are sorted, never span
// two years (cases' partitions) and hold at most refreshMaxDays days.
func TestRefreshChunksFollowYears(t *testing.T) {
	var days []time.Time
	for d := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC); d.After(time.Date(2024, 11, 30, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, -1) {
		days = append(days, d) // newest first
	}
	got := refreshChunks(days)
	var sizes []int
	n := 0
	for _, c := range got {
		sizes = append(sizes, len(c))
		n += len(c)
		for i := range c {
			if c[i].Year() != c[0].Year() || i > 0 && !c[i].After(c[i-1]) {
				t.Fatalf("batch %v…%v mixes years or is not sorted", c[0], c[len(c)-1])
			}
		}
	}
	// 2024: 31 days of December; 2025: 186 + 179; 2026: 10.
	if want := []int{31, 186, 179, 10}; n != len(days) || len(sizes) != len(want) || sizes[0] != 31 || sizes[1] != 186 || sizes[2] != 179 || sizes[3] != 10 {
		t.Errorf("batch sizes %v over %d days, want %v", sizes, n, want)
	}
	if refreshChunks(nil) != nil {
		t.Error("no days gave batches")
	}
}
