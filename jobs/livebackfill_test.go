package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/transform"
)

// resultTables are the tables the index jobs write.
var resultTables = []string{"region_kpis", "supervision_cases", "supervision_units", "type_ranks", "hotspots", "risk_index", "stat_alarms"}

// TestLiveEqualsBackfill feeds a slice of the demo stream (three ISO weeks,
// 2026-01-19 … 2026-02-08, across a month end, the default rate and
// outbreaks) in time order,
// one day at a time, and runs every job for each window as it closes (day
// jobs each day, week jobs each Monday, month jobs on the 1st), as the
// scheduler does live. Then it empties the result tables and backfills
// every window from scratch over the complete stream: every row of every
// result table (without computed_at, the run's clock) must be identical.
func TestLiveEqualsBackfill(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "live")
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 19, 0, 0, 0, 0, schemas.Shanghai)
	to := time.Date(2026, 2, 8, 0, 0, 0, 0, schemas.Shanghai)
	gen, err := demo.New(demo.Options{Seed: 5, From: from, To: to, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	var clockNow time.Time
	clock := func() time.Time { return clockNow }
	sched := scheduler.New(scheduler.NewMemoryRunStore(), clock, nil, scheduler.Options{})
	all := All(st, reg, clock, Options{})
	for _, j := range all {
		if err := sched.Add(j); err != nil {
			t.Fatal(err)
		}
	}

	// Live: day by day, ingest what happened up to the day's end, then run
	// every job whose window closes then.
	var pending *schemas.Record
	var offset int64
	records := 0
	last := to.AddDate(0, 0, 1)
	for end := from.AddDate(0, 0, 1); !end.After(last); end = end.AddDate(0, 0, 1) {
		var rows []schemas.CaseRow
		for {
			if pending == nil {
				r, ok := gen.Next()
				if !ok {
					break
				}
				pending = &r
			}
			if pending.UpdatedAt == nil || pending.UpdatedAt.After(end) {
				break
			}
			b, err := schemas.MarshalRecord(*pending)
			if err != nil {
				t.Fatal(err)
			}
			offset++
			row, err := tr.Transform(b, transform.Meta{Topic: "disputes", Offset: offset}, end)
			if err != nil {
				t.Fatalf("record %d: %v", offset, err)
			}
			rows = append(rows, row)
			pending = nil
		}
		records += len(rows)
		if err := st.InsertCases(ctx, rows); err != nil {
			t.Fatal(err)
		}
		clockNow = end.Add(10 * time.Minute)
		for _, j := range all {
			if j.Window.Align(end).Equal(end) {
				if err := sched.RunWindow(ctx, j.Name, end); err != nil {
					t.Fatalf("live %s at %s: %v", j.Name, end, err)
				}
			}
		}
	}
	if pending != nil {
		t.Fatalf("the stream goes on after %s: %+v", last, pending)
	}
	if records < 2000 {
		t.Fatalf("only %d records in the slice", records)
	}
	live := snapshotResults(t, ctx, ch, st.Database())

	for _, tb := range resultTables {
		if _, err := ch.Query(ctx, "TRUNCATE TABLE "+st.Database()+"."+tb); err != nil {
			t.Fatal(err)
		}
	}
	if n := snapshotResults(t, ctx, ch, st.Database()); n.rows != 0 {
		t.Fatalf("%d result rows left after emptying the tables", n.rows)
	}
	clockNow = last.AddDate(0, 3, 0)
	if err := sched.Backfill(ctx, "", from.AddDate(0, 0, 1), last, nil); err != nil {
		t.Fatal(err)
	}
	backfill := snapshotResults(t, ctx, ch, st.Database())

	compared, differing := 0, 0
	for _, tb := range resultTables {
		a, b := live.lines[tb], backfill.lines[tb]
		if len(a) == 0 {
			t.Errorf("%s: no rows written live", tb)
		}
		if len(a) != len(b) {
			t.Errorf("%s: %d rows live, %d after the backfill", tb, len(a), len(b))
		}
		for i := 0; i < min(len(a), len(b)); i++ {
			compared++
			if a[i] != b[i] {
				differing++
				if differing <= 5 {
					t.Errorf("%s row %d:\nlive     %s\nbackfill %s", tb, i, a[i], b[i])
				}
			}
		}
	}
	t.Logf("%d records, %d result rows compared, %d differing", records, compared, differing)
	if differing > 0 {
		t.Errorf("%d of %d result rows differ between live and backfill", differing, compared)
	}
}

type resultSnapshot struct {
	rows  int
	lines map[string][]string
}

// snapshotResults reads every result table (FINAL, every column but
// computed_at) as sorted lines.
func snapshotResults(t *testing.T, ctx context.Context, ch interface {
	Query(context.Context, string) (string, error)
}, db string) resultSnapshot {
	t.Helper()
	s := resultSnapshot{lines: map[string][]string{}}
	for _, tb := range resultTables {
		cols, err := ch.Query(ctx, fmt.Sprintf("SELECT name FROM system.columns WHERE database = '%s' AND table = '%s' AND name != 'computed_at'", db, tb))
		if err != nil {
			t.Fatal(err)
		}
		names := strings.Fields(cols)
		if len(names) == 0 {
			t.Fatalf("table %s has no columns", tb)
		}
		out, err := ch.Query(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+db+"."+tb+" FINAL")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if out == "" {
			lines = nil
		}
		slices.Sort(lines)
		s.lines[tb] = lines
		s.rows += len(lines)
	}
	return s
}
