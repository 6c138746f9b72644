package transform

import (
	"strings"
	"unicode/utf8"
)

// Placeholders of the contact kinds. Like the others they hold no ASCII
// digit, and none ends in a separator, so a keyword is never glued to a
// following number by masking.
const (
	maskQQ     = "[QQ号]"
	maskWeChat = "[微信号]"
	maskPlate  = "[车牌号]"
)

// contactSep reports whether r may stand between a contact keyword and the
// number or id it introduces ("QQ: 12345678", "微信号是 abc_123").
func contactSep(r rune) bool {
	switch r {
	case ' ', ':', '：', '是', '为', '=':
		return true
	}
	return false
}

// maxContactSeps is how many separators may follow a keyword.
const maxContactSeps = 3

// hasPrefixFold reports whether s starts with p, ignoring ASCII case: it
// gives strings.EqualFold(s[:len(p)], p) for a p in lower case whose runes
// are ASCII letters other than k and s (the only ones a non-ASCII rune
// folds to: the Kelvin sign and the long s) or have no case (the Chinese
// keywords), as every keyword and suffix here (TestHasPrefixFoldIsEqualFold),
// byte by byte: masking calls it at every position of every summary, and
// EqualFold decoding and folding the Chinese text was a fifth of the
// ingester's CPU.
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if c := s[i]; c != p[i] && (p[i] < 'a' || p[i] > 'z' || c|0x20 != p[i]) {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// skipSeps returns the index after at most maxContactSeps separators from j.
func skipSeps(s string, j, limit int) int {
	for n := 0; n < maxContactSeps && j < limit; n++ {
		r, size := utf8.DecodeRuneInString(s[j:limit])
		if !contactSep(r) {
			break
		}
		j += size
	}
	return j
}

// Keywords and the optional words that may follow them.
var (
	qqKeywords      = []string{"qq", "扣扣"}
	qqSuffixes      = []string{"号码", "号", ""}
	wechatKeywords  = []string{"微信", "wechat", "weixin", "wx", "vx"}
	wechatSuffixes  = []string{"号码", "号", "id", ""}
	plateProvinces  = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
	plateSeparators = []string{"·", "•", "-", " ", ""}
)

// matchContact matches, at s[i:], a QQ number, a WeChat id or (unless
// keepPlates) a licence plate, and returns the span to replace and its
// placeholder. Numbers and ids are only recognised after their keyword
// (QQ号 12345678, 微信: zhang_san88), so amounts and dates stay readable;
// the keyword itself is kept. A plate is a province character, a letter, an
// optional separator and 5 (6 for new-energy plates) letters or digits.
// Every match must end at the end of its run of letters and digits.
func matchContact(s string, i, limit int, keepPlates bool) (from, to int, label string) {
	c := s[i]
	if qqFirst[c] {
		if from, to := matchQQ(s, i, limit); to > 0 {
			return from, to, maskQQ
		}
	}
	if wechatFirst[c] {
		if from, to := matchWeChat(s, i, limit); to > 0 {
			return from, to, maskWeChat
		}
	}
	if !keepPlates {
		if to := matchPlate(s, i, limit); to > 0 {
			return i, to, maskPlate
		}
	}
	return 0, 0, ""
}

// qqFirst and wechatFirst hold the bytes a keyword of their kind can start
// with (both cases of an ASCII letter, as hasPrefixFold compares them):
// matchContact tries a kind's keywords only at such a byte, which most
// positions of a Chinese summary are not.
var qqFirst, wechatFirst = firstBytes(qqKeywords), firstBytes(wechatKeywords)

func firstBytes(keywords []string) (t [256]bool) {
	for _, kw := range keywords {
		c := kw[0]
		t[c] = true
		if c >= 'a' && c <= 'z' {
			t[c-'a'+'A'] = true
		}
	}
	return t
}

func isAlnum(c byte) bool { return isASCIILetter(c) || isDigit(c) }

// matchQQ matches a keyword, then 5 to 11 digits (no leading zero), and
// returns the span of the digits.
func matchQQ(s string, i, limit int) (int, int) {
	for _, kw := range qqKeywords {
		if !hasPrefixFold(s[i:limit], kw) {
			continue
		}
		for _, suf := range qqSuffixes {
			j := i + len(kw)
			if !strings.HasPrefix(s[j:limit], suf) {
				continue
			}
			j = skipSeps(s, j+len(suf), limit)
			k := j
			for k < limit && isDigit(s[k]) {
				k++
			}
			if n := k - j; n >= 5 && n <= 11 && s[j] != '0' && (k == len(s) || !isDigit(s[k])) {
				return j, k
			}
		}
	}
	return 0, 0
}

// matchWeChat matches a keyword (an ASCII one not inside a word), then an
// id of 6 to 20 letters, digits, '_' and '-' starting with a letter, and
// returns the span of the id.
func matchWeChat(s string, i, limit int) (int, int) {
	if i > 0 && isASCIILetter(s[i]) && isASCIILetter(s[i-1]) {
		return 0, 0
	}
	idByte := func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }
	for _, kw := range wechatKeywords {
		if !hasPrefixFold(s[i:limit], kw) {
			continue
		}
		for _, suf := range wechatSuffixes {
			j := i + len(kw)
			if !hasPrefixFold(s[j:limit], suf) {
				continue
			}
			j = skipSeps(s, j+len(suf), limit)
			if j >= limit || !isASCIILetter(s[j]) {
				continue
			}
			k := j + 1
			for k < limit && idByte(s[k]) {
				k++
			}
			if n := k - j; n >= 6 && n <= 20 && (k == len(s) || !idByte(s[k])) {
				return j, k
			}
		}
	}
	return 0, 0
}

// matchPlate matches a licence plate and returns its end.
func matchPlate(s string, i, limit int) int {
	if s[i] < utf8.RuneSelf {
		return 0
	}
	r, size := utf8.DecodeRuneInString(s[i:limit])
	j := i + size
	// The letter first: it rarely follows a Chinese character, and the
	// province lookup is the costlier test.
	if j >= limit || s[j] < 'A' || s[j] > 'Z' || !strings.ContainsRune(plateProvinces, r) {
		return 0
	}
	j++
	for _, sep := range plateSeparators {
		if !strings.HasPrefix(s[j:limit], sep) {
			continue
		}
		st := j + len(sep)
		k := st
		for k < limit && (s[k] >= 'A' && s[k] <= 'Z' || isDigit(s[k])) {
			k++
		}
		if n := k - st; (n == 5 || n == 6) && (k == len(s) || !isAlnum(s[k])) {
			return k
		}
	}
	return 0
}

// mayHoldWeChat reports whether s may hold a WeChat keyword (in any case,
// as matchWeChat finds them); only then does text without digits, '@' or
// names need a scan.
func mayHoldWeChat(s string) bool {
	for i := 0; i < len(s); i++ {
		if !wechatFirst[s[i]] {
			continue
		}
		for _, kw := range wechatKeywords {
			if hasPrefixFold(s[i:], kw) {
				return true
			}
		}
	}
	return false
}
