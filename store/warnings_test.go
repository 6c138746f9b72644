package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func warningStore(t *testing.T) *store.Store {
	t.Helper()
	st := openFresh(t)
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(context.Background(), migs); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestWarningTablesRoundTrip(t *testing.T) {
	st := warningStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

	// Warnings: the highest version of an id wins; resolved_at zero reads back as zero.
	w := store.WarningRow{ID: "w1", State: "firing", Level: "orange", Kind: "rule_alarm", Rule: "group_dispute", Subject: "platform:C1",
		RegionCode: "150521100000", RegionLevel: 4, CountyCode: "150521000000", TownCode: "150521100000", Category: "labor",
		Title: "保康镇发生群体性矛盾纠纷", Body: "涉及40人", Link: "http://x/console/?region=150521100000",
		Labels: []string{"kind=rule_alarm"}, StartsAt: t0, UpdatedAt: t0, Version: 1}
	w2 := w
	w2.State, w2.ResolvedAt, w2.UpdatedAt, w2.Version = "resolved", t0.Add(time.Hour), t0.Add(time.Hour), 2
	other := w
	other.ID, other.Level = "w2", "red"
	if err := st.WriteWarnings(ctx, []store.WarningRow{w2, other}); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteWarnings(ctx, []store.WarningRow{w}); err != nil { // older version written later
		t.Fatal(err)
	}
	got, err := st.Warnings(ctx, store.WarningFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "w2" || got[1].ID != "w1" || got[1].State != "resolved" || !got[1].ResolvedAt.Equal(t0.Add(time.Hour)) ||
		!got[0].ResolvedAt.IsZero() || got[1].Title != w.Title || got[1].RegionLevel != 4 {
		t.Fatalf("warnings %+v", got)
	}
	if got, err := st.Warnings(ctx, store.WarningFilter{State: "firing"}); err != nil || len(got) != 1 || got[0].ID != "w2" {
		t.Fatalf("firing: %+v %v", got, err)
	}
	if got, err := st.Warnings(ctx, store.WarningFilter{IDs: []string{"w1"}}); err != nil || len(got) != 1 || got[0].ID != "w1" {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if err := st.WriteWarnings(ctx, []store.WarningRow{{ID: "x", State: "firing", Level: "purple"}}); err == nil {
		t.Error("unknown level accepted")
	}

	// Silences: a later version (lifted early) replaces the first.
	s := store.WarningSilence{ID: "s1", Matchers: []string{"region=150521000000", "kind=rule_alarm"}, StartsAt: t0, EndsAt: t0.Add(24 * time.Hour),
		CreatedBy: "李四", Comment: "已处置", CreatedAt: t0, UpdatedAt: t0}
	if err := st.WriteWarningSilence(ctx, s); err != nil {
		t.Fatal(err)
	}
	if ss, err := st.WarningSilences(ctx, t0.Add(time.Hour), false); err != nil || len(ss) != 1 || len(ss[0].Matchers) != 2 || ss[0].CreatedBy != "李四" {
		t.Fatalf("silences %+v %v", ss, err)
	}
	s.EndsAt, s.UpdatedAt = t0.Add(2*time.Hour), t0.Add(2*time.Hour)
	if err := st.WriteWarningSilence(ctx, s); err != nil {
		t.Fatal(err)
	}
	if ss, err := st.WarningSilences(ctx, t0.Add(3*time.Hour), false); err != nil || len(ss) != 0 {
		t.Fatalf("lifted silence still active: %+v %v", ss, err)
	}
	if ss, err := st.WarningSilences(ctx, t0.Add(3*time.Hour), true); err != nil || len(ss) != 1 || !ss[0].EndsAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("all silences %+v %v", ss, err)
	}

	// Acks.
	if err := st.WriteWarningAck(ctx, store.WarningAck{WarningID: "w2", AckedBy: "王五", Comment: "已派员", AckedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if as, err := st.WarningAcks(ctx, []string{"w1", "w2"}); err != nil || len(as) != 1 || as[0].AckedBy != "王五" {
		t.Fatalf("acks %+v %v", as, err)
	}

	// Delivery log.
	d := store.WarningDelivery{NotificationID: "d1", GroupKey: "g", Receiver: "150521100000", Channel: "hook", ChannelType: "webhook",
		Reason: "first", WarningIDs: []string{"w1"}, Attempt: 1, Status: "retry", StatusCode: 503, Response: "busy", Error: "HTTP 503",
		LatencyMS: 12, CreatedAt: t0, AttemptedAt: t0}
	d2 := d
	d2.Attempt, d2.Status, d2.StatusCode, d2.Response, d2.Error, d2.AttemptedAt = 2, "delivered", 200, "ok", "", t0.Add(time.Second)
	if err := st.WriteWarningDeliveries(ctx, []store.WarningDelivery{d, d2}); err != nil {
		t.Fatal(err)
	}
	if ds, err := st.WarningDeliveries(ctx, 10); err != nil || len(ds) != 2 || ds[0].Status != "delivered" || ds[1].StatusCode != 503 || ds[1].Response != "busy" {
		t.Fatalf("deliveries %+v %v", ds, err)
	}
}

func TestWarningSourcesReadLatestWindows(t *testing.T) {
	st := warningStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

	// Rule alarms since a time, oldest first.
	ra := []store.RuleAlarm{
		{Rule: "group_dispute", Source: "platform", CaseID: "C1", CaseVersion: 1, Level: "orange", TownCode: "150521100000", ReportedAt: t0, DetectedAt: t0},
		{Rule: "extreme_words", Source: "platform", CaseID: "C2", CaseVersion: 1, Level: "red", TownCode: "150521100000", ReportedAt: t0, DetectedAt: t0.Add(2 * time.Second)},
	}
	if err := st.InsertRuleAlarms(ctx, ra); err != nil {
		t.Fatal(err)
	}
	got, err := st.WarningRuleAlarmsSince(ctx, t0.Add(time.Second), 0, 10)
	if err != nil || len(got) != 1 || got[0].CaseID != "C2" || got[0].Level != "red" {
		t.Fatalf("since: %+v %v", got, err)
	}
	if got, err := st.WarningRuleAlarmsSince(ctx, time.Time{}, 0, 10); err != nil || len(got) != 2 || got[0].CaseID != "C1" {
		t.Fatalf("all: %+v %v", got, err)
	}
	if got, err := st.WarningRuleAlarmsSince(ctx, time.Time{}, 1, 10); err != nil || len(got) != 1 || got[0].CaseID != "C2" {
		t.Fatalf("offset 1: %+v %v", got, err)
	}

	// Risk bands: only the latest week.
	band := func(end time.Time, region, b string) store.RiskIndexRow {
		return store.RiskIndexRow{Window: "week", WindowStart: end.AddDate(0, 0, -7), WindowEnd: end, Level: 4, RegionCode: region,
			Index: 6.1, Score: 6.1, BandIndex: b, Band: b, FunnelFlag: "none", Reliability: "good", Agreement: math.NaN(),
			DriversPrev: []string{"A1|0.5|3|1"}, ComputedAt: end}
	}
	if err := st.WriteRiskIndex(ctx, []store.RiskIndexRow{band(t0, "150521100000", "red"), band(t0.AddDate(0, 0, 7), "150521100000", "orange"),
		band(t0.AddDate(0, 0, 7), "150521101000", "normal")}); err != nil {
		t.Fatal(err)
	}
	bands, err := st.WarningRiskBands(ctx)
	if err != nil || len(bands) != 2 || bands[0].Band != "orange" || !bands[0].WindowEnd.Equal(t0.AddDate(0, 0, 7)) || bands[0].Score != 6.1 ||
		len(bands[0].Drivers) != 1 {
		t.Fatalf("bands %+v %v", bands, err)
	}

	// Statistical alarms: alarmed series of the latest window.
	sa := func(end time.Time, cat string, alarm bool) store.StatAlarm {
		return store.StatAlarm{Window: "week", WindowEnd: end, Level: 4, RegionCode: "150521100000", Category: cat, Detector: "ears-c1",
			Observed: 9, Expected: 2, UpperBound: math.NaN(), Alarm: alarm, ComputedAt: end}
	}
	if err := st.WriteStatAlarms(ctx, []store.StatAlarm{sa(t0, "labor", true), sa(t0.AddDate(0, 0, 7), "family", true), sa(t0.AddDate(0, 0, 7), "labor", false)}); err != nil {
		t.Fatal(err)
	}
	alarms, err := st.WarningStatAlarms(ctx)
	if err != nil || len(alarms) != 1 || alarms[0].Category != "family" || !math.IsNaN(alarms[0].UpperBound) || alarms[0].Expected != 2 {
		t.Fatalf("stat alarms %+v %v", alarms, err)
	}

	// Supervision: red and yellow cases of the latest snapshot.
	sc := func(id, light string) store.SupervisionCase {
		return store.SupervisionCase{Source: "platform", CaseID: id, TownCode: "150521100000", Region: "150521100000", Light: light,
			ReportedAt: t0, Reasons: []string{"overdue"}, DaysOverdue: 3}
	}
	if err := st.WriteSupervision(ctx, t0, t0, []store.SupervisionCase{sc("A", "red")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteSupervision(ctx, t0.Add(24*time.Hour), t0, []store.SupervisionCase{sc("B", "yellow"), sc("C", "green")}, nil); err != nil {
		t.Fatal(err)
	}
	lights, err := st.WarningSupervisionLights(ctx)
	if err != nil || len(lights) != 1 || lights[0].CaseID != "B" || lights[0].Light != "yellow" || lights[0].DaysOverdue != 3 {
		t.Fatalf("lights %+v %v", lights, err)
	}
}
