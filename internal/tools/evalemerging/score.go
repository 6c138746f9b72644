package main

import (
	"time"

	"github.com/riskwatch/riskwatch/sources/demo"
)

// scorer matches the clusters of successive day ends to the injected
// issues.
type scorer struct {
	truth   []demo.EmergingIssue
	issueOf map[string]int // case id → issue
	foundBy []time.Time    // first day end at which each issue was found
	// falseSets are the false clusters, merged when they share a case.
	falseSets []map[string]bool
}

func newScorer(truth []demo.EmergingIssue) *scorer {
	s := &scorer{truth: truth, issueOf: map[string]int{}, foundBy: make([]time.Time, len(truth))}
	for i, is := range truth {
		for _, id := range is.CaseIDs {
			s.issueOf[id] = i
		}
	}
	return s
}

// add scores one cluster of the day ending at end. A cluster holding at
// least three cases of one issue, which are at least half of the cluster,
// finds that issue; any other cluster is false, and add reports whether
// it is a new false cluster (sharing no case with an earlier one).
func (s *scorer) add(end time.Time, members []string) (newFalse bool) {
	votes := map[int]int{}
	for _, id := range members {
		if i, ok := s.issueOf[id]; ok {
			votes[i]++
		}
	}
	best, bestN := -1, 0
	for i, n := range votes {
		if n > bestN || (n == bestN && i < best) {
			best, bestN = i, n
		}
	}
	if best >= 0 && bestN >= 3 && 2*bestN >= len(members) {
		if s.foundBy[best].IsZero() || end.Before(s.foundBy[best]) {
			s.foundBy[best] = end
		}
		return false
	}
	var hit map[string]bool
	for _, fs := range s.falseSets {
		for _, id := range members {
			if fs[id] {
				hit = fs
				break
			}
		}
		if hit != nil {
			break
		}
	}
	if hit == nil {
		hit = map[string]bool{}
		s.falseSets = append(s.falseSets, hit)
		newFalse = true
	}
	for _, id := range members {
		hit[id] = true
	}
	return newFalse
}

// falses is the number of false clusters.
func (s *scorer) falses() int { return len(s.falseSets) }

// result counts the issues starting at or after evalFrom with cases: n of
// them, found within two days of their first day (a day end at most three
// days after its start), found at all, and the ones never found.
func (s *scorer) result(evalFrom time.Time) (n, inTime, ever int, missed []demo.EmergingIssue) {
	for i, is := range s.truth {
		if is.Start.Before(evalFrom) || len(is.CaseIDs) == 0 {
			continue
		}
		n++
		switch {
		case s.foundBy[i].IsZero():
			missed = append(missed, is)
		default:
			ever++
			if !s.foundBy[i].After(is.Start.AddDate(0, 0, 3)) {
				inTime++
			}
		}
	}
	return n, inTime, ever, missed
}
