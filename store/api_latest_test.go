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

// TestAPITypesLatestSkipsMonthsWithoutCases: the type ranking's latest
// month is the newest month with cases in the scope (a month past the end
// of the data has rows of zeros); a category without cases in that month
// shows that month, not an older one where it had cases.
func TestAPITypesLatestSkipsMonthsWithoutCases(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	sh := time.FixedZone("CST", 8*3600)
	oct, nov, dec := time.Date(2026, 10, 1, 0, 0, 0, 0, sh), time.Date(2026, 11, 1, 0, 0, 0, 0, sh), time.Date(2026, 12, 1, 0, 0, 0, 0, sh)
	row := func(end time.Time, cat string, cases uint64) store.TypeRank {
		return store.TypeRank{Window: "month", WindowEnd: end, Level: 3, RegionCode: "150521000000", Category: cat, Rank: 1,
			Cases: cases, Growth: math.NaN(), Z: math.NaN(), P: math.NaN(), ComputedAt: end}
	}
	rows := []store.TypeRank{row(oct, "land", 7), row(oct, "labor", 3), row(nov, "land", 5), row(nov, "labor", 0),
		row(dec, "land", 0), row(dec, "labor", 0)}
	if err := st.WriteTypeRanks(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cats []string
		want time.Time
	}{{nil, nov}, {[]string{"labor"}, nov}} {
		tab, err := st.APITypeRanks(ctx, store.APIResultQuery{Window: "month", Latest: true, Limit: 10,
			Filter: store.APIFilter{Categories: c.cats}})
		if err != nil {
			t.Fatal(err)
		}
		col := -1
		for i, name := range tab.Columns {
			if name == "window_end" {
				col = i
			}
		}
		if col < 0 || len(tab.Rows) == 0 {
			t.Fatalf("categories %v: columns %v, %d rows; want rows with window_end", c.cats, tab.Columns, len(tab.Rows))
		}
		for _, r := range tab.Rows {
			if end, ok := r[col].(time.Time); !ok || !end.Equal(c.want) {
				t.Errorf("categories %v: latest window_end %v, want %v (the newest month with cases)", c.cats, r[col], c.want)
			}
		}
	}
}
