package importer

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// fieldKind is what a record field holds, which decides how its text value
// is checked and converted.
type fieldKind int

const (
	kindText fieldKind = iota
	kindChannel
	kindSeverity
	kindStatus
	kindSatisfaction
	kindCategory
	kindDate
	kindParties
	kindAmount
	kindLat
	kindLon
	kindBool
)

// enumField names the schemas enum of an enumerated kind.
var enumField = map[fieldKind]string{
	kindChannel:      "channel",
	kindSeverity:     "severity",
	kindStatus:       "status",
	kindSatisfaction: "satisfaction",
}

// field is one compiled record field.
type field struct {
	name string
	kind fieldKind

	column      string // input column, "" for constants and templates
	slot        int    // slot of column, -1 when none
	constant    string
	hasConstant bool
	tmpl        *template
	rules       []rule
	mapping     map[string]string // with lower-cased keys too when ignoreCase
	ignoreCase  bool
	present     *string
	empty       *string
	deflt       *string
	prefix      string

	categories map[string]schemas.Category // the taxonomy in force when the mapping loaded

	layouts    []string // date fields
	layoutText string   // the layouts as a reject reason names them
	loc        *time.Location
}

// where names the origin of the field's value in a reject reason.
func (f *field) where() string {
	if f.column != "" {
		return "column " + f.column
	}
	return "field " + f.name
}

// checkValue checks a value written in the mapping (constant, map value,
// default …) against the field's kind, so that a typo fails at load time.
// The empty value means "absent" and is always allowed here.
func (f *field) checkValue(v string) error {
	if v == "" {
		return nil
	}
	switch f.kind {
	case kindText:
		return nil
	case kindCategory:
		if _, ok := f.categories[v]; !ok {
			return fmt.Errorf("%q is not a taxonomy code", v)
		}
		return nil
	case kindDate:
		_, err := f.parseDate(v)
		return err
	case kindParties, kindAmount, kindLat, kindLon:
		_, err := f.parseNumber(v)
		return err
	case kindBool:
		_, err := parseBool(v)
		return err
	}
	e, _ := schemas.EnumFor(enumField[f.kind])
	if e.Code(v) == 0 {
		return fmt.Errorf("%q is not a %s (%s)", v, e.Field, strings.Join(e.Values, ", "))
	}
	return nil
}

// value computes the field's text for one row. usedDefault reports that the
// mapping's default stood in for a missing or unmapped value; unmapped is
// the raw value the map did not know when the default stood in for it.
func (f *field) value(vals []string) (v string, usedDefault bool, unmapped string, err *rowError) {
	for i := range f.rules {
		if f.rules[i].matches(vals) {
			return f.rules[i].value, false, "", nil
		}
	}
	var raw string
	switch {
	case f.slot >= 0:
		raw = strings.TrimSpace(vals[f.slot])
	case f.hasConstant:
		raw = f.constant
	case f.tmpl != nil:
		raw = strings.TrimSpace(f.tmpl.render(func(ref int) string { return strings.TrimSpace(vals[ref]) }))
	}
	if raw == "" {
		switch {
		case f.empty != nil:
			return *f.empty, false, "", nil
		case f.deflt != nil:
			return *f.deflt, true, "", nil
		}
		return "", false, "", nil
	}
	if f.present != nil {
		return *f.present, false, "", nil
	}
	if f.mapping != nil {
		if v, ok := f.mapping[raw]; ok {
			return v, false, "", nil
		}
		if f.ignoreCase {
			if v, ok := f.mapping[strings.ToLower(raw)]; ok {
				return v, false, "", nil
			}
		}
		if f.deflt != nil {
			return *f.deflt, true, raw, nil
		}
		return "", false, "", &rowError{kind: KindUnmapped, column: f.column,
			reason: fmt.Sprintf("%s: %s is not in the %s map and there is no default", f.where(), quote(raw), f.name)}
	}
	if f.prefix != "" {
		raw = f.prefix + raw
	}
	return raw, false, "", nil
}

// parseDate reads a time with the field's layouts in its zone.
func (f *field) parseDate(v string) (time.Time, error) {
	for _, l := range f.layouts {
		if t, err := time.ParseInLocation(l, v, f.loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s does not match %s", quote(v), f.layoutText)
}

// parseNumber reads a number and checks the field's range.
func (f *field) parseNumber(v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%s is not a number", quote(v))
	}
	switch f.kind {
	case kindParties:
		if x < 1 || x > math.MaxUint32 || x != math.Trunc(x) {
			return 0, fmt.Errorf("%s is not a whole number of parties of at least 1", quote(v))
		}
	case kindAmount:
		if x < 0 {
			return 0, fmt.Errorf("%s is a negative amount", quote(v))
		}
	case kindLat:
		if x < -90 || x > 90 {
			return 0, fmt.Errorf("%s is not a latitude (-90 to 90)", quote(v))
		}
	case kindLon:
		if x < -180 || x > 180 {
			return 0, fmt.Errorf("%s is not a longitude (-180 to 180)", quote(v))
		}
	}
	return x, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s is not true or false", quote(v))
}

// quote quotes a value for a reject reason, shortened: reasons are logged
// and counted, and an over-long cell should not flood them.
func quote(v string) string {
	const limit = 60
	if len(v) > limit {
		cut := limit
		for cut > 0 && !isRuneStart(v[cut]) {
			cut--
		}
		return strconv.Quote(v[:cut]) + "…"
	}
	return strconv.Quote(v)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// rule gives value when every condition holds.
type rule struct {
	conds []condition
	value string
}

func (r *rule) matches(vals []string) bool {
	for i := range r.conds {
		if !r.conds[i].holds(strings.TrimSpace(vals[r.conds[i].slot])) {
			return false
		}
	}
	return true
}

// condition tests one column; comparisons ignore case.
type condition struct {
	slot     int
	equals   []string
	contains []string
	prefix   []string
	empty    bool
}

func (c *condition) holds(v string) bool {
	if v == "" {
		return c.empty
	}
	for _, e := range c.equals {
		if strings.EqualFold(v, e) {
			return true
		}
	}
	for _, p := range c.prefix {
		if len(v) >= len(p) && strings.EqualFold(v[:len(p)], p) {
			return true
		}
	}
	for _, s := range c.contains {
		if containsFold(v, s) {
			return true
		}
	}
	return false
}

// containsFold reports whether sub occurs in s, ignoring case, without
// allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// template is "{A}: {B}"-style text. Literal text between two placeholders
// is a separator: it is written only when a value was written before it and
// the value right after it is not empty, so "{A}: {B}" gives "A: B", "A" or
// "B". Text before the first and after the last placeholder is always
// written, unless every placeholder is empty: then the result is empty.
// "{{" and "}}" stand for literal braces.
type template struct {
	parts []tmplPart
}

type tmplPart struct {
	lit   string
	ref   int // slot, named-group index or valueRef
	pad   int // zero-pad the value to this many characters
	isRef bool
}

var padSuffix = regexp.MustCompile(`^(.+):([1-9][0-9]?)$`)

// parseTemplate parses text with {name} placeholders; resolve turns a name
// (and, when allowPad, the N of {name:N}) into a reference.
func parseTemplate(s string, resolve func(name string, pad int) (int, error), allowPad bool) (*template, error) {
	t := &template{}
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "{{"):
			lit.WriteByte('{')
			i += 2
		case strings.HasPrefix(s[i:], "}}"):
			lit.WriteByte('}')
			i += 2
		case s[i] == '}':
			return nil, fmt.Errorf("%q: unmatched } (write }} for a brace)", s)
		case s[i] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%q: unclosed {", s)
			}
			name := s[i+1 : i+end]
			pad := 0
			if allowPad {
				if m := padSuffix.FindStringSubmatch(name); m != nil {
					name = m[1]
					pad, _ = strconv.Atoi(m[2])
				}
			}
			if strings.TrimSpace(name) == "" || strings.ContainsRune(name, '{') {
				return nil, fmt.Errorf("%q: empty or nested placeholder", s)
			}
			ref, err := resolve(name, pad)
			if err != nil {
				return nil, err
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, tmplPart{lit: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, tmplPart{ref: ref, pad: pad, isRef: true})
			i += end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tmplPart{lit: lit.String()})
	}
	refs := 0
	for _, p := range t.parts {
		if p.isRef {
			refs++
		}
	}
	if refs == 0 {
		return nil, fmt.Errorf("%q: no {placeholder} (use constant for fixed text)", s)
	}
	return t, nil
}

// render fills the template; get returns the value of a reference.
func (t *template) render(get func(ref int) string) string {
	var b strings.Builder
	wrote := false // a placeholder value has been written
	seenRef := false
	for i, p := range t.parts {
		if !p.isRef {
			isSeparator := seenRef && i+1 < len(t.parts)
			if !isSeparator {
				b.WriteString(p.lit)
				continue
			}
			if wrote && get(t.parts[i+1].ref) != "" {
				b.WriteString(p.lit)
			}
			continue
		}
		seenRef = true
		v := get(p.ref)
		if v == "" {
			continue
		}
		if p.pad > len(v) {
			b.WriteString(strings.Repeat("0", p.pad-len(v)))
		}
		b.WriteString(v)
		wrote = true
	}
	if !wrote {
		return ""
	}
	return b.String()
}

// place is one compiled region candidate.
type place struct {
	column    string
	slot      int
	constant  string
	normalize func(string) (string, bool)
	re        *regexp.Regexp
	groups    map[int]map[string]string
	mapping   map[string]string
	code      *template
	fallback  bool
	// coordinates places the row by its lat/lon in the mapping's polygons.
	coordinates bool
}

// resolve turns a non-empty raw value into a region code, or explains why
// it cannot. It does not consult the registry.
func (p *place) resolve(raw string) (string, error) {
	v, ok := p.normalize(raw)
	if !ok {
		return "", fmt.Errorf("%s is not a well-formed value", quote(raw))
	}
	var sub []string
	if p.re != nil {
		sub = p.re.FindStringSubmatch(v)
		if sub == nil {
			return "", fmt.Errorf("%s does not match the pattern", quote(raw))
		}
		for i, gm := range p.groups {
			mv, ok := gm[sub[i]]
			if !ok {
				return "", fmt.Errorf("%s: %s is not in the group map", quote(raw), quote(sub[i]))
			}
			sub[i] = mv
		}
	}
	switch {
	case p.mapping != nil:
		c, ok := p.mapping[v]
		if !ok {
			return "", fmt.Errorf("%s is not in the map", quote(raw))
		}
		return c, nil
	case p.code != nil:
		return p.code.render(func(ref int) string {
			if ref == valueRef {
				return v
			}
			return sub[ref]
		}), nil
	}
	return v, nil
}
