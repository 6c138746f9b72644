package app

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/riskwatch/riskwatch/schemas"
)

// regionsBuild is `riskwatch regions build`: a registry (the regions CSV)
// from a boundary file, with populations joined from a CSV by name or code
// and a report of what did not match, with suggested matches.
func regionsBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch regions build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	geo := fs.String("geojson", "", "boundary file: a GeoJSON FeatureCollection (required)")
	codeField := fs.String("code-field", "", "feature property with the unit's code (required)")
	nameField := fs.String("name-field", "", "feature property with the unit's name (required)")
	parentField := fs.String("parent-field", "", "feature property with the parent's code (empty: every unit is a child of the root)")
	rootCode := fs.String("root-code", "ROOT", "code of the root (the city)")
	rootName := fs.String("root-name", "City", "name of the root")
	popFile := fs.String("population", "", "CSV with a population column and a name or code column (see --join-on)")
	joinOn := fs.String("join-on", "code", "join the population on name or code")
	out := fs.String("out", "-", "write the regions CSV here (- = standard output)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "riskwatch regions build: "+format+"\n", a...)
		return 2
	}
	switch {
	case *geo == "" || *codeField == "" || *nameField == "":
		return bad("--geojson, --code-field and --name-field are required")
	case *joinOn != "name" && *joinOn != "code":
		return bad("--join-on: %q is not name or code", *joinOn)
	}
	b, err := os.ReadFile(*geo)
	if err != nil {
		return bad("--geojson: %v", err)
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return bad("--geojson: %s: cannot decode: %v", *geo, err)
	}
	prop := func(p map[string]any, k string) string {
		v, ok := p[k]
		if !ok || v == nil {
			return ""
		}
		if f, ok := v.(float64); ok {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return strings.TrimSpace(fmt.Sprint(v))
	}
	type unit struct {
		code, name, parent string
		pop                int64
		hasPop             bool
	}
	units := map[string]*unit{}
	var order []string
	for i, f := range fc.Features {
		u := &unit{code: prop(f.Properties, *codeField), name: prop(f.Properties, *nameField)}
		if *parentField != "" {
			u.parent = prop(f.Properties, *parentField)
		}
		if u.code == "" {
			return bad("%s: feature %d: no %s", *geo, i, *codeField)
		}
		if u.name == "" {
			u.name = u.code
		}
		if prev, dup := units[u.code]; dup {
			// Several features of one unit (islands written separately).
			if prev.parent != u.parent {
				fmt.Fprintf(stderr, "feature %d: unit %s has parents %s and %s; kept under %s\n", i, u.code, prev.parent, u.parent, prev.parent)
			}
			continue
		}
		units[u.code] = u
		order = append(order, u.code)
	}
	// Parents that are no feature become units of their own under the root.
	for _, c := range order {
		u := units[c]
		if u.parent == "" || u.parent == *rootCode {
			u.parent = *rootCode
			continue
		}
		if _, ok := units[u.parent]; !ok {
			units[u.parent] = &unit{code: u.parent, name: u.parent, parent: *rootCode}
			order = append(order, u.parent)
		}
	}
	if *popFile != "" {
		pops, err := readPopulation(*popFile, *joinOn)
		if err != nil {
			return bad("--population: %v", err)
		}
		key := func(u *unit) string { return u.code }
		if *joinOn == "name" {
			key = func(u *unit) string { return normName(u.name) }
		}
		byKey := map[string]*unit{}
		var keys []string
		for _, c := range order {
			k := key(units[c])
			byKey[k] = units[c]
			keys = append(keys, k)
		}
		var unmatched []popRow
		for _, p := range pops {
			k := p.key
			if *joinOn == "name" {
				k = normName(k)
			}
			u, ok := byKey[k]
			if !ok {
				unmatched = append(unmatched, p)
				continue
			}
			u.pop, u.hasPop = p.pop, true
		}
		for _, p := range unmatched {
			fmt.Fprintf(stdout, "population line %d: %s %q matches no unit%s\n", p.line, *joinOn, p.key, suggest(p.key, keys, *joinOn == "name"))
		}
		missing := 0
		for _, c := range order {
			if !units[c].hasPop {
				missing++
			}
		}
		fmt.Fprintf(stdout, "population: %d of %d rows joined, %d units without population\n", len(pops)-len(unmatched), len(pops), missing)
	}
	regs := []schemas.Region{{Code: *rootCode, Name: *rootName, Level: 2}}
	level := map[string]int{*rootCode: 2}
	var depth func(c string, seen map[string]bool) (int, error)
	depth = func(c string, seen map[string]bool) (int, error) {
		if l, ok := level[c]; ok {
			return l, nil
		}
		if seen[c] {
			return 0, fmt.Errorf("unit %s is its own ancestor", c)
		}
		seen[c] = true
		l, err := depth(units[c].parent, seen)
		if err != nil {
			return 0, err
		}
		level[c] = l + 1
		return l + 1, nil
	}
	sort.Strings(order)
	for _, c := range order {
		u := units[c]
		l, err := depth(c, map[string]bool{})
		if err != nil {
			return bad("%s: %v", *geo, err)
		}
		r := schemas.Region{Code: u.code, Name: u.name, Level: schemas.Level(l), Parent: u.parent}
		if u.hasPop {
			r.Population, r.PopulationSource = u.pop, schemas.PopulationCensus
		}
		regs = append(regs, r)
	}
	reg, err := schemas.NewRegistry(regs)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch regions build: %v\n", err)
		return 1
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch regions build: %v\n", err)
			return 1
		}
		defer f.Close()
		w = f
	}
	if err := reg.WriteCSV(w); err != nil {
		fmt.Fprintf(stderr, "riskwatch regions build: cannot write: %v\n", err)
		return 1
	}
	if *out != "-" {
		fmt.Fprintf(stdout, "%d regions written to %s\n", reg.Len(), *out)
	}
	return 0
}

type popRow struct {
	line int
	key  string
	pop  int64
}

// readPopulation reads a CSV with a population column and a name or code
// column.
func readPopulation(path, keyCol string) ([]popRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the header: %w", path, err)
	}
	ki, pi := -1, -1
	for i, c := range h {
		switch strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")) {
		case keyCol:
			ki = i
		case "population":
			pi = i
		}
	}
	if ki < 0 || pi < 0 {
		return nil, fmt.Errorf("%s line 1: needs the columns %s and population", path, keyCol)
	}
	var rows []popRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		if ki >= len(rec) || pi >= len(rec) {
			return nil, fmt.Errorf("%s line %d: too few fields", path, line)
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(rec[pi]), ",", ""), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s line %d: column population: %q is not a non-negative number", path, line, rec[pi])
		}
		rows = append(rows, popRow{line: line, key: strings.TrimSpace(rec[ki]), pop: n})
	}
}

// normName folds case and spaces for joining by name.
func normName(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// suggest names the closest key by edit distance, when it is close.
func suggest(key string, keys []string, byName bool) string {
	if byName {
		key = normName(key)
	}
	best, bestD := "", 1<<30
	for _, k := range keys {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > max(2, len([]rune(key))/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
