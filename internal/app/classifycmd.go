package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/transform"
	"github.com/riskwatch/riskwatch/transform/classify"
)

const classifyUsage = `usage:
  riskwatch classify train   --data FILE --text-column C --label-column L [--format csv|jsonl] --out MODEL [--version V] [--taxonomy]
  riskwatch classify train   --from-store --since YYYY-MM-DD [--config FILE] --out MODEL [--version V]
  riskwatch classify eval    --model MODEL --data FILE --text-column C --label-column L [--format csv|jsonl]
  riskwatch classify eval    --folds K [--group-column G] --data FILE --text-column C --label-column L
  riskwatch classify eval    --rules [--rules-map CODE=LABEL,…] --data FILE --text-column C --label-column L
  riskwatch classify predict --model MODEL --data FILE --text-column C [--format csv|jsonl]
  riskwatch classify demo-data [--n N] [--seed S]   labelled demo messages as CSV text,label,family

train fits the learned classifier (character n-grams, TF-IDF, logistic
regression) on labelled texts; --from-store takes the stored cases whose
category staff set at the source (category_rule "given"), reported on or
after --since. eval prints per-label precision, recall and F1, the confusion
table and, last, "accuracy A; macro-F1 F; n N": of a model on the data, of
stratified K-fold training and testing on the data (with --group-column,
whole groups such as template families are held out together), or of the
taxonomy's keyword rules (their group code, renamed by --rules-map). predict
writes row,label,confidence (row: the record's number in the data, from 1).
demo-data writes the demo's labelled messages (labels are taxonomy group
codes; family names the phrasing family, for eval --group-column family).
`

// classifyCommand is `riskwatch classify train|eval|predict`.
func classifyCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, classifyUsage)
		return 2
	}
	switch args[0] {
	case "train":
		return classifyTrain(ctx, args[1:], stdout, stderr)
	case "eval":
		return classifyEval(args[1:], stdout, stderr)
	case "predict":
		return classifyPredict(args[1:], stdout, stderr)
	case "demo-data":
		return classifyDemoData(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, classifyUsage)
		return 0
	}
	fmt.Fprintf(stderr, "riskwatch classify: unknown command %q\n\n%s", args[0], classifyUsage)
	return 2
}

// dataFlags are the flags that name a data file and its columns.
type dataFlags struct {
	data, format, text, label, group *string
}

func addDataFlags(fs *flag.FlagSet) dataFlags {
	return dataFlags{
		data:   fs.String("data", "", "data file (CSV with a header row, or JSON lines)"),
		format: fs.String("format", "", "csv or jsonl (default: from the file name; .jsonl and .json are JSON lines)"),
		text:   fs.String("text-column", "", "column (CSV) or field (JSON lines) of the text"),
		label:  fs.String("label-column", "", "column or field of the label"),
		group:  fs.String("group-column", "", "eval --folds: column or field of the group held out together"),
	}
}

// load reads the data file; needLabel makes the label column required.
func (d dataFlags) load(needLabel bool) ([]labelledRow, error) {
	switch {
	case *d.data == "":
		return nil, errors.New("--data is required")
	case *d.text == "":
		return nil, errors.New("--text-column is required")
	case needLabel && *d.label == "":
		return nil, errors.New("--label-column is required")
	}
	format := *d.format
	if format == "" {
		format = "csv"
		switch strings.ToLower(filepath.Ext(*d.data)) {
		case ".jsonl", ".json", ".ndjson":
			format = "jsonl"
		}
	}
	cols := dataColumns{text: *d.text, group: *d.group}
	if needLabel {
		cols.label = *d.label
	}
	f, err := os.Open(*d.data)
	if err != nil {
		return nil, fmt.Errorf("cannot open the data: %w", err)
	}
	defer f.Close()
	switch format {
	case "csv":
		return readLabelledCSV(f, *d.data, cols)
	case "jsonl":
		return readLabelledJSONL(f, *d.data, cols)
	}
	return nil, fmt.Errorf("--format: %q is not csv or jsonl", format)
}

// labelledRow is one record of a data file.
type labelledRow struct {
	line               int // where the record starts, from 1
	text, label, group string
}

// dataColumns names the columns to read; an empty name is not read.
type dataColumns struct{ text, label, group string }

// readLabelledCSV reads a CSV file with a header row. Every error names
// the file, line and column.
func readLabelledCSV(r io.Reader, name string, cols dataColumns) ([]labelledRow, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:1:1: empty file, a header row is needed", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	find := func(col, flagName string) (int, error) {
		if col == "" {
			return -1, nil
		}
		i := slices.Index(header, col)
		if i < 0 {
			return -1, fmt.Errorf("%s:1: %s %q is not a column of the header (%s)", name, flagName, col, strings.Join(header, ","))
		}
		return i, nil
	}
	ti, err := find(cols.text, "--text-column")
	if err != nil {
		return nil, err
	}
	li, err := find(cols.label, "--label-column")
	if err != nil {
		return nil, err
	}
	gi, err := find(cols.group, "--group-column")
	if err != nil {
		return nil, err
	}
	var out []labelledRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				// encoding/csv counts columns in bytes.
				return nil, fmt.Errorf("%s:%d: byte %d: %v", name, pe.Line, pe.Column, pe.Err)
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row := labelledRow{line: line}
		// A field's error names its column by number and header name.
		cell := func(i int, what string, required bool) (string, error) {
			if i < 0 {
				return "", nil
			}
			v := strings.TrimSpace(rec[i])
			l, _ := cr.FieldPos(i)
			if !utf8.ValidString(v) {
				return "", fmt.Errorf("%s:%d: column %d (%s): %s is not UTF-8", name, l, i+1, header[i], what)
			}
			if required && v == "" {
				return "", fmt.Errorf("%s:%d: column %d (%s): empty %s", name, l, i+1, header[i], what)
			}
			return v, nil
		}
		if row.text, err = cell(ti, "text", true); err != nil {
			return nil, err
		}
		if row.label, err = cell(li, "label", true); err != nil {
			return nil, err
		}
		if row.group, err = cell(gi, "group", true); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}

// readLabelledJSONL reads one JSON object per line; blank lines are
// skipped. Every error names the file, line and column.
func readLabelledJSONL(r io.Reader, name string, cols dataColumns) ([]labelledRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var out []labelledRow
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		// Columns count characters from 1; lead is the leading blanks.
		lead := bytes.Index(sc.Bytes(), b[:1])
		colAt := func(off int) int { return 1 + lead + utf8.RuneCount(b[:min(max(off, 0), len(b))]) }
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			col := colAt(0)
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				col = colAt(int(se.Offset) - 1)
			case errors.As(err, &te):
				err = errors.New("not a JSON object")
			}
			return nil, fmt.Errorf("%s:%d:%d: %v", name, line, col, err)
		}
		row := labelledRow{line: line}
		field := func(key, what string) (string, error) {
			if key == "" {
				return "", nil
			}
			raw, ok := obj[key]
			col := colAt(0)
			if i := bytes.Index(b, []byte(strconv.Quote(key))); i >= 0 {
				col = colAt(i)
			}
			if !ok {
				return "", fmt.Errorf("%s:%d:%d: no field %q (%s)", name, line, colAt(0), key, what)
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("%s:%d:%d: field %q (%s) is not a string", name, line, col, key, what)
			}
			if s = strings.TrimSpace(s); s == "" {
				return "", fmt.Errorf("%s:%d:%d: empty %s in field %q", name, line, col, what, key)
			}
			return s, nil
		}
		var err error
		if row.text, err = field(cols.text, "text"); err != nil {
			return nil, err
		}
		if row.label, err = field(cols.label, "label"); err != nil {
			return nil, err
		}
		if row.group, err = field(cols.group, "group"); err != nil {
			return nil, err
		}
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	return out, nil
}

func examplesOf(rows []labelledRow) []classify.Example {
	ex := make([]classify.Example, len(rows))
	for i, r := range rows {
		ex[i] = classify.Example{Text: r.text, Label: r.label}
	}
	return ex
}

// taxonomyNames is the taxonomy in force as code → Chinese name.
func taxonomyNames() map[string]string {
	m := make(map[string]string, len(schemas.Taxonomy))
	for _, c := range schemas.Taxonomy {
		m[c.Code] = c.NameZH
	}
	return m
}

func classifyTrain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch classify train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := addDataFlags(fs)
	out := fs.String("out", "", "model file to write (required)")
	version := fs.String("version", "", "model version recorded in category_rule (default: the data hash's first 12 hex digits)")
	taxonomy := fs.Bool("taxonomy", false, "labels must be codes of the taxonomy in force (what the pipeline needs)")
	fromStore := fs.Bool("from-store", false, "train from stored cases whose category staff set at the source")
	since := fs.String("since", "", "--from-store: first reported date, YYYY-MM-DD (required with --from-store)")
	cfgPath := fs.String("config", "", "--from-store: configuration file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "riskwatch classify train: %v\n", err)
		return code
	}
	if *out == "" {
		return fail(2, errors.New("--out is required"))
	}
	var ex []classify.Example
	o := classify.Options{Version: *version}
	if *taxonomy {
		o.Taxonomy = taxonomyNames()
	}
	if *fromStore {
		if *d.data != "" {
			return fail(2, errors.New("--from-store and --data exclude each other"))
		}
		day, err := time.ParseInLocation(time.DateOnly, *since, schemas.Zone())
		if err != nil {
			return fail(2, fmt.Errorf("--since: %q is not a date YYYY-MM-DD", *since))
		}
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			return fail(2, err)
		}
		log := NewLogger(cfg.Log, stderr)
		st, _, cleanup, err := openStore(ctx, cfg, log)
		if err != nil {
			return fail(1, err)
		}
		defer cleanup()
		cases, err := st.StaffLabelledCases(ctx, day)
		if err != nil {
			return fail(1, err)
		}
		for _, c := range cases {
			if t := classify.RecordText(c.CategoryText, c.Summary); t != "" {
				ex = append(ex, classify.Example{Text: t, Label: c.Category})
			}
		}
		o.Taxonomy = taxonomyNames()
	} else {
		rows, err := d.load(true)
		if err != nil {
			return fail(2, err)
		}
		ex = examplesOf(rows)
	}
	start := time.Now()
	m, err := classify.Train(ex, o)
	if err != nil {
		return fail(1, err)
	}
	took := time.Since(start)
	if err := writeModel(*out, m); err != nil {
		return fail(1, err)
	}
	fmt.Fprintf(stdout, "model %s: %d examples, %d labels, data sha256 %s, trained in %.1f s, written to %s\n",
		m.Version, m.Examples, len(m.Labels), m.DataHash, took.Seconds(), *out)
	return 0
}

// writeModel writes m to path through a temporary file, so that a reader
// never sees half a model.
func writeModel(path string, m *classify.Model) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return fmt.Errorf("cannot write the model: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := m.Write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the model: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write the model: %w", err)
	}
	return nil
}

func readModel(path string) (*classify.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open the model: %w", err)
	}
	defer f.Close()
	m, err := classify.Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func classifyEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch classify eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := addDataFlags(fs)
	modelPath := fs.String("model", "", "model file to evaluate")
	folds := fs.Int("folds", 0, "train and test by stratified K-fold on the data instead of a model")
	seed := fs.Uint64("seed", 1, "--folds: seed of the fold assignment")
	rules := fs.Bool("rules", false, "evaluate the taxonomy's keyword rules instead of a model")
	rulesMap := fs.String("rules-map", "", "--rules: CODE=LABEL,… renaming the rules' group codes to the data's labels")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "riskwatch classify eval: %v\n", err)
		return code
	}
	modes := 0
	for _, on := range []bool{*modelPath != "", *folds != 0, *rules} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return fail(2, errors.New("give exactly one of --model, --folds K and --rules"))
	}
	if *d.group != "" && *folds == 0 {
		return fail(2, errors.New("--group-column needs --folds"))
	}
	rows, err := d.load(true)
	if err != nil {
		return fail(2, err)
	}
	truth := make([]string, len(rows))
	for i, r := range rows {
		truth[i] = r.label
	}
	var pred []string
	switch {
	case *modelPath != "":
		m, err := readModel(*modelPath)
		if err != nil {
			return fail(1, err)
		}
		for _, r := range rows {
			pred = append(pred, m.Predict(r.text).Label)
		}
	case *folds != 0:
		var groups []string
		if *d.group != "" {
			for _, r := range rows {
				groups = append(groups, r.group)
			}
		}
		fold, err := classify.Folds(truth, groups, *folds, *seed)
		if err != nil {
			return fail(2, err)
		}
		if pred, err = classify.CrossValidate(examplesOf(rows), fold, *folds, classify.Options{}); err != nil {
			return fail(1, err)
		}
	default:
		rename := map[string]string{}
		if *rulesMap != "" {
			for _, kv := range strings.Split(*rulesMap, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" || v == "" {
					return fail(2, fmt.Errorf("--rules-map: %q is not CODE=LABEL", kv))
				}
				rename[k] = v
			}
		}
		kc, err := transform.NewKeywordClassifier(schemas.Taxonomy)
		if err != nil {
			return fail(1, err)
		}
		for _, r := range rows {
			_, group, _ := kc.Classify(r.text)
			if v, ok := rename[group]; ok {
				group = v
			}
			pred = append(pred, group)
		}
	}
	if err := classify.Evaluate(truth, pred).WriteText(stdout); err != nil {
		return fail(1, err)
	}
	return 0
}

func classifyPredict(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch classify predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	d := addDataFlags(fs)
	modelPath := fs.String("model", "", "model file (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(stderr, "riskwatch classify predict: %v\n", err)
		return code
	}
	if *modelPath == "" {
		return fail(2, errors.New("--model is required"))
	}
	rows, err := d.load(false)
	if err != nil {
		return fail(2, err)
	}
	m, err := readModel(*modelPath)
	if err != nil {
		return fail(1, err)
	}
	w := bufio.NewWriter(stdout)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "label", "confidence"})
	for i, r := range rows {
		p := m.Predict(r.text)
		_ = cw.Write([]string{strconv.Itoa(i + 1), p.Label, strconv.FormatFloat(p.Confidence, 'f', 4, 64)})
	}
	cw.Flush()
	if err := errors.Join(cw.Error(), w.Flush()); err != nil {
		return fail(1, fmt.Errorf("cannot write: %w", err))
	}
	return 0
}

func classifyDemoData(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch classify demo-data", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 5000, "number of messages")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same messages")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *n < 1 {
		fmt.Fprintf(stderr, "riskwatch classify demo-data: --n: %d is not positive\n", *n)
		return 2
	}
	w := bufio.NewWriter(stdout)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"text", "label", "family"})
	for _, m := range demo.LabelledMessages(*n, *seed) {
		_ = cw.Write([]string{m.Text, m.Label, m.Family})
	}
	cw.Flush()
	if err := errors.Join(cw.Error(), w.Flush()); err != nil {
		fmt.Fprintf(stderr, "riskwatch classify demo-data: cannot write: %v\n", err)
		return 1
	}
	return 0
}
