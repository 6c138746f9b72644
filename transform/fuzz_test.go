package transform

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var (
	// idPattern is any 18-character ID number, anywhere: masked text must
	// not hold 17 digits followed by a digit or X, whatever surrounds them.
	idPattern = regexp.MustCompile(`\d{17}[\dXx]`)
	// mobilePattern is an 11-digit mobile number on digit boundaries.
	mobilePattern = regexp.MustCompile(`(?:^|\D)1[3-9]\d{9}(?:\D|$)`)
	// qqPattern is a QQ number after its keyword.
	qqPattern = regexp.MustCompile(`(?i)(?:qq|扣扣)(?:号码|号)?[ :：是为=]{0,3}[1-9]\d{4,10}(?:\D|$)`)
	// wechatPattern is a WeChat id after its keyword (an ASCII keyword not
	// inside a word).
	wechatPattern = regexp.MustCompile(`(?i)(?:微信|(?:^|[^a-z])(?:wechat|weixin|wx|vx))(?:号码|号|id)?[ :：是为=]{0,3}[a-z][a-z0-9_-]{5,19}(?:[^a-z0-9_-]|$)`)
	// platePattern is a licence plate.
	platePattern = regexp.MustCompile(`[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z](?:·|•|-| )?[A-Z0-9]{5,6}(?:[^A-Za-z0-9]|$)`)
)

// leaksContact reports which contact kind masked text still holds, or "".
func leaksContact(text string) string {
	switch {
	case qqPattern.MatchString(text):
		return "a QQ number"
	case wechatPattern.MatchString(text):
		return "a WeChat id"
	case platePattern.MatchString(text):
		return "a licence plate"
	}
	return ""
}

func fuzzSeeds() []string {
	seeds := []string{
		goldenMessage,
		"",
		"{}",
		"[]",
		`{"case_id":"a",`,
		`{"case_id":"x","version":1,"source":"grid","reported_at":"2026-03-01T00:00:00Z","region_code":"150502","parties":1,"status":"routed"} x`,
		`{"case_id":"x","version":1,"source":"grid","reported_at":"2026-03-01T00:00:00Z","region_code":"150502","parties":1,"status":"routed","summary":"身份证11010119900307451X电话+86 138 1234 5678卡6222 0212 3456 7890 123"}`,
		`{"case_id":"x","version":1,"source":"grid","reported_at":"2026-03-01T00:00:00Z","region_code":"150502","parties":1,"status":"routed","summary":"１３８１２３４５６７８ 0475-8221234 a@b.cn 张三","party_names":["张三"]}`,
		`{"contract":2,"x":1}`,
		"{\"summary\":\"\x00\"}",
		`{"summary":"\u0000"}`,
		"\xff\xfe",
	}
	return seeds
}

// FuzzTransform checks invariants on arbitrary messages: no panic; a row
// has masked text free of ID and mobile numbers, valid UTF-8, version ≥ 1,
// a region known to the registry, a known category; an error is always a
// *RejectError with a known reason.
func FuzzTransform(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	for _, m := range [][]byte{record(f, nil), record(f, map[string]any{"summary": "身份证110101199003074514"})} {
		f.Add(m)
	}
	tr := newTestTransformer(f, Options{})
	reg, _ := tongliao()
	known := map[Reason]bool{}
	for _, r := range Reasons() {
		known[r] = true
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		row, err := tr.Transform(msg, Meta{Topic: "t"}, testNow)
		if err != nil {
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a *RejectError", err, err)
			}
			if !known[re.Reason] {
				t.Fatalf("unknown reason %q", re.Reason)
			}
			if !utf8.ValidString(re.Error()) {
				t.Fatalf("error text is not UTF-8: %q", re.Error())
			}
			return
		}
		for _, text := range []string{row.Summary, row.CategoryText} {
			if idPattern.MatchString(text) {
				t.Fatalf("masked text holds an ID number: %q", text)
			}
			if mobilePattern.MatchString(text) {
				t.Fatalf("masked text holds a mobile number: %q", text)
			}
			if kind := leaksContact(text); kind != "" {
				t.Fatalf("masked text holds %s: %q", kind, text)
			}
			if !utf8.ValidString(text) || strings.IndexByte(text, 0) >= 0 {
				t.Fatalf("masked text is not clean UTF-8: %q", text)
			}
		}
		if row.Version < 1 || row.Parties < 1 || row.Contract != 1 {
			t.Fatalf("version %d, parties %d, contract %d", row.Version, row.Parties, row.Contract)
		}
		if r, ok := reg.Lookup(row.RegionCode); !ok || uint8(r.Level) != row.RegionLevel {
			t.Fatalf("region %q (level %d) is not in the registry", row.RegionCode, row.RegionLevel)
		}
		if _, ok := tr.categories[row.Category]; !ok || tr.categories[row.Category] != row.CategoryGroup {
			t.Fatalf("category %q group %q", row.Category, row.CategoryGroup)
		}
		if row.CaseID == "" || row.ReportedAt.After(testNow.Add(DefaultFutureTolerance)) ||
			row.ReportedDate.Hour() != 0 || row.ReportedAt.Location().String() != "UTC" {
			t.Fatalf("case %q reported %v date %v", row.CaseID, row.ReportedAt, row.ReportedDate)
		}
	})
}

// FuzzMask checks Mask alone, with a name: valid UTF-8 out, no ID or mobile
// number left, and a name of Chinese characters never left readable.
func FuzzMask(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, "张三")
	}
	f.Add("11010119900307451X13812345678", "欧阳娜娜")
	f.Add("张三张三三", "三三")
	f.Add("QQ号 12345678 微信：zhang_san88 车牌蒙G·12345 wx abcdefg@qq.com", "张三")
	f.Add("微信idabcde qq:0123456 扣扣号码是10001 京A1234567", "李四")
	f.Fuzz(func(t *testing.T, text, name string) {
		got := Mask(text, []string{name})
		if !utf8.ValidString(got) {
			t.Fatalf("Mask(%q) = %q is not UTF-8", text, got)
		}
		if idPattern.MatchString(got) || mobilePattern.MatchString(got) {
			t.Fatalf("Mask(%q) = %q still holds a number", text, got)
		}
		if kind := leaksContact(got); kind != "" {
			t.Fatalf("Mask(%q) = %q still holds %s", text, got, kind)
		}
		if utf8.RuneCountInString(name) >= 2 && isHan(name) {
			// Placeholders are made of Han characters too; a name that is
			// part of one would be found in them, so they are cut out.
			rest := got
			for _, p := range []string{maskID, maskBankCard, maskMobile, maskLandline, maskEmail, maskNumber, maskQQ, maskWeChat, maskPlate} {
				rest = strings.ReplaceAll(rest, p, "\x00")
			}
			if strings.Contains(rest, name) {
				t.Fatalf("Mask(%q, %q) = %q still holds the name", text, name, got)
			}
		}
	})
}

func isHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}
