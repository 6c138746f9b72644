package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// This file holds the read queries of the analyst API (package api) and its
// token and audit tables (migration 0010). Every query takes the caller's
// region scope as code prefixes and applies them in the SQL, bound as
// parameters; nothing the caller sends is formatted into the SQL text:
// identifiers and expressions come from the fixed tables below, values are
// bound.

// APIToken is one row of api_tokens.
type APIToken struct {
	ID, Hash, Name, Role, Scope string
	Created                     time.Time
	Revoked                     bool
	RevokedAt                   *time.Time
	// Expires is when the token stops working (nil = never).
	Expires *time.Time
	Version uint64
}

const apiTokenColumns = "id, hash, name, role, scope, created, revoked, revoked_at, expires, version"

// APIInsertToken stores a token (or a new version of one).
func (s *Store) APIInsertToken(ctx context.Context, t APIToken) error {
	var rev uint8
	if t.Revoked {
		rev = 1
	}
	return s.insertColumns(ctx, "api_tokens", apiTokenColumns, []any{
		[]string{t.ID}, []string{t.Hash}, []string{t.Name}, []string{t.Role}, []string{t.Scope},
		[]time.Time{t.Created}, []uint8{rev}, []*time.Time{t.RevokedAt}, []*time.Time{t.Expires}, []uint64{t.Version}})
}

func (s *Store) apiTokens(ctx context.Context, where string, args ...any) ([]APIToken, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens FINAL "+where+" ORDER BY created, id", args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var rev uint8
		if err := rows.Scan(&t.ID, &t.Hash, &t.Name, &t.Role, &t.Scope, &t.Created, &rev, &t.RevokedAt, &t.Expires, &t.Version); err != nil {
			return nil, fmt.Errorf("cannot read API token: %w", err)
		}
		t.Revoked = rev == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// APITokens lists every token (revoked ones too), oldest first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) { return s.apiTokens(ctx, "") }

// APITokenByHash returns the token with the SHA-256 hex hash; ok is false
// when there is none.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (t APIToken, ok bool, err error) {
	ts, err := s.apiTokens(ctx, "WHERE hash = ?", hash)
	if err != nil || len(ts) == 0 {
		return APIToken{}, false, err
	}
	return ts[0], true, nil
}

// ErrAPITokenNotFound is returned when revoking an unknown token id.
var ErrAPITokenNotFound = errors.New("no such API token")

// APITokenGeneration is the highest version in api_tokens. Every revocation
// raises it (APIRevokeToken writes a version above it), so a server that
// caches tokens compares it with the value it saw last to learn, in one
// small query, that some token changed.
func (s *Store) APITokenGeneration(ctx context.Context) (uint64, error) {
	var g uint64
	if err := s.conn.QueryRow(ctx, "SELECT max(version) FROM api_tokens").Scan(&g); err != nil {
		return 0, fmt.Errorf("cannot read the API token generation: %w", err)
	}
	return g, nil
}

// APITokenUse is one token's latest use.
type APITokenUse struct {
	ID       string
	LastUsed time.Time
	Remote   string
}

// APIMarkTokensUsed stores the latest use of tokens in one insert.
func (s *Store) APIMarkTokensUsed(ctx context.Context, us []APITokenUse) error {
	if len(us) == 0 {
		return nil
	}
	ids, at, rem := make([]string, len(us)), make([]time.Time, len(us)), make([]string, len(us))
	for i, u := range us {
		ids[i], at[i], rem[i] = u.ID, u.LastUsed, u.Remote
	}
	return s.insertColumns(ctx, "api_token_use", "id, last_used, remote", []any{ids, at, rem})
}

// APITokensLastUse returns each used token's latest use by id.
func (s *Store) APITokensLastUse(ctx context.Context) (map[string]APITokenUse, error) {
	rows, err := s.conn.Query(ctx, "SELECT id, max(last_used), argMax(remote, last_used) FROM api_token_use GROUP BY id")
	if err != nil {
		return nil, fmt.Errorf("cannot read the API tokens' last use: %w", err)
	}
	defer rows.Close()
	out := map[string]APITokenUse{}
	for rows.Next() {
		var u APITokenUse
		if err := rows.Scan(&u.ID, &u.LastUsed, &u.Remote); err != nil {
			return nil, fmt.Errorf("cannot read an API token's last use: %w", err)
		}
		out[u.ID] = u
	}
	return out, rows.Err()
}

// APIRevokeToken marks the token id revoked at `at`. Revoking twice keeps the
// first time. The new version lies above every version in the table, so
// that APITokenGeneration changes.
func (s *Store) APIRevokeToken(ctx context.Context, id string, at time.Time) (APIToken, error) {
	ts, err := s.apiTokens(ctx, "WHERE id = ?", id)
	if err != nil {
		return APIToken{}, err
	}
	if len(ts) == 0 {
		return APIToken{}, fmt.Errorf("%w: %q", ErrAPITokenNotFound, id)
	}
	t := ts[0]
	if t.Revoked {
		return t, nil
	}
	g, err := s.APITokenGeneration(ctx)
	if err != nil {
		return APIToken{}, err
	}
	t.Revoked, t.RevokedAt, t.Version = true, &at, max(g, t.Version)+1
	return t, s.APIInsertToken(ctx, t)
}

// APIAuditEntry is one row of api_audit.
type APIAuditEntry struct {
	At                              time.Time
	TokenID, TokenName, Role, Scope string
	Method, Path, Query             string
	Status                          uint16
	Rows                            uint64
	DurationMS                      uint32
	Remote                          string
	// Requests is how many requests the entry stands for (0 is written
	// as 1): refused authentication is coalesced per address.
	Requests uint32
}

// APIWriteAudit stores audit entries in one insert.
func (s *Store) APIWriteAudit(ctx context.Context, es []APIAuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	at := make([]time.Time, n)
	var str [9][]string
	for i := range str {
		str[i] = make([]string, n)
	}
	st, rs, dm, rq := make([]uint16, n), make([]uint64, n), make([]uint32, n), make([]uint32, n)
	for i, e := range es {
		rq[i] = max(e.Requests, 1)
		at[i] = e.At
		for j, v := range []string{e.TokenID, e.TokenName, e.Role, e.Scope, e.Method, e.Path, e.Query, e.Remote} {
			str[j][i] = v
		}
		st[i], rs[i], dm[i] = e.Status, e.Rows, e.DurationMS
	}
	return s.insertColumns(ctx, "api_audit",
		"at, token_id, token_name, role, scope, method, path, query, status, rows, duration_ms, remote, requests",
		[]any{at, str[0], str[1], str[2], str[3], str[4], str[5], str[6], st, rs, dm, str[7], rq})
}

// APIAudit returns the newest audit entries of tokens whose scope starts
// with scope ("" = all), at most limit, newest first.
func (s *Store) APIAudit(ctx context.Context, scope string, limit int) ([]APIAuditEntry, error) {
	rows, err := s.conn.Query(ctx, `SELECT at, token_id, token_name, role, scope, method, path, query, status, rows, duration_ms, remote, requests
FROM api_audit WHERE scope LIKE ? ORDER BY at DESC LIMIT ?`, likePrefix(scope), limit)
	if err != nil {
		return nil, fmt.Errorf("cannot read the API audit log: %w", err)
	}
	defer rows.Close()
	var out []APIAuditEntry
	for rows.Next() {
		var e APIAuditEntry
		if err := rows.Scan(&e.At, &e.TokenID, &e.TokenName, &e.Role, &e.Scope, &e.Method, &e.Path, &e.Query,
			&e.Status, &e.Rows, &e.DurationMS, &e.Remote, &e.Requests); err != nil {
			return nil, fmt.Errorf("cannot read an API audit entry: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

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
	// NoResolved skips the resolved count when the metric does not need it
	// (on cases_daily it costs a second merge of hash sets).
	NoResolved bool
	// Satisfaction asks for the evaluated and satisfied counts; Overdue for
	// the overdue count (only the cases table has it).
	Satisfaction, Overdue bool
	// UseDaily says api_daily is built (APIRefreshDaily ran once) and may
	// answer.
	UseDaily bool
	// Villages says the series or a prefix are at village level: only the
	// village slice of api_daily and the cases table resolve villages.
	Villages bool
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

// Trend sources.
const (
	// APISourceDaily is api_daily: the latest version of every case counted
	// per day, county, town and category (refreshed by the API).
	APISourceDaily = "api_daily"
	// APISourceRollup is cases_daily, the rollup of migration 0001.
	APISourceRollup = "cases_daily"
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

// APITrendSource returns the table that answers q: api_daily (when built)
// unless q needs the overdue count, has two of the severity, channel,
// source and status filters, or villages with one of them; cases_daily
// (before api_daily is built) when only region and category filter, down to
// towns, without satisfaction; the cases table otherwise.
func APITrendSource(q APITrendQuery) string {
	f := q.Filter
	if _, ok := apiGroupsCases[q.Group]; !ok || q.Overdue {
		return APISourceCases
	}
	if _, _, ok := dailySlice(q); q.UseDaily && ok {
		return APISourceDaily
	}
	if _, ok := apiGroupsRollup[q.Group]; !ok || q.Villages || q.Satisfaction ||
		len(f.Severities)+len(f.Channels)+len(f.Statuses)+len(f.Sources) > 0 {
		return APISourceCases
	}
	return APISourceRollup
}

// APITrends counts cases per period and series from the table
// APITrendSource names, which it returns. Rows come ordered by key and
// period; truncated says the limit was hit.
func (s *Store) APITrends(ctx context.Context, q APITrendQuery) (rows []APITrendRow, truncated bool, source string, err error) {
	period, ok := apiPeriods[q.Granularity]
	if !ok {
		return nil, false, "", fmt.Errorf("trend: unknown granularity %q", q.Granularity)
	}
	if q.Limit <= 0 {
		return nil, false, "", fmt.Errorf("trend: limit must be positive")
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
		if !q.Filter.From.IsZero() {
			days.add("day >= toDate(?)", day(q.Filter.From))
		}
		if !q.Filter.To.IsZero() {
			days.add("day <= toDate(?)", day(q.Filter.To))
		}
		w.conds, w.args = append(days.conds, w.conds...), append(days.args, w.args...)
		w.add("(day, computed_at) IN (SELECT day, max(computed_at) FROM api_daily "+days.sql()+" GROUP BY day)", days.args...)
		if len(q.Filter.Categories) > 0 {
			w.add("has(?, category)", q.Filter.Categories)
		}
		query = "SELECT " + period + "(day) AS period, " + key + " AS key, " +
			"sum(cases), sum(resolved), sum(evaluated), sum(satisfied), toUInt64(0)\n" +
			"FROM api_daily " + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
	case APISourceRollup:
		resolved := "uniqExactIfMerge(resolved)"
		if q.NoResolved {
			resolved = "toUInt64(0)"
		}
		if err := w.prefixes(q.Filter.Prefixes, "(county_code LIKE ? OR town_code LIKE ?)"); err != nil {
			return nil, false, "", err
		}
		if !q.Filter.From.IsZero() {
			w.add("day >= toDate(?)", day(q.Filter.From))
		}
		if !q.Filter.To.IsZero() {
			w.add("day <= toDate(?)", day(q.Filter.To))
		}
		if len(q.Filter.Categories) > 0 {
			w.add("has(?, category)", q.Filter.Categories)
		}
		query = "SELECT " + period + "(day) AS period, " + apiGroupsRollup[q.Group] + " AS key, " +
			"uniqExactMerge(cases) AS n, " + resolved + " AS r, toUInt64(0), toUInt64(0), toUInt64(0)\n" +
			"FROM cases_daily " + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
	default:
		key, ok := apiGroupsCases[q.Group]
		if !ok {
			return nil, false, "", fmt.Errorf("trend: unknown group %q", q.Group)
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
		asOf := q.AsOf
		if asOf.IsZero() {
			asOf = time.Now()
		}
		query = "SELECT " + period + "(reported_date) AS period, " + key + " AS key, count() AS n, " +
			"countIf(status IN ('resolved', 'closed')) AS r, countIf(satisfaction != '') AS e, " +
			"countIf(satisfaction IN ('satisfied', 'basic')) AS sat, " +
			"countIf(due_at IS NOT NULL AND assumeNotNull(due_at) < ? AND status NOT IN ('resolved', 'failed', 'closed')) AS od\n" +
			"FROM cases FINAL " + prewhere + w.sql() + "\nGROUP BY period, key ORDER BY key, period LIMIT ?"
		w.args = append(append([]any{asOf.UTC()}, pre.args...), w.args...)
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

// APIRefreshDaily recomputes the api_daily rows of the days from the latest
// version of every case (cases FINAL), stamped computedAt; readers use only
// the newest computation of each day. computedAt must be later than the
// previous refresh's.
func (s *Store) APIRefreshDaily(ctx context.Context, days []time.Time, computedAt time.Time) error {
	const chunk = 62
	for i := 0; i < len(days); i += chunk {
		ds := make([]string, 0, chunk)
		for _, d := range days[i:min(i+chunk, len(days))] {
			ds = append(ds, day(d))
		}
		// One scan: every case counts once in the '' slice and once in the
		// slice of each of its four fields and of its village.
		err := s.conn.Exec(ctx, `INSERT INTO api_daily (dim, value, day, county_code, town_code, category, cases, resolved, evaluated, satisfied, computed_at)
SELECT d.1 AS dim, d.2 AS value, reported_date, county_code, town_code, category, count(), countIf(status IN ('resolved', 'closed')),
    countIf(satisfaction != ''), countIf(satisfaction IN ('satisfied', 'basic')), toDateTime(?)
FROM cases FINAL
ARRAY JOIN [('', ''), ('severity', toString(severity)), ('channel', toString(channel)), ('source', toString(source)),
    ('status', toString(status)), ('village', village_code)] AS d
PREWHERE has(?, toString(reported_date))
GROUP BY dim, value, reported_date, county_code, town_code, category`, computedAt.UTC(), ds)
		if err != nil {
			return fmt.Errorf("cannot refresh api_daily: %w", err)
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
		w.add("toDate("+endCol+") >= toDate(?)", day(q.Filter.From))
	}
	if !q.Filter.To.IsZero() {
		w.add("toDate("+endCol+") <= toDate(?)", day(q.Filter.To))
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
		w.add("toDate(window_end) >= toDate(?)", day(q.Filter.From))
	}
	if !q.Filter.To.IsZero() {
		w.add("toDate(window_end) <= toDate(?)", day(q.Filter.To))
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
}

// apiCaseColumns are the columns the case list returns: no party names,
// phone or ID numbers, no coordinates, no raw text; summary and
// category_text hold the masked text ingest stored.
const apiCaseColumns = "toString(source) AS source, case_id, version, toString(channel) AS channel, reported_at, region_code, region_level, " +
	"county_code, town_code, village_code, category, category_text, summary, toString(severity) AS severity, parties, toFloat64(amount_cny) AS amount_cny, " +
	"toString(status) AS status, assigned_unit, due_at, resolved_at, toString(satisfaction) AS satisfaction, petition, superior_assigned, group_dispute, large_amount"

// APICases returns one page of cases and the number of cases matching.
func (s *Store) APICases(ctx context.Context, q APICaseQuery) (APITable, uint64, error) {
	order, ok := APICaseSorts[q.Sort]
	if !ok {
		return APITable{}, 0, fmt.Errorf("cases: unknown sort %q", q.Sort)
	}
	if q.Size <= 0 || q.Offset < 0 {
		return APITable{}, 0, fmt.Errorf("cases: bad page (offset %d, size %d)", q.Offset, q.Size)
	}
	var w where
	if err := w.caseFilters(q.Filter); err != nil {
		return APITable{}, 0, err
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
		w.add("toDate(attempted_at) >= toDate(?)", day(q.Filter.From))
	}
	if !q.Filter.To.IsZero() {
		w.add("toDate(attempted_at) <= toDate(?)", day(q.Filter.To))
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
		return APITable{}, fmt.Errorf("regions: limit must be positive")
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
