package importer

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/riskwatch/riskwatch/schemas"
)

const encodingMapping = `
fields:
  case_id: {column: 编号}
  reported_at: {column: 受理时间, format: date}
  status: {constant: accepted}
  summary: {template: "{类别}：{内容}"}
region:
  - {constant: NYC}
`

// encodingInput has Chinese text in the header and in the rows, a quoted
// field over two lines and a character outside the BMP (𠀀, four bytes in
// GB18030).
const encodingInput = "编号,受理时间,类别,内容\n" +
	"A1,2024-03-01,邻里纠纷,楼上噪音扰民\n" +
	"A2,2024-03-02,物业,\"电梯停运，\n业主投诉𠀀\"\n" +
	"A3,2024-03-03,土地,宅基地边界争议\n"

func convertBytes(t *testing.T, m *Mapping, in []byte) ([]schemas.Record, Stats, error) {
	t.Helper()
	var recs []schemas.Record
	st, err := m.Convert(bytes.NewReader(in), "in.csv", testRegistry(t), func(r schemas.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, st, err
}

func withEncoding(yaml, enc string) string {
	if enc == "" {
		return yaml
	}
	return "encoding: " + enc + "\n" + yaml
}

func TestEncodingsGiveIdenticalRecords(t *testing.T) {
	want, st, err := convertBytes(t, mustLoad(t, withEncoding(encodingMapping, "utf-8")), []byte(encodingInput))
	if err != nil || st.Rejected != 0 || len(want) != 3 {
		t.Fatalf("utf-8: %d records, err %v, rejects %v", len(want), err, st.Rejects)
	}
	if want[1].Summary != "物业：电梯停运，\n业主投诉𠀀" {
		t.Fatalf("utf-8 summary %q", want[1].Summary)
	}
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(encodingInput))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gb, []byte(encodingInput)) {
		t.Fatal("the GB18030 input is the UTF-8 input")
	}
	u16, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(encodingInput))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, enc string
		in        []byte
	}{
		{"gb18030", "gb18030", gb},
		{"GBK alias", "GBK", mustGBK(t)},
		{"utf-16 declared", "utf-16", u16},
		{"utf-16 detected from its BOM", "", u16},
		{"utf-8 BOM detected", "", append([]byte{0xEF, 0xBB, 0xBF}, encodingInput...)},
	} {
		m := mustLoad(t, withEncoding(encodingMapping, c.enc))
		got, st, err := convertBytes(t, m, c.in)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		wantHere := want
		if c.name == "GBK alias" {
			wantHere = want[:1] // the GBK input holds row A1 only
		}
		if st.Rejected != 0 || !reflect.DeepEqual(got, wantHere) {
			t.Errorf("%s: records differ from the UTF-8 import (rejects %v)\n got %+v\nwant %+v", c.name, st.Rejects, got, wantHere)
		}
	}
}

func mustGBK(t *testing.T) []byte {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(strings.Join(strings.Split(encodingInput, "\n")[:2], "\n") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInvalidBytesRejectTheRowNamingLineAndCharacter(t *testing.T) {
	latin := []byte("ID,DATE,TYPE,TEXT\nA1,2024-03-01,x,ok\nA2,2024-03-02,x,caf\xe9 au lait\nA3,2024-03-03,x,ok\n")
	// Undeclared: read as UTF-8, the Latin-1 é rejects its row.
	asciiMapping := strings.NewReplacer("编号", "ID", "受理时间", "DATE", "类别", "TYPE", "内容", "TEXT").Replace(encodingMapping)
	recs, st, err := convertBytes(t, mustLoad(t, asciiMapping), latin)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || st.Rejected != 1 {
		t.Fatalf("%d records, %d rejected: %v", len(recs), st.Rejected, st.Rejects)
	}
	rj := st.Rejects[0]
	if rj.Line != 3 || rj.Pos != 20 || rj.Kind != KindBadEncoding ||
		!strings.HasPrefix(rj.Reason, "line 3, character 20: bytes not valid utf-8 (declare") {
		t.Errorf("reject %+v", rj)
	}
	if got := rj.String(); !strings.HasPrefix(got, "in.csv:3:20: ") {
		t.Errorf("reject line %q", got)
	}
	// Declared latin-1, windows-1252: é.
	for _, enc := range []string{"latin-1", "windows-1252"} {
		recs, st, err = convertBytes(t, mustLoad(t, withEncoding(asciiMapping, enc)), latin)
		if err != nil || st.Rejected != 0 || len(recs) != 3 || recs[1].Summary != "x：café au lait" {
			t.Errorf("%s: err %v, rejects %v, records %+v", enc, err, st.Rejects, recs)
		}
	}
	// GB18030 with a broken two-byte sequence (lead byte 0x81, then a comma).
	gb, _ := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("编号,受理时间,类别,内容\nA1,2024-03-01,邻里,好\nA2,2024-03-02,邻里,坏"))
	gb = append(gb, 0x81, ',', 'x', '\n')
	gb = append(gb, "A3,2024-03-03,x,y\n"...)
	m := mustLoad(t, withEncoding(`csv: {lazy_quotes: true}`+"\n"+encodingMapping, "gb18030"))
	recs, st, err = convertBytes(t, m, gb)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || st.Rejected != 1 || st.Rejects[0].Line != 3 || st.Rejects[0].Pos != 19 ||
		st.Rejects[0].Reason != "line 3, character 19: bytes not valid gb18030" {
		t.Errorf("records %d, rejects %+v", len(recs), st.Rejects)
	}
	// JSON lines too.
	jm := mustLoad(t, "format: jsonl\n"+encodingMapping)
	recs, st, err = convertBytes(t, jm, []byte("{\"编号\":\"A1\",\"受理时间\":\"2024-03-01\"}\n{\"编号\":\"A\xff2\",\"受理时间\":\"2024-03-01\"}\n"))
	if err != nil || len(recs) != 1 || st.Rejected != 1 || st.Rejects[0].Line != 2 || st.Rejects[0].Kind != KindBadEncoding {
		t.Errorf("jsonl: err %v, records %d, rejects %+v", err, len(recs), st.Rejects)
	}
}

func TestEncodingErrors(t *testing.T) {
	if _, err := LoadMapping(strings.NewReader(withEncoding(encodingMapping, "ebcdic")), "m.yaml"); err == nil ||
		!strings.Contains(err.Error(), `encoding: "ebcdic" is not utf-8, gb18030`) {
		t.Errorf("unknown encoding: %v", err)
	}
	// utf-16 declared, no byte order mark.
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(encodingInput))
	if _, _, err := convertBytes(t, mustLoad(t, withEncoding(encodingMapping, "utf-16")), u16); err == nil ||
		!strings.Contains(err.Error(), "needs a byte order mark") {
		t.Errorf("utf-16 without BOM: %v", err)
	}
	// A UTF-16 mark on a file declared GB18030.
	u16bom, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(encodingInput))
	if _, _, err := convertBytes(t, mustLoad(t, withEncoding(encodingMapping, "gb18030")), u16bom); err == nil ||
		!strings.Contains(err.Error(), "utf-16 byte order mark, but the mapping declares encoding gb18030") {
		t.Errorf("contradicting BOM: %v", err)
	}
}
