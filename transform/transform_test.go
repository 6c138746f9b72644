package transform

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// goldenMessage exercises every field of the contract. Its expected row
// below is written by hand from the contract, the taxonomy and the NBS
// division file (150502001001 民航社区居委会 → 150502001000 科尔沁街道 →
// 150502000000 科尔沁区 → 150500000000 通辽市).
const goldenMessage = `{
  "contract": 1,
  "case_id": " TL-2026-０００１２３ ",
  "version": 3,
  "source": "platform",
  "channel": "superior",
  "reported_at": "2026-03-01T23:30:00Z",
  "occurred_at": "2026-03-01T20:00:00+08:00",
  "region_code": "150502001001",
  "grid_id": "ＧＲＩＤ-07",
  "lat": 43.617,
  "lon": 122.263,
  "category": "",
  "category_text": "拖欠农民工工资36人",
  "summary": "张三(身份证110101199003074514,电话13812345678)反映：某工地拖欠36名农民工工资共350000元，由李主任接待。欧阳娜娜邮箱zhangsan@example.com。<script>alert(1)</script>",
  "party_names": ["张三", "欧阳娜娜", "李"],
  "severity": "difficult",
  "parties": 36,
  "amount_cny": 350000.5,
  "status": "closed",
  "assigned_unit": "科尔沁区人社局",
  "due_at": "2026-03-31T18:00:00+08:00",
  "resolved_at": "2026-03-03T10:00:00+08:00",
  "feedback_at": "2026-03-04T09:30:00+08:00",
  "evaluated_at": "2026-03-04T16:00:00+08:00",
  "satisfaction": "basic",
  "repeat_of": "TL-2025-０００７７７",
  "petition": true,
  "superior_assigned": false,
  "escalated": true
}`

func TestTransformGolden(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	meta := Meta{Topic: "disputes", Partition: 2, Offset: 12345, Key: []byte("TL-2026-000123")}
	got, err := tr.Transform([]byte(goldenMessage), meta, testNow)
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	want := schemas.CaseRow{
		Source:       schemas.SourcePlatform,
		CaseID:       "TL-2026-000123",
		Version:      3,
		Contract:     1,
		Channel:      schemas.ChannelSuperior,
		ReportedAt:   time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC),
		ReportedDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), // 07:30 on 2 March in Tongliao
		OccurredAt:   ptrTime("2026-03-01T12:00:00Z"),
		RegionCode:   "150502001001",
		RegionLevel:  5,
		CityCode:     "150500000000",
		CountyCode:   "150502000000",
		TownCode:     "150502001000",
		VillageCode:  "150502001001",
		GridID:       "GRID-07",
		Lat:          ptrFloat(43.617),
		Lon:          ptrFloat(122.263),

		Category:      "labor.wage_arrears",
		CategoryGroup: "labor",
		CategoryRule:  "keyword:农民工工资",
		CategoryText:  "拖欠农民工工资36人",
		Summary:       "张*(身份证[身份证号],电话[手机号])反映：某工地拖欠36名农民工工资共350000元，由李主任接待。欧***邮箱[邮箱]。<script>alert(1)</script>",

		Severity:  schemas.SeverityDifficult,
		Parties:   36,
		AmountCNY: 350000.5,

		Status:       schemas.StatusClosed,
		AssignedUnit: "科尔沁区人社局",
		DueAt:        ptrTime("2026-03-31T10:00:00Z"),
		ResolvedAt:   ptrTime("2026-03-03T02:00:00Z"),
		FeedbackAt:   ptrTime("2026-03-04T01:30:00Z"),
		EvaluatedAt:  ptrTime("2026-03-04T08:00:00Z"),
		Satisfaction: schemas.SatisfactionBasic,

		RepeatOf:         "TL-2025-000777",
		Petition:         true,
		SuperiorAssigned: true, // channel superior, although the flag is false
		Escalated:        true,
		GroupDispute:     true,  // 36 ≥ 30
		LargeAmount:      false, // 350000.5 < 1,000,000

		IngestedAt: testNow,
		Topic:      "disputes",
		Partition:  2,
		Offset:     12345,
		UpdatedAt:  testNow, // no updated_at: the ingest time stands in
	}
	for _, d := range diffRows(got, want) {
		t.Error(d)
	}
	if strings.Contains(got.Summary+got.CategoryText, "欧阳娜娜") {
		t.Error("a party name survived masking")
	}
}

// TestTransformRejects feeds one bad thing at a time. Each case must fail
// with its own reason; the base record is valid (TestTransformBaseIsValid).
func TestTransformRejects(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	valid := string(record(t, nil))
	huge := `{"case_id":"x","summary":"` + strings.Repeat("a", 10<<20) + `"}`
	cases := []struct {
		name   string
		msg    []byte
		reason Reason
		field  string
	}{
		{"empty message", []byte{}, ReasonEmpty, ""},
		{"white space only", []byte(" \n\t "), ReasonEmpty, ""},
		{"10 MB message", []byte(huge), ReasonTooLarge, ""},
		{"invalid UTF-8", []byte(strings.Replace(valid, "噪音", "\xff\xfe", 1)), ReasonInvalidUTF8, ""},
		{"raw NUL byte", []byte(strings.Replace(valid, "噪音", "噪\x00音", 1)), ReasonNullByte, ""},
		{"escaped NUL in summary", []byte(strings.Replace(valid, "噪音", `噪\u0000音`, 1)), ReasonNullByte, "summary"},
		{"broken JSON", []byte(`{"case_id": "a", "version": `), ReasonBadJSON, ""},
		{"broken JSON: missing colon", []byte(`{"case_id" "a"}`), ReasonBadJSON, ""},
		{"broken JSON: single quotes", []byte(`{'case_id': 'a'}`), ReasonBadJSON, ""},
		{"not an object", []byte(`[1, 2]`), ReasonWrongType, ""},
		{"trailing garbage", []byte(valid + ` x`), ReasonTrailingData, ""},
		{"second object", []byte(valid + valid), ReasonTrailingData, ""},
		{"unknown field", record(t, map[string]any{"foo": 1}), ReasonUnknownField, "foo"},
		{"field name in other case", record(t, map[string]any{"Case_ID": "x"}), ReasonUnknownField, "Case_ID"},
		{"duplicate field", []byte(strings.Replace(valid, `"parties":2`, `"parties":2,"parties":3`, 1)), ReasonDuplicateField, "parties"},
		{"missing case_id", record(t, map[string]any{"case_id": deleted{}}), ReasonMissingField, "case_id"},
		{"missing status", record(t, map[string]any{"status": deleted{}}), ReasonMissingField, "status"},
		{"missing reported_at", record(t, map[string]any{"reported_at": deleted{}}), ReasonMissingField, "reported_at"},
		{"empty case_id", record(t, map[string]any{"case_id": "  "}), ReasonBadValue, "case_id"},
		{"case_id too long", record(t, map[string]any{"case_id": strings.Repeat("x", 129)}), ReasonTooLong, "case_id"},
		{"case_id with a newline", record(t, map[string]any{"case_id": "a\nb"}), ReasonBadValue, "case_id"},
		{"wrong type: parties is a boolean", record(t, map[string]any{"parties": true}), ReasonWrongType, "parties"},
		{"wrong type: summary is a number", record(t, map[string]any{"summary": 123}), ReasonWrongType, "summary"},
		{"wrong type: party_names is a string", record(t, map[string]any{"party_names": "张三"}), ReasonWrongType, "party_names"},
		{"wrong type: party name is a number", record(t, map[string]any{"party_names": []any{"张三", 5}}), ReasonWrongType, "party_names"},
		{"wrong type: reported_at is a number", record(t, map[string]any{"reported_at": 1772326800}), ReasonWrongType, "reported_at"},
		{"wrong type: summary is an object", record(t, map[string]any{"summary": map[string]any{"a": []int{1}}}), ReasonWrongType, "summary"},
		{"wrong type: null", record(t, map[string]any{"channel": nil}), ReasonWrongType, "channel"},
		{"wrong type: version is a fraction", record(t, map[string]any{"version": 1.5}), ReasonWrongType, "version"},
		{"wrong type: parties with exponent", record(t, map[string]any{"parties": rawNumber("3e1")}), ReasonWrongType, "parties"},
		{"number as string: parties", record(t, map[string]any{"parties": "3"}), ReasonWrongType, "parties"},
		{"number as string: version", record(t, map[string]any{"version": "1"}), ReasonWrongType, "version"},
		{"number as string: amount", record(t, map[string]any{"amount_cny": "100"}), ReasonWrongType, "amount_cny"},
		{"boolean as string", record(t, map[string]any{"petition": "true"}), ReasonWrongType, "petition"},
		{"version 0", record(t, map[string]any{"version": 0}), ReasonBadValue, "version"},
		{"negative version", record(t, map[string]any{"version": -1}), ReasonBadValue, "version"},
		{"version beyond uint32", record(t, map[string]any{"version": int64(1) << 32}), ReasonBadValue, "version"},
		{"version beyond int64", record(t, map[string]any{"version": rawNumber("99999999999999999999")}), ReasonBadValue, "version"},
		{"parties 0", record(t, map[string]any{"parties": 0}), ReasonBadValue, "parties"},
		{"negative amount", record(t, map[string]any{"amount_cny": -5}), ReasonBadValue, "amount_cny"},
		{"amount of 1e15", record(t, map[string]any{"amount_cny": 1e15}), ReasonBadValue, "amount_cny"},
		{"amount overflowing float64", record(t, map[string]any{"amount_cny": rawNumber("1e400")}), ReasonBadValue, "amount_cny"},
		{"latitude 91", record(t, map[string]any{"lat": 91}), ReasonBadValue, "lat"},
		{"longitude -180.5", record(t, map[string]any{"lon": -180.5}), ReasonBadValue, "lon"},
		{"unknown enum: status", record(t, map[string]any{"status": "done"}), ReasonUnknownEnum, "status"},
		{"unknown enum: source", record(t, map[string]any{"source": "weibo"}), ReasonUnknownEnum, "source"},
		{"unknown enum: channel in other case", record(t, map[string]any{"channel": "Visit"}), ReasonUnknownEnum, "channel"},
		{"unknown enum: empty severity", record(t, map[string]any{"severity": ""}), ReasonUnknownEnum, "severity"},
		{"unknown enum: satisfaction", record(t, map[string]any{"satisfaction": "happy"}), ReasonUnknownEnum, "satisfaction"},
		{"unknown category", record(t, map[string]any{"category": "labor.strike"}), ReasonUnknownEnum, "category"},
		{"unknown region", record(t, map[string]any{"region_code": "150599999999"}), ReasonUnknownRegion, "region_code"},
		{"region of another city", record(t, map[string]any{"region_code": "110101000000"}), ReasonUnknownRegion, "region_code"},
		{"region code of 7 digits", record(t, map[string]any{"region_code": "1505020"}), ReasonUnknownRegion, "region_code"},
		{"empty region code", record(t, map[string]any{"region_code": ""}), ReasonBadValue, "region_code"},
		{"reported_at in 2099", record(t, map[string]any{"reported_at": "2099-01-01T00:00:00+08:00"}), ReasonFutureTime, "reported_at"},
		{"reported_at 11 minutes ahead", record(t, map[string]any{"reported_at": "2026-03-05T12:11:00Z"}), ReasonFutureTime, "reported_at"},
		{"reported_at in 1989", record(t, map[string]any{"reported_at": "1989-12-31T23:59:59Z"}), ReasonBadValue, "reported_at"},
		{"reported_at without offset", record(t, map[string]any{"reported_at": "2026-03-01T09:00:00"}), ReasonBadValue, "reported_at"},
		{"reported_at as a date", record(t, map[string]any{"reported_at": "2026-03-01"}), ReasonBadValue, "reported_at"},
		{"reported_at with a space", record(t, map[string]any{"reported_at": "2026-03-01 09:00:00+08:00"}), ReasonBadValue, "reported_at"},
		{"resolved_at in the future", record(t, map[string]any{"resolved_at": "2026-04-01T00:00:00Z"}), ReasonFutureTime, "resolved_at"},
		{"updated_at in the future", record(t, map[string]any{"updated_at": "2026-04-01T00:00:00Z"}), ReasonFutureTime, "updated_at"},
		{"updated_at without offset", record(t, map[string]any{"updated_at": "2026-03-01 10:00:00"}), ReasonBadValue, "updated_at"},
		{"occurred_at in 1970", record(t, map[string]any{"occurred_at": "1970-01-01T00:00:00Z"}), ReasonBadValue, "occurred_at"},
		{"due_at 11 years ahead", record(t, map[string]any{"due_at": "2037-03-06T00:00:00Z"}), ReasonFutureTime, "due_at"},
		{"summary too long", record(t, map[string]any{"summary": strings.Repeat("纠", 20001)}), ReasonTooLong, "summary"},
		{"category_text too long", record(t, map[string]any{"category_text": strings.Repeat("纠", 1025)}), ReasonTooLong, "category_text"},
		{"too many party names", record(t, map[string]any{"party_names": make([]string, 1001)}), ReasonTooLong, "party_names"},
		{"party name too long", record(t, map[string]any{"party_names": []string{strings.Repeat("张", 65)}}), ReasonTooLong, "party_names"},
		{"contract 2", record(t, map[string]any{"contract": 2}), ReasonUnsupportedContract, "contract"},
		{"contract -1", record(t, map[string]any{"contract": -1}), ReasonUnsupportedContract, "contract"},
		{"contract 2 with a new field", record(t, map[string]any{"contract": 2, "new_field": "x"}), ReasonUnsupportedContract, "contract"},
		{"contract 2 with a retyped field", record(t, map[string]any{"contract": 2, "parties": "many"}), ReasonUnsupportedContract, "contract"},
		{"contract as a string", record(t, map[string]any{"contract": "1"}), ReasonWrongType, "contract"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row, err := tr.Transform(c.msg, Meta{}, testNow)
			if err == nil {
				t.Fatalf("accepted, want %s; row summary %q", c.reason, row.Summary)
			}
			var re *RejectError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a *RejectError", err, err)
			}
			if re.Reason != c.reason || re.Field != c.field {
				t.Errorf("got %s on field %q (%v), want %s on field %q", re.Reason, re.Field, err, c.reason, c.field)
			}
			if !reflect.DeepEqual(row, schemas.CaseRow{}) {
				t.Errorf("a rejected message returned a non-zero row")
			}
		})
	}
}

func TestTransformBaseIsValid(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	row, err := tr.Transform(record(t, nil), Meta{}, testNow)
	if err != nil {
		t.Fatalf("the base record of the reject table is rejected: %v", err)
	}
	if row.CaseID != "TL-2026-000001" || row.Version != 1 || row.Parties != 2 {
		t.Errorf("row = %+v", row)
	}
}

// TestTransformUpdatedAt: a given updated_at is the version's event time;
// without one the ingest time stands in.
func TestTransformUpdatedAt(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	row, err := tr.Transform(record(t, map[string]any{"updated_at": "2026-03-02T09:15:00+08:00"}), Meta{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 2, 1, 15, 0, 0, time.UTC); !row.UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt = %s, want %s", row.UpdatedAt, want)
	}
	row, err = tr.Transform(record(t, nil), Meta{}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !row.UpdatedAt.Equal(testNow) {
		t.Errorf("UpdatedAt without updated_at = %s, want the ingest time %s", row.UpdatedAt, testNow)
	}
}

func TestTransformAccepts(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	cases := []struct {
		name   string
		change map[string]any
		check  func(schemas.CaseRow) string // "" when fine
	}{
		{"HTML is kept as text", map[string]any{"summary": `<script>alert("x")</script><b>楼上</b>`},
			func(r schemas.CaseRow) string {
				return expect(r.Summary, `<script>alert("x")</script><b>楼上</b>`)
			}},
		{"contract 0 reads as 1", map[string]any{"contract": 0},
			func(r schemas.CaseRow) string { return expect(r.Contract, uint16(1)) }},
		{"no contract reads as 1", nil,
			func(r schemas.CaseRow) string { return expect(r.Contract, uint16(1)) }},
		{"reported_at 9 minutes ahead is tolerated", map[string]any{"reported_at": "2026-03-05T12:09:00Z"},
			func(r schemas.CaseRow) string {
				return expect(r.ReportedAt, time.Date(2026, 3, 5, 12, 9, 0, 0, time.UTC))
			}},
		{"reported_at exactly 1990", map[string]any{"reported_at": "1990-01-01T00:00:00Z"},
			func(r schemas.CaseRow) string {
				return expect(r.ReportedDate, time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))
			}},
		{"fractional seconds", map[string]any{"reported_at": "2026-03-01T09:00:00.250+08:00"},
			func(r schemas.CaseRow) string {
				return expect(r.ReportedAt, time.Date(2026, 3, 1, 1, 0, 0, 250e6, time.UTC))
			}},
		{"due_at 9 years ahead", map[string]any{"due_at": "2035-03-01T00:00:00+08:00"},
			func(r schemas.CaseRow) string {
				return expect(*r.DueAt, time.Date(2035, 2, 28, 16, 0, 0, 0, time.UTC))
			}},
		{"amount zero", map[string]any{"amount_cny": 0},
			func(r schemas.CaseRow) string { return expect(r.LargeAmount, false) }},
		{"negative zero amount", map[string]any{"amount_cny": rawNumber("-0")},
			func(r schemas.CaseRow) string { return expect(r.AmountCNY, 0.0) }},
		{"amount at the large threshold", map[string]any{"amount_cny": 1000000},
			func(r schemas.CaseRow) string { return expect(r.LargeAmount, true) }},
		{"amount below the large threshold", map[string]any{"amount_cny": 999999.99},
			func(r schemas.CaseRow) string { return expect(r.LargeAmount, false) }},
		{"29 parties", map[string]any{"parties": 29},
			func(r schemas.CaseRow) string { return expect(r.GroupDispute, false) }},
		{"30 parties", map[string]any{"parties": 30},
			func(r schemas.CaseRow) string { return expect(r.GroupDispute, true) }},
		{"superior_assigned flag without the channel", map[string]any{"superior_assigned": true, "channel": "visit"},
			func(r schemas.CaseRow) string { return expect(r.SuperiorAssigned, true) }},
		{"no superior assignment", map[string]any{"superior_assigned": false, "channel": "visit"},
			func(r schemas.CaseRow) string { return expect(r.SuperiorAssigned, false) }},
		{"empty party names", map[string]any{"party_names": []string{}},
			func(r schemas.CaseRow) string { return expect(r.Summary, "楼上装修噪音") }},
		{"county code of 6 digits", map[string]any{"region_code": "150502"},
			func(r schemas.CaseRow) string {
				return expect([]any{r.RegionCode, r.RegionLevel, r.CityCode, r.CountyCode, r.TownCode, r.VillageCode},
					[]any{"150502000000", uint8(3), "150500000000", "150502000000", "", ""})
			}},
		{"town code of 9 digits", map[string]any{"region_code": "150502001"},
			func(r schemas.CaseRow) string {
				return expect([]any{r.RegionCode, r.RegionLevel, r.CityCode, r.CountyCode, r.TownCode, r.VillageCode},
					[]any{"150502001000", uint8(4), "150500000000", "150502000000", "150502001000", ""})
			}},
		{"the city itself", map[string]any{"region_code": "150500000000"},
			func(r schemas.CaseRow) string {
				return expect([]any{r.RegionCode, r.RegionLevel, r.CityCode, r.CountyCode, r.TownCode, r.VillageCode},
					[]any{"150500000000", uint8(2), "150500000000", "", "", ""})
			}},
		{"full-width region code with spaces", map[string]any{"region_code": "　１５０５０２００１００１ "},
			func(r schemas.CaseRow) string { return expect(r.RegionCode, "150502001001") }},
		{"full-width phone in summary", map[string]any{"summary": "电话１３８１２３４５６７８"},
			func(r schemas.CaseRow) string { return expect(r.Summary, "电话[手机号]") }},
		{"category_text is masked", map[string]any{"category_text": "王五欠薪", "party_names": []string{"王五"}},
			func(r schemas.CaseRow) string {
				return expect([]string{r.CategoryText, r.Category, r.CategoryRule}, []string{"王*欠薪", "labor.wage_arrears", "keyword:欠薪"})
			}},
		{"keyword inside a name still classifies", map[string]any{"summary": "王医生说明情况", "party_names": []string{"王医生"}},
			func(r schemas.CaseRow) string {
				return expect([]string{r.Summary, r.Category, r.CategoryRule}, []string{"王**说明情况", "medical", "keyword:医生"})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			row, err := tr.Transform(record(t, c.change), Meta{}, testNow)
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if msg := c.check(row); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func expect(got, want any) string {
	if sameValue(got, want) {
		return ""
	}
	return "got " + show(got) + ", want " + show(want)
}

func TestReportedDate(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	cases := []struct {
		reportedAt string
		want       time.Time
	}{
		{"2026-03-01T23:30:00Z", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01T15:59:59Z", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01T16:00:00Z", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2026-03-02T00:10:00+08:00", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2026-03-01T20:00:00-05:00", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		{"2025-12-31T16:00:00Z", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-02-28T16:30:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		row, err := tr.Transform(record(t, map[string]any{"reported_at": c.reportedAt}), Meta{}, testNow)
		if err != nil {
			t.Errorf("%s: %v", c.reportedAt, err)
			continue
		}
		if !row.ReportedDate.Equal(c.want) || row.ReportedDate.Location() != time.UTC {
			t.Errorf("%s: ReportedDate %v, want %v", c.reportedAt, row.ReportedDate, c.want)
		}
		if row.ReportedAt.Location() != time.UTC {
			t.Errorf("%s: ReportedAt not in UTC: %v", c.reportedAt, row.ReportedAt)
		}
	}
}

func TestRejectErrorText(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	_, err := tr.Transform(record(t, map[string]any{"parties": "3"}), Meta{}, testNow)
	if got, want := err.Error(), "invalid record: field parties: wrong_type: expected a number, got a string"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	_, err = tr.Transform([]byte(""), Meta{}, testNow)
	if got, want := err.Error(), "invalid record: empty: the message has no content"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestRejectDetailIsMasked checks that values quoted in a rejection carry
// no personal data: the detail goes to logs and ingest_errors.
func TestRejectDetailIsMasked(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	cases := []struct {
		change  map[string]any
		leak    string
		visible string
	}{
		{map[string]any{"status": "13812345678"}, "13812345678", "[手机号]"},
		{map[string]any{"source": "张三", "party_names": []string{"张三"}}, "张三", `"张*"`},
		{map[string]any{"region_code": "110101199003074514"}, "110101199003074514", "[身份证号]"},
		{map[string]any{"13812345678": 1}, "13812345678", "[手机号]"},
	}
	for _, c := range cases {
		_, err := tr.Transform(record(t, c.change), Meta{}, testNow)
		if err == nil {
			t.Errorf("%v: accepted", c.change)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, c.leak) || !strings.Contains(msg, c.visible) {
			t.Errorf("%v: error %q should show %q and not %q", c.change, msg, c.visible, c.leak)
		}
	}
}

func TestNewOptions(t *testing.T) {
	reg, err := tongliao()
	if err != nil {
		t.Fatal(err)
	}
	badTaxonomy := []schemas.Category{{Code: "a", NameZH: "甲", NameEN: "A"}}
	emptyKeyword := append([]schemas.Category(nil), schemas.Taxonomy...)
	emptyKeyword[0].Keywords = []string{"邻里", ""}
	cases := []struct {
		name    string
		opts    Options
		wantErr string // "" when New must succeed
	}{
		{"no registry", Options{}, "Registry"},
		{"negative tolerance", Options{Registry: reg, FutureTolerance: -time.Second}, "FutureTolerance"},
		{"negative large amount", Options{Registry: reg, LargeAmountCNY: -1}, "LargeAmountCNY"},
		{"negative message size", Options{Registry: reg, MaxMessageBytes: -1}, "MaxMessageBytes"},
		{"negative summary size", Options{Registry: reg, MaxSummaryRunes: -1}, "MaxSummaryRunes"},
		{"taxonomy without other", Options{Registry: reg, Taxonomy: badTaxonomy}, "Taxonomy"},
		{"taxonomy with an empty keyword", Options{Registry: reg, Taxonomy: emptyKeyword}, "Taxonomy"},
		{"defaults", Options{Registry: reg}, ""},
	}
	for _, c := range cases {
		_, err := New(c.opts)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one naming %s", c.name, err, c.wantErr)
		}
	}
}

func TestOptionsChangeThresholds(t *testing.T) {
	tr := newTestTransformer(t, Options{GroupThreshold: 5, LargeAmountCNY: 100, FutureTolerance: time.Hour,
		MaxMessageBytes: 600, MaxSummaryRunes: 10})
	row, err := tr.Transform(record(t, map[string]any{"parties": 5, "amount_cny": 100, "reported_at": "2026-03-05T12:59:00Z"}), Meta{}, testNow)
	if err != nil {
		t.Fatalf("rejected: %v", err)
	}
	if !row.GroupDispute || !row.LargeAmount {
		t.Errorf("GroupDispute %v LargeAmount %v, want both true", row.GroupDispute, row.LargeAmount)
	}
	_, err = tr.Transform(record(t, map[string]any{"summary": strings.Repeat("吵", 11)}), Meta{}, testNow)
	if re := (*RejectError)(nil); !errors.As(err, &re) || re.Reason != ReasonTooLong {
		t.Errorf("summary of 11 characters with a bound of 10: %v", err)
	}
	_, err = tr.Transform(record(t, map[string]any{"assigned_unit": strings.Repeat("a", 601)}), Meta{}, testNow)
	if re := (*RejectError)(nil); !errors.As(err, &re) || re.Reason != ReasonTooLarge {
		t.Errorf("message over 600 bytes: %v", err)
	}
}

// TestFieldTableMatchesContract keeps the decoder's field table equal to
// schemas.Record and to the JSON Schema, so a contract change cannot pass
// unnoticed here.
func TestFieldTableMatchesContract(t *testing.T) {
	rt := reflect.TypeOf(schemas.Record{})
	if rt.NumField() != int(numFields) {
		t.Errorf("schemas.Record has %d fields, the decoder knows %d", rt.NumField(), numFields)
	}
	for i := 0; i < rt.NumField(); i++ {
		sf := rt.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		f, ok := fieldByName(name)
		if !ok {
			t.Errorf("field %s (%s) is unknown to the decoder", sf.Name, name)
			continue
		}
		if f.name() != name || int(f) != i {
			t.Errorf("field %s: decoder has %q at %d, Record at %d", name, f.name(), f, i)
		}
		var want kind
		switch k := sf.Type.Kind(); {
		case sf.Type == reflect.TypeOf([]string(nil)):
			want = kindStringList
		case sf.Type == reflect.TypeOf([]schemas.Party(nil)):
			want = kindPartyList
		case k == reflect.Bool:
			want = kindBool
		case k == reflect.Int, k == reflect.Uint32, k == reflect.Float64,
			k == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Float64:
			want = kindNumber
		default: // strings and times
			want = kindString
		}
		if f.kind() != want {
			t.Errorf("field %s: decoder kind %d, Record type %s", name, f.kind(), sf.Type)
		}
	}
	var js struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(schemas.RecordJSONSchema, &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Properties) != int(numFields) {
		t.Errorf("the JSON Schema has %d properties, the decoder knows %d", len(js.Properties), numFields)
	}
	for p := range js.Properties {
		if _, ok := fieldByName(p); !ok {
			t.Errorf("JSON Schema property %q is unknown to the decoder", p)
		}
	}
}

func TestReasonsAreDistinct(t *testing.T) {
	seen := map[Reason]bool{}
	for _, r := range Reasons() {
		if r == "" || seen[r] || strings.ToLower(string(r)) != string(r) {
			t.Errorf("reason %q is empty, repeated or not lower case", r)
		}
		seen[r] = true
	}
	if len(seen) != 16 {
		t.Errorf("%d reasons, want 16", len(seen))
	}
}

// TestConcurrentUse runs one Transformer from several goroutines; with
// -race it proves Transform shares no mutable state.
func TestConcurrentUse(t *testing.T) {
	tr := newTestTransformer(t, Options{})
	msg := []byte(goldenMessage)
	for i := range 4 {
		t.Run("goroutine", func(t *testing.T) {
			t.Parallel()
			for j := range 50 {
				row, err := tr.Transform(msg, Meta{Offset: int64(i*100 + j)}, testNow)
				if err != nil || row.Offset != int64(i*100+j) || row.CaseID != "TL-2026-000123" {
					t.Errorf("row %d/%d: %v %+v", i, j, err, row.Offset)
					return
				}
			}
		})
	}
}

func TestReportedDateInDeploymentZone(t *testing.T) {
	ny, err := schemas.LoadZone("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	prev := schemas.SetZone(ny)
	t.Cleanup(func() { schemas.SetZone(prev) })
	tr := newTestTransformer(t, Options{})
	// 23:30 in New York is the next morning in Shanghai; the record counts
	// on its New York day.
	for _, c := range []struct {
		reportedAt string
		want       time.Time
	}{
		{"2024-03-09T23:30:00-05:00", time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"2024-03-10T04:30:00Z", time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)},
		{"2024-03-10T05:00:00Z", time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)},
		{"2024-07-01T03:59:00Z", time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)}, // EDT, UTC-4
	} {
		row, err := tr.Transform(record(t, map[string]any{"reported_at": c.reportedAt}), Meta{}, testNow)
		if err != nil {
			t.Fatalf("%s: %v", c.reportedAt, err)
		}
		if !row.ReportedDate.Equal(c.want) {
			t.Errorf("%s: ReportedDate %s, want %s", c.reportedAt, row.ReportedDate.Format(time.DateOnly), c.want.Format(time.DateOnly))
		}
	}
}
