package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file holds the analyst API's trends: from the api_daily rollup
// where the filters allow, from cases otherwise, and the rollup's refresh.

// APITrendQuery asks for a trend of case counts.
type APITrendQuery struct {
	Filter APIFilter
	// Granularity is day, week or month.
	Granularity string
	// Group is "" (one series), category, county, town or village: the
	// column whose values make the series.
	Group string
	// AsOf is the time overdue is judged at.
	AsOf time.Time
	// Limit bounds the rows (period × series).
	Limit int
	// NoResolved skips the resolved count when the metric does not need it.
	NoResolved bool
	// Satisfaction asks for the evaluated and satisfied counts; Overdue for
	// the overdue count.
	Satisfaction, Overdue bool
	// UseDaily says the rollups (api_daily, the cube, api_county) are built
	// (APIRefreshDaily ran once) and may answer.
	UseDaily bool
	// Villages says the series or a prefix are at village level: only the
	// village slice of api_daily, the cube and the cases table resolve
	// villages.
	Villages bool
	// County and Town are the codes of the county and the town that hold
	// every case the prefixes select ("" when they select more than one):
	// the cube is ordered by place first, and these let a trend read only
	// that place's rows. They must agree with Prefixes (the API takes them
	// from the registry, as ingest does the cases' county and town codes).
	County, Town string
}

// APITrendRow is one period of one series.
type APITrendRow struct {
	Period time.Time
	Key    string
	// Cases reported in the period; Resolved (化解: resolved or closed) among
	// them; Evaluated and Satisfied (满意 or 基本满意) among them; Overdue:
	// among them, not concluded and due before AsOf. Each is only counted
	// when the query asks for it.
	Cases, Resolved, Evaluated, Satisfied, Overdue uint64
}

var (
	apiPeriods = map[string]string{"day": "toDate", "week": "toMonday", "month": "toStartOfMonth"}
	// apiGroups are the series keys; the rollups have no village or city column.
	apiGroupsCases  = map[string]string{"": "''", "category": "category", "county": "county_code", "town": "town_code", "village": "village_code"}
	apiGroupsRollup = map[string]string{"": "''", "category": "category", "county": "county_code", "town": "town_code"}
)

// apiCubeTable is the cube rollup's table.
const apiCubeTable = "api_cube_by_place"

// Trend sources.
const (
	// APISourceDaily is api_daily: the latest version of every case counted
	// per day, county, town and category, with the due dates of the open
	// ones (refreshed by the API).
	APISourceDaily = "api_daily"
	// APISourceCube is the cube (api_cube_by_place, migration 0027; it
	// replaced api_cube): the latest version of every case counted per
	// day, location, category, severity, channel, source and status, with
	// the due dates of the open ones (refreshed with api_daily), ordered by
	// place first.
	APISourceCube = apiCubeTable
	// APISourceCounty is api_county (migration 0027): per one or two of the
	// severity, channel, source and status fields, the cube's counts summed
	// per day, county, category and the fields' values.
	APISourceCounty = "api_county"
	// APISourceCases is the cases table itself.
	APISourceCases = "cases"
)

// dailyDim returns the api_daily slice a filter reads: "" and no values
// when none of severity, channel, source and status filters; the one that
// does and its values; ok is false when more than one does.
func dailyDim(f APIFilter) (dim string, values []string, ok bool) {
	n := 0
	for _, d := range []struct {
		name string
		vals []string
	}{{"severity", f.Severities}, {"channel", f.Channels}, {"source", f.Sources}, {"status", f.Statuses}} {
		if len(d.vals) > 0 {
			dim, values = d.name, d.vals
			n++
		}
	}
	return dim, values, n <= 1
}

// dailySlice returns the api_daily slice that answers q and the values
// it keeps ("" values = all); ok is false when none does: two case filters,
// or villages with a case filter.
func dailySlice(q APITrendQuery) (dim string, values []string, ok bool) {
	dim, values, ok = dailyDim(q.Filter)
	if !ok {
		return "", nil, false
	}
	if q.Villages || q.Group == "village" {
		if dim != "" {
			return "", nil, false
		}
		return "village", nil, true
	}
	return dim, values, true
}

// caseFields are the case fields a trend filters on, in the order of
// their names in api_county's fields.
var caseFields = []string{"severity", "channel", "source", "status"}

// countySlice returns the api_county slice that answers q: its fields
// ("status", "severity,status" …) and their values (b empty for one
// field); ok is false unless one or two of the case fields filter, for one
// series, categories or counties, within one county (q.County, with every
// prefix a prefix of its code) or the whole registry.
func countySlice(q APITrendQuery) (fields string, a, b []string, ok bool) {
	if q.Villages || q.Town != "" || (q.Group != "" && q.Group != "category" && q.Group != "county") {
		return "", nil, nil, false
	}
	for _, p := range q.Filter.Prefixes {
		if p != "" && (q.County == "" || !strings.HasPrefix(q.County, p)) {
			return "", nil, nil, false
		}
	}
	f := q.Filter
	var names []string
	var vals [][]string
	for i, v := range [][]string{f.Severities, f.Channels, f.Sources, f.Statuses} {
		if len(v) > 0 {
			names, vals = append(names, caseFields[i]), append(vals, v)
		}
	}
	switch len(names) {
	case 1:
		return names[0], vals[0], nil, true
	case 2:
		return names[0] + "," + names[1], vals[0], vals[1], true
	}
	return "", nil, nil, false
}

// APITrendSource returns the table that answers q. When the API's rollups
// are built (UseDaily): api_county for one or two of the severity,
// channel, source and status filters within a county or the whole
// registry (not by town or village); the cube, read by place, for a town
// or a village (q.Town), for villages and for a county's towns with a
// filter; api_daily for the others with at most one of those filters (no
// filter, or the registry's towns); the cube for the rest (two filters by
// town, three or more). Before: the cases table.
func APITrendSource(q APITrendQuery) string {
	if _, ok := apiGroupsCases[q.Group]; !ok || !q.UseDaily {
		return APISourceCases
	}
	if _, _, _, ok := countySlice(q); ok {
		return APISourceCounty
	}
	if q.Town != "" || q.Villages || q.Group == "village" {
		return APISourceCube
	}
	dim, _, ok := dailySlice(q)
	if ok && (dim == "" || q.County == "") {
		return APISourceDaily
	}
	// A county's towns with a case filter: the county's cube rows are
	// fewer than the slice's rows of every town of the registry.
	return APISourceCube
}

// APITrends counts cases per period and series from the table
// APITrendSource names, which it returns. Rows come ordered by key and
// period; truncated says the limit was hit.
func (s *Store) APITrends(ctx context.Context, q APITrendQuery) (rows []APITrendRow, truncated bool, source string, err error) {
	period, ok := apiPeriods[q.Granularity]
	if !ok {
		return nil, false, "", fmt.Errorf("cannot query trends: unknown granularity %q", q.Granularity)
	}
	if q.Limit <= 0 {
		return nil, false, "", errors.New("cannot query trends: the limit must be positive")
	}
	source = APITrendSource(q)
	var w where
	var query string
	switch source {
	case APISourceDaily:
		dim, values, _ := dailySlice(q)
		key := apiGroupsRollup[q.Group]
		prefixCond := "(county_code LIKE ? OR town_code LIKE ?)"
		if dim == "village" {
			// value is the village code ('' for cases located to a town).
			prefixCond = "(county_code LIKE ? OR town_code LIKE ? OR value LIKE ?)"
			if q.Group == "village" {
				key = "value"
			}
		}
		if err := w.prefixes(q.Filter.Prefixes, prefixCond); err != nil {
			return nil, false, "", err
		}
		if len(values) > 0 {
			w.add("has(?, value)", values)
		}
		// Each day counts in the rows of its newest computation only.
		var days where
		days.add("dim = ?", dim)
		days.dayRange(q.Filter)
		w.conds, w.args = append(days.conds, w.conds...), append(days.args, w.args...)
		w.newestComputation("api_daily", days)
		if len(q.Filter.Categories) > 0 {
			w.add("has(?, category)", q.Filter.Categories)
		}
		overdue := "toUInt64(0)"
		if q.Overdue {
			overdue = "sum(arrayCount(x -> x < ?, open_due))"
			w.args = append([]any{asOf(q)}, w.args...)
		}
		query = "SELECT " + period + "(day) AS period, " + key + " AS key, " +
			"sum(cases), sum(resolved), sum(evaluated), sum(satisfied), " + overdue + "\n" +
			"FROM api_daily " + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
	case APISourceCube:
		if query, w, err = cubeQuery(q, period); err != nil {
			return nil, false, "", err
		}
	case APISourceCounty:
		query, w = countyQuery(q, period)
	default:
		key, ok := apiGroupsCases[q.Group]
		if !ok {
			return nil, false, "", fmt.Errorf("cannot query trends: unknown group %q", q.Group)
		}
		// The report date is the same in every version of a case (the
		// contract keeps it fixed), so it may filter before FINAL merges the
		// versions: only the range's rows are read and merged.
		f := q.Filter
		var pre where
		if !f.From.IsZero() {
			pre.add("reported_date >= toDate(?)", day(f.From))
		}
		if !f.To.IsZero() {
			pre.add("reported_date <= toDate(?)", day(f.To))
		}
		f.From, f.To = time.Time{}, time.Time{}
		if err := w.caseFilters(f); err != nil {
			return nil, false, "", err
		}
		prewhere := ""
		if len(pre.conds) > 0 {
			prewhere = "PREWHERE " + strings.Join(pre.conds, " AND ") + " "
		}
		query = "SELECT " + period + "(reported_date) AS period, " + key + " AS key, count() AS n, " +
			"countIf(status IN ('resolved', 'closed')) AS r, countIf(satisfaction != '') AS e, " +
			"countIf(satisfaction IN ('satisfied', 'basic')) AS sat, " +
			"countIf(due_at IS NOT NULL AND assumeNotNull(due_at) < ? AND status NOT IN ('resolved', 'failed', 'closed')) AS od\n" +
			"FROM cases FINAL " + prewhere + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
		w.args = append(append([]any{asOf(q)}, pre.args...), w.args...)
	}
	rs, err := s.conn.Query(ctx, query, append(w.args, q.Limit+1)...)
	if err != nil {
		return nil, false, source, fmt.Errorf("cannot query the trend: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var r APITrendRow
		if err := rs.Scan(&r.Period, &r.Key, &r.Cases, &r.Resolved, &r.Evaluated, &r.Satisfied, &r.Overdue); err != nil {
			return nil, false, source, fmt.Errorf("cannot read a trend row: %w", err)
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, false, source, fmt.Errorf("cannot read the trend: %w", err)
	}
	if len(rows) > q.Limit {
		return rows[:q.Limit], true, source, nil
	}
	return rows, false, source, nil
}

// The enum types of the cube's columns (migrations 0025 and 0027, as in cases).
const (
	cubeSeverity = "Enum8('' = 0, 'simple' = 1, 'general' = 2, 'difficult' = 3)"
	cubeChannel  = "Enum8('' = 0, 'visit' = 1, 'phone' = 2, 'online' = 3, 'grid' = 4, 'referral' = 5, 'superior' = 6)"
	cubeSource   = "Enum8('' = 0, 'platform' = 1, 'fengqiao_board' = 2, 'hotline' = 3, 'grid' = 4, 'import' = 5)"
	cubeStatus   = "Enum8('' = 0, 'accepted' = 1, 'routed' = 2, 'handling' = 3, 'resolved' = 4, 'failed' = 5, 'closed' = 6)"
)

// dayRange adds f's report-day range (From and To, both days included) on
// a rollup's day column.
func (w *where) dayRange(f APIFilter) {
	if !f.From.IsZero() {
		w.add("day >= toDate(?)", day(f.From))
	}
	if !f.To.IsZero() {
		w.add("day <= toDate(?)", day(f.To))
	}
}

// newestComputation keeps the rows of each day's newest computation in
// table (a rollup, a constant), among the rows days selects.
func (w *where) newestComputation(table string, days where) {
	w.add("(day, computed_at) IN (SELECT day, max(computed_at) FROM "+table+" "+days.sql()+" GROUP BY day)", days.args...)
}

// asOf is the time q judges overdue at (now when unset), in UTC.
func asOf(q APITrendQuery) time.Time {
	if q.AsOf.IsZero() {
		return time.Now().UTC()
	}
	return q.AsOf.UTC()
}

// cubeQuery builds the query of a trend from the cube: the filters are
// those of the cases table on the same columns, the overdue count is judged
// at q.AsOf from the open cases' due dates. Only the counts q asks for are
// read.
func cubeQuery(q APITrendQuery, period string) (string, where, error) {
	var w where
	f := q.Filter
	// Each day counts in the rows of its newest computation only.
	var days where
	days.dayRange(f)
	if err := w.prefixes(f.Prefixes, "region_code LIKE ?"); err != nil {
		return "", where{}, err
	}
	if len(f.Categories) > 0 {
		w.add("has(?, category)", f.Categories)
	}
	// The values are cast to the column's enum once: comparing enums is
	// several times cheaper than toString of every row (and an unknown
	// value is an error, as the API lets none through).
	for _, l := range []struct {
		col, typ string
		vals     []string
	}{{"severity", cubeSeverity, f.Severities}, {"channel", cubeChannel, f.Channels},
		{"status", cubeStatus, f.Statuses}, {"source", cubeSource, f.Sources}} {
		if len(l.vals) > 0 {
			w.add("has(CAST(? AS Array("+l.typ+")), "+l.col+")", l.vals)
		}
	}
	// The place's codes are on the table's first key columns.
	if q.County != "" {
		w.add("county_code = ?", q.County)
	}
	if q.Town != "" {
		w.add("town_code = ?", q.Town)
	}
	w.newestComputation(apiCubeTable, days)
	prewhere := ""
	if len(days.conds) > 0 {
		prewhere = "PREWHERE " + strings.Join(days.conds, " AND ") + " "
	}
	cols, args := rollupSums(q)
	query := "SELECT " + period + "(day) AS period, " + apiGroupsCases[q.Group] + " AS key, " + cols + "\n" +
		"FROM " + apiCubeTable + " " + prewhere + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
	w.args = append(append(args, days.args...), w.args...)
	return query, w, nil
}

// rollupSums returns the count columns a trend from the cube or api_county
// selects (cases, resolved, evaluated, satisfied, overdue), with 0 for the
// counts q does not ask for, and the arguments they bind (the overdue
// count's AsOf).
func rollupSums(q APITrendQuery) (string, []any) {
	cols := []string{"sum(cases)", "toUInt64(0)", "toUInt64(0)", "toUInt64(0)", "toUInt64(0)"}
	var args []any
	if !q.NoResolved {
		cols[1] = "sum(resolved)"
	}
	if q.Satisfaction {
		cols[2], cols[3] = "sum(evaluated)", "sum(satisfied)"
	}
	if q.Overdue {
		cols[4] = "sum(arrayCount(x -> x < ?, open_due))"
		args = append(args, asOf(q))
	}
	return strings.Join(cols, ", "), args
}

// countyQuery builds the query of a trend from api_county (countySlice
// says it answers q): the fields' slice, their values, the prefixes on the
// county code (each a prefix of q.County, so this matches the cases'
// region code), the categories.
func countyQuery(q APITrendQuery, period string) (string, where) {
	fields, a, b, _ := countySlice(q)
	var days where
	days.add("fields = ?", fields)
	days.dayRange(q.Filter)
	var w where
	w.conds, w.args = append(w.conds, days.conds...), append(w.args, days.args...)
	_ = w.prefixes(q.Filter.Prefixes, "county_code LIKE ?")
	w.add("has(?, a)", a)
	if len(b) > 0 {
		w.add("has(?, b)", b)
	}
	if len(q.Filter.Categories) > 0 {
		w.add("has(?, category)", q.Filter.Categories)
	}
	w.newestComputation("api_county", days)
	cols, args := rollupSums(q)
	query := "SELECT " + period + "(day) AS period, " + apiGroupsRollup[q.Group] + " AS key, " + cols + "\n" +
		"FROM api_county " + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
	w.args = append(args, w.args...)
	return query, w
}

// APIDailyChangedDays returns the report days of the cases ingested at or
// after since (every day with cases when since is zero): the days whose
// api_daily rows are stale.
func (s *Store) APIDailyChangedDays(ctx context.Context, since time.Time) ([]time.Time, error) {
	query, args := "SELECT DISTINCT reported_date FROM cases ORDER BY reported_date", []any(nil)
	if !since.IsZero() {
		query, args = "SELECT DISTINCT reported_date FROM cases WHERE ingested_at >= ? ORDER BY reported_date", []any{since.UTC()}
	}
	rows, err := s.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot find the changed days: %w", err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var d time.Time
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("cannot read a changed day: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// APIRollupsLeft is what earlier refreshes (of this process or of one
// before it) left in the rollups (api_daily, the cube, api_county).
type APIRollupsLeft struct {
	// Oldest is the oldest of the days' newest computations in either
	// rollup, zero when either is empty: a refresh started at Oldest
	// counted every case ingested before it (less the refresh margin).
	// Newest is the newest computation.
	Oldest, Newest time.Time
	// Missing are the report days of cases that either rollup holds no
	// row for (the days of a refresh that stopped before it reached them).
	Missing []time.Time
}

// APIRollupsLeft reads what earlier refreshes left, so that a new process
// can bring the rollups up to date from the days changed since (and the
// missing ones) instead of recomputing every day first.
func (s *Store) APIRollupsLeft(ctx context.Context) (APIRollupsLeft, error) {
	// Each rollup's days with their newest computation, in one read; the
	// days are compared with the cases' here, not in an IN subquery: on a
	// cluster, cases is a Distributed table, and its shards would look the
	// subquery's tables up in their default database.
	rows, err := s.conn.Query(ctx, `SELECT 'daily' AS t, day, max(computed_at) FROM api_daily WHERE dim = '' GROUP BY day
UNION ALL SELECT 'cube' AS t, day, max(computed_at) FROM `+apiCubeTable+` GROUP BY day
UNION ALL SELECT 'county' AS t, day, max(computed_at) FROM api_county GROUP BY day`)
	if err != nil {
		return APIRollupsLeft{}, fmt.Errorf("cannot read the rollups' computations: %w", err)
	}
	defer rows.Close()
	var out APIRollupsLeft
	held := map[time.Time]int{} // day → rollups holding it
	tables := map[string]bool{}
	for rows.Next() {
		var t string
		var d, c time.Time
		if err := rows.Scan(&t, &d, &c); err != nil {
			return APIRollupsLeft{}, fmt.Errorf("cannot read a rollup's computation: %w", err)
		}
		tables[t] = true
		held[d.UTC()]++
		if out.Oldest.IsZero() || c.Before(out.Oldest) {
			out.Oldest = c
		}
		if c.After(out.Newest) {
			out.Newest = c
		}
	}
	if err := rows.Err(); err != nil {
		return APIRollupsLeft{}, fmt.Errorf("cannot read the rollups' computations: %w", err)
	}
	if len(tables) < apiRollups {
		return APIRollupsLeft{}, nil
	}
	all, err := s.APIDailyChangedDays(ctx, time.Time{})
	if err != nil {
		return APIRollupsLeft{}, err
	}
	for _, d := range all {
		if held[d.UTC()] < apiRollups {
			out.Missing = append(out.Missing, d)
		}
	}
	return out, nil
}

// apiRollups is the number of rollups the API refreshes: api_daily, the
// cube and api_county.
const apiRollups = 3

// refreshMaxDays bounds the days one refresh insert recomputes (its GROUP
// BY holds their cube rows in memory).
const refreshMaxDays = 186

// refreshChunks sorts the days and cuts them into the batches of one
// refresh insert each: at most refreshMaxDays, all in one year. cases is
// partitioned by year and ordered by case id, so the FINAL scan of a batch
// reads its whole partition: batches that follow the partitions read each
// one as few times as they can.
func refreshChunks(days []time.Time) [][]time.Time {
	ds := slices.Clone(days)
	slices.SortFunc(ds, func(a, b time.Time) int { return a.Compare(b) })
	var out [][]time.Time
	start := 0
	for i := range ds {
		if i > start && (i-start == refreshMaxDays || ds[i].Year() != ds[start].Year()) {
			out = append(out, ds[start:i])
			start = i
		}
	}
	if start < len(ds) {
		out = append(out, ds[start:])
	}
	return out
}

// APIRefreshDaily recomputes the rows of the days in the cube, api_county
// and api_daily from the latest version of every case (cases FINAL),
// stamped computedAt; readers use only the newest computation of each day.
// computedAt must be later than the previous refresh's. Cases FINAL is
// scanned once per batch of days (refreshChunks), into the cube;
// api_county's and api_daily's slices are sums of the fresh cube rows.
func (s *Store) APIRefreshDaily(ctx context.Context, days []time.Time, computedAt time.Time) error {
	at := computedAt.UTC()
	for _, part := range refreshChunks(days) {
		ds := make([]string, 0, len(part))
		for _, d := range part {
			ds = append(ds, day(d))
		}
		first, last := part[0], part[len(part)-1]
		// The range keeps the scan to the partition of the batch's days.
		err := s.conn.Exec(ctx, `INSERT INTO `+apiCubeTable+` (day, county_code, town_code, village_code, region_code, category,
    severity, channel, source, status, cases, resolved, evaluated, satisfied, open_due, computed_at)
SELECT reported_date, county_code, town_code, village_code, region_code, category, severity, channel, source, status,
    count(), countIf(status IN ('resolved', 'closed')), countIf(satisfaction != ''), countIf(satisfaction IN ('satisfied', 'basic')),
    groupArrayIf(assumeNotNull(due_at), due_at IS NOT NULL AND status NOT IN ('resolved', 'failed', 'closed')), toDateTime(?)
FROM cases FINAL
PREWHERE reported_date >= toDate(?) AND reported_date <= toDate(?) AND has(?, toString(reported_date))
GROUP BY reported_date, county_code, town_code, village_code, region_code, category, severity, channel, source, status`,
			at, day(first), day(last), ds)
		if err != nil {
			return fmt.Errorf("cannot refresh %s: %w", apiCubeTable, err)
		}
		// Every cube row counts once in each pair of its four fields, and
		// each pair row of (severity, status), (channel, status) and
		// (source, status) once in the slice of each of its fields not
		// taken from another. api_daily comes last: a refresh that stopped
		// before it leaves the days missing from it, and they are
		// recomputed.
		err = s.conn.Exec(ctx, `INSERT INTO api_county (fields, a, b, day, county_code, category, cases, resolved, evaluated, satisfied,
    open_due, computed_at)
SELECT p.1 AS f, p.2 AS va, p.3 AS vb, day, county_code, category, sum(cases), sum(resolved), sum(evaluated), sum(satisfied),
    groupArrayArray(open_due), toDateTime(?)
FROM `+apiCubeTable+`
ARRAY JOIN [('severity,channel', toString(severity), toString(channel)), ('severity,source', toString(severity), toString(source)),
    ('severity,status', toString(severity), toString(status)), ('channel,source', toString(channel), toString(source)),
    ('channel,status', toString(channel), toString(status)), ('source,status', toString(source), toString(status))] AS p
PREWHERE day >= toDate(?) AND day <= toDate(?) AND has(?, toString(day))
WHERE computed_at = toDateTime(?)
GROUP BY f, va, vb, day, county_code, category`, at, day(first), day(last), ds, at)
		if err == nil {
			err = s.conn.Exec(ctx, `INSERT INTO api_county (fields, a, b, day, county_code, category, cases, resolved, evaluated, satisfied,
    open_due, computed_at)
SELECT s.2 AS f, s.3 AS va, '' AS vb, day, county_code, category, sum(cases), sum(resolved), sum(evaluated), sum(satisfied),
    groupArrayArray(open_due), toDateTime(?)
FROM api_county
ARRAY JOIN arrayFilter(x -> x.1 = fields, [('severity,status', 'severity', a), ('severity,status', 'status', b),
    ('channel,status', 'channel', a), ('source,status', 'source', a)]) AS s
PREWHERE fields IN ('severity,status', 'channel,status', 'source,status') AND day >= toDate(?) AND day <= toDate(?)
    AND has(?, toString(day))
WHERE computed_at = toDateTime(?)
GROUP BY f, va, vb, day, county_code, category`, at, day(first), day(last), ds, at)
		}
		if err != nil {
			return fmt.Errorf("cannot refresh api_county: %w", err)
		}
		// Every case counts once in the '' slice and once in the slice of
		// each of its four fields and of its village.
		err = s.conn.Exec(ctx, `INSERT INTO api_daily (dim, value, day, county_code, town_code, category, cases, resolved, evaluated, satisfied,
    open_due, computed_at)
SELECT d.1 AS dim, d.2 AS value, day, county_code, town_code, category, sum(cases), sum(resolved), sum(evaluated), sum(satisfied),
    groupArrayArray(open_due), toDateTime(?)
FROM `+apiCubeTable+`
ARRAY JOIN [('', ''), ('severity', toString(severity)), ('channel', toString(channel)), ('source', toString(source)),
    ('status', toString(status)), ('village', village_code)] AS d
PREWHERE day >= toDate(?) AND day <= toDate(?) AND has(?, toString(day))
WHERE computed_at = toDateTime(?)
GROUP BY dim, value, day, county_code, town_code, category`, at, day(first), day(last), ds, at)
		if err != nil {
			return fmt.Errorf("cannot refresh api_daily: %w", err)
		}
	}
	return nil
}
