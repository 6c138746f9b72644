package transform

import (
	"fmt"

	"github.com/riskwatch/riskwatch/schemas"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is the deepest nesting accepted, the limit encoding/json uses.
const maxDepth = 10000

// tok is the JSON type of the value that starts at the scanner's position,
// told by its first byte; tokInvalid when no value can start there.
type tok uint8

const (
	tokInvalid tok = iota
	tokString
	tokNumber
	tokTrue
	tokFalse
	tokNull
	tokArray
	tokObject
)

// String names the JSON type for error details.
func (t tok) String() string {
	switch t {
	case tokString:
		return "a string"
	case tokNumber:
		return "a number"
	case tokTrue, tokFalse:
		return "a boolean"
	case tokNull:
		return "null"
	case tokArray:
		return "an array"
	case tokObject:
		return "an object"
	}
	return "no value"
}

// scanner reads JSON (RFC 8259) from data. Every method checks the syntax
// of what it consumes, so that a message the scanner accepts is valid JSON.
// The input has already been checked to be valid UTF-8.
type scanner struct {
	data []byte
	pos  int
	// enums holds the enumerated fields' values (empty for other fields),
	// for intern; nil when decoding without them.
	enums *[numFields]schemas.Enum
}

// peek returns the byte at the position, or 0 at the end (NUL bytes were
// rejected before scanning, so 0 means the end).
func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// ws skips JSON white space.
func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) syntax(what string) *RejectError {
	if s.pos >= len(s.data) {
		return reject(ReasonBadJSON, "", "unexpected end of input: "+what)
	}
	r, _ := utf8.DecodeRune(s.data[s.pos:])
	return reject(ReasonBadJSON, "", fmt.Sprintf("at byte %d: invalid character %q: %s", s.pos, r, what))
}

// end checks that nothing but white space follows the top-level value.
func (s *scanner) end() *RejectError {
	s.ws()
	if s.pos < len(s.data) {
		return reject(ReasonTrailingData, "", fmt.Sprintf("%d bytes follow the object at byte %d", len(s.data)-s.pos, s.pos))
	}
	return nil
}

// kindAt tells the type of the value starting at the position.
func (s *scanner) kindAt() tok {
	switch c := s.peek(); {
	case c == '"':
		return tokString
	case c == '-' || c >= '0' && c <= '9':
		return tokNumber
	case c == 't':
		return tokTrue
	case c == 'f':
		return tokFalse
	case c == 'n':
		return tokNull
	case c == '[':
		return tokArray
	case c == '{':
		return tokObject
	}
	return tokInvalid
}

// str reads a string starting at its opening quote and returns its
// content. Without escapes the result aliases the input; callers copy what
// they keep.
func (s *scanner) str() ([]byte, *RejectError) {
	s.pos++ // '"'
	start := s.pos
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], nil
		case c == '\\':
			return s.strEscaped(start, i)
		case c < 0x20:
			s.pos = i
			return nil, s.syntax("control character in a string")
		}
	}
	s.pos = len(s.data)
	return nil, s.syntax("unterminated string")
}

// strEscaped continues str from the first backslash at i, decoding escapes
// as encoding/json does: a \u escape of half a surrogate pair that is not
// completed by the other half becomes U+FFFD.
func (s *scanner) strEscaped(start, i int) ([]byte, *RejectError) {
	buf := make([]byte, 0, len(s.data[start:i])+16)
	buf = append(buf, s.data[start:i]...)
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return buf, nil
		case c < 0x20:
			s.pos = i
			return nil, s.syntax("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			s.pos = len(s.data)
			return nil, s.syntax("unterminated escape")
		}
		switch e := s.data[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
			i += 2
		case 'b':
			buf = append(buf, '\b')
			i += 2
		case 'f':
			buf = append(buf, '\f')
			i += 2
		case 'n':
			buf = append(buf, '\n')
			i += 2
		case 'r':
			buf = append(buf, '\r')
			i += 2
		case 't':
			buf = append(buf, '\t')
			i += 2
		case 'u':
			r, ok := hex4(s.data, i+2)
			if !ok {
				s.pos = i
				return nil, s.syntax("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+1 < len(s.data) && s.data[i] == '\\' && s.data[i+1] == 'u' {
					r2, ok = hex4(s.data, i+2)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			s.pos = i
			return nil, s.syntax("invalid escape")
		}
	}
	s.pos = len(s.data)
	return nil, s.syntax("unterminated string")
}

// hex4 reads the four hex digits of a \u escape at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads a number and returns its literal.
func (s *scanner) number() ([]byte, *RejectError) {
	d := s.data
	start, i := s.pos, s.pos
	digits := func() bool {
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		s.pos = i
		return nil, s.syntax("expected a digit")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			s.pos = i
			return nil, s.syntax("expected a digit after the decimal point")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			s.pos = i
			return nil, s.syntax("expected a digit in the exponent")
		}
	}
	s.pos = i
	return d[start:i], nil
}

// literal reads true, false or null.
func (s *scanner) literal(word string) *RejectError {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return s.syntax("expected " + word)
	}
	s.pos += len(word)
	return nil
}

// scalar reads a string, number or literal.
func (s *scanner) scalar(t tok) *RejectError {
	var err *RejectError
	switch t {
	case tokString:
		_, err = s.str()
	case tokNumber:
		_, err = s.number()
	case tokTrue:
		err = s.literal("true")
	case tokFalse:
		err = s.literal("false")
	case tokNull:
		err = s.literal("null")
	default:
		err = s.syntax("expected a value")
	}
	return err
}

// skipValue reads and checks one value of any type, nested arrays and
// objects included, and returns its type. depth is the nesting the value
// sits in. It uses an explicit stack, so hostile nesting costs no Go stack.
func (s *scanner) skipValue(depth int) (tok, *RejectError) {
	s.ws()
	first := s.kindAt()
	var stack []byte // '[' or '{' per open container
	for {
		// At the start of a value.
		s.ws()
		switch t := s.kindAt(); t {
		case tokArray, tokObject:
			if depth+len(stack)+1 > maxDepth {
				return first, s.syntax("nesting deeper than 10000")
			}
			open, closer := s.data[s.pos], byte(']')
			if t == tokObject {
				closer = '}'
			}
			s.pos++
			s.ws()
			if s.peek() == closer {
				s.pos++
				break // an empty container is a complete value
			}
			stack = append(stack, open)
			if open == '{' {
				if err := s.memberKey(); err != nil {
					return first, err
				}
			}
			continue // read the first element
		default:
			if err := s.scalar(t); err != nil {
				return first, err
			}
		}
		// After a complete value: close containers or move to the next
		// element.
		for {
			if len(stack) == 0 {
				return first, nil
			}
			s.ws()
			top := stack[len(stack)-1]
			c := s.peek()
			if c == ',' {
				s.pos++
				if top == '{' {
					if err := s.memberKey(); err != nil {
						return first, err
					}
				}
				break
			}
			if c == ']' && top == '[' || c == '}' && top == '{' {
				s.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if top == '[' {
				return first, s.syntax("expected ',' or ']' after an array element")
			}
			return first, s.syntax("expected ',' or '}' after an object value")
		}
	}
}

// memberKey reads `"key" :` inside an object being skipped.
func (s *scanner) memberKey() *RejectError {
	s.ws()
	if s.peek() != '"' {
		return s.syntax("expected a field name")
	}
	if _, err := s.str(); err != nil {
		return err
	}
	s.ws()
	if s.peek() != ':' {
		return s.syntax("expected ':' after a field name")
	}
	s.pos++
	return nil
}
