package main

import (
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/sources/demo"
)

func TestScorer(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }
	truth := []demo.EmergingIssue{
		{Label: "on-time", Start: day(10), CaseIDs: []string{"a1", "a2", "a3", "a4", "a5", "a6"}},
		{Label: "late", Start: day(10), CaseIDs: []string{"b1", "b2", "b3", "b4", "b5"}},
		{Label: "missed", Start: day(12), CaseIDs: []string{"c1", "c2", "c3", "c4", "c5"}},
		{Label: "before the evaluation", Start: day(1), CaseIDs: []string{"d1", "d2", "d3"}},
	}
	s := newScorer(truth)
	// Day end 13 is the end of the second day after the 10th: in time.
	if s.add(day(13), []string{"a1", "a2", "a3", "x1"}) {
		t.Error("a cluster of the issue on-time counted false")
	}
	// Issue late is found only on the 14th; a cluster with too few of
	// issue missed's cases is false, once across two days.
	if s.add(day(14), []string{"b1", "b2", "b3", "b4"}) {
		t.Error("a cluster of the issue late counted false")
	}
	if !s.add(day(13), []string{"c1", "c2", "y1", "y2", "y3"}) {
		t.Error("a cluster with two of five cases from an issue is not false")
	}
	if s.add(day(14), []string{"y3", "y4", "y5", "y6", "y7"}) {
		t.Error("the next day's cluster sharing a case counted as a new false cluster")
	}
	if !s.add(day(14), []string{"z1", "z2", "z3", "z4", "z5"}) {
		t.Error("an unrelated false cluster not counted")
	}
	n, inTime, ever, missed := s.result(day(5))
	if n != 3 || inTime != 1 || ever != 2 || len(missed) != 1 || missed[0].Label != "missed" || s.falses() != 2 {
		t.Errorf("n %d, in time %d, ever %d, missed %+v, false %d; want 3, 1, 2, [missed], 2", n, inTime, ever, missed, s.falses())
	}
}
