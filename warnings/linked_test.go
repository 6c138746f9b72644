package warnings

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type fakeLinkSnaps struct {
	fakeSnaps
	links []LinkRow
}

func (f *fakeLinkSnaps) CaseLinks(context.Context) ([]LinkRow, error) { return f.links, nil }

// A link raises one 关联预警 per link, addressed to the town holding its
// cases (a cross-town link to the county), with the masked label, counts,
// places (no case id: leaders read warnings too), and resolves when the latest window no longer
// holds it.
func TestLinkedWarningsFireAndResolve(t *testing.T) {
	reg := registry(t)
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai)
	person := LinkRow{WindowEnd: end, Key: "k1:aa", Label: "王*", Kinds: []string{"id", "phone"}, Reasons: []string{"repeat_party"},
		Scope: baokang, Cases: []string{"ZZ-1", "ZZ-2", "ZZ-3"}, Towns: []string{baokang}, Villages: []string{"150521100200"},
		First: end.AddDate(0, 0, -60), Last: end.AddDate(0, 0, -2)}
	org := LinkRow{WindowEnd: end, Key: "k1:bb", Label: "萧山城投", Kinds: []string{"org"}, Reasons: []string{"cross_town", "org_villages"},
		Scope: kzz, Cases: []string{"ZZ-4", "ZZ-5"}, Towns: []string{baokang, baolong}, Villages: []string{"150521100200", "150521101200"},
		First: end.AddDate(0, 0, -20), Last: end.AddDate(0, 0, -1)}
	snaps := &fakeLinkSnaps{links: []LinkRow{person, org}}
	ob, err := OpenOutbox(filepath.Join(t.TempDir(), "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	route := &Route{Targets: []string{TargetSelf}, GroupBy: []string{"..."}, Timing: Timing{GroupWait: -1, GroupInterval: time.Minute}}
	route.Finish()
	e, err := NewEngine(Config{Regions: reg, Builder: &Builder{Regions: reg, BaseURL: "http://rw.test/"}, Route: route,
		SnapshotEvery: time.Minute, Centers: map[string][]string{"*": {"hook"}}}, nil, snaps, nil, nil, ob)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := e.Tick(context.Background(), at(0))
	if err != nil {
		t.Fatal(err)
	}
	byReceiver := map[string]Warning{}
	for _, n := range ns {
		for _, w := range n.Firing {
			byReceiver[n.Receiver] = w
		}
	}
	if len(byReceiver) != 2 {
		t.Fatalf("want one warning to 保康镇 and one to 科左中旗, got %+v", ns)
	}
	w := byReceiver[baokang]
	if w.Kind != KindLinked || KindZH(w.Kind) != "关联预警" || w.Level != Yellow || w.Region != baokang {
		t.Errorf("person warning %+v", w)
	}
	if w.Title != "科尔沁左翼中旗保康镇关联预警：当事人王*涉及3件案件" {
		t.Errorf("title %q", w.Title)
	}
	wantBody := "01-01—02-28，当事人王*（身份证号、联系电话相同）涉及案件 3 件，分布在 1 个乡镇、1 个村社区（保康西村村委会）：90天内反复涉案。" +
		"关联案件见控制台“关联案件”页面。建议核查是否为同一当事人，统筹化解、防止矛盾升级。"
	if w.Body != wantBody {
		t.Errorf("body\n%q\nwant\n%q", w.Body, wantBody)
	}
	o := byReceiver[kzz]
	if o.Region != kzz || !strings.Contains(o.Title, "单位“萧山城投”涉及2件案件") || !strings.Contains(o.Body, "跨乡镇涉案、在多个村社区涉及纠纷") {
		t.Errorf("organisation warning %+v", o)
	}
	snaps.links = []LinkRow{org}
	ns, err = e.Tick(context.Background(), at(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || len(ns[0].Resolved) != 1 || ns[0].Resolved[0].ID != w.ID || len(ns[0].Firing) != 0 {
		t.Errorf("want the person's warning resolved alone, got %+v", ns)
	}
}
