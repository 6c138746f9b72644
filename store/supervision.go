package store

import (
	"context"
	"fmt"
	"time"
)

// SupervisionCase is a case the 督办 snapshot looks at: open at the window
// end, or evaluated 不满意.
type SupervisionCase struct {
	Source, CaseID               string
	CountyCode, TownCode, Region string
	Category, AssignedUnit       string
	Status, Satisfaction         string
	ReportedAt                   time.Time
	DueAt                        *time.Time
	Petition, SuperiorAssigned   bool
	// Lit by the job:
	DaysOverdue int32
	Light       string // green, yellow, red
	Reasons     []string
	Rehandle    bool
}

// SupervisionCases returns the cases reported before at that are not
// concluded, or whose evaluation is 不满意, in their state at `at` (their
// newest version with updated_at at or before it).
func (s *Store) SupervisionCases(ctx context.Context, at time.Time) ([]SupervisionCase, error) {
	sa, err := s.stateArgs(ctx, time.Time{}, at)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(source), case_id, county_code, town_code, region_code, category, assigned_unit,
    toString(status), toString(satisfaction), reported_at, due_at, petition, superior_assigned
FROM `+supervisionState+`
WHERE status NOT IN ('resolved', 'failed', 'closed') OR satisfaction = 'dissatisfied'`, sa...)
	if err != nil {
		return nil, fmt.Errorf("cannot read cases for supervision: %w", err)
	}
	defer rows.Close()
	var out []SupervisionCase
	for rows.Next() {
		var c SupervisionCase
		var pet, sup uint8
		if err := rows.Scan(&c.Source, &c.CaseID, &c.CountyCode, &c.TownCode, &c.Region, &c.Category, &c.AssignedUnit,
			&c.Status, &c.Satisfaction, &c.ReportedAt, &c.DueAt, &pet, &sup); err != nil {
			return nil, fmt.Errorf("cannot read supervision case: %w", err)
		}
		c.Petition, c.SuperiorAssigned = pet == 1, sup == 1
		out = append(out, c)
	}
	return out, rows.Err()
}

var supervisionState = stateAtSQL("source", "case_id", "county_code", "town_code", "region_code", "category", "assigned_unit",
	"status", "satisfaction", "reported_at", "due_at", "petition", "superior_assigned")

// SupervisionUnit counts one responsible unit's lit cases.
type SupervisionUnit struct {
	AssignedUnit, CountyCode           string
	Open, Green, Yellow, Red, Rehandle uint64
}

// WriteSupervision stores a snapshot; a snapshot computed again replaces
// the earlier rows.
func (s *Store) WriteSupervision(ctx context.Context, at, computedAt time.Time, cases []SupervisionCase, units []SupervisionUnit) error {
	if len(cases) > 0 {
		n := len(cases)
		we, ca, rep := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		var str [8][]string
		for i := range str {
			str[i] = make([]string, n)
		}
		due := make([]*time.Time, n)
		days := make([]int32, n)
		light := make([]int8, n)
		reasons := make([][]string, n)
		reh := make([]uint8, n)
		lights := map[string]int8{"green": 1, "yellow": 2, "red": 3}
		for i, c := range cases {
			we[i], ca[i], rep[i] = at, computedAt, c.ReportedAt
			for j, v := range []string{c.Source, c.CaseID, c.CountyCode, c.TownCode, c.Region, c.Category, c.AssignedUnit, c.Status} {
				str[j][i] = v
			}
			due[i], days[i], light[i] = c.DueAt, c.DaysOverdue, lights[c.Light]
			if light[i] == 0 {
				return fmt.Errorf("supervision case %s: unknown light %q", c.CaseID, c.Light)
			}
			reasons[i] = c.Reasons
			if reasons[i] == nil {
				reasons[i] = []string{}
			}
			reh[i] = b2u(c.Rehandle)
		}
		if err := s.insertColumns(ctx, "supervision_cases",
			"window_end, source, case_id, county_code, town_code, region_code, category, assigned_unit, status, reported_at, due_at, days_overdue, light, reasons, rehandle, computed_at",
			[]any{we, str[0], str[1], str[2], str[3], str[4], str[5], str[6], str[7], rep, due, days, light, reasons, reh, ca}); err != nil {
			return err
		}
	}
	if len(units) == 0 {
		return nil
	}
	n := len(units)
	we, ca := make([]time.Time, n), make([]time.Time, n)
	unit, county := make([]string, n), make([]string, n)
	var cnt [5][]uint64
	for i := range cnt {
		cnt[i] = make([]uint64, n)
	}
	for i, u := range units {
		we[i], ca[i], unit[i], county[i] = at, computedAt, u.AssignedUnit, u.CountyCode
		for j, v := range []uint64{u.Open, u.Green, u.Yellow, u.Red, u.Rehandle} {
			cnt[j][i] = v
		}
	}
	return s.insertColumns(ctx, "supervision_units",
		"window_end, assigned_unit, county_code, open, green, yellow, red, rehandle, computed_at",
		[]any{we, unit, county, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4], ca})
}
