package transform

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// Placeholders that replace personal data. They are fixed text, so a masked
// summary stays readable and two masked copies of the same text are equal.
// None contains an ASCII digit, so masking never creates a new digit run.
const (
	maskID       = "[身份证号]"
	maskBankCard = "[银行卡号]"
	maskMobile   = "[手机号]"
	maskLandline = "[电话]"
	maskEmail    = "[邮箱]"
	// maskNumber replaces any run of 20 or more digits: it is no ID or card
	// number by itself, but it may be one glued to other digits.
	maskNumber = "[号码]"
)

// nameIndexMin is the number of names from which a record's names are
// indexed by their first rune instead of being tried one after the other.
const nameIndexMin = 16

// Mask replaces personal data in text: ID numbers (18-digit, 17 digits + X,
// and the old 15-digit form, also grouped 6-8-4), bank card numbers (16–19
// digits, also in groups of four), mobile numbers (11 digits starting
// 13–19, with an optional +86/86 prefix, also grouped 3-4-4 or 3-8),
// landlines (0 + 2–3 digit area code + 7–8 digits, with or without a
// separator), e-mail addresses, QQ numbers and WeChat ids after their
// keyword (QQ号 12345678, 微信：zhang_san88), licence plates (蒙G·12345;
// a Transformer with KeepPlates leaves them), any run of 20 or more
// digits, and every name
// in names of at least two runes (a name keeps its first rune: 张三 → 张*).
//
// Numbers are matched only as whole digit runs, so an ID is never taken
// apart into a phone number, and 6-digit amounts, 8-digit dates
// (20260301) and 12-digit division codes (150502001001) stay readable.
// Groups may be joined by one space, '-' or ')'. Full-width digits, letters
// and spaces are turned into ASCII first, so "１３８…" is masked too, and
// invalid UTF-8 is replaced by U+FFFD, so the result is always valid UTF-8.
//
// Mask is what ingest uses on the text of a rejected record before it
// reaches ClickHouse or a log; Transform applies the same rules to summary
// and category_text.
func Mask(text string, names []string) string {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	m := newMasker(names)
	return m.mask(normalizeWidth(text))
}

// MaskMessage masks a raw message as a whole, for a record that was
// rejected: it takes the party names from the message when it can still be
// read as JSON (the names in the party_names list get masked as well), and
// masks the rest by pattern otherwise. Names written with \u escapes in the
// raw JSON are not recognised.
func MaskMessage(msg []byte) string {
	var probe struct {
		PartyNames   []string `json:"party_names"`
		PartyDetails []struct {
			Name string `json:"name"`
			Org  string `json:"org"`
		} `json:"party_details"`
	}
	// Best effort: a message that cannot be decoded is still masked by
	// pattern, so the error is of no use here.
	_ = json.Unmarshal(msg, &probe)
	names := probe.PartyNames
	for _, p := range probe.PartyDetails {
		names = append(names, p.Name, p.Org)
		if n := NormalizeOrg(p.Org); n != "" {
			names = append(names, n)
		}
	}
	return Mask(string(msg), names)
}

// masker masks the text of one record. It is built per record from the
// record's party names and is not shared.
type masker struct {
	names   []string          // cleaned, ≥ 2 runes, unique, longest first
	byFirst map[rune][]string // names by first rune, only for long lists
	// keepPlates leaves licence plates readable (transform.keep_plates);
	// the zero masker masks them.
	keepPlates bool
}

func newMasker(raw []string) masker {
	var m masker
	if len(raw) == 0 {
		return m
	}
	names := make([]string, 0, len(raw))
	for _, n := range raw {
		if !utf8.ValidString(n) {
			n = strings.ToValidUTF8(n, "\uFFFD")
		}
		n = cleanText(n)
		// A single rune would mask every occurrence of a common character.
		if utf8.RuneCountInString(n) < 2 {
			continue
		}
		names = append(names, n)
	}
	// Longer names first, so that 欧阳娜娜 is masked whole before 欧阳.
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(utf8.RuneCountInString(b), utf8.RuneCountInString(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	uniq := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			uniq = append(uniq, n)
		}
	}
	m.names = uniq
	if len(uniq) >= nameIndexMin {
		m.byFirst = make(map[rune][]string)
		for _, n := range uniq {
			r, _ := utf8.DecodeRuneInString(n)
			m.byFirst[r] = append(m.byFirst[r], n)
		}
	}
	return m
}

// mask masks s, which must be valid UTF-8 with normalized width. It returns
// s itself when there is nothing to mask.
func (m *masker) mask(s string) string {
	if len(m.names) == 0 && !strings.ContainsAny(s, "0123456789@") && !mayHoldWeChat(s) {
		return s
	}
	var emails []span
	if strings.IndexByte(s, '@') >= 0 {
		emails = findEmails(s)
	}
	out := rewriter{src: s}
	for i := 0; i < len(s); {
		if len(emails) > 0 && emails[0].start == i {
			out.replace(i, emails[0].end, maskEmail)
			i = emails[0].end
			emails = emails[1:]
			continue
		}
		limit := len(s)
		if len(emails) > 0 {
			limit = emails[0].start
		}
		c := s[i]
		if (isDigit(c) || c == '+' && i+1 < limit && isDigit(s[i+1])) && (i == 0 || !isDigit(s[i-1])) {
			if nm := matchNumber(s, i, limit); nm.label != "" {
				out.replace(nm.start, nm.end, nm.label)
				i = nm.end
				continue
			}
		}
		if !isDigit(c) && c != '+' {
			if from, to, label := matchContact(s, i, limit, m.keepPlates); label != "" {
				out.replace(from, to, label)
				i = to
				continue
			}
		}
		if n := m.matchName(s, i); n != "" {
			out.replaceName(i, n)
			i += len(n)
			continue
		}
		if isDigit(c) {
			// Numbers are matched only at the start of a digit run: skip
			// the rest of the run, so no tail of it is taken for a number.
			for i < limit && isDigit(s[i]) {
				i++
			}
			continue
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out.String()
}

// matchName returns the longest name that starts at s[i:], or "". A name
// that ends with a digit must not end inside a digit run, so that it cannot
// cut a number short of its masking.
func (m *masker) matchName(s string, i int) string {
	if len(m.names) == 0 {
		return ""
	}
	cands := m.names
	if m.byFirst != nil {
		r, _ := utf8.DecodeRuneInString(s[i:])
		cands = m.byFirst[r]
	}
	rest := s[i:]
	for _, n := range cands {
		if len(n) > len(rest) || rest[0] != n[0] || rest[:len(n)] != n {
			continue
		}
		if end := i + len(n); end < len(s) && isDigit(s[end]) && isDigit(n[len(n)-1]) {
			continue
		}
		return n
	}
	return ""
}

// rewriter builds the masked copy of src lazily: nothing is allocated until
// the first replacement.
type rewriter struct {
	src  string
	b    strings.Builder
	last int // src[:last] has been written or replaced
	used bool
}

func (w *rewriter) start(from int) {
	if !w.used {
		w.b.Grow(len(w.src))
		w.used = true
	}
	w.b.WriteString(w.src[w.last:from])
}

// replace writes repl in place of src[from:to].
func (w *rewriter) replace(from, to int, repl string) {
	w.start(from)
	w.b.WriteString(repl)
	w.last = to
}

// replaceName writes name, which starts at src[from], as its first rune and
// one '*' for every other rune.
func (w *rewriter) replaceName(from int, name string) {
	w.start(from)
	_, size := utf8.DecodeRuneInString(name)
	w.b.WriteString(name[:size])
	for range utf8.RuneCountInString(name[size:]) {
		w.b.WriteByte('*')
	}
	w.last = from + len(name)
}

func (w *rewriter) String() string {
	if !w.used {
		return w.src
	}
	w.b.WriteString(w.src[w.last:])
	return w.b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// span is a byte range [start, end) of a text.
type span struct{ start, end int }

// maxGroups is the most digit groups a number pattern uses (a bank card
// written 4-4-4-4-3).
const maxGroups = 5

// numMatch is a masked number: src[start:end] is replaced by label; label
// is "" when nothing matched.
type numMatch struct {
	start, end int
	label      string
}

// matchNumber tries the number patterns at s[i], the start of a digit run
// or a '+' before one; limit is where the next e-mail address starts, which
// no number may reach into. Patterns are tried in the order ID, bank card,
// mobile, landline, each on whole digit runs ("groups") joined by single
// separators, so a match always ends at a digit boundary.
func matchNumber(s string, i, limit int) numMatch {
	plus := -1
	if s[i] == '+' {
		plus = i
		i++
	}
	var g [maxGroups]span
	n := 0
	for p := i; n < maxGroups; {
		e := p
		for e < limit && isDigit(s[e]) {
			e++
		}
		g[n] = span{p, e}
		n++
		if e+1 < limit && (s[e] == ' ' || s[e] == '-' || s[e] == ')') && isDigit(s[e+1]) {
			p = e + 1
			continue
		}
		break
	}
	length := func(k int) int {
		if k >= n {
			return 0
		}
		return g[k].end - g[k].start
	}
	digits := func(k int) string { return s[g[k].start:g[k].end] }
	// xAfter reports an X check digit right after group k.
	xAfter := func(k int) bool {
		e := g[k].end
		return e < limit && (s[e] == 'X' || s[e] == 'x')
	}
	hit := func(end int, label string) numMatch { return numMatch{start: i, end: end, label: label} }

	// ID numbers.
	switch l0 := length(0); {
	case l0 == 18, l0 == 15:
		return hit(g[0].end, maskID)
	case l0 == 17 && xAfter(0):
		return hit(g[0].end+1, maskID)
	case l0 == 6 && length(1) == 8 && length(2) == 4:
		return hit(g[2].end, maskID)
	case l0 == 6 && length(1) == 8 && length(2) == 3 && xAfter(2):
		return hit(g[2].end+1, maskID)
	}
	// Bank cards, and runs too long to be anything readable.
	switch l0 := length(0); {
	case l0 >= 20:
		return hit(g[0].end, maskNumber)
	case l0 >= 16:
		return hit(g[0].end, maskBankCard)
	case l0 == 4 && length(1) == 4 && length(2) == 4 && length(3) == 4:
		end := g[3].end
		if l4 := length(4); l4 >= 1 && l4 <= 3 {
			end = g[4].end
		}
		return hit(end, maskBankCard)
	}
	// Mobile numbers, with or without the country code 86.
	if l0 := length(0); l0 == 13 && strings.HasPrefix(digits(0), "86") && isMobile(digits(0)[2:]) {
		return withPlus(hit(g[0].end, maskMobile), plus)
	}
	if length(0) == 2 && digits(0) == "86" {
		if end, ok := mobileAt(g[:n], 1, s); ok {
			return withPlus(hit(end, maskMobile), plus)
		}
	}
	if end, ok := mobileAt(g[:n], 0, s); ok {
		return hit(end, maskMobile)
	}
	// Landlines: area code starting with 0, then 7 or 8 digits.
	switch l0 := length(0); {
	case l0 >= 10 && l0 <= 12 && s[g[0].start] == '0':
		return hit(g[0].end, maskLandline)
	case (l0 == 3 || l0 == 4) && s[g[0].start] == '0' && (length(1) == 7 || length(1) == 8):
		return hit(g[1].end, maskLandline)
	}
	return numMatch{}
}

// mobileAt matches an 11-digit mobile number written as g[k] alone or as
// the groups 3-4-4 or 3-8 from g[k] on, and returns where it ends.
func mobileAt(g []span, k int, s string) (int, bool) {
	if k >= len(g) {
		return 0, false
	}
	l := func(j int) int {
		if j >= len(g) {
			return 0
		}
		return g[j].end - g[j].start
	}
	head := s[g[k].start:g[k].end]
	if !isMobile(head) {
		return 0, false
	}
	switch {
	case l(k) == 11:
		return g[k].end, true
	case l(k) == 3 && l(k+1) == 8:
		return g[k+1].end, true
	case l(k) == 3 && l(k+1) == 4 && l(k+2) == 4:
		return g[k+2].end, true
	}
	return 0, false
}

// isMobile reports whether d starts like a mainland mobile number: 1, then
// 3 to 9.
func isMobile(d string) bool {
	return len(d) >= 2 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// withPlus extends a match with a country code to the '+' before it.
func withPlus(m numMatch, plus int) numMatch {
	if plus >= 0 {
		m.start = plus
	}
	return m
}

// findEmails returns the e-mail addresses in s, in order and not
// overlapping: a local part of letters, digits and ._%+- before '@', and a
// domain of at least two dot-separated labels after it whose last label is
// two or more letters.
func findEmails(s string) []span {
	var out []span
	prevEnd := 0
	for at := 0; ; at++ {
		next := strings.IndexByte(s[at:], '@')
		if next < 0 {
			return out
		}
		at += next
		j := at
		for j > prevEnd && isLocalByte(s[j-1]) {
			j--
		}
		k := at + 1
		for k < len(s) && isDomainByte(s[k]) {
			k++
		}
		for k > at+1 && (s[k-1] == '.' || s[k-1] == '-') {
			k--
		}
		if j < at && validDomain(s[at+1:k]) {
			out = append(out, span{j, k})
			prevEnd = k
			at = k - 1
		}
	}
}

func isLocalByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte("._%+-", c) >= 0
}

func isDomainByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-'
}

// validDomain checks for labels separated by single dots, at least two of
// them, the last made of two or more letters.
func validDomain(d string) bool {
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return false
	}
	tld := d[dot+1:]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if c := tld[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// maxKeptIDBytes is the longest identifier MaskKeeping keeps: a case id's
// limit in the record contract.
const maxKeptIDBytes = maxCaseIDBytes

// maxKeptIDs bounds the identifiers one text keeps.
const maxKeptIDs = 16

// MaskKeeping is Mask that leaves every occurrence of the identifiers in
// keep untouched: the case id of the row a text belongs to is no personal
// data, whatever digits it holds (WG-150521-20241103-0012 has the grouped
// 6-8-4 shape of an ID number). An identifier is kept only if it is valid
// by its own format, the record contract's case_id: 2 to 128 bytes of
// valid UTF-8 without control characters; the personal data around it is
// masked as Mask does.
func MaskKeeping(text string, names, keep []string) string {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	text = normalizeWidth(text)
	var ids []string
	for _, id := range keep {
		id = normalizeWidth(id)
		if len(ids) == maxKeptIDs {
			break
		}
		if len(id) < 2 || len(id) > maxKeptIDBytes || !utf8.ValidString(id) || indexControl(id) >= 0 || !strings.Contains(text, id) {
			continue
		}
		ids = append(ids, id)
	}
	m := newMasker(names)
	if len(ids) == 0 {
		return m.mask(text)
	}
	// Longer ids first, so that one id inside another is kept whole. Each
	// is swapped for a private-use rune (no digit, no letter, no name) and
	// put back after masking.
	slices.SortFunc(ids, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	pairs := make([]string, 0, 2*len(ids))
	back := make([]string, 0, 2*len(ids))
	for i, id := range ids {
		ph := string(rune(0xE000 + i))
		if strings.Contains(text, ph) {
			return m.mask(text) // no safe placeholder: mask all
		}
		pairs = append(pairs, id, ph)
		back = append(back, ph, id)
	}
	masked := m.mask(strings.NewReplacer(pairs...).Replace(text))
	return strings.NewReplacer(back...).Replace(masked)
}
