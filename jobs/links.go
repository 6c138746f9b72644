package jobs

import (
	"context"
	"time"

	"github.com/riskwatch/riskwatch/indices/links"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// LinksStore is what the linked-cases job reads and writes.
type LinksStore interface {
	PartyKeyCases(ctx context.Context, from, to time.Time) ([]store.PartyKeyCase, error)
	WriteLinks(ctx context.Context, at, computedAt time.Time, links []store.CaseLink) error
}

// LinksJob finds, at the end of each day, the parties linking cases
// reported in the last opt.Window (indices/links) and writes them to
// case_links; a recomputed day replaces its earlier rows.
func LinksJob(st LinksStore, opt links.Options, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	if opt.Window <= 0 {
		opt.Window = links.DefaultOptions().Window
	}
	return func(ctx context.Context, at time.Time) (uint64, error) {
		end := schemas.Day.Align(at)
		cases, err := st.PartyKeyCases(ctx, end.Add(-opt.Window), end)
		if err != nil {
			return 0, err
		}
		found := CaseLinks(cases, end, opt)
		if err := st.WriteLinks(ctx, end, computedAt(), found); err != nil {
			return 0, err
		}
		return uint64(len(found)), nil
	}
}

// CaseLinks runs the link rules over the party keys of cases at window end
// `end`.
func CaseLinks(cases []store.PartyKeyCase, end time.Time, opt links.Options) []store.CaseLink {
	var occ []links.Occurrence
	for _, c := range cases {
		for i, k := range c.Keys {
			o := links.Occurrence{CaseID: c.CaseID, Key: k, County: c.CountyCode, Town: c.TownCode, Village: c.VillageCode, ReportedAt: c.ReportedAt}
			if i < len(c.Kinds) {
				o.Kind = c.Kinds[i]
			}
			if i < len(c.Labels) {
				o.Label = c.Labels[i]
			}
			occ = append(occ, o)
		}
	}
	found := links.Find(occ, end, opt)
	out := make([]store.CaseLink, 0, len(found))
	for _, l := range found {
		out = append(out, store.CaseLink{
			WindowEnd: end, Key: l.Key, Keys: l.Keys, Kinds: l.Kinds, Label: l.Label, Reasons: l.Reasons,
			CaseCount: uint32(len(l.Cases)), TownCount: uint32(len(l.Towns)), VillageCount: uint32(len(l.Villages)),
			ScopeCode: l.Scope, Counties: l.Counties, Towns: l.Towns, Villages: l.Villages, CaseIDs: l.Cases,
			FirstReported: l.First, LastReported: l.Last,
		})
	}
	return out
}

// LinksJobs returns the daily linked-cases job (01:05 Asia/Shanghai).
func LinksJobs(st LinksStore, opt links.Options, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{{Name: "links_day", Window: schemas.Day, Spec: "5 1 * * *", Run: LinksJob(st, opt, computedAt)}}
}
