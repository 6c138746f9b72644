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

	"github.com/paulmach/orb"

	"github.com/riskwatch/riskwatch/schemas"
)

// regionsBuild is `riskwatch regions build`: a registry (the regions CSV)
// from a boundary file, with populations joined from a CSV by name or code
// and a report of what did not match, with suggested matches. Given the
// parents' polygons (--parent-geojson), it reports the units that straddle
// two parents with the share of their area on each side, and, given
// records with coordinates (--records), the share of their records; a unit
// without a --parent-field goes under the parent that holds most of its
// area (most of its records when it has no polygon inside a parent).
func regionsBuild(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch regions build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	geo := fs.String("geojson", "", "boundary file: a GeoJSON FeatureCollection (required)")
	codeField := fs.String("code-field", "", "feature property with the unit's code (required)")
	nameField := fs.String("name-field", "", "feature property with the unit's name (required)")
	codeSplit := fs.String("code-split", "", "the code property may list several codes separated by this (a feature standing for several units: each becomes a unit with its polygon, named by its code)")
	skipCodes := fs.String("skip-codes", "", "codes (of the code property, comma-separated) whose features are no units (a placeholder such as 99999)")
	codeFormat := fs.String("code-format", "{}", "how a unit's code is written: {} stands for the code property (NYC-ZIP-{})")
	parentField := fs.String("parent-field", "", "feature property with the parent's code (empty: the parent polygons decide, else the root)")
	parentFormat := fs.String("parent-format", "{}", "how a parent's code is written from --parent-field or --parent-code-field: {} stands for the value")
	parents := fs.String("parents", "", "a regions CSV the units go under (its root is the root; --root-code and --root-name are ignored)")
	parentGeo := fs.String("parent-geojson", "", "the parents' polygons: report units straddling two parents and place units without --parent-field")
	parentCodeField := fs.String("parent-code-field", "", "feature property of --parent-geojson with the parent's code")
	records := fs.String("records", "", "CSV of records with a unit code and coordinates: the share of each unit's records under each parent")
	recCode := fs.String("records-code", "", "column of --records with the unit's code (written through --code-format)")
	recLat := fs.String("records-lat", "latitude", "column of --records with the latitude")
	recLon := fs.String("records-lon", "longitude", "column of --records with the longitude")
	straddleMin := fs.Float64("straddle-min", 5, "a unit straddles when a second parent holds at least this percentage of its area or records")
	rootCode := fs.String("root-code", "ROOT", "code of the root (the city)")
	rootName := fs.String("root-name", "City", "name of the root")
	popFile := fs.String("population", "", "CSV with a population column and a name or code column (see --join-on)")
	joinOn := fs.String("join-on", "code", "join the population on name or code")
	popKey := fs.String("population-key", "", "column of --population with the name or code (default: the --join-on value)")
	sumPop := fs.Bool("sum-population", false, "a unit without population gets the sum of its children's")
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
	case (*parentGeo == "") != (*parentCodeField == ""):
		return bad("--parent-geojson and --parent-code-field go together")
	case *records != "" && (*parentGeo == "" || *recCode == ""):
		return bad("--records needs --parent-geojson and --records-code")
	case !strings.Contains(*codeFormat, "{}") || !strings.Contains(*parentFormat, "{}"):
		return bad("--code-format and --parent-format must contain {}")
	}
	codeOf := func(v string) string { return strings.ReplaceAll(*codeFormat, "{}", v) }
	parentOf := func(v string) string { return strings.ReplaceAll(*parentFormat, "{}", v) }
	fc, err := readFeatures(*geo)
	if err != nil {
		return bad("--geojson: %v", err)
	}
	type unit struct {
		code, name, parent string
		pop                int64
		hasPop             bool
		geom               orb.MultiPolygon
	}
	units := map[string]*unit{}
	var order []string
	skip := map[string]bool{}
	for _, c := range strings.Split(*skipCodes, ",") {
		if c = strings.TrimSpace(c); c != "" {
			skip[c] = true
		}
	}
	for i, f := range fc.Features {
		codes := []string{prop(f.Properties, *codeField)}
		if *codeSplit != "" {
			codes = strings.Split(codes[0], *codeSplit)
		}
		for _, code := range codes {
			if code = strings.TrimSpace(code); skip[code] {
				fmt.Fprintf(stdout, "feature %d: code %s skipped (--skip-codes)\n", i, code)
				continue
			}
			u := &unit{code: code, name: prop(f.Properties, *nameField)}
			if u.code == "" {
				return bad("%s: feature %d: no %s", *geo, i, *codeField)
			}
			if len(codes) > 1 {
				u.name = u.code
			}
			u.code = codeOf(u.code)
			if *parentField != "" {
				if v := prop(f.Properties, *parentField); v != "" {
					u.parent = parentOf(v)
				}
			}
			if u.name == "" {
				u.name = u.code
			}
			mp, _ := multiPolygon(f.Geometry)
			if prev, dup := units[u.code]; dup {
				// Several features of one unit (islands written separately).
				if prev.parent != u.parent {
					fmt.Fprintf(stderr, "feature %d: unit %s has parents %s and %s; kept under %s\n", i, u.code, prev.parent, u.parent, prev.parent)
				}
				prev.geom = append(prev.geom, mp...)
				continue
			}
			u.geom = mp
			units[u.code] = u
			order = append(order, u.code)
		}
	}
	var base []schemas.Region
	root, rootRegion := *rootCode, schemas.Region{Code: *rootCode, Name: *rootName, Level: 2}
	known := map[string]schemas.Region{}
	if *parents != "" {
		f, err := os.Open(*parents)
		if err != nil {
			return bad("--parents: %v", err)
		}
		preg, err := schemas.LoadCSV(f, *parents)
		f.Close()
		if err != nil {
			return bad("--parents: %v", err)
		}
		base = preg.All()
		rootRegion = preg.Root()
		root = rootRegion.Code
		for _, r := range base {
			if _, clash := units[r.Code]; clash {
				return bad("%s: unit %s is already a region of %s", *geo, r.Code, *parents)
			}
			known[r.Code] = r
		}
	}
	if *parentGeo != "" {
		pfc, err := readFeatures(*parentGeo)
		if err != nil {
			return bad("--parent-geojson: %v", err)
		}
		var shapes []shape
		for i, f := range pfc.Features {
			c := prop(f.Properties, *parentCodeField)
			mp, ok := multiPolygon(f.Geometry)
			if c == "" || !ok {
				return bad("%s: feature %d: no %s or no polygon", *parentGeo, i, *parentCodeField)
			}
			shapes = append(shapes, shape{code: parentOf(c), geom: mp, bound: mp.Bound()})
		}
		var byRecords map[string]map[string]int
		if *records != "" {
			var placed int
			if byRecords, placed, err = recordShares(*records, *recCode, *recLat, *recLon, codeOf, shapes); err != nil {
				return bad("--records: %v", err)
			}
			fmt.Fprintf(stdout, "records: %d with coordinates placed in the parents\n", placed)
		}
		min := *straddleMin / 100
		nArea, nRec := 0, 0
		sharesOf := map[*orb.Polygon]map[string]float64{}
		for _, c := range order {
			u := units[c]
			var byArea []side
			if len(u.geom) > 0 {
				// Units split from one feature share its polygon: one estimate.
				shares, ok := sharesOf[&u.geom[0]]
				if !ok {
					shares, _ = areaShares(u.geom, shapes)
					sharesOf[&u.geom[0]] = shares
				}
				byArea = sides(shares, nil)
				if straddles(byArea, min) {
					nArea++
					fmt.Fprintf(stdout, "straddles: unit %s (%s) by area: %s\n", u.code, u.name, formatSides(byArea, shares[""], 0, false))
				}
			}
			var byRec []side
			if rc := byRecords[c]; len(rc) > 0 {
				total := 0
				for _, k := range rc {
					total += k
				}
				shares := map[string]float64{}
				for p, k := range rc {
					shares[p] = float64(k) / float64(total)
				}
				byRec = sides(shares, rc)
				if straddles(byRec, min) {
					nRec++
					fmt.Fprintf(stdout, "straddles: unit %s (%s) by records: %s\n", u.code, u.name, formatSides(byRec, shares[""], rc[""], true))
				}
			}
			if u.parent == "" {
				switch {
				case len(byArea) > 0:
					u.parent = byArea[0].parent
				case len(byRec) > 0:
					u.parent = byRec[0].parent
				}
			}
		}
		fmt.Fprintf(stdout, "straddling units (a second parent with at least %g %%): %d by area, %d by records\n", *straddleMin, nArea, nRec)
	}
	// Parents that are no feature and no region of --parents become units
	// of their own under the root, named by their code.
	for _, c := range order {
		u := units[c]
		if u.parent == "" || u.parent == root {
			u.parent = root
			continue
		}
		if _, ok := known[u.parent]; ok {
			continue
		}
		if _, ok := units[u.parent]; !ok {
			units[u.parent] = &unit{code: u.parent, name: u.parent, parent: root}
			order = append(order, u.parent)
		}
	}
	if *popFile != "" {
		keyCol := *joinOn
		if *popKey != "" {
			keyCol = *popKey
		}
		pops, err := readPopulation(*popFile, keyCol)
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
			} else {
				k = codeOf(k)
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
	regs := []schemas.Region{rootRegion}
	level := map[string]int{root: int(rootRegion.Level)}
	for _, r := range base {
		if r.Code != root {
			regs = append(regs, r)
			level[r.Code] = int(r.Level)
		}
	}
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
	if *sumPop {
		sumPopulations(regs)
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

// feature is one GeoJSON feature: its properties and its polygons
// (Polygon and MultiPolygon geometries; nil for any other).
type feature struct {
	Properties map[string]any
	Geometry   orb.Geometry
}

// readFeatures reads a GeoJSON FeatureCollection.
func readFeatures(path string) (*struct{ Features []feature }, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
			Geometry   *struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("%s: cannot decode: %w", path, err)
	}
	out := &struct{ Features []feature }{}
	for i, f := range fc.Features {
		ft := feature{Properties: f.Properties}
		if f.Geometry != nil {
			var err error
			switch f.Geometry.Type {
			case "Polygon":
				var c [][][2]float64
				if err = json.Unmarshal(f.Geometry.Coordinates, &c); err == nil {
					ft.Geometry = ringsPolygon(c)
				}
			case "MultiPolygon":
				var c [][][][2]float64
				if err = json.Unmarshal(f.Geometry.Coordinates, &c); err == nil {
					mp := make(orb.MultiPolygon, len(c))
					for j, p := range c {
						mp[j] = ringsPolygon(p)
					}
					ft.Geometry = mp
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s: feature %d: cannot decode the coordinates: %w", path, i, err)
			}
		}
		out.Features = append(out.Features, ft)
	}
	return out, nil
}

func ringsPolygon(rings [][][2]float64) orb.Polygon {
	p := make(orb.Polygon, len(rings))
	for i, r := range rings {
		p[i] = make(orb.Ring, len(r))
		for j, pt := range r {
			p[i][j] = orb.Point(pt)
		}
	}
	return p
}

// prop returns a feature property as text (numbers without a fraction
// as integers).
func prop(p map[string]any, k string) string {
	v, ok := p[k]
	if !ok || v == nil {
		return ""
	}
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strings.TrimSpace(fmt.Sprint(v))
}

// sumPopulations gives every region without a census population the sum
// of its children's that have one (known or summed), when one does,
// bottom-up from the root (regs[0]): a child without any population counts
// as none.
func sumPopulations(regs []schemas.Region) {
	idx := map[string]int{}
	for i, r := range regs {
		idx[r.Code] = i
	}
	children := map[string][]int{}
	for i, r := range regs {
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], i)
		}
	}
	var sum func(i int) bool
	sum = func(i int) bool {
		r := &regs[i]
		if r.PopulationSource == schemas.PopulationCensus {
			return true
		}
		kids := children[r.Code]
		if len(kids) == 0 {
			return false
		}
		var total int64
		some := false
		for _, k := range kids {
			if sum(k) {
				some = true
				total += regs[k].Population
			}
		}
		if !some {
			return false
		}
		r.Population, r.PopulationSource = total, schemas.PopulationCensus
		return true
	}
	sum(idx[regs[0].Code])
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
		switch c = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")); {
		case c == keyCol:
			ki = i
		case strings.EqualFold(c, "population"):
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
