package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// TestNewYorkDeploymentDates: in an America/New_York deployment a case
// reported at 23:30 local time (04:30 the next day in UTC, 11:30 in
// Shanghai) counts on its local day everywhere the API answers by date:
// the daily trend from each of its three sources (the cases table before
// the rollups are built, with and without a status filter; api_daily
// after, api_county with the status and a channel filter after),
// the cases list, the KPIs of the day window, and the date filters of the
// rule alarms, warnings and deliveries, whose times the API prints in New
// York time.
func TestNewYorkDeploymentDates(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ny, err := schemas.LoadZone("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	prev := schemas.SetZone(ny)
	t.Cleanup(func() { schemas.SetZone(prev) })
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: fmt.Sprintf("api_zone_%d", time.Now().UnixNano()),
		Username: "default", DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SyncRegions(ctx, reg); err != nil {
		t.Fatal(err)
	}
	town := reg.Children(kzzCode)[0].Code
	village := reg.Children(town)[0].Code
	late := time.Date(2026, 8, 10, 23, 30, 0, 0, ny) // counts on 08-10
	early := time.Date(2026, 8, 11, 0, 30, 0, 0, ny) // counts on 08-11
	now := time.Date(2026, 8, 12, 10, 0, 0, 0, ny)
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	var rows []schemas.CaseRow
	for i, r := range []schemas.Record{
		{CaseID: "late", Version: 1, ReportedAt: late, Status: schemas.StatusAccepted},
		{CaseID: "late", Version: 2, ReportedAt: late, Status: schemas.StatusHandling},
		{CaseID: "early", Version: 1, ReportedAt: early, Status: schemas.StatusAccepted},
	} {
		r.Source, r.Channel, r.RegionCode, r.Category, r.Parties = schemas.SourceHotline, schemas.ChannelPhone, village, "labor.wage_arrears", 1
		upd := r.ReportedAt.Add(time.Duration(r.Version) * time.Minute)
		r.UpdatedAt = &upd
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		row, err := tr.Transform(b, transform.Meta{Topic: "t", Offset: int64(i)}, now)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertRuleAlarms(ctx, []store.RuleAlarm{{Rule: "extreme_words", Source: "hotline", CaseID: "late", CaseVersion: 1,
		Level: "red", CountyCode: kzzCode, TownCode: town, RegionCode: village, Category: "labor.wage_arrears", Detail: "x",
		ReportedAt: late, DetectedAt: late.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	db := st.Database()
	for _, ins := range []string{
		"INSERT INTO " + db + ".warnings (id, state, level, kind, rule, subject, region_code, region_level, county_code, town_code, category, title, body, link, labels, starts_at, resolved_at, updated_at, version) VALUES " +
			"('w-late', 'firing', 'red', 'rule', 'extreme_words', 'late', '" + village + "', 5, '" + kzzCode + "', '" + town + "', 'labor', 't', 'b', '', [], " +
			"toDateTime('2026-08-10 23:31:00', 'America/New_York'), toDateTime(0), toDateTime('2026-08-10 23:31:00', 'America/New_York'), 1)",
		"INSERT INTO " + db + ".warning_deliveries (notification_id, group_key, receiver, channel, channel_type, reason, warning_ids, attempt, status, status_code, response, error, latency_ms, created_at, attempted_at) VALUES " +
			"('n-late', 'g', 'c', 'wecom', 'webhook', 'new', ['w-late'], 1, 'delivered', 200, 'ok', '', 10, " +
			"toDateTime('2026-08-10 23:31:00', 'America/New_York'), toDateTime('2026-08-10 23:32:00', 'America/New_York'))",
	} {
		if _, err := ch.Query(ctx, ins); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range jobs.All(st, reg, func() time.Time { return now }, jobs.Options{}) {
		if j.Name == "kpi_day" {
			for _, end := range []time.Time{time.Date(2026, 8, 11, 0, 0, 0, 0, ny), time.Date(2026, 8, 12, 0, 0, 0, 0, ny)} {
				if _, err := j.Run(ctx, end); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	srv, err := api.New(api.Options{Store: st, Regions: reg, MaxRows: 5000, MaxRangeDays: 400, MaxPageSize: 200,
		Now: func() time.Time { return now }, TokenRate: 1e6, TokenBurst: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	tok, id, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(tok), Name: "admin", Role: api.RoleAdmin, Created: now, Version: 1}); err != nil {
		t.Fatal(err)
	}
	get := func(path string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	days := func(path string) (string, []string) {
		t.Helper()
		var tr trend
		get(path, &tr)
		var out []string
		for _, s := range tr.Series {
			for _, p := range s.Points {
				if p.Cases > 0 {
					out = append(out, fmt.Sprintf("%s:%d", p.Period, p.Cases))
				}
			}
		}
		return tr.Source, out
	}
	want := []string{"2026-08-10:1", "2026-08-11:1"}
	const tp = "/api/trends?granularity=day&from=2026-08-09&to=2026-08-12"
	check := func(path, wantSource string) {
		t.Helper()
		src, got := days(path)
		if src != wantSource || !slices.Equal(got, want) {
			t.Errorf("%s: source %s, days %v; want %s, %v (the 23:30 case on its New York day)", path, src, got, wantSource, want)
		}
	}
	check(tp, store.APISourceCases)
	check(tp+"&status=handling,accepted", store.APISourceCases)
	if err := srv.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	check(tp, store.APISourceDaily)
	check(tp+"&status=handling,accepted&channel=phone", store.APISourceCounty)
	if _, got := days("/api/trends?granularity=day&from=2026-08-10&to=2026-08-10"); !slices.Equal(got, want[:1]) {
		t.Errorf("trend of 2026-08-10 alone: %v, want %v", got, want[:1])
	}

	// Lists filtered to the one New York day 2026-08-10: each holds the
	// late case's row, printed in New York time.
	for _, c := range []struct{ path, col, want string }{
		{"/api/cases?from=2026-08-10&to=2026-08-10", "reported_at", "2026-08-10 23:30:00"},
		{"/api/alarms/rule?from=2026-08-10&to=2026-08-10", "reported_at", "2026-08-10 23:30:00"},
		{"/api/warnings?from=2026-08-10&to=2026-08-10", "starts_at", "2026-08-10 23:31:00"},
		{"/api/warnings/deliveries?from=2026-08-10&to=2026-08-10", "attempted_at", "2026-08-10 23:32:00"},
	} {
		var tb table
		get(c.path, &tb)
		if len(tb.Rows) != 1 || tb.Rows[0][c.col] != c.want {
			t.Errorf("%s: %d rows %v; want one with %s %s", c.path, len(tb.Rows), tb.Rows, c.col, c.want)
		}
	}
	// The day window ending at 2026-08-11 00:00 New York holds the late
	// case only; the one ending on 08-12 the early one.
	var tb table
	get("/api/kpis?window=day&level=city&from=2026-08-11&to=2026-08-12", &tb)
	got := map[string]any{}
	for _, r := range tb.Rows {
		got[fmt.Sprint(r["window_end"])] = r["accepted"]
	}
	if len(got) != 2 || got["2026-08-11"] != float64(1) || got["2026-08-12"] != float64(1) {
		t.Errorf("day KPIs of the city by window end: %v; want 2026-08-11: 1, 2026-08-12: 1", got)
	}
}
