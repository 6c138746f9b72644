package importer

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
)

// Kinds of rejection. They are the stable part of a reject (Stats.ByReason
// counts by kind and column); Reject.Reason carries the detail.
const (
	// KindBadRow: the row cannot be read (broken CSV quoting, a field count
	// other than the header's, invalid JSON, an over-long line).
	KindBadRow = "bad_row"
	// KindBadEncoding: the row holds bytes that are not valid in the
	// file's encoding (declared or detected); they are never replaced.
	KindBadEncoding = "bad_encoding"
	// KindMissing: a required field (case_id, reported_at, status) is empty.
	KindMissing = "missing"
	// KindBadDate: a time does not match the mapping's layouts.
	KindBadDate = "bad_date"
	// KindBadNumber: a number does not parse or is out of range.
	KindBadNumber = "bad_number"
	// KindBadValue: a value is not allowed for its field (an unknown enum
	// value or taxonomy code taken as it is, a bad boolean).
	KindBadValue = "bad_value"
	// KindUnmapped: a value is not in the field's map and there is no default.
	KindUnmapped = "unmapped_value"
	// KindTooLong: a value is longer than the record contract allows.
	KindTooLong = "too_long"
	// KindNoRegion: no candidate column gave a region known to the registry.
	KindNoRegion = "no_region"
	// KindTimeOrder: a closing time lies before reported_at.
	KindTimeOrder = "time_order"
	// KindDuplicate: an earlier row of the same file had this case id.
	KindDuplicate = "duplicate_case_id"
)

// MaxKeptRejects bounds Stats.Rejects when Convert collects the rejects.
const MaxKeptRejects = 1000

// maxLineBytes bounds one JSONL line.
const maxLineBytes = 16 << 20

// Reject is one row that did not become a record.
type Reject struct {
	File string
	// Line is the physical line of the file where the row starts (1-based;
	// the CSV header is line 1).
	Line int
	// Kind is one of the Kind constants.
	Kind string
	// Column is the input column at fault, or "" when no single column is.
	Column string
	// Reason says what is wrong, naming the column and quoting the value:
	// `column OPENDATE: "2019-13-01" does not match 2006-01-02`.
	Reason string
	// Pos is the 1-based column in the line where the fault was found: the
	// character of the first invalid byte of a bad_encoding reject, the
	// byte (as encoding/csv counts) of broken CSV quoting; 0 when the fault
	// is a whole value rather than a place in the line.
	Pos int
}

// Key is the Stats.ByReason key of the reject: its kind, with the column
// in parentheses when there is one ("bad_date(OPENDATE)").
func (r Reject) Key() string {
	if r.Column == "" {
		return r.Kind
	}
	return r.Kind + "(" + r.Column + ")"
}

// String formats the reject as file:line: reason, or file:line:pos: reason
// when the fault has a position in the line. The reason names the column.
func (r Reject) String() string {
	if r.Pos > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", r.File, r.Line, r.Pos, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
}

// Unmapped is a value a field's map did not know, replaced by the field's
// default in accepted rows.
type Unmapped struct {
	Field   string // record field (category, status …)
	Column  string // input column, "" for templates
	Value   string // the raw value
	Default string // what the row got instead
}

// String says what happened to the value, without the count.
func (u Unmapped) String() string {
	where := "field " + u.Field
	if u.Column != "" {
		where = "column " + u.Column
	}
	d := u.Default
	if d == "" {
		d = "(empty)"
	}
	return fmt.Sprintf("%s %s is not in the %s value map → %s", where, quote(u.Value), u.Field, d)
}

// maxUnmappedKeys bounds Stats.Unmapped; further distinct values are counted
// in Stats.UnmappedOther.
const maxUnmappedKeys = 1000

// Stats sums up one Convert call.
type Stats struct {
	File string
	// Rows is the number of data rows read (the header and blank JSONL lines
	// are not rows). Rows = accepted rows + Rejected.
	Rows int
	// Records is the number of records emitted; with versions open_close a
	// row can make two.
	Records int
	// Rejected is the number of rows rejected.
	Rejected int
	// ByReason counts rejected rows by Reject.Key.
	ByReason map[string]int
	// ByRegionColumn counts accepted rows by the candidate column (or
	// "constant") that gave their region.
	ByRegionColumn map[string]int
	// Defaults counts accepted rows whose field took the mapping's default,
	// by field name: a high count means the map misses common values.
	Defaults map[string]int
	// Unmapped counts accepted rows by the value a field's map did not know
	// (the default stood in), for at most maxUnmappedKeys distinct values;
	// UnmappedOther counts the rows of the values beyond them.
	Unmapped      map[Unmapped]int
	UnmappedOther int
	// Dropped counts values left out of accepted records, by reason key.
	// Closing values (resolved_at, feedback_at, evaluated_at, satisfaction)
	// are kept only when the final status closes the case.
	Dropped map[string]int
	// Rejects holds the first MaxKeptRejects rejects when Convert collects
	// them; it is empty with ConvertFunc, which hands every reject over.
	Rejects []Reject
}

func newStats(file string) Stats {
	return Stats{File: file, ByReason: map[string]int{}, ByRegionColumn: map[string]int{},
		Defaults: map[string]int{}, Dropped: map[string]int{}, Unmapped: map[Unmapped]int{}}
}

// Add adds the counts of o to s (for a total over several files; the zero
// Stats is a valid start); File and Rejects are left as they are.
func (s *Stats) Add(o Stats) {
	if s.ByReason == nil {
		t := newStats(s.File)
		t.Rows, t.Records, t.Rejected, t.UnmappedOther, t.Rejects = s.Rows, s.Records, s.Rejected, s.UnmappedOther, s.Rejects
		*s = t
	}
	s.Rows += o.Rows
	s.Records += o.Records
	s.Rejected += o.Rejected
	s.UnmappedOther += o.UnmappedOther
	for _, m := range []struct{ dst, src map[string]int }{{s.ByReason, o.ByReason},
		{s.ByRegionColumn, o.ByRegionColumn}, {s.Defaults, o.Defaults}, {s.Dropped, o.Dropped}} {
		for k, n := range m.src {
			m.dst[k] += n
		}
	}
	for k, n := range o.Unmapped {
		if _, ok := s.Unmapped[k]; ok || len(s.Unmapped) < maxUnmappedKeys {
			s.Unmapped[k] += n
		} else {
			s.UnmappedOther += n
		}
	}
}

// UnmappedReport lists the unmapped values, most rows first, one line each:
// `21 rows: column TYPE "SMALL BUSINESS" is not in the category value map → other`.
func (s *Stats) UnmappedReport() []string {
	type kv struct {
		u Unmapped
		n int
	}
	l := make([]kv, 0, len(s.Unmapped))
	for u, n := range s.Unmapped {
		l = append(l, kv{u, n})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].u.String() < l[j].u.String()
	})
	out := make([]string, 0, len(l)+1)
	for _, e := range l {
		out = append(out, fmt.Sprintf("%d %s: %s", e.n, rowsWord(e.n), e.u))
	}
	if s.UnmappedOther > 0 {
		out = append(out, fmt.Sprintf("%d %s: further unmapped values (not listed)", s.UnmappedOther, rowsWord(s.UnmappedOther)))
	}
	return out
}

func rowsWord(n int) string {
	if n == 1 {
		return "row"
	}
	return "rows"
}

// rowError is why one row is rejected.
type rowError struct {
	kind   string
	column string
	reason string
	pos    int // 1-based column in the line (see Reject.Pos), 0 when none
}

// Convert reads rows from r (named file in rejects), turns each into one or
// two records and hands them to emit in row order. Rows that cannot make a
// valid record are rejected, never dropped: they are counted in Stats and
// the first MaxKeptRejects are kept in Stats.Rejects. Memory stays bounded
// by the longest row, plus a hash per accepted row when the mapping rejects
// duplicate case ids. An error from emit stops the conversion and is
// returned, as are read errors and a header that lacks a mapped column.
func (m *Mapping) Convert(r io.Reader, file string, reg *schemas.Registry, emit func(schemas.Record) error) (Stats, error) {
	var kept []Reject
	st, err := m.ConvertFunc(r, file, reg, emit, func(rj Reject) error {
		if len(kept) < MaxKeptRejects {
			kept = append(kept, rj)
		}
		return nil
	})
	st.Rejects = kept
	return st, err
}

// ConvertFunc is Convert with every reject handed to reject as it happens
// (to list them all, or write them to a file). An error from reject stops
// the conversion like one from emit.
func (m *Mapping) ConvertFunc(r io.Reader, file string, reg *schemas.Registry, emit func(schemas.Record) error, reject func(Reject) error) (Stats, error) {
	st := newStats(file)
	if reg == nil {
		return st, errors.New("no region registry")
	}
	if err := m.CheckRegions(reg); err != nil {
		return st, err
	}
	text, err := newTextReader(r, m.encoding)
	if err != nil {
		return st, fmt.Errorf("%s: %w", file, err)
	}
	var src rowSource
	switch m.format {
	case FormatJSONL:
		src = newJSONLSource(text, m.columns)
	default:
		src, err = newCSVSource(text, m)
		if err != nil {
			return st, fmt.Errorf("%s: %w", file, err)
		}
	}
	c := &converter{m: m, reg: reg, st: &st, cache: make([]map[string]string, len(m.places))}
	if m.duplicates == DuplicatesReject {
		c.seen = map[uint64]int{}
		c.seed = maphash.MakeSeed()
	}
	vals := make([]string, len(m.columns))
	for {
		line, rerr, err := src.next(vals)
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("%s line %d: cannot read: %w", file, line, err)
		}
		st.Rows++
		var recs [2]schemas.Record
		n := 0
		if rerr == nil {
			n, rerr = c.row(vals, line, &recs)
		}
		if rerr != nil {
			st.Rejected++
			rj := Reject{File: file, Line: line, Pos: rerr.pos, Kind: rerr.kind, Column: rerr.column, Reason: rerr.reason}
			st.ByReason[rj.Key()]++
			if err := reject(rj); err != nil {
				return st, fmt.Errorf("%s line %d: %w", file, line, err)
			}
			continue
		}
		for i := 0; i < n; i++ {
			if err := emit(recs[i]); err != nil {
				return st, fmt.Errorf("%s line %d: cannot emit: %w", file, line, err)
			}
			st.Records++
		}
	}
}

// converter holds the state of one Convert call.
type converter struct {
	m   *Mapping
	reg *schemas.Registry
	st  *Stats
	// cache remembers, per candidate, the region code of a raw value ("" when
	// it gave none), so that repeated ZIPs cost one map lookup.
	cache []map[string]string
	seen  map[uint64]int // case id hash → line of its accepted row
	seed  maphash.Seed
}

// maxCachedValues bounds each candidate's cache.
const maxCachedValues = 1 << 16

// Bounds of the record contract (record.schema.json), in characters.
var maxChars = map[string]int{
	"case_id": 128, "grid_id": 64, "category_text": 1024, "summary": 65536,
	"assigned_unit": 256, "repeat_of": 128,
}

// isFinal reports whether a status closes the case.
func isFinal(s schemas.Status) bool {
	return s == schemas.StatusResolved || s == schemas.StatusFailed || s == schemas.StatusClosed
}

// row builds the records of one row into out and returns how many it made.
// Fields are checked in the order of the record contract, so a row with
// several faults is rejected for the first.
func (c *converter) row(vals []string, line int, out *[2]schemas.Record) (int, *rowError) {
	m := c.m
	defaults := make([]string, 0, 2)
	var unmapped []Unmapped
	text := func(f *field) (string, *rowError) {
		if f == nil {
			return "", nil
		}
		v, def, miss, err := f.value(vals)
		if err != nil {
			return "", err
		}
		if def {
			defaults = append(defaults, f.name)
			if miss != "" {
				unmapped = append(unmapped, Unmapped{Field: f.name, Column: f.column, Value: miss, Default: v})
			}
		}
		if limit, ok := maxChars[f.name]; ok && len(v) > limit && utf8.RuneCountInString(v) > limit {
			return "", &rowError{kind: KindTooLong, column: f.column,
				reason: fmt.Sprintf("%s: %d characters, the contract allows %d", f.where(), utf8.RuneCountInString(v), limit)}
		}
		return v, nil
	}
	enum := func(f *field) (string, *rowError) {
		v, err := text(f)
		if err != nil || v == "" {
			return v, err
		}
		if cerr := f.checkValue(v); cerr != nil {
			return "", &rowError{kind: KindBadValue, column: f.column, reason: f.where() + ": " + cerr.Error()}
		}
		return v, nil
	}
	date := func(f *field) (*time.Time, *rowError) {
		v, err := text(f)
		if err != nil || v == "" {
			return nil, err
		}
		t, perr := f.parseDate(v)
		if perr != nil {
			return nil, &rowError{kind: KindBadDate, column: f.column, reason: f.where() + ": " + perr.Error()}
		}
		return &t, nil
	}
	number := func(f *field) (float64, bool, *rowError) {
		v, err := text(f)
		if err != nil || v == "" {
			return 0, false, err
		}
		x, perr := f.parseNumber(v)
		if perr != nil {
			return 0, false, &rowError{kind: KindBadNumber, column: f.column, reason: f.where() + ": " + perr.Error()}
		}
		return x, true, nil
	}
	boolean := func(f *field) (bool, *rowError) {
		v, err := text(f)
		if err != nil || v == "" {
			return false, err
		}
		b, perr := parseBool(v)
		if perr != nil {
			return false, &rowError{kind: KindBadValue, column: f.column, reason: f.where() + ": " + perr.Error()}
		}
		return b, nil
	}
	missing := func(f *field) *rowError {
		return &rowError{kind: KindMissing, column: f.column, reason: fmt.Sprintf("%s: empty, and %s is required", f.where(), f.name)}
	}

	r := &out[0]
	*r = schemas.Record{Version: 1, Source: m.source}
	var err *rowError
	if r.CaseID, err = text(m.caseID); err != nil {
		return 0, err
	}
	if r.CaseID == "" {
		return 0, missing(m.caseID)
	}
	var s string
	if s, err = enum(m.channel); err != nil {
		return 0, err
	}
	r.Channel = schemas.Channel(s)
	reported, err := date(m.reportedAt)
	if err != nil {
		return 0, err
	}
	if reported == nil {
		return 0, missing(m.reportedAt)
	}
	r.ReportedAt = *reported
	if r.OccurredAt, err = date(m.occurredAt); err != nil {
		return 0, err
	}
	// Coordinates are read before the region, which they can give.
	for _, ll := range []struct {
		f   *field
		dst **float64
	}{{m.lat, &r.Lat}, {m.lon, &r.Lon}} {
		x, ok, err := number(ll.f)
		if err != nil {
			return 0, err
		}
		if ok {
			*ll.dst = &x
		}
	}
	code, via, err := c.region(vals, r.Lat, r.Lon)
	if err != nil {
		return 0, err
	}
	r.RegionCode = code
	if r.GridID, err = text(m.gridID); err != nil {
		return 0, err
	}
	if r.Category, err = enum(m.category); err != nil {
		return 0, err
	}
	if r.CategoryText, err = text(m.categoryText); err != nil {
		return 0, err
	}
	if r.Summary, err = text(m.summary); err != nil {
		return 0, err
	}
	if s, err = enum(m.severity); err != nil {
		return 0, err
	}
	r.Severity = schemas.Severity(s)
	parties, ok, err := number(m.parties)
	if err != nil {
		return 0, err
	}
	if !ok {
		// parties is required by the contract; an empty cell means one party.
		parties = 1
	}
	r.Parties = uint32(parties)
	if r.AmountCNY, _, err = number(m.amount); err != nil {
		return 0, err
	}
	if s, err = enum(m.status); err != nil {
		return 0, err
	}
	if s == "" {
		return 0, missing(m.status)
	}
	r.Status = schemas.Status(s)
	if r.AssignedUnit, err = text(m.assignedUnit); err != nil {
		return 0, err
	}
	if r.DueAt, err = date(m.dueAt); err != nil {
		return 0, err
	}
	for _, cl := range []struct {
		f   *field
		dst **time.Time
	}{{m.resolvedAt, &r.ResolvedAt}, {m.feedbackAt, &r.FeedbackAt}, {m.evaluatedAt, &r.EvaluatedAt}} {
		t, err := date(cl.f)
		if err != nil {
			return 0, err
		}
		if t != nil && t.Before(r.ReportedAt) {
			return 0, &rowError{kind: KindTimeOrder, column: cl.f.column,
				reason: fmt.Sprintf("%s: %s is %s %s before reported_at %s", cl.f.where(), cl.f.name,
					t.Format(time.RFC3339), r.ReportedAt.Sub(*t), r.ReportedAt.Format(time.RFC3339))}
		}
		*cl.dst = t
	}
	if s, err = enum(m.satisfaction); err != nil {
		return 0, err
	}
	r.Satisfaction = schemas.Satisfaction(s)
	if r.RepeatOf, err = text(m.repeatOf); err != nil {
		return 0, err
	}
	if r.Petition, err = boolean(m.petition); err != nil {
		return 0, err
	}
	if r.SuperiorAssigned, err = boolean(m.superiorAssigned); err != nil {
		return 0, err
	}
	if r.Escalated, err = boolean(m.escalated); err != nil {
		return 0, err
	}

	if c.seen != nil {
		h := maphash.String(c.seed, r.CaseID)
		if first, dup := c.seen[h]; dup {
			return 0, &rowError{kind: KindDuplicate, column: m.caseID.column,
				reason: fmt.Sprintf("%s: duplicate case id %s (first at line %d)", m.caseID.where(), quote(r.CaseID), first)}
		}
		c.seen[h] = line
	}

	// The row is accepted from here on: count what it used.
	c.st.ByRegionColumn[via]++
	for _, d := range defaults {
		c.st.Defaults[d]++
	}
	for _, u := range unmapped {
		if _, ok := c.st.Unmapped[u]; ok || len(c.st.Unmapped) < maxUnmappedKeys {
			c.st.Unmapped[u]++
		} else {
			c.st.UnmappedOther++
		}
	}
	if !isFinal(r.Status) {
		if r.ResolvedAt != nil {
			c.st.Dropped["resolved_at: status "+string(r.Status)+" is not final"]++
			r.ResolvedAt = nil
		}
		if r.FeedbackAt != nil {
			c.st.Dropped["feedback_at: status "+string(r.Status)+" is not final"]++
			r.FeedbackAt = nil
		}
		if r.EvaluatedAt != nil {
			c.st.Dropped["evaluated_at: status "+string(r.Status)+" is not final"]++
			r.EvaluatedAt = nil
		}
		if r.Satisfaction != "" {
			c.st.Dropped["satisfaction: status "+string(r.Status)+" is not final"]++
			r.Satisfaction = ""
		}
	}
	// updated_at: an import holds history, so its versions count from when
	// they happened, not from the import. One version stands for the case
	// from its report on; with open/close versions the closing one counts
	// from the latest of its times.
	reportedAt := r.ReportedAt
	r.UpdatedAt = &reportedAt
	if m.versions == VersionsOpenClose && r.Status != schemas.StatusAccepted {
		out[1] = *r
		out[1].Version = 2
		closed := reportedAt
		for _, t := range []*time.Time{r.ResolvedAt, r.FeedbackAt, r.EvaluatedAt} {
			if t != nil && t.After(closed) {
				closed = *t
			}
		}
		out[1].UpdatedAt = &closed
		r.Status = schemas.StatusAccepted
		r.ResolvedAt, r.FeedbackAt, r.EvaluatedAt, r.Satisfaction = nil, nil, nil, ""
		return 2, nil
	}
	return 1, nil
}

// region tries the candidates in order and returns the first code the
// registry knows, with the column that gave it.
func (c *converter) region(vals []string, lat, lon *float64) (code, via string, err *rowError) {
	given := false // an earlier non-fallback candidate had a value
	for i, p := range c.m.places {
		if p.coordinates {
			if lat == nil || lon == nil || (p.fallback && given) || c.m.placer == nil {
				continue
			}
			given = given || !p.fallback
			if code, ok := c.m.placer.Place(*lon, *lat); ok {
				return code, "coordinates", nil
			}
			continue
		}
		if p.constant != "" {
			// CheckRegions made sure the registry knows it.
			code, _ := c.reg.Normalize(p.constant)
			return code, "constant", nil
		}
		raw := strings.TrimSpace(vals[p.slot])
		if raw == "" {
			continue
		}
		if p.fallback && given {
			continue
		}
		if !p.fallback {
			given = true
		}
		code, hit := c.cache[i][raw]
		if !hit {
			code, _ = p.resolve(raw)
			if code != "" {
				// The same normalisation as at ingest: a 6-digit county or
				// 9-digit town code stands for its 12-digit code.
				code, _ = c.reg.Normalize(code)
			}
			if c.cache[i] == nil {
				c.cache[i] = map[string]string{}
			}
			if len(c.cache[i]) < maxCachedValues {
				c.cache[i][raw] = code
			}
		}
		if code != "" {
			return code, p.column, nil
		}
	}
	return "", "", &rowError{kind: KindNoRegion, reason: c.explainRegion(vals, lat, lon)}
}

// CheckRegions checks the mapping's constant region codes against a
// registry (normalised as at ingest: a 6-digit county code stands for its
// 12-digit code), so that a wrong constant fails before any row is read.
func (m *Mapping) CheckRegions(reg *schemas.Registry) error {
	for i, p := range m.places {
		if p.coordinates && m.placer == nil {
			return fmt.Errorf("mapping %s: region[%d]: coordinates: true, but no polygons are loaded (Open loads polygons.file)", m.name, i)
		}
		if p.constant == "" {
			continue
		}
		if _, ok := reg.Normalize(p.constant); !ok {
			return fmt.Errorf("mapping %s: region[%d].constant: %s is not in the region registry", m.name, i, p.constant)
		}
	}
	return nil
}

// explainRegion says, candidate by candidate, why a row got no region. It
// runs only for rejected rows.
func (c *converter) explainRegion(vals []string, lat, lon *float64) string {
	var parts []string
	given := false
	for _, p := range c.m.places {
		if p.coordinates {
			switch {
			case lat == nil || lon == nil:
				parts = append(parts, "no coordinates")
			case c.m.placer == nil:
				parts = append(parts, "no polygons loaded for coordinates")
			case p.fallback && given:
				parts = append(parts, "coordinates not used (a place was given)")
			default:
				given = given || !p.fallback
				parts = append(parts, fmt.Sprintf("coordinates %g,%g lie in no polygon", *lat, *lon))
			}
			continue
		}
		if p.constant != "" {
			parts = append(parts, fmt.Sprintf("constant %s is not in the registry", p.constant))
			continue
		}
		raw := strings.TrimSpace(vals[p.slot])
		switch {
		case raw == "":
			parts = append(parts, fmt.Sprintf("column %s is empty", p.column))
		case p.fallback && given:
			parts = append(parts, fmt.Sprintf("column %s not used (a place was given)", p.column))
		default:
			if !p.fallback {
				given = true
			}
			code, err := p.resolve(raw)
			if err != nil {
				parts = append(parts, fmt.Sprintf("column %s: %s", p.column, err))
			} else {
				parts = append(parts, fmt.Sprintf("column %s: %s gives %s, not in the registry", p.column, quote(raw), code))
			}
		}
	}
	return "no known region: " + strings.Join(parts, "; ")
}
