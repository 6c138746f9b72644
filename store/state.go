package store

import (
	"strconv"
	"strings"
	"time"
)

// stateAtSQL returns a FROM subquery with one row per case: source, case_id
// and cols as the case's newest version with updated_at at or before a time
// T says, for the cases reported in [from, T). case_events holds every
// version, so the state of a past window end never changes when later
// versions arrive: a window recomputed later gives the same figures.
//
// The subquery binds three arguments, in this order: from, T, T (see
// stateAtArgs). All columns are taken from one argMax over a tuple, so that
// a NULL in a newer version (a cleared due_at) wins over an older value, as
// it would not with argMax on a Nullable column. Only constant column names
// are put into the SQL.
func stateAtSQL(cols ...string) string {
	var inner, outer strings.Builder
	for i, c := range cols {
		if i > 0 {
			inner.WriteString(", ")
		}
		inner.WriteString(c)
		outer.WriteString(", tupleElement(st, ")
		outer.WriteString(strconv.Itoa(i + 1))
		outer.WriteString(") AS ")
		outer.WriteString(c)
	}
	return "(SELECT source, case_id" + outer.String() +
		" FROM (SELECT source, case_id, argMax(tuple(" + inner.String() + "), version) AS st" +
		" FROM case_events WHERE reported_at >= ? AND reported_at < ? AND updated_at <= ?" +
		" GROUP BY source, case_id))"
}

// stateAtArgs returns the arguments of a stateAtSQL subquery: the cases
// reported from `from` (zero: all) until at, in their state at at.
func stateAtArgs(from, at time.Time) []any {
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	return []any{from.UTC(), at.UTC(), at.UTC()}
}
