package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Events of a case's life; each one is a version of the record.
const (
	evAccepted = iota
	evRouted
	evHandling
	evResolved
	evFailed
	evClosed
	evReopened
)

// maxEvents bounds the versions of a case: accepted, routed, handling,
// resolved, closed, and after a dissatisfied evaluation reopened, resolved,
// closed.
const maxEvents = 8

type event struct {
	t     int64 // Unix seconds
	kind  uint8
	round uint8 // 0, or 1 after a reopening
}

// caseState is one case: the static part of its record and the timeline of
// its versions. The time fields back the record's pointers and never change
// once the case is built, so records already returned stay valid.
type caseState struct {
	rec      schemas.Record
	ev       [maxEvents]event
	nev      uint8
	next     uint8 // index of the next event to emit
	baseline bool
	cat      uint8
	county   int32
	leaf     int32
	seq      uint64 // order among cases, for ties in time
	seed     uint64
	t0       int64 // reported_at

	occurred, due           time.Time
	resolved, feedback      [2]time.Time
	evaluated               [2]time.Time
	updated                 [maxEvents]time.Time // event times, backing updated_at
	resolvedOK, evaluatedOK [2]bool
	sat                     [2]schemas.Satisfaction
	intake, handler         string
	escalated               bool
	partyA                  string
}

func (c *caseState) add(t int64, kind, round uint8) {
	c.ev[c.nev] = event{t: t, kind: kind, round: round}
	c.updated[c.nev] = time.Unix(t, 0).In(cst)
	c.nev++
}

// record returns the record of the next event.
func (c *caseState) record() schemas.Record {
	e := c.ev[c.next]
	r := c.rec
	r.Version = uint32(c.next) + 1
	r.UpdatedAt = &c.updated[c.next]
	r.AssignedUnit = c.handler
	r.Escalated = c.escalated && e.kind != evAccepted
	switch e.kind {
	case evAccepted:
		r.Status = schemas.StatusAccepted
		r.AssignedUnit = c.intake
	case evRouted:
		r.Status = schemas.StatusRouted
	case evHandling, evReopened:
		r.Status = schemas.StatusHandling
	case evResolved:
		r.Status = schemas.StatusResolved
		r.ResolvedAt = &c.resolved[e.round]
	case evFailed:
		r.Status = schemas.StatusFailed
	case evClosed:
		r.Status = schemas.StatusClosed
		if c.resolvedOK[e.round] {
			r.ResolvedAt = &c.resolved[e.round]
		}
		r.FeedbackAt = &c.feedback[e.round]
		if c.evaluatedOK[e.round] {
			r.EvaluatedAt = &c.evaluated[e.round]
			r.Satisfaction = c.sat[e.round]
		}
	}
	return r
}

// head draws what decides when a case is reported: its leaf, its source
// and channel, and its time of day. Outbreak sizes after Now are counted
// with it, so it must stay the first draws of a case.
func (g *Generator) head(seed uint64, dayStart int64, pk *picker) (li int32, ch int, t0 int64) {
	g.cs.reseed(seed)
	r := g.cs.r
	li = pk.leaves[pick(r, pk.cum)]
	u := 1
	if g.leaves[li].kind == kindUrban {
		u = 0
	}
	ch = choose(r, g.chProbs[u])
	return li, ch, dayStart + timeOfDay(r, ch)
}

// timeOfDay returns seconds after midnight: offices keep hours, the
// hotline runs into the evening, the online board never closes.
func timeOfDay(r *rand.Rand, ch int) int64 {
	const h = 3600
	c := channelChoices[ch]
	var s float64
	switch {
	case c.source == schemas.SourceHotline:
		s = uniform(r, 7*h, 12*h)
		if r.Float64() < 0.6 {
			s = uniform(r, 12*h, 22*h)
		}
	case c.channel == schemas.ChannelOnline:
		s = uniform(r, 8*h, 23.5*h)
		if r.Float64() < 0.3 {
			s = uniform(r, 0, 24*h)
		}
	case c.channel == schemas.ChannelGrid:
		s = uniform(r, 8*h, 18.5*h)
	case c.channel == schemas.ChannelPhone:
		s = uniform(r, 8*h, 18*h)
	default: // visits, referrals, superior assignments
		s = uniform(r, 8.5*h, 11.75*h)
		if r.Float64() < 0.4 {
			s = uniform(r, 14.5*h, 17.5*h)
		}
	}
	return int64(s)
}

// Probabilities of the parties of a case that is not a group dispute:
// 1, 2, 3, 4, 5–9, 10–29.
var partyProbs = []float64{0.04, 0.68, 0.12, 0.06, 0.07, 0.03}

// Satisfaction after a resolution, a failure and a second handling.
var (
	satResolved = []float64{0.875, 0.09, 0.035}
	satFailed   = []float64{0.15, 0.35, 0.50}
	satReopened = []float64{0.60, 0.30, 0.10}
	satValues   = []schemas.Satisfaction{schemas.SatisfactionSatisfied, schemas.SatisfactionBasic, schemas.SatisfactionDissatisfied}
)

// occurredDays is how long before the report a dispute of the category
// usually started (the upper end of a uniform draw, in days).
var occurredDays = [numCats]float64{
	catNeighbor: 20, catNoise: 3, catFamily: 30, catLabor: 30, catWage: 120, catLand: 60,
	catGrassland: 60, catExpropriation: 90, catProperty: 30, catConsumer: 15, catMedical: 30,
	catTraffic: 3, catFinance: 365, catFinanceMass: 180, catEnvironment: 20, catPetition: 365,
	catCampus: 7, catOther: 15,
}

// newCase builds the case of a seed reported on the day starting at
// dayStart, of category cat, at a leaf drawn by pk; codeLevel is the
// highest level whose code the case may carry instead of its leaf's. It
// returns nil when the case would be reported after now.
func (g *Generator) newCase(seed uint64, dayStart int64, cat int, pk *picker, codeLevel schemas.Level) *caseState {
	li, chi, t0 := g.head(seed, dayStart, pk)
	if t0 > g.now {
		return nil
	}
	r := g.cs.r
	lf := &g.leaves[li]
	ct := &g.counties[lf.county]
	c := &caseState{seed: seed, t0: t0, cat: uint8(cat), county: lf.county, leaf: li}
	rec := &c.rec
	rec.Contract = schemas.ContractVersion
	rec.Source = channelChoices[chi].source
	rec.Channel = channelChoices[chi].channel
	rec.ReportedAt = time.Unix(t0, 0).In(cst)
	rec.SuperiorAssigned = rec.Channel == schemas.ChannelSuperior

	// Most cases are recorded at the village; some only at the town or
	// the banner.
	c.intake = lf.intake
	rec.RegionCode = lf.code
	switch u := r.Float64(); {
	case u < 0.03 && codeLevel <= schemas.LevelCounty:
		rec.RegionCode = ct.code
		c.intake = ct.center
	case u < 0.11 && lf.isVillage && codeLevel <= schemas.LevelTown:
		rec.RegionCode = g.towns[lf.town].code
		c.intake = g.towns[lf.town].center
	}
	if rec.Channel == schemas.ChannelGrid {
		rec.GridID = lf.code + "-" + strconv.Itoa(1+r.IntN(12))
	}

	// Category: usually a code, sometimes only the clerk's words.
	texts := categoryTexts[cat]
	switch v := r.Float64(); {
	case v < 0.10:
		rec.CategoryText = texts[r.IntN(len(texts))]
	case v < 0.30:
		rec.Category = catCodes[cat]
		rec.CategoryText = texts[r.IntN(len(texts))]
	default:
		rec.Category = catCodes[cat]
	}

	// Group disputes first, then a template that fits.
	group := r.Float64() < groupProb[cat]
	tpls := g.tpls[cat]
	var tp *template
	month := uint16(1) << (time.Unix(t0+8*3600, 0).UTC().Month() - 1)
	for range 4 {
		i := r.IntN(len(tpls))
		if group && len(g.tplN[cat]) > 0 {
			i = g.tplN[cat][r.IntN(len(g.tplN[cat]))]
		}
		tp = &tpls[i]
		if tp.months == 0 || tp.months&month != 0 {
			break
		}
	}
	var parties int
	switch {
	case group:
		parties = 30 + int(20*(math.Pow(1-r.Float64(), -1/1.8)-1))
		parties = min(parties, 1500)
	case tp.has('N'):
		parties = 3 + int(r.ExpFloat64()*4)
		parties = min(parties, 29)
	default:
		switch choose(r, partyProbs) {
		case 0:
			parties = 1
		case 1:
			parties = 2
		case 2:
			parties = 3
		case 3:
			parties = 4
		case 4:
			parties = 5 + r.IntN(5)
		default:
			parties = 10 + r.IntN(20)
		}
		if tp.names == 2 && parties < 2 {
			parties = 2
		}
	}
	rec.Parties = uint32(parties)

	sev := choose(r, severityProbs[cat][:])
	if group && sev == 0 {
		sev = 1
	}
	rec.Severity = [3]schemas.Severity{schemas.SeveritySimple, schemas.SeverityGeneral, schemas.SeverityDifficult}[sev]

	am := amounts[cat]
	if tp.has('M') || r.Float64() >= am.zero {
		a := lognormal(r, am.median, am.sigma)
		switch {
		case am.perParty:
			a *= math.Pow(float64(parties), 0.9)
		case group:
			a *= 1 + float64(parties)/50
		}
		a = min(a, 5e8)
		if a < 10000 {
			a = math.Round(a/10) * 10
		} else {
			a = math.Round(a/100) * 100
		}
		rec.AmountCNY = max(a, 10)
	}

	// Repeats: the same parties come back about something already handled.
	var prev *caseState
	if lf.town >= 0 && r.Float64() < 0.05 {
		prev = g.repeatTarget(&g.towns[lf.town], li, uint8(cat))
	}
	a := g.names[r.IntN(len(g.names))]
	b := g.names[r.IntN(len(g.names))]
	if prev != nil {
		rec.RepeatOf = prev.rec.CaseID
		a = prev.partyA
		if sev == 0 {
			sev = 1
			rec.Severity = schemas.SeverityGeneral
		}
	}
	if b == a {
		b = g.names[(r.IntN(len(g.names)-1)+1+indexOf(g.names, a))%len(g.names)]
	}
	c.partyA = a
	switch {
	case cat == catPetition:
		rec.Petition = true
	case prev != nil:
		rec.Petition = r.Float64() < 0.3
	default:
		rec.Petition = r.Float64() < 0.008
	}

	rec.Summary = g.summary(r, tp, lf, ct, a, b, parties, rec.AmountCNY, cat, prev != nil)
	switch tp.names {
	case 1:
		rec.PartyNames = []string{a}
	case 2:
		rec.PartyNames = []string{a, b}
	}

	if r.Float64() < 0.6 {
		back := int64(uniform(r, 0.05, occurredDays[cat]) * 86400)
		c.occurred = time.Unix((t0-back)/60*60, 0).In(cst)
		rec.OccurredAt = &c.occurred
	}
	dueDays := int64(30)
	if sev == 0 {
		dueDays = 15
	}
	c.due = time.Unix(t0+dueDays*86400, 0).In(cst)
	rec.DueAt = &c.due

	c.handler = c.intake
	g.lifecycle(c, r, sev, cat, lf, ct)
	return c
}

// repeatTarget returns a recent case of the town in the same category,
// from the same village when there is one, or nil.
func (g *Generator) repeatTarget(t *townInfo, li int32, cat uint8) *caseState {
	var same *caseState
	n := min(t.ringN, ringSize)
	for i := 0; i < n; i++ {
		c := t.ring[(t.ringN-1-i)%ringSize]
		if c.cat != cat {
			continue
		}
		if c.leaf == li {
			return c
		}
		if same == nil {
			same = c
		}
	}
	return same
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}

// summary fills a template and adds, now and then, contact details and
// the extreme words the rule alarms look for.
func (g *Generator) summary(r *rand.Rand, tp *template, lf *leaf, ct *countyInfo, a, b string, parties int, amount float64, cat int, repeat bool) string {
	buf := g.sbuf[:0]
	if repeat {
		buf = append(buf, "该当事人此前已反映过同类问题。"...)
	}
	for _, p := range tp.parts {
		buf = append(buf, p.lit...)
		switch p.ph {
		case 'A':
			buf = append(buf, a...)
		case 'B':
			buf = append(buf, b...)
		case 'N':
			buf = strconv.AppendInt(buf, int64(parties), 10)
		case 'P':
			buf = append(buf, lf.place...)
		case 'T':
			if lf.town >= 0 {
				buf = append(buf, g.towns[lf.town].place...)
			} else {
				buf = append(buf, ct.short...)
			}
		case 'M':
			buf = appendAmount(buf, amount)
		case 'C':
			buf = append(buf, companies[r.IntN(len(companies))]...)
		}
	}
	pExtreme := 0.004
	switch cat {
	case catWage, catExpropriation, catFinanceMass, catPetition:
		pExtreme = 0.03
	}
	if repeat {
		pExtreme *= 2
	}
	if r.Float64() < pExtreme {
		buf = append(buf, extremeSentences[r.IntN(len(extremeSentences))]...)
	}
	switch v := r.Float64(); {
	case v < 0.30:
		buf = append(buf, "联系电话："...)
		buf = appendMobile(buf, r)
		buf = append(buf, "。"...)
	case v < 0.34:
		buf = append(buf, "联系电话：0475-8"...)
		buf = appendDigits(buf, uint64(r.IntN(1000000)), 6)
		buf = append(buf, "。"...)
	}
	if r.Float64() < 0.07 {
		buf = append(buf, "身份证号："...)
		buf = appendID(buf, ct.code, r)
		buf = append(buf, "。"...)
	}
	g.sbuf = buf
	return string(buf)
}

// Handling times (days, log-normal median and sigma), failure and stall
// probabilities, routing and escalation probabilities by severity.
var (
	handleMedian = [3]float64{2.5, 9, 24}
	handleSigma  = [3]float64{0.9, 0.8, 0.7}
	failProb     = [3]float64{0.02, 0.05, 0.14}
	stallProb    = [3]float64{0.003, 0.01, 0.05}
	routeProb    = [3]float64{0.3, 0.55, 0.8}
	escalateProb = [3]float64{0, 0.04, 0.3}
)

// lifecycle draws the versions of a case after its acceptance.
func (g *Generator) lifecycle(c *caseState, r *rand.Rand, sev, cat int, lf *leaf, ct *countyInfo) {
	t := c.t0
	c.add(t, evAccepted, 0)
	routed := r.Float64() < routeProb[sev]
	if routed {
		c.escalated = r.Float64() < escalateProb[sev]
		switch {
		case c.escalated:
			c.handler = ct.center
		case lf.town >= 0:
			c.handler = g.towns[lf.town].units[cat]
		default:
			c.handler = ct.units[cat]
		}
		t = snap(r, t+int64(uniform(r, 0.01, 1)*86400), t)
		c.add(t, evRouted, 0)
	}
	// Simple cases are often settled on the spot, without a handling step.
	if routed || sev > 0 || r.Float64() < 0.6 {
		t = snap(r, t+int64(uniform(r, 0.01, 1.5)*86400), t)
		c.add(t, evHandling, 0)
	}
	days := lognormal(r, handleMedian[sev], handleSigma[sev])
	if r.Float64() < stallProb[sev] {
		days = uniform(r, 90, 300)
	}
	failed := r.Float64() < failProb[sev]
	if failed {
		days *= 1.3
	}
	t = snap(r, c.t0+int64(days*86400), t)
	if failed {
		c.add(t, evFailed, 0)
		if r.Float64() < 0.6 {
			// Closed after the failure: guided to litigation or arbitration.
			g.close(c, r, t, 0, satFailed, 0.85)
		}
		return
	}
	c.resolved[0] = time.Unix(t, 0).In(cst)
	c.resolvedOK[0] = true
	c.add(t, evResolved, 0)
	if r.Float64() < 0.05 {
		return // never formally closed
	}
	t = g.close(c, r, t, 0, satResolved, 0.92)
	if c.evaluatedOK[0] && c.sat[0] == schemas.SatisfactionDissatisfied && r.Float64() < 0.5 {
		// The dissatisfied party gets the case handled again.
		t = snap(r, t+int64(uniform(r, 1, 5)*86400), t)
		c.add(t, evReopened, 1)
		t = snap(r, t+int64(lognormal(r, 6, 0.7)*86400), t)
		c.resolved[1] = time.Unix(t, 0).In(cst)
		c.resolvedOK[1] = true
		c.add(t, evResolved, 1)
		g.close(c, r, t, 1, satReopened, 1)
	}
}

// close adds the closing version after t: the return visit (feedback_at)
// and, with probability pEval, the party's evaluation. It returns the time
// of the closing version.
func (g *Generator) close(c *caseState, r *rand.Rand, t int64, round uint8, sat []float64, pEval float64) int64 {
	fb := snap(r, t+int64(uniform(r, 0.5, 7)*86400), t)
	c.feedback[round] = time.Unix(fb, 0).In(cst)
	end := fb
	if r.Float64() < pEval {
		ev := fb
		if r.Float64() < 0.4 {
			ev = snap(r, fb+int64(uniform(r, 0.1, 2)*86400), fb)
		}
		c.evaluated[round] = time.Unix(ev, 0).In(cst)
		c.evaluatedOK[round] = true
		c.sat[round] = satValues[choose(r, sat)]
		end = ev
	}
	c.add(end, evClosed, round)
	return end
}

// snap moves t into office hours (08:00–18:00 Asia/Shanghai; most weekend
// work waits for Monday) and keeps it after prev.
func snap(r *rand.Rand, t, prev int64) int64 {
	local := t + 8*3600
	day := floorDiv(local, 86400)
	tod := local - day*86400
	switch {
	case tod < 8*3600:
		tod = 8*3600 + int64(r.IntN(90*60))
	case tod >= 18*3600:
		day++
		tod = 8*3600 + int64(r.IntN(90*60))
	}
	switch weekday(int(day)) {
	case 6:
		if r.Float64() < 0.7 {
			day += 2
		}
	case 0:
		if r.Float64() < 0.7 {
			day++
		}
	}
	t = day*86400 + tod - 8*3600
	if t <= prev {
		t = prev + 60 + int64(r.IntN(1800))
	}
	return t
}

// has reports whether the template uses the placeholder ph.
func (t *template) has(ph byte) bool {
	for _, p := range t.parts {
		if p.ph == ph {
			return true
		}
	}
	return false
}
