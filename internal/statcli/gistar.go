package statcli

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/riskwatch/riskwatch/indices/spatial"
)

// runGistar is `riskwatch stat gistar`.
func runGistar(args []string, out *bytes.Buffer) error {
	fs := newFlagSet("gistar")
	valuesFile := fs.String("values", "", "")
	valueCol := fs.String("value-column", "", "")
	nbFile := fs.String("neighbors", "", "")
	weights := fs.String("weights", "binary", "")
	noStar := fs.Bool("no-star", false, "")
	twoSided := fs.Bool("two-sided", false, "")
	pos, set, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q: gistar reads the files named by --values and --neighbors", pos[0])
	case !set["values"] || *valuesFile == "":
		return usagef("--values FILE.csv is required")
	case !set["value-column"] || *valueCol == "":
		return usagef("--value-column COL is required")
	case !set["neighbors"] || *nbFile == "":
		return usagef("--neighbors FILE.csv is required")
	}
	var tr spatial.Transform
	switch *weights {
	case "binary":
		tr = spatial.Binary
	case "row":
		tr = spatial.RowStandardized
	default:
		return usagef("--weights %q is not binary or row", *weights)
	}

	vt, _, err := readTable(*valuesFile)
	if err != nil {
		return err
	}
	ids, index, err := vt.ids("id")
	if err != nil {
		return err
	}
	values, err := vt.numbers(*valueCol, anyNumber)
	if err != nil {
		return err
	}
	w, err := readNeighbors(*nbFile, vt, ids, index)
	if err != nil {
		return err
	}

	// GiStar works in the neighbour file's unit order; the output keeps the
	// order of the values file.
	y := make([]float64, w.Len())
	for i := range y {
		y[i] = values[index[w.ID(i)]]
	}
	res, err := spatial.GiStar(y, w, spatial.GiOptions{Transform: tr, NoStar: *noStar, TwoSided: *twoSided})
	if err != nil {
		return inputf(*valuesFile, 0, *valueCol, "%v", err)
	}
	o := newCSVOut(out)
	o.row("id", "value", "z", "p")
	for k, id := range ids {
		i, _ := w.Index(id)
		r := res[i]
		o.row(id, formatNumber(values[k]), formatNumber(r.Z), formatNumber(r.P))
	}
	return o.flush()
}

// readNeighbors reads a neighbour CSV (id,neighbors) and checks that it
// holds exactly the units of the data table dt, whose ids and id index are
// given.
func readNeighbors(file string, dt *table, ids []string, index map[string]int) (*spatial.Weights, error) {
	nt, data, err := readTable(file)
	if err != nil {
		return nil, err
	}
	w, err := spatial.ReadNeighborsCSV(bytes.NewReader(data), file)
	if err != nil {
		return nil, fromSpatialError(err)
	}
	nbIDs, nbIndex, err := nt.ids("id")
	if err != nil {
		return nil, err // unreachable: ReadNeighborsCSV checked the ids
	}
	for k, id := range nbIDs {
		if _, ok := index[id]; !ok {
			return nil, inputf(file, nt.lines[k], "id", "unknown id %q: %s has no row with this id", id, dt.file)
		}
	}
	for k, id := range ids {
		if _, ok := nbIndex[id]; !ok {
			return nil, inputf(dt.file, dt.lines[k], "id", "id %q has no row in the neighbours file %s", id, file)
		}
	}
	return w, nil
}

// fromSpatialError rewrites the spatial package's *InputError in this
// package's "FILE line L, column NAME: problem" form.
func fromSpatialError(err error) error {
	var ie *spatial.InputError
	if !errors.As(err, &ie) {
		return err
	}
	col := ie.ColumnName
	if col == "" && ie.Column > 0 {
		col = strconv.Itoa(ie.Column)
	}
	return &inputError{file: ie.File, line: ie.Line, column: col, msg: ie.Err.Error()}
}
