package jobs

import (
	"context"
	"time"

	"github.com/riskwatch/riskwatch/indices/emerging"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// EmergingStore is what the emerging-issue job reads and writes.
type EmergingStore interface {
	EmergingCases(ctx context.Context, from, to time.Time) ([]store.EmergingCase, error)
	WriteEmerging(ctx context.Context, at, computedAt time.Time, issues []store.EmergingIssue) error
	EmergingIssues(ctx context.Context, from, to time.Time) ([]store.EmergingIssue, error)
}

// EmergingJob finds, at the end of each day, the bursts of similar
// complaints of the last opt.Window in each town against the town's
// opt.Baseline before it (indices/emerging), and writes them. A cluster
// sharing a case with a cluster of the day before keeps that cluster's
// key, so that a burst longer than the window stays one issue (one
// warning) after its first cases leave the window.
func EmergingJob(st EmergingStore, opt emerging.Options, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	def := emerging.DefaultOptions()
	if opt.Window <= 0 {
		opt.Window = def.Window
	}
	if opt.Baseline <= 0 {
		opt.Baseline = def.Baseline
	}
	return func(ctx context.Context, at time.Time) (uint64, error) {
		end := schemas.Day.Align(at)
		cases, err := st.EmergingCases(ctx, end.Add(-opt.Window-opt.Baseline), end)
		if err != nil {
			return 0, err
		}
		issues, err := EmergingIssues(cases, end, opt)
		if err != nil {
			return 0, err
		}
		prevEnd := schemas.Day.Prev(end)
		prev, err := st.EmergingIssues(ctx, prevEnd.Add(-time.Second), prevEnd)
		if err != nil {
			return 0, err
		}
		CarryKeys(issues, prev)
		if err := st.WriteEmerging(ctx, end, computedAt(), issues); err != nil {
			return 0, err
		}
		return uint64(len(issues)), nil
	}
}

// EmergingIssues runs the detector over cases (each town a place, its
// villages the spots) at window end `end`.
func EmergingIssues(cases []store.EmergingCase, end time.Time, opt emerging.Options) ([]store.EmergingIssue, error) {
	cs := make([]emerging.Complaint, 0, len(cases))
	county := map[string]string{}
	for _, c := range cases {
		cs = append(cs, emerging.Complaint{ID: c.CaseID, Place: c.TownCode, Spot: c.VillageCode, Category: c.Category, At: c.ReportedAt, Text: c.Summary})
		county[c.TownCode] = c.CountyCode
	}
	// The detector's window is (end − Window, end]; the store's is
	// [from, end): a case reported at exactly end belongs to the next day.
	found, err := emerging.Detect(cs, end.Add(-time.Second), opt)
	if err != nil {
		return nil, err
	}
	out := make([]store.EmergingIssue, 0, len(found))
	for _, f := range found {
		out = append(out, store.EmergingIssue{
			CountyCode: county[f.Place], TownCode: f.Place, Key: f.Key, Representative: f.Representative,
			Size: uint32(f.Size), Villages: f.Spots, Categories: f.Categories, FirstAt: f.First, LastAt: f.Last,
			Members: f.Members, Expected: f.Expected, P: f.P,
		})
	}
	return out, nil
}

// CarryKeys gives each issue the key of the first earlier issue of its
// town that shares a case with it.
func CarryKeys(issues, earlier []store.EmergingIssue) {
	owner := map[string]string{} // town and case id → key
	for _, e := range earlier {
		for _, id := range e.Members {
			k := e.TownCode + "\x00" + id
			if _, ok := owner[k]; !ok {
				owner[k] = e.Key
			}
		}
	}
	for i := range issues {
		for _, id := range issues[i].Members {
			if k, ok := owner[issues[i].TownCode+"\x00"+id]; ok {
				issues[i].Key = k
				break
			}
		}
	}
}

// EmergingJobs returns the daily emerging-issue job (00:55 Asia/Shanghai).
func EmergingJobs(st EmergingStore, opt emerging.Options, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{{Name: "emerging_day", Window: schemas.Day, Spec: "55 0 * * *", Run: EmergingJob(st, opt, computedAt)}}
}
