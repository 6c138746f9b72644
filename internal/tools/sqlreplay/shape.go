package main

import (
	"regexp"
	"strings"
)

var (
	spaces = regexp.MustCompile(`\s+`)
	// Lists of values: IN (…) and array literals.
	inList    = regexp.MustCompile(`(?i)\bIN ?\(\?(?: ?, ?\?)*\)`)
	arrayList = regexp.MustCompile(`\[\?(?: ?, ?\?)*\]`)
)

// shape is a statement's text with its literal values taken out: every
// quoted string and number becomes ?, an IN list or array literal of them
// one (?) or [?], and runs of white space one space. Statements of one
// shape differ only in values, bound (the ? of the recorded text) or
// written in; identifiers, quoted with backquotes or double quotes, names
// holding digits and comments are kept.
func shape(q string) string {
	var b strings.Builder
	b.Grow(len(q))
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			for i++; i < len(q) && q[i] != '\''; i++ {
				if q[i] == '\\' {
					i++
				}
			}
			b.WriteByte('?')
		case c == '`' || c == '"':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				b.WriteString(q[i:])
				i = len(q)
				continue
			}
			b.WriteString(q[i : i+j+2])
			i += j + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			// A comment runs to the end of its line.
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c >= '0' && c <= '9' && (i == 0 || !identByte(q[i-1])):
			for i+1 < len(q) && (identByte(q[i+1]) || q[i+1] == '.' ||
				((q[i+1] == '+' || q[i+1] == '-') && (q[i] == 'e' || q[i] == 'E'))) {
				i++
			}
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	s := spaces.ReplaceAllString(strings.TrimSpace(b.String()), " ")
	s = strings.NewReplacer("( ", "(", " )", ")", "[ ", "[", " ]", "]").Replace(s)
	s = inList.ReplaceAllString(s, "IN (?)")
	return arrayList.ReplaceAllString(s, "[?]")
}

func identByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
