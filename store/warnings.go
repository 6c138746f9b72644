package store

import (
	"context"
	"fmt"
	"time"
)

// This file serves the warnings engine (package warnings, through internal/warnwire): it reads the latest
// index results and the rule alarms, and stores warnings, the delivery log,
// silences and acknowledgements (migration 0009).

// epoch stands for "no time" in the DateTime columns of the warning tables.
var epoch = time.Unix(0, 0).UTC()

func orEpoch(t time.Time) time.Time {
	if t.IsZero() || t.Before(epoch) {
		return epoch
	}
	return t.UTC()
}

func zeroEpoch(t time.Time) time.Time {
	if !t.After(epoch) {
		return time.Time{}
	}
	return t
}

// WarningRuleAlarmsSince returns rule alarms detected at or after since,
// ordered by detection time, rule, source and case, skipping offset rows,
// at most limit. A case updated since its alarm may appear in two versions
// (the table is read without FINAL, for speed); the caller keys them by id.
func (s *Store) WarningRuleAlarmsSince(ctx context.Context, since time.Time, offset, limit int) ([]RuleAlarm, error) {
	rows, err := s.conn.Query(ctx, `SELECT rule, source, case_id, case_version, toString(level), county_code, town_code,
    region_code, category, detail, reported_at, detected_at
FROM rule_alarms
WHERE detected_at >= ?
ORDER BY detected_at, rule, source, case_id, case_version
LIMIT ?, ?`, orEpoch(since), uint64(offset), uint64(limit))
	if err != nil {
		return nil, fmt.Errorf("cannot read rule alarms: %w", err)
	}
	defer rows.Close()
	var out []RuleAlarm
	for rows.Next() {
		var a RuleAlarm
		if err := rows.Scan(&a.Rule, &a.Source, &a.CaseID, &a.CaseVersion, &a.Level, &a.CountyCode, &a.TownCode,
			&a.RegionCode, &a.Category, &a.Detail, &a.ReportedAt, &a.DetectedAt); err != nil {
			return nil, fmt.Errorf("cannot read rule alarms: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// WarningBand is one region's band in the latest window of its window type.
type WarningBand struct {
	Window                 string
	WindowStart, WindowEnd time.Time
	RegionCode             string
	Score                  float64 // NaN when undefined
	Band                   string
	Reasons, Drivers       []string
}

// WarningRiskBands returns the risk_index rows of the latest window end of
// each window type.
func (s *Store) WarningRiskBands(ctx context.Context) ([]WarningBand, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(window), window_start, window_end, region_code, ifNull(score, nan), band,
    band_reasons, drivers_prev
FROM risk_index FINAL
WHERE (window, window_end) IN (SELECT window, max(window_end) FROM risk_index GROUP BY window)
ORDER BY window, region_code`)
	if err != nil {
		return nil, fmt.Errorf("cannot read risk bands: %w", err)
	}
	defer rows.Close()
	var out []WarningBand
	for rows.Next() {
		var b WarningBand
		if err := rows.Scan(&b.Window, &b.WindowStart, &b.WindowEnd, &b.RegionCode, &b.Score, &b.Band, &b.Reasons, &b.Drivers); err != nil {
			return nil, fmt.Errorf("cannot read risk bands: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// WarningStatAlarms returns the alarmed series of the latest window end of
// each window type.
func (s *Store) WarningStatAlarms(ctx context.Context) ([]StatAlarm, error) {
	rows, err := s.conn.Query(ctx, `SELECT toString(window), window_end, level, region_code, category, detector, params,
    observed, ifNull(expected, nan), ifNull(upperbound, nan), alarm, computed_at
FROM stat_alarms FINAL
WHERE alarm = 1 AND (window, window_end) IN (SELECT window, max(window_end) FROM stat_alarms GROUP BY window)
ORDER BY window, level, region_code, category, detector`)
	if err != nil {
		return nil, fmt.Errorf("cannot read stat alarms: %w", err)
	}
	defer rows.Close()
	var out []StatAlarm
	for rows.Next() {
		var a StatAlarm
		var alarm uint8
		if err := rows.Scan(&a.Window, &a.WindowEnd, &a.Level, &a.RegionCode, &a.Category, &a.Detector, &a.Params,
			&a.Observed, &a.Expected, &a.UpperBound, &alarm, &a.ComputedAt); err != nil {
			return nil, fmt.Errorf("cannot read stat alarms: %w", err)
		}
		a.Alarm = alarm == 1
		out = append(out, a)
	}
	return out, rows.Err()
}

// WarningSupervisionLight is a case lit red or yellow in the latest 督办
// snapshot.
type WarningSupervisionLight struct {
	WindowEnd                        time.Time
	Source, CaseID                   string
	CountyCode, TownCode, RegionCode string
	Category, AssignedUnit, Status   string
	DaysOverdue                      int32
	Light                            string
	Reasons                          []string
}

// WarningSupervisionLights returns the red and yellow cases of the latest
// supervision snapshot.
func (s *Store) WarningSupervisionLights(ctx context.Context) ([]WarningSupervisionLight, error) {
	rows, err := s.conn.Query(ctx, `SELECT window_end, source, case_id, county_code, town_code, region_code, category,
    assigned_unit, status, days_overdue, toString(light), reasons
FROM supervision_cases FINAL
WHERE light IN ('red', 'yellow') AND window_end = (SELECT max(window_end) FROM supervision_cases)
ORDER BY source, case_id`)
	if err != nil {
		return nil, fmt.Errorf("cannot read supervision lights: %w", err)
	}
	defer rows.Close()
	var out []WarningSupervisionLight
	for rows.Next() {
		var l WarningSupervisionLight
		if err := rows.Scan(&l.WindowEnd, &l.Source, &l.CaseID, &l.CountyCode, &l.TownCode, &l.RegionCode, &l.Category,
			&l.AssignedUnit, &l.Status, &l.DaysOverdue, &l.Light, &l.Reasons); err != nil {
			return nil, fmt.Errorf("cannot read supervision lights: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// WarningRow is one row of the warnings table.
type WarningRow struct {
	ID, State, Level, Kind, Rule, Subject string
	RegionCode                            string
	RegionLevel                           uint8
	CountyCode, TownCode, Category        string
	Title, Body, Link                     string
	Labels                                []string
	StartsAt, ResolvedAt, UpdatedAt       time.Time // ResolvedAt zero while firing
	Version                               uint64
}

var warningStates = map[string]int8{"firing": 1, "resolved": 2}

// WriteWarnings stores warning states; the highest version of an id wins.
func (s *Store) WriteWarnings(ctx context.Context, ws []WarningRow) error {
	if len(ws) == 0 {
		return nil
	}
	n := len(ws)
	var str [12][]string
	for i := range str {
		str[i] = make([]string, n)
	}
	state, level := make([]int8, n), make([]int8, n)
	rl := make([]uint8, n)
	labels := make([][]string, n)
	st, rs, up := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	ver := make([]uint64, n)
	for i, w := range ws {
		for j, v := range []string{w.ID, w.Kind, w.Rule, w.Subject, w.RegionCode, w.CountyCode, w.TownCode, w.Category, w.Title, w.Body, w.Link} {
			str[j][i] = v
		}
		if state[i] = warningStates[w.State]; state[i] == 0 {
			return fmt.Errorf("warning %s: unknown state %q", w.ID, w.State)
		}
		if level[i] = alarmLevels[w.Level]; level[i] == 0 {
			return fmt.Errorf("warning %s: unknown level %q", w.ID, w.Level)
		}
		rl[i], labels[i], ver[i] = w.RegionLevel, w.Labels, w.Version
		if labels[i] == nil {
			labels[i] = []string{}
		}
		st[i], rs[i], up[i] = orEpoch(w.StartsAt), orEpoch(w.ResolvedAt), orEpoch(w.UpdatedAt)
	}
	return s.insertColumns(ctx, "warnings",
		"id, state, level, kind, rule, subject, region_code, region_level, county_code, town_code, category, title, body, link, labels, starts_at, resolved_at, updated_at, version",
		[]any{str[0], state, level, str[1], str[2], str[3], str[4], rl, str[5], str[6], str[7], str[8], str[9], str[10], labels, st, rs, up, ver})
}

// WarningFilter selects warnings to list.
type WarningFilter struct {
	IDs   []string // empty: any
	State string   // firing, resolved or "" for both
	Limit int      // 0: 1000
}

// Warnings lists stored warnings (latest state), most urgent and newest
// first.
func (s *Store) Warnings(ctx context.Context, f WarningFilter) ([]WarningRow, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	if f.State != "" && warningStates[f.State] == 0 {
		return nil, fmt.Errorf("cannot list warnings: unknown state %q", f.State)
	}
	// The id condition is one of two fixed texts: an empty array cannot be
	// bound (its type would be Array(Nothing)).
	where, args := "1", []any{}
	if len(f.IDs) > 0 {
		where, args = "has(?, id)", []any{f.IDs}
	}
	args = append(args, f.State, f.State, uint64(f.Limit))
	rows, err := s.conn.Query(ctx, `SELECT id, toString(state), toString(level), kind, rule, subject, region_code, region_level,
    county_code, town_code, category, title, body, link, labels, starts_at, resolved_at, updated_at, version
FROM warnings FINAL
WHERE `+where+` AND (? = '' OR toString(state) = ?)
ORDER BY level DESC, starts_at DESC, id
LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read warnings: %w", err)
	}
	defer rows.Close()
	var out []WarningRow
	for rows.Next() {
		var w WarningRow
		if err := rows.Scan(&w.ID, &w.State, &w.Level, &w.Kind, &w.Rule, &w.Subject, &w.RegionCode, &w.RegionLevel,
			&w.CountyCode, &w.TownCode, &w.Category, &w.Title, &w.Body, &w.Link, &w.Labels, &w.StartsAt, &w.ResolvedAt,
			&w.UpdatedAt, &w.Version); err != nil {
			return nil, fmt.Errorf("cannot read warnings: %w", err)
		}
		w.ResolvedAt = zeroEpoch(w.ResolvedAt)
		out = append(out, w)
	}
	return out, rows.Err()
}

// WarningDelivery is one row of the delivery log.
type WarningDelivery struct {
	NotificationID, GroupKey, Receiver string
	Channel, ChannelType, Reason       string
	WarningIDs                         []string
	Attempt                            uint32
	Status                             string // delivered, retry, failed
	StatusCode                         int32
	Response, Error                    string
	LatencyMS                          uint32
	CreatedAt, AttemptedAt             time.Time
}

var deliveryStatuses = map[string]int8{"delivered": 1, "retry": 2, "failed": 3}

// WriteWarningDeliveries appends delivery attempts to the log.
func (s *Store) WriteWarningDeliveries(ctx context.Context, ds []WarningDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	n := len(ds)
	var str [8][]string
	for i := range str {
		str[i] = make([]string, n)
	}
	ids := make([][]string, n)
	att, lat := make([]uint32, n), make([]uint32, n)
	status := make([]int8, n)
	code := make([]int32, n)
	cr, at := make([]time.Time, n), make([]time.Time, n)
	for i, d := range ds {
		for j, v := range []string{d.NotificationID, d.GroupKey, d.Receiver, d.Channel, d.ChannelType, d.Reason, d.Response, d.Error} {
			str[j][i] = v
		}
		if status[i] = deliveryStatuses[d.Status]; status[i] == 0 {
			return fmt.Errorf("delivery %s: unknown status %q", d.NotificationID, d.Status)
		}
		ids[i], att[i], code[i], lat[i] = d.WarningIDs, d.Attempt, d.StatusCode, d.LatencyMS
		if ids[i] == nil {
			ids[i] = []string{}
		}
		cr[i], at[i] = orEpoch(d.CreatedAt), orEpoch(d.AttemptedAt)
	}
	return s.insertColumns(ctx, "warning_deliveries",
		"notification_id, group_key, receiver, channel, channel_type, reason, warning_ids, attempt, status, status_code, response, error, latency_ms, created_at, attempted_at",
		[]any{str[0], str[1], str[2], str[3], str[4], str[5], ids, att, status, code, str[6], str[7], lat, cr, at})
}

// WarningDeliveries returns the newest delivery attempts, newest first.
func (s *Store) WarningDeliveries(ctx context.Context, limit int) ([]WarningDelivery, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.conn.Query(ctx, `SELECT notification_id, group_key, receiver, channel, channel_type, reason, warning_ids,
    attempt, toString(status), status_code, response, error, latency_ms, created_at, attempted_at
FROM warning_deliveries
ORDER BY attempted_at DESC, notification_id, attempt DESC
LIMIT ?`, uint64(limit))
	if err != nil {
		return nil, fmt.Errorf("cannot read the delivery log: %w", err)
	}
	defer rows.Close()
	var out []WarningDelivery
	for rows.Next() {
		var d WarningDelivery
		if err := rows.Scan(&d.NotificationID, &d.GroupKey, &d.Receiver, &d.Channel, &d.ChannelType, &d.Reason, &d.WarningIDs,
			&d.Attempt, &d.Status, &d.StatusCode, &d.Response, &d.Error, &d.LatencyMS, &d.CreatedAt, &d.AttemptedAt); err != nil {
			return nil, fmt.Errorf("cannot read the delivery log: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// WarningSilence is one row of warning_silences.
type WarningSilence struct {
	ID                   string
	Matchers             []string // name=value
	StartsAt, EndsAt     time.Time
	CreatedBy, Comment   string
	CreatedAt, UpdatedAt time.Time
}

// WriteWarningSilence stores a silence or a new version of one (the latest
// updated_at wins).
func (s *Store) WriteWarningSilence(ctx context.Context, x WarningSilence) error {
	m := x.Matchers
	if m == nil {
		m = []string{}
	}
	return s.insertColumns(ctx, "warning_silences",
		"id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at, version",
		[]any{[]string{x.ID}, [][]string{m}, []time.Time{orEpoch(x.StartsAt)}, []time.Time{orEpoch(x.EndsAt)},
			[]string{x.CreatedBy}, []string{x.Comment}, []time.Time{orEpoch(x.CreatedAt)}, []time.Time{orEpoch(x.UpdatedAt)},
			[]uint64{uint64(x.UpdatedAt.UnixNano())}})
}

// WarningSilences returns the silences (latest version) that end after
// now; all of them, expired too, when all is set.
func (s *Store) WarningSilences(ctx context.Context, now time.Time, all bool) ([]WarningSilence, error) {
	var allFlag uint8
	if all {
		allFlag = 1
	}
	rows, err := s.conn.Query(ctx, `SELECT id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at
FROM warning_silences FINAL
WHERE ? = 1 OR ends_at > ?
ORDER BY starts_at, id`, allFlag, orEpoch(now))
	if err != nil {
		return nil, fmt.Errorf("cannot read silences: %w", err)
	}
	defer rows.Close()
	var out []WarningSilence
	for rows.Next() {
		var x WarningSilence
		if err := rows.Scan(&x.ID, &x.Matchers, &x.StartsAt, &x.EndsAt, &x.CreatedBy, &x.Comment, &x.CreatedAt, &x.UpdatedAt); err != nil {
			return nil, fmt.Errorf("cannot read silences: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// WarningAck is one row of warning_acks.
type WarningAck struct {
	WarningID, AckedBy, Comment string
	AckedAt                     time.Time
}

// WriteWarningAck stores an acknowledgement.
func (s *Store) WriteWarningAck(ctx context.Context, a WarningAck) error {
	return s.insertColumns(ctx, "warning_acks", "warning_id, acked_by, comment, acked_at",
		[]any{[]string{a.WarningID}, []string{a.AckedBy}, []string{a.Comment}, []time.Time{orEpoch(a.AckedAt)}})
}

// WarningAcks returns the acknowledgements of the given warnings.
func (s *Store) WarningAcks(ctx context.Context, ids []string) ([]WarningAck, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT warning_id, acked_by, comment, acked_at
FROM warning_acks FINAL
WHERE has(?, warning_id)`, ids)
	if err != nil {
		return nil, fmt.Errorf("cannot read acknowledgements: %w", err)
	}
	defer rows.Close()
	var out []WarningAck
	for rows.Next() {
		var a WarningAck
		if err := rows.Scan(&a.WarningID, &a.AckedBy, &a.Comment, &a.AckedAt); err != nil {
			return nil, fmt.Errorf("cannot read acknowledgements: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
