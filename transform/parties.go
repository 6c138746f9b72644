package transform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
)

// Bounds of party_details (record.schema.json).
const (
	maxPartyDetails   = 1000
	maxPartyFieldRune = 64
	maxPartyOrgRunes  = 128
	// minPartyKeySecret is the shortest secret accepted: HMAC with a short
	// secret would let anyone holding the keys test guessed ID numbers.
	minPartyKeySecret = 16
	// partyKeyBytes is how much of the HMAC a key keeps (128 bits).
	partyKeyBytes = 16
)

var partyKeyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

// checkPartyKey validates the secret and its id (Options).
func checkPartyKey(secret []byte, id string) error {
	switch {
	case len(secret) == 0 && id == "":
		return nil
	case len(secret) == 0:
		return fmt.Errorf("option PartyKeyID %q is set without PartyKeySecret", id)
	case len(secret) < minPartyKeySecret:
		return fmt.Errorf("option PartyKeySecret: %d bytes, at least %d", len(secret), minPartyKeySecret)
	case !partyKeyIDPattern.MatchString(id):
		return fmt.Errorf("option PartyKeyID: %q is not 1 to 16 of A-Z a-z 0-9 _ -", id)
	}
	return nil
}

// partyKeys derives the pseudonymous keys of a record's parties. Only the
// keys and masked labels leave this function; the raw values stay in the
// wire struct, which is dropped after the record is transformed.
//
// A key is "<key id>:<hex of the first 16 bytes of HMAC-SHA256(secret,
// kind ':' value)>", where value is
//   - id: the ID number, upper case, 18 characters (17 digits and a digit
//     or X); anything else is no ID number and gives no key;
//   - phone: the digits, without a leading +86/0086/86 in front of an
//     11-digit mobile number; at least 7 digits;
//   - name: the name without spaces, '|', the case's village code; a case
//     placed above village level gives no name key (a name alone links
//     strangers);
//   - org: NormalizeOrg of the organisation name, at least 2 characters.
//
// The kind is part of the HMAC input, so a phone number equal to some
// other kind's value never gives the same key. Keys are sorted and unique
// per record.
func (t *Transformer) partyKeys(row *schemas.CaseRow, parties []schemas.Party) {
	if len(t.partySecret) == 0 || len(parties) == 0 {
		return
	}
	type entry struct{ key, kind, label string }
	var out []entry
	add := func(kind, value, label string) {
		if value == "" {
			return
		}
		mac := hmac.New(sha256.New, t.partySecret)
		mac.Write([]byte(kind))
		mac.Write([]byte{':'})
		mac.Write([]byte(value))
		sum := mac.Sum(nil)
		out = append(out, entry{t.opts.PartyKeyID + ":" + hex.EncodeToString(sum[:partyKeyBytes]), kind, label})
	}
	for _, p := range parties {
		name := strings.Join(strings.Fields(cleanText(p.Name)), "")
		label := personLabel(name)
		add(schemas.PartyKeyID, NormalizeIDNumber(p.IDNumber), label)
		add(schemas.PartyKeyPhone, NormalizePhone(p.Phone), label)
		if utf8.RuneCountInString(name) >= 2 && row.VillageCode != "" {
			add(schemas.PartyKeyName, name+"|"+row.VillageCode, label)
		}
		if org := t.orgs.Normalize(p.Org); org != "" {
			add(schemas.PartyKeyOrg, org, org)
		}
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	out = slices.CompactFunc(out, func(a, b entry) bool { return a.key == b.key })
	row.PartyKeys = make([]string, len(out))
	row.PartyKeyKinds = make([]string, len(out))
	row.PartyLabels = make([]string, len(out))
	for i, e := range out {
		row.PartyKeys[i], row.PartyKeyKinds[i], row.PartyLabels[i] = e.key, e.kind, e.label
	}
}

// personLabel is what may be shown of a person: the surname (first
// character) and '*'; "" when there is no name.
func personLabel(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 || r == utf8.RuneError {
		return ""
	}
	return string(r) + "*"
}

// NormalizeIDNumber returns an 18-character resident ID number in upper
// case (a trailing x becomes X), or "" when s is not one. Spaces and
// hyphens between the groups are dropped; full-width characters count as
// their ASCII forms.
func NormalizeIDNumber(s string) string {
	s = strings.ToUpper(stripSeparators(normalizeWidth(s)))
	if len(s) != 18 {
		return ""
	}
	for i := 0; i < 17; i++ {
		if !isDigit(s[i]) {
			return ""
		}
	}
	if !isDigit(s[17]) && s[17] != 'X' {
		return ""
	}
	return s
}

// NormalizePhone returns the digits of a phone number without the
// country code (+86, 0086 or 86 in front of an 11-digit mobile number),
// or "" when fewer than 7 digits remain.
func NormalizePhone(s string) string {
	s = normalizeWidth(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	d := b.String()
	for _, cc := range []string{"0086", "86"} {
		if len(d) == len(cc)+11 && strings.HasPrefix(d, cc) && d[len(cc)] == '1' {
			d = d[len(cc):]
			break
		}
	}
	if len(d) < 7 {
		return ""
	}
	return d
}

func stripSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return r
	}, s)
}

// orgSuffixes are legal-form and generic endings removed from an
// organisation name, longest first; they are removed repeatedly, so
// 集团有限公司 loses 有限公司, then 集团.
var orgSuffixes = []string{
	"股份经济合作社", "专业合作社", "股份有限公司", "有限责任公司", "（有限合伙）", "(有限合伙)",
	"有限公司", "分公司", "总公司", "合作社", "工程队", "经营部", "集团", "公司", "商行", "厂",
}

// orgPlaces are place names removed from the front of an organisation
// name: the provincial-level units and the larger cities. County and
// district names are kept on purpose: 萧山城投 and 余杭城投 are two
// companies, while 杭州萧山城投 and 萧山城投 are one. The registry's city
// and province are added by newOrgNormalizer.
var orgPlaces = []string{
	"北京", "天津", "上海", "重庆", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
	"福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "四川", "贵州", "云南", "西藏", "陕西",
	"甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
	"石家庄", "太原", "呼和浩特", "包头", "沈阳", "大连", "长春", "哈尔滨", "南京", "苏州", "无锡", "杭州", "宁波",
	"温州", "绍兴", "嘉兴", "湖州", "金华", "台州", "合肥", "福州", "厦门", "南昌", "济南", "青岛", "郑州", "武汉",
	"长沙", "广州", "深圳", "南宁", "海口", "成都", "贵阳", "昆明", "拉萨", "西安", "兰州", "西宁", "银川", "乌鲁木齐",
	"通辽", "赤峰", "兴安盟", "锡林郭勒盟",
}

// placeSuffixes may follow a place name at the front of an organisation
// name (杭州市…, 浙江省…).
var placeSuffixes = []string{"维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市", "盟", ""}

// orgNormalizer turns organisation names into the form their keys are
// derived from. It is immutable and safe for concurrent use.
type orgNormalizer struct {
	places []string // longest first
}

func newOrgNormalizer(reg *schemas.Registry) *orgNormalizer {
	places := slices.Clone(orgPlaces)
	if reg != nil {
		root := reg.Root()
		for _, r := range append(reg.Ancestors(root.Code), root) {
			if r.Level > schemas.LevelCity {
				continue
			}
			for _, n := range []string{r.Name, r.ShortName} {
				n = strings.TrimSpace(n)
				for _, suf := range placeSuffixes {
					if suf != "" && strings.HasSuffix(n, suf) {
						n = strings.TrimSuffix(n, suf)
						break
					}
				}
				if utf8.RuneCountInString(n) >= 2 {
					places = append(places, n)
				}
			}
		}
	}
	var all []string
	for _, p := range places {
		for _, suf := range placeSuffixes {
			all = append(all, p+suf)
		}
	}
	slices.SortFunc(all, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return &orgNormalizer{places: slices.Compact(all)}
}

// NormalizeOrg returns the form of an organisation name its key is derived
// from, with the built-in place names only (see Transformer for the
// registry's): width-normalised, without spaces, leading place names and
// trailing legal forms, so that 萧山城投 and 杭州萧山城投集团有限公司 are
// equal. It returns "" when fewer than 2 characters would remain.
func NormalizeOrg(s string) string { return defaultOrgs.Normalize(s) }

var defaultOrgs = newOrgNormalizer(nil)

// Normalize is NormalizeOrg with this normalizer's place names.
func (o *orgNormalizer) Normalize(s string) string {
	s = strings.Join(strings.Fields(cleanText(s)), "")
	if utf8.RuneCountInString(s) < 2 {
		return ""
	}
	for changed := true; changed; {
		changed = false
		for _, suf := range orgSuffixes {
			if rest := strings.TrimSuffix(s, suf); rest != s && utf8.RuneCountInString(rest) >= 2 {
				s, changed = rest, true
				break
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, p := range o.places {
			if rest := strings.TrimPrefix(s, p); rest != s && utf8.RuneCountInString(rest) >= 2 {
				s, changed = rest, true
				break
			}
		}
	}
	return s
}

// partyMaskNames returns the names that the masker hides in free text:
// the parties' names, their organisation names as written and normalised.
func (t *Transformer) partyMaskNames(parties []schemas.Party) []string {
	var out []string
	for _, p := range parties {
		if p.Name != "" {
			out = append(out, p.Name)
		}
		if p.Org != "" {
			out = append(out, p.Org)
			if n := t.orgs.Normalize(p.Org); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// checkParties bounds party_details.
func checkParties(parties []schemas.Party) *RejectError {
	if len(parties) > maxPartyDetails {
		return reject(ReasonTooLong, fPartyDetails.name(), fmt.Sprintf("%d parties, at most %d", len(parties), maxPartyDetails))
	}
	for i, p := range parties {
		for _, f := range []struct {
			name, v string
			max     int
		}{{"role", p.Role, maxPartyFieldRune}, {"name", p.Name, maxPartyFieldRune}, {"id_number", p.IDNumber, maxPartyFieldRune},
			{"phone", p.Phone, maxPartyFieldRune}, {"org", p.Org, maxPartyOrgRunes}} {
			if c := utf8.RuneCountInString(f.v); c > f.max {
				return reject(ReasonTooLong, fPartyDetails.name()+"."+f.name, fmt.Sprintf("party %d: %d characters, at most %d", i+1, c, f.max))
			}
		}
	}
	return nil
}
