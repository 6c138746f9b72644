package demo

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// The tests read the stream the way a consumer would: as marshalled JSON
// checked against the contract, with their own classifier and their own
// region look-ups, never through the generator's internals. Expected
// figures are written here by hand.

var shanghai = time.FixedZone("UTC+8", 8*3600)

// registry is the Tongliao registry the tests check region codes with.
var registry = sync.OnceValue(func() *schemas.Registry {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		panic(err)
	}
	return reg
})

// classify returns the category of free text with the taxonomy's rule: the
// first category of schemas.ClassifyOrder with a keyword in the text, else
// "other".
func classify(text string) string {
	for _, c := range schemas.ClassifyOrder() {
		for _, k := range c.Keywords {
			if strings.Contains(text, k) {
				return c.Code
			}
		}
	}
	return schemas.OtherCategory
}

// caseFacts is what the tests keep of a case.
type caseFacts struct {
	reported time.Time
	category string // the code, or what category_text classifies to
	region   string
	version  uint32
	resolved bool // the latest version has resolved_at
	parties  uint32
	amount   float64
}

// streamStats is one pass over a stream.
type streamStats struct {
	records, cases int
	cases2         map[string]*caseFacts
	problems       []string
	hash50k        [32]byte
	obCounts       []int // cases matching each outbreak's region, category and days
	maxLive        uint64
	summaries      summaryStats
}

type summaryStats struct {
	mobile, mobileDashed, mobileFullWidth, landline, id, badID, names, missingName, extreme int
}

var (
	mobileRe     = regexp.MustCompile(`(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)`)
	mobileDashRe = regexp.MustCompile(`1[3-9][0-9]-[0-9]{4}-[0-9]{4}`)
	fullWidthRe  = regexp.MustCompile(`[１][３-９][０-９]{9}`)
	landlineRe   = regexp.MustCompile(`0475-[0-9]{7}`)
	idRe         = regexp.MustCompile(`[0-9]{17}[0-9X]`)
)

// validID checks the GB 11643 check character.
func validID(id string) bool {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(id[i]-'0') * w[i]
	}
	return "10X98765432"[sum%11] == id[17]
}

// scanMode says how much a scan does besides counting.
type scanMode struct {
	validate    bool // marshal and check every record against the contract
	hashFirst   int  // hash the JSON of the first records, then stop
	watchMemory bool
}

// scan streams o and counts the cases in the region, category and days of
// each of obs.
func scan(t testing.TB, o Options, obs []Outbreak, mode scanMode) *streamStats {
	t.Helper()
	g, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	now := o.Now
	if now.IsZero() {
		to := o.To
		if to.IsZero() {
			to = time.Date(2026, 10, 31, 0, 0, 0, 0, shanghai)
		}
		now = time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, shanghai)
	}
	st := &streamStats{cases2: map[string]*caseFacts{}, obCounts: make([]int, len(obs))}
	h := sha256.New()
	reg := registry()
	var ms runtime.MemStats
	if mode.watchMemory {
		st.cases2 = nil
		runtime.GC()
	}
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		st.records++
		if mode.hashFirst > 0 {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				t.Fatal(err)
			}
			h.Write(b)
			h.Write([]byte{'\n'})
			if st.records == mode.hashFirst {
				break
			}
			continue
		}
		if mode.watchMemory {
			if st.records%5000 == 0 {
				runtime.ReadMemStats(&ms)
				st.maxLive = max(st.maxLive, ms.HeapInuse)
			}
			continue
		}
		if mode.validate {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				t.Fatal(err)
			}
			st.validate(b, r, reg, now)
		}
		st.track(r)
		if r.Version == 1 {
			for i, ob := range obs {
				if inOutbreak(reg, r, ob) {
					st.obCounts[i]++
				}
			}
		}
	}
	copy(st.hash50k[:], h.Sum(nil))
	return st
}

// inOutbreak reports whether the first version r lies in the outbreak's
// region, category and days.
func inOutbreak(reg *schemas.Registry, r schemas.Record, ob Outbreak) bool {
	cat := r.Category
	if cat == "" {
		cat = classify(r.CategoryText)
	}
	if cat != ob.Category {
		return false
	}
	day := r.ReportedAt.In(shanghai).Format(time.DateOnly)
	if day < ob.Start.Format(time.DateOnly) || day > ob.End.Format(time.DateOnly) {
		return false
	}
	for _, a := range reg.Ancestors(r.RegionCode) {
		if a.Code == ob.Region {
			return true
		}
	}
	return false
}

// allowedFields are the wire names of the contract (additionalProperties:
// false).
var allowedFields = map[string]bool{
	"contract": true, "case_id": true, "version": true, "source": true, "channel": true,
	"reported_at": true, "occurred_at": true, "region_code": true, "grid_id": true, "lat": true,
	"lon": true, "category": true, "category_text": true, "summary": true, "party_names": true,
	"severity": true, "parties": true, "amount_cny": true, "status": true, "assigned_unit": true,
	"due_at": true, "resolved_at": true, "feedback_at": true, "evaluated_at": true,
	"satisfaction": true, "repeat_of": true, "petition": true, "superior_assigned": true, "escalated": true,
	"updated_at": true,
}

var enums = map[string][]string{
	"source":       {"platform", "fengqiao_board", "hotline", "grid", "import"},
	"channel":      {"visit", "phone", "online", "grid", "referral", "superior"},
	"severity":     {"simple", "general", "difficult"},
	"status":       {"accepted", "routed", "handling", "resolved", "failed", "closed"},
	"satisfaction": {"satisfied", "basic", "dissatisfied"},
}

var timeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$`)

// bad records a problem of record r.
func (st *streamStats) bad(r schemas.Record, format string, args ...any) {
	if len(st.problems) < 30 {
		st.problems = append(st.problems, fmt.Sprintf("%s v%d: ", r.CaseID, r.Version)+fmt.Sprintf(format, args...))
	}
}

// effectiveCategory is the code of r, or what its category_text classifies
// to.
func effectiveCategory(r schemas.Record) string {
	if r.Category != "" {
		return r.Category
	}
	return classify(r.CategoryText)
}

// validate checks one marshalled record against the contract and the
// stream's own promises about a single record.
func (st *streamStats) validate(b []byte, r schemas.Record, reg *schemas.Registry, now time.Time) {
	bad := func(format string, args ...any) { st.bad(r, format, args...) }
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		bad("not JSON: %v", err)
		return
	}
	for k := range m {
		if !allowedFields[k] {
			bad("unknown field %q", k)
		}
	}
	for _, k := range []string{"case_id", "version", "source", "reported_at", "region_code", "parties", "status"} {
		if _, ok := m[k]; !ok {
			bad("missing %s", k)
		}
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	// updated_at is the version's event time: given on every version, not
	// before the report and not after the stream's now.
	if u, err := time.Parse(time.RFC3339, str("updated_at")); err != nil {
		bad("updated_at %q", str("updated_at"))
	} else if u.Before(r.ReportedAt) || u.After(now) {
		bad("updated_at %s outside [reported_at %s, now %s]", u, r.ReportedAt, now)
	}
	num := func(k string) (float64, bool) {
		n, ok := m[k].(json.Number)
		if !ok {
			return 0, false
		}
		f, err := n.Float64()
		return f, err == nil
	}
	if id := str("case_id"); id == "" || len(id) > 128 {
		bad("case_id %q", id)
	}
	if v, ok := num("version"); !ok || v < 1 || v != float64(int64(v)) {
		bad("version %v", m["version"])
	}
	for f, vals := range enums {
		v, present := m[f]
		if !present {
			if f == "source" || f == "status" {
				bad("missing %s", f)
			}
			continue
		}
		if s, ok := v.(string); !ok || !slices.Contains(vals, s) {
			bad("%s %v not in %v", f, v, vals)
		}
	}
	times := map[string]time.Time{}
	for _, f := range []string{"reported_at", "occurred_at", "due_at", "resolved_at", "feedback_at", "evaluated_at"} {
		s, present := m[f]
		if !present {
			continue
		}
		ss, _ := s.(string)
		if !timeRe.MatchString(ss) {
			bad("%s %q is not RFC 3339 with +08:00 (seconds)", f, ss)
			continue
		}
		tm, err := time.Parse(time.RFC3339, ss)
		if err != nil {
			bad("%s: %v", f, err)
			continue
		}
		times[f] = tm
	}
	rep := times["reported_at"]
	if rep.After(now) {
		bad("reported_at %s after now", rep)
	}
	for _, f := range []string{"resolved_at", "feedback_at", "evaluated_at"} {
		if tm, ok := times[f]; ok && (tm.Before(rep) || tm.After(now)) {
			bad("%s %s outside reported_at..now", f, tm)
		}
	}
	if tm, ok := times["occurred_at"]; ok && tm.After(rep) {
		bad("occurred_at after reported_at")
	}
	if due, ok := times["due_at"]; !ok {
		bad("no due_at")
	} else if d := due.Sub(rep); d != 15*24*time.Hour && d != 30*24*time.Hour {
		bad("due_at is %v after reported_at, want 15 or 30 days", d)
	} else if (d == 15*24*time.Hour) != (str("severity") == "simple") {
		bad("due_at %v for severity %s", d, str("severity"))
	}
	if fb, ok := times["feedback_at"]; ok {
		if rs, ok := times["resolved_at"]; ok && fb.Before(rs) {
			bad("feedback before resolution")
		}
		if ev, ok := times["evaluated_at"]; ok && ev.Before(fb) {
			bad("evaluation before feedback")
		}
	}
	if _, ok := times["evaluated_at"]; ok != (str("satisfaction") != "") {
		bad("satisfaction %q without/with evaluated_at", str("satisfaction"))
	}
	switch str("status") {
	case "resolved":
		if _, ok := times["resolved_at"]; !ok {
			bad("resolved without resolved_at")
		}
	case "failed", "accepted", "routed", "handling":
		if _, ok := times["resolved_at"]; ok {
			bad("status %s with resolved_at", str("status"))
		}
	case "closed":
		if _, ok := times["feedback_at"]; !ok {
			bad("closed without feedback_at")
		}
	}
	code := str("region_code")
	if _, ok := reg.Lookup(code); !ok || len(code) != 12 {
		bad("region_code %q is not a registry code", code)
	}
	if p, ok := num("parties"); !ok || p < 1 || p != float64(int64(p)) {
		bad("parties %v", m["parties"])
	}
	if a, present := m["amount_cny"]; present {
		if f, ok := num("amount_cny"); !ok || f < 0 {
			bad("amount_cny %v", a)
		}
	}
	cat, text := str("category"), str("category_text")
	effective := effectiveCategory(r)
	switch {
	case cat == "" && text == "":
		bad("neither category nor category_text")
	case cat == "":
	default:
		if _, ok := schemas.CategoryByCode()[cat]; !ok {
			bad("category %q not in the taxonomy", cat)
		}
		if text != "" && classify(text) != cat {
			bad("category_text %q classifies to %s, not %s", text, classify(text), cat)
		}
	}
	if got := classify(str("summary")); got != effective {
		bad("summary classifies to %s, not %s: %s", got, effective, str("summary"))
	}
	if r.SuperiorAssigned != (r.Channel == schemas.ChannelSuperior) {
		bad("superior_assigned %v with channel %s", r.SuperiorAssigned, r.Channel)
	}

	if r.Version == 1 {
		s := str("summary")
		ss := &st.summaries
		switch {
		case mobileDashRe.MatchString(s):
			ss.mobileDashed++
		case fullWidthRe.MatchString(s):
			ss.mobileFullWidth++
		case mobileRe.MatchString(s):
			if !strings.Contains(s, "1380000") {
				bad("mobile number not of the synthetic 1380000xxxx form: %s", s)
			}
			ss.mobile++
		}
		if landlineRe.MatchString(s) {
			ss.landline++
		}
		if id := idRe.FindString(s); id != "" {
			ss.id++
			if !validID(id) || id[14:16] != "99" {
				ss.badID++
			}
		}
		for _, n := range r.PartyNames {
			ss.names++
			if n == "" || len([]rune(n)) > 64 || !strings.Contains(s, n) {
				ss.missingName++
			}
		}
		for _, w := range []string{"扬言", "跳楼", "极端", "报复"} {
			if strings.Contains(s, w) {
				ss.extreme++
				break
			}
		}
	}
}

// track follows the case of r across versions and keeps its facts.
func (st *streamStats) track(r schemas.Record) {
	bad := func(format string, args ...any) { st.bad(r, format, args...) }
	f := st.cases2[r.CaseID]
	switch {
	case f == nil && r.Version != 1:
		bad("first record of the case has version %d", r.Version)
		return
	case f == nil:
		st.cases++
		f = &caseFacts{reported: r.ReportedAt, category: effectiveCategory(r), region: r.RegionCode,
			parties: r.Parties, amount: r.AmountCNY}
		st.cases2[r.CaseID] = f
		if r.RepeatOf != "" {
			if _, ok := st.cases2[r.RepeatOf]; !ok {
				bad("repeat_of %s is not an earlier case", r.RepeatOf)
			}
		}
	case r.Version != f.version+1:
		bad("version %d after %d", r.Version, f.version)
	case !r.ReportedAt.Equal(f.reported) || r.RegionCode != f.region || effectiveCategory(r) != f.category:
		bad("reported_at, region or category changed across versions")
	}
	f.version = r.Version
	f.resolved = r.ResolvedAt != nil
}

// The default stream and the same stream without outbreaks, scanned once.
var (
	defaultScan   *streamStats
	baselineScan  *streamStats
	defaultTruth  []Outbreak
	scanOnce      sync.Once
	scanFailure   string
	scanOnceStart = func(t *testing.T) {
		t.Helper()
		scanOnce.Do(func() {
			g, err := New(Options{})
			if err != nil {
				scanFailure = err.Error()
				return
			}
			defaultTruth = g.Outbreaks()
			defaultScan = scan(t, Options{}, defaultTruth, scanMode{validate: true})
			baselineScan = scan(t, Options{NoOutbreaks: true}, defaultTruth, scanMode{})
		})
		if scanFailure != "" {
			t.Fatal(scanFailure)
		}
	}
)

func TestEveryRecordFollowsTheContract(t *testing.T) {
	scanOnceStart(t)
	for _, s := range []*streamStats{defaultScan, baselineScan} {
		for _, p := range s.problems {
			t.Error(p)
		}
	}
	if defaultScan.summaries.names == 0 {
		t.Fatal("the default stream was not validated")
	}
	if defaultScan.records < 100000 {
		t.Errorf("only %d records in two years", defaultScan.records)
	}
}

func TestTotalsFollowCasesPerYear(t *testing.T) {
	scanOnceStart(t)
	// 15,700 a year over 730 days: 31,400 baseline cases.
	const want = 31400.0
	if got := float64(baselineScan.cases); got < want*0.97 || got > want*1.03 {
		t.Errorf("baseline cases = %v, want 31,400 ± 3 %%", got)
	}
	extra := 0
	for _, o := range defaultTruth {
		extra += o.ExtraCases
	}
	if defaultScan.cases != baselineScan.cases+extra {
		t.Errorf("with outbreaks %d cases, want the baseline %d + the %d extra", defaultScan.cases, baselineScan.cases, extra)
	}
	// Versions: a case goes through about four.
	if per := float64(defaultScan.records) / float64(defaultScan.cases); per < 3 || per > 5.5 {
		t.Errorf("%.2f records per case, want 3 to 5.5", per)
	}
}

func TestMostOldCasesAreResolved(t *testing.T) {
	scanOnceStart(t)
	now := time.Date(2026, 10, 31, 23, 59, 59, 0, shanghai)
	old, resolved, all, allResolved := 0, 0, 0, 0
	for _, f := range defaultScan.cases2 {
		all++
		if f.resolved {
			allResolved++
		}
		if now.Sub(f.reported) < 90*24*time.Hour {
			continue
		}
		old++
		if f.resolved {
			resolved++
		}
	}
	if share := float64(resolved) / float64(old); share <= 0.9 || share > 0.99 {
		t.Errorf("%.3f of the cases older than 90 days are resolved, want above 0.9 (and some failures)", share)
	}
	// Tongliao: 14.2k resolved of 15.7k accepted, 90.4 %.
	if share := float64(allResolved) / float64(all); share < 0.88 || share > 0.97 {
		t.Errorf("%.3f of all cases resolved by now, want 0.88–0.97", share)
	}
}

func TestVolumeFollowsPopulation(t *testing.T) {
	scanOnceStart(t)
	byCounty := map[string]int{}
	for _, f := range baselineScan.cases2 {
		byCounty[f.region[:6]]++
	}
	// 2020 census (schemas/data/tongliao_counties_census2020.csv); 科尔沁区
	// without 开发区.
	pop := map[string]float64{
		"150502": 718700, "150571": 203100, "150521": 399600, "150522": 321438, "150523": 313400,
		"150524": 151133, "150525": 375300, "150526": 251806, "150581": 138676,
	}
	pairs := [][2]string{
		{"150525", "150524"}, // 奈曼旗 / 库伦旗: 2.48× the residents
		{"150523", "150581"}, // 开鲁县 / 霍林郭勒市: 2.26×
		{"150502", "150521"}, // 科尔沁区 / 科左中旗: 1.80×
		{"150521", "150526"}, // 科左中旗 / 扎鲁特旗: 1.59×
	}
	for _, p := range pairs {
		want := pop[p[0]] / pop[p[1]]
		got := float64(byCounty[p[0]]) / float64(byCounty[p[1]])
		if got < 0.8*want || got > 1.2*want {
			t.Errorf("%s/%s: %.2f× the cases for %.2f× the residents", p[0], p[1], got, want)
		}
	}
	if n := byCounty["150501"]; n != 0 {
		t.Errorf("市辖区 has no residents but %d cases", n)
	}
}

func TestSeasonality(t *testing.T) {
	scanOnceStart(t)
	rural := map[string]bool{"150521": true, "150522": true, "150523": true, "150524": true, "150525": true, "150526": true}
	count := func(cat string, ruralOnly bool, in func(time.Time) bool) int {
		n := 0
		for _, f := range baselineScan.cases2 {
			if f.category == cat && (!ruralOnly || rural[f.region[:6]]) && in(f.reported.In(shanghai)) {
				n++
			}
		}
		return n
	}
	month := func(m time.Month) func(time.Time) bool {
		return func(t time.Time) bool { return t.Month() == m }
	}
	months := func(ms ...time.Month) func(time.Time) bool {
		return func(t time.Time) bool { return slices.Contains(ms, t.Month()) }
	}
	if apr, nov := count("land", true, month(time.April)), count("land", true, month(time.November)); apr < 2*nov {
		t.Errorf("land disputes in the rural banners: %d in April, %d in November, want April ≥ 2× November", apr, nov)
	}
	// Wage arrears: the four weeks before the Spring Festival against June
	// and July (two months each).
	before := func(t time.Time) bool {
		for _, sf := range []time.Time{time.Date(2025, 1, 29, 0, 0, 0, 0, shanghai), time.Date(2026, 2, 17, 0, 0, 0, 0, shanghai)} {
			if !t.Before(sf.AddDate(0, 0, -28)) && t.Before(sf) {
				return true
			}
		}
		return false
	}
	wageBefore, wageSummer := count("labor.wage_arrears", false, before), count("labor.wage_arrears", false, months(time.June, time.July))
	// 2 × 28 days against 2 × 61 days: per day at least 2×.
	if float64(wageBefore)/56 < 2*float64(wageSummer)/122 {
		t.Errorf("wage arrears: %d in the 4 weeks before the Spring Festivals, %d in June–July", wageBefore, wageSummer)
	}
	if summer, winter := count("neighbor.noise", false, months(time.June, time.July, time.August)), count("neighbor.noise", false, months(time.December, time.January, time.February)); summer < 2*winter {
		t.Errorf("noise: %d in June–August, %d in December–February", summer, winter)
	}
	var wd [7]int
	for _, f := range baselineScan.cases2 {
		wd[f.reported.In(shanghai).Weekday()]++
	}
	weekend := float64(wd[0]+wd[6]) / 2
	weekdays := float64(wd[1]+wd[2]+wd[3]+wd[4]+wd[5]) / 5
	if weekend > 0.75*weekdays {
		t.Errorf("%.0f cases a weekend day against %.0f a weekday", weekend, weekdays)
	}
}

func TestGroupDisputesAndLargeAmounts(t *testing.T) {
	scanOnceStart(t)
	var cases, group, groupWage, large, zero int
	for _, f := range defaultScan.cases2 {
		cases++
		if f.parties >= 30 {
			group++
			if f.category == "labor.wage_arrears" {
				groupWage++
			}
		}
		switch {
		case f.amount >= 1_000_000:
			large++
		case f.amount == 0:
			zero++
		}
	}
	// About 2 % group disputes, wage arrears among the most frequent.
	if share := float64(group) / float64(cases); share < 0.005 || share > 0.04 {
		t.Errorf("%d group disputes of %d cases", group, cases)
	}
	if float64(groupWage) < 0.15*float64(group) {
		t.Errorf("only %d of %d group disputes are wage arrears", groupWage, group)
	}
	if large < 10 || float64(large) > 0.01*float64(cases) {
		t.Errorf("%d cases of a million yuan or more among %d", large, cases)
	}
	if zero < cases/5 {
		t.Errorf("only %d cases without money at stake", zero)
	}
}

func TestSummariesExerciseMasking(t *testing.T) {
	scanOnceStart(t)
	s, n := defaultScan.summaries, float64(defaultScan.cases)
	mobiles := float64(s.mobile + s.mobileDashed + s.mobileFullWidth)
	if mobiles < 0.2*n || mobiles > 0.4*n {
		t.Errorf("%v of %v summaries hold a mobile number, want 20–40 %%", mobiles, n)
	}
	if s.mobileDashed == 0 || s.mobileFullWidth == 0 || s.landline == 0 {
		t.Errorf("no dashed (%d), full-width (%d) or landline (%d) numbers", s.mobileDashed, s.mobileFullWidth, s.landline)
	}
	if float64(s.id) < 0.03*n || s.badID != 0 {
		t.Errorf("%d ID numbers (%d invalid or not 99x) in %v summaries", s.id, s.badID, n)
	}
	if s.names < defaultScan.cases || s.missingName != 0 {
		t.Errorf("%d party names, %d of them not in the summary", s.names, s.missingName)
	}
	if s.extreme == 0 {
		t.Error("no summary holds an extreme-risk word")
	}
}

func TestGroundTruthMatchesTheInjectedCases(t *testing.T) {
	scanOnceStart(t)
	if len(defaultTruth) < 10 || len(defaultTruth) > 14 {
		t.Fatalf("%d default outbreaks, want about 12", len(defaultTruth))
	}
	levels := map[schemas.Level]int{}
	cats := map[string]bool{}
	for i, o := range defaultTruth {
		got := defaultScan.obCounts[i] - baselineScan.obCounts[i]
		if got != o.ExtraCases || o.ExtraCases < 5 {
			t.Errorf("%s: %d extra cases in the stream, ground truth says %d", o.Label, got, o.ExtraCases)
		}
		reg, _ := registry().Lookup(o.Region)
		levels[reg.Level]++
		cats[o.Category] = true
		// Detectable but not trivial: the outbreak at least doubles the
		// weekly count of its series, and stays within a few weeks.
		if days := o.End.Sub(o.Start).Hours()/24 + 1; days < 14 || days > 28 {
			t.Errorf("%s lasts %v days", o.Label, days)
		}
		if base := baselineScan.obCounts[i]; o.ExtraCases < base {
			t.Errorf("%s: %d extra cases on a baseline of %d", o.Label, o.ExtraCases, base)
		}
	}
	if levels[schemas.LevelCounty] < 3 || levels[schemas.LevelTown] < 3 || levels[schemas.LevelVillage] < 1 {
		t.Errorf("outbreak levels %v, want banners, towns and a village", levels)
	}
	if len(cats) < 8 {
		t.Errorf("only %d categories among the outbreaks", len(cats))
	}
}

func TestOutbreakGivenByHand(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	period := Options{Seed: 9, From: day("2025-03-01"), To: day("2025-06-30")}
	obs := []Outbreak{
		{Label: "hand", Region: "150525000000", Category: "grassland", Start: day("2025-05-05"), End: day("2025-05-18"), ExtraCases: 40},
		{Label: "cut", Region: "150502001000", Category: "neighbor.noise", Start: day("2025-06-10"), End: day("2025-06-29"), ExtraCases: 30},
	}
	with := period
	with.Outbreaks = obs
	with.Now = time.Date(2025, 6, 20, 12, 0, 0, 0, shanghai)
	base := period
	base.NoOutbreaks = true
	base.Now = with.Now
	g, err := New(with)
	if err != nil {
		t.Fatal(err)
	}
	truth := g.Outbreaks()
	if len(truth) != 2 || truth[0].ExtraCases != 40 || truth[0].RegionName != "奈曼旗" {
		t.Fatalf("ground truth %+v", truth)
	}
	cut := truth[1]
	if cut.ExtraCases <= 0 || cut.ExtraCases >= 30 || cut.End.Format(time.DateOnly) != "2025-06-20" || cut.RegionName != "科尔沁区/科尔沁街道" {
		t.Errorf("outbreak cut by now: %+v, want fewer than 30 cases ending 2025-06-20", cut)
	}
	a := scan(t, with, obs, scanMode{validate: true})
	b := scan(t, base, obs, scanMode{})
	for _, p := range append(a.problems, b.problems...) {
		t.Error(p)
	}
	if got := a.obCounts[0] - b.obCounts[0]; got != 40 {
		t.Errorf("hand-made outbreak: %d extra cases, want 40", got)
	}
	if got := a.obCounts[1] - b.obCounts[1]; got != cut.ExtraCases {
		t.Errorf("outbreak cut by now: %d extra cases, ground truth says %d", got, cut.ExtraCases)
	}

	var buf bytes.Buffer
	if err := WriteGroundTruth(&buf, truth[:1]); err != nil {
		t.Fatal(err)
	}
	want := "label,region_code,region_name,category,start,end,extra_cases\nhand,150525000000,奈曼旗,grassland,2025-05-05,2025-05-18,40\n"
	if buf.String() != want {
		t.Errorf("ground truth CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
	back, err := ReadGroundTruth(strings.NewReader(want))
	if err != nil || len(back) != 1 || back[0].ExtraCases != 40 || back[0].Region != "150525000000" || back[0].Start.Format(time.DateOnly) != "2025-05-05" {
		t.Errorf("ReadGroundTruth = %+v, %v", back, err)
	}
}

func TestDeterministic(t *testing.T) {
	first := scanMode{hashFirst: 50000}
	a := scan(t, Options{}, nil, first)
	b := scan(t, Options{}, nil, first)
	if a.records != 50000 || a.hash50k != b.hash50k {
		t.Errorf("two runs with the same options differ in the first 50,000 records (%d records)", a.records)
	}
	if c := scan(t, Options{Seed: 2}, nil, first); c.hash50k == a.hash50k {
		t.Error("seeds 0 and 2 give the same records")
	}
}

func TestMemoryStaysBounded(t *testing.T) {
	st := scan(t, Options{Seed: 5}, nil, scanMode{watchMemory: true})
	if st.records < 100000 {
		t.Fatalf("only %d records", st.records)
	}
	// The whole stream marshalled is ~80 MB; the generator keeps only the
	// open cases.
	if st.maxLive > 64<<20 {
		t.Errorf("heap in use reached %d MB while streaming", st.maxLive>>20)
	}
	t.Logf("%d records, heap in use at most %d MB", st.records, st.maxLive>>20)
}

func TestNewNGivesExactlyN(t *testing.T) {
	o := Options{Seed: 4, From: time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai), To: time.Date(2026, 1, 31, 0, 0, 0, 0, shanghai)}
	recs, err := Records(o, 50000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 50000 {
		t.Fatalf("%d records, want 50000", len(recs))
	}
	seen := map[string]uint32{}
	for _, r := range recs {
		if r.Version != seen[r.CaseID]+1 {
			t.Fatalf("%s: version %d after %d", r.CaseID, r.Version, seen[r.CaseID])
		}
		seen[r.CaseID] = r.Version
	}
	cases, records, err := Count(Options{Seed: 4, From: o.From, To: o.To, NoOutbreaks: true})
	if err != nil || cases < 1200 || cases > 1500 || records < 3*cases {
		// 15,700 × 31/365 = 1,333 cases.
		t.Errorf("Count = %d cases, %d records, %v; want about 1,333 cases", cases, records, err)
	}
}

func TestOptionsAreChecked(t *testing.T) {
	d := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, shanghai) }
	ok := Outbreak{Label: "x", Region: "150525000000", Category: "land", Start: d(2025, 4, 1), End: d(2025, 4, 14), ExtraCases: 5}
	cases := map[string]Options{
		"empty period":     {From: d(2025, 5, 1), To: d(2025, 4, 1)},
		"negative scale":   {CasesPerYear: -1},
		"now before start": {Now: d(2020, 1, 1)},
		"unknown region":   {Outbreaks: []Outbreak{func() Outbreak { o := ok; o.Region = "150599000000"; return o }()}},
		"unknown category": {Outbreaks: []Outbreak{func() Outbreak { o := ok; o.Category = "labor.wages"; return o }()}},
		"outside period":   {Outbreaks: []Outbreak{func() Outbreak { o := ok; o.End = d(2027, 1, 1); return o }()}},
		"end before start": {Outbreaks: []Outbreak{func() Outbreak { o := ok; o.End = d(2025, 3, 1); return o }()}},
		"negative size":    {Outbreaks: []Outbreak{func() Outbreak { o := ok; o.ExtraCases = -1; return o }()}},
	}
	for name, o := range cases {
		if _, err := New(o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := New(Options{Outbreaks: []Outbreak{ok}}); err != nil {
		t.Errorf("a valid outbreak: %v", err)
	}
}

func TestTaxonomyCodes(t *testing.T) {
	byCode := schemas.CategoryByCode()
	for _, c := range catCodes {
		if _, ok := byCode[c]; !ok {
			t.Errorf("category %q is not in the taxonomy", c)
		}
	}
}
