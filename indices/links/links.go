package links

import (
	"cmp"
	"slices"
	"time"
)

// Reasons a key is a link.
const (
	ReasonRepeatParty = "repeat_party" // ≥ MinCases cases in the window
	ReasonCrossTown   = "cross_town"   // cases in ≥ MinTowns towns
	ReasonOrgVillages = "org_villages" // an organisation in ≥ MinVillages villages
)

// KindOrg is the key kind of an organisation (schemas.PartyKeyOrg); the
// other kinds are a person's.
const KindOrg = "org"

// Occurrence is one party key of one case.
type Occurrence struct {
	CaseID string
	// Key is the pseudonymous key, Kind what it was derived from (id,
	// phone, name, org) and Label what may be shown of it (a surname and
	// *, an organisation's normalised name).
	Key, Kind, Label string
	// The case's place; empty above the case's level.
	County, Town, Village string
	ReportedAt            time.Time
}

// Options are the rules; zero fields take DefaultOptions.
type Options struct {
	Window      time.Duration
	MinCases    int
	MinTowns    int
	MinVillages int
}

// DefaultOptions: 90 days, 3 cases, 2 towns, 2 villages.
func DefaultOptions() Options {
	return Options{Window: 90 * 24 * time.Hour, MinCases: 3, MinTowns: 2, MinVillages: 2}
}

// Link is one linked party and its cases.
type Link struct {
	// Key identifies the link: the key of its largest group (the smallest
	// key on a tie). Keys are all its keys, Kinds their kinds, sorted.
	Key   string
	Keys  []string
	Kinds []string
	Label string
	// Reasons are the rules the link meets, in the order of the Reason
	// constants.
	Reasons []string
	// Cases are the case ids, sorted; Counties, Towns and Villages the
	// distinct non-empty places of the cases, sorted.
	Cases                     []string
	Counties, Towns, Villages []string
	// Scope is the smallest unit holding every case: the town when all
	// cases lie in one, else the county when all lie in one, else "" (the
	// whole registry).
	Scope       string
	First, Last time.Time
}

// Find returns the links among occ whose cases were reported in
// [end−Window, end), largest first (then by key).
func Find(occ []Occurrence, end time.Time, opt Options) []Link {
	def := DefaultOptions()
	if opt.Window <= 0 {
		opt.Window = def.Window
	}
	if opt.MinCases <= 0 {
		opt.MinCases = def.MinCases
	}
	if opt.MinTowns <= 0 {
		opt.MinTowns = def.MinTowns
	}
	if opt.MinVillages <= 0 {
		opt.MinVillages = def.MinVillages
	}
	from := end.Add(-opt.Window)
	type group struct {
		kind, label string
		cases       map[string]Occurrence
	}
	byKey := map[string]*group{}
	for _, o := range occ {
		if o.Key == "" || o.CaseID == "" || o.ReportedAt.Before(from) || !o.ReportedAt.Before(end) {
			continue
		}
		g := byKey[o.Key]
		if g == nil {
			g = &group{kind: o.Kind, label: o.Label, cases: map[string]Occurrence{}}
			byKey[o.Key] = g
		}
		g.cases[o.CaseID] = o
	}
	all := make([]Link, 0, len(byKey))
	for key, g := range byKey {
		l := Link{Key: key, Keys: []string{key}, Kinds: []string{g.kind}, Label: g.label}
		for id, o := range g.cases {
			l.Cases = append(l.Cases, id)
			l.Counties = appendNonEmpty(l.Counties, o.County)
			l.Towns = appendNonEmpty(l.Towns, o.Town)
			l.Villages = appendNonEmpty(l.Villages, o.Village)
			if l.First.IsZero() || o.ReportedAt.Before(l.First) {
				l.First = o.ReportedAt
			}
			if o.ReportedAt.After(l.Last) {
				l.Last = o.ReportedAt
			}
		}
		for _, p := range []*[]string{&l.Cases, &l.Counties, &l.Towns, &l.Villages} {
			slices.Sort(*p)
			*p = slices.Compact(*p)
		}
		all = append(all, l)
	}
	slices.SortFunc(all, func(a, b Link) int {
		if c := cmp.Compare(len(b.Cases), len(a.Cases)); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	// Merge a person's keys: a group whose cases all belong to a larger
	// group with the same label is the same person found by another key.
	// Candidates are found through the first case of the smaller group.
	var kept []Link
	byCase := map[string][]int{} // case id → indices in kept of person groups
	for _, l := range all {
		merged := false
		if l.Kinds[0] != KindOrg && l.Label != "" {
			for _, i := range byCase[l.Cases[0]] {
				k := &kept[i]
				if k.Label == l.Label && subset(l.Cases, k.Cases) {
					k.Keys = append(k.Keys, l.Keys...)
					k.Kinds = append(k.Kinds, l.Kinds...)
					merged = true
					break
				}
			}
		}
		if merged {
			continue
		}
		kept = append(kept, l)
		if l.Kinds[0] != KindOrg {
			for _, id := range l.Cases {
				byCase[id] = append(byCase[id], len(kept)-1)
			}
		}
	}
	var out []Link
	for _, l := range kept {
		if len(l.Cases) >= opt.MinCases {
			l.Reasons = append(l.Reasons, ReasonRepeatParty)
		}
		if len(l.Towns) >= opt.MinTowns {
			l.Reasons = append(l.Reasons, ReasonCrossTown)
		}
		if l.Kinds[0] == KindOrg && len(l.Villages) >= opt.MinVillages {
			l.Reasons = append(l.Reasons, ReasonOrgVillages)
		}
		if len(l.Reasons) > 0 {
			out = append(out, l)
		}
	}
	for i := range out {
		l := &out[i]
		slices.Sort(l.Keys)
		slices.Sort(l.Kinds)
		l.Kinds = slices.Compact(l.Kinds)
		switch {
		case len(l.Towns) == 1 && len(l.Counties) <= 1:
			l.Scope = l.Towns[0]
		case len(l.Counties) == 1:
			l.Scope = l.Counties[0]
		}
	}
	return out
}

func appendNonEmpty(s []string, v string) []string {
	if v == "" {
		return s
	}
	return append(s, v)
}

// subset reports whether every element of a (sorted) is in b (sorted).
func subset(a, b []string) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}
