package jobs

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/links"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

func TestLinksJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "lnk")
	end := sh(2026, 6, 1)
	row := func(id, village string, daysAgo int, keys, kinds, labels []string) schemas.CaseRow {
		at := end.AddDate(0, 0, -daysAgo).Add(-3 * time.Hour)
		y, m, d := at.Date()
		return schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1, Contract: 1, ReportedAt: at,
			ReportedDate: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), RegionCode: village, CountyCode: village[:6] + "000000",
			TownCode: village[:9] + "000", VillageCode: village, Category: "labor", Parties: 1, Status: schemas.StatusAccepted,
			PartyKeys: keys, PartyKeyKinds: kinds, PartyLabels: labels}
	}
	person := func(id, village string, daysAgo int) schemas.CaseRow {
		return row(id, village, daysAgo, []string{"k1:id-wang", "k1:ph-wang"}, []string{"id", "phone"}, []string{"王*", "王*"})
	}
	org := func(id, village string, daysAgo int) schemas.CaseRow {
		return row(id, village, daysAgo, []string{"k1:org-xs"}, []string{"org"}, []string{"萧山城投"})
	}
	rows := []schemas.CaseRow{
		person("p1", "150502001001", 80), person("p2", "150502001001", 30), person("p3", "150502001001", 1),
		person("p0", "150502001001", 95), // older than 90 days: not read
		org("o1", "150502001001", 20), org("o2", "150502001002", 10),
		// A name in two cases of one village: no link.
		row("n1", "150502001001", 5, []string{"k1:nm-zhang"}, []string{"name"}, []string{"张*"}),
		row("n2", "150502001001", 6, []string{"k1:nm-zhang"}, []string{"name"}, []string{"张*"}),
		// No keys at all.
		row("x1", "150502001001", 5, nil, nil, nil),
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	computed := time.Date(2026, 6, 1, 1, 0, 0, 0, time.UTC)
	run := LinksJob(st, links.Options{}, func() time.Time { return computed })
	n, err := run(ctx, end.Add(65*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("job wrote %d links, want 2", n)
	}
	got, err := st.CaseLinks(ctx, end.AddDate(0, 0, -1), end)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d links, want 2: %+v", len(got), got)
	}
	p, o := got[0], got[1]
	if p.Key != "k1:id-wang" || !reflect.DeepEqual(p.Keys, []string{"k1:id-wang", "k1:ph-wang"}) || !reflect.DeepEqual(p.Kinds, []string{"id", "phone"}) ||
		p.Label != "王*" || !reflect.DeepEqual(p.Reasons, []string{"repeat_party"}) || p.CaseCount != 3 || p.TownCount != 1 || p.VillageCount != 1 ||
		p.ScopeCode != "150502001000" || !reflect.DeepEqual(p.CaseIDs, []string{"p1", "p2", "p3"}) ||
		!p.FirstReported.Equal(end.AddDate(0, 0, -80).Add(-3*time.Hour)) || !p.LastReported.Equal(end.AddDate(0, 0, -1).Add(-3*time.Hour)) {
		t.Errorf("person link %+v", p)
	}
	if o.Key != "k1:org-xs" || o.Label != "萧山城投" || !reflect.DeepEqual(o.Reasons, []string{"org_villages"}) || o.CaseCount != 2 ||
		!reflect.DeepEqual(o.Villages, []string{"150502001001", "150502001002"}) || !reflect.DeepEqual(o.CaseIDs, []string{"o1", "o2"}) {
		t.Errorf("organisation link %+v", o)
	}
	if latest, err := st.LatestCaseLinks(ctx, end); err != nil || len(latest) != 2 {
		t.Errorf("latest links: %+v, %v", latest, err)
	}
	if w, err := st.WarningCaseLinks(ctx); err != nil || len(w) != 2 || w[0].Key != p.Key {
		t.Errorf("links for the warnings: %+v, %v", w, err)
	}

	// A later version of p3 without parties: the rerun reads the latest
	// version and the person is no longer a link; the rerun replaces the
	// earlier computation.
	p3 := person("p3", "150502001001", 1)
	p3.Version, p3.PartyKeys, p3.PartyKeyKinds, p3.PartyLabels = 2, nil, nil, nil
	if err := st.InsertCases(ctx, []schemas.CaseRow{p3}); err != nil {
		t.Fatal(err)
	}
	computed = computed.Add(time.Hour)
	if n, err = run(ctx, end); err != nil || n != 1 {
		t.Fatalf("rerun: %d links, %v; want 1", n, err)
	}
	if got, err = st.CaseLinks(ctx, end.AddDate(0, 0, -1), end); err != nil || len(got) != 1 || got[0].Key != "k1:org-xs" {
		t.Errorf("after the rerun: %+v, %v; want the organisation alone", got, err)
	}
}
