package jobs

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestLightRules(t *testing.T) {
	at := sh(2026, 3, 20)
	due := func(d int) *time.Time { x := at.AddDate(0, 0, -d); return &x }
	cases := []struct {
		name    string
		c       store.SupervisionCase
		light   string
		days    int32
		reasons []string
		rehand  bool
	}{
		{"not yet due", store.SupervisionCase{Status: "handling", DueAt: due(-3)}, "green", 0, nil, false},
		{"no deadline", store.SupervisionCase{Status: "accepted"}, "green", 0, nil, false},
		{"overdue 3 days", store.SupervisionCase{Status: "handling", DueAt: due(3)}, "yellow", 3, []string{"逾期3天"}, false},
		{"overdue 15 days is still yellow", store.SupervisionCase{Status: "routed", DueAt: due(15)}, "yellow", 15, []string{"逾期15天"}, false},
		{"overdue 16 days", store.SupervisionCase{Status: "routed", DueAt: due(16)}, "red", 16, []string{"逾期16天", "逾期超过15天"}, false},
		{"overdue petition", store.SupervisionCase{Status: "handling", DueAt: due(1), Petition: true}, "red", 1, []string{"逾期1天", "涉法涉诉信访"}, false},
		{"overdue superior-assigned", store.SupervisionCase{Status: "handling", DueAt: due(2), SuperiorAssigned: true}, "red", 2, []string{"逾期2天", "上级交办"}, false},
		{"petition not overdue", store.SupervisionCase{Status: "handling", DueAt: due(-1), Petition: true}, "green", 0, nil, false},
		{"closed but dissatisfied", store.SupervisionCase{Status: "closed", DueAt: due(30), Satisfaction: "dissatisfied"}, "green", 0, []string{"群众评价不满意，需重新办理"}, true},
	}
	for _, tc := range cases {
		c := tc.c
		Light(&c, at, DefaultSupervisionConfig())
		if c.Light != tc.light || c.DaysOverdue != tc.days || !reflect.DeepEqual(c.Reasons, tc.reasons) || c.Rehandle != tc.rehand {
			t.Errorf("%s: light %s days %d reasons %v rehandle %v; want %s %d %v %v", tc.name, c.Light, c.DaysOverdue, c.Reasons, c.Rehandle, tc.light, tc.days, tc.reasons, tc.rehand)
		}
	}
}

func TestSupervisionJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "sup")
	day := sh(2026, 3, 1)
	mk := func(id, unit string, status schemas.Status, dueDays int, sat schemas.Satisfaction, petition bool) schemas.CaseRow {
		rep := day.AddDate(0, 0, -30)
		due := day.AddDate(0, 0, dueDays)
		return schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1, ReportedAt: rep,
			ReportedDate: time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC), RegionCode: "150502001001", CountyCode: "150502000000",
			TownCode: "150502001000", Category: "other", Parties: 1, Status: status, AssignedUnit: unit, DueAt: &due,
			Satisfaction: sat, Petition: petition}
	}
	rows := []schemas.CaseRow{
		mk("a", "科尔沁街道综治中心", schemas.StatusHandling, 5, "", false),           // not due: green
		mk("b", "科尔沁街道综治中心", schemas.StatusHandling, -3, "", false),          // 3 days overdue: yellow
		mk("c", "科尔沁街道综治中心", schemas.StatusRouted, -20, "", false),           // 20 days: red
		mk("d", "明仁街道综治中心", schemas.StatusHandling, -1, "", true),            // petition overdue: red
		mk("e", "明仁街道综治中心", schemas.StatusClosed, -9, "dissatisfied", false), // re-handle
		mk("f", "明仁街道综治中心", schemas.StatusResolved, -9, "satisfied", false),  // not in the snapshot
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	clock := func() time.Time { n++; return day.Add(time.Duration(n) * time.Second) }
	job := SupervisionJob(st, DefaultSupervisionConfig(), clock)
	for i := 0; i < 2; i++ {
		if got, err := job(ctx, day.Add(50*time.Minute)); err != nil || got != 7 { // 5 cases + 2 units
			t.Fatalf("run %d: %d rows, %v", i, got, err)
		}
	}
	got, err := ch.Query(ctx, "SELECT case_id, light, days_overdue, rehandle FROM "+st.Database()+".supervision_cases FINAL ORDER BY case_id")
	if err != nil {
		t.Fatal(err)
	}
	want := "a\tgreen\t0\t0\nb\tyellow\t3\t0\nc\tred\t20\t0\nd\tred\t1\t0\ne\tgreen\t0\t1\n"
	if got != want {
		t.Errorf("supervision_cases:\n%s\nwant\n%s", got, want)
	}
	units, err := ch.Query(ctx, "SELECT assigned_unit, open, green, yellow, red, rehandle FROM "+st.Database()+".supervision_units FINAL ORDER BY assigned_unit")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"明仁街道综治中心\t1\t0\t0\t1\t1", "科尔沁街道综治中心\t3\t1\t1\t1\t0"} {
		if !strings.Contains(units, w) {
			t.Errorf("supervision_units %q lacks %q", units, w)
		}
	}
}
