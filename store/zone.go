package store

import (
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// localDate is the SQL expression of the date of the DateTime column col
// in the deployment time zone (schemas.Zone()). The columns are declared
// DateTime('Asia/Shanghai'), and toDate(col) alone would read them there:
// a New York deployment's 23:30 would fall on the next day.
func localDate(col string) string {
	return "toDate(" + col + ", " + zoneLiteral() + ")"
}

// zoneLiteral is the deployment time zone's name as a SQL string literal
// (ClickHouse wants a constant time zone argument, not a bound parameter).
func zoneLiteral() string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(schemas.Zone().String()) + "'"
}

// reportedDays is a PREWHERE on the cases table that keeps the report days
// around a range of report times (reportedDaysArgs binds it): FINAL then
// merges the versions of those days' cases only, not of the whole table. A
// case's report date is the same in every version (the contract keeps it
// fixed), so filtering before the merge drops no newer version.
const reportedDays = "reported_date >= toDate(?) AND reported_date <= toDate(?)"

// reportedDaysArgs returns reportedDays' arguments for report times in
// [from, to): the local days of both ends, widened by a day on each side
// so that the exact condition on reported_at decides at the edges.
func reportedDaysArgs(from, to time.Time) []any {
	z := schemas.Zone()
	return []any{day(from.In(z).AddDate(0, 0, -1)), day(to.In(z).AddDate(0, 0, 1))}
}
