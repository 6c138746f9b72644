package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Tags of the linked-party streams.
const (
	tagLinks     = 9
	tagLinkNoise = 10
)

// Link reasons of the ground truth (the rules of indices/links).
const (
	LinkRepeatParty = "repeat_party" // one person in 3–6 cases of one village within 80 days
	LinkCrossTown   = "cross_town"   // one person in 2 cases in 2 towns within 60 days
	LinkOrgVillages = "org_villages" // one contractor owing wages in 2–4 villages within 60 days
)

// Link is an injected linked party with the cases it appears in: the
// ground truth of the linked-cases job (indices/links). The parties of
// the other cases (Options.Links adds some to a quarter of the baseline
// cases, and injects look-alikes: the same name in two cases of one
// village by two people, one common name in three towns, an organisation
// in two cases of one village) must not link.
type Link struct {
	// Label names the link: reason, party and first day.
	Label string
	// Reason is LinkRepeatParty, LinkCrossTown or LinkOrgVillages.
	Reason string
	// Party is the person's name or the organisation's base name (demo
	// data: nobody's real name).
	Party string
	// CaseIDs are the ids of the cases generated so far, with their
	// reported times, villages and towns in the same order.
	CaseIDs  []string
	Reported []time.Time
	Villages []string
	Towns    []string
}

// linkState is the generator's plan of linked parties and look-alikes.
type linkState struct {
	on     bool
	links  []lkEntity // the ground truth
	noise  []lkEntity // look-alikes, not links
	today  []lkMember
	serial uint64 // numbers the ID and phone numbers, so none repeats
}

type lkEntity struct {
	Link
	org   bool
	items []lkItem
	// one person or organisation; for look-alike name pairs, one person
	// per item (person i).
	people []lkPerson
	orgs   []string // spellings of the organisation
}

type lkItem struct {
	day    int
	leaf   int32
	person int // index into people
}

type lkPerson struct {
	name, id, phone string
}

type lkMember struct {
	c      *caseState
	entity int
	noise  bool
}

var (
	orgStems  = []string{"宏达", "鑫源", "金桥", "恒通", "瑞丰", "兴隆", "华宇", "东升", "永盛", "天元", "正大", "博远"}
	orgTrades = []string{"建筑", "劳务", "建安", "路桥", "装饰", "农牧", "商砼", "钢构"}
)

// orgSpellings are the ways one organisation is written in different
// cases: with and without the city or province in front and the legal
// form behind.
func orgSpellings(core string) []string {
	if core == "萧山城投" {
		return []string{"萧山城投", "杭州萧山城投集团有限公司", "浙江省杭州市萧山城投有限公司"}
	}
	return []string{core, core + "有限公司", "通辽市" + core + "有限公司", "通辽" + core + "有限责任公司",
		core + "集团有限公司", "内蒙古" + core + "股份有限公司", core + "公司"}
}

// planLinks draws the linked parties and the look-alikes of the period.
func (g *Generator) planLinks() {
	g.ln.on = true
	r := rand.New(rand.NewPCG(mix(g.seed, tagLinks, 0, 0), tagLinks))
	var villages picker
	byTown := map[int32][]int32{}
	for li := range g.leaves {
		if lf := &g.leaves[li]; lf.isVillage && lf.town >= 0 {
			villages.add(int32(li), lf.weight)
			byTown[lf.town] = append(byTown[lf.town], int32(li))
		}
	}
	if len(villages.leaves) == 0 || g.lastIdx < 90 {
		return
	}
	village := func() int32 { return villages.leaves[pick(r, villages.cum)] }
	otherTown := func(li int32) int32 {
		for {
			if v := village(); g.leaves[v].town != g.leaves[li].town {
				return v
			}
		}
	}
	start := func(span int) int { return r.IntN(g.lastIdx + 1 - span) }
	days := func(first, span, n int) []int {
		out := []int{first}
		for len(out) < n {
			out = append(out, first+1+r.IntN(span-1))
		}
		slices.Sort(out)
		return out
	}
	name := func() string { return g.names[r.IntN(len(g.names))] }
	person := func(li int32) lkPerson { return g.newPerson(r, name(), li) }
	n := g.lastIdx + 1
	// Repeat petitioners: 3–6 cases of one village within 80 days.
	for i := 0; i < n/15; i++ {
		li := village()
		e := lkEntity{people: []lkPerson{person(li)}}
		e.Reason = LinkRepeatParty
		for _, d := range days(start(80), 80, 3+r.IntN(4)) {
			e.items = append(e.items, lkItem{day: d, leaf: li})
		}
		g.ln.links = append(g.ln.links, e)
	}
	// One person in two towns within 60 days.
	for i := 0; i < n/20; i++ {
		a := village()
		b := otherTown(a)
		e := lkEntity{people: []lkPerson{person(a)}}
		e.Reason = LinkCrossTown
		ds := days(start(60), 60, 2)
		e.items = []lkItem{{day: ds[0], leaf: a}, {day: ds[1], leaf: b}}
		g.ln.links = append(g.ln.links, e)
	}
	// Contractors owing wages in 2–4 villages within 60 days, half of them
	// within one town.
	cores := []string{"萧山城投"}
	for _, s := range orgStems {
		for _, t := range orgTrades {
			cores = append(cores, s+t)
		}
	}
	r.Shuffle(len(cores)-1, func(i, j int) { cores[i+1], cores[j+1] = cores[j+1], cores[i+1] })
	for i := 0; i < n/20 && i < len(cores); i++ {
		k := 2 + r.IntN(3)
		first := village()
		leaves := []int32{first}
		pool := byTown[g.leaves[first].town]
		sameTown := r.IntN(2) == 0 && len(pool) >= k
		for tries := 0; len(leaves) < k && tries < 1000; tries++ {
			v := village()
			if sameTown {
				v = pool[r.IntN(len(pool))]
			}
			if !slices.Contains(leaves, v) {
				leaves = append(leaves, v)
			}
		}
		e := lkEntity{org: true, orgs: orgSpellings(cores[i])}
		e.Reason, e.Party = LinkOrgVillages, cores[i]
		for j, d := range days(start(60), 60, len(leaves)) {
			e.items = append(e.items, lkItem{day: d, leaf: leaves[j]})
		}
		g.ln.links = append(g.ln.links, e)
	}
	for i := range g.ln.links {
		e := &g.ln.links[i]
		if !e.org {
			e.Party = e.people[0].name
		}
		first := time.Unix(dayStartUnix(g.fromDay+e.items[0].day), 0).In(cst)
		e.Label = e.Reason + "-" + e.Party + "-" + first.Format("2006-01-02")
	}

	// Look-alikes. Two people of one name in one village, two cases.
	for i := 0; i < n/10; i++ {
		li := village()
		nm := name()
		ds := days(start(60), 60, 2)
		e := lkEntity{people: []lkPerson{g.newPerson(r, nm, li), g.newPerson(r, nm, li)}}
		e.items = []lkItem{{day: ds[0], leaf: li, person: 0}, {day: ds[1], leaf: li, person: 1}}
		g.ln.noise = append(g.ln.noise, e)
	}
	// One common name in three towns, three people.
	for i := 0; i < n/20; i++ {
		nm := name()
		a := village()
		b := otherTown(a)
		c := otherTown(b)
		e := lkEntity{people: []lkPerson{g.newPerson(r, nm, a), g.newPerson(r, nm, b), g.newPerson(r, nm, c)}}
		for j, d := range days(start(60), 60, 3) {
			e.items = append(e.items, lkItem{day: d, leaf: []int32{a, b, c}[j], person: j})
		}
		g.ln.noise = append(g.ln.noise, e)
	}
	// An organisation in two cases of one village.
	for i := 0; i < n/30 && n/20+i < len(cores); i++ {
		li := village()
		ds := days(start(60), 60, 2)
		e := lkEntity{org: true, orgs: orgSpellings(cores[n/20+i])}
		e.items = []lkItem{{day: ds[0], leaf: li}, {day: ds[1], leaf: li}}
		g.ln.noise = append(g.ln.noise, e)
	}
}

// newPerson makes a person living at leaf li with an ID and a phone number
// no other person of the stream has.
func (g *Generator) newPerson(r *rand.Rand, name string, li int32) lkPerson {
	g.ln.serial++
	n := g.ln.serial
	county := g.counties[g.leaves[li].county].code[:6]
	birth := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n/1000)*7+r.IntN(7))
	check := "0123456789X"[r.IntN(11)]
	id := fmt.Sprintf("%s%s%03d%c", county, birth.Format("20060102"), n%1000, check)
	phone := fmt.Sprintf("1%c%09d", "3589"[n%4], (n*7919+12345)%1_000_000_000)
	return lkPerson{name: name, id: id, phone: phone}
}

// linkCases appends the day's cases of the linked parties and look-alikes
// to buf.
func (g *Generator) linkCases(d int, dayStart int64, buf []*caseState) []*caseState {
	g.ln.today = g.ln.today[:0]
	for _, noise := range []bool{false, true} {
		list := g.ln.links
		if noise {
			list = g.ln.noise
		}
		for ei := range list {
			e := &list[ei]
			for j, it := range e.items {
				if it.day != d {
					continue
				}
				tag := uint64(ei + 1)
				if noise {
					tag |= 1 << 20
				}
				seed := mix(g.seed, tagLinks, tag, uint64(d)<<24|uint64(j))
				cat := catIndex("petition")
				if e.org {
					cat = catIndex("labor.wage_arrears")
				} else if e.Reason == LinkCrossTown || noise {
					cat = catIndex([]string{"neighbor", "land", "family", "consumer"}[j%4])
				}
				var pk picker
				pk.add(it.leaf, 1)
				c := g.newCase(seed, dayStart, cat, &pk, schemas.LevelVillage)
				if c == nil {
					continue
				}
				c.rec.Category, c.rec.CategoryText, c.rec.RepeatOf = catCodes[cat], "", ""
				r := g.cs.r
				if e.org {
					org := e.orgs[r.IntN(len(e.orgs))]
					worker := g.newPerson(r, g.names[r.IntN(len(g.names))], it.leaf)
					c.rec.Summary = fmt.Sprintf("%s务工人员%s反映，%s拖欠%d名工人工资，多次讨要未果。", g.leaves[it.leaf].place, worker.name, org, 3+r.IntN(20))
					c.rec.PartyNames = []string{worker.name}
					c.rec.PartyDetails = []schemas.Party{
						{Role: "申请人", Name: worker.name, Phone: spellPhone(r, worker.phone)},
						{Role: "用工单位", Org: org},
					}
				} else {
					p := e.people[it.person]
					if c.partyA != "" {
						c.rec.Summary = strings.ReplaceAll(c.rec.Summary, c.partyA, p.name)
					}
					c.rec.PartyNames = []string{p.name}
					c.partyA = p.name
					party := schemas.Party{Role: "当事人", Name: p.name}
					// A repeat petitioner is always named and sometimes
					// gives an ID or phone; a person met in two towns
					// always leaves the phone number.
					if e.Reason == LinkCrossTown || noise || r.IntN(10) < 7 {
						party.Phone = spellPhone(r, p.phone)
					}
					if r.IntN(10) < 6 {
						party.IDNumber = spellID(r, p.id)
					}
					c.rec.PartyDetails = []schemas.Party{party}
				}
				buf = append(buf, c)
				g.ln.today = append(g.ln.today, lkMember{c: c, entity: ei, noise: noise})
			}
		}
	}
	return buf
}

// spellPhone writes a phone number the way clerks do.
func spellPhone(r *rand.Rand, p string) string {
	switch r.IntN(5) {
	case 0:
		return "+86 " + p[:3] + " " + p[3:7] + " " + p[7:]
	case 1:
		return p[:3] + "-" + p[3:7] + "-" + p[7:]
	case 2:
		return "86" + p
	}
	return p
}

// spellID writes an ID number the way clerks do.
func spellID(r *rand.Rand, id string) string {
	switch r.IntN(4) {
	case 0:
		return strings.ToLower(id)
	case 1:
		return id[:6] + " " + id[6:14] + " " + id[14:]
	}
	return id
}

// linkNoise gives a quarter of the day's baseline cases a party with an ID
// and phone number of their own (never a link). Cases that repeat an
// earlier case are left without: the baseline's repeats are the same
// person, whom the ground truth does not list.
func (g *Generator) linkNoise(cases []*caseState) {
	for _, c := range cases {
		if c.rec.RepeatOf != "" || c.partyA == "" {
			continue
		}
		r := rand.New(rand.NewPCG(mix(c.seed, tagLinkNoise, 0, 0), tagLinkNoise))
		if r.IntN(4) != 0 {
			continue
		}
		p := g.newPerson(r, c.partyA, c.leaf)
		c.rec.PartyDetails = []schemas.Party{{Role: "当事人", Name: p.name, IDNumber: spellID(r, p.id), Phone: spellPhone(r, p.phone)}}
	}
}

// noteLinks records the ids of the day's linked cases, once the day's
// cases are numbered.
func (g *Generator) noteLinks() {
	for _, m := range g.ln.today {
		if m.noise {
			continue
		}
		e := &g.ln.links[m.entity]
		lf := &g.leaves[m.c.leaf]
		e.CaseIDs = append(e.CaseIDs, m.c.rec.CaseID)
		e.Reported = append(e.Reported, m.c.rec.ReportedAt)
		e.Villages = append(e.Villages, lf.code)
		e.Towns = append(e.Towns, g.towns[lf.town].code)
	}
	clear(g.ln.today)
	g.ln.today = g.ln.today[:0]
}

// Links returns the injected linked parties with the cases generated so
// far: run the stream to its end first for the full ground truth. Nil
// unless Options.Links is set.
func (g *Generator) Links() []Link {
	var out []Link
	for _, e := range g.ln.links {
		l := e.Link
		l.CaseIDs = slices.Clone(e.CaseIDs)
		l.Reported = slices.Clone(e.Reported)
		l.Villages = slices.Clone(e.Villages)
		l.Towns = slices.Clone(e.Towns)
		out = append(out, l)
	}
	return out
}
