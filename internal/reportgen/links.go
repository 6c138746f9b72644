package reportgen

import (
	"context"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// linksSource is what a store offers that keeps the links_day job's
// links.
type linksSource interface {
	LatestCaseLinks(ctx context.Context, to time.Time) ([]store.CaseLink, error)
}

// links reads the section 关联案件: the links of the latest links_day
// computation at or before the period's end whose cases all lie in the
// region (a county's report lists the links within the county, a town's
// those within the town). Stores without the table leave the section out.
func (g *Generator) links(ctx context.Context, in *reports.Input, end time.Time, region schemas.Region) error {
	src, ok := g.st.(linksSource)
	if !ok {
		return nil
	}
	rows, err := src.LatestCaseLinks(ctx, end)
	if err != nil {
		return err
	}
	names := func(codes []string) []string {
		var out []string
		for _, c := range codes {
			if r, ok := g.reg.Lookup(c); ok {
				out = append(out, r.Name)
			}
		}
		return out
	}
	in.Links = []reports.LinkedParty{}
	for _, r := range rows {
		switch region.Level {
		case schemas.LevelCounty:
			if len(r.Counties) != 1 || r.Counties[0] != region.Code {
				continue
			}
		case schemas.LevelTown:
			if len(r.Towns) != 1 || r.Towns[0] != region.Code {
				continue
			}
		}
		org := false
		for _, k := range r.Kinds {
			org = org || k == schemas.PartyKeyOrg
		}
		in.Links = append(in.Links, reports.LinkedParty{Label: r.Label, Org: org, Reasons: r.Reasons, Cases: int(r.CaseCount),
			Towns: names(r.Towns), Villages: names(r.Villages), First: r.FirstReported, Last: r.LastReported})
	}
	return nil
}
