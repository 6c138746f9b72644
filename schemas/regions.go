package schemas

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

//go:embed data/tongliao_5level_nbs2021.csv data/tongliao_counties_census2020.csv data/150500_full.json
var regionData embed.FS

// TongliaoCityCode is the statistical code of 通辽市, the root of the
// built-in registry.
const TongliaoCityCode = "150500000000"

// TongliaoCountyGeoJSON returns the banner/county polygons of 通辽市
// (GeoJSON, properties.adcode = 6-digit county code), for neighbour
// structures and maps.
func TongliaoCountyGeoJSON() []byte {
	b, err := regionData.ReadFile("data/150500_full.json")
	if err != nil {
		panic("embedded GeoJSON missing: " + err.Error()) // a broken build, not input
	}
	return b
}

// Level is an administrative level. The numbers follow the Chinese statistical
// division levels, so Tongliao's files load as they are; another hierarchy
// uses the same numbers for its own units (NYC: city 2, borough 3, community
// board 4, district or ZIP 5).
type Level int

// Levels.
const (
	LevelProvince Level = 1
	LevelCity     Level = 2 // 市
	LevelCounty   Level = 3 // 旗县区
	LevelTown     Level = 4 // 苏木乡镇街道
	LevelVillage  Level = 5 // 嘎查村社区
)

// String returns the Chinese name of the level.
func (l Level) String() string {
	switch l {
	case LevelProvince:
		return "省级"
	case LevelCity:
		return "市级"
	case LevelCounty:
		return "旗县区"
	case LevelTown:
		return "苏木乡镇街道"
	case LevelVillage:
		return "嘎查村社区"
	}
	return "L" + strconv.Itoa(int(l))
}

// Population sources.
const (
	PopulationCensus    = "census"
	PopulationEstimated = "estimated"
	PopulationUnknown   = "unknown"
)

// Region is one administrative unit.
type Region struct {
	Code      string // Tongliao: 12-digit statistical code; other hierarchies: their own ids
	Name      string // official name
	ShortName string // the name leaders use (科左中旗 for 科尔沁左翼中旗); Name when none
	Level     Level
	Parent    string // "" for the root
	// Population is the resident population; PopulationSource says whether
	// it is a census figure, an estimate split from the parent, or unknown.
	Population       int64
	PopulationSource string
}

// Registry is an immutable region hierarchy. It is safe for concurrent use.
type Registry struct {
	root     string
	byCode   map[string]*Region
	children map[string][]string
	// digits is true when every code is a 12-digit statistical code, which
	// enables normalising shorter codes (6-digit county, 9-digit town).
	digits bool
	// populationYear is the vintage of the population figures (0 unknown).
	populationYear int
}

// PopulationYear is the year of the population figures (the census year
// for the built-in registry), 0 when unknown. RISK_INDEX.md §5.1 keeps it
// with every index row (pop_vintage_year).
func (g *Registry) PopulationYear() int { return g.populationYear }

// SetPopulationYear records the vintage of the population figures.
func (g *Registry) SetPopulationYear(year int) { g.populationYear = year }

// tongliaoShortNames are the names the centers use for the banners.
var tongliaoShortNames = map[string]string{
	"150500000000": "通辽市",
	"150521000000": "科左中旗",
	"150522000000": "科左后旗",
	"150571000000": "开发区",
}

// LoadTongliao returns the registry of 通辽市 built from the embedded NBS 2021
// division codes (2,714 units below the city) and the 2020 census.
func LoadTongliao() (*Registry, error) {
	f, err := regionData.Open("data/tongliao_5level_nbs2021.csv")
	if err != nil {
		return nil, fmt.Errorf("cannot open embedded regions: %w", err)
	}
	defer f.Close()
	p, err := regionData.Open("data/tongliao_counties_census2020.csv")
	if err != nil {
		return nil, fmt.Errorf("cannot open embedded population: %w", err)
	}
	defer p.Close()
	g, err := LoadNBS(f, p, Region{Code: "150500000000", Name: "通辽市", Level: LevelCity})
	if err != nil {
		return nil, err
	}
	g.SetPopulationYear(2020) // 第七次全国人口普查 (the seventh census)
	return g, nil
}

// LoadNBS builds a registry from an NBS-style division file (columns code12,
// name, level, parent_code12, …) and a county census file (county_code, name,
// resident_population_2020, precision, note, …), under the given root unit.
// A county row whose note says it includes another county has that county's
// population subtracted, so no resident is counted twice.
func LoadNBS(divisions, census io.Reader, root Region) (*Registry, error) {
	rows, err := readCSV(divisions, "divisions", []string{"code12", "name", "level", "parent_code12"})
	if err != nil {
		return nil, err
	}
	regs := []Region{root}
	for _, r := range rows {
		lv, err := strconv.Atoi(r.get("level"))
		if err != nil {
			return nil, fmt.Errorf("divisions line %d: column level: %q is not a number", r.line, r.get("level"))
		}
		regs = append(regs, Region{Code: r.get("code12"), Name: r.get("name"), Level: Level(lv), Parent: r.get("parent_code12")})
	}
	pop := map[string]int64{}
	if census != nil {
		crow, err := readCSV(census, "census", []string{"county_code", "resident_population_2020"})
		if err != nil {
			return nil, err
		}
		includes := map[string]string{} // county → county whose residents it includes
		for _, r := range crow {
			n, err := strconv.ParseInt(r.get("resident_population_2020"), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("census line %d: column resident_population_2020: %q is not a number", r.line, r.get("resident_population_2020"))
			}
			code := r.get("county_code")
			code += strings.Repeat("0", max(0, 12-len(code)))
			pop[code] = n
			if note := r.get("note"); strings.Contains(note, "includes") {
				for _, other := range crow {
					oc := other.get("county_code")
					if oc != r.get("county_code") && strings.Contains(note, oc) {
						includes[code] = oc + strings.Repeat("0", max(0, 12-len(oc)))
					}
				}
			}
		}
		for code, other := range includes {
			pop[code] -= pop[other]
		}
	}
	for i := range regs {
		if n, ok := pop[regs[i].Code]; ok {
			regs[i].Population = n
			regs[i].PopulationSource = PopulationCensus
		}
		if s, ok := tongliaoShortNames[regs[i].Code]; ok {
			regs[i].ShortName = s
		}
	}
	return NewRegistry(regs)
}

// LoadCSV builds a registry from a generic CSV with the header
// code,name,level,parent_code,population (population may be empty; an
// optional short_name column is used when present). Exactly one row has an
// empty parent_code: the root. This is how another city's hierarchy loads.
func LoadCSV(r io.Reader, name string) (*Registry, error) {
	rows, err := readCSV(r, name, []string{"code", "name", "level", "parent_code", "population"})
	if err != nil {
		return nil, err
	}
	regs := make([]Region, 0, len(rows))
	for _, row := range rows {
		lv, err := strconv.Atoi(row.get("level"))
		if err != nil || lv < 1 || lv > 9 {
			return nil, fmt.Errorf("%s line %d: column level: %q is not a level 1-9", name, row.line, row.get("level"))
		}
		reg := Region{Code: row.get("code"), Name: row.get("name"), ShortName: row.get("short_name"),
			Level: Level(lv), Parent: row.get("parent_code")}
		if p := row.get("population"); p != "" {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s line %d: column population: %q is not a non-negative number", name, row.line, p)
			}
			reg.Population, reg.PopulationSource = n, PopulationCensus
		}
		regs = append(regs, reg)
	}
	reg, err := NewRegistry(regs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return reg, nil
}

// WriteCSV writes the registry in the generic CSV format LoadCSV reads,
// parents before children. Estimated populations are written as empty.
func (g *Registry) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"code", "name", "level", "parent_code", "population", "short_name"})
	for _, r := range g.All() {
		pop := ""
		if r.PopulationSource == PopulationCensus {
			pop = strconv.FormatInt(r.Population, 10)
		}
		short := ""
		if r.ShortName != r.Name {
			short = r.ShortName
		}
		_ = cw.Write([]string{r.Code, r.Name, strconv.Itoa(int(r.Level)), r.Parent, pop, short})
	}
	cw.Flush()
	return cw.Error()
}

// NewRegistry checks a list of regions (unique codes, one root, known
// parents, levels growing downwards, no cycles) and builds the registry.
// Missing populations are estimated from the parent, split equally.
func NewRegistry(regs []Region) (*Registry, error) {
	g := &Registry{byCode: make(map[string]*Region, len(regs)), children: map[string][]string{}, digits: true}
	for i := range regs {
		r := regs[i]
		if r.Code == "" {
			return nil, fmt.Errorf("region %d (%q): empty code", i+1, r.Name)
		}
		if _, dup := g.byCode[r.Code]; dup {
			return nil, fmt.Errorf("region %s: duplicate code", r.Code)
		}
		if r.Name == "" {
			return nil, fmt.Errorf("region %s: empty name", r.Code)
		}
		if r.ShortName == "" {
			r.ShortName = r.Name
		}
		if r.PopulationSource == "" {
			r.PopulationSource = PopulationUnknown
		}
		if len(r.Code) != 12 || strings.Trim(r.Code, "0123456789") != "" {
			g.digits = false
		}
		g.byCode[r.Code] = &r
	}
	for _, r := range regs {
		if r.Parent == "" {
			if g.root != "" {
				return nil, fmt.Errorf("regions %s and %s: two roots (empty parent)", g.root, r.Code)
			}
			g.root = r.Code
			continue
		}
		p, ok := g.byCode[r.Parent]
		if !ok {
			return nil, fmt.Errorf("region %s: unknown parent %s", r.Code, r.Parent)
		}
		if p.Level >= r.Level {
			return nil, fmt.Errorf("region %s: level %d is not below its parent %s (level %d)", r.Code, r.Level, p.Code, p.Level)
		}
		g.children[r.Parent] = append(g.children[r.Parent], r.Code)
	}
	if g.root == "" {
		return nil, errors.New("no root region (a row with an empty parent)")
	}
	for _, c := range g.children {
		sort.Strings(c)
	}
	g.estimate(g.root)
	return g, nil
}

// estimate fills unknown populations top-down by splitting the parent's
// population equally over the children whose population is unknown, after
// taking away the children whose population is known.
func (g *Registry) estimate(code string) {
	r := g.byCode[code]
	kids := g.children[code]
	if r.Population > 0 && len(kids) > 0 {
		rest, unknown := r.Population, 0
		for _, k := range kids {
			if c := g.byCode[k]; c.PopulationSource == PopulationCensus {
				rest -= c.Population
			} else {
				unknown++
			}
		}
		if unknown > 0 && rest > 0 {
			share := rest / int64(unknown)
			for _, k := range kids {
				if c := g.byCode[k]; c.PopulationSource != PopulationCensus {
					c.Population, c.PopulationSource = share, PopulationEstimated
				}
			}
		}
	}
	for _, k := range kids {
		g.estimate(k)
	}
}

// Root returns the top unit.
func (g *Registry) Root() Region { return *g.byCode[g.root] }

// Len returns the number of units, the root included.
func (g *Registry) Len() int { return len(g.byCode) }

// Lookup returns the unit with this exact code.
func (g *Registry) Lookup(code string) (Region, bool) {
	r, ok := g.byCode[code]
	if !ok {
		return Region{}, false
	}
	return *r, true
}

// Normalize maps a code as a record may carry it onto a known unit: the exact
// code, or, for statistical-code registries, a 6-digit county or 9-digit town
// code padded to 12 digits. It reports false for an unknown code.
func (g *Registry) Normalize(code string) (string, bool) {
	if _, ok := g.byCode[code]; ok {
		return code, true
	}
	if !g.digits || len(code) >= 12 || strings.Trim(code, "0123456789") != "" {
		return "", false
	}
	switch len(code) {
	case 2, 4, 6, 9:
		padded := code + strings.Repeat("0", 12-len(code))
		if _, ok := g.byCode[padded]; ok {
			return padded, true
		}
	}
	return "", false
}

// Ancestors returns the chain from the root down to code, code included.
func (g *Registry) Ancestors(code string) []Region {
	var chain []Region
	for c := code; c != ""; {
		r, ok := g.byCode[c]
		if !ok {
			return nil
		}
		chain = append(chain, *r)
		c = r.Parent
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain
}

// AncestorAt returns the ancestor of code at the given level (code itself
// when it is at that level), or false when code is above that level.
func (g *Registry) AncestorAt(code string, lv Level) (Region, bool) {
	for c := code; c != ""; {
		r, ok := g.byCode[c]
		if !ok {
			return Region{}, false
		}
		if r.Level == lv {
			return *r, true
		}
		if r.Level < lv {
			return Region{}, false
		}
		c = r.Parent
	}
	return Region{}, false
}

// Children returns the direct children of code in code order.
func (g *Registry) Children(code string) []Region {
	kids := g.children[code]
	out := make([]Region, len(kids))
	for i, k := range kids {
		out[i] = *g.byCode[k]
	}
	return out
}

// AtLevel returns every unit of a level in code order.
func (g *Registry) AtLevel(lv Level) []Region {
	var out []Region
	for _, r := range g.byCode {
		if r.Level == lv {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// All returns every unit, parents before children (depth first, code order).
func (g *Registry) All() []Region {
	out := make([]Region, 0, len(g.byCode))
	var walk func(string)
	walk = func(c string) {
		out = append(out, *g.byCode[c])
		for _, k := range g.children[c] {
			walk(k)
		}
	}
	walk(g.root)
	return out
}

// csvRow is one data row of a CSV file with its 1-based line number.
type csvRow struct {
	line int
	cols map[string]int
	rec  []string
}

func (r csvRow) get(col string) string {
	i, ok := r.cols[col]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

// readCSV reads a CSV with a header row that must contain the required
// columns; errors name the file, line and column.
func readCSV(r io.Reader, name string, required []string) ([]csvRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read header: %w", name, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		cols[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("%s line 1: missing column %q", name, c)
		}
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, csvRow{line: line, cols: cols, rec: rec})
	}
	return rows, nil
}
