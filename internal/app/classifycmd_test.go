package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// labelledCSV writes a small labelled data set: three labels, each with
// its own words, in varied sentences.
func labelledCSV(t *testing.T, n int) string {
	t.Helper()
	words := map[string][]string{
		"labor":    {"拖欠工资", "老板不给工钱", "工地干活没拿到钱", "加班费不发"},
		"property": {"物业不修电梯", "暖气不热", "物业乱收费", "楼道灯坏了物业不管"},
		"petition": {"法院判决不执行", "案子判了对方不给钱", "申诉没有结果", "信访不落实"},
	}
	tails := []string{"，请帮忙解决", "，已经很久了", "。谢谢！", "，希望尽快处理", "，盼复"}
	var b strings.Builder
	b.WriteString("id,text,label\n")
	labels := []string{"labor", "property", "petition"}
	for i := 0; i < n; i++ {
		l := labels[i%3]
		fmt.Fprintf(&b, "%d,\"我反映%s%s\",%s\n", i, words[l][(i/3)%4], tails[(i/7)%5], l)
	}
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestClassifyTrainEvalPredict(t *testing.T) {
	data := labelledCSV(t, 120)
	model := filepath.Join(t.TempDir(), "m.model")
	code, stdout, stderr := runCommand(t, "classify", "train", "--data", data, "--text-column", "text",
		"--label-column", "label", "--out", model, "--version", "t1", "--taxonomy")
	if code != 0 || !strings.Contains(stdout, "model t1: 120 examples, 3 labels, data sha256 ") {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCommand(t, "classify", "eval", "--model", model, "--data", data, "--text-column", "text", "--label-column", "label")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || lines[len(lines)-1] != "accuracy 1.000; macro-F1 1.000; n 120" || !strings.Contains(stdout, "true \\ predicted") {
		t.Fatalf("eval: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCommand(t, "classify", "eval", "--folds", "4", "--data", data, "--text-column", "text", "--label-column", "label")
	lines = strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "accuracy ") || !strings.HasSuffix(lines[len(lines)-1], "; n 120") {
		t.Fatalf("eval --folds: exit %d\n%s%s", code, stdout, stderr)
	}

	texts := filepath.Join(t.TempDir(), "new.jsonl")
	if err := os.WriteFile(texts, []byte(`{"msg":"老板拖欠我们三个月工资"}`+"\n\n"+`{"msg":"小区物业不管事，电梯坏了"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = runCommand(t, "classify", "predict", "--model", model, "--data", texts, "--text-column", "msg")
	lines = strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 3 || lines[0] != "row,label,confidence" ||
		!strings.HasPrefix(lines[1], "1,labor,0.") || !strings.HasPrefix(lines[2], "2,property,0.") {
		t.Fatalf("predict: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestClassifyEvalRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.csv")
	// 拖欠工资 is a wage keyword (group labor), 物业 property; the third
	// has no keyword and falls to other, renamed to misc.
	if err := os.WriteFile(path, []byte("text,label\n拖欠工资三个月,labor\n物业不修电梯,property\n公交车太少,misc\n公交车太少了,labor\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCommand(t, "classify", "eval", "--rules", "--rules-map", "other=misc", "--data", path,
		"--text-column", "text", "--label-column", "label")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	// labor: P 1 R 1/2 F1 2/3; property 1; misc: P 1/2 R 1 F1 2/3.
	if code != 0 || lines[len(lines)-1] != "accuracy 0.750; macro-F1 0.778; n 4" {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestClassifyBadInputNamesFileLineColumn(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	model := filepath.Join(dir, "m.model")
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"empty label", []string{"--data", write("a.csv", "text,label\n工资,labor\n物业,\n")}, 2, "a.csv:3: column 2 (label): empty label"},
		{"quote", []string{"--data", write("b.csv", "text,label\n工资,labor\n\"物业\"x,property\n")}, 2, "b.csv:3: byte "},
		{"short row", []string{"--data", write("c.csv", "text,label\n工资,labor\n物业\n")}, 2, "c.csv:3: byte 1: wrong number of fields"},
		{"column", []string{"--data", write("d.csv", "body,label\n工资,labor\n")}, 2, `d.csv:1: --text-column "text" is not a column`},
		{"json syntax", []string{"--data", write("e.jsonl", `{"text":"工资","label":"labor"}`+"\n"+`{"text":"物业" "label":"property"}`+"\n")}, 2, "e.jsonl:2:14: invalid character"},
		{"json type", []string{"--data", write("f.jsonl", `{"text":"工资","label":"labor"}`+"\n"+`{"text":"物业","label":7}`+"\n")}, 2, `f.jsonl:2:14: field "label" (label) is not a string`},
		{"json missing", []string{"--data", write("g.jsonl", `{"text":"工资","label":"labor"}`+"\n"+`  {"text":"物业"}`+"\n")}, 2, `g.jsonl:2:3: no field "label"`},
		{"one label", []string{"--data", write("h.csv", "text,label\n工资,labor\n欠薪,labor\n")}, 1, "at least two are needed"},
		{"taxonomy", []string{"--taxonomy", "--data", write("i.csv", "text,label\n工资,labor\n公交,transport\n")}, 1, `label "transport" is not a code of the taxonomy`},
	} {
		args := append([]string{"classify", "train", "--text-column", "text", "--label-column", "label", "--out", model}, c.args...)
		code, stdout, stderr := runCommand(t, args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s%s", c.name, code, c.code, c.want, stdout, stderr)
		}
	}
	if _, err := os.Stat(model); !os.IsNotExist(err) {
		t.Errorf("a failed training left a model file: %v", err)
	}
	notModel := write("x.model", "text,label\n")
	data := write("ok.csv", "text,label\n工资,labor\n")
	code, _, stderr := runCommand(t, "classify", "eval", "--model", notModel, "--data", data, "--text-column", "text", "--label-column", "label")
	if code != 1 || !strings.Contains(stderr, "x.model: cannot read the model") {
		t.Errorf("eval of a non-model: exit %d %s", code, stderr)
	}
	code, _, stderr = runCommand(t, "classify", "eval", "--model", notModel, "--folds", "3", "--data", data, "--text-column", "text", "--label-column", "label")
	if code != 2 || !strings.Contains(stderr, "exactly one of --model, --folds K and --rules") {
		t.Errorf("eval with two modes: exit %d %s", code, stderr)
	}
}

func TestClassifyDemoDataFamiliesHeldOut(t *testing.T) {
	code, stdout, stderr := runCommand(t, "classify", "demo-data", "--n", "900", "--seed", "3")
	if code != 0 {
		t.Fatalf("demo-data: exit %d %s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "demo.csv")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout, "text,label,family\n") {
		t.Fatalf("header: %q", stdout[:min(len(stdout), 40)])
	}
	code, out, stderr := runCommand(t, "classify", "eval", "--folds", "3", "--group-column", "family", "--data", path,
		"--text-column", "text", "--label-column", "label")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.HasSuffix(lines[len(lines)-1], "; n 900") {
		t.Fatalf("eval: exit %d\n%s%s", code, out, stderr)
	}
}
