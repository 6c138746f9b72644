package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

// TestWindowsArePointInTime: a case open and overdue at a day's end and
// closed (resolved, evaluated 不满意→满意) the next day keeps counting as
// overdue, unresolved and lit in that day's KPIs and 督办 snapshot when the
// day is computed again after the closing version arrived; the next day's
// figures see it closed.
func TestWindowsArePointInTime(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "pit")
	reg := smallRegistry(t)
	day := sh(2026, 3, 1) // window 03-01, end T = 03-02 00:00
	end := day.AddDate(0, 0, 1)
	reported := day.Add(9 * time.Hour)
	due := day.Add(12 * time.Hour)
	resolved := end.Add(10 * time.Hour)
	version := func(v uint32, status schemas.Status, updated time.Time) schemas.CaseRow {
		r := schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: "x", Version: v, Contract: 1,
			ReportedAt: reported, ReportedDate: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			RegionCode: "V1", RegionLevel: 5, CityCode: "C", CountyCode: "K1", TownCode: "T1", VillageCode: "V1",
			Category: "other", CategoryGroup: "other", Parties: 1, Status: status, AssignedUnit: "unit",
			DueAt: &due, IngestedAt: updated, UpdatedAt: updated}
		if status == schemas.StatusClosed {
			r.ResolvedAt, r.Satisfaction = &resolved, schemas.SatisfactionSatisfied
		}
		return r
	}
	n := 0
	clock := func() time.Time { n++; return end.AddDate(0, 0, 5).Add(time.Duration(n) * time.Second) }
	kpi := KPIJob(st, reg, schemas.Day, clock)
	sup := SupervisionJob(st, DefaultSupervisionConfig(), clock)
	read := func(at time.Time) string {
		t.Helper()
		w := "toDateTime('" + at.In(schemas.Shanghai).Format(time.DateTime) + "', 'Asia/Shanghai')"
		k, err := ch.Query(ctx, "SELECT accepted, resolved, satisfied, overdue, handled FROM "+st.Database()+".region_kpis FINAL "+
			"WHERE window = 'day' AND window_end = "+w+" AND region_code = 'V1'")
		if err != nil {
			t.Fatal(err)
		}
		l, err := ch.Query(ctx, "SELECT light FROM "+st.Database()+".supervision_cases FINAL WHERE window_end = "+w+" AND case_id = 'x'")
		if err != nil {
			t.Fatal(err)
		}
		return k + "light " + l
	}
	run := func(at time.Time) {
		t.Helper()
		if _, err := kpi(ctx, at); err != nil {
			t.Fatal(err)
		}
		if _, err := sup(ctx, at); err != nil {
			t.Fatal(err)
		}
	}

	if err := st.InsertCases(ctx, []schemas.CaseRow{version(1, schemas.StatusHandling, reported)}); err != nil {
		t.Fatal(err)
	}
	run(end)
	live := read(end)
	// By hand: reported 03-01 09:00, due 12:00, still handling at 03-02 00:00.
	// accepted, resolved, satisfied, overdue, handled; light.
	want := "1\t0\t0\t1\t0\nlight yellow\n"
	if live != want {
		t.Fatalf("live figures of 03-01: %+v, want %+v", live, want)
	}

	if err := st.InsertCases(ctx, []schemas.CaseRow{version(2, schemas.StatusClosed, resolved)}); err != nil {
		t.Fatal(err)
	}
	run(end)
	if again := read(end); again != want {
		t.Errorf("03-01 recomputed after the case closed on 03-02: %q, want %q", again, want)
	}
	// A version in effect at the day's end that arrives late (another case
	// reported on 03-01, delivered after the day was computed) counts when
	// the day is computed again.
	late := version(1, schemas.StatusAccepted, reported.Add(time.Hour))
	late.CaseID = "y"
	if err := st.InsertCases(ctx, []schemas.CaseRow{late}); err != nil {
		t.Fatal(err)
	}
	run(end)
	// By hand: y is open and was due at 12:00 too, so overdue as well.
	if got, want := read(end), "2\t0\t0\t2\t0\nlight yellow\n"; got != want {
		t.Errorf("03-01 recomputed after a late record of 03-01: %q, want %q", got, want)
	}
	run(end.AddDate(0, 0, 1))
	// 03-02: x closed (resolved and handled in the window, not overdue, not
	// in the snapshot); y still open and overdue; both were reported the day
	// before, so not accepted.
	if next, want := read(end.AddDate(0, 0, 1)), "0\t0\t0\t1\t1\nlight "; next != want {
		t.Errorf("03-02 figures: %q, want %q", next, want)
	}
}
