package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stateColumns are the columns of case_state after build and at, as the
// newest version of a case with updated_at at or before `at` gives them.
var stateColumns = []string{"source", "case_id", "reported_at", "reported_date", "region_code", "county_code", "town_code",
	"village_code", "category", "category_group", "severity", "parties", "amount_cny", "status", "assigned_unit",
	"due_at", "resolved_at", "evaluated_at", "satisfaction", "repeat_of", "petition", "superior_assigned", "escalated"}

// stateAggregates returns the aggregates that give a case's state from its
// rows (versions of case_updates, or the row of an earlier build) and the
// expressions that turn them into case_state's columns, key and version
// first.
//
// Each column has its own argMax on a type ClickHouse aggregates without
// boxing (enums and decimals as strings, cast back on insert): one argMax
// over a tuple of every column is several times slower on 18.16. Nullable
// times go through 0 for NULL, since argMax on a Nullable column skips
// NULLs and a newer version that clears a time must win.
func stateAggregates() (inner, outer []string) {
	nullable := map[string]bool{"due_at": true, "resolved_at": true, "evaluated_at": true}
	asString := map[string]bool{"source": true, "severity": true, "status": true, "satisfaction": true, "amount_cny": true}
	inner = []string{"max(version) AS s_version"}
	outer = []string{"s_key", "s_version"}
	for _, c := range stateColumns {
		arg, out := c, "s_"+c
		switch {
		case c == "source" || c == "case_id":
			if asString[c] {
				arg = "toString(" + c + ")"
			}
			inner = append(inner, "any("+arg+") AS s_"+c)
			outer = append(outer, out)
			continue
		case nullable[c]:
			arg = "ifNull(" + c + ", toDateTime(0, 'Asia/Shanghai'))"
			out = "nullIf(s_" + c + ", toDateTime(0, 'Asia/Shanghai'))"
		case asString[c]:
			arg = "toString(" + c + ")"
		}
		inner = append(inner, "argMax("+arg+", version) AS s_"+c)
		outer = append(outer, out)
	}
	return inner, outer
}

// stateKey is the case key's 64-bit hash (as the daily rollup counts
// cases): a number groups much faster than (source, case_id), and a
// collision among a city's cases is astronomically unlikely.
const stateKey = "cityHash64(toString(source), case_id)"

// stateInsert is the head of every insert into case_state.
var stateInsert = "INSERT INTO case_state (build, at, key, version, " + strings.Join(stateColumns, ", ") + ") "

// stateBuildSQL fills one build of case_state from scratch: one row per
// case reported before T, each column from the case's newest version with
// updated_at <= T. Arguments: build, T, T, T.
var stateBuildSQL = func() string {
	inner, outer := stateAggregates()
	return stateInsert + "SELECT ?, ?, " + strings.Join(outer, ", ") +
		" FROM (SELECT " + stateKey + " AS s_key, " + strings.Join(inner, ", ") +
		" FROM case_updates WHERE reported_at < ? AND updated_at <= ? GROUP BY s_key)"
}()

// stateDelta selects cols of the versions that can change a case's state
// between an earlier build at B and T: in effect at T, and either newer
// than B or of a case reported since B (which B has no row of). The first
// part reads only the granules of (B, T] (case_updates is ordered by
// updated_at). The second, the versions of cases reported since B that
// took effect at or before B (a version older than its case's report), is
// rare but reads the whole table: backdated says whether there are any
// (counted before the build); without, it is left out. Arguments: B, T, T,
// and with backdated B, T, B.
func stateDelta(cols string, backdated bool) string {
	q := "SELECT " + cols + " FROM case_updates WHERE updated_at > ? AND updated_at <= ? AND reported_at < ?"
	if backdated {
		q += " UNION ALL SELECT " + cols + " FROM case_updates WHERE reported_at >= ? AND reported_at < ? AND updated_at <= ?"
	}
	return q
}

// stateDeltaArgs returns stateDelta's arguments.
func stateDeltaArgs(B, T time.Time, backdated bool) []any {
	if backdated {
		return []any{B, T, T, B, T, B}
	}
	return []any{B, T, T}
}

// stateKeptSQL copies into a delta the rows of its base build whose case
// it has no row of, making it a full build. Arguments: build, T, base,
// build.
var stateKeptSQL = stateInsert + "SELECT ?, ?, key, version, " + strings.Join(stateColumns, ", ") +
	" FROM case_state WHERE build = ? AND key NOT IN (SELECT key FROM case_state WHERE build = ?)"

// stateChangedSQL fills a delta over a base build: the cases with a version
// in stateDelta, each from its row of the base build (the newest of its
// versions at B, so that max and argMax by version over it and the newer
// versions are those over all its versions at T) and those versions.
// Arguments: build, T, base, stateDelta's, stateDelta's.
func stateChangedSQL(backdated bool) string {
	inner, outer := stateAggregates()
	cols := strings.Join(stateColumns, ", ")
	return stateInsert + "SELECT ?, ?, " + strings.Join(outer, ", ") +
		" FROM (SELECT k AS s_key, " + strings.Join(inner, ", ") + " FROM (" +
		"SELECT key AS k, version, " + cols + " FROM case_state WHERE build = ? AND key IN (SELECT " + stateKey + " FROM (" + stateDelta("source, case_id", backdated) + "))" +
		" UNION ALL SELECT " + stateKey + " AS k, version, " + cols + " FROM (" + stateDelta("version, "+cols, backdated) + ")" +
		") GROUP BY k)"
}

// stateAtSQL returns a FROM subquery with one row per case: cols as the
// case's newest version with updated_at at or before a window end T says,
// for the cases reported in [from, T). case_updates holds every version, so
// the state at a past window end never changes when later versions arrive:
// a window recomputed later gives the same figures. A build is the rows of
// a full build not replaced by the rows of its delta (none for a full build
// itself). It binds five arguments, from stateArgs. Only constant column
// names are put into the SQL.
func stateAtSQL(cols ...string) string {
	c := strings.Join(cols, ", ")
	return "(SELECT " + c + " FROM case_state WHERE build = ? AND reported_at >= ? AND key NOT IN (SELECT key FROM case_state WHERE build = ?)" +
		" UNION ALL SELECT " + c + " FROM case_state WHERE build = ? AND reported_at >= ?)"
}

// stateBuild is one build of case_state.
type stateBuild struct {
	id uint64 // the partition of its rows
	// anchor is the full build whose rows not replaced by id's make the
	// state; 0 when id holds every case.
	anchor uint64
	rows   uint64 // rows of partition id
	at     time.Time
	events uint64    // case_updates rows in effect at `at` when it was built
	total  uint64    // case_updates rows when it was last checked
	used   time.Time // when a reader last got it (the wall clock: housekeeping only)
}

// stateCache remembers this process's builds of case_state, so that the
// jobs of one window end share one scan of case_updates.
type stateCache struct {
	mu     sync.Mutex
	builds []stateBuild // oldest first
	// grace is how long a build stays after a reader last got it, so that
	// a query still running on it never loses its rows (0: stateGrace).
	grace time.Duration
	// full and incremental count the builds made each way; overlays, the
	// incremental ones read as a delta over a full build.
	full, incremental, overlays int
	// minOverlay is the fewest rows of a full build that a delta is read
	// over rather than copied into a full build (0: stateMinOverlay).
	minOverlay uint64
}

// stateMinOverlay: below it, copying a full build's rows costs less than
// reading around a delta in every query.
const stateMinOverlay = 10000

// keepStateBuilds is how many builds a store keeps (a tick has at most the
// day, week and month ends); older ones go once unused for stateGrace.
const keepStateBuilds = 3

// stateGrace is longer than any job query runs.
const stateGrace = 30 * time.Minute

// stateArgs returns the arguments of a stateAtSQL subquery: the cases
// reported from `from` (zero: all) until at, in their state at at. It
// builds the state at `at` unless this store built it already and no
// version in effect at `at` has arrived since.
func (s *Store) stateArgs(ctx context.Context, from, at time.Time) ([]any, error) {
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	b, err := s.stateAt(ctx, at)
	if err != nil {
		return nil, err
	}
	if b.anchor == 0 {
		return []any{b.id, from.UTC(), uint64(0), uint64(0), from.UTC()}, nil
	}
	return []any{b.anchor, from.UTC(), b.id, b.id, from.UTC()}, nil
}

func (s *Store) stateAt(ctx context.Context, at time.Time) (stateBuild, error) {
	c := &s.state
	c.mu.Lock()
	defer c.mu.Unlock()
	// count() of a whole table is read from the parts' metadata: when no
	// row came since the build, it is current without a scan (a plain
	// MergeTree never loses a row in a merge, so the count only grows).
	// Otherwise the versions in effect at `at` are counted.
	var total uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM case_updates").Scan(&total); err != nil {
		return stateBuild{}, fmt.Errorf("cannot count case versions: %w", err)
	}
	for i := range c.builds {
		if b := &c.builds[i]; b.at.Equal(at) && b.total == total {
			b.used = time.Now()
			return *b, nil
		}
	}
	// The base of an incremental build: the full build under the newest
	// build of an earlier end. Both counts come from one read, before the
	// build: a version arriving after it is missing from the counts, so it
	// makes a later check rebuild rather than go unseen.
	var base *stateBuild
	for i := range c.builds {
		if b := &c.builds[i]; b.at.Before(at) && (base == nil || b.at.After(base.at)) {
			base = b
		}
	}
	if base != nil && base.anchor != 0 {
		base = c.find(base.anchor)
	}
	baseAt := at
	if base != nil {
		baseAt = base.at
	}
	// case_updates is a plain MergeTree: merges never drop a row, so the
	// count of the versions in effect at an end grows with every version
	// that arrives for it, re-delivered ones included.
	// The same read counts the backdated versions of stateDelta: one
	// arriving after it makes `events` stale, so a later check rebuilds.
	var events, baseEvents, backdated uint64
	if err := s.conn.QueryRow(ctx, "SELECT countIf(reported_at < ? AND updated_at <= ?), countIf(reported_at < ? AND updated_at <= ?), "+
		"countIf(reported_at >= ? AND reported_at < ? AND updated_at <= ?) FROM case_updates WHERE updated_at <= ?",
		at.UTC(), at.UTC(), baseAt.UTC(), baseAt.UTC(), baseAt.UTC(), at.UTC(), baseAt.UTC(), at.UTC()).Scan(&events, &baseEvents, &backdated); err != nil {
		return stateBuild{}, fmt.Errorf("cannot count case versions: %w", err)
	}
	for i := range c.builds {
		if b := &c.builds[i]; b.at.Equal(at) && b.events == events {
			b.used, b.total = time.Now(), total
			return *b, nil
		}
	}
	id := rand.Uint64() | 1 // never 0, the empty delta of a full build
	nb := stateBuild{id: id, at: at, events: events, total: total}
	// The base is still the state at its end when no version in effect
	// there arrived since it was built (a late version with updated_at at
	// or before its end): then only the cases with a version in
	// stateDelta are grouped again, into a delta over the base. A delta
	// grown past a quarter of its base (or over a small base) gets the
	// base's other rows copied in and becomes a full build. Otherwise the
	// build starts from scratch.
	fail := func(err error) (stateBuild, error) {
		// An insert may have stored rows: no reader gets this id.
		_ = s.conn.Exec(ctx, "ALTER TABLE case_state DROP PARTITION "+strconv.FormatUint(id, 10))
		return stateBuild{}, fmt.Errorf("cannot build the cases' state at %s: %w", at.Format(time.RFC3339), err)
	}
	countRows := func() (uint64, error) {
		var n uint64
		err := s.conn.QueryRow(ctx, "SELECT count() FROM case_state WHERE build = ?", id).Scan(&n)
		return n, err
	}
	if base != nil && base.events == baseEvents {
		T, B := at.UTC(), base.at.UTC()
		d := stateDeltaArgs(B, T, backdated > 0)
		if err := s.conn.Exec(ctx, stateChangedSQL(backdated > 0), append(append([]any{id, T, base.id}, d...), d...)...); err != nil {
			return fail(err)
		}
		n, err := countRows()
		if err != nil {
			return fail(err)
		}
		nb.anchor, nb.rows = base.id, n
		minOverlay := c.minOverlay
		if minOverlay == 0 {
			minOverlay = stateMinOverlay
		}
		if n*4 > base.rows || base.rows < minOverlay {
			if err := s.conn.Exec(ctx, stateKeptSQL, id, T, base.id, id); err != nil {
				return fail(err)
			}
			if nb.rows, err = countRows(); err != nil {
				return fail(err)
			}
			nb.anchor = 0
		}
		base.used = time.Now()
		c.incremental++
		if nb.anchor != 0 {
			c.overlays++
		}
	} else {
		if err := s.conn.Exec(ctx, stateBuildSQL, id, at.UTC(), at.UTC(), at.UTC()); err != nil {
			return fail(err)
		}
		n, err := countRows()
		if err != nil {
			return fail(err)
		}
		nb.rows = n
		c.full++
	}
	now := time.Now()
	nb.used = now
	c.builds = append(c.builds, nb)
	grace := c.grace
	if grace == 0 {
		grace = stateGrace
	}
	// Oldest first: drop builds while more than keepStateBuilds remain,
	// skipping any a reader got within the grace.
	var drop []string
	n := len(c.builds)
	kept := c.builds[:0]
	for _, b := range c.builds {
		if n > keepStateBuilds && now.Sub(b.used) > grace && !c.anchors(b.id) {
			if b.rows > 0 { // a delta without rows has no partition
				drop = append(drop, strconv.FormatUint(b.id, 10))
			}
			n--
			continue
		}
		kept = append(kept, b)
	}
	c.builds = kept
	// Builds of processes that stopped: no process keeps a build for a day.
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT partition FROM system.parts WHERE database = currentDatabase() "+
		"AND table = 'case_state' AND active AND modification_time < now() - 86400")
	if err == nil {
		for rows.Next() {
			var p string
			if rows.Scan(&p) == nil {
				if _, err := strconv.ParseUint(p, 10, 64); err == nil {
					drop = append(drop, p)
				}
			}
		}
		rows.Close()
	}
	for _, p := range drop {
		// p is a decimal build id (checked above), the one value put into
		// the SQL: DROP PARTITION takes no bound arguments.
		if err := s.conn.Exec(ctx, "ALTER TABLE case_state DROP PARTITION "+p); err != nil {
			s.log.Warn("cannot drop an old build of case_state", "build", p, "err", err)
		}
	}
	return nb, nil
}

// find returns the build with partition id (nil when none).
func (c *stateCache) find(id uint64) *stateBuild {
	for i := range c.builds {
		if c.builds[i].id == id {
			return &c.builds[i]
		}
	}
	return nil
}

// anchors reports whether a build reads its rows around a delta of id.
func (c *stateCache) anchors(id uint64) bool {
	for _, b := range c.builds {
		if b.anchor == id {
			return true
		}
	}
	return false
}
