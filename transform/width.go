package transform

import (
	"strings"
	"unicode/utf8"
)

// narrow maps a full-width digit, Latin letter or the ideographic space to
// its ASCII form. Chinese input methods produce these, and a phone number
// typed as "１３８…" must be masked like "138…". Full-width punctuation is
// left alone on purpose: "，" and "：" are the normal Chinese punctuation.
func narrow(r rune) (byte, bool) {
	switch {
	case r >= 0xFF10 && r <= 0xFF19: // ０-９
		return byte('0' + r - 0xFF10), true
	case r >= 0xFF21 && r <= 0xFF3A: // Ａ-Ｚ
		return byte('A' + r - 0xFF21), true
	case r >= 0xFF41 && r <= 0xFF5A: // ａ-ｚ
		return byte('a' + r - 0xFF41), true
	case r == 0x3000: // ideographic space
		return ' ', true
	}
	return 0, false
}

// normalizeWidth replaces full-width digits, letters and spaces by ASCII. It
// returns s itself, without allocating, when there is nothing to replace.
func normalizeWidth(s string) string {
	first := -1
	for i := 0; i < len(s); i++ {
		// Every rune narrow maps starts with 0xEF (U+FFxx) or 0xE3
		// (U+3000), so other bytes need no decoding.
		if c := s[i]; c == 0xEF || c == 0xE3 {
			r, _ := utf8.DecodeRuneInString(s[i:])
			if _, ok := narrow(r); ok {
				first = i
				break
			}
		}
	}
	if first < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:first])
	for i := first; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if c, ok := narrow(r); ok {
			b.WriteByte(c)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// cleanText normalizes the width of s and trims surrounding white space.
func cleanText(s string) string {
	return strings.TrimSpace(normalizeWidth(s))
}
