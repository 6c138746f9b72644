package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings a mapping may declare (key encoding). Without one the input is
// read as UTF-8 unless it starts with a byte order mark.
const (
	EncodingUTF8        = "utf-8"
	EncodingGB18030     = "gb18030"
	EncodingGBK         = "gbk"
	EncodingUTF16       = "utf-16" // a byte order mark is required
	EncodingLatin1      = "latin-1"
	EncodingWindows1252 = "windows-1252"
)

// encodingAliases maps the accepted spellings (lower case) to an encoding.
var encodingAliases = map[string]string{
	"utf-8": EncodingUTF8, "utf8": EncodingUTF8,
	"gb18030": EncodingGB18030,
	"gbk":     EncodingGBK, "gb2312": EncodingGBK, "cp936": EncodingGBK,
	"utf-16": EncodingUTF16, "utf16": EncodingUTF16,
	"latin-1": EncodingLatin1, "latin1": EncodingLatin1, "iso-8859-1": EncodingLatin1,
	"windows-1252": EncodingWindows1252, "cp1252": EncodingWindows1252,
}

// parseEncoding checks a declared encoding; "" means detect.
func parseEncoding(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	e, ok := encodingAliases[strings.ToLower(strings.TrimSpace(s))]
	if !ok {
		return "", fmt.Errorf("%q is not utf-8, gb18030, gbk, utf-16, latin-1 or windows-1252", s)
	}
	return e, nil
}

// badText is where a line holds bytes invalid in the input's encoding.
type badText struct {
	char int // 1-based character position in the decoded line
}

// textReader decodes the input to UTF-8 and checks it line by line,
// passing the text on unchanged. Invalid bytes are never replaced
// silently: the line and character of the first one are recorded in bad,
// and the row that holds the line is rejected by the row source.
type textReader struct {
	r        *bufio.Reader
	encoding string // the encoding in use, for reasons
	strict   bool   // input passes through: check it is valid UTF-8
	line     int    // lines handed on so far
	pending  []byte
	bad      map[int]badText
	err      error
	buf      []byte
}

// maxCheckedLine bounds the memory of one physical line while checking;
// a longer line is checked in pieces (positions then count from the piece).
const maxCheckedLine = 1 << 20

// newTextReader detects or applies the encoding. A byte order mark decides
// for itself when no encoding is declared; one that contradicts the
// declared encoding is an error.
func newTextReader(r io.Reader, declared string) (*textReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	bom := ""
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		bom = EncodingUTF8
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		bom = EncodingUTF16
	}
	enc := declared
	switch {
	case enc == "":
		enc = EncodingUTF8
		if bom != "" {
			enc = bom
		}
	case bom != "" && bom != enc:
		return nil, fmt.Errorf("the file starts with a %s byte order mark, but the mapping declares encoding %s", bom, declared)
	}
	t := &textReader{encoding: enc, bad: map[int]badText{}}
	var dec *encoding.Decoder
	switch enc {
	case EncodingUTF8:
		if bom == EncodingUTF8 {
			_, _ = br.Discard(3)
		}
		t.strict = true
	case EncodingGB18030:
		dec = simplifiedchinese.GB18030.NewDecoder()
	case EncodingGBK:
		dec = simplifiedchinese.GBK.NewDecoder()
	case EncodingUTF16:
		dec = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
	case EncodingLatin1:
		dec = charmap.ISO8859_1.NewDecoder()
	case EncodingWindows1252:
		dec = charmap.Windows1252.NewDecoder()
	}
	if dec != nil {
		t.r = bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10)
	} else {
		t.r = br
	}
	return t, nil
}

// Read hands on the decoded text, a checked line at a time.
func (t *textReader) Read(p []byte) (int, error) {
	for len(t.pending) == 0 {
		if t.err != nil {
			return 0, t.err
		}
		t.fill()
	}
	n := copy(p, t.pending)
	t.pending = t.pending[n:]
	return n, nil
}

// fill reads and checks the next physical line (or piece of one).
func (t *textReader) fill() {
	t.buf = t.buf[:0]
	for {
		chunk, err := t.r.ReadSlice('\n')
		t.buf = append(t.buf, chunk...)
		if err == bufio.ErrBufferFull && len(t.buf) < maxCheckedLine {
			continue
		}
		if err != nil && err != bufio.ErrBufferFull {
			if errors.Is(err, unicode.ErrMissingBOM) {
				err = fmt.Errorf("encoding %s needs a byte order mark at the start of the file", t.encoding)
			}
			t.err = err
		}
		break
	}
	if len(t.buf) == 0 {
		return
	}
	t.line++
	if pos := t.firstInvalid(t.buf); pos > 0 {
		t.bad[t.line] = badText{char: pos}
	}
	if t.buf[len(t.buf)-1] != '\n' && t.err == nil {
		// A piece of an over-long line: the rest continues the same line.
		t.line--
	}
	t.pending = t.buf
}

// firstInvalid returns the 1-based character position of the first
// invalid byte in a line, or 0. Decoders turn invalid input into U+FFFD,
// so a decoded line with U+FFFD had invalid bytes (a U+FFFD written in a
// legacy encoding is itself the trace of an earlier broken conversion).
func (t *textReader) firstInvalid(b []byte) int {
	if t.strict {
		if utf8.Valid(b) {
			return 0
		}
		for i, n := 0, 1; i < len(b); n++ {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return n
			}
			i += size
		}
		return 0
	}
	i := bytes.IndexRune(b, utf8.RuneError)
	if i < 0 {
		return 0
	}
	return utf8.RuneCount(b[:i]) + 1
}

// check reports the first invalid text among lines from..to, and forgets
// the lines before from.
func (t *textReader) check(from, to int) (int, badText, bool) {
	for l := range t.bad {
		if l < from {
			delete(t.bad, l)
		}
	}
	for l := from; l <= to; l++ {
		if b, ok := t.bad[l]; ok {
			return l, b, true
		}
	}
	return 0, badText{}, false
}

// invalid is the reject of a row with bytes invalid in the encoding.
func (t *textReader) invalid(line int, b badText) *rowError {
	hint := ""
	if t.strict {
		hint = " (declare the file's encoding in the mapping: encoding: gb18030, windows-1252 …)"
	}
	return &rowError{kind: KindBadEncoding, pos: b.char,
		reason: fmt.Sprintf("line %d, character %d: bytes not valid %s%s", line, b.char, t.encoding, hint)}
}
