package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestRuleAlarmsFireWithTheInsert: the sink ingest writes through raises the
// stream rule alarms of the rows it stored, once per (rule, case) however
// often the batch is delivered.
func TestRuleAlarmsFireWithTheInsert(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(t, "rules"), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.DropDatabase(ctx)
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	sink := newAlarmingSink(st, config.Default(), nil)
	at := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	base := schemas.CaseRow{Source: schemas.SourcePlatform, Version: 1, Contract: 1, ReportedAt: at, ReportedDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		RegionCode: "150523101001", CountyCode: "150523000000", TownCode: "150523101000", Category: "labor.wage_arrears", Status: schemas.StatusAccepted, Parties: 2}
	wage := base
	wage.CaseID, wage.Parties, wage.GroupDispute, wage.Summary = "w1", 36, true, "36名农民工讨薪，扬言堵路"
	quiet := base
	quiet.CaseID, quiet.Summary = "q1", "邻居噪音"
	for i := 0; i < 2; i++ { // the second insert is a redelivery
		if err := sink.InsertCases(ctx, []schemas.CaseRow{wage, quiet}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ch.Query(ctx, "SELECT rule, case_id, level, detail FROM "+st.Database()+".rule_alarms FINAL ORDER BY rule")
	if err != nil {
		t.Fatal(err)
	}
	want := "extreme_words\tw1\tred\t含极端风险言辞：扬言、堵路\ngroup_dispute\tw1\torange\t群体性矛盾纠纷：涉及36人\n"
	if got != want {
		t.Errorf("rule_alarms:\n%s\nwant\n%s", got, want)
	}
	if n, _ := ch.Query(ctx, "SELECT count() FROM "+st.Database()+".rule_alarms FINAL"); strings.TrimSpace(n) != "2" {
		t.Errorf("%s alarms after a redelivery, want 2", n)
	}
}
