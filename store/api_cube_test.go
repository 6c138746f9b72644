package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestAPICubeMatchesCasesFinal: the trends api_cube answers (two case
// filters, overdue judged between the due dates, village series with a case
// filter) equal the counts by hand over the cases' latest versions, and the
// cases FINAL path gives the same. Concluded cases (resolved, failed,
// closed) are never overdue, nor one due exactly at AsOf or later, nor one
// without a due date; a case resolved by a later version counts as resolved.
func TestAPICubeMatchesCasesFinal(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	const county, town, v1, v2 = "150521000000", "150521100000", "150521100001", "150521100002"
	due := func(day int) *time.Time { d := time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC); return &d }
	mk := func(id, village string, day int, sev schemas.Severity, status schemas.Status, ch schemas.Channel, dueAt *time.Time, sat schemas.Satisfaction) schemas.CaseRow {
		r := apiCase(id, county, town, day, "labor", status, sev)
		if village != "" {
			r.RegionCode, r.RegionLevel, r.VillageCode = village, 5, village
		}
		r.Channel, r.DueAt, r.Satisfaction = ch, dueAt, sat
		return r
	}
	const diff, simple = schemas.SeverityDifficult, schemas.SeveritySimple
	visit := schemas.ChannelVisit
	c8 := mk("c8", v1, 11, diff, schemas.StatusHandling, visit, due(12), "")
	rows := []schemas.CaseRow{
		mk("c1", v1, 2, diff, schemas.StatusHandling, visit, due(10), ""),                // overdue
		mk("c2", v1, 3, diff, schemas.StatusAccepted, schemas.ChannelPhone, due(25), ""), // due after AsOf
		mk("c3", v1, 3, diff, schemas.StatusResolved, visit, due(5), schemas.SatisfactionSatisfied),
		mk("c4", v2, 4, diff, schemas.StatusFailed, visit, due(5), ""), // concluded: not overdue
		mk("c5", v2, 4, diff, schemas.StatusClosed, visit, due(5), schemas.SatisfactionDissatisfied),
		mk("c6", v2, 10, diff, schemas.StatusRouted, visit, nil, ""),        // no due date
		mk("c7", v2, 10, simple, schemas.StatusHandling, visit, due(1), ""), // overdue, simple
		c8, // resolved by version 2
		mk("c9", "", 11, diff, schemas.StatusAccepted, schemas.ChannelOnline, due(15), ""),       // located to the town: overdue
		mk("c11", v1, 12, diff, schemas.StatusHandling, visit, due(20), ""),                      // due exactly at AsOf
		apiCase("c10", "150502000000", "150502001000", 2, "labor", schemas.StatusHandling, diff), // another county
	}
	rows[len(rows)-1].DueAt = due(1)
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	c8v2 := c8
	c8v2.Version, c8v2.Status, c8v2.Satisfaction = 2, schemas.StatusResolved, schemas.SatisfactionBasic
	if err := st.InsertCases(ctx, []schemas.CaseRow{c8v2}); err != nil {
		t.Fatal(err)
	}
	days, err := st.APIDailyChangedDays(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.APIRefreshDaily(ctx, days, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	type want struct {
		key                                            string
		cases, resolved, evaluated, satisfied, overdue uint64
	}
	for _, c := range []struct {
		name, source string // source: the rollup that answers once built
		q            store.APITrendQuery
		want         []want
	}{
		{"village series, difficult, four statuses, overdue", store.APISourceCube, store.APITrendQuery{
			Filter: store.APIFilter{Prefixes: []string{"150521100"}, From: from, To: to, Severities: []string{"difficult"},
				Statuses: []string{"handling", "accepted", "routed", "resolved"}},
			Granularity: "month", Group: "village", Villages: true, Satisfaction: true, Overdue: true},
			// '': c9; v1: c1, c2, c3, c8, c11 (c3 and c8 resolved and
			// evaluated, only c1 overdue); v2: c6.
			[]want{{"", 1, 0, 0, 0, 1}, {v1, 5, 2, 2, 2, 1}, {v2, 1, 0, 0, 0, 0}}},
		{"the town, overdue, every status", store.APISourceDaily, store.APITrendQuery{
			Filter:      store.APIFilter{Prefixes: []string{"150521100"}, From: from, To: to},
			Granularity: "month", Satisfaction: true, Overdue: true},
			// c1, c7, c9 overdue; c4 (failed), c5 (closed), c3 and c8
			// (resolved), c2 and c11 (due at or after AsOf), c6 not; c3, c5
			// (closed) and c8 resolved; c3, c5 and c8 evaluated, c3 and c8
			// satisfied.
			[]want{{"", 10, 3, 3, 2, 3}}},
		{"villages of the county, difficult on the phone or online", store.APISourceCube, store.APITrendQuery{
			Filter: store.APIFilter{Prefixes: []string{"150521"}, From: from, To: to, Severities: []string{"difficult"},
				Channels: []string{"phone", "online"}},
			Granularity: "month", Group: "village", Villages: true, Overdue: true},
			[]want{{"", 1, 0, 0, 0, 1}, {v1, 1, 0, 0, 0, 0}}},
		{"towns of the county, overdue among the open statuses", store.APISourceDaily, store.APITrendQuery{
			Filter: store.APIFilter{Prefixes: []string{"150521"}, From: from, To: to,
				Statuses: []string{"accepted", "routed", "handling", "failed"}},
			Granularity: "week", Group: "town", Overdue: true},
			// Weeks from Monday: 2 Mar c1, c2; 9 Mar c6, c7, c9, c11 (c8
			// resolved since); c4 failed on 4 Mar. Overdue: c1; c7, c9.
			[]want{{town, 3, 0, 0, 0, 1}, {town, 4, 0, 0, 0, 2}}},
	} {
		for _, daily := range []bool{true, false} {
			q := c.q
			q.AsOf, q.Limit, q.UseDaily = asOf, 100, daily
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
				if p := r.Period.Format(time.DateOnly); c.q.Granularity == "month" && p != "2026-03-01" ||
					c.q.Granularity == "week" && p != "2026-03-02" && p != "2026-03-09" {
					t.Errorf("%s from %s: period %v, want March or its weeks of the 2nd and 9th", c.name, source, r.Period)
				}
				g = append(g, want{r.Key, r.Cases, r.Resolved, r.Evaluated, r.Satisfied, r.Overdue})
			}
			if len(g) != len(c.want) {
				t.Errorf("%s from %s: %+v, want %+v", c.name, source, g, c.want)
				continue
			}
			for i := range g {
				if g[i] != c.want[i] {
					t.Errorf("%s from %s: row %d %+v, want %+v", c.name, source, i, g[i], c.want[i])
				}
			}
		}
	}
}
