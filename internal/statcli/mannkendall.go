package statcli

import (
	"bytes"
	"math"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

// runMannKendall is `riskwatch stat mann-kendall`.
func runMannKendall(args []string, out *bytes.Buffer) error {
	fs := newFlagSet("mann-kendall")
	column := fs.String("column", "", "")
	pos, set, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if !set["column"] || *column == "" {
		return usagef("--column COL is required")
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}
	tab, _, err := readTable(file)
	if err != nil {
		return err
	}
	x, err := tab.numbers(*column, missingAllowed)
	if err != nil {
		return err
	}
	n := 0
	for _, v := range x {
		if !math.IsNaN(v) {
			n++
		}
	}
	if n < spatial.MinMannKendall {
		last := len(tab.rows) - 1
		return inputf(file, tab.lines[last], *column, "the series ends here with %d value(s) that are not missing: Mann-Kendall needs at least %d", n, spatial.MinMannKendall)
	}
	r, err := spatial.MannKendall(x)
	if err != nil {
		return inputf(file, 0, *column, "%v", err) // unreachable: the values were checked
	}
	o := newCSVOut(out)
	o.row("s", "var_s", "z", "p", "trend")
	o.row(formatNumber(r.S), formatNumber(r.VarS), formatNumber(r.Z), formatNumber(r.P), string(r.Trend))
	return o.flush()
}
