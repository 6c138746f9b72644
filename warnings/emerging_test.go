package warnings

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

type fakeEmergingSnaps struct {
	fakeSnaps
	issues []EmergingRow
}

func (f *fakeEmergingSnaps) EmergingIssues(context.Context) ([]EmergingRow, error) {
	return f.issues, nil
}

// A cluster of similar complaints raises a 新发问题 warning addressed to
// its town like the other kinds, and resolves when the latest window no
// longer holds it.
func TestEmergingWarningsFireAndResolve(t *testing.T) {
	reg := registry(t)
	end := time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai)
	snaps := &fakeEmergingSnaps{issues: []EmergingRow{{
		WindowEnd: end, Town: baokang, Key: baokang + ":ZZ-1", Representative: "阳光花园小区停水两天，物业电话打不通",
		Size: 12, Villages: []string{"150521100200"}, Categories: []string{"property", "consumer", "other"},
		First: end.Add(-50 * time.Hour), Last: end.Add(-3 * time.Hour), Expected: 0.5,
	}}}
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
	if len(ns) != 1 || len(ns[0].Firing) != 1 {
		t.Fatalf("want one notification of one warning, got %+v", ns)
	}
	w := ns[0].Firing[0]
	if w.Kind != KindEmerging || KindZH(w.Kind) != "新发问题" || w.Level != Yellow || w.Region != baokang || ns[0].Receiver != baokang {
		t.Errorf("warning %+v to %s", w, ns[0].Receiver)
	}
	if w.Title != "科尔沁左翼中旗保康镇出现新发问题：12件相似诉求" {
		t.Errorf("title %q", w.Title)
	}
	wantBody := "02-27 22:00—03-01 21:00，保康西村村委会受理相似诉求 12 件，分属物业/房产、消费纠纷、其他等类型（基线预期 0.5 件）。代表性诉求：“阳光花园小区停水两天，物业电话打不通”。建议及时研判、统筹处置。"
	if w.Body != wantBody {
		t.Errorf("body\n%q\nwant\n%q", w.Body, wantBody)
	}
	snaps.issues = nil
	ns, err = e.Tick(context.Background(), at(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || len(ns[0].Resolved) != 1 || ns[0].Resolved[0].ID != w.ID {
		t.Errorf("want the warning resolved, got %+v", ns)
	}
}
