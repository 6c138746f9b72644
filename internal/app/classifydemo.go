package app

import (
	"fmt"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/transform"
	"github.com/riskwatch/riskwatch/transform/classify"
)

// demoModelCases bounds the demo model's training set.
const demoModelCases = 10000

// demoModel trains the learned classifier on the demo stream's
// staff-labelled cases up to now (records that carry their category), on
// their masked text as the store would hold it, one example per case, the
// latest demoModelCases of them (so that the start stays quick). The
// demo's summaries come from a few templates per category, so the model
// learns them easily: this shows the machinery at work in `run --demo`; it
// says nothing about accuracy on real messages (make eval-classify).
func demoModel(cfg config.Config, reg *schemas.Registry, now time.Time) (*classify.Model, error) {
	gen, err := demo.New(demo.UpTo(demo.Options{Seed: cfg.Demo.Seed, Registry: reg}, now))
	if err != nil {
		return nil, fmt.Errorf("cannot train the demo model: %w", err)
	}
	seen := map[string]bool{}
	var ex []classify.Example
	for r, ok := gen.Next(); ok; r, ok = gen.Next() {
		if r.Category == "" || seen[r.CaseID] {
			continue
		}
		seen[r.CaseID] = true
		text := classify.RecordText(transform.Mask(r.CategoryText, r.PartyNames), transform.Mask(r.Summary, r.PartyNames))
		if text != "" {
			ex = append(ex, classify.Example{Text: text, Label: r.Category})
		}
	}
	if len(ex) > demoModelCases {
		ex = ex[len(ex)-demoModelCases:]
	}
	m, err := classify.Train(ex, classify.Options{Taxonomy: taxonomyNames()})
	if err != nil {
		return nil, fmt.Errorf("cannot train the demo model: %w", err)
	}
	m.Version = "demo-" + m.DataHash[:8]
	return m, nil
}
