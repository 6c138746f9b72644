package transform

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		names []string
		want  string
	}{
		// ID numbers.
		{"ID", "身份证110101199003074514", nil, "身份证[身份证号]"},
		{"ID with X", "身份证号11010119900307451X。", nil, "身份证号[身份证号]。"},
		{"ID with lower-case x", "11010119900307451x", nil, "[身份证号]"},
		{"old 15-digit ID", "证件110101900307451", nil, "证件[身份证号]"},
		{"ID grouped 6-8-4", "110101 19900307 4514", nil, "[身份证号]"},
		{"ID grouped 6-8-3X", "110101-19900307-451X", nil, "[身份证号]"},
		{"full-width ID", "１１０１０１１９９００３０７４５１４", nil, "[身份证号]"},
		{"ID then mobile", "ID 110101199003074514 tel 13812345678", nil, "ID [身份证号] tel [手机号]"},
		// Mobile numbers.
		{"mobile", "电话13812345678", nil, "电话[手机号]"},
		{"mobile +86 grouped", "+86 138 1234 5678", nil, "[手机号]"},
		{"mobile +86 glued", "+8613812345678", nil, "[手机号]"},
		{"mobile 86-", "86-138-1234-5678", nil, "[手机号]"},
		{"mobile dashes", "138-1234-5678", nil, "[手机号]"},
		{"mobile spaces", "138 1234 5678", nil, "[手机号]"},
		{"mobile 3-8", "138-12345678", nil, "[手机号]"},
		{"mobile full-width", "１３８１２３４５６７８", nil, "[手机号]"},
		{"mobile full-width with ideographic spaces", "１３８　１２３４　５６７８", nil, "[手机号]"},
		{"mobile + without 86", "+13812345678", nil, "+[手机号]"},
		{"two mobiles", "13812345678 13912345678", nil, "[手机号] [手机号]"},
		{"mobile in parentheses", "(13812345678)", nil, "([手机号])"},
		// Landlines.
		{"landline", "电话0475-8221234。", nil, "电话[电话]。"},
		{"landline 3+8", "010-12345678", nil, "[电话]"},
		{"landline with a space", "010 12345678", nil, "[电话]"},
		{"landline glued", "04758221234", nil, "[电话]"},
		{"landline with parentheses", "(0475)8221234", nil, "([电话]"},
		// Bank cards.
		{"bank card grouped 4-4-4-4-3", "卡号6222 0212 3456 7890 123", nil, "卡号[银行卡号]"},
		{"bank card grouped with dashes", "6222-0212-3456-7890", nil, "[银行卡号]"},
		{"bank card 19 digits", "6222021234567890123", nil, "[银行卡号]"},
		{"bank card 16 digits", "6222021234567890", nil, "[银行卡号]"},
		{"twenty digits", "12345678901234567890", nil, "[号码]"},
		{"ID glued to a mobile", "11010119900307451413812345678", nil, "[号码]"},
		// E-mail.
		{"e-mail", "邮箱zhang.san+x@mail.example.com。", nil, "邮箱[邮箱]。"},
		{"QQ mail", "qq 123456789@qq.com", nil, "qq [邮箱]"},
		{"two e-mails", "a@b.cn,c@d.org", nil, "[邮箱],[邮箱]"},
		{"e-mail then phone", "x@y.com 13812345678", nil, "[邮箱] [手机号]"},
		// Names.
		{"names", "张三和欧阳娜娜吵架", []string{"张三", "欧阳娜娜"}, "张*和欧***吵架"},
		{"longer name first", "欧阳娜娜与欧阳", []string{"欧阳", "欧阳娜娜"}, "欧***与欧*"},
		{"single-rune name ignored", "李四说", []string{"李"}, "李四说"},
		{"name with spaces around", "王五来访", []string{" 王五 "}, "王*来访"},
		{"full-width name", "ABC来了", []string{"ＡＢＣ"}, "A**来了"},
		{"repeated names", "张三张三", []string{"张三", "张三"}, "张*张*"},
		{"name and phone", "张三13812345678", []string{"张三"}, "张*[手机号]"},
		// Left alone.
		{"6-digit amount", "金额350000元", nil, "金额350000元"},
		{"date", "日期20260301", nil, "日期20260301"},
		{"12-digit division code", "区划150502001001", nil, "区划150502001001"},
		{"date and time", "2026-03-01 12:30", nil, "2026-03-01 12:30"},
		{"10 digits", "1381234567", nil, "1381234567"},
		{"12 digits starting with 13", "138123456789", nil, "138123456789"},
		{"mobile inside a longer run", "23813812345678", nil, "23813812345678"},
		{"decimal amount", "3500.00元", nil, "3500.00元"},
		{"not an e-mail", "x@y 和 a@b.c", nil, "x@y 和 a@b.c"},
		{"HTML", "<script>alert(1)</script>", nil, "<script>alert(1)</script>"},
		{"empty", "", []string{"张三"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Mask(c.text, c.names); got != c.want {
				t.Errorf("Mask(%q, %q) = %q, want %q", c.text, c.names, got, c.want)
			}
		})
	}
}

func TestMaskInvalidUTF8(t *testing.T) {
	if got, want := Mask("a\xffb 13812345678", nil), "a\uFFFDb [手机号]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMaskManyNames(t *testing.T) {
	// More names than nameIndexMin take the indexed path.
	names := []string{"张三", "李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十",
		"郑一", "冯二", "陈三", "褚四", "卫五", "蒋六", "沈七", "韩八", "杨九", "欧阳娜娜", "欧阳"}
	got := Mask("杨九、欧阳娜娜、欧阳和张三", names)
	if want := "杨*、欧***、欧*和张*"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMaskMessage(t *testing.T) {
	cases := []struct{ msg, want string }{
		{`{"summary":"张三 13812345678","party_names":["张三"]}`,
			`{"summary":"张* [手机号]","party_names":["张*"]}`},
		{`{"summary":"张三 13812345678", broken`, `{"summary":"张三 [手机号]", broken`},
	}
	for _, c := range cases {
		if got := MaskMessage([]byte(c.msg)); got != c.want {
			t.Errorf("MaskMessage(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}

func TestMaskReturnsInputWhenClean(t *testing.T) {
	s := strings.Repeat("邻里纠纷调解", 10)
	if got := Mask(s, nil); got != s {
		t.Errorf("clean text changed: %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Mask(s, nil) }); n != 0 {
		t.Errorf("Mask of clean text allocates %v times", n)
	}
}

func TestMaskContacts(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"QQ号 12345678", "QQ号 [QQ号]"},
		{"qq:987654321，找他", "qq:[QQ号]，找他"},
		{"扣扣号码是 10001", "扣扣号码是 [QQ号]"},
		{"ＱＱ：１２３４５６７８", "QQ：[QQ号]"},      // full width
		{"QQ 1234", "QQ 1234"},           // too short for a QQ number
		{"QQ 012345678", "QQ 012345678"}, // no leading zero
		{"欠款12345678元", "欠款12345678元"},   // no keyword: an amount
		{"微信号 zhang_san88 加我", "微信号 [微信号] 加我"},
		{"微信：Li-Si-2024", "微信：[微信号]"},
		{"wx: abc12345", "wx: [微信号]"},
		{"VX是wangwu_1990", "VX是[微信号]"},
		{"微信id abcdefg", "微信id [微信号]"},
		{"微信idabcde", "微信[微信号]"},             // "id" is part of the id when it must be
		{"wechat abc", "wechat abc"},         // too short for an id
		{"newx: abcdefgh", "newx: abcdefgh"}, // wx inside a word is no keyword
		{"微信 13812345678", "微信 [手机号]"},       // a phone number as WeChat id is a phone number
		{"车牌蒙G12345停在门口", "车牌[车牌号]停在门口"},
		{"京A·D12345 新能源", "[车牌号] 新能源"},
		{"粤B 8888X", "[车牌号]"},
		{"蒙G1234567", "蒙G1234567"}, // 7: no plate
		{"新华书店", "新华书店"},
		// Every ASCII keyword in upper and mixed case:
		{"Qq 55667788", "Qq [QQ号]"},
		{"qQ号码12345", "qQ号码[QQ号]"},
		{"WX abc12345", "WX [微信号]"},
		{"Vx: abc12345", "Vx: [微信号]"},
		{"vX=abc12345", "vX=[微信号]"},
		{"WeChat abcdefg", "WeChat [微信号]"},
		{"WECHAT号 abcdefg", "WECHAT号 [微信号]"},
		{"WeiXin abcdefg", "WeiXin [微信号]"},
		{"wEiXiNID abcdefg", "wEiXiNID [微信号]"},
	} {
		if got := Mask(c.in, nil); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestKeepPlates(t *testing.T) {
	tr := newTestTransformer(t, Options{KeepPlates: true})
	row, err := tr.Transform(record(t, map[string]any{"summary": "蒙G12345 刮蹭，车主QQ 12345678"}), Meta{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if row.Summary != "蒙G12345 刮蹭，车主QQ [QQ号]" {
		t.Errorf("KeepPlates: summary %q", row.Summary)
	}
	tr = newTestTransformer(t, Options{})
	row, err = tr.Transform(record(t, map[string]any{"summary": "蒙G12345 刮蹭"}), Meta{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if row.Summary != "[车牌号] 刮蹭" {
		t.Errorf("default: summary %q", row.Summary)
	}
}

// hasPrefixFold compares bytes; for the keywords and suffixes it is given,
// that is strings.EqualFold on the prefix, on any text.
func TestHasPrefixFoldIsEqualFold(t *testing.T) {
	var pats []string
	for _, l := range [][]string{qqKeywords, qqSuffixes, wechatKeywords, wechatSuffixes} {
		pats = append(pats, l...)
	}
	for _, p := range pats {
		if p != strings.ToLower(p) || strings.ContainsAny(p, "ks") {
			t.Fatalf("keyword %q: hasPrefixFold needs lower case without k or s", p)
		}
	}
	texts := []string{"", "微信号", "微信", "微", "WeChat号: ab", "WEIXIN", "wX", "Vx", "QQ号码", "扣扣号", "ID", "iD", "号码",
		"wechat\u212a", "\u212aq", "ｗｘ", "wｘ", "w\xe5x", "\xff\xfe", "qq\u017f", "微\xe4", "号\xe7\xa0"}
	for _, p := range pats {
		texts = append(texts, p, strings.ToUpper(p), p+"x", p[:len(p)/2])
	}
	// Every text with every cut: prefixes of odd lengths split runes.
	for _, p := range pats {
		for _, text := range texts {
			for cut := 0; cut <= len(text); cut++ {
				s := text[cut:]
				want := len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
				if got := hasPrefixFold(s, p); got != want {
					t.Errorf("hasPrefixFold(%q, %q) = %v, strings.EqualFold says %v", s, p, got, want)
				}
			}
		}
	}
}
