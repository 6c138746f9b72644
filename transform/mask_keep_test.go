package transform

import (
	"strings"
	"testing"
)

func TestMaskKeepingKeepsCaseIDs(t *testing.T) {
	const id = "WG-150521-20241103-0012"
	text := "案件" + id + "，当事人张三，身份证150521199001011234，电话13812345678，另案WG-150521-20241104-0001。"
	// Without the id kept, the demo's id has the grouped shape of an ID
	// number: the stub the issue saw.
	if got := Mask(text, nil); !strings.Contains(got, "WG-[身份证号]") {
		t.Fatalf("Mask no longer takes the id for an ID number: %q", got)
	}
	got := MaskKeeping(text, []string{"张三"}, []string{id})
	want := "案件" + id + "，当事人张*，身份证[身份证号]，电话[手机号]，另案WG-[身份证号]。"
	if got != want {
		t.Errorf("MaskKeeping:\n got %q\nwant %q", got, want)
	}
	// An id that is no valid case id is not kept: too short, too long, or
	// with a control character.
	for _, bad := range []string{"1", strings.Repeat("1", 129), "150521199001011234\x01"} {
		if got := MaskKeeping("身份证150521199001011234", nil, []string{bad}); got != "身份证[身份证号]" {
			t.Errorf("MaskKeeping kept %q: %q", bad, got)
		}
	}
	// A short id is kept; the phone next to it is masked.
	if got := MaskKeeping("A-1 与 13812345678", nil, []string{"A-1"}); got != "A-1 与 [手机号]" {
		t.Errorf("short id: %q", got)
	}
	// Full-width digits of the id match its ASCII form.
	if got := MaskKeeping("案件ＷＧ-150521-20241103-0012", nil, []string{id}); got != "案件"+id {
		t.Errorf("full-width: %q", got)
	}
}
