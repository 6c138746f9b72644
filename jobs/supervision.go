package jobs

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// SupervisionStore is what the 督办 job reads and writes.
type SupervisionStore interface {
	SupervisionCases(ctx context.Context, at time.Time) ([]store.SupervisionCase, error)
	WriteSupervision(ctx context.Context, at, computedAt time.Time, cases []store.SupervisionCase, units []store.SupervisionUnit) error
}

// SupervisionConfig sets when an overdue case turns red.
type SupervisionConfig struct {
	// RedAfterDays: a case overdue by more than this many days is red.
	RedAfterDays int
}

// DefaultSupervisionConfig is the rule the centers asked for: 黄 when
// overdue, 红 when overdue by more than 15 days or when an overdue case is
// a petition (涉法涉诉信访) or was assigned by a superior (上级交办).
func DefaultSupervisionConfig() SupervisionConfig { return SupervisionConfig{RedAfterDays: 15} }

var concluded = map[string]bool{"resolved": true, "failed": true, "closed": true}

// Light decides a case's light at `at`: days overdue, light, reasons (in
// Chinese, as the centers read them) and whether it needs re-handling.
func Light(c *store.SupervisionCase, at time.Time, cfg SupervisionConfig) {
	c.Reasons = nil
	c.Light, c.DaysOverdue = "green", 0
	open := !concluded[c.Status]
	if open && c.DueAt != nil && c.DueAt.Before(at) {
		c.DaysOverdue = int32(at.Sub(*c.DueAt) / (24 * time.Hour))
		c.Light = "yellow"
		c.Reasons = append(c.Reasons, fmt.Sprintf("逾期%d天", c.DaysOverdue))
		if int(c.DaysOverdue) > cfg.RedAfterDays {
			c.Light = "red"
			c.Reasons = append(c.Reasons, fmt.Sprintf("逾期超过%d天", cfg.RedAfterDays))
		}
		if c.Petition {
			c.Light = "red"
			c.Reasons = append(c.Reasons, "涉法涉诉信访")
		}
		if c.SuperiorAssigned {
			c.Light = "red"
			c.Reasons = append(c.Reasons, "上级交办")
		}
	}
	c.Rehandle = c.Satisfaction == "dissatisfied"
	if c.Rehandle {
		c.Reasons = append(c.Reasons, "群众评价不满意，需重新办理")
	}
}

// SupervisionUnits counts lit cases per responsible unit (and county), in
// a stable order.
func SupervisionUnits(cases []store.SupervisionCase) []store.SupervisionUnit {
	type key struct{ unit, county string }
	m := map[key]*store.SupervisionUnit{}
	for i := range cases {
		c := &cases[i]
		k := key{c.AssignedUnit, c.CountyCode}
		u := m[k]
		if u == nil {
			u = &store.SupervisionUnit{AssignedUnit: c.AssignedUnit, CountyCode: c.CountyCode}
			m[k] = u
		}
		if !concluded[c.Status] {
			u.Open++
			switch c.Light {
			case "green":
				u.Green++
			case "yellow":
				u.Yellow++
			case "red":
				u.Red++
			}
		}
		if c.Rehandle {
			u.Rehandle++
		}
	}
	out := make([]store.SupervisionUnit, 0, len(m))
	for _, u := range m {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CountyCode != out[j].CountyCode {
			return out[i].CountyCode < out[j].CountyCode
		}
		return out[i].AssignedUnit < out[j].AssignedUnit
	})
	return out
}

// SupervisionJob lights every open or dissatisfied case at the end of each
// day and counts them per unit.
func SupervisionJob(st SupervisionStore, cfg SupervisionConfig, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return func(ctx context.Context, at time.Time) (uint64, error) {
		end := schemas.Day.Align(at)
		cases, err := st.SupervisionCases(ctx, end)
		if err != nil {
			return 0, err
		}
		for i := range cases {
			Light(&cases[i], end, cfg)
		}
		units := SupervisionUnits(cases)
		if err := st.WriteSupervision(ctx, end, computedAt(), cases, units); err != nil {
			return 0, err
		}
		return uint64(len(cases) + len(units)), nil
	}
}

// SupervisionJobs returns the daily 督办 job (00:50 Asia/Shanghai).
func SupervisionJobs(st SupervisionStore, cfg SupervisionConfig, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{{Name: "supervision_day", Window: schemas.Day, Spec: "50 0 * * *", Run: SupervisionJob(st, cfg, computedAt)}}
}
