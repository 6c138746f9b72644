package spatial

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// InputError is a problem in an input file, located by file name, line and
// column so that an analyst can find it. Line and Column are 1-based; zero
// means the problem has no single place (an empty file, for example).
type InputError struct {
	File       string // the name the caller gave the reader
	Line       int
	Column     int    // 1-based column position
	ColumnName string // header name of the column, when known
	Err        error
}

// Error returns "FILE line L, column C (NAME): problem".
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Column > 0 {
		if e.Line > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " column %d", e.Column)
		if e.ColumnName != "" {
			fmt.Fprintf(&b, " (%s)", e.ColumnName)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// ReadNeighborsCSV reads binary weights from a neighbour CSV: a header with
// the columns id and neighbors (other columns are ignored), then one row per
// unit whose neighbors field holds the neighbours' ids separated by spaces
// (an empty field makes the unit an island). name is used in error
// messages. Units keep the order of the rows. Every neighbour must have a
// row of its own; an unknown id, a unit listed as its own neighbour, a
// neighbour listed twice and an id with two rows are errors of type
// *[InputError] naming the line and column.
func ReadNeighborsCSV(r io.Reader, name string) (*Weights, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &InputError{File: name, Err: errors.New("empty file: want a header with the columns id and neighbors")}
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	idCol, nbCol := -1, -1
	for c, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		switch h {
		case "id":
			idCol = c
		case "neighbors":
			nbCol = c
		}
	}
	switch {
	case idCol < 0:
		return nil, &InputError{File: name, Line: 1, Err: errors.New(`header has no column "id"`)}
	case nbCol < 0:
		return nil, &InputError{File: name, Line: 1, Err: errors.New(`header has no column "neighbors"`)}
	}

	type ref struct {
		id        string
		line, col int
	}
	var (
		ids   []string
		lines = map[string]int{}
		refs  [][]ref
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line with spaces
		}
		if len(rec) != len(header) {
			return nil, &InputError{File: name, Line: line, Err: fmt.Errorf("row has %d columns, the header has %d", len(rec), len(header))}
		}
		id := strings.TrimSpace(rec[idCol])
		if id == "" {
			return nil, &InputError{File: name, Line: line, Column: idCol + 1, ColumnName: "id", Err: errors.New("empty id")}
		}
		if first, dup := lines[id]; dup {
			return nil, &InputError{File: name, Line: line, Column: idCol + 1, ColumnName: "id", Err: fmt.Errorf("id %q already has a row on line %d", id, first)}
		}
		lines[id] = line
		ids = append(ids, id)
		nbLine, _ := cr.FieldPos(nbCol)
		var row []ref
		for _, nid := range strings.Fields(rec[nbCol]) {
			row = append(row, ref{id: nid, line: nbLine, col: nbCol + 1})
		}
		refs = append(refs, row)
	}
	if len(ids) == 0 {
		return nil, &InputError{File: name, Err: errors.New("no units: the file has a header but no rows")}
	}

	w, err := newEmpty(ids)
	if err != nil {
		return nil, &InputError{File: name, Err: err} // unreachable: ids were checked above
	}
	for i, row := range refs {
		seen := make(map[int]bool, len(row))
		idx := make([]int, 0, len(row))
		for _, rf := range row {
			bad := func(format string, args ...any) error {
				return &InputError{File: name, Line: rf.line, Column: rf.col, ColumnName: "neighbors", Err: fmt.Errorf(format, args...)}
			}
			j, ok := w.index[rf.id]
			switch {
			case !ok:
				return nil, bad("unknown id %q: it has no row of its own", rf.id)
			case j == i:
				return nil, bad("id %q is listed as its own neighbour", rf.id)
			case seen[j]:
				return nil, bad("neighbour %q is listed twice", rf.id)
			}
			seen[j] = true
			idx = append(idx, j)
		}
		if err := w.setBinaryRow(i, idx); err != nil {
			return nil, &InputError{File: name, Line: lines[ids[i]], Err: err} // unreachable: duplicates were checked
		}
	}
	return w, nil
}

// csvError turns an encoding/csv error into an *InputError.
func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// pe.Column counts bytes, not fields, so it goes into the message.
		return &InputError{File: name, Line: pe.Line, Err: fmt.Errorf("%w (at byte %d of the line)", pe.Err, pe.Column)}
	}
	return &InputError{File: name, Err: err}
}
