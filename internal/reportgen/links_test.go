package reportgen

import (
	"context"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

type fakeLinksStore struct {
	Store
	rows []store.CaseLink
	to   time.Time
}

func (f *fakeLinksStore) LatestCaseLinks(_ context.Context, to time.Time) ([]store.CaseLink, error) {
	f.to = to
	return f.rows, nil
}

// A county's report lists the links whose cases all lie in the county,
// with names for codes and no case id; the city's lists them all.
func TestLinksInputKeepsTheRegion(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 3, 9, 0, 0, 0, 0, schemas.Shanghai)
	fake := &fakeLinksStore{rows: []store.CaseLink{
		{Key: "k:1", Label: "王*", Kinds: []string{"id", "name"}, Reasons: []string{"repeat_party"}, CaseCount: 3,
			Counties: []string{"150521000000"}, Towns: []string{"150521100000"}, Villages: []string{"150521100200"}, CaseIDs: []string{"A", "B", "C"}},
		{Key: "k:2", Label: "萧山城投", Kinds: []string{"org"}, Reasons: []string{"cross_town", "org_villages"}, CaseCount: 2,
			Counties: []string{"150502000000", "150521000000"}, Towns: []string{"150502001000", "150521100000"}, CaseIDs: []string{"D", "E"}},
	}}
	g := &Generator{st: fake, reg: reg}
	county, _ := reg.Lookup("150521000000")
	var in reports.Input
	if err := g.links(context.Background(), &in, end, county); err != nil {
		t.Fatal(err)
	}
	if !fake.to.Equal(end) {
		t.Errorf("read links up to %v, want the period's end", fake.to)
	}
	if len(in.Links) != 1 || in.Links[0].Label != "王*" || in.Links[0].Org || in.Links[0].Cases != 3 ||
		len(in.Links[0].Towns) != 1 || in.Links[0].Towns[0] != "保康镇" || in.Links[0].Villages[0] != "保康西村村委会" {
		t.Errorf("county links %+v, want 王* of 保康镇 alone", in.Links)
	}
	city := reg.Root()
	in = reports.Input{}
	if err := g.links(context.Background(), &in, end, city); err != nil {
		t.Fatal(err)
	}
	if len(in.Links) != 2 || !in.Links[1].Org {
		t.Errorf("city links %+v, want both, the second an organisation", in.Links)
	}
}
