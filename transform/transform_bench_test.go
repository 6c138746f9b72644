package transform

import (
	"testing"
)

// benchMessage is a realistic record of about 420 bytes: a village-level
// case with a summary holding a name and a phone number, classified by
// keyword.
const benchMessage = `{"case_id":"TL-2026-004711","version":2,"source":"platform",` +
	`"reported_at":"2026-03-01T09:12:00+08:00","region_code":"150502001001",` +
	`"category_text":"拖欠工资","summary":"张三等12名农民工反映某建筑公司拖欠工资8.6万元，电话13812345678。",` +
	`"party_names":["张三"],"severity":"general","parties":12,"amount_cny":86000,"status":"handling",` +
	`"assigned_unit":"科尔沁街道","due_at":"2026-03-15T18:00:00+08:00"}`

func BenchmarkTransform(b *testing.B) {
	tr := newTestTransformer(b, Options{})
	msg := []byte(benchMessage)
	if _, err := tr.Transform(msg, Meta{}, testNow); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := tr.Transform(msg, Meta{}, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMask(b *testing.B) {
	text := "张三等12名农民工反映某建筑公司拖欠工资8.6万元，电话13812345678，身份证110101199003074514。"
	names := []string{"张三"}
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		_ = Mask(text, names)
	}
}
