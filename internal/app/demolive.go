package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
)

// demoTick is how often the demo's trickle hands its new records to the
// broker.
const demoTick = 2 * time.Second

// recordSender is where the trickle's records go (an ingest.Producer).
type recordSender interface {
	Send(ctx context.Context, recs ...ingest.Record) error
}

// demoTrickle keeps the demo alive after its two years: every tick it
// sends the trickle's records up to now (demo.rate new cases a minute, an
// outbreak every demo.outbreak_every on average) and announces each
// injected outbreak, until ctx ends.
func demoTrickle(ctx context.Context, cfg config.Config, reg *schemas.Registry, p recordSender, start time.Time,
	out io.Writer, now func() time.Time, tick time.Duration) error {
	every := cfg.Demo.OutbreakEvery
	if every == 0 {
		every = -1 // none
	}
	live, err := demo.NewLive(demo.LiveOptions{Seed: cfg.Demo.Seed, Start: start, Rate: cfg.Demo.Rate,
		OutbreakEvery: every, Registry: reg})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "演示数据 demo trickle: about %g new cases a minute from now on (demo.rate)\n", cfg.Demo.Rate)
	t := time.NewTicker(tick)
	defer t.Stop()
	announced := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		recs := live.Until(now())
		batch := make([]ingest.Record, 0, len(recs))
		for _, r := range recs {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return fmt.Errorf("cannot marshal demo record %s: %w", r.CaseID, err)
			}
			batch = append(batch, ingest.Record{Key: []byte(r.CaseID), Value: b})
		}
		if len(batch) > 0 {
			if err := p.Send(ctx, batch...); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("cannot produce the demo trickle: %w", err)
			}
		}
		for _, o := range live.Outbreaks()[announced:] {
			announced++
			name := o.Category
			if c, ok := schemas.CategoryByCode()[o.Category]; ok {
				name = c.NameZH
			}
			fmt.Fprintf(out, "演示数据 demo: %s 起 %s 出现%s突发，约 %d 分钟（injected outbreak %s）\n",
				o.Start.In(schemas.Zone()).Format("15:04"), o.RegionName, name, int(o.End.Sub(o.Start).Minutes()), o.Label)
		}
	}
}
