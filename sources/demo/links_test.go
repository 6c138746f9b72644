package demo

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLinksGroundTruth: the injected links have the cases their reason
// promises, in the places it promises, and the default stream has none.
func TestLinksGroundTruth(t *testing.T) {
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, cst)
	to := time.Date(2025, 12, 31, 0, 0, 0, 0, cst)
	g, err := New(Options{Seed: 3, From: from, To: to, Links: true, CasesPerYear: 4000})
	if err != nil {
		t.Fatal(err)
	}
	parties, withParties := map[string]int{}, 0
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		if r.Version == 1 && len(r.PartyDetails) > 0 {
			withParties++
			parties[r.CaseID] = len(r.PartyDetails)
		}
	}
	links := g.Links()
	count := map[string]int{}
	for _, l := range links {
		count[l.Reason]++
		n := len(l.CaseIDs)
		if n != len(l.Reported) || n != len(l.Villages) || n != len(l.Towns) {
			t.Fatalf("%s: ragged ground truth", l.Label)
		}
		for _, id := range l.CaseIDs {
			if parties[id] == 0 {
				t.Errorf("%s: case %s has no party_details", l.Label, id)
			}
		}
		if n < 2 {
			continue // cut short by the period's end
		}
		span := l.Reported[n-1].Sub(l.Reported[0])
		towns := slices.Compact(slices.Sorted(slices.Values(l.Towns)))
		villages := slices.Compact(slices.Sorted(slices.Values(l.Villages)))
		switch l.Reason {
		case LinkRepeatParty:
			if len(villages) != 1 || n > 6 || span > 81*24*time.Hour {
				t.Errorf("%s: %d cases in %v over %v", l.Label, n, villages, span)
			}
		case LinkCrossTown:
			if len(towns) != 2 || n != 2 || span > 61*24*time.Hour {
				t.Errorf("%s: %d cases in towns %v over %v", l.Label, n, towns, span)
			}
		case LinkOrgVillages:
			if len(villages) != n || n > 4 || span > 61*24*time.Hour {
				t.Errorf("%s: %d cases in villages %v over %v", l.Label, n, villages, span)
			}
		default:
			t.Errorf("%s: unknown reason", l.Label)
		}
	}
	if count[LinkRepeatParty] < 15 || count[LinkCrossTown] < 10 || count[LinkOrgVillages] < 10 {
		t.Errorf("links by reason %v, want ≥ 15, 10, 10 in a year", count)
	}
	if !slices.ContainsFunc(links, func(l Link) bool { return strings.Contains(l.Label, "萧山城投") }) {
		t.Error("no 萧山城投 among the contractors")
	}
	if withParties < 500 {
		t.Errorf("%d cases with parties, want the look-alikes and a quarter of the baseline", withParties)
	}

	plain, err := New(Options{Seed: 3, From: from, To: to, CasesPerYear: 4000})
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, ok := plain.Next()
		if !ok {
			break
		}
		if len(r.PartyDetails) > 0 {
			t.Fatal("the default stream has party_details")
		}
	}
	if plain.Links() != nil {
		t.Error("Links() of the default stream is not nil")
	}
}
