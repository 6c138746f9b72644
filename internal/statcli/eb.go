package statcli

import (
	"bytes"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

// ebColumn is the name of the column `stat eb` appends.
const ebColumn = "eb_rate"

// runEB is `riskwatch stat eb`.
func runEB(args []string, out *bytes.Buffer) error {
	fs := newFlagSet("eb")
	casesCol := fs.String("cases", "", "")
	popCol := fs.String("population", "", "")
	method := fs.String("method", "global", "")
	nbFile := fs.String("neighbors", "", "")
	per := finiteFloat(1)
	fs.Var(&per, "per", "")
	pos, set, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case !set["cases"] || *casesCol == "":
		return usagef("--cases COL is required")
	case !set["population"] || *popCol == "":
		return usagef("--population COL is required")
	case *method != "global" && *method != "local":
		return usagef("--method %q is not global or local", *method)
	case *method == "local" && (!set["neighbors"] || *nbFile == ""):
		return usagef("--method local needs --neighbors FILE.csv")
	case *method == "global" && set["neighbors"]:
		return usagef("--neighbors applies only to --method local")
	case !(per > 0):
		return usagef("--per %s: the multiplier must be positive", per.String())
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}

	tab, _, err := readTable(file)
	if err != nil {
		return err
	}
	for _, h := range tab.header {
		if h == ebColumn {
			return inputf(file, 1, ebColumn, "the input already has a column %s, which the output appends", ebColumn)
		}
	}
	cases, err := tab.numbers(*casesCol, nonNegative)
	if err != nil {
		return err
	}
	pop, err := tab.numbers(*popCol, positive)
	if err != nil {
		return err
	}

	var est []float64
	if *method == "global" {
		r, err := smallarea.GlobalPoisson(cases, pop)
		if err != nil {
			return inputf(file, 0, "", "%v", err) // unreachable: the values were checked
		}
		est = r.Estimate
	} else {
		ids, index, err := tab.ids("id")
		if err != nil {
			return err
		}
		w, err := readNeighbors(*nbFile, tab, ids, index)
		if err != nil {
			return err
		}
		nb := make([][]int, len(ids))
		for i, id := range ids {
			for _, nid := range w.Neighbors(id) {
				nb[i] = append(nb[i], index[nid])
			}
		}
		r, err := smallarea.LocalPoisson(cases, pop, nb, smallarea.LocalSpdep)
		if err != nil {
			return inputf(file, 0, "", "%v", err) // unreachable: the neighbours were checked
		}
		est = r.Estimate
	}

	o := newCSVOut(out)
	o.row(append(append([]string(nil), tab.header...), ebColumn)...)
	for i, rec := range tab.rows {
		o.row(append(append([]string(nil), rec...), formatNumber(est[i]*float64(per)))...)
	}
	return o.flush()
}
