package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
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

// TestIncrementalStateEqualsScratch: builds of case_state made from an
// earlier build (the versions since its end, late versions before it,
// versions in effect before their case's report, re-delivered duplicates, a time cleared by a newer version, a case
// reported after the earlier end) have exactly the rows of a build of the
// same end made from scratch, for random histories.
func TestIncrementalStateEqualsScratch(t *testing.T) {
	ch := testenv.ClickHouse(t)
	st := migrated(t)
	store.SetStateMinOverlay(st, 1) // deltas over 400 cases too
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(16, 1))
	day0 := time.Date(2026, 3, 1, 0, 0, 0, 0, schemas.Shanghai)
	type arrival struct {
		at  time.Time // when it reaches the store
		row schemas.CaseRow
	}
	var arrivals []arrival
	statuses := []schemas.Status{schemas.StatusAccepted, schemas.StatusRouted, schemas.StatusHandling, schemas.StatusResolved, schemas.StatusFailed, schemas.StatusClosed}
	sats := []schemas.Satisfaction{"", schemas.SatisfactionSatisfied, schemas.SatisfactionBasic, schemas.SatisfactionDissatisfied}
	towns := []string{"150502001000", "150502002000", "150521100000"}
	backdated := 0
	for i := 0; i < 400; i++ {
		reported := day0.Add(time.Duration(rng.IntN(40*24)) * time.Hour)
		updated := reported
		if rng.IntN(8) == 0 {
			// Backdated: in effect before the case's report, across a
			// window end for some.
			updated = reported.Add(-time.Duration(1+rng.IntN(36)) * time.Hour)
			if updated.Truncate(24*time.Hour) != reported.Truncate(24*time.Hour) {
				backdated++
			}
		}
		for v := 1; v <= 1+rng.IntN(4); v++ {
			if v > 1 {
				// Mostly later than the version before, sometimes earlier.
				updated = updated.Add(time.Duration(rng.IntN(6*24)-12) * time.Hour)
				if updated.Before(reported) {
					updated = reported
				}
			}
			town := towns[rng.IntN(len(towns))]
			r := apiCase(fmt.Sprintf("c%03d", i), town[:6]+"000000", town, 1, "labor", statuses[rng.IntN(len(statuses))], schemas.SeverityGeneral)
			r.ReportedAt, r.ReportedDate = reported, time.Date(reported.Year(), reported.Month(), reported.Day(), 0, 0, 0, 0, time.UTC)
			r.Version, r.UpdatedAt, r.IngestedAt = uint32(v), updated, updated
			r.Parties, r.AmountCNY = uint32(rng.IntN(50)), float64(rng.IntN(100000))/100
			r.Satisfaction = sats[rng.IntN(len(sats))]
			if rng.IntN(2) == 0 { // set, or cleared by this version
				due := reported.Add(time.Duration(rng.IntN(20*24)) * time.Hour)
				r.DueAt = &due
			}
			if rng.IntN(3) == 0 {
				res := updated
				r.ResolvedAt = &res
			}
			arrive := updated
			if rng.IntN(12) == 0 {
				// Late: with the next import, every eighth day (other
				// builds stay on their earlier build; these rebuild).
				arrive = day0.AddDate(0, 0, 8*(1+int(updated.Sub(day0)/(8*24*time.Hour)))).Add(time.Hour)
			}
			arrivals = append(arrivals, arrival{arrive, r})
			if rng.IntN(10) == 0 { // re-delivered within hours
				arrivals = append(arrivals, arrival{arrive.Add(time.Duration(rng.IntN(3*60)) * time.Minute), r})
			}
		}
	}
	if backdated < 5 {
		t.Fatalf("only %d cases have a first version in effect on an earlier day than their report", backdated)
	}
	sort.SliceStable(arrivals, func(i, j int) bool { return arrivals[i].at.Before(arrivals[j].at) })
	next, compared := 0, 0
	check := func(end time.Time) {
		t.Helper()
		inc, err := store.StateRows(ctx, st, end, false)
		if err != nil {
			t.Fatal(err)
		}
		scratch, err := store.StateRows(ctx, st, end, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(inc) != len(scratch) {
			t.Fatalf("state at %s: %d rows built on an earlier build, %d from scratch", end.Format(time.DateTime), len(inc), len(scratch))
		}
		for i := range inc {
			if inc[i] != scratch[i] {
				t.Fatalf("state at %s, row %d:\n on an earlier build %s\n from scratch        %s", end.Format(time.DateTime), i, inc[i], scratch[i])
			}
		}
		compared += len(inc)
	}
	for d := 1; d <= 48; d++ {
		end := day0.AddDate(0, 0, d)
		tick := end.Add(time.Duration(rng.IntN(12)) * time.Hour) // the jobs run a little after the end
		var batch []schemas.CaseRow
		for ; next < len(arrivals) && !arrivals[next].at.After(tick); next++ {
			batch = append(batch, arrivals[next].row)
		}
		if len(batch) > 0 {
			if err := st.InsertCases(ctx, batch); err != nil {
				t.Fatal(err)
			}
		}
		if d%7 == 0 { // merges (case_events collapses the duplicates)
			for _, table := range []string{"case_events", "case_updates"} {
				if _, err := ch.Query(ctx, "OPTIMIZE TABLE "+st.Database()+"."+table+" FINAL"); err != nil {
					t.Fatal(err)
				}
			}
		}
		check(end)
		if d%5 == 0 { // an earlier window recomputed
			check(end.AddDate(0, 0, -3))
		}
	}
	full, incremental, overlays := store.StateBuilds(st)
	t.Logf("%d rows compared; builds on an earlier build %d (%d of them deltas read over it), from scratch %d (half of them the comparison's)",
		compared, incremental, overlays, full)
	if incremental < 20 || overlays < 10 || incremental-overlays < 3 {
		t.Errorf("only %d of the builds were made on an earlier build, %d of them deltas read over it", incremental, overlays)
	}
}
