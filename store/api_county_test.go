package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestAPICountyAndCubeByPlace: trends with one or two case filters over
// the whole registry or a county (as the API passes it) come from
// api_county, those of a town (with or without filters), by town, of
// villages or with three filters from the cube read by place, and every
// answer equals the counts by hand (and the cases table's); a case whose
// later version leaves the filters stops counting once its day is
// recomputed.
func TestAPICountyAndCubeByPlace(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	const a, t1, t2 = "150521000000", "150521100000", "150521101000"
	const b, tb = "150502000000", "150502001000"
	due := func(d int) *time.Time { x := time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC); return &x }
	mk := func(id, county, town string, day int, cat string, sev schemas.Severity, status schemas.Status,
		ch schemas.Channel, src schemas.Source, dueAt *time.Time, sat schemas.Satisfaction) schemas.CaseRow {
		r := apiCase(id, county, town, day, cat, status, sev)
		r.Channel, r.Source, r.DueAt, r.Satisfaction = ch, src, dueAt, sat
		return r
	}
	const diff, simple = schemas.SeverityDifficult, schemas.SeveritySimple
	const acc, hdl, res = schemas.StatusAccepted, schemas.StatusHandling, schemas.StatusResolved
	const phone, visit, online = schemas.ChannelPhone, schemas.ChannelVisit, schemas.ChannelOnline
	const hot, plat, grid = schemas.SourceHotline, schemas.SourcePlatform, schemas.SourceGrid
	p8 := mk("p8", a, t1, 11, "labor", diff, acc, visit, plat, due(12), "")
	rows := []schemas.CaseRow{
		mk("p1", a, t1, 2, "labor", diff, acc, phone, hot, due(10), ""),
		mk("p2", a, t1, 3, "labor", diff, hdl, visit, plat, due(25), ""),
		mk("p3", a, t2, 3, "family", diff, acc, phone, plat, nil, ""),
		mk("p4", a, t2, 9, "labor", diff, res, phone, hot, due(5), schemas.SatisfactionSatisfied),
		mk("p5", a, t1, 10, "labor", simple, acc, phone, hot, due(1), ""),
		mk("p6", b, tb, 2, "labor", diff, acc, online, grid, due(1), ""),
		mk("p7", b, tb, 10, "family", diff, hdl, phone, hot, due(15), ""),
		p8,
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	refresh := func(at time.Time) {
		t.Helper()
		days, err := st.APIDailyChangedDays(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.APIRefreshDaily(ctx, days, at); err != nil {
			t.Fatal(err)
		}
	}
	refresh(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	asOf := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	type want struct {
		key                                            string
		cases, resolved, evaluated, satisfied, overdue uint64
	}
	openDifficult := store.APIFilter{From: from, To: to, Severities: []string{"difficult"}, Statuses: []string{"accepted", "handling"}}
	inCounty := openDifficult
	inCounty.Prefixes = []string{"", "150521"}
	inTown := openDifficult
	inTown.Prefixes = []string{"150521100"}
	phoneHotline := store.APIFilter{From: from, To: to, Channels: []string{"phone"}, Sources: []string{"hotline"}}
	three := phoneHotline
	three.Severities = []string{"difficult"}
	phoneInA := store.APIFilter{Prefixes: []string{"150521", ""}, From: from, To: to, Channels: []string{"phone"}}
	townOnly := store.APIFilter{Prefixes: []string{"150521100"}, From: from, To: to}
	type check struct {
		name, source string
		q            store.APITrendQuery
		want         []want
	}
	run := func(checks []check) {
		t.Helper()
		for _, c := range checks {
			for _, daily := range []bool{true, false} {
				q := c.q
				q.Granularity, q.AsOf, q.Limit, q.UseDaily, q.Satisfaction, q.Overdue = "month", asOf, 100, daily, true, true
				wantSource := store.APISourceCases
				if daily {
					wantSource = c.source
				}
				got, _, source, err := st.APITrends(ctx, q)
				if err != nil {
					t.Fatalf("%s from %s: %v", c.name, wantSource, err)
				}
				if source != wantSource {
					t.Errorf("%s: answered by %s, want %s", c.name, source, wantSource)
				}
				var g []want
				for _, r := range got {
					g = append(g, want{r.Key, r.Cases, r.Resolved, r.Evaluated, r.Satisfied, r.Overdue})
				}
				if fmt.Sprint(g) != fmt.Sprint(c.want) {
					t.Errorf("%s from %s: %+v, want %+v", c.name, source, g, c.want)
				}
			}
		}
	}
	// Difficult and accepted or handling: p1, p2, p3, p8 in county a (p1
	// and p8 overdue on the 20th: due the 10th and 12th; p2 is due the
	// 25th, p3 has no due date), p6 and p7 in b (both overdue).
	run([]check{
		{"two filters by county", store.APISourceCounty, store.APITrendQuery{Filter: openDifficult, Group: "county"},
			[]want{{b, 2, 0, 0, 0, 2}, {a, 4, 0, 0, 0, 2}}},
		{"two filters in a county", store.APISourceCounty, store.APITrendQuery{Filter: inCounty, County: a},
			[]want{{"", 4, 0, 0, 0, 2}}},
		{"two filters in a county the API did not name", store.APISourceCube, store.APITrendQuery{Filter: inCounty},
			[]want{{"", 4, 0, 0, 0, 2}}},
		{"two filters by town in a county", store.APISourceCube, store.APITrendQuery{Filter: inCounty, County: a, Group: "town"},
			[]want{{t1, 3, 0, 0, 0, 2}, {t2, 1, 0, 0, 0, 0}}},
		{"two filters in a town", store.APISourceCube, store.APITrendQuery{Filter: inTown, County: a, Town: t1},
			[]want{{"", 3, 0, 0, 0, 2}}},
		// Phone and hotline: p1, p4 (resolved, satisfied), p5 (labor);
		// p7 (family). Overdue: p1 (due the 10th), p5 (the 1st), p7 (the
		// 15th); p4 is resolved.
		{"channel and source by category", store.APISourceCounty, store.APITrendQuery{Filter: phoneHotline, Group: "category"},
			[]want{{"family", 1, 0, 0, 0, 1}, {"labor", 3, 1, 1, 1, 2}}},
		// And difficult: p1, p4, p7.
		{"three filters", store.APISourceCube, store.APITrendQuery{Filter: three},
			[]want{{"", 3, 1, 1, 1, 2}}},
		// Phone alone in county a: p1, p3, p4, p5 (overdue p1, p5).
		{"one filter in a county", store.APISourceCounty, store.APITrendQuery{Filter: phoneInA, County: a},
			[]want{{"", 4, 1, 1, 1, 2}}},
		// Town t1 without filters: p1, p2, p5, p8 (overdue p1, p5, p8).
		{"a town", store.APISourceCube, store.APITrendQuery{Filter: townOnly, County: a, Town: t1},
			[]want{{"", 4, 0, 0, 0, 3}}},
		// Phone alone, the towns of county a: t1 p1, p5; t2 p3, p4.
		{"one filter by town in a county", store.APISourceCube, store.APITrendQuery{Filter: phoneInA, County: a, Group: "town"},
			[]want{{t1, 2, 0, 0, 0, 2}, {t2, 2, 1, 1, 1, 0}}},
		// The villages of t1: every case is located to the town ('').
		{"villages of a town", store.APISourceCube, store.APITrendQuery{Filter: townOnly, County: a, Town: t1, Group: "village", Villages: true},
			[]want{{"", 4, 0, 0, 0, 3}}},
	})
	// p8 is resolved by its second version: it leaves the open difficult
	// cases of county a and of town t1 once its day is recomputed.
	p8v2 := p8
	p8v2.Version, p8v2.Status, p8v2.Satisfaction = 2, res, schemas.SatisfactionBasic
	if err := st.InsertCases(ctx, []schemas.CaseRow{p8v2}); err != nil {
		t.Fatal(err)
	}
	refresh(time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC))
	run([]check{
		{"two filters by county after p8 resolved", store.APISourceCounty, store.APITrendQuery{Filter: openDifficult, Group: "county"},
			[]want{{b, 2, 0, 0, 0, 2}, {a, 3, 0, 0, 0, 1}}},
		{"two filters in a town after p8 resolved", store.APISourceCube, store.APITrendQuery{Filter: inTown, County: a, Town: t1},
			[]want{{"", 2, 0, 0, 0, 1}}},
	})
}
