package transform

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
)

// FuzzDecodeMatchesEncodingJSON holds the hand-written scanner to
// encoding/json: a message is a syntax error or has trailing data exactly
// when json.Valid rejects it, and the strings and numbers decoded from a
// well-formed record are the ones encoding/json decodes.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	for _, s := range []string{
		`{"summary":"\ud83d\ude00 \ud800 \udc00x \u00e9\n\"\\\/\b\f\r\t"}`,
		`{"summary":"\ud800\u0041"}`,
		`{"x":[1,{"a":[true,false,null,-0.5e+3]},"s"],"case_id":"a"}`,
		`{"parties":01}`, `{"parties":1.}`, `{"parties":-}`, `{"a":tru}`, `{"a":1,}`, `[1,]`,
		`{"a" : [ ] , "b" : { } }`, `{"party_details":[{"name":"张三","id_number":"11010119900307451x","phone":"+86 138 1234 5678","org":"杭州\u840c山城投集团有限公司","role":"申请人"},{}]}`,
		`{"party_details":[{"name":1}]}`, `{"party_details":[{"x":"y"}]}`, `{"party_details":[1]}`, `{"party_details":[{"name":"a","name":"b"}]}`, `"just a string"`, `123`, `{"a":"\x"}`, "{\"a\":\"\t\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		// The scanner runs only on what checkMessage lets through.
		if !utf8.Valid(msg) || bytes.IndexByte(msg, 0) >= 0 || len(bytes.TrimLeft(msg, " \t\r\n")) == 0 {
			return
		}
		var w wire
		fieldErr, fatal := decode(msg, &w, nil)
		syntaxBad := fatal != nil && (fatal.Reason == ReasonBadJSON || fatal.Reason == ReasonTrailingData)
		if valid := json.Valid(msg); valid == syntaxBad {
			t.Fatalf("json.Valid %v, scanner: %v", valid, fatal)
		}
		if fatal != nil || fieldErr != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("scanner accepted what encoding/json rejects: %v", err)
		}
		for k, raw := range m {
			f, ok := fieldByName(k)
			if !ok {
				t.Fatalf("field %q accepted but unknown", k)
			}
			switch f.kind() {
			case kindString:
				var s string
				if err := json.Unmarshal(raw, &s); err != nil || s != w.str[f] {
					t.Fatalf("field %s: scanner %q, encoding/json %q (%v)", k, w.str[f], s, err)
				}
			case kindNumber:
				if string(raw) != w.str[f] {
					t.Fatalf("field %s: scanner %q, encoding/json %q", k, w.str[f], raw)
				}
			case kindBool:
				var b bool
				if err := json.Unmarshal(raw, &b); err != nil || b != w.flag[f] {
					t.Fatalf("field %s: scanner %v, encoding/json %v (%v)", k, w.flag[f], b, err)
				}
			case kindPartyList:
				var l []schemas.Party
				if err := json.Unmarshal(raw, &l); err != nil || !reflect.DeepEqual(l, w.partyDetails) && len(l)+len(w.partyDetails) > 0 {
					t.Fatalf("field %s: scanner %+v, encoding/json %+v (%v)", k, w.partyDetails, l, err)
				}
			case kindStringList:
				var l []string
				if err := json.Unmarshal(raw, &l); err != nil || len(l) != len(w.partyNames) {
					t.Fatalf("field %s: scanner %q, encoding/json %q (%v)", k, w.partyNames, l, err)
				}
				for i := range l {
					if l[i] != w.partyNames[i] {
						t.Fatalf("field %s[%d]: scanner %q, encoding/json %q", k, i, w.partyNames[i], l[i])
					}
				}
			}
		}
	})
}

func TestScannerDepth(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(`{"x":` + string(bytes.Repeat([]byte("["), n)) + string(bytes.Repeat([]byte("]"), n)) + `}`)
	}
	var w wire
	// The object is level 1, so 9999 arrays inside reach the limit of 10000.
	if _, fatal := decode(deep(9999), &w, nil); fatal != nil {
		t.Errorf("depth 10000 rejected: %v", fatal)
	}
	if _, fatal := decode(deep(10000), &w, nil); fatal == nil || fatal.Reason != ReasonBadJSON {
		t.Errorf("depth 10001: %v, want bad_json", fatal)
	}
	if json.Valid(deep(10000)) || !json.Valid(deep(9999)) {
		t.Errorf("encoding/json's depth limit moved; the scanner should follow it")
	}
}
