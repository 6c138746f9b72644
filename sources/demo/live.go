package demo

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Defaults of LiveOptions.
const (
	// DefaultLiveRate is the number of new cases a minute of the trickle:
	// far above Tongliao's own pace (about 43 a day), so that a newcomer
	// watching the console sees it move.
	DefaultLiveRate = 3.0
	// DefaultOutbreakEvery is the mean time between the trickle's
	// injected outbreaks.
	DefaultOutbreakEvery = 2 * time.Hour
)

// liveSeqBase numbers the trickle's cases of a day above the stream's own
// (a banner has a few dozen a day at most), so that a case id is never
// shared with a case of the stream that ends on the same day.
const liveSeqBase = 5000

// Live outbreaks: how long one lasts and how many extra cases a minute it
// adds in its town, of one category.
const (
	liveOutbreakMin  = 30 * time.Minute
	liveOutbreakMax  = 60 * time.Minute
	liveOutbreakRate = 1.0
)

// liveOutbreakCats are the categories a live outbreak may be of: the ones
// whose cases are most often group disputes, so that rule alarms follow.
var liveOutbreakCats = []int{catWage, catFinanceMass, catExpropriation, catLand}

const (
	tagLive        = 6
	tagLiveArrival = 7
	tagLiveOb      = 8
)

// LiveOptions configure the trickle that follows a stream.
type LiveOptions struct {
	// Seed selects the trickle; the same options always give the same
	// records at the same times.
	Seed int64
	// Start is where the trickle begins: the Now of the stream it
	// follows. Every case of the trickle is reported after it.
	Start time.Time
	// Rate is the mean number of new cases a minute (0 means
	// DefaultLiveRate). Each case brings its later versions as it is
	// handled, in the hours and days after it was reported.
	Rate float64
	// OutbreakEvery is the mean time between injected outbreaks: an
	// outbreak adds, for 30 to 60 minutes, a case a minute of one
	// category in one town. 0 means DefaultOutbreakEvery; negative turns
	// them off.
	OutbreakEvery time.Duration
	// Registry holds the regions; nil means schemas.LoadTongliao().
	Registry *schemas.Registry
}

// Live produces the records of the trickle: new cases arrive as a Poisson
// process of Options.Rate a minute at any hour (the stream's cases follow
// office hours; the trickle does not, so that it moves whenever someone
// watches), each with the categories, places, texts and life of the
// stream's cases, shifted to its arrival time. It is not safe for
// concurrent use.
type Live struct {
	g      *Generator
	rate   float64 // cases a second
	obMean float64 // seconds between outbreaks; 0: none
	arr    *stream
	obr    *stream

	// arrival is the time of the next arrival in fractional seconds: the
	// gaps add up unrounded, so that a rate above one case a second is
	// kept; nextArrival is its whole second (after start).
	start       int64
	arrival     float64
	nextArrival int64
	arrivals    uint64
	nextOb      int64
	ob          *liveOutbreak
	obs         []Outbreak

	heap caseHeap
	seq  uint64

	day     int                // day number whose strata weights are in cum
	cum     []float64          // cumulative weights of the strata
	strata  []liveStratum      // county, kind and category of each weight
	daySeq  map[int32]int      // per county: live cases of the current day
	seqDay  int                // day daySeq counts
	pickers map[string]*picker // town pickers of outbreaks
	towns   []int              // towns with residents
}

type liveStratum struct {
	county int
	kind   int
	cat    int
}

type liveOutbreak struct {
	idx        int // index in obs
	town       int
	cat        int
	start, end int64
	next       int64 // time of its next extra case
	n          uint64
}

// NewLive prepares the trickle that starts at o.Start.
func NewLive(o LiveOptions) (*Live, error) {
	if o.Start.IsZero() {
		return nil, errors.New("the trickle needs a start time")
	}
	rate := o.Rate
	if rate == 0 {
		rate = DefaultLiveRate
	}
	if rate < 0 || math.IsNaN(rate) || math.IsInf(rate, 0) {
		return nil, fmt.Errorf("rate %v is not a positive number of cases a minute", o.Rate)
	}
	// The generator lends the trickle its places, texts and lives of
	// cases; its own calendar (a year from Start's day) only sets the
	// season of the categories.
	start := o.Start.Unix()
	day := int(floorDiv(start+8*3600, 86400))
	g, err := New(Options{Seed: o.Seed ^ 0x6c697665, From: dayTime(day), To: dayTime(day + 365), NoOutbreaks: true,
		Registry: o.Registry, CasesPerYear: 1})
	if err != nil {
		return nil, fmt.Errorf("cannot prepare the trickle: %w", err)
	}
	l := &Live{g: g, rate: rate / 60, arr: newStream(mix(uint64(o.Seed), tagLiveArrival, 0, 0)),
		obr: newStream(mix(uint64(o.Seed), tagLiveOb, 0, 0)), day: -1, seqDay: -1, daySeq: map[int32]int{},
		pickers: map[string]*picker{}}
	l.start, l.arrival = start, float64(start)
	l.nextArrival = l.drawArrival()
	switch {
	case o.OutbreakEvery == 0:
		l.obMean = DefaultOutbreakEvery.Seconds()
	case o.OutbreakEvery > 0:
		l.obMean = o.OutbreakEvery.Seconds()
	}
	if l.obMean > 0 {
		l.nextOb = start + l.gap(l.obr, 1/l.obMean)
	}
	for ti := range g.towns {
		for li := range g.leaves {
			if g.leaves[li].town == int32(ti) && g.leaves[li].weight > 0 {
				l.towns = append(l.towns, ti)
				break
			}
		}
	}
	return l, nil
}

// gap draws the seconds (at least one) to the next event of a Poisson
// process of rate per second.
func (l *Live) gap(s *stream, rate float64) int64 {
	return max(1, int64(math.Round(s.r.ExpFloat64()/rate)))
}

// drawArrival draws the gap to the next arrival of the Poisson process of
// the trickle's rate and returns the arrival's second: the first whole
// second at or after it, and after the start.
func (l *Live) drawArrival() int64 {
	l.arrival += l.arr.r.ExpFloat64() / l.rate
	return max(l.start+1, int64(math.Ceil(l.arrival)))
}

// Until returns the trickle's records with a time up to now that it has not
// returned yet, in time order (a case's versions in version order). The
// caller owns the slice; the records share memory with the trickle, as the
// Generator's do.
func (l *Live) Until(now time.Time) []schemas.Record {
	t := now.Unix()
	for {
		// The next case to draw: an arrival or an outbreak's extra case.
		next, fromOb := l.nextArrival, false
		if l.ob == nil && l.obMean > 0 && l.nextOb <= next && l.nextOb <= t {
			l.startOutbreak(l.nextOb)
		}
		if l.ob != nil && l.ob.next <= next {
			next, fromOb = l.ob.next, true
		}
		if next > t {
			break
		}
		if fromOb {
			ob := l.ob
			l.addCase(mix(l.g.seed, tagLiveOb, uint64(ob.idx), ob.n), next, ob.cat, l.townPicker(ob.town), schemas.LevelTown)
			ob.n++
			l.obs[ob.idx].ExtraCases++
			ob.next = next + l.gap(l.obr, liveOutbreakRate/60)
			if ob.next > ob.end {
				l.ob = nil
				if l.obMean > 0 {
					l.nextOb = ob.end + l.gap(l.obr, 1/l.obMean)
				}
			}
			continue
		}
		l.arrive(next)
		l.nextArrival = l.drawArrival()
	}
	var out []schemas.Record
	for len(l.heap) > 0 && l.heap[0].t <= t {
		c := l.heap[0].c
		out = append(out, c.record())
		c.next++
		if c.next < c.nev {
			l.heap[0].t = c.ev[c.next].t
			l.heap.down(0)
		} else {
			l.heap.pop()
		}
	}
	return out
}

// Outbreaks returns the outbreaks injected so far, with the extra cases
// drawn so far: the trickle's ground truth.
func (l *Live) Outbreaks() []Outbreak { return append([]Outbreak(nil), l.obs...) }

// arrive draws a baseline case reported at t.
func (l *Live) arrive(t int64) {
	day := int(floorDiv(t+8*3600, 86400))
	if day != l.day {
		l.weigh(day)
	}
	r := l.arr.r
	s := l.strata[pick(r, l.cum)]
	st := &l.g.counties[s.county].strata[s.kind]
	seed := mix(l.g.seed, tagLive, l.arrivals, 0)
	l.arrivals++
	if c := l.addCase(seed, t, s.cat, &st.picker, schemas.LevelCounty); c != nil {
		c.baseline = true
		if lf := &l.g.leaves[c.leaf]; lf.town >= 0 {
			tw := &l.g.towns[lf.town]
			tw.ring[tw.ringN%ringSize] = c
			tw.ringN++
		}
	}
}

// weigh sets the strata weights of a day: the stream's shares by kind of
// place and season, without the weekday and holiday factors (the trickle's
// pace is fixed).
func (l *Live) weigh(day int) {
	l.day = day
	g := l.g
	d := min(max(day-g.fromDay, 0), g.days-1)
	l.cum, l.strata = l.cum[:0], l.strata[:0]
	s := 0.0
	for ci := range g.counties {
		for k := 0; k < numKinds; k++ {
			w := g.counties[ci].strata[k].weight
			if w == 0 {
				continue
			}
			for cat := 0; cat < numCats; cat++ {
				x := w * g.share[k][cat] * g.season[d][cat]
				if x <= 0 {
					continue
				}
				s += x
				l.cum = append(l.cum, s)
				l.strata = append(l.strata, liveStratum{ci, k, cat})
			}
		}
	}
}

// addCase builds a case of cat at a leaf of pk, moves its whole life so
// that it is reported at t, numbers it and queues it.
func (l *Live) addCase(seed uint64, t int64, cat int, pk *picker, codeLevel schemas.Level) *caseState {
	g := l.g
	day := int(floorDiv(t+8*3600, 86400))
	c := g.newCase(seed, dayStartUnix(min(max(day, g.fromDay), g.fromDay+g.days-1)), cat, pk, codeLevel)
	if c == nil {
		return nil
	}
	c.shift(t - c.t0)
	if day != l.seqDay {
		clear(l.daySeq)
		l.seqDay = day
	}
	l.daySeq[c.county]++
	c.rec.CaseID = g.caseID(c.rec.Source, g.counties[c.county].code, dayYMD(day), liveSeqBase+l.daySeq[c.county])
	c.seq = l.seq
	l.seq++
	l.heap.push(c)
	return c
}

// shift moves every time of the case by d seconds.
func (c *caseState) shift(d int64) {
	if d == 0 {
		return
	}
	dur := time.Duration(d) * time.Second
	c.t0 += d
	c.rec.ReportedAt = c.rec.ReportedAt.Add(dur)
	for _, p := range []*time.Time{&c.occurred, &c.due, &c.resolved[0], &c.feedback[0], &c.evaluated[0],
		&c.resolved[1], &c.feedback[1], &c.evaluated[1]} {
		if !p.IsZero() {
			*p = p.Add(dur)
		}
	}
	for i := uint8(0); i < c.nev; i++ {
		c.ev[i].t += d
		if !c.updated[i].IsZero() {
			c.updated[i] = c.updated[i].Add(dur)
		}
	}
}

// startOutbreak begins an outbreak at t in a town drawn from the towns
// with residents, of a category that often makes group disputes.
func (l *Live) startOutbreak(t int64) {
	r := l.obr.r
	if len(l.towns) == 0 {
		l.obMean = 0
		return
	}
	ti := l.towns[r.IntN(len(l.towns))]
	cat := liveOutbreakCats[r.IntN(len(liveOutbreakCats))]
	length := int64(liveOutbreakMin.Seconds()) + int64(r.IntN(int((liveOutbreakMax-liveOutbreakMin).Seconds())+1))
	town := &l.g.towns[ti]
	ob := &liveOutbreak{idx: len(l.obs), town: ti, cat: cat, start: t, end: t + length}
	ob.next = t + l.gap(l.obr, liveOutbreakRate/60)
	l.obs = append(l.obs, Outbreak{Label: fmt.Sprintf("live-%d-%s", len(l.obs)+1, catCodes[cat]), Region: town.code,
		RegionName: regionPath(l.g.reg, town.code), Category: catCodes[cat],
		Start: time.Unix(t, 0).In(cst), End: time.Unix(ob.end, 0).In(cst)})
	l.ob = ob
}

// townPicker returns the residents of a town, weighted by population.
func (l *Live) townPicker(ti int) *picker {
	code := l.g.towns[ti].code
	if p, ok := l.pickers[code]; ok {
		return p
	}
	p := &picker{}
	for li := range l.g.leaves {
		if l.g.leaves[li].town == int32(ti) {
			p.add(int32(li), l.g.leaves[li].weight)
		}
	}
	l.pickers[code] = p
	return p
}
