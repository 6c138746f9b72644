package reportgen

import (
	"context"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

type fakeEmergingStore struct {
	Store
	rows     []store.EmergingIssue
	from, to time.Time
}

func (f *fakeEmergingStore) EmergingIssues(_ context.Context, from, to time.Time) ([]store.EmergingIssue, error) {
	f.from, f.to = from, to
	return f.rows, nil
}

// One burst computed on two days is one issue, shown by its larger
// computation; issues outside the report's region are left out.
func TestEmergingInputMergesDaysAndKeepsTheRegion(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	d := func(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, schemas.Shanghai) }
	fake := &fakeEmergingStore{rows: []store.EmergingIssue{
		{WindowEnd: d(4), CountyCode: "150521000000", TownCode: "150521100000", Size: 6, Members: []string{"a", "b", "c", "d", "e", "f"},
			Villages: []string{"150521100200"}, Categories: []string{"property", "other"}, Representative: "停水（第一天）"},
		{WindowEnd: d(5), CountyCode: "150521000000", TownCode: "150521100000", Size: 9, Members: []string{"c", "d", "e", "f", "g", "h", "i", "j", "k"},
			Villages: []string{"150521100200"}, Categories: []string{"property", "consumer", "other"}, Representative: "停水（第二天）"},
		{WindowEnd: d(5), CountyCode: "150521000000", TownCode: "150521101000", Size: 7, Members: []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7"},
			Categories: []string{"environment", "other"}, Representative: "异味"},
		{WindowEnd: d(6), CountyCode: "150502000000", TownCode: "150502001000", Size: 8, Members: []string{"y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"},
			Categories: []string{"consumer", "other"}, Representative: "健身房"},
	}}
	g := &Generator{st: fake, reg: reg}
	county, _ := reg.Lookup("150521000000")
	var in reports.Input
	if err := g.emerging(context.Background(), &in, d(2), d(9), county); err != nil {
		t.Fatal(err)
	}
	if !fake.from.Equal(d(2)) || !fake.to.Equal(d(9)) {
		t.Errorf("read (%v, %v], want the report's period", fake.from, fake.to)
	}
	if len(in.Emerging) != 2 {
		t.Fatalf("%d issues, want 2: %+v", len(in.Emerging), in.Emerging)
	}
	first := in.Emerging[0]
	if first.Size != 9 || first.Representative != "停水（第二天）" || len(first.Villages) != 1 || first.Villages[0] != "保康西村村委会" {
		t.Errorf("merged issue %+v, want the second day's 9 cases in 保康西村村委会", first)
	}
	if in.Emerging[1].Town != "150521101000" {
		t.Errorf("second issue %+v", in.Emerging[1])
	}
	town, _ := reg.Lookup("150502001000")
	in = reports.Input{}
	if err := g.emerging(context.Background(), &in, d(2), d(9), town); err != nil {
		t.Fatal(err)
	}
	if len(in.Emerging) != 1 || in.Emerging[0].Representative != "健身房" {
		t.Errorf("town report: %+v", in.Emerging)
	}
}
