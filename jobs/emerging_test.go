package jobs

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/emerging"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// outageTexts are complaints about one water outage, in different words.
var outageTexts = []string{
	"阳光花园小区已经停水两天了，物业一直不给说法",
	"阳光花园小区停水三天没人管，老人孩子没水用",
	"我住阳光花园小区，突然停水，生活用水非常困难",
	"阳光花园小区停水期间商家趁机涨价卖桶装水",
	"阳光花园小区停水两天，物业电话打不通",
	"反映阳光花园小区停水问题，至今未恢复供水",
	"阳光花园小区停水没有提前通知，物业不负责",
	"阳光花园小区停水三天，小区门口小卖部桶装水涨价",
}

func TestEmergingJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "emg")
	end := sh(2026, 3, 10)
	cats := []string{"property", "consumer", "other"}
	row := func(id, town, cat, text string, at time.Time) schemas.CaseRow {
		y, m, d := at.Date()
		return schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1, ReportedAt: at,
			ReportedDate: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), RegionCode: town[:9] + "001", CountyCode: town[:6] + "000000",
			TownCode: town, VillageCode: town[:9] + "001", Category: cat, Summary: text, Parties: 1, Status: schemas.StatusAccepted}
	}
	var rows []schemas.CaseRow
	var want []string
	for i, text := range outageTexts {
		id := fmt.Sprintf("w%d", i)
		want = append(want, id)
		rows = append(rows, row(id, "150502001000", cats[i%3], text, end.Add(-time.Duration(5*i+2)*time.Hour)))
	}
	// The same texts in another town, a day after the window: not read.
	for i, text := range outageTexts {
		rows = append(rows, row(fmt.Sprintf("late%d", i), "150502002000", cats[i%3], text, end.Add(time.Duration(i+1)*time.Hour)))
	}
	// Unrelated complaints of the same town in the window and before it.
	for i, text := range []string{"邻居装修噪音太大，晚上十点还在施工", "公司拖欠三个月工资不发", "网购的手机有质量问题，商家拒绝退货"} {
		rows = append(rows, row(fmt.Sprintf("u%d", i), "150502001000", "other", text, end.Add(-time.Duration(10*i+3)*time.Hour)))
		rows = append(rows, row(fmt.Sprintf("old%d", i), "150502001000", "other", text, end.AddDate(0, 0, -10-i)))
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	computed := time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC)
	run := EmergingJob(st, emerging.Options{}, func() time.Time { return computed })
	n, err := run(ctx, end.Add(55*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("job wrote %d clusters, want 1", n)
	}
	got, err := st.EmergingIssues(ctx, end.AddDate(0, 0, -1), end)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("read %d clusters, want 1: %+v", len(got), got)
	}
	e := got[0]
	if !reflect.DeepEqual(e.Members, want) || e.Size != 8 || e.TownCode != "150502001000" || e.CountyCode != "150502000000" ||
		!reflect.DeepEqual(e.Categories, []string{"consumer", "other", "property"}) || !reflect.DeepEqual(e.Villages, []string{"150502001001"}) {
		t.Errorf("cluster %+v", e)
	}
	if !e.WindowEnd.Equal(end) || !e.FirstAt.Equal(end.Add(-37*time.Hour)) || !e.LastAt.Equal(end.Add(-2*time.Hour)) {
		t.Errorf("window end %v first %v last %v", e.WindowEnd, e.FirstAt, e.LastAt)
	}
	// The day before, computed later, is not the latest window.
	if _, err := run(ctx, end.AddDate(0, 0, -1)); err != nil {
		t.Fatal(err)
	}
	if latest, err := st.WarningEmergingIssues(ctx); err != nil || len(latest) != 1 || latest[0].Key != e.Key || !latest[0].WindowEnd.Equal(end) {
		t.Errorf("latest window's clusters: %+v, %v", latest, err)
	}

	// Computed again after the cases were recategorised into one
	// category: the newer computation (no cluster) replaces the older.
	for i := range rows {
		rows[i].Version, rows[i].Category = 2, "property"
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	computed = computed.Add(time.Hour)
	if n, err = run(ctx, end); err != nil || n != 0 {
		t.Fatalf("rerun: %d clusters, %v", n, err)
	}
	if got, err = st.EmergingIssues(ctx, end.AddDate(0, 0, -1), end); err != nil || len(got) != 0 {
		t.Errorf("after the rerun without clusters: %+v, %v; want none", got, err)
	}
	if latest, err := st.WarningEmergingIssues(ctx); err != nil || len(latest) != 0 {
		t.Errorf("latest window's clusters after the rerun: %+v, %v; want none", latest, err)
	}

	// The burst goes on for two more days (its first cases now all filed
	// under 物业): once its first cases have left the window, its cluster
	// keeps the key it had.
	var more []schemas.CaseRow
	for i := 0; i < 6; i++ {
		more = append(more, row(fmt.Sprintf("n%d", i), "150502001000", cats[i%3], outageTexts[i], end.Add(time.Duration(5*i+1)*time.Hour)))
	}
	if err := st.InsertCases(ctx, more); err != nil {
		t.Fatal(err)
	}
	for day := 1; day <= 2; day++ {
		if _, err := run(ctx, end.AddDate(0, 0, day)); err != nil {
			t.Fatal(err)
		}
	}
	later, err := st.EmergingIssues(ctx, end.AddDate(0, 0, 2).Add(-time.Second), end.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	var kept *store.EmergingIssue
	for i := range later {
		if later[i].TownCode == "150502001000" {
			kept = &later[i]
		}
	}
	if kept == nil || slices.Contains(kept.Members, "w7") || !slices.Contains(kept.Members, "n5") || kept.Key != e.Key {
		t.Errorf("two days later: %+v; want a cluster without w7 under the key %s", kept, e.Key)
	}

}
