package schemas

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestTongliaoRegistry(t *testing.T) {
	g, err := LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	// Counts from shared/data/SOURCES.md: 2,714 units below the city.
	if g.Len() != 2715 {
		t.Errorf("units = %d, want 2715 (2714 + the city)", g.Len())
	}
	for lv, want := range map[Level]int{LevelCounty: 10, LevelTown: 143, LevelVillage: 2561} {
		if got := len(g.AtLevel(lv)); got != want {
			t.Errorf("level %v: %d units, want %d", lv, got, want)
		}
	}
	root := g.Root()
	if root.Code != "150500000000" || root.Population != 2873168 {
		t.Errorf("root = %+v", root)
	}
	// 科尔沁区's census figure includes 开发区 (921800 - 203100).
	for code, want := range map[string]int64{"150502000000": 718700, "150571000000": 203100, "150522000000": 321438, "150581000000": 138676} {
		r, ok := g.Lookup(code)
		if !ok || r.Population != want || r.PopulationSource != PopulationCensus {
			t.Errorf("%s: population %d (%s), want %d census", code, r.Population, r.PopulationSource, want)
		}
	}
	if r, _ := g.Lookup("150521000000"); r.ShortName != "科左中旗" || r.Name != "科尔沁左翼中旗" {
		t.Errorf("科左中旗 names: %+v", r)
	}
	if c, ok := g.Normalize("150521"); !ok || c != "150521000000" {
		t.Errorf("Normalize(150521) = %q, %v", c, ok)
	}
	if c, ok := g.Normalize("150502001"); !ok || c != "150502001000" {
		t.Errorf("Normalize(150502001) = %q, %v", c, ok)
	}
	if _, ok := g.Normalize("150599"); ok {
		t.Error("Normalize accepted an unknown county")
	}
	chain := g.Ancestors("150502001001") // 民航社区居委会
	var names []string
	for _, r := range chain {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, ">"); got != "通辽市>科尔沁区>科尔沁街道>民航社区居委会" {
		t.Errorf("ancestors = %s", got)
	}
	if r, ok := g.AncestorAt("150502001001", LevelCounty); !ok || r.Code != "150502000000" {
		t.Errorf("AncestorAt county = %+v %v", r, ok)
	}
	// Village populations are estimates that add up to at most their town.
	town, _ := g.Lookup("150502001000")
	var sum int64
	for _, v := range g.Children(town.Code) {
		if v.PopulationSource != PopulationEstimated || v.Population <= 0 {
			t.Fatalf("village %s population %d (%s)", v.Code, v.Population, v.PopulationSource)
		}
		sum += v.Population
	}
	if sum > town.Population || sum < town.Population-int64(len(g.Children(town.Code))) {
		t.Errorf("villages sum to %d, town has %d", sum, town.Population)
	}
}

func TestGenericCSVRoundTrip(t *testing.T) {
	g, err := LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := g.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	h, err := LoadCSV(&buf, "roundtrip.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.All(), h.All()) {
		t.Error("registry changed through the generic CSV")
	}
}

func TestGenericCSVOtherCity(t *testing.T) {
	const nyc = "code,name,level,parent_code,population\n" +
		"NYC,New York City,2,,8804190\n" +
		"BK,Brooklyn,3,NYC,2736074\n" +
		"BK05,05 Brooklyn,4,BK,\n" +
		"11207,ZIP 11207,5,BK05,93386\n"
	g, err := LoadCSV(strings.NewReader(nyc), "nyc.csv")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := g.Lookup("BK05"); r.PopulationSource != PopulationEstimated || r.Population != 2736074 {
		t.Errorf("BK05 = %+v", r)
	}
	if _, ok := g.Normalize("112"); ok {
		t.Error("non-statistical registry must not pad codes")
	}
}

func TestGenericCSVErrorsNameLineAndColumn(t *testing.T) {
	cases := map[string]string{
		"code,name,level,parent_code,population\nA,a,2,,x\n":                "x.csv line 2: column population",
		"code,name,level,parent_code,population\nA,a,two,,1\n":              "x.csv line 2: column level",
		"code,name,level,parent_code\nA,a,2,\n":                             `x.csv line 1: missing column "population"`,
		"code,name,level,parent_code,population\nA,a,2,,1\nB,b,3,Z,1\n":     "unknown parent Z",
		"code,name,level,parent_code,population\nA,a,2,,1\nB,b,2,A,1\n":     "is not below its parent",
		"code,name,level,parent_code,population\nA,a,2,,1\nB,b,3,,1\n":      "two roots",
		"code,name,level,parent_code,population\nA,a,2,,1\nA,again,3,A,1\n": "duplicate code",
	}
	for in, want := range cases {
		_, err := LoadCSV(strings.NewReader(in), "x.csv")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("input %q: error %v, want it to contain %q", in, err, want)
		}
	}
}

func TestTaxonomy(t *testing.T) {
	if err := ValidateTaxonomy(Taxonomy); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range Taxonomy {
		names[c.NameZH] = true
	}
	// The categories the centers asked for.
	for _, n := range []string{"邻里纠纷", "噪音扰民", "婚姻家庭", "劳资纠纷", "拖欠农民工工资", "土地承包", "草牧场/山林权属",
		"征地拆迁", "物业/房产", "消费纠纷", "医疗纠纷", "交通事故", "民间借贷/涉众金融", "环境污染", "涉法涉诉信访", "校园纠纷", "其他"} {
		if !names[n] {
			t.Errorf("taxonomy lacks %s", n)
		}
	}
	order := ClassifyOrder()
	if order[0].Parent == "" {
		t.Error("leaves must be tried before groups")
	}
	bad := []Category{{Code: "a", NameZH: "甲", NameEN: "A", Parent: "zz"}, {Code: OtherCategory, NameZH: "其他", NameEN: "Other"}}
	if err := ValidateTaxonomy(bad); err == nil || !strings.Contains(err.Error(), "unknown parent") {
		t.Errorf("bad taxonomy: %v", err)
	}
}

func TestJSONSchemaMatchesRecord(t *testing.T) {
	var s struct {
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(RecordJSONSchema, &s); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeOf(Record{})
	tags := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
		tags[name] = true
		if _, ok := s.Properties[name]; !ok {
			t.Errorf("field %s missing from record.schema.json", name)
		}
	}
	for name := range s.Properties {
		if !tags[name] {
			t.Errorf("schema property %s has no Go field", name)
		}
	}
	for _, e := range Enums {
		var p struct {
			Enum []string `json:"enum"`
		}
		if err := json.Unmarshal(s.Properties[e.Field], &p); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Enum, e.Values) {
			t.Errorf("%s: schema enum %v, Go %v", e.Field, p.Enum, e.Values)
		}
	}
}

// The Enum8 definitions in the migrations must use the codes of schemas.Enums.
func TestMigrationEnumsMatchContract(t *testing.T) {
	b, err := os.ReadFile("migrations/0001_core.sql")
	if err != nil {
		t.Fatal(err)
	}
	// Only the record tables (cases, case_events) carry contract enums.
	sql, _, _ := strings.Cut(string(b), "CREATE TABLE IF NOT EXISTS cases_daily")
	re := regexp.MustCompile(`(?m)^\s+(\w+) Enum8\(([^)]*)\)`)
	found := 0
	for _, m := range re.FindAllStringSubmatch(sql, -1) {
		e, ok := EnumFor(m[1])
		if !ok {
			continue
		}
		found++
		var want []string
		want = append(want, "'' = 0")
		for i, v := range e.Values {
			want = append(want, "'"+v+"' = "+string(rune('0'+i+1)))
		}
		if got := m[2]; got != strings.Join(want, ", ") {
			t.Errorf("column %s: Enum8(%s), want Enum8(%s)", m[1], got, strings.Join(want, ", "))
		}
	}
	if found != 10 { // five enum columns in cases and in case_events
		t.Errorf("checked %d enum columns, want 10", found)
	}
}

func TestSplitStatements(t *testing.T) {
	script := "-- header; not a statement\nCREATE TABLE a (x String DEFAULT ';') ENGINE = Memory;\n\n/* block; */ SELECT 1;\nSELECT 'it\\'s; fine'\n"
	got, err := SplitStatements(script)
	if err != nil {
		t.Fatal(err)
	}
	want := []Statement{
		{Line: 2, SQL: "CREATE TABLE a (x String DEFAULT ';') ENGINE = Memory"},
		{Line: 4, SQL: "SELECT 1"},
		{Line: 5, SQL: "SELECT 'it\\'s; fine'"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	if _, err := SplitStatements("SELECT 'open"); err == nil {
		t.Error("unterminated quote accepted")
	}
}

func TestLoadMigrations(t *testing.T) {
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "0001_core.sql" {
		t.Fatalf("migrations = %+v", ms)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Version <= ms[i-1].Version {
			t.Errorf("migrations out of order: %s after %s", ms[i].Name, ms[i-1].Name)
		}
	}
	bad := fstest.MapFS{"m/1_x.sql": {Data: []byte("SELECT 1")}}
	if _, err := LoadMigrations(bad, "m"); err == nil || !strings.Contains(err.Error(), "1_x.sql") {
		t.Errorf("bad name: %v", err)
	}
	dup := fstest.MapFS{"m/0001_a.sql": {Data: []byte("SELECT 1")}, "m/0001_b.sql": {Data: []byte("SELECT 2")}}
	if _, err := LoadMigrations(dup, "m"); err == nil || !strings.Contains(err.Error(), "same version") {
		t.Errorf("duplicate version: %v", err)
	}
}

func TestCheckCSVListsEveryProblemWithItsLine(t *testing.T) {
	in := "code,name,level,parent_code,population\n" + // 1
		"C,City,2,,100\n" + // 2
		"A,Area A,3,C,80\n" + // 3
		"B,Area B,3,C,50\n" + // 4: A + B = 130 > 100
		"A,Area A again,3,C,\n" + // 5: repeated
		"X,,3,NOPE,\n" + // 6: empty name, unknown parent
		"Y,Why,2,A,\n" + // 7: level not below its parent
		"Z,Zed,x,C,-1\n" + // 8: level, population
		"R,Second root,2,,\n" // 9
	got, err := CheckCSV(strings.NewReader(in), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"line 2: warning: the children of C have 130 people together, more than its population 100",
		"line 5: error: column code: A is repeated (first at line 3)",
		"line 6: error: column name: empty",
		"line 6: error: column parent_code: NOPE is not a code of the file",
		"line 7: error: column level: 2 is not below its parent A (level 3, line 3)",
		`line 8: error: column level: "x" is not a level 1-9`,
		`line 8: error: column population: "-1" is not a non-negative number`,
		"line 9: error: a second root (empty parent_code; the first is at line 2)",
	}
	var lines []string
	for _, p := range got {
		lines = append(lines, p.String())
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	// The built-in registry, exported, checks clean and loads back equal.
	reg, err := LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := reg.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	probs, err := CheckCSV(strings.NewReader(b.String()), "tongliao.csv")
	if err != nil || len(probs) != 0 {
		t.Errorf("exported Tongliao: %v %v", probs, err)
	}
	back, err := LoadCSV(strings.NewReader(b.String()), "tongliao.csv")
	if err != nil || back.Len() != reg.Len() {
		t.Fatalf("reload: %v (%d units, want %d)", err, back.Len(), reg.Len())
	}
	for _, r := range reg.All() {
		g, ok := back.Lookup(r.Code)
		if !ok || g.Name != r.Name || g.Parent != r.Parent || g.Level != r.Level || g.ShortName != r.ShortName {
			t.Fatalf("%s: reloaded as %+v, want %+v", r.Code, g, r)
		}
	}
	if c, ok := back.Normalize("150502"); !ok || c != "150502000000" {
		t.Errorf("reloaded registry does not normalise 150502: %q %v", c, ok)
	}
}

func TestCategoriesCSV(t *testing.T) {
	var b strings.Builder
	if err := WriteCategoriesCSV(&b, Taxonomy); err != nil {
		t.Fatal(err)
	}
	back, err := LoadCategoriesCSV(strings.NewReader(b.String()), "categories.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, Taxonomy) {
		t.Errorf("the exported taxonomy does not load back equal")
	}
	// A 问政 board's first-level classes, with one leaf.
	board := "code,parent,name_zh,name_en,keywords\n" +
		"urban,,城乡建设,Urban and rural construction,住房|物业|拆迁\n" +
		"env,,环境保护,Environmental protection,污染|噪音\n" +
		"env.noise,env,噪音污染,Noise,噪音|扰民\n" +
		"other,,其他,Other,\n"
	cats, err := LoadCategoriesCSV(strings.NewReader(board), "board.csv")
	if err != nil || len(cats) != 4 || cats[2].Parent != "env" || len(cats[0].Keywords) != 3 {
		t.Fatalf("board taxonomy: %v %+v", err, cats)
	}
	bad := "code,parent,name_zh,name_en,keywords\n" +
		"a,,甲,,\n" + // 2
		"a,,甲again,,\n" + // 3
		"b.x,b,乙,,\n" + // 4: parent not above
		"c,,,,\n" + // 5: no Chinese name
		"a.y,a,丙,,\n" + // 6
		"a.y.z,a.y,丁,,\n" // 7: three levels; no other
	_, err = LoadCategoriesCSV(strings.NewReader(bad), "bad.csv")
	for _, want := range []string{
		"bad.csv line 3: column code: a is repeated (first in row 1)",
		"bad.csv line 4: column parent: b is not a group listed above",
		"bad.csv line 5: column name_zh: empty",
		"bad.csv line 7: column parent: a.y is itself a leaf (of a); the taxonomy has two levels",
		`bad.csv line 7: no fallback category "other"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
