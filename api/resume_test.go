package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// TestTrendsResumeTheRollupsOfAnEarlierProcess: a server started on the
// rollups an earlier process left makes them current with one refresh of
// the days whose cases were ingested since the oldest of the days' newest
// computations and of the days the rollups miss (a refresh that stopped
// early), not of every day; the counts are those of the cases.
func TestTrendsResumeTheRollupsOfAnEarlierProcess(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: fmt.Sprintf("api_resume_%d", time.Now().UnixNano()),
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
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	village := reg.Children(reg.Children(kzzCode)[0].Code)[0].Code
	zone := schemas.Zone()
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 0, 0, 0, zone) }
	wall := time.Now()
	insert := func(ingested time.Time, recs ...schemas.Record) {
		t.Helper()
		var rows []schemas.CaseRow
		for i, r := range recs {
			r.Source, r.Channel, r.RegionCode, r.Category, r.Parties = schemas.SourceHotline, schemas.ChannelPhone, village, "labor.wage_arrears", 1
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				t.Fatal(err)
			}
			row, err := tr.Transform(b, transform.Meta{Topic: "t", Offset: int64(i)}, ingested)
			if err != nil {
				t.Fatal(err)
			}
			rows = append(rows, row)
		}
		if err := st.InsertCases(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	// Ingested two hours ago: one case on 11-02, two on 11-03, one on 11-05.
	insert(wall.Add(-2*time.Hour),
		schemas.Record{CaseID: "d2", Version: 1, ReportedAt: day(2), Status: schemas.StatusAccepted},
		schemas.Record{CaseID: "d3a", Version: 1, ReportedAt: day(3), Status: schemas.StatusAccepted},
		schemas.Record{CaseID: "d3b", Version: 1, ReportedAt: day(3), Status: schemas.StatusAccepted},
		schemas.Record{CaseID: "d5", Version: 1, ReportedAt: day(5), Status: schemas.StatusAccepted})
	// An earlier process computed 11-02 and 11-03 an hour ago and 11-02
	// again five minutes ago; it stopped before it reached 11-05.
	if err := st.APIRefreshDaily(ctx, []time.Time{day(2), day(3)}, wall.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.APIRefreshDaily(ctx, []time.Time{day(2)}, wall.Add(-5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Ingested half an hour ago, after the oldest computation and before
	// the newest: a case of 11-03 resolved, and a first case on 11-04.
	insert(wall.Add(-30*time.Minute),
		schemas.Record{CaseID: "d3a", Version: 2, ReportedAt: day(3), Status: schemas.StatusResolved},
		schemas.Record{CaseID: "d4", Version: 1, ReportedAt: day(4), Status: schemas.StatusAccepted})

	var logs bytes.Buffer
	srv, err := api.New(api.Options{Store: st, Regions: reg, MaxRows: 5000, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	q := store.APITrendQuery{Filter: store.APIFilter{From: day(1), To: day(6)}, Granularity: "day", Limit: 100, UseDaily: true}
	// Hand counts: cases and resolved per day.
	want := "2026-11-02 1 0; 2026-11-03 2 1; 2026-11-04 1 0; 2026-11-05 1 0; "
	check := func(label string) {
		t.Helper()
		rows, _, source, err := st.APITrends(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&got, "%s %d %d; ", r.Period.Format("2006-01-02"), r.Cases, r.Resolved)
		}
		if source != store.APISourceDaily || got.String() != want {
			t.Errorf("%s: %s from %s, want %s from api_daily", label, got.String(), source, want)
		}
	}
	if err := srv.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	// 11-03 and 11-04 by their ingest time, 11-04 and 11-05 as missing;
	// 11-02 is current.
	if l := logs.String(); !strings.Contains(l, "rollups ready") || !strings.Contains(l, "days=3 ") || !strings.Contains(l, "every_day=false") {
		t.Errorf("first refresh logged %q, want the 3 changed or missing days, not every day", l)
	}
	check("after resuming")
	if err := srv.RefreshDaily(ctx); err != nil {
		t.Fatal(err)
	}
	check("after the refresh of every day")
}
