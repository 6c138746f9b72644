package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// emergingRun runs the stream of o and returns the first version of every
// case by id, and the generator.
func emergingRun(t *testing.T, o Options) (map[string]schemas.Record, *Generator) {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string]schemas.Record{}
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		if r.Version == 1 {
			first[r.CaseID] = r
		}
	}
	return first, g
}

func TestEmergingIssuesAreInjectedWithTheirGroundTruth(t *testing.T) {
	period := Options{Seed: 3, From: time.Date(2025, 3, 1, 0, 0, 0, 0, shanghai), To: time.Date(2025, 6, 30, 0, 0, 0, 0, shanghai), NoOutbreaks: true}
	off, gOff := emergingRun(t, period)
	if gOff.Emerging() != nil {
		t.Fatalf("emerging issues without the option: %+v", gOff.Emerging())
	}
	on := period
	on.Emerging = true
	cases, g := emergingRun(t, on)
	issues := g.Emerging()
	// 122 days: (122 − 35) / 10 = 8 issues.
	if len(issues) != 8 {
		t.Fatalf("%d issues, want 8", len(issues))
	}
	injected := 0
	for _, is := range issues {
		if len(is.CaseIDs) < 10 || len(is.CaseIDs) > 24 {
			t.Errorf("%s: %d cases, want 10–24", is.Label, len(is.CaseIDs))
		}
		cats := map[string]bool{}
		for _, id := range is.CaseIDs {
			r, ok := cases[id]
			if !ok {
				t.Fatalf("%s: case %s not in the stream", is.Label, id)
			}
			injected++
			if r.RegionCode != is.Village && r.RegionCode != is.Town {
				t.Errorf("%s: case %s at %s, want village %s or its town", is.Label, id, r.RegionCode, is.Village)
			}
			if !hasSubject(is.Topic, r.Summary) {
				t.Errorf("%s: case %s summary %q off topic", is.Label, id, r.Summary)
			}
			day := r.ReportedAt.In(shanghai)
			if day.Before(is.Start) || !day.Before(is.End.AddDate(0, 0, 1)) {
				t.Errorf("%s: case %s reported %v outside %v–%v", is.Label, id, day, is.Start, is.End)
			}
			cats[r.Category] = true
		}
		if len(cats) < 2 {
			t.Errorf("%s: filed under %v, want at least two categories", is.Label, cats)
		}
	}
	if len(cases) != len(off)+injected {
		t.Errorf("%d cases with the issues, %d without, %d injected", len(cases), len(off), injected)
	}
	again, g2 := emergingRun(t, on)
	if len(again) != len(cases) || g2.Emerging()[3].Label != issues[3].Label || strings.Join(g2.Emerging()[3].CaseIDs, ",") != strings.Join(issues[3].CaseIDs, ",") {
		t.Error("the same options give other emerging issues")
	}
}

// hasSubject tells whether text holds one of the subjects of the topic.
func hasSubject(topic, text string) bool {
	for _, tp := range emTopics {
		if tp.name != topic {
			continue
		}
		for _, s := range tp.subjects {
			if strings.Contains(text, s) {
				return true
			}
		}
	}
	return false
}
