package demo

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Defaults of Options.
const (
	// DefaultCasesPerYear is Tongliao's scale: 15.7k cases accepted a year.
	DefaultCasesPerYear = 15700
	// DefaultYears is the length of the default period.
	DefaultYears = 2
)

// DefaultPeriod returns the first and last day of the default period:
// 2024-11-01 and 2026-10-31, at 00:00 Asia/Shanghai.
func DefaultPeriod() (from, to time.Time) {
	return dayTime(defaultFrom), dayTime(defaultTo)
}

// defaultTo is the day number of the last day of the default period.
var defaultTo = civilDays(2026, time.October, 31)

// Options configure a stream. The zero value is the default stream: two
// years of Tongliao ending 2026-10-31 at 15,700 cases a year with the
// default outbreaks, seed 0.
type Options struct {
	// Seed selects the stream; the same Options always give the same
	// records.
	Seed int64
	// From and To are the first and last day of the period, as calendar
	// dates: only their year, month and day count, read in the location
	// they carry, and the days are Asia/Shanghai days. Zero To is
	// 2026-10-31; zero From is two years before To (To - 2 years + 1 day).
	From, To time.Time
	// CasesPerYear is the expected number of baseline cases in a year
	// (0 means 15,700). The period holds CasesPerYear × days/365 cases on
	// average, plus the outbreaks' extra cases.
	CasesPerYear int
	// Outbreaks are injected on top of the baseline. Nil means the default
	// set (DefaultOutbreaks); set NoOutbreaks for none.
	Outbreaks []Outbreak
	// NoOutbreaks turns the outbreaks off: the stream is the baseline only.
	NoOutbreaks bool
	// Emerging injects emerging issues (bursts of similar complaints in a
	// village, filed under several categories; Generator.Emerging gives
	// them). Off by default, so the default stream is unchanged.
	Emerging bool
	// Links injects linked parties (repeat petitioners, people met in two
	// towns, contractors owing wages in several villages; Generator.Links
	// gives them), their look-alikes that must not link, and parties with
	// ID and phone numbers on a quarter of the baseline cases. Off by
	// default, so the default stream is unchanged.
	Links bool
	// Registry holds the regions; nil means schemas.LoadTongliao().
	Registry *schemas.Registry
	// Now is the "now" of the stream: no case is reported after it and no
	// update after it is emitted, so the cases still open at Now end in
	// their last state before it. Zero means the end of To
	// (To 23:59:59 Asia/Shanghai).
	Now time.Time
}

// Generator produces the records of one stream, in time order. It is not
// safe for concurrent use.
//
// The records it returns share memory with the generator and with each
// other (PartyNames, PartyDetails and the time pointers): treat them as
// read-only.
type Generator struct {
	seed    uint64
	reg     *schemas.Registry
	fromDay int // day number (days since 1970-01-01) of From
	days    int // days in the period
	lastIdx int // index of the last day with cases (To or Now's day)
	now     int64

	leaves   []leaf
	counties []countyInfo
	towns    []townInfo
	names    []string
	share    [numKinds][numCats]float64
	chProbs  [2][]float64
	tpls     [numCats][]template
	tplN     [numCats][]int // templates with {N}, for group disputes
	dayF     []float64      // weekday × holiday, per day of the period
	season   [][numCats]float64
	scale    float64
	obs      []obState
	em       emergingState
	ln       linkState

	ds, cs *stream // day and case streams

	heap     caseHeap
	day      int // index of the next day to generate
	daysDone bool
	seq      uint64
	dayBuf   []*caseState
	sorted   []*caseState
	buf      []byte // case ids
	sbuf     []byte // summaries
	limit    int    // 0: no limit
	emitted  int
	last     int64 // time of the last record returned
}

// New prepares a stream. It checks the options (period, outbreaks and
// their regions and categories) and returns an error for any that cannot
// be generated.
func New(o Options) (*Generator, error) {
	g := &Generator{seed: uint64(o.Seed)}
	toDay := defaultTo
	if !o.To.IsZero() {
		ty, tm, td := o.To.Date()
		toDay = civilDays(ty, tm, td)
	}
	if o.From.IsZero() {
		ty, tm, td := time.Unix(int64(toDay)*86400, 0).UTC().Date()
		g.fromDay = civilDays(ty-DefaultYears, tm, td) + 1
	} else {
		fy, fm, fd := o.From.Date()
		g.fromDay = civilDays(fy, fm, fd)
	}
	if g.fromDay > toDay {
		return nil, fmt.Errorf("the period from %s to %s is empty", dayString(g.fromDay), dayString(toDay))
	}
	g.days = toDay - g.fromDay + 1
	g.now = dayStartUnix(toDay+1) - 1
	if !o.Now.IsZero() {
		g.now = o.Now.Unix()
	}
	if g.now < dayStartUnix(g.fromDay) {
		return nil, fmt.Errorf("now %s is before the period starts (%s)", o.Now.Format(time.RFC3339), dayString(g.fromDay))
	}
	g.lastIdx = min(g.days-1, int(floorDiv(g.now+8*3600, 86400))-g.fromDay)
	cpy := o.CasesPerYear
	if cpy == 0 {
		cpy = DefaultCasesPerYear
	}
	if cpy < 0 {
		return nil, fmt.Errorf("cases per year %d is negative", cpy)
	}
	g.reg = o.Registry
	if g.reg == nil {
		reg, err := schemas.LoadTongliao()
		if err != nil {
			return nil, fmt.Errorf("cannot load the Tongliao regions: %w", err)
		}
		g.reg = reg
	}
	kw := allKeywords()
	if err := g.buildPlaces(kw); err != nil {
		return nil, fmt.Errorf("cannot place the residents: %w", err)
	}
	g.names = buildNames(kw)
	g.share = shares()
	g.chProbs = channelProbs()
	for c := 0; c < numCats; c++ {
		for _, t := range summaryTemplates[c] {
			tp := parseTemplate(t.text, t.months)
			if tp.has('N') {
				g.tplN[c] = append(g.tplN[c], len(g.tpls[c]))
			}
			g.tpls[c] = append(g.tpls[c], tp)
		}
	}

	// Daily factors and the scale that makes the period hold
	// CasesPerYear × days/365 baseline cases on average.
	norm := seasonNorm()
	g.dayF = make([]float64, g.days)
	g.season = make([][numCats]float64, g.days)
	var countyKind [numKinds]float64
	for _, c := range g.counties {
		for k := range c.strata {
			countyKind[k] += c.strata[k].weight
		}
	}
	total := 0.0
	for d := 0; d < g.days; d++ {
		day := g.fromDay + d
		g.dayF[d] = weekdayFactor[weekday(day)] * holidayFactor(day)
		for c := 0; c < numCats; c++ {
			g.season[d][c] = seasonal(c, day) / norm[c]
			for k := 0; k < numKinds; k++ {
				total += countyKind[k] * g.share[k][c] * g.season[d][c] * g.dayF[d]
			}
		}
	}
	if total > 0 {
		g.scale = float64(cpy) * float64(g.days) / 365 / total
	}

	g.ds = newStream(0)
	g.cs = newStream(0)
	obs := o.Outbreaks
	switch {
	case o.NoOutbreaks:
		obs = nil
	case obs == nil:
		obs = g.defaultOutbreaks()
	}
	if err := g.prepareOutbreaks(obs); err != nil {
		return nil, err
	}
	if o.Emerging {
		g.planEmerging()
	}
	if o.Links {
		g.planLinks()
	}
	return g, nil
}

// NewN prepares a stream that yields exactly n records: the period and
// options of o, with CasesPerYear raised when the period at o's scale would
// hold fewer than n records. Benchmarks use it to get, say, a million
// records cheaply.
func NewN(o Options, n int) (*Generator, error) {
	if n < 0 {
		return nil, errors.New("the record count is negative")
	}
	g, err := New(o)
	if err != nil {
		return nil, err
	}
	// A case gives at least ~3.4 records on average; 2.5 leaves room for
	// the Poisson noise and for cases cut short by Now.
	years := float64(g.lastIdx+1) / 365
	cur := o.CasesPerYear
	if cur == 0 {
		cur = DefaultCasesPerYear
	}
	if need := int(math.Ceil(float64(n) / (years * minRecordsPerCase))); need > cur {
		o.CasesPerYear = need
		if g, err = New(o); err != nil {
			return nil, err
		}
	}
	g.limit = n
	return g, nil
}

// minRecordsPerCase is a safe lower bound of the records per case.
const minRecordsPerCase = 2.5

// Records returns the first n records of the stream NewN(o, n) makes.
func Records(o Options, n int) ([]schemas.Record, error) {
	g, err := NewN(o, n)
	if err != nil {
		return nil, err
	}
	out := make([]schemas.Record, 0, n)
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		out = append(out, r)
	}
	if len(out) != n {
		return out, fmt.Errorf("the stream ended after %d of %d records", len(out), n)
	}
	return out, nil
}

// Count runs the stream of o and returns how many cases and records it
// holds.
func Count(o Options) (cases, records int, err error) {
	g, err := New(o)
	if err != nil {
		return 0, 0, err
	}
	for {
		r, ok := g.Next()
		if !ok {
			return cases, records, nil
		}
		records++
		if r.Version == 1 {
			cases++
		}
	}
}

// Next returns the next record, or false at the end of the stream. Records
// come in the order of the time they describe: a case's first version at
// its reported_at, later versions when the case changed, so a later version
// of a case always comes after the earlier one.
func (g *Generator) Next() (schemas.Record, bool) {
	if g.limit > 0 && g.emitted >= g.limit {
		return schemas.Record{}, false
	}
	for !g.daysDone && (len(g.heap) == 0 || g.heap.minTime() >= dayStartUnix(g.fromDay+g.day)) {
		g.generateDay()
	}
	if len(g.heap) == 0 {
		return schemas.Record{}, false
	}
	c := g.heap[0].c
	if g.heap[0].t > g.now {
		// Everything left, and every case of a day not yet generated, is
		// later than now.
		g.heap = g.heap[:0]
		g.daysDone = true
		return schemas.Record{}, false
	}
	rec := c.record()
	g.last = g.heap[0].t
	c.next++
	if c.next < c.nev {
		g.heap[0].t = c.ev[c.next].t
		g.heap.down(0)
	} else {
		g.heap.pop()
	}
	g.emitted++
	return rec, true
}

// Last returns the time of the last record Next returned (the zero time
// before the first).
func (g *Generator) Last() time.Time {
	if g.emitted == 0 {
		return time.Time{}
	}
	return time.Unix(g.last, 0).In(cst)
}

// generateDay draws the cases reported on the next day of the period and
// queues them.
func (g *Generator) generateDay() {
	d := g.day
	if d > g.lastIdx {
		g.daysDone = true
		return
	}
	g.day++
	dayNum := g.fromDay + d
	start := dayStartUnix(dayNum)
	g.ds.reseed(mix(g.seed, tagDay, uint64(d), 0))
	r := g.ds.r
	buf := g.dayBuf[:0]
	for ci := range g.counties {
		for k := 0; k < numKinds; k++ {
			st := &g.counties[ci].strata[k]
			if st.weight == 0 {
				continue
			}
			base := g.scale * st.weight * g.dayF[d]
			for cat := 0; cat < numCats; cat++ {
				n := poisson(r, base*g.share[k][cat]*g.season[d][cat])
				for j := 0; j < n; j++ {
					stratum := uint64((ci*numKinds+k)*numCats + cat)
					seed := mix(g.seed, tagBaseline, uint64(d), stratum<<24|uint64(j))
					if c := g.newCase(seed, start, cat, &st.picker, schemas.LevelCounty); c != nil {
						c.baseline = true
						buf = append(buf, c)
					}
				}
			}
		}
	}
	nBase := len(buf)
	buf = g.emergingCases(d, start, buf)
	if g.ln.on {
		g.linkNoise(buf[:nBase])
		buf = g.linkCases(d, start, buf)
	}
	for oi := range g.obs {
		o := &g.obs[oi]
		if d < o.startIdx || d > o.endIdx {
			continue
		}
		for j := 0; j < o.counts[d-o.startIdx]; j++ {
			seed := mix(g.seed, tagOutbreak, uint64(oi), uint64(d)<<24|uint64(j))
			if c := g.newCase(seed, start, o.cat, &o.picker, o.level); c != nil {
				buf = append(buf, c)
			}
		}
	}

	// Number the day's cases in the order they were reported.
	sorted := append(g.sorted[:0], buf...)
	slices.SortFunc(sorted, func(a, b *caseState) int {
		if a.t0 != b.t0 {
			return cmp.Compare(a.t0, b.t0)
		}
		return cmp.Compare(a.seed, b.seed)
	})
	for i := range g.counties {
		g.counties[i].seq = 0
	}
	ymd := dayYMD(dayNum)
	for _, c := range sorted {
		ct := &g.counties[c.county]
		ct.seq++
		c.rec.CaseID = g.caseID(c.rec.Source, ct.code, ymd, ct.seq)
		c.seq = g.seq
		g.seq++
		g.heap.push(c)
	}
	g.noteEmerging()
	g.noteLinks()
	// Baseline cases become possible targets of repeat_of, in the order
	// they were drawn, so that the baseline never depends on outbreaks.
	for _, c := range buf[:nBase] {
		if lf := &g.leaves[c.leaf]; lf.town >= 0 {
			t := &g.towns[lf.town]
			t.ring[t.ringN%ringSize] = c
			t.ringN++
		}
	}
	clear(sorted)
	clear(buf)
	g.sorted, g.dayBuf = sorted[:0], buf[:0]
}

// caseID builds ids like ZZ-150521-20250312-0007: source, banner, day and
// the banner's case number of the day.
func (g *Generator) caseID(src schemas.Source, county string, ymd uint64, n int) string {
	b := g.buf[:0]
	switch src {
	case schemas.SourcePlatform:
		b = append(b, "ZZ-"...)
	case schemas.SourceFengqiaoBoard:
		b = append(b, "FQ-"...)
	case schemas.SourceHotline:
		b = append(b, "RX-"...)
	case schemas.SourceGrid:
		b = append(b, "WG-"...)
	default:
		b = append(b, "DR-"...)
	}
	b = append(b, county[:6]...)
	b = append(b, '-')
	b = appendDigits(b, ymd, 8)
	b = append(b, '-')
	if n < 10000 {
		b = appendDigits(b, uint64(n), 4)
	} else {
		b = strconv.AppendInt(b, int64(n), 10)
	}
	g.buf = b
	return string(b)
}

// dayStartUnix returns the Unix time of 00:00 Asia/Shanghai of a day
// number.
func dayStartUnix(day int) int64 { return int64(day)*86400 - 8*3600 }

// dayYMD returns a day number as the number yyyymmdd.
func dayYMD(day int) uint64 {
	y, m, d := time.Unix(int64(day)*86400, 0).UTC().Date()
	return uint64(y*10000 + int(m)*100 + d)
}

// dayString formats a day number as YYYY-MM-DD.
func dayString(day int) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(time.DateOnly)
}

// dayTime returns 00:00 Asia/Shanghai of a day number.
func dayTime(day int) time.Time { return time.Unix(dayStartUnix(day), 0).In(cst) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// caseHeap orders the open cases by the time of their next event (then by
// case order), so records leave in time order and a case's versions in
// version order. The keys sit in the entries, so ordering never touches
// the cases themselves.
type caseHeap []heapEntry

type heapEntry struct {
	t   int64  // time of the case's next event
	seq uint64 // case order, for ties
	c   *caseState
}

func (h caseHeap) minTime() int64 { return h[0].t }

func (h caseHeap) less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].seq < h[j].seq
}

func (h *caseHeap) push(c *caseState) {
	*h = append(*h, heapEntry{t: c.ev[c.next].t, seq: c.seq, c: c})
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *caseHeap) pop() {
	s := *h
	n := len(s) - 1
	s[0] = s[n]
	s[n] = heapEntry{}
	*h = s[:n]
	if n > 0 {
		h.down(0)
	}
}

func (h caseHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// UpTo returns o for the two years up to now: To is now's day in
// Asia/Shanghai, From two years before it, Now is now. `riskwatch run
// --demo` uses it with the clock at start, so that the demo reaches today;
// tests and benchmarks keep a fixed end.
func UpTo(o Options, now time.Time) Options {
	o.From, o.Now = time.Time{}, now
	y, m, d := now.In(cst).Date()
	o.To = time.Date(y, m, d, 0, 0, 0, 0, cst)
	return o
}
