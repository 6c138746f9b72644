package links

import (
	"reflect"
	"testing"
	"time"
)

var end = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return end.AddDate(0, 0, -n) }

// occ builds an occurrence in village v of town t of county c.
func occ(id, key, kind, label, c, t, v string, daysAgo int) Occurrence {
	return Occurrence{CaseID: id, Key: key, Kind: kind, Label: label, County: c, Town: t, Village: v, ReportedAt: day(daysAgo)}
}

func TestFindRules(t *testing.T) {
	in := []Occurrence{
		// A petitioner in three cases of one village within 90 days, by
		// ID number and phone (one person, one link).
		occ("a1", "k:id-wang", "id", "王*", "C1", "T1", "V1", 80),
		occ("a2", "k:id-wang", "id", "王*", "C1", "T1", "V1", 40),
		occ("a3", "k:id-wang", "id", "王*", "C1", "T1", "V1", 2),
		occ("a1", "k:ph-wang", "phone", "王*", "C1", "T1", "V1", 80),
		occ("a3", "k:ph-wang", "phone", "王*", "C1", "T1", "V1", 2),
		// Two cases only, but in two towns.
		occ("b1", "k:ph-li", "phone", "李*", "C1", "T1", "V1", 30),
		occ("b2", "k:ph-li", "phone", "李*", "C1", "T2", "V3", 10),
		// A contractor in two villages of one town.
		occ("c1", "k:org-xs", "org", "萧山城投", "C1", "T1", "V1", 50),
		occ("c2", "k:org-xs", "org", "萧山城投", "C1", "T1", "V2", 20),
		// Not links: a name in two cases of one village; an organisation
		// in two cases of one village; three cases of which one is older
		// than 90 days; one at the window end itself.
		occ("d1", "k:nm-zhang", "name", "张*", "C1", "T1", "V1", 5),
		occ("d2", "k:nm-zhang", "name", "张*", "C1", "T1", "V1", 6),
		occ("e1", "k:org-one", "org", "宏达建筑", "C1", "T1", "V1", 5),
		occ("e2", "k:org-one", "org", "宏达建筑", "C1", "T1", "V1", 7),
		occ("f1", "k:id-zhao", "id", "赵*", "C1", "T1", "V1", 91),
		occ("f2", "k:id-zhao", "id", "赵*", "C1", "T1", "V1", 30),
		occ("f3", "k:id-zhao", "id", "赵*", "C1", "T1", "V1", 3),
		occ("f4", "k:id-zhao", "id", "赵*", "C1", "T1", "V1", 0),
	}
	got := Find(in, end, Options{})
	want := []Link{
		{Key: "k:id-wang", Keys: []string{"k:id-wang", "k:ph-wang"}, Kinds: []string{"id", "phone"}, Label: "王*",
			Reasons: []string{ReasonRepeatParty}, Cases: []string{"a1", "a2", "a3"},
			Counties: []string{"C1"}, Towns: []string{"T1"}, Villages: []string{"V1"}, Scope: "T1", First: day(80), Last: day(2)},
		{Key: "k:org-xs", Keys: []string{"k:org-xs"}, Kinds: []string{"org"}, Label: "萧山城投",
			Reasons: []string{ReasonOrgVillages}, Cases: []string{"c1", "c2"},
			Counties: []string{"C1"}, Towns: []string{"T1"}, Villages: []string{"V1", "V2"}, Scope: "T1", First: day(50), Last: day(20)},
		{Key: "k:ph-li", Keys: []string{"k:ph-li"}, Kinds: []string{"phone"}, Label: "李*",
			Reasons: []string{ReasonCrossTown}, Cases: []string{"b1", "b2"},
			Counties: []string{"C1"}, Towns: []string{"T1", "T2"}, Villages: []string{"V1", "V3"}, Scope: "C1", First: day(30), Last: day(10)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestFindKeepsTwoPeopleWithOneLabelApart(t *testing.T) {
	// Two different 王* with three cases each: their case sets are not
	// subsets of each other, so they stay two links.
	in := []Occurrence{
		occ("a1", "k:1", "id", "王*", "C1", "T1", "V1", 10),
		occ("a2", "k:1", "id", "王*", "C1", "T1", "V1", 11),
		occ("a3", "k:1", "id", "王*", "C1", "T1", "V1", 12),
		occ("b1", "k:2", "id", "王*", "C2", "T9", "V9", 10),
		occ("b2", "k:2", "id", "王*", "C2", "T9", "V9", 11),
		occ("b3", "k:2", "id", "王*", "C2", "T9", "V9", 12),
	}
	got := Find(in, end, Options{})
	if len(got) != 2 || got[0].Key != "k:1" || got[1].Key != "k:2" || got[1].Scope != "T9" {
		t.Errorf("got %+v, want two links k:1 and k:2", got)
	}
}

func TestFindCrossCountyHasNoScope(t *testing.T) {
	in := []Occurrence{
		occ("a1", "k:1", "phone", "王*", "C1", "T1", "V1", 10),
		occ("a2", "k:1", "phone", "王*", "C2", "T2", "V2", 11),
	}
	got := Find(in, end, Options{})
	if len(got) != 1 || got[0].Scope != "" || !reflect.DeepEqual(got[0].Reasons, []string{ReasonCrossTown}) {
		t.Errorf("got %+v, want one cross-town link without scope", got)
	}
}

func TestFindOptions(t *testing.T) {
	in := []Occurrence{
		occ("a1", "k:1", "name", "王*", "C1", "T1", "V1", 10),
		occ("a2", "k:1", "name", "王*", "C1", "T1", "V1", 11),
	}
	if got := Find(in, end, Options{}); len(got) != 0 {
		t.Errorf("two cases in one village linked by default: %+v", got)
	}
	if got := Find(in, end, Options{MinCases: 2}); len(got) != 1 {
		t.Errorf("MinCases 2: %+v, want one link", got)
	}
	if got := Find(in, end, Options{MinCases: 2, Window: 10*24*time.Hour + time.Hour}); len(got) != 0 {
		t.Errorf("a window holding one case linked: %+v", got)
	}
}
