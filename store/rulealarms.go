package store

import (
	"context"
	"fmt"
	"time"
)

// RuleAlarm is one row of rule_alarms.
type RuleAlarm struct {
	Rule, Source, CaseID             string
	CaseVersion                      uint32
	Level                            string // blue, yellow, orange, red
	CountyCode, TownCode, RegionCode string
	Category, Detail                 string
	ReportedAt, DetectedAt           time.Time
}

var alarmLevels = map[string]int8{"blue": 1, "yellow": 2, "orange": 3, "red": 4}

// InsertRuleAlarms stores alarms; the same (rule, case) collapses to its
// latest version.
func (s *Store) InsertRuleAlarms(ctx context.Context, alarms []RuleAlarm) error {
	if len(alarms) == 0 {
		return nil
	}
	n := len(alarms)
	var str [9][]string
	for i := range str {
		str[i] = make([]string, n)
	}
	ver := make([]uint32, n)
	lvl := make([]int8, n)
	rep, det := make([]time.Time, n), make([]time.Time, n)
	for i, a := range alarms {
		for j, v := range []string{a.Rule, a.Source, a.CaseID, a.CountyCode, a.TownCode, a.RegionCode, a.Category, a.Detail, ""} {
			str[j][i] = v
		}
		ver[i], rep[i], det[i] = a.CaseVersion, a.ReportedAt, a.DetectedAt
		if lvl[i] = alarmLevels[a.Level]; lvl[i] == 0 {
			return fmt.Errorf("rule alarm %s/%s: unknown level %q", a.Rule, a.CaseID, a.Level)
		}
	}
	return s.insertColumns(ctx, "rule_alarms",
		"rule, source, case_id, case_version, level, county_code, town_code, region_code, category, detail, reported_at, detected_at",
		[]any{str[0], str[1], str[2], ver, lvl, str[3], str[4], str[5], str[6], str[7], rep, det})
}
