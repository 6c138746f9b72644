package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// apiCase is a case of the API tests: a town in 科左中旗 (150521) or in
// 科尔沁区 (150502).
func apiCase(id, county, town string, day int, cat string, status schemas.Status, sev schemas.Severity) schemas.CaseRow {
	at := time.Date(2026, 3, day, 10, 0, 0, 0, time.UTC)
	return schemas.CaseRow{
		Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1, Channel: schemas.ChannelVisit,
		ReportedAt: at, ReportedDate: time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC),
		RegionCode: town, RegionLevel: 4, CityCode: "150500000000", CountyCode: county, TownCode: town,
		Category: cat, CategoryGroup: cat, Severity: sev, Status: status, Summary: "masked " + id,
		IngestedAt: at, Topic: "t",
	}
}

func migrated(t *testing.T) *store.Store {
	t.Helper()
	st := openFresh(t)
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(context.Background(), migs); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestAPITrendsRollupAndCasesAgree: the rollup path and the cases path give
// the same counts, the scope prefix keeps other counties out, and a filter
// only the cases table has is applied.
func TestAPITrendsRollupAndCasesAgree(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	const kzz, kzzTown, kec, kecTown = "150521000000", "150521100000", "150502000000", "150502001000"
	rows := []schemas.CaseRow{
		apiCase("a", kzz, kzzTown, 2, "labor", schemas.StatusResolved, schemas.SeveritySimple),     // Mon 2 Mar
		apiCase("b", kzz, kzzTown, 3, "labor", schemas.StatusAccepted, schemas.SeverityDifficult),  // same week
		apiCase("c", kzz, kzzTown, 10, "family", schemas.StatusClosed, schemas.SeveritySimple),     // week of 9 Mar
		apiCase("d", kec, kecTown, 3, "labor", schemas.StatusAccepted, schemas.SeveritySimple),     // another county
		apiCase("e", kec, kecTown, 11, "neighbor", schemas.StatusResolved, schemas.SeveritySimple), // another county
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	q := store.APITrendQuery{Filter: store.APIFilter{Prefixes: []string{"150521"}, From: from, To: to},
		Granularity: "week", Limit: 100}
	days, err := st.APIDailyChangedDays(ctx, time.Time{})
	if err != nil || len(days) != 4 {
		t.Fatalf("changed days %v %v, want the 4 report days", days, err)
	}
	if err := st.APIRefreshDaily(ctx, days, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		overdue, daily bool
		source         string
	}{{false, false, store.APISourceCases}, {false, true, store.APISourceDaily}, {true, false, store.APISourceCases},
		{true, true, store.APISourceDaily}} {
		q.Overdue, q.UseDaily = c.overdue, c.daily
		got, trunc, source, err := st.APITrends(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if source != c.source || trunc || len(got) != 2 {
			t.Fatalf("%s: %d rows (truncated %v) from %s, want 2 weeks: %+v", c.source, len(got), trunc, source, got)
		}
		if got[0].Period.Format(time.DateOnly) != "2026-03-02" || got[0].Cases != 2 || got[0].Resolved != 1 ||
			got[1].Period.Format(time.DateOnly) != "2026-03-09" || got[1].Cases != 1 || got[1].Resolved != 1 {
			t.Errorf("%s: %+v, want 2 cases/1 resolved in week 03-02 and 1/1 in week 03-09", c.source, got)
		}
	}
	q.Overdue, q.UseDaily = false, false
	// A severity filter goes to the cases table: only case b.
	q.Filter.Severities = []string{"difficult"}
	got, _, source, err := st.APITrends(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if source != store.APISourceCases || len(got) != 1 || got[0].Cases != 1 || got[0].Resolved != 0 {
		t.Errorf("severity difficult: %+v from %s, want one week with 1 case from cases", got, source)
	}
	// One such filter reads its slice of api_daily; two read api_cube.
	q.UseDaily = true
	got, _, source, err = st.APITrends(ctx, q)
	if err != nil || source != store.APISourceDaily || len(got) != 1 || got[0].Cases != 1 || got[0].Resolved != 0 {
		t.Errorf("severity difficult from api_daily: %+v from %s, %v; want one week with 1 case", got, source, err)
	}
	q.Filter.Severities, q.Filter.Statuses = []string{"simple"}, []string{"resolved", "closed"}
	got, _, source, err = st.APITrends(ctx, q)
	if err != nil || source != store.APISourceCube || len(got) != 2 || got[0].Cases != 1 || got[1].Cases != 1 {
		t.Errorf("simple and resolved/closed: %+v from %s, %v; want a and c from api_cube", got, source, err)
	}
	q.Filter.Statuses, q.UseDaily = nil, false
	// Grouped by county without a scope: two series.
	q = store.APITrendQuery{Filter: store.APIFilter{From: from, To: to}, Granularity: "month", Group: "county", Limit: 100}
	got, _, _, err = st.APITrends(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != kec || got[0].Cases != 2 || got[1].Key != kzz || got[1].Cases != 3 {
		t.Errorf("by county: %+v, want 150502 with 2 and 150521 with 3", got)
	}
	// The limit truncates.
	q.Limit = 1
	got, trunc, _, err := st.APITrends(ctx, q)
	if err != nil || !trunc || len(got) != 1 {
		t.Errorf("limit 1: %d rows, truncated %v, err %v", len(got), trunc, err)
	}
	// A LIKE wildcard in a prefix matches only itself, not everything.
	q = store.APITrendQuery{Filter: store.APIFilter{Prefixes: []string{"%"}}, Granularity: "month", Limit: 10}
	q.Overdue = true
	if got, _, _, err := st.APITrends(ctx, q); err != nil || len(got) != 0 {
		t.Errorf("prefix %%: %+v, %v; want no rows", got, err)
	}
}

// TestAPIDailyNewestComputationWins: a case moved to another category by a
// later version counts once, in its new category, after the refresh of its
// day; the day's older rows no longer count.
func TestAPIDailyNewestComputationWins(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	v1 := apiCase("m", "150521000000", "150521100000", 2, "labor", schemas.StatusAccepted, schemas.SeveritySimple)
	other := apiCase("n", "150521000000", "150521100000", 2, "labor", schemas.StatusAccepted, schemas.SeveritySimple)
	if err := st.InsertCases(ctx, []schemas.CaseRow{v1, other}); err != nil {
		t.Fatal(err)
	}
	refresh := func(since, at time.Time) {
		t.Helper()
		days, err := st.APIDailyChangedDays(ctx, since)
		if err != nil || len(days) != 1 {
			t.Fatalf("changed days since %v: %v %v", since, days, err)
		}
		if err := st.APIRefreshDaily(ctx, days, at); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	refresh(time.Time{}, t0)
	v2 := v1
	v2.Version, v2.Category, v2.CategoryGroup, v2.Status = 2, "family", "family", schemas.StatusResolved
	v2.IngestedAt = t0.Add(time.Hour)
	if err := st.InsertCases(ctx, []schemas.CaseRow{v2}); err != nil {
		t.Fatal(err)
	}
	refresh(t0.Add(30*time.Minute), t0.Add(2*time.Hour))
	got, _, source, err := st.APITrends(ctx, store.APITrendQuery{Granularity: "month", Group: "category", Limit: 10, UseDaily: true})
	if err != nil || source != store.APISourceDaily {
		t.Fatal(source, err)
	}
	if len(got) != 2 || got[0].Key != "family" || got[0].Cases != 1 || got[0].Resolved != 1 || got[1].Key != "labor" || got[1].Cases != 1 {
		t.Errorf("by category after the move: %+v, want family 1 (resolved) and labor 1", got)
	}
}

func TestAPICasesPageSortAndScope(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	var rows []schemas.CaseRow
	for i, id := range []string{"x1", "x2", "x3"} {
		rows = append(rows, apiCase(id, "150521000000", "150521100000", 2+i, "labor", schemas.StatusAccepted, schemas.SeveritySimple))
	}
	rows = append(rows, apiCase("y1", "150502000000", "150502001000", 9, "labor", schemas.StatusAccepted, schemas.SeveritySimple))
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	tab, total, err := st.APICases(ctx, store.APICaseQuery{Filter: store.APIFilter{Prefixes: []string{"150521"}},
		Sort: "-reported_at", Offset: 1, Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(tab.Rows) != 1 {
		t.Fatalf("total %d, %d rows; want 3, 1", total, len(tab.Rows))
	}
	col := map[string]int{}
	for i, c := range tab.Columns {
		col[c] = i
	}
	if got := tab.Rows[0][col["case_id"]]; got != "x2" {
		t.Errorf("second newest case %v, want x2", got)
	}
	for _, c := range []string{"lat", "lon", "grid_id", "_offset"} {
		if _, ok := col[c]; ok {
			t.Errorf("case list returns column %s", c)
		}
	}
	if _, _, err := st.APICases(ctx, store.APICaseQuery{Sort: "summary; DROP TABLE cases", Size: 1}); err == nil {
		t.Error("an unknown sort was accepted")
	}
}

func TestAPITokensRevoke(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	created := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	tok := store.APIToken{ID: "t1", Hash: "abc", Name: "科左中旗分析", Role: "analyst", Scope: "150521", Created: created, Version: 1}
	if err := st.APIInsertToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	got, ok, err := st.APITokenByHash(ctx, "abc")
	if err != nil || !ok || got.ID != "t1" || got.Scope != "150521" || got.Revoked {
		t.Fatalf("by hash: %+v %v %v", got, ok, err)
	}
	if _, err := st.APIRevokeToken(ctx, "t1", created.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _, _ = st.APITokenByHash(ctx, "abc")
	if !got.Revoked || got.RevokedAt == nil || !got.RevokedAt.Equal(created.Add(time.Hour)) {
		t.Errorf("after revoke: %+v", got)
	}
	all, err := st.APITokens(ctx)
	if err != nil || len(all) != 1 {
		t.Errorf("list: %d tokens, %v; want 1 (the revocation replaces the row)", len(all), err)
	}
	if _, err := st.APIRevokeToken(ctx, "nope", created); !errors.Is(err, store.ErrAPITokenNotFound) {
		t.Errorf("revoking an unknown id: %v", err)
	}
	if err := st.APIWriteAudit(ctx, []store.APIAuditEntry{{At: created, TokenID: "t1", Method: "GET", Path: "/api/trends", Status: 200, Rows: 3}}); err != nil {
		t.Fatal(err)
	}
	es, err := st.APIAudit(ctx, "", 10)
	if err != nil || len(es) != 1 || es[0].Path != "/api/trends" || es[0].Rows != 3 {
		t.Errorf("audit: %+v %v", es, err)
	}
}

// TestAPITokenGenerationExpiryAndUse: a revocation raises the token
// generation even when a newer token exists (whose version is higher than
// the revoked one's); expiry, last use and an audit row's request count
// round-trip.
func TestAPITokenGenerationExpiryAndUse(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	created := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	exp := created.Add(90 * 24 * time.Hour)
	if err := st.APIInsertToken(ctx, store.APIToken{ID: "old", Hash: "h1", Name: "a", Role: "analyst", Created: created, Expires: &exp, Version: 100}); err != nil {
		t.Fatal(err)
	}
	if err := st.APIInsertToken(ctx, store.APIToken{ID: "new", Hash: "h2", Name: "b", Role: "analyst", Created: created, Version: 5000}); err != nil {
		t.Fatal(err)
	}
	g0, err := st.APITokenGeneration(ctx)
	if err != nil || g0 != 5000 {
		t.Fatalf("generation %d %v, want 5000", g0, err)
	}
	if _, err := st.APIRevokeToken(ctx, "old", created.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if g1, err := st.APITokenGeneration(ctx); err != nil || g1 <= g0 {
		t.Errorf("generation after revoking the older token: %d %v, want above %d", g1, err, g0)
	}
	got, ok, err := st.APITokenByHash(ctx, "h1")
	if err != nil || !ok || !got.Revoked || got.Expires == nil || !got.Expires.Equal(exp) {
		t.Errorf("revoked token with expiry: %+v %v %v", got, ok, err)
	}
	if got, _, _ := st.APITokenByHash(ctx, "h2"); got.Expires != nil {
		t.Errorf("token without expiry read back with %v", got.Expires)
	}
	use := func(id string, at time.Time, remote string) store.APITokenUse {
		return store.APITokenUse{ID: id, LastUsed: at, Remote: remote}
	}
	if err := st.APIMarkTokensUsed(ctx, []store.APITokenUse{use("new", created.Add(time.Minute), "10.0.0.1"), use("old", created, "10.0.0.2")}); err != nil {
		t.Fatal(err)
	}
	if err := st.APIMarkTokensUsed(ctx, []store.APITokenUse{use("new", created.Add(2*time.Minute), "10.0.0.3")}); err != nil {
		t.Fatal(err)
	}
	uses, err := st.APITokensLastUse(ctx)
	if err != nil || len(uses) != 2 || !uses["new"].LastUsed.Equal(created.Add(2*time.Minute)) || uses["new"].Remote != "10.0.0.3" || uses["old"].Remote != "10.0.0.2" {
		t.Errorf("last use: %+v %v", uses, err)
	}
	if err := st.APIWriteAudit(ctx, []store.APIAuditEntry{{At: created, Path: "/api/me", Status: 401, Remote: "10.0.0.9", Requests: 37},
		{At: created.Add(time.Second), TokenID: "new", Path: "/api/me", Status: 200}}); err != nil {
		t.Fatal(err)
	}
	es, err := st.APIAudit(ctx, "", 10)
	if err != nil || len(es) != 2 || es[0].Requests != 1 || es[1].Requests != 37 {
		t.Errorf("audit request counts: %+v %v, want 1 (unset) and 37", es, err)
	}
}
