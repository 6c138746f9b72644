package main

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/store"
)

func TestOuterOrderBy(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT a FROM t ORDER BY a":                                      true,
		"SELECT a FROM (SELECT a FROM t ORDER BY a) GROUP BY a":           false,
		"SELECT a FROM t WHERE b = 'ORDER BY x'":                          false,
		"SELECT a FROM t WHERE b = 'it\\'s (' ORDER BY a LIMIT 5":         true,
		"SELECT a FROM t WHERE x IN (SELECT y FROM u ORDER BY y) LIMIT 1": false,
	} {
		if got := outerOrderBy(q); got != want {
			t.Errorf("outerOrderBy(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestDecodeArgKeepsTheGoType(t *testing.T) {
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, v := range []any{"x", uint32(7), int64(-3), 1.5, true, at, []string{"a", "b"}, []uint32{1, 2}} {
		b, _ := json.Marshal(v)
		got, err := decodeArg(store.RecordedArg{Type: reflect.TypeOf(v).String(), Value: b})
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("decode %#v = %#v", v, got)
		}
	}
	if _, err := decodeArg(store.RecordedArg{Type: "map[string]int", Value: []byte("{}")}); err == nil {
		t.Error("an unsupported type was decoded")
	}
}

func TestLastOfEach(t *testing.T) {
	got := lastOfEach([]string{"a", "b", "", "a", "c", "b", ""})
	want := []bool{false, false, false, true, true, true, false}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lastOfEach = %v, want %v", got, want)
	}
}
