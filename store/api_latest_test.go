package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/store"
)

// TestAPIRiskLatestSkipsWindowsWithoutIndex: the newest risk window whose
// rows all lack an index (a week past the data) is not "the latest"; the
// week before it, with an index, is.
func TestAPIRiskLatestSkipsWindowsWithoutIndex(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	sh := time.FixedZone("CST", 8*3600)
	row := func(end time.Time, index float64) store.RiskIndexRow {
		return store.RiskIndexRow{Window: "week", WindowStart: end.AddDate(0, 0, -7), WindowEnd: end, Level: 3,
			RegionCode: "150521000000", ParentCode: "150500000000", Index: index, Score: index, BandIndex: "blue", Band: "blue",
			Agreement: math.NaN(), DataLagDays: math.NaN(), ComputedAt: end}
	}
	withData, past := time.Date(2026, 11, 2, 0, 0, 0, 0, sh), time.Date(2026, 11, 9, 0, 0, 0, 0, sh)
	if err := st.WriteRiskIndex(ctx, []store.RiskIndexRow{row(withData, 3.2), row(past, math.NaN())}); err != nil {
		t.Fatal(err)
	}
	tab, err := st.APIRiskIndex(ctx, store.APIResultQuery{Window: "week", Latest: true, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, c := range tab.Columns {
		if c == "window_end" {
			col = i
		}
	}
	if col < 0 || len(tab.Rows) != 1 {
		t.Fatalf("columns %v, %d rows; want one row with window_end", tab.Columns, len(tab.Rows))
	}
	if end, ok := tab.Rows[0][col].(time.Time); !ok || !end.Equal(withData) {
		t.Errorf("latest window_end %v, want %v (the week with an index)", tab.Rows[0][col], withData)
	}
}
