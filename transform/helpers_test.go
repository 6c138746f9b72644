package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// tongliao is the real registry, loaded once for all tests.
var tongliao = sync.OnceValues(schemas.LoadTongliao)

// testNow is the ingestion time of every test unless a case says otherwise.
var testNow = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

func newTestTransformer(tb testing.TB, o Options) *Transformer {
	tb.Helper()
	reg, err := tongliao()
	if err != nil {
		tb.Fatalf("LoadTongliao: %v", err)
	}
	if o.Registry == nil {
		o.Registry = reg
	}
	tr, err := New(o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return tr
}

// baseRecord returns a small valid record as a map, for tests that change
// one thing.
func baseRecord() map[string]any {
	return map[string]any{
		"case_id":     "TL-2026-000001",
		"version":     1,
		"source":      "platform",
		"reported_at": "2026-03-01T09:00:00+08:00",
		"region_code": "150502001001",
		"parties":     2,
		"status":      "accepted",
		"summary":     "楼上装修噪音",
	}
}

// record encodes base with changes applied: a value of type deleted
// removes the field. HTML is not escaped, so "<script>" travels as is.
func record(tb testing.TB, changes map[string]any) []byte {
	tb.Helper()
	m := baseRecord()
	for k, v := range changes {
		if _, ok := v.(deleted); ok {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		tb.Fatalf("encode: %v", err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

type deleted struct{}

// rawNumber is a number written into the JSON as it is.
type rawNumber string

func (r rawNumber) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// diffRows compares every field of two rows, times by instant, pointers by
// what they point at, and returns one line per difference. It walks the
// struct by reflection so that a column added to CaseRow is compared too.
func diffRows(got, want schemas.CaseRow) []string {
	var diffs []string
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := 0; i < gv.NumField(); i++ {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if !sameValue(g, w) {
			diffs = append(diffs, fmt.Sprintf("%s: got %s, want %s", name, show(g), show(w)))
		}
	}
	return diffs
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y := b.(time.Time)
		return x.Equal(y) && x.Location() == y.Location()
	case *time.Time:
		y := b.(*time.Time)
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		return x.Equal(*y) && x.Location() == y.Location()
	case *float64:
		y := b.(*float64)
		if x == nil || y == nil {
			return x == nil && y == nil
		}
		return *x == *y
	}
	return reflect.DeepEqual(a, b)
}

func show(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano) + " (" + x.Location().String() + ")"
	case *time.Time:
		if x == nil {
			return "nil"
		}
		return show(*x)
	case *float64:
		if x == nil {
			return "nil"
		}
		return fmt.Sprint(*x)
	}
	return fmt.Sprintf("%#v", v)
}

func ptrTime(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	t = t.UTC()
	return &t
}

func ptrFloat(f float64) *float64 { return &f }
