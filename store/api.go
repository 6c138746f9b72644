package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// This file holds the read queries of the analyst API (package api); its
// tokens and audit log are in api_tokens.go, the trends and their rollups
// (api_daily, the cube, api_county) in api_trends.go. Every query takes the caller's
// region scope as code prefixes and applies them in the SQL, bound as
// parameters; nothing the caller sends is formatted into the SQL text:
// identifiers and expressions come from the fixed tables below, values are
// bound.

// APITable is a query result as columns and rows, for the API's generic
// JSON and CSV writers. Values are the scanned Go values (string, integers,
// float64, time.Time, slices; nil for NULL).
type APITable struct {
	Columns []string
	// Types are the columns' ClickHouse types (UInt8, Nullable(Float64), …).
	Types []string
	Rows  [][]any
	// Truncated is true when more rows matched than the limit.
	Truncated bool
}

// APIFilter narrows an API query. Every field is optional. Prefixes are
// ANDed: the token's scope and the requested region, each a division-code
// prefix of digits ("" = no condition). The lists match any of their values.
type APIFilter struct {
	Prefixes []string
	// From and To are local dates (inclusive) of the report date or the
	// window end.
	From, To                                            time.Time
	Categories, Severities, Channels, Statuses, Sources []string
}

// likePrefix is the LIKE pattern matching every string that starts with p:
// the pattern's own metacharacters in p are escaped.
func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}

// where collects SQL conditions and their bound arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(w.conds, " AND ")
}

// prefixes adds one condition per non-empty prefix; cond has one ? per
// column it checks, each bound to the prefix's LIKE pattern (its wildcards
// escaped, so a prefix only ever matches as text).
func (w *where) prefixes(ps []string, cond string) error {
	for _, p := range ps {
		if p == "" {
			continue
		}
		n := strings.Count(cond, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = likePrefix(p)
		}
		w.add(cond, args...)
	}
	return nil
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// caseFilters adds the filters of f that apply to the cases table.
func (w *where) caseFilters(f APIFilter) error {
	if err := w.prefixes(f.Prefixes, "region_code LIKE ?"); err != nil {
		return err
	}
	if !f.From.IsZero() {
		w.add("reported_date >= toDate(?)", day(f.From))
	}
	if !f.To.IsZero() {
		w.add("reported_date <= toDate(?)", day(f.To))
	}
	for _, l := range []struct {
		col  string
		vals []string
	}{{"category", f.Categories}, {"toString(severity)", f.Severities}, {"toString(channel)", f.Channels},
		{"toString(status)", f.Statuses}, {"toString(source)", f.Sources}} {
		if len(l.vals) > 0 {
			w.add("has(?, "+l.col+")", l.vals)
		}
	}
	return nil
}

// APIResultQuery asks for rows of one of the index jobs' result tables.
type APIResultQuery struct {
	Filter APIFilter
	// Window is day, week or month ("" = any) where the table has one.
	Window string
	// Level is the region level (0 = any).
	Level uint8
	// Latest keeps only the newest window end (within From..To) the scope
	// can see.
	Latest bool
	// Extra holds table-specific conditions by name (see each method).
	Extra map[string]string
	Limit int
}

// latestConds are the extra conditions a table's Latest window must meet:
// a window with data. The jobs write rows for every region of a window even
// when nothing happened in it (a window past the end of the data, say), and
// "the latest month" must not be such a window.
var latestConds = map[string]string{"risk_index": "`index` IS NOT NULL", "type_ranks": "cases > 0",
	"region_kpis": "accepted > 0", "hotspots": "cases > 0"}

// latestAnyCategory lists the tables whose Latest window is chosen over
// every category: a category without cases in the latest month shows that
// month's zero, not an older month.
var latestAnyCategory = map[string]bool{"type_ranks": true}

// resultQuery builds and runs a query on a result table: cols is the select
// list, codeCond the scope condition with ? per prefix, endCol the window
// end (or date) column.
func (s *Store) resultQuery(ctx context.Context, table, cols, codeCond, endCol, order string, q APIResultQuery, extra func(*where) error) (APITable, error) {
	if q.Limit <= 0 {
		return APITable{}, fmt.Errorf("%s: limit must be positive", table)
	}
	var w where
	if err := w.prefixes(q.Filter.Prefixes, codeCond); err != nil {
		return APITable{}, err
	}
	if q.Window != "" {
		if _, ok := windowCodes[q.Window]; !ok {
			return APITable{}, fmt.Errorf("%s: unknown window %q", table, q.Window)
		}
		w.add("`window` = ?", q.Window)
	}
	if q.Level != 0 {
		w.add("level = ?", q.Level)
	}
	if !q.Filter.From.IsZero() {
		w.add(localDate(endCol)+" >= toDate(?)", day(q.Filter.From))
	}
	if !q.Filter.To.IsZero() {
		w.add(localDate(endCol)+" <= toDate(?)", day(q.Filter.To))
	}
	// sub selects the rows among which Latest finds the newest window.
	var sub where
	if latestAnyCategory[table] {
		sub = where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
	}
	if len(q.Filter.Categories) > 0 {
		w.add("has(?, category)", q.Filter.Categories)
	}
	if !latestAnyCategory[table] {
		sub = where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
	}
	if extra != nil {
		if err := extra(&w); err != nil {
			return APITable{}, err
		}
		if err := extra(&sub); err != nil {
			return APITable{}, err
		}
	}
	if q.Latest {
		// The newest end among the rows the other conditions keep that has
		// data (for the risk index, an index: a week past the data has rows
		// without one, and "the latest ranking" would be empty).
		if c, ok := latestConds[table]; ok {
			sub.add(c)
		}
		w.add(endCol+" = (SELECT max("+endCol+") FROM "+table+" "+sub.sql()+")", sub.args...)
	}
	query := "SELECT " + cols + " FROM " + table + " FINAL " + w.sql() + " ORDER BY " + order + " LIMIT ?"
	return s.apiTable(ctx, query, append(w.args, q.Limit+1), q.Limit)
}

// APIHotspots reads hotspots rows. Extra: "hot" = "1" keeps hot spots only.
func (s *Store) APIHotspots(ctx context.Context, q APIResultQuery) (APITable, error) {
	return s.resultQuery(ctx, "hotspots",
		"toString(window) AS window, window_start, window_end, level, region_code, parent_code, cases, population, population_source, "+
			"rate_per_10k, eb_rate_per_10k, gi_z, gi_p, gi_q, hot, neighbours_source, ehsa_category, funnel_flag",
		"region_code LIKE ?", "window_end", "window_end DESC, level, region_code", q, func(w *where) error {
			if q.Extra["hot"] == "1" {
				w.add("hot = 1")
			}
			return nil
		})
}

// APIRiskIndex reads risk_index rows with their components and drivers.
// Extra: "band" keeps one final band (green, blue, yellow, orange, red).
func (s *Store) APIRiskIndex(ctx context.Context, q APIResultQuery) (APITable, error) {
	return s.resultQuery(ctx, "risk_index",
		"toString(window) AS window, window_start, window_end, level, region_code, parent_code, `index`, score, band_index, band, "+
			"band_reasons, funnel_flag, reliability, n_cases, missing_share, rank, indicator_names, indicator_raw, indicator_values, "+
			"indicator_scores, dimension_names, dimension_scores, drivers_prev, drivers_siblings, agreement, unstable, spec_version, thresholds_version",
		"region_code LIKE ?", "window_end", "window_end DESC, level, rank, region_code", q, func(w *where) error {
			if b := q.Extra["band"]; b != "" {
				w.add("band = ?", b)
			}
			return nil
		})
}

// APITypeRanks reads type_ranks rows. Extra: "surging" = "1" keeps surging
// types only.
func (s *Store) APITypeRanks(ctx context.Context, q APIResultQuery) (APITable, error) {
	return s.resultQuery(ctx, "type_ranks",
		"toString(window) AS window, window_end, level, region_code, category, rank, cases, share, baseline, yoy_cases, growth, z, p, significant, surging",
		"region_code LIKE ?", "window_end", "window_end DESC, level, region_code, rank", q, func(w *where) error {
			if q.Extra["surging"] == "1" {
				w.add("surging = 1")
			}
			return nil
		})
}

// APIKPIs reads region_kpis rows.
func (s *Store) APIKPIs(ctx context.Context, q APIResultQuery) (APITable, error) {
	return s.resultQuery(ctx, "region_kpis",
		"toString(window) AS window, window_start, window_end, level, region_code, parent_code, accepted, resolved, concluded, evaluated, "+
			"satisfied, overdue, handled, resolve_rate, conclude_rate, satisfaction_rate, mean_handling_days, prev_accepted, yoy_accepted, mom_change, yoy_change",
		"region_code LIKE ?", "window_end", "window_end DESC, level, region_code", q, nil)
}

// APIStatAlarms reads stat_alarms rows. Extra: "alarm" = "1" keeps alarms
// only.
func (s *Store) APIStatAlarms(ctx context.Context, q APIResultQuery) (APITable, error) {
	return s.resultQuery(ctx, "stat_alarms",
		"toString(window) AS window, window_end, level, region_code, category, detector, params, observed, expected, upperbound, alarm",
		"region_code LIKE ?", "window_end", "window_end DESC, level, region_code, category", q, func(w *where) error {
			if q.Extra["alarm"] == "1" {
				w.add("alarm = 1")
			}
			return nil
		})
}

// APIRuleAlarms reads rule_alarms rows (Window and Level are ignored).
// Extra: "rule" keeps one rule; "color" keeps one alarm level.
func (s *Store) APIRuleAlarms(ctx context.Context, q APIResultQuery) (APITable, error) {
	q.Window, q.Level = "", 0
	return s.resultQuery(ctx, "rule_alarms",
		"rule, source, case_id, toString(level) AS level, county_code, town_code, region_code, category, detail, reported_at, detected_at",
		"region_code LIKE ?", "reported_at", "reported_at DESC, rule, case_id", q, func(w *where) error {
			if r := q.Extra["rule"]; r != "" {
				w.add("rule = ?", r)
			}
			if c := q.Extra["color"]; c != "" {
				w.add("toString(level) = ?", c)
			}
			return nil
		})
}

// APISupervisionCases reads supervision_cases rows (Window and Level are
// ignored). Extra: "light" keeps one light; "unit" one responsible unit.
func (s *Store) APISupervisionCases(ctx context.Context, q APIResultQuery) (APITable, error) {
	q.Window, q.Level = "", 0
	return s.resultQuery(ctx, "supervision_cases",
		"window_end, source, case_id, county_code, town_code, region_code, category, assigned_unit, status, reported_at, due_at, "+
			"days_overdue, toString(light) AS light, reasons, rehandle",
		"region_code LIKE ?", "window_end", "window_end DESC, light DESC, days_overdue DESC, case_id", q, func(w *where) error {
			if l := q.Extra["light"]; l != "" {
				w.add("toString(light) = ?", l)
			}
			if u := q.Extra["unit"]; u != "" {
				w.add("assigned_unit = ?", u)
			}
			return nil
		})
}

// APISupervisionUnits counts the newest supervision snapshot (within
// From..To) per responsible unit, from supervision_cases so that a scope
// sees only its own share of a unit's cases.
func (s *Store) APISupervisionUnits(ctx context.Context, q APIResultQuery) (APITable, error) {
	if q.Limit <= 0 {
		return APITable{}, fmt.Errorf("supervision units: limit must be positive")
	}
	var w where
	if err := w.prefixes(q.Filter.Prefixes, "region_code LIKE ?"); err != nil {
		return APITable{}, err
	}
	if !q.Filter.From.IsZero() {
		w.add(localDate("window_end")+" >= toDate(?)", day(q.Filter.From))
	}
	if !q.Filter.To.IsZero() {
		w.add(localDate("window_end")+" <= toDate(?)", day(q.Filter.To))
	}
	sub := where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
	w.add("window_end = (SELECT max(window_end) FROM supervision_cases "+sub.sql()+")", sub.args...)
	// open counts the cases not concluded, as supervision_units does: the
	// snapshot also holds concluded cases that need re-handling.
	query := `SELECT window_end, assigned_unit, county_code, countIf(status NOT IN ('resolved', 'failed', 'closed')) AS open,
    countIf(light = 'green') AS green, countIf(light = 'yellow') AS yellow, countIf(light = 'red') AS red, sum(rehandle) AS rehandle
FROM supervision_cases FINAL ` + w.sql() + `
GROUP BY window_end, assigned_unit, county_code ORDER BY red DESC, yellow DESC, open DESC, assigned_unit, county_code LIMIT ?`
	return s.apiTable(ctx, query, append(w.args, q.Limit+1), q.Limit)
}

// APICaseQuery asks for a page of cases.
type APICaseQuery struct {
	Filter APIFilter
	// Sort is one of APICaseSorts' keys.
	Sort         string
	Offset, Size int
	// ReviewBelow, when positive, keeps only the cases the learned
	// classifier categorised with a confidence below it: the review list.
	ReviewBelow float64
}

// APICaseSorts are the orders the case list accepts (a leading - in the API
// reverses them).
var APICaseSorts = map[string]string{
	"reported_at":  "reported_at",
	"-reported_at": "reported_at DESC",
	"due_at":       "due_at",
	"-due_at":      "due_at DESC",
	"severity":     "severity",
	"-severity":    "severity DESC",
	"status":       "status",
	"-status":      "status DESC",
	"category":     "category",
	"-category":    "category DESC",
	"region_code":  "region_code",
	"-region_code": "region_code DESC",
	"amount_cny":   "amount_cny",
	"-amount_cny":  "amount_cny DESC",
	// The learned classifier's confidence (0 for other rules).
	"category_confidence":  "category_confidence",
	"-category_confidence": "category_confidence DESC",
}

// apiCaseColumns are the columns the case list returns: no party names,
// phone or ID numbers, no coordinates, no raw text; summary and
// category_text hold the masked text ingest stored.
const apiCaseColumns = "toString(source) AS source, case_id, version, toString(channel) AS channel, reported_at, region_code, region_level, " +
	"county_code, town_code, village_code, category, category_text, summary, toString(severity) AS severity, parties, toFloat64(amount_cny) AS amount_cny, " +
	"toString(status) AS status, assigned_unit, due_at, resolved_at, toString(satisfaction) AS satisfaction, petition, superior_assigned, group_dispute, large_amount, " +
	"category_rule, toFloat64(category_confidence) AS category_confidence"

// APICases returns one page of cases and the number of cases matching.
func (s *Store) APICases(ctx context.Context, q APICaseQuery) (APITable, uint64, error) {
	order, ok := APICaseSorts[q.Sort]
	if !ok {
		return APITable{}, 0, fmt.Errorf("cannot list cases: unknown sort %q", q.Sort)
	}
	if q.Size <= 0 || q.Offset < 0 {
		return APITable{}, 0, fmt.Errorf("cannot list cases: bad page (offset %d, size %d)", q.Offset, q.Size)
	}
	var w where
	if err := w.caseFilters(q.Filter); err != nil {
		return APITable{}, 0, err
	}
	if q.ReviewBelow > 0 {
		w.add("category_rule LIKE 'model:%' AND category_confidence < ?", q.ReviewBelow)
	}
	var total uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM cases FINAL "+w.sql(), w.args...).Scan(&total); err != nil {
		return APITable{}, 0, fmt.Errorf("cannot count cases: %w", err)
	}
	query := "SELECT " + apiCaseColumns + " FROM cases FINAL " + w.sql() + " ORDER BY " + order + ", source, case_id LIMIT ?, ?"
	t, err := s.apiTable(ctx, query, append(w.args, q.Offset, q.Size), q.Size)
	return t, total, err
}

// APIWarnings reads warnings (migration 0009) with whether each was
// acknowledged; From..To bound the start date. Extra: "state" (firing,
// resolved), "color" (the warning level), "kind".
func (s *Store) APIWarnings(ctx context.Context, q APIResultQuery) (APITable, error) {
	q.Window, q.Level, q.Latest = "", 0, false
	return s.resultQuery(ctx, "warnings",
		"id, toString(state) AS state, toString(level) AS level, kind, rule, subject, region_code, region_level, county_code, town_code, category, "+
			"title, body, link, starts_at, if(toUInt32(resolved_at) = 0, NULL, resolved_at) AS resolved_at, updated_at, "+
			"toUInt8(id IN (SELECT warning_id FROM warning_acks)) AS acked",
		"region_code LIKE ?", "starts_at", "starts_at DESC, id", q, func(w *where) error {
			if v := q.Extra["state"]; v != "" {
				w.add("toString(state) = ?", v)
			}
			if v := q.Extra["color"]; v != "" {
				w.add("toString(level) = ?", v)
			}
			if v := q.Extra["kind"]; v != "" {
				w.add("kind = ?", v)
			}
			return nil
		})
}

// APIWarningDeliveries reads the delivery log (migration 0009) of the
// warnings within the scope prefixes: a notification is listed when one of
// its warnings lies within them. With a prefix (a scoped caller) a row's
// warning_ids keep only the warnings within the prefixes and its group_key
// is empty (it names the grouping of all the notification's warnings).
// From..To bound the attempt date. Extra: "warning" keeps the notifications
// of one warning id; "status" one status.
func (s *Store) APIWarningDeliveries(ctx context.Context, q APIResultQuery) (APITable, error) {
	if q.Limit <= 0 {
		return APITable{}, fmt.Errorf("warning deliveries: limit must be positive")
	}
	var scope where
	if err := scope.prefixes(q.Filter.Prefixes, "region_code LIKE ?"); err != nil {
		return APITable{}, err
	}
	scoped := len(scope.conds) > 0
	groupKey, warningIDs := "group_key", "warning_ids"
	var colArgs []any
	if scoped {
		// The warnings within the scope, bound as a list (an empty array
		// literal has no type on ClickHouse 18.16: '' matches no id).
		ids := []string{""}
		rows, err := s.conn.Query(ctx, "SELECT DISTINCT id FROM warnings "+scope.sql(), scope.args...)
		if err != nil {
			return APITable{}, fmt.Errorf("cannot read the warnings within the scope: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return APITable{}, fmt.Errorf("cannot read a warning id: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return APITable{}, fmt.Errorf("cannot read the warnings within the scope: %w", err)
		}
		groupKey, warningIDs, colArgs = "'' AS group_key", "arrayFilter(x -> has(?, x), warning_ids) AS warning_ids", []any{ids}
	}
	if v := q.Extra["warning"]; v != "" {
		scope.add("id = ?", v)
	}
	var w where
	w.add("notification_id IN (SELECT notification_id FROM warning_deliveries ARRAY JOIN warning_ids AS wid "+
		"WHERE wid IN (SELECT id FROM warnings "+scope.sql()+"))", scope.args...)
	if !q.Filter.From.IsZero() {
		w.add(localDate("attempted_at")+" >= toDate(?)", day(q.Filter.From))
	}
	if !q.Filter.To.IsZero() {
		w.add(localDate("attempted_at")+" <= toDate(?)", day(q.Filter.To))
	}
	if v := q.Extra["status"]; v != "" {
		w.add("toString(status) = ?", v)
	}
	query := "SELECT notification_id, " + groupKey + ", receiver, channel, channel_type, reason, " + warningIDs + ", attempt, toString(status) AS status, " +
		"status_code, response, error, latency_ms, created_at, attempted_at FROM warning_deliveries " + w.sql() +
		" ORDER BY attempted_at DESC, notification_id, attempt LIMIT ?"
	args := append(append(colArgs, w.args...), q.Limit+1)
	return s.apiTable(ctx, query, args, q.Limit)
}

// APIRegionQuery asks for rows of the regions table: those whose code is
// in Codes or whose parent is in Parents (either list may be empty; both
// empty = no such condition), at Level (0 = any), within the Prefixes.
type APIRegionQuery struct {
	Prefixes       []string
	Codes, Parents []string
	Level          uint8
	Limit          int
}

// APIRegions reads the regions table (the registry the service runs with),
// ordered by code.
func (s *Store) APIRegions(ctx context.Context, q APIRegionQuery) (APITable, error) {
	if q.Limit <= 0 {
		return APITable{}, errors.New("cannot list regions: the limit must be positive")
	}
	var w where
	if err := w.prefixes(q.Prefixes, "code LIKE ?"); err != nil {
		return APITable{}, err
	}
	// An empty array literal has no element type on ClickHouse 18.16, so
	// only non-empty lists are bound.
	var or []string
	var orArgs []any
	if len(q.Codes) > 0 {
		or, orArgs = append(or, "has(?, code)"), append(orArgs, q.Codes)
	}
	if len(q.Parents) > 0 {
		or, orArgs = append(or, "has(?, parent_code)"), append(orArgs, q.Parents)
	}
	if len(or) > 0 {
		w.add("("+strings.Join(or, " OR ")+")", orArgs...)
	}
	if q.Level != 0 {
		w.add("level = ?", q.Level)
	}
	query := "SELECT code, name, short_name, level, parent_code, population, population_source FROM regions FINAL " + w.sql() + " ORDER BY code LIMIT ?"
	return s.apiTable(ctx, query, append(w.args, q.Limit+1), q.Limit)
}

// APIQuery runs a read query of another part (warnings) through the same
// scanner: sql must come from that part's code, never from a request; args
// are bound. At most limit rows are returned.
func (s *Store) APIQuery(ctx context.Context, sql string, limit int, args ...any) (APITable, error) {
	return s.apiTable(ctx, sql+" LIMIT ?", append(args, limit+1), limit)
}

// apiTable runs query and scans every row generically; more than limit rows
// set Truncated.
func (s *Store) apiTable(ctx context.Context, query string, args []any, limit int) (APITable, error) {
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return APITable{}, fmt.Errorf("cannot query: %w", err)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	t := APITable{Columns: rows.Columns()}
	for _, ct := range types {
		t.Types = append(t.Types, ct.DatabaseTypeName())
	}
	ptrs := make([]any, len(types))
	for rows.Next() {
		if len(t.Rows) == limit {
			t.Truncated = true
			break
		}
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return APITable{}, fmt.Errorf("cannot read a row: %w", err)
		}
		row := make([]any, len(ptrs))
		for i, p := range ptrs {
			row[i] = deref(reflect.ValueOf(p).Elem())
		}
		t.Rows = append(t.Rows, row)
	}
	return t, rows.Err()
}

// deref turns a scanned value into a plain one: nil for a NULL, the pointed
// value otherwise.
func deref(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	return v.Interface()
}
