package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// rowSource reads one input format row by row.
type rowSource interface {
	// next fills vals (one value per mapping slot) with the next row and
	// returns the line where it starts. A row that cannot be read comes
	// back as a rowError (the caller rejects it and goes on); io.EOF ends
	// the input; any other error stops the conversion.
	next(vals []string) (line int, rerr *rowError, err error)
}

// csvSource reads CSV with a header (or the mapping's column list).
type csvSource struct {
	r        *csv.Reader
	text     *textReader
	index    []int // slot → CSV field index
	width    int   // fields per row
	lastLine int
	repeats  int
}

func newCSVSource(text *textReader, m *Mapping) (*csvSource, error) {
	cr := csv.NewReader(bufio.NewReaderSize(text, 256<<10))
	cr.Comma = m.delimiter
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = m.lazyQuotes
	cr.ReuseRecord = true
	names := m.columnsList
	if m.header {
		h, err := cr.Read()
		if err == io.EOF {
			return nil, errors.New("empty file: no header line")
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read the header: %w", err)
		}
		if l, b, bad := text.check(1, 1+newlines(h)); bad {
			return nil, fmt.Errorf("header: %s", text.invalid(l, b).reason)
		}
		names = make([]string, len(h))
		for i, n := range h {
			n = strings.TrimSpace(n)
			if i == 0 {
				n = strings.TrimPrefix(n, "\ufeff")
			}
			names[i] = n
		}
	}
	pos := map[string]int{}
	for i, n := range names {
		if _, dup := pos[n]; !dup {
			pos[n] = i
		}
	}
	s := &csvSource{r: cr, text: text, index: make([]int, len(m.columns)), width: len(names)}
	var missing []string
	for slot, col := range m.columns {
		i, ok := pos[col]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", col))
			continue
		}
		s.index[slot] = i
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("line 1: the header lacks the mapped column(s) %s", strings.Join(missing, ", "))
	}
	return s, nil
}

func (s *csvSource) next(vals []string) (int, *rowError, error) {
	rec, err := s.r.Read()
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		// The reader has consumed the broken record; reject it and go on.
		// The same line failing over and over would mean no progress.
		if pe.StartLine == s.lastLine {
			if s.repeats++; s.repeats > 3 {
				return pe.StartLine, nil, err
			}
		} else {
			s.lastLine, s.repeats = pe.StartLine, 0
		}
		// The error is at pe.Line, which can lie below StartLine for a
		// quoted field over several lines.
		where := ""
		if pe.Line != pe.StartLine {
			where = fmt.Sprintf(" (at line %d, byte %d)", pe.Line, pe.Column)
		}
		pos := 0
		if pe.Line == pe.StartLine {
			pos = pe.Column
		}
		return pe.StartLine, &rowError{kind: KindBadRow, pos: pos, reason: "unreadable CSV: " + pe.Err.Error() + where}, nil
	}
	if err != nil {
		line, _ := s.r.FieldPos(0)
		return line, nil, err
	}
	line, _ := s.r.FieldPos(0)
	if len(s.text.bad) > 0 {
		if l, b, bad := s.text.check(line, line+newlines(rec)); bad {
			return line, s.text.invalid(l, b), nil
		}
	}
	if len(rec) != s.width {
		return line, &rowError{kind: KindBadRow,
			reason: fmt.Sprintf("%d fields, the header has %d", len(rec), s.width)}, nil
	}
	for slot, i := range s.index {
		vals[slot] = rec[i]
	}
	// vals hold strings of rec, which the reader reuses; csv.Reader
	// allocates new strings for each record even with ReuseRecord (only the
	// slice is reused), so vals stay valid while the row is converted.
	return line, nil, nil
}

// newlines counts the line breaks inside the fields of a record, so that
// the record's last physical line is its first plus the count.
func newlines(rec []string) int {
	n := 0
	for _, f := range rec {
		n += strings.Count(f, "\n")
	}
	return n
}

// jsonlSource reads one JSON object per line; the mapping's columns are its
// top-level keys. Strings are taken as they are, numbers and booleans as
// written, null as empty, and nested objects or arrays as compact JSON.
type jsonlSource struct {
	r       *bufio.Reader
	text    *textReader
	columns []string
	line    int
	buf     []byte
}

func newJSONLSource(text *textReader, columns []string) *jsonlSource {
	return &jsonlSource{r: bufio.NewReaderSize(text, 256<<10), text: text, columns: columns}
}

// readLine returns the next line without its line break; tooLong reports a
// line beyond maxLineBytes, whose rest has been skipped.
func (s *jsonlSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, isPrefix, err := s.r.ReadLine()
		if err != nil {
			if err == io.EOF && (len(s.buf) > 0 || tooLong) {
				return s.buf, tooLong, nil
			}
			return nil, false, err
		}
		if !tooLong {
			if len(s.buf)+len(chunk) > maxLineBytes {
				tooLong = true
				s.buf = s.buf[:0]
			} else {
				s.buf = append(s.buf, chunk...)
			}
		}
		if !isPrefix {
			return s.buf, tooLong, nil
		}
	}
}

func (s *jsonlSource) next(vals []string) (int, *rowError, error) {
	for {
		b, tooLong, err := s.readLine()
		if err != nil {
			return s.line, nil, err
		}
		s.line++
		if tooLong {
			return s.line, &rowError{kind: KindBadRow, reason: fmt.Sprintf("line longer than %d bytes", maxLineBytes)}, nil
		}
		if len(s.text.bad) > 0 {
			if l, b, bad := s.text.check(s.line, s.line); bad {
				return s.line, s.text.invalid(l, b), nil
			}
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue // blank lines are not rows
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return s.line, &rowError{kind: KindBadRow, reason: "not a JSON object: " + err.Error()}, nil
		}
		for slot, col := range s.columns {
			raw, ok := obj[col]
			if !ok {
				vals[slot] = ""
				continue
			}
			v, err := jsonText(raw)
			if err != nil {
				return s.line, &rowError{kind: KindBadRow, column: col, reason: fmt.Sprintf("key %s: %v", col, err)}, nil
			}
			vals[slot] = v
		}
		return s.line, nil, nil
	}
}

// jsonText turns one JSON value into the text a mapping reads.
func jsonText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n':
		return "", nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	return string(raw), nil
}
