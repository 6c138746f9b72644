package transform

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

func TestNormalizeOrg(t *testing.T) {
	tr := partyTransformer(t, nil, "")
	same := [][]string{
		{"萧山城投", "杭州萧山城投集团有限公司", "浙江省杭州市萧山城投有限公司", " 杭州 萧山城投集团 ", "萧山城投有限责任公司"},
		{"科尔沁建安", "通辽市科尔沁建安有限公司", "内蒙古通辽科尔沁建安工程队"},
		{"金穗农民", "金穗农民专业合作社", "通辽金穗农民合作社"},
	}
	for _, group := range same {
		want := tr.orgs.Normalize(group[0])
		if want == "" {
			t.Fatalf("%s normalises to nothing", group[0])
		}
		for _, s := range group[1:] {
			if got := tr.orgs.Normalize(s); got != want {
				t.Errorf("Normalize(%q) = %q, want %q as for %q", s, got, want, group[0])
			}
		}
	}
	if got := tr.orgs.Normalize("杭州萧山城投集团有限公司"); got != "萧山城投" {
		t.Errorf("Normalize(杭州萧山城投集团有限公司) = %q, want 萧山城投", got)
	}
	differ := [][2]string{
		{"萧山城投", "余杭城投"},
		{"杭州萧山城投集团有限公司", "杭州余杭城投集团有限公司"},
		{"通辽市宏达建筑有限公司", "通辽市宏远建筑有限公司"},
		{"科尔沁区宏达建筑", "开鲁县宏达建筑"},
	}
	for _, d := range differ {
		if a, b := tr.orgs.Normalize(d[0]), tr.orgs.Normalize(d[1]); a == b {
			t.Errorf("%q and %q both normalise to %q", d[0], d[1], a)
		}
	}
	for _, s := range []string{"", "公司", "杭州市", "厂"} {
		if got := tr.orgs.Normalize(s); utf8Len(got) == 1 {
			t.Errorf("Normalize(%q) = %q, a single character", s, got)
		}
	}
}

func utf8Len(s string) int { return len([]rune(s)) }

func TestNormalizeIDNumberAndPhone(t *testing.T) {
	for in, want := range map[string]string{
		"11010119900307451x":   "11010119900307451X",
		"110101 19900307 451X": "11010119900307451X",
		"１１０１０１１９９００３０７４５１４": "110101199003074514",
		"110101199003074":    "", // the old 15-digit form: no key
		"1101011990030745XX": "",
		"":                   "",
	} {
		if got := NormalizeIDNumber(in); got != want {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"13812345678":       "13812345678",
		"+86 138-1234-5678": "13812345678",
		"008613812345678":   "13812345678",
		"8613812345678":     "13812345678",
		"0475-8221234":      "04758221234",
		"12345":             "",
	} {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func partyTransformer(t *testing.T, secret []byte, id string) *Transformer {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Options{Registry: reg, PartyKeySecret: secret, PartyKeyID: id})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// partyMessage is a record of village 150502001001 with the given
// party_details (JSON array) and summary.
func partyMessage(caseID, region, parties, summary string) []byte {
	return []byte(fmt.Sprintf(`{"case_id":%q,"version":1,"source":"platform","reported_at":"2026-03-01T08:00:00+08:00",
"region_code":%q,"parties":2,"status":"accepted","summary":%q,"party_details":%s}`, caseID, region, summary, parties))
}

var partyNow = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func TestPartyKeys(t *testing.T) {
	secret := []byte("0123456789abcdef-demo")
	tr := partyTransformer(t, secret, "k1")
	a, err := tr.Transform(partyMessage("A", "150502001001",
		`[{"role":"申请人","name":"王建国","id_number":"15050219800101123x","phone":"+86 139 0475 1234"},{"role":"被申请人","org":"杭州萧山城投集团有限公司"}]`, "欠薪"), Meta{}, partyNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.PartyKeys) != 4 || len(a.PartyKeyKinds) != 4 || len(a.PartyLabels) != 4 {
		t.Fatalf("want 4 keys (id, phone, name, org), got %q %q %q", a.PartyKeys, a.PartyKeyKinds, a.PartyLabels)
	}
	byKind := map[string]string{}
	for i, k := range a.PartyKeys {
		if !strings.HasPrefix(k, "k1:") || len(k) != len("k1:")+32 {
			t.Errorf("key %q is not k1: and 32 hex digits", k)
		}
		byKind[a.PartyKeyKinds[i]] = k
		want := "王*"
		if a.PartyKeyKinds[i] == schemas.PartyKeyOrg {
			want = "萧山城投"
		}
		if a.PartyLabels[i] != want {
			t.Errorf("label of %s key: %q, want %q", a.PartyKeyKinds[i], a.PartyLabels[i], want)
		}
	}
	// The same party written differently in another case of the same
	// village: every key matches.
	b, err := tr.Transform(partyMessage("B", "150502001001",
		`[{"name":" 王建国 ","id_number":"15050219800101123X","phone":"13904751234"},{"org":"萧山城投"}]`, ""), Meta{}, partyNow)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range b.PartyKeys {
		if byKind[b.PartyKeyKinds[i]] != k {
			t.Errorf("%s key of case B %q differs from case A's %q", b.PartyKeyKinds[i], k, byKind[b.PartyKeyKinds[i]])
		}
	}
	// Another village: the name key differs, the others do not.
	c, err := tr.Transform(partyMessage("C", "150502001002", `[{"name":"王建国","phone":"13904751234"}]`, ""), Meta{}, partyNow)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range c.PartyKeys {
		switch c.PartyKeyKinds[i] {
		case schemas.PartyKeyName:
			if k == byKind[schemas.PartyKeyName] {
				t.Error("the same name in another village gives the same key")
			}
		case schemas.PartyKeyPhone:
			if k != byKind[schemas.PartyKeyPhone] {
				t.Error("the same phone in another village gives another key")
			}
		}
	}
	// A new secret under a new key id: no key matches the old ones.
	rot := partyTransformer(t, []byte("another-secret-of-16+"), "k2")
	r, err := rot.Transform(partyMessage("A", "150502001001", `[{"name":"王建国","id_number":"15050219800101123x"}]`, ""), Meta{}, partyNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range r.PartyKeys {
		for _, old := range a.PartyKeys {
			if k[3:] == old[3:] || !strings.HasPrefix(k, "k2:") {
				t.Errorf("rotated key %q matches or lacks its id (old %q)", k, old)
			}
		}
	}
	// No secret: no keys, but still masked.
	none := partyTransformer(t, nil, "")
	n, err := none.Transform(partyMessage("A", "150502001001", `[{"name":"王建国","id_number":"15050219800101123x"}]`, "王建国来访"), Meta{}, partyNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(n.PartyKeys) != 0 || strings.Contains(n.Summary, "王建国") {
		t.Errorf("without a secret: keys %q, summary %q", n.PartyKeys, n.Summary)
	}
}

func TestPartyRawValuesNeverStored(t *testing.T) {
	tr := partyTransformer(t, []byte("0123456789abcdef-demo"), "k1")
	raw := []string{"王建国", "15050219800101123X", "15050219800101123x", "13904751234", "1390475", "杭州萧山城投集团有限公司", "萧山城投"}
	row, err := tr.Transform(partyMessage("A", "150502001001",
		`[{"role":"申请人","name":"王建国","id_number":"15050219800101123x","phone":"139-0475-1234"},{"org":"杭州萧山城投集团有限公司"}]`,
		"王建国反映萧山城投拖欠工资，杭州萧山城投集团有限公司未回应，电话13904751234，身份证15050219800101123x"), Meta{}, partyNow)
	if err != nil {
		t.Fatal(err)
	}
	// Everything but the labels, which show the normalised organisation
	// name on purpose.
	labels := row.PartyLabels
	row.PartyLabels = nil
	dump := fmt.Sprintf("%+v", row)
	for _, r := range raw {
		if strings.Contains(dump, r) {
			t.Errorf("the row holds %q: %s", r, dump)
		}
	}
	for _, l := range labels {
		if strings.Contains(l, "王建") {
			t.Errorf("label %q shows more than the surname", l)
		}
	}
}

func TestPartyDetailsRejects(t *testing.T) {
	tr := partyTransformer(t, nil, "")
	for parties, want := range map[string]string{
		`[{"nick":"x"}]`:            "unknown_field party_details.nick",
		`[{"name":1}]`:              "wrong_type party_details.name",
		`["王建国"]`:                   "wrong_type party_details",
		`{"name":"王建国"}`:            "wrong_type party_details",
		`[{"name":"a","name":"b"}]`: "duplicate_field party_details.name",
		`[{"name":"` + strings.Repeat("王", 65) + `"}]`: "too_long party_details.name",
	} {
		_, err := tr.Transform(partyMessage("A", "150502001001", parties, ""), Meta{}, partyNow)
		re, ok := err.(*RejectError)
		if !ok || string(re.Reason)+" "+re.Field != want {
			t.Errorf("%s: got %v, want %s", parties, err, want)
		}
	}
}

func TestMaskMessageMasksPartyDetails(t *testing.T) {
	got := MaskMessage([]byte(`{"party_details":[{"name":"王建国","org":"杭州萧山城投集团有限公司"}],"summary":"王建国 萧山城投"}`))
	for _, r := range []string{"王建国", "萧山城投"} {
		if strings.Contains(got, r) {
			t.Errorf("MaskMessage left %q: %s", r, got)
		}
	}
}
