package app

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzReadLabelled: the data readers never panic; an error names the file
// and a line; every row read has a non-empty text and label.
func FuzzReadLabelled(f *testing.F) {
	f.Add("text,label\n工资,labor\n", false)
	f.Add("text,label\n\"a,b\",x\n\"bad\"q,y\n", false)
	f.Add(`{"text":"工资","label":"labor"}`+"\n"+`{"text":1}`, true)
	f.Add("\ufefftext,label\n,\n", false)
	f.Fuzz(func(t *testing.T, data string, jsonl bool) {
		cols := dataColumns{text: "text", label: "label"}
		var rows []labelledRow
		var err error
		if jsonl {
			rows, err = readLabelledJSONL(bytes.NewReader([]byte(data)), "f.jsonl", cols)
		} else {
			rows, err = readLabelledCSV(bytes.NewReader([]byte(data)), "f.csv", cols)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.") && !strings.HasPrefix(err.Error(), "cannot read f.") {
				t.Fatalf("error without the file: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.text == "" || r.label == "" || r.line < 1 {
				t.Fatalf("row %+v", r)
			}
		}
	})
}
