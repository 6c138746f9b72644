// Command sqlreplay prepares the SQL replay of make check-sql-modern. It
// reads the statements the stores recorded during the tests (store.RecordEnv
// files), populates a ClickHouse 18.16 database like a running center's
// (three months of the demo stream with its rule alarms, warnings and their
// deliveries, API tokens and audit entries, then one run of every index job
// over two windows), sends the recorded SELECTs and INSERT … SELECTs to it
// as the store does, and writes to -out:
//
//   - statements.jsonl: per statement the text the server received (read
//     back from system.query_log, arguments bound), the Go call site, the
//     18.16 result as TSV, and whether it has an outer ORDER BY; for an
//     INSERT … SELECT its target table and the table's rows after every
//     write ran;
//   - selection.json: how many distinct statements the tests sent, in how
//     many shapes, how many of them were kept and the -variants bound;
//   - tables.jsonl and data/<table>.tsv: every table that is not filled by a
//     materialized view, with its DDL, structure and rows.
//
// Not every recorded statement is sent: statements of one shape (the same
// text once literal values are taken out, see shape) differ only in the
// values they bind or write in, and the tests send many of those (a state
// build per job window, a count per build). Every shape is sent, with up to
// -variants distinct value variants of it, spread over the recording (the
// first and the last included), in recording order; -variants 0 sends
// every distinct statement. The INSERT … SELECTs kept run in recording
// order on both engines, so their target tables still compare.
//
// A statement that runs longer than -limit (10 s) on 18.16 is stopped there
// (by the context's deadline, which the driver also sends as
// max_execution_time) and not replayed, like one that fails: the tests send
// such statements to see them stopped (TestQueryLimitStopsTheQueryOnTheServer's
// sum over 10^11 numbers ran about 6 minutes, twice, before this limit),
// while the slowest of the others takes a fraction of a second (the line
// sqlreplay prints at the end names it).
//
// scripts/check_sql_modern.py then loads the tables into chDB (current
// ClickHouse) over the same migrations, replays every statement there and
// compares the results.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/internal/rules"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
)

// replayDB is the database name on both engines: "default", so that the
// unqualified table names of the statements resolve over HTTP too.
const replayDB = "default"

type statement struct {
	SQL     string `json:"sql"`
	Caller  string `json:"caller"`
	Ordered bool   `json:"ordered"`
	Result  string `json:"result"`
	Sends   int    `json:"sends"` // how many times the tests sent it
	// Shape numbers the statement's shape; Variants is how many distinct
	// statements of that shape the tests sent (this one or another was
	// kept for each).
	Shape    int `json:"shape"`
	Variants int `json:"variants"`
	// Target is the table an INSERT … SELECT writes. The last write to a
	// target is Final and its Result is the whole table on 18.16 after
	// every write ran, in order; the other writes carry no result (the
	// table, once per write, made the file grow with the square of the
	// writes: 13 GB for 257 builds of case_state).
	Target string `json:"target,omitempty"`
	Final  bool   `json:"final,omitempty"`
}

type table struct {
	Name      string   `json:"name"`
	DDL       string   `json:"ddl"`
	Structure string   `json:"structure"`
	Columns   []string `json:"columns"`
	Rows      int      `json:"rows"`
}

func main() {
	out := flag.String("out", ".run/sqlreplay", "output directory")
	variants := flag.Int("variants", 4, "value variants sent per statement shape (0: every distinct statement)")
	flag.DurationVar(&limit, "limit", limit, "time limit of each statement on ClickHouse 18.16")
	flag.Parse()
	if err := run(*out, *variants, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "sqlreplay:", err)
		os.Exit(1)
	}
}

type key struct{ sql, args string }

// limit bounds each statement's run on 18.16 (-limit); slowest is the
// longest run of a statement that finished, and slowestAt its call site.
var (
	limit     = 10 * time.Second
	slowest   time.Duration
	slowestAt string
)

// limited runs f under ctx with the statement time limit; a failure says
// how long the statement ran (the driver's read deadline, set from the
// context's, may end it a moment before the context ends).
func limited(ctx context.Context, caller string, f func(context.Context) error) error {
	lctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	if err := f(lctx); err != nil {
		return fmt.Errorf("after %v (limit %v): %w", time.Since(start).Round(time.Millisecond), limit, err)
	}
	if d := time.Since(start); d > slowest {
		slowest, slowestAt = d, caller
	}
	return nil
}

type pending struct {
	rec      store.Recorded
	sends    int
	shape    int // index of the shape in recording order
	variants int // distinct statements of the shape
}

// readRecorded returns the distinct SELECTs and INSERT … SELECTs of files
// in recording order, each with its shape.
func readRecorded(files []string) ([]*pending, error) {
	seen := map[key]*pending{}
	shapes := map[string]int{}
	var order []*pending
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		for sc.Scan() {
			var r store.Recorded
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				fh.Close()
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if !(r.Kind == "query" && isSelect(r.SQL)) && !(r.Kind == "exec" && insertSelect.MatchString(r.SQL)) {
				continue
			}
			// Tests use databases of their own; the replay has one.
			if r.Database != "" {
				r.SQL = strings.ReplaceAll(r.SQL, r.Database, replayDB)
				for i, a := range r.Args {
					if a.Type == "string" && string(a.Value) == `"`+r.Database+`"` {
						r.Args[i].Value = json.RawMessage(`"` + replayDB + `"`)
					}
				}
			}
			ab, _ := json.Marshal(r.Args)
			k := key{r.SQL, string(ab)}
			if p := seen[k]; p != nil {
				p.sends++
				continue
			}
			sh := r.Kind + " " + shape(r.SQL)
			id, ok := shapes[sh]
			if !ok {
				id = len(shapes)
				shapes[sh] = id
			}
			p := &pending{rec: r, sends: 1, shape: id}
			seen[k] = p
			order = append(order, p)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	count := make([]int, len(shapes))
	for _, p := range order {
		count[p.shape]++
	}
	for _, p := range order {
		p.variants = count[p.shape]
	}
	return order, nil
}

// pickVariants keeps, of each shape's statements, up to k spread evenly
// over the recording (the first and the last included), in recording
// order; k <= 0 keeps all.
func pickVariants(recs []*pending, k int) []*pending {
	if k <= 0 {
		return recs
	}
	byShape := map[int][]int{}
	for i, p := range recs {
		byShape[p.shape] = append(byShape[p.shape], i)
	}
	keep := make([]bool, len(recs))
	for _, idx := range byShape {
		n := len(idx)
		if n <= k {
			for _, i := range idx {
				keep[i] = true
			}
			continue
		}
		for j := 0; j < k; j++ {
			keep[idx[j*(n-1)/(k-1)]] = true
		}
	}
	var out []*pending
	for i, p := range recs {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

var (
	selectStart  = regexp.MustCompile(`(?is)^\s*(\(\s*)?(SELECT|WITH)\b`)
	insertSelect = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(\([^)]*\))?\s*(SELECT|WITH)\b`)
)

func isSelect(q string) bool { return selectStart.MatchString(q) }

// outerOrderBy reports whether q ends with an ORDER BY outside any
// parentheses (its rows then come in a defined order).
func outerOrderBy(q string) bool {
	up := strings.ToUpper(q)
	depth, found := 0, false
	for i := 0; i < len(up); i++ {
		switch up[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			for i++; i < len(up) && up[i] != '\''; i++ {
				if up[i] == '\\' {
					i++
				}
			}
		default:
			if depth == 0 && strings.HasPrefix(up[i:], "ORDER BY") {
				found = true
			}
		}
	}
	return found
}

// decodeArg rebuilds a recorded argument with its Go type.
func decodeArg(a store.RecordedArg) (any, error) {
	types := map[string]reflect.Type{
		"string": reflect.TypeOf(""), "int": reflect.TypeOf(0), "int8": reflect.TypeOf(int8(0)), "int16": reflect.TypeOf(int16(0)),
		"int32": reflect.TypeOf(int32(0)), "int64": reflect.TypeOf(int64(0)), "uint8": reflect.TypeOf(uint8(0)),
		"uint16": reflect.TypeOf(uint16(0)), "uint32": reflect.TypeOf(uint32(0)), "uint64": reflect.TypeOf(uint64(0)),
		"float32": reflect.TypeOf(float32(0)), "float64": reflect.TypeOf(0.0), "bool": reflect.TypeOf(false),
		"time.Time": reflect.TypeOf(time.Time{}),
	}
	name := a.Type
	slice := strings.HasPrefix(name, "[]")
	t, ok := types[strings.TrimPrefix(name, "[]")]
	if !ok {
		return nil, fmt.Errorf("argument type %s cannot be replayed", name)
	}
	if slice {
		t = reflect.SliceOf(t)
	}
	v := reflect.New(t)
	if err := json.Unmarshal(a.Value, v.Interface()); err != nil {
		return nil, fmt.Errorf("argument %s %s: %w", name, a.Value, err)
	}
	return v.Elem().Interface(), nil
}

func run(outDir string, variants int, files []string) error {
	if len(files) == 0 {
		return fmt.Errorf("no recorded statement files given (see store.RecordEnv)")
	}
	all, err := readRecorded(files)
	if err != nil {
		return err
	}
	recs := pickVariants(all, variants)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	sel, _ := json.Marshal(map[string]int{"recorded": len(all), "shapes": shapeCount(all), "kept": len(recs), "variants": variants})
	if err := os.WriteFile(filepath.Join(outDir, "selection.json"), append(sel, '\n'), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	env, err := toolenv.Start(ctx, toolenv.Options{Database: replayDB})
	if err != nil {
		return err
	}
	defer env.Close()
	began := time.Now()
	if err := populate(ctx, env); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(outDir, "data"), 0o755); err != nil {
		return err
	}
	// The tables are exported before the writes below change them.
	n, err := exportTables(ctx, env, outDir)
	if err != nil {
		return err
	}
	prepared := time.Since(began)
	began = time.Now()
	f, err := os.Create(filepath.Join(outDir, "statements.jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	var sent, skipped, failed int
	type run struct {
		p  *pending
		id string
	}
	var runs []run
	type write struct {
		p    *pending
		id   string
		args []any
	}
	var writes []write
	for i, p := range recs {
		args := make([]any, 0, len(p.rec.Args))
		var argErr error
		for _, a := range p.rec.Args {
			v, err := decodeArg(a)
			if err != nil {
				argErr = err
				break
			}
			args = append(args, v)
		}
		if argErr != nil {
			skipped++
			fmt.Fprintf(os.Stderr, "sqlreplay: skip %s: %v\n", p.rec.Caller, argErr)
			continue
		}
		id := fmt.Sprintf("sqlreplay-%d-%d", time.Now().UnixNano(), i)
		if p.rec.Kind == "exec" {
			// Writes run after every SELECT, in the order the tests sent them.
			writes = append(writes, write{p, id, args})
			continue
		}
		if err := limited(ctx, p.rec.Caller, func(ctx context.Context) error { return env.Store.RunLogged(ctx, id, p.rec.SQL, args...) }); err != nil {
			// A test's statement against a table only that test made, or
			// one the test expects to fail.
			failed++
			fmt.Fprintf(os.Stderr, "sqlreplay: fails on %s, not replayed: %s: %v\n", env.CH.Version, p.rec.Caller, firstLine(err.Error()))
			continue
		}
		runs = append(runs, run{p, id})
	}
	// emit reads the sent texts of runs back and writes them with their
	// 18.16 results: a SELECT's rows now, a write's target table as after.
	emit := func(runs []run, after map[string]string) error {
		ids := make([]string, len(runs))
		for i, r := range runs {
			ids[i] = r.id
		}
		texts, err := env.Store.LoggedTexts(ctx, ids)
		if err != nil {
			return err
		}
		// The last write to each target that is emitted carries its table.
		targets := make([]string, len(runs))
		for i, r := range runs {
			if _, ok := texts[r.id]; ok && r.p.rec.Kind == "exec" {
				targets[i] = insertSelect.FindStringSubmatch(r.p.rec.SQL)[1]
			}
		}
		final := lastOfEach(targets)
		for i, r := range runs {
			text, ok := texts[r.id]
			if !ok {
				failed++
				fmt.Fprintf(os.Stderr, "sqlreplay: no query_log entry for %s\n", r.p.rec.Caller)
				continue
			}
			st := statement{SQL: text, Caller: r.p.rec.Caller, Sends: r.p.sends, Shape: r.p.shape, Variants: r.p.variants}
			if r.p.rec.Kind == "exec" {
				st.Target = targets[i]
				if final[i] {
					st.Final, st.Result = true, after[st.Target]
				}
			} else {
				var res string
				err := limited(ctx, r.p.rec.Caller, func(ctx context.Context) (err error) {
					res, err = env.CH.Query(ctx, text+"\nFORMAT TSV")
					return err
				})
				if err != nil {
					failed++
					fmt.Fprintf(os.Stderr, "sqlreplay: the sent text fails over HTTP: %s: %v\n", r.p.rec.Caller, firstLine(err.Error()))
					continue
				}
				st.Result, st.Ordered = res, outerOrderBy(text)
			}
			sent++
			if err := enc.Encode(st); err != nil {
				return err
			}
		}
		return nil
	}
	// Every SELECT's result is taken before any write changes the tables.
	if err := emit(runs, nil); err != nil {
		return err
	}
	var wruns []run
	targets := map[string]bool{}
	for _, w := range writes {
		if err := limited(ctx, w.p.rec.Caller, func(ctx context.Context) error { return env.Store.ExecLogged(ctx, w.id, w.p.rec.SQL, w.args...) }); err != nil {
			failed++
			fmt.Fprintf(os.Stderr, "sqlreplay: fails on %s, not replayed: %s: %v\n", env.CH.Version, w.p.rec.Caller, firstLine(err.Error()))
			continue
		}
		targets[insertSelect.FindStringSubmatch(w.p.rec.SQL)[1]] = true
		wruns = append(wruns, run{w.p, w.id})
	}
	after := map[string]string{}
	for t := range targets {
		res, err := env.CH.Query(ctx, "SELECT * FROM "+t+" FORMAT TSV")
		if err != nil {
			return err
		}
		after[t] = res
	}
	if err := emit(wruns, after); err != nil {
		return err
	}
	kept := "all of them"
	if len(recs) < len(all) {
		kept = fmt.Sprintf("%d of them (every shape, up to %d value variants each)", len(recs), variants)
	}
	fmt.Printf("sqlreplay: %d distinct SELECTs and INSERT … SELECTs recorded in %d shapes, %s sent to ClickHouse %s; %d with their results, %d not replayable (argument types), %d failing on %s; %d tables exported\n",
		len(all), shapeCount(all), kept, env.CH.Version, sent, skipped, failed, env.CH.Version, n)
	fmt.Printf("sqlreplay: server start, populate and export %.1f s, statements %.1f s; slowest finished statement %.2f s (limit %v) at %s\n",
		prepared.Seconds(), time.Since(began).Seconds(), slowest.Seconds(), limit, slowestAt)
	return nil
}

func shapeCount(recs []*pending) int {
	seen := map[int]bool{}
	for _, p := range recs {
		seen[p.shape] = true
	}
	return len(seen)
}

// lastOfEach marks, for each non-empty name, its last position in names.
func lastOfEach(names []string) []bool {
	last := make([]bool, len(names))
	seen := map[string]bool{}
	for i := len(names) - 1; i >= 0; i-- {
		if n := names[i]; n != "" && !seen[n] {
			seen[n], last[i] = true, true
		}
	}
	return last
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// populate loads three months of the demo stream and runs every index job
// over two windows, as a center's database looks after a backfill.
func populate(ctx context.Context, env *toolenv.Env) error {
	from, to := time.Date(2026, 6, 1, 0, 0, 0, 0, schemas.Shanghai), time.Date(2026, 8, 31, 0, 0, 0, 0, schemas.Shanghai)
	now := time.Date(2026, 9, 1, 10, 0, 0, 0, schemas.Shanghai)
	gen, err := demo.New(demo.Options{Seed: 3, Registry: env.Registry, From: from, To: to})
	if err != nil {
		return err
	}
	// The stream's rule alarms, raised as ingest raises them.
	rcfg := rules.Config{ExtremeWords: rules.DefaultExtremeWords}
	_, err = toolenv.Load(ctx, env.Store, env.Registry, gen, now, func(rows []schemas.CaseRow) error {
		var alarms []store.RuleAlarm
		for i := range rows {
			for _, a := range rules.Evaluate(&rows[i], rcfg, rows[i].ReportedAt) {
				r := a.Row
				alarms = append(alarms, store.RuleAlarm{Rule: a.Rule, Source: string(r.Source), CaseID: r.CaseID, CaseVersion: r.Version,
					Level: a.Level, CountyCode: r.CountyCode, TownCode: r.TownCode, RegionCode: r.RegionCode, Category: r.Category,
					Detail: a.Detail, ReportedAt: r.ReportedAt, DetectedAt: a.DetectedAt})
			}
		}
		return env.Store.InsertRuleAlarms(ctx, alarms)
	})
	if err != nil {
		return err
	}
	if err := populateWarningsAndAPI(ctx, env.Store, now); err != nil {
		return err
	}
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, schemas.Shanghai)
	for _, j := range jobs.All(env.Store, env.Registry, func() time.Time { return now }, jobs.Options{}) {
		for _, end := range []time.Time{j.Window.Align(at), j.Window.Start(j.Window.Align(at))} {
			if _, err := j.Run(ctx, end); err != nil {
				return fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
	}
	return nil
}

// populateWarningsAndAPI writes warnings (from the first rule alarms),
// their deliveries and acknowledgements, API tokens and audit entries, so
// that the statements reading them compare rows rather than empty tables.
func populateWarningsAndAPI(ctx context.Context, st *store.Store, now time.Time) error {
	alarms, err := st.WarningRuleAlarmsSince(ctx, time.Time{}, 0, 60)
	if err != nil {
		return err
	}
	var ws []store.WarningRow
	var ds []store.WarningDelivery
	for i, a := range alarms {
		w := store.WarningRow{ID: fmt.Sprintf("w-%03d", i), State: "firing", Level: a.Level, Kind: "rule", Rule: a.Rule,
			Subject: a.CaseID, RegionCode: a.RegionCode, RegionLevel: 5, CountyCode: a.CountyCode, TownCode: a.TownCode,
			Category: a.Category, Title: a.Rule + " " + a.CaseID, Body: a.Detail, Labels: []string{"county=" + a.CountyCode[:6]},
			StartsAt: a.DetectedAt, UpdatedAt: a.DetectedAt, Version: 1}
		if i%3 == 0 {
			w.State, w.ResolvedAt, w.UpdatedAt, w.Version = "resolved", a.DetectedAt.Add(time.Hour), a.DetectedAt.Add(time.Hour), 2
		}
		ws = append(ws, w)
		status := []string{"delivered", "retry", "failed"}[i%3]
		ds = append(ds, store.WarningDelivery{NotificationID: fmt.Sprintf("n-%03d", i/2), GroupKey: a.CountyCode, Receiver: "center-" + a.CountyCode[:6],
			Channel: "wecom", ChannelType: "webhook", Reason: "new", WarningIDs: []string{w.ID}, Attempt: uint32(1 + i%2), Status: status,
			StatusCode: int32(200 + 100*(i%3)), Response: "ok", LatencyMS: uint32(10 + i), CreatedAt: a.DetectedAt, AttemptedAt: a.DetectedAt.Add(time.Second)})
		if i%4 == 0 {
			if err := st.WriteWarningAck(ctx, store.WarningAck{WarningID: w.ID, AckedBy: "admin", Comment: "已处理", AckedAt: a.DetectedAt.Add(2 * time.Hour)}); err != nil {
				return err
			}
		}
	}
	if err := st.WriteWarnings(ctx, ws); err != nil {
		return err
	}
	if err := st.WriteWarningDeliveries(ctx, ds); err != nil {
		return err
	}
	var audit []store.APIAuditEntry
	for i, role := range []string{"admin", "analyst", "leader", "operator"} {
		id := fmt.Sprintf("tok-%d", i)
		if err := st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: fmt.Sprintf("%064x", i+1), Name: role, Role: role,
			Scope: []string{"", "150521", "150502", "150521100"}[i], Created: now.Add(-time.Duration(i) * time.Hour), Version: 1}); err != nil {
			return err
		}
		for j := 0; j < 5; j++ {
			audit = append(audit, store.APIAuditEntry{At: now.Add(time.Duration(i*5+j) * time.Minute), TokenID: id, TokenName: role, Role: role,
				Method: "GET", Path: "/api/trends", Query: "group=county", Status: 200, Rows: uint64(j), DurationMS: uint32(j + 1), Remote: "127.0.0.1"})
		}
	}
	return st.APIWriteAudit(ctx, audit)
}

var mvTarget = regexp.MustCompile(`(?i)\bTO\s+` + replayDB + `\.(\w+)`)

// exportTables writes every table not filled by a materialized view.
func exportTables(ctx context.Context, env *toolenv.Env, outDir string) (int, error) {
	list, err := env.CH.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = '"+replayDB+"' FORMAT TSV")
	if err != nil {
		return 0, err
	}
	targets := map[string]bool{}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		name, engine, _ := strings.Cut(line, "\t")
		if strings.HasPrefix(name, ".inner.") {
			continue
		}
		if engine == "MaterializedView" {
			ddl, err := env.CH.Query(ctx, "SHOW CREATE TABLE "+replayDB+"."+name+" FORMAT TSVRaw")
			if err != nil {
				return 0, err
			}
			if m := mvTarget.FindStringSubmatch(ddl); m != nil {
				targets[m[1]] = true
			}
			continue
		}
		if engine == "View" {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	f, err := os.Create(filepath.Join(outDir, "tables.jsonl"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	n := 0
	for _, name := range names {
		if targets[name] {
			continue
		}
		ddl, err := env.CH.Query(ctx, "SHOW CREATE TABLE "+replayDB+"."+name+" FORMAT TSVRaw")
		if err != nil {
			return 0, err
		}
		cols, err := env.CH.Query(ctx, "SELECT name, type FROM system.columns WHERE database = '"+replayDB+"' AND table = '"+name+"' AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') FORMAT TSVRaw")
		if err != nil {
			return 0, err
		}
		var structure, names, exprs []string
		for _, c := range strings.Split(strings.TrimSpace(cols), "\n") {
			cn, ct, _ := strings.Cut(c, "\t")
			q := "`" + cn + "`"
			names = append(names, q)
			// 18.16 prints the zero DateTime and Date as 0000-00-00, which
			// current releases do not read back as zero: such columns
			// travel as their numbers.
			switch {
			case ct == "Date":
				exprs, ct = append(exprs, "toUInt16("+q+")"), "UInt16"
			case strings.HasPrefix(ct, "DateTime") && !strings.HasPrefix(ct, "DateTime64"):
				exprs, ct = append(exprs, "toUInt32("+q+")"), "UInt32"
			default:
				exprs = append(exprs, q)
			}
			structure = append(structure, q+" "+ct)
		}
		data, err := env.CH.Query(ctx, "SELECT "+strings.Join(exprs, ", ")+" FROM "+replayDB+"."+name+" FORMAT TSV")
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(outDir, "data", name+".tsv"), []byte(data), 0o644); err != nil {
			return 0, err
		}
		rows := strings.Count(data, "\n")
		if err := enc.Encode(table{Name: name, DDL: strings.TrimSpace(ddl), Structure: strings.Join(structure, ", "), Columns: names, Rows: rows}); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}
