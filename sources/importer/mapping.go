package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // mappings name IANA zones; the binary must not depend on the host's zone files
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/riskwatch/riskwatch/schemas"
)

// Input formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// Version modes.
const (
	// VersionsFinal makes one record per row, version 1, with the row's
	// final state.
	VersionsFinal = "final"
	// VersionsOpenClose makes version 1 with status accepted (the case as
	// it was opened) and, when the final status is anything else, version 2
	// with the final state (closed at the close date, for instance).
	VersionsOpenClose = "open_close"
)

// Duplicate case id handling.
const (
	// DuplicatesReject rejects a row whose case id an earlier accepted row
	// of the same file already had. It keeps a 64-bit hash and a line number
	// per accepted row (about 40 bytes a row in a Go map).
	DuplicatesReject = "reject"
	// DuplicatesKeep passes every row on; memory stays constant.
	DuplicatesKeep = "keep"
)

// maxMappingBytes bounds the mapping file.
const maxMappingBytes = 4 << 20

// Mapping is a compiled mapping file: how the rows of one export format
// become records. It is immutable after LoadMapping and safe for concurrent
// use; each Convert call keeps its own state.
type Mapping struct {
	name        string
	description string
	format      string
	encoding    string // "" = detect
	delimiter   rune
	header      bool
	columnsList []string // CSV column names when the file has no header
	lazyQuotes  bool
	source      schemas.Source
	regions     string
	versions    string
	duplicates  string

	// columns are the input columns the mapping reads, by slot; a row is
	// handed around as one value per slot.
	columns []string
	slots   map[string]int

	caseID, gridID, categoryText, summary, assignedUnit, repeatOf *field
	channel, severity, status, satisfaction, category             *field
	reportedAt, occurredAt, dueAt, resolvedAt, feedbackAt         *field
	evaluatedAt                                                   *field
	parties, amount, lat, lon                                     *field
	petition, superiorAssigned, escalated                         *field

	places   []*place
	polygons *polygonsSpec
	placer   *schemas.Placer // set by Open or WithPlacer
}

// WithPlacer returns a copy of the mapping that places rows by coordinates
// with p (Open does this from the mapping's polygons file).
func (m *Mapping) WithPlacer(p *schemas.Placer) *Mapping {
	c := *m
	c.placer = p
	return &c
}

// Name returns the name the mapping was loaded under.
func (m *Mapping) Name() string { return m.name }

// Description returns the mapping's free-text description.
func (m *Mapping) Description() string { return m.description }

// Format returns the input format, FormatCSV or FormatJSONL.
func (m *Mapping) Format() string { return m.format }

// RegionsFile returns the region CSV the mapping names, relative to the
// mapping file, or "" when it names none.
func (m *Mapping) RegionsFile() string { return m.regions }

// Columns returns the input columns the mapping reads, in the order they
// are first referenced. The caller owns the returned slice.
func (m *Mapping) Columns() []string { return append([]string(nil), m.columns...) }

// LoadMapping reads and compiles a mapping file. The YAML is decoded
// strictly: an unknown or duplicate key is an error naming its path (for
// example "fields.summary.from: unknown key"), and every value is checked
// (enums, taxonomy codes, date layouts, time zones, patterns) before any row
// is read. name identifies the mapping in errors.
func LoadMapping(r io.Reader, name string) (*Mapping, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxMappingBytes+1))
	if err != nil {
		return nil, fmt.Errorf("mapping %s: cannot read: %w", name, err)
	}
	if len(b) > maxMappingBytes {
		return nil, fmt.Errorf("mapping %s: larger than %d bytes", name, maxMappingBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("mapping %s: empty file", name)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("mapping %s: invalid YAML: %w", name, err)
	}
	var spec mappingSpec
	if err := decodeStrict(&doc, &spec); err != nil {
		return nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	m, err := compile(&spec, name)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	return m, nil
}

// Open loads the mapping file at name in fsys and the region registry it
// names (its regions key, relative to the mapping file). Use os.DirFS for
// files on disk, or the embedded mappings.FS for the shipped mappings.
func Open(fsys fs.FS, name string) (*Mapping, *schemas.Registry, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open mapping: %w", err)
	}
	m, err := LoadMapping(f, name)
	f.Close()
	if err != nil {
		return nil, nil, err
	}
	if m.regions == "" {
		return nil, nil, fmt.Errorf("mapping %s: no regions file named (key regions)", name)
	}
	rp := path.Join(path.Dir(name), m.regions)
	rf, err := fsys.Open(rp)
	if err != nil {
		return nil, nil, fmt.Errorf("mapping %s: cannot open regions: %w", name, err)
	}
	defer rf.Close()
	reg, err := schemas.LoadCSV(rf, rp)
	if err != nil {
		return nil, nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	if m.polygons != nil {
		pp := path.Join(path.Dir(name), m.polygons.File)
		pf, err := fsys.Open(pp)
		if err != nil {
			return nil, nil, fmt.Errorf("mapping %s: polygons.file: %w", name, err)
		}
		p, err := schemas.LoadPlacer(pf, pp, m.polygons.Code, reg)
		pf.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("mapping %s: polygons: %w", name, err)
		}
		m.placer = p
	}
	if err := m.CheckRegions(reg); err != nil {
		return nil, nil, err
	}
	return m, reg, nil
}

// slot returns the slot of an input column, adding it on first use.
func (m *Mapping) slot(col string) int {
	if i, ok := m.slots[col]; ok {
		return i
	}
	m.slots[col] = len(m.columns)
	m.columns = append(m.columns, col)
	return len(m.columns) - 1
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func compile(s *mappingSpec, name string) (*Mapping, error) {
	m := &Mapping{name: name, description: s.Description, slots: map[string]int{}}

	m.format = s.Format
	if m.format == "" {
		m.format = FormatCSV
	}
	if !oneOf(m.format, FormatCSV, FormatJSONL) {
		return nil, fmt.Errorf("format: %q is not csv or jsonl", s.Format)
	}
	enc, err := parseEncoding(s.Encoding)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	m.encoding = enc
	m.delimiter, m.header = ',', true
	if s.CSV != nil {
		if m.format != FormatCSV {
			return nil, errors.New("csv: only for format csv")
		}
		if s.CSV.Delimiter != "" {
			d := s.CSV.Delimiter
			if d == `\t` {
				d = "\t"
			}
			r, size := utf8.DecodeRuneInString(d)
			if size != len(d) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
				return nil, fmt.Errorf("csv.delimiter: %q is not one character other than a quote or a line break", s.CSV.Delimiter)
			}
			m.delimiter = r
		}
		if s.CSV.Header != nil {
			m.header = *s.CSV.Header
		}
		m.lazyQuotes = s.CSV.LazyQuotes
		switch {
		case m.header && len(s.CSV.Columns) > 0:
			return nil, errors.New("csv.columns: only when csv.header is false (the header names the columns)")
		case !m.header && len(s.CSV.Columns) == 0:
			return nil, errors.New("csv.columns: required when csv.header is false")
		}
		seen := map[string]bool{}
		for i, c := range s.CSV.Columns {
			if c == "" || seen[c] {
				return nil, fmt.Errorf("csv.columns[%d]: %q is empty or repeated", i, c)
			}
			seen[c] = true
		}
		m.columnsList = s.CSV.Columns
	}

	m.source = schemas.SourceImport
	if s.Source != "" {
		e, _ := schemas.EnumFor("source")
		if e.Code(s.Source) == 0 {
			return nil, fmt.Errorf("source: %q is not one of %s", s.Source, strings.Join(e.Values, ", "))
		}
		m.source = schemas.Source(s.Source)
	}
	loc := time.UTC
	if s.Timezone != "" {
		l, err := time.LoadLocation(s.Timezone)
		if err != nil {
			return nil, fmt.Errorf("timezone: %q is not an IANA time zone: %w", s.Timezone, err)
		}
		loc = l
	}
	m.regions = s.Regions
	m.versions = s.Versions
	if m.versions == "" {
		m.versions = VersionsFinal
	}
	if !oneOf(m.versions, VersionsFinal, VersionsOpenClose) {
		return nil, fmt.Errorf("versions: %q is not final or open_close", s.Versions)
	}
	m.duplicates = s.Duplicates
	if m.duplicates == "" {
		m.duplicates = DuplicatesReject
	}
	if !oneOf(m.duplicates, DuplicatesReject, DuplicatesKeep) {
		return nil, fmt.Errorf("duplicates: %q is not reject or keep", s.Duplicates)
	}

	f := &s.Fields
	type def struct {
		dst      **field
		spec     *valueSpec
		name     string
		kind     fieldKind
		required bool
	}
	one := "1"
	if f.Parties == nil {
		f.Parties = &valueSpec{Constant: &one}
	}
	defs := []def{
		{&m.caseID, f.CaseID, "case_id", kindText, true},
		{&m.channel, f.Channel, "channel", kindChannel, false},
		{&m.reportedAt, f.ReportedAt, "reported_at", kindDate, true},
		{&m.occurredAt, f.OccurredAt, "occurred_at", kindDate, false},
		{&m.gridID, f.GridID, "grid_id", kindText, false},
		{&m.lat, f.Lat, "lat", kindLat, false},
		{&m.lon, f.Lon, "lon", kindLon, false},
		{&m.category, f.Category, "category", kindCategory, false},
		{&m.categoryText, f.CategoryText, "category_text", kindText, false},
		{&m.summary, f.Summary, "summary", kindText, false},
		{&m.severity, f.Severity, "severity", kindSeverity, false},
		{&m.parties, f.Parties, "parties", kindParties, false},
		{&m.amount, f.AmountCNY, "amount_cny", kindAmount, false},
		{&m.status, f.Status, "status", kindStatus, true},
		{&m.assignedUnit, f.AssignedUnit, "assigned_unit", kindText, false},
		{&m.dueAt, f.DueAt, "due_at", kindDate, false},
		{&m.resolvedAt, f.ResolvedAt, "resolved_at", kindDate, false},
		{&m.feedbackAt, f.FeedbackAt, "feedback_at", kindDate, false},
		{&m.evaluatedAt, f.EvaluatedAt, "evaluated_at", kindDate, false},
		{&m.satisfaction, f.Satisfaction, "satisfaction", kindSatisfaction, false},
		{&m.repeatOf, f.RepeatOf, "repeat_of", kindText, false},
		{&m.petition, f.Petition, "petition", kindBool, false},
		{&m.superiorAssigned, f.SuperiorAssigned, "superior_assigned", kindBool, false},
		{&m.escalated, f.Escalated, "escalated", kindBool, false},
	}
	for _, d := range defs {
		if d.spec == nil {
			if d.required {
				return nil, fmt.Errorf("fields.%s: required", d.name)
			}
			continue
		}
		fl, err := m.compileField(d.spec, d.name, d.kind, loc)
		if err != nil {
			return nil, err
		}
		*d.dst = fl
	}

	if len(s.Region) == 0 {
		return nil, errors.New("region: required (a list of candidate columns)")
	}
	if s.Polygons != nil {
		if s.Polygons.File == "" || s.Polygons.Code == "" {
			return nil, errors.New("polygons: give file (GeoJSON) and code (the property with the region code)")
		}
		m.polygons = s.Polygons
	}
	for i := range s.Region {
		p, err := m.compilePlace(&s.Region[i], fmt.Sprintf("region[%d]", i))
		if err != nil {
			return nil, err
		}
		m.places = append(m.places, p)
	}
	return m, nil
}

// Date layout names a mapping may use instead of a Go layout.
var layoutNames = map[string]string{
	"date":        "2006-01-02",
	"datetime":    "2006-01-02 15:04:05",
	"rfc3339":     time.RFC3339,
	"us_date":     "01/02/2006",
	"us_datetime": "01/02/2006 03:04:05 PM",
}

func layoutNameList() string {
	var names []string
	for k := range layoutNames {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (m *Mapping) compileField(s *valueSpec, name string, kind fieldKind, loc *time.Location) (*field, error) {
	p := "fields." + name
	f := &field{name: name, kind: kind, slot: -1, loc: loc}
	if kind == kindCategory {
		f.categories = schemas.CategoryByCode()
	}
	sources := 0
	if s.Column != "" {
		sources++
		f.column = s.Column
		f.slot = m.slot(s.Column)
	}
	if s.Constant != nil {
		sources++
		f.constant, f.hasConstant = *s.Constant, true
	}
	if s.Template != "" {
		sources++
		// Column names are taken literally: {Due Date}, {A:B}.
		t, err := parseTemplate(s.Template, func(col string, _ int) (int, error) { return m.slot(col), nil }, false)
		if err != nil {
			return nil, fmt.Errorf("%s.template: %w", p, err)
		}
		f.tmpl = t
	}
	if sources > 1 {
		return nil, fmt.Errorf("%s: give only one of column, constant and template", p)
	}
	if sources == 0 && len(s.Rules) == 0 && s.Default == nil {
		return nil, fmt.Errorf("%s: give a column, a constant, a template, rules or a default", p)
	}
	if len(s.Format) > 0 || s.Timezone != "" {
		if kind != kindDate {
			return nil, fmt.Errorf("%s: format and timezone are only for date fields", p)
		}
	}
	if s.Prefix != "" && kind != kindText {
		return nil, fmt.Errorf("%s.prefix: only for text fields", p)
	}
	if kind == kindDate && (len(s.Rules) > 0 || len(s.Map) > 0 || s.Present != nil) {
		return nil, fmt.Errorf("%s: date fields take no rules, map or present (give the layouts in format)", p)
	}
	if s.Present != nil && len(s.Map) > 0 {
		return nil, fmt.Errorf("%s: give map or present, not both", p)
	}
	f.prefix = s.Prefix
	f.ignoreCase = s.IgnoreCase

	if kind == kindDate {
		if s.Timezone != "" {
			l, err := time.LoadLocation(s.Timezone)
			if err != nil {
				return nil, fmt.Errorf("%s.timezone: %q is not an IANA time zone: %w", p, s.Timezone, err)
			}
			f.loc = l
		}
		formats := s.Format
		if len(formats) == 0 {
			formats = stringList{"rfc3339"}
		}
		for i, fm := range formats {
			layout, ok := layoutNames[fm]
			if !ok {
				if !strings.Contains(fm, "2006") {
					return nil, fmt.Errorf("%s.format[%d]: %q is neither a layout name (%s) nor a Go layout (with 2006 for the year)", p, i, fm, layoutNameList())
				}
				layout = fm
			}
			f.layouts = append(f.layouts, layout)
		}
		f.layoutText = strings.Join(f.layouts, " or ")
	}

	check := func(v, where string) error {
		if err := f.checkValue(v); err != nil {
			return fmt.Errorf("%s.%s: %w", p, where, err)
		}
		return nil
	}
	if f.hasConstant {
		if err := check(f.constant, "constant"); err != nil {
			return nil, err
		}
	}
	for _, opt := range []struct {
		v    *string
		name string
	}{{s.Present, "present"}, {s.Empty, "empty"}, {s.Default, "default"}} {
		if opt.v != nil {
			if err := check(*opt.v, opt.name); err != nil {
				return nil, err
			}
		}
	}
	f.present, f.empty, f.deflt = s.Present, s.Empty, s.Default
	if len(s.Map) > 0 {
		f.mapping = make(map[string]string, 2*len(s.Map))
		keys := make([]string, 0, len(s.Map))
		for k := range s.Map {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		folded := map[string]string{}
		for _, k := range keys {
			v := s.Map[k]
			if err := check(v, "map."+k); err != nil {
				return nil, err
			}
			tk := strings.TrimSpace(k)
			if tk == "" {
				return nil, fmt.Errorf("%s.map: an empty key never matches (use empty: for empty values)", p)
			}
			f.mapping[tk] = v
			if f.ignoreCase {
				lk := strings.ToLower(tk)
				if other, dup := folded[lk]; dup && s.Map[other] != v {
					return nil, fmt.Errorf("%s.map: keys %q and %q differ only in case but map to different values, and ignore_case is set", p, other, k)
				}
				folded[lk] = k
				f.mapping[lk] = v
			}
		}
	} else if s.IgnoreCase && len(s.Rules) == 0 {
		return nil, fmt.Errorf("%s.ignore_case: only with a map (rules always ignore case)", p)
	}
	for i, rs := range s.Rules {
		rp := fmt.Sprintf("%s.rules[%d]", p, i)
		if len(rs.When) == 0 {
			return nil, fmt.Errorf("%s.when: required", rp)
		}
		if err := check(rs.Value, "rules["+strconv.Itoa(i)+"].value"); err != nil {
			return nil, err
		}
		r := rule{value: rs.Value}
		cols := make([]string, 0, len(rs.When))
		for c := range rs.When {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		for _, c := range cols {
			cs := rs.When[c]
			if len(cs.Equals)+len(cs.Contains)+len(cs.Prefix) == 0 && !cs.Empty {
				return nil, fmt.Errorf("%s.when.%s: give equals, contains, prefix or empty", rp, c)
			}
			r.conds = append(r.conds, condition{slot: m.slot(c), equals: trimAll(cs.Equals),
				contains: trimAll(cs.Contains), prefix: trimAll(cs.Prefix), empty: cs.Empty})
		}
		f.rules = append(f.rules, r)
	}
	return f, nil
}

func trimAll(l stringList) []string {
	out := make([]string, 0, len(l))
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Normalizations of a place value.
var normalizers = map[string]func(string) (string, bool){
	"":      func(s string) (string, bool) { return s, true },
	"upper": func(s string) (string, bool) { return strings.ToUpper(s), true },
	"lower": func(s string) (string, bool) { return strings.ToLower(s), true },
	"zip5":  zip5,
}

// zip5 normalizes a US ZIP code: 5 digits, "12345-6789" (ZIP+4) cut to 5,
// and 1 to 4 digits zero-padded on the left (exports that stored ZIPs as
// numbers lost the leading zeros of New England codes). Anything else is
// not a ZIP.
func zip5(s string) (string, bool) {
	if len(s) == 10 && s[5] == '-' && allDigits(s[6:]) {
		s = s[:5]
	}
	if len(s) == 0 || len(s) > 5 || !allDigits(s) {
		return "", false
	}
	if len(s) < 5 {
		s = strings.Repeat("0", 5-len(s)) + s
	}
	return s, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// valueRef is the template reference to a place's whole normalized value.
const valueRef = -1

func (m *Mapping) compilePlace(s *placeSpec, p string) (*place, error) {
	pl := &place{column: s.Column, slot: -1, constant: s.Constant, fallback: s.Fallback}
	if s.Coordinates {
		switch {
		case s.Column != "" || s.Constant != "" || s.Normalize != "" || s.Pattern != "" || len(s.Groups) > 0 || len(s.Map) > 0 || s.Code != "":
			return nil, fmt.Errorf("%s: coordinates: true takes nothing else but fallback", p)
		case m.lat == nil || m.lon == nil:
			return nil, fmt.Errorf("%s: coordinates: true needs fields.lat and fields.lon", p)
		case m.polygons == nil:
			return nil, fmt.Errorf("%s: coordinates: true needs polygons (file and code)", p)
		}
		pl.coordinates, pl.column = true, "coordinates"
		return pl, nil
	}
	switch {
	case s.Column != "" && s.Constant != "":
		return nil, fmt.Errorf("%s: give column or constant, not both", p)
	case s.Column == "" && s.Constant == "":
		return nil, fmt.Errorf("%s: give a column (or a constant region code)", p)
	case s.Constant != "":
		if s.Normalize != "" || s.Pattern != "" || len(s.Groups) > 0 || len(s.Map) > 0 || s.Code != "" {
			return nil, fmt.Errorf("%s: a constant region code takes no normalize, pattern, groups, map or code", p)
		}
		return pl, nil
	}
	pl.slot = m.slot(s.Column)
	norm, ok := normalizers[s.Normalize]
	if !ok {
		return nil, fmt.Errorf("%s.normalize: %q is not upper, lower or zip5", p, s.Normalize)
	}
	pl.normalize = norm
	if s.Map != nil && s.Code != "" {
		return nil, fmt.Errorf("%s: give map or code, not both", p)
	}
	groupIndex := map[string]int{}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return nil, fmt.Errorf("%s.pattern: %w", p, err)
		}
		pl.re = re
		for i, n := range re.SubexpNames() {
			if n != "" {
				groupIndex[n] = i
			}
		}
	}
	if len(s.Groups) > 0 {
		if pl.re == nil {
			return nil, fmt.Errorf("%s.groups: only with a pattern", p)
		}
		pl.groups = map[int]map[string]string{}
		for g, gm := range s.Groups {
			i, ok := groupIndex[g]
			if !ok {
				return nil, fmt.Errorf("%s.groups.%s: the pattern has no group named %s", p, g, g)
			}
			pl.groups[i] = map[string]string{}
			for k, v := range gm {
				nk, ok := norm(strings.TrimSpace(k))
				if !ok {
					return nil, fmt.Errorf("%s.groups.%s.%s: the key is not a valid %s value", p, g, k, s.Normalize)
				}
				pl.groups[i][nk] = v
			}
		}
	}
	if s.Map != nil {
		pl.mapping = map[string]string{}
		for k, v := range s.Map {
			nk, ok := norm(strings.TrimSpace(k))
			if !ok {
				return nil, fmt.Errorf("%s.map.%s: the key is not a valid %s value", p, k, s.Normalize)
			}
			if v == "" {
				return nil, fmt.Errorf("%s.map.%s: empty region code", p, k)
			}
			pl.mapping[nk] = v
		}
	}
	if s.Code != "" {
		t, err := parseTemplate(s.Code, func(name string, pad int) (int, error) {
			if name == "value" {
				return valueRef, nil
			}
			i, ok := groupIndex[name]
			if !ok {
				return 0, fmt.Errorf("{%s}: neither {value} nor a named group of the pattern", name)
			}
			return i, nil
		}, true)
		if err != nil {
			return nil, fmt.Errorf("%s.code: %w", p, err)
		}
		pl.code = t
	}
	return pl, nil
}
