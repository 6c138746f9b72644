package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestStateBuildsAreSharedAndDropped: the jobs of one window end share one
// build of case_state; builds of other ends replace the oldest, so a store
// keeps three once the others are no longer read.
func TestStateBuildsAreSharedAndDropped(t *testing.T) {
	ch := testenv.ClickHouse(t)
	st := migrated(t)
	ctx := context.Background()
	if err := st.InsertCases(ctx, []schemas.CaseRow{apiCase("a", "150502000000", "150502001000", 2, "labor", schemas.StatusAccepted, "")}); err != nil {
		t.Fatal(err)
	}
	builds := func() string {
		t.Helper()
		out, err := ch.Query(ctx, "SELECT uniqExact(build), count() FROM "+st.Database()+".case_state")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, schemas.Shanghai)
	end := start.AddDate(0, 0, 7)
	for i := 0; i < 3; i++ { // the same window end, three readers
		cells, err := st.HotspotCells(ctx, start, end)
		if err != nil {
			t.Fatal(err)
		}
		if len(cells) != 1 || cells[0].Cases != 1 {
			t.Fatalf("cells %+v, want the one case", cells)
		}
	}
	if got := builds(); got != "1\t1" {
		t.Errorf("after three reads of one window end: builds, rows = %q, want 1 build of 1 row", got)
	}
	for d := 1; d <= 4; d++ {
		if _, err := st.HotspotCells(ctx, start, end.AddDate(0, 0, d)); err != nil {
			t.Fatal(err)
		}
	}
	if got := builds(); got != "5\t5" {
		t.Errorf("after five window ends read just now: builds, rows = %q, want all 5 kept (a query may still read them)", got)
	}
	store.SetStateGrace(st, time.Nanosecond)
	if _, err := st.HotspotCells(ctx, start, end.AddDate(0, 0, 5)); err != nil {
		t.Fatal(err)
	}
	if got := builds(); got != "3\t3" {
		t.Errorf("after six window ends, the older ones unused: builds, rows = %q, want 3 builds of 1 row", got)
	}
}
