package store

import (
	"strings"

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
