package statcli

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// table is an input CSV file held in memory.
type table struct {
	file   string     // the path as given on the command line
	header []string   // column names, trimmed, without a byte order mark
	rows   [][]string // the data rows, each as long as the header
	lines  []int      // the line number of each row in the file
}

// readTable reads and parses the CSV file at path.
func readTable(path string) (*table, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, inputf(path, 0, "", "cannot read the file: %v", unwrapPathError(err))
	}
	t, err := parseTable(path, data)
	return t, data, err
}

// unwrapPathError drops the "open PATH:" prefix, since the message names
// the file already.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseTable parses CSV data; file names it in error messages. Every row
// must have as many fields as the header, and there must be at least one
// row.
func parseTable(file string, data []byte) (*table, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, inputf(file, 0, "", "empty file: want a header row")
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	t := &table{file: file, header: make([]string, len(header))}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		t.header[i] = strings.TrimSpace(h)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(file, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, inputf(file, line, "", "the row has %d fields, the header has %d", len(rec), len(header))
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	if len(t.rows) == 0 {
		return nil, inputf(file, 1, "", "no data rows after the header")
	}
	return t, nil
}

// csvError turns an encoding/csv error into an inputError.
func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine != 0 && pe.StartLine != pe.Line {
			// An unclosed quote: the problem is where the record starts.
			return inputf(file, pe.StartLine, "", "%v (the row runs on to line %d)", pe.Err, pe.Line)
		}
		return inputf(file, pe.Line, "", "%v (at byte %d of the line)", pe.Err, pe.Column)
	}
	return inputf(file, 0, "", "%v", err)
}

// column returns the index of the column named name; a missing or
// ambiguous column is an error on line 1.
func (t *table) column(name string) (int, error) {
	idx := -1
	for i, h := range t.header {
		if h != name {
			continue
		}
		if idx >= 0 {
			return 0, inputf(t.file, 1, name, "the header has this column twice (fields %d and %d)", idx+1, i+1)
		}
		idx = i
	}
	if idx < 0 {
		return 0, inputf(t.file, 1, "", "no column %q in the header (the columns are %s)", name, strings.Join(t.header, ", "))
	}
	return idx, nil
}

// MaxCount is the largest count `stat detect` accepts: far above any
// count of cases, and small enough that every detector's bound stays a
// finite number.
const MaxCount = 1e12

// numberKind says which values a numeric column accepts.
type numberKind int

const (
	anyNumber      numberKind = iota // any finite number
	nonNegative                      // finite and ≥ 0
	count                            // a whole number 0 … MaxCount
	positive                         // a population: finite and > 0
	missingAllowed                   // any finite number; "", NA and NaN are NaN
)

// numbers parses column name of every row.
func (t *table) numbers(name string, kind numberKind) ([]float64, error) {
	c, err := t.column(name)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(t.rows))
	for i, rec := range t.rows {
		v, err := parseNumber(rec[c], kind)
		if err != nil {
			return nil, inputf(t.file, t.lines[i], name, "%v", err)
		}
		out[i] = v
	}
	return out, nil
}

// ids returns column name of every row, trimmed; an empty or repeated id
// is an error.
func (t *table) ids(name string) ([]string, map[string]int, error) {
	c, err := t.column(name)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(t.rows))
	index := make(map[string]int, len(t.rows))
	for i, rec := range t.rows {
		id := strings.TrimSpace(rec[c])
		if id == "" {
			return nil, nil, inputf(t.file, t.lines[i], name, "empty id")
		}
		if j, dup := index[id]; dup {
			return nil, nil, inputf(t.file, t.lines[i], name, "id %q already has a row on line %d", id, t.lines[j])
		}
		index[id] = i
		ids[i] = id
	}
	return ids, index, nil
}

// parseNumber parses one cell. The error message quotes the cell.
func parseNumber(cell string, kind numberKind) (float64, error) {
	s := strings.TrimSpace(cell)
	if kind == missingAllowed && (s == "" || s == "NA" || strings.EqualFold(s, "nan")) {
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is out of the range of a float64", cell)
	case err != nil || math.IsNaN(v):
		return 0, fmt.Errorf("%q is not a number", cell)
	case math.IsInf(v, 0):
		return 0, fmt.Errorf("%q is not a finite number", cell)
	case (kind == nonNegative || kind == count) && v < 0:
		return 0, fmt.Errorf("%q is negative: counts must be 0 or more", cell)
	case kind == count && v != math.Trunc(v):
		return 0, fmt.Errorf("%q is not a whole number: counts are whole", cell)
	case kind == count && v > MaxCount:
		return 0, fmt.Errorf("%q is above %g, the largest count accepted", cell, float64(MaxCount))
	case kind == positive && !(v > 0):
		return 0, fmt.Errorf("%q is not positive: a population must be more than 0", cell)
	}
	return v, nil
}

// formatNumber prints v in the shortest form that parses back to v: the
// digits of strconv's 'g' with precision −1, in plain decimal notation
// when 1e-4 ≤ |v| < 1e16 (so counts print as 1234, not 1.234e+03) and in
// exponent notation otherwise. NaN prints as the empty string (undefined).
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case math.IsInf(v, 1):
		return "Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if v == 0 {
		return "0" // also for −0
	}
	if a := math.Abs(v); a >= 1e-4 && a < 1e16 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// csvOut writes CSV records to a buffer.
type csvOut struct{ w *csv.Writer }

func newCSVOut(buf *bytes.Buffer) csvOut { return csvOut{w: csv.NewWriter(buf)} }

func (o csvOut) row(fields ...string) { _ = o.w.Write(fields) } // a bytes.Buffer never fails

func (o csvOut) flush() error {
	o.w.Flush()
	return o.w.Error()
}
