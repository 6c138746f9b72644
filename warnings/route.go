package warnings

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Matchers select warnings: every non-empty field must match (AND), and a
// field matches when any of its values does (OR). Region matches a warning
// whose region is the code or lies below it.
type Matchers struct {
	Level    []string `json:"level,omitempty"`
	Kind     []string `json:"kind,omitempty"`
	Category []string `json:"category,omitempty"`
	Rule     []string `json:"rule,omitempty"`
	Region   []string `json:"region,omitempty"`
}

// Empty reports whether the matchers match everything.
func (m Matchers) Empty() bool {
	return len(m.Level)+len(m.Kind)+len(m.Category)+len(m.Rule)+len(m.Region) == 0
}

// Match reports whether w is selected.
func (m Matchers) Match(w *Warning) bool {
	in := func(vals []string, v string) bool {
		if len(vals) == 0 {
			return true
		}
		for _, x := range vals {
			if x == v {
				return true
			}
		}
		return false
	}
	if !in(m.Level, w.Level.String()) || !in(m.Kind, w.Kind) || !in(m.Rule, w.Rule) {
		return false
	}
	if len(m.Category) > 0 {
		ok := false
		for _, c := range m.Category {
			// A group code matches its leaves ("labor" matches "labor.wage_arrears").
			if w.Category == c || strings.HasPrefix(w.Category, c+".") {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	if len(m.Region) > 0 {
		ok := false
		for _, r := range m.Region {
			ok = ok || w.under(r)
		}
		if !ok {
			return false
		}
	}
	return true
}

// Strings renders the matchers as name=value strings (one per value), the
// form silences are stored in.
func (m Matchers) Strings() []string {
	var out []string
	for _, f := range []struct {
		n string
		v []string
	}{{"level", m.Level}, {"kind", m.Kind}, {"category", m.Category}, {"rule", m.Rule}, {"region", m.Region}} {
		for _, v := range f.v {
			out = append(out, f.n+"="+v)
		}
	}
	return out
}

// ParseMatchers reads name=value strings back.
func ParseMatchers(ss []string) (Matchers, error) {
	var m Matchers
	for _, s := range ss {
		n, v, ok := strings.Cut(s, "=")
		if !ok || v == "" {
			return m, fmt.Errorf("matcher %q: want name=value", s)
		}
		switch n {
		case "level":
			if _, err := ParseLevel(v); err != nil {
				return m, fmt.Errorf("matcher %q: %w", s, err)
			}
			m.Level = append(m.Level, v)
		case "kind":
			m.Kind = append(m.Kind, v)
		case "category":
			m.Category = append(m.Category, v)
		case "rule":
			m.Rule = append(m.Rule, v)
		case "region":
			m.Region = append(m.Region, v)
		default:
			return m, fmt.Errorf("matcher %q: unknown name %q (want level, kind, category, rule or region)", s, n)
		}
	}
	return m, nil
}

// Targets relative to a warning's region.
const (
	TargetSelf   = "self"   // the center of the warning's region
	TargetParent = "parent" // one level up
	TargetTown   = "town"
	TargetCounty = "county" // the banner (旗县区)
	TargetCity   = "city"
)

var regionCode = regexp.MustCompile(`^[0-9A-Za-z_-]{1,32}$`)

// ValidTarget reports whether t is a relative target or looks like a region
// code.
func ValidTarget(t string) bool {
	switch t {
	case TargetSelf, TargetParent, TargetTown, TargetCounty, TargetCity:
		return true
	}
	return regionCode.MatchString(t)
}

// Timing is a route's grouping timers (Alertmanager's meaning). Zero fields
// inherit from the parent route.
type Timing struct {
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
}

// Route is a node of the routing tree. The root matches everything.
type Route struct {
	Matchers Matchers
	// Targets are the centers to notify, relative to the warning's region
	// (self, parent, town, county, city) or region codes; empty inherits.
	Targets []string
	// GroupBy lists the labels whose values form a group; "..." groups by
	// every label (no grouping); empty inherits.
	GroupBy  []string
	Timing   Timing
	Continue bool
	Routes   []*Route
	// SendResolved sends a message when a group's warnings resolve; nil
	// inherits (the root's default is true).
	SendResolved *bool
	// Digest makes the route a daily digest: its groups are evaluated once
	// a day at DigestAt (the time of day in Asia/Shanghai) instead of after
	// group_wait and every group_interval, so that a receiver gets at most
	// one message a day from each of the route's groups, listing what
	// fired since the last. Not inherited.
	Digest   bool
	DigestAt time.Duration

	id string // path, e.g. "0.2.1"; set by Finish
}

// Finish fills inherited values and ids down the tree. It is called once
// on the root before use.
func (r *Route) Finish() {
	if len(r.GroupBy) == 0 {
		r.GroupBy = []string{"region", "kind"}
	}
	t := true
	if r.SendResolved == nil {
		r.SendResolved = &t
	}
	switch {
	case r.Timing.GroupWait < 0:
		r.Timing.GroupWait = 0 // explicit zero
	case r.Timing.GroupWait == 0:
		r.Timing.GroupWait = 30 * time.Second
	}
	if r.Timing.GroupInterval <= 0 {
		r.Timing.GroupInterval = 5 * time.Minute
	}
	if r.Timing.RepeatInterval <= 0 {
		r.Timing.RepeatInterval = 4 * time.Hour
	}
	if len(r.Targets) == 0 {
		r.Targets = []string{TargetSelf, TargetCounty}
	}
	r.id = "root"
	r.finishChildren()
}

// finishChildren passes inherited values down. A negative GroupWait means
// an explicit zero (send at once), a zero one inherits.
func (r *Route) finishChildren() {
	for i, c := range r.Routes {
		c.id = fmt.Sprintf("%s.%d", r.id, i)
		if len(c.GroupBy) == 0 {
			c.GroupBy = r.GroupBy
		}
		if len(c.Targets) == 0 {
			c.Targets = r.Targets
		}
		if c.SendResolved == nil {
			c.SendResolved = r.SendResolved
		}
		if c.Timing.GroupWait < 0 {
			c.Timing.GroupWait = 0 // explicit zero
		} else if c.Timing.GroupWait == 0 {
			c.Timing.GroupWait = r.Timing.GroupWait
		}
		if c.Timing.GroupInterval == 0 {
			c.Timing.GroupInterval = r.Timing.GroupInterval
		}
		if c.Timing.RepeatInterval == 0 {
			c.Timing.RepeatInterval = r.Timing.RepeatInterval
		}
		c.finishChildren()
	}
}

// Match walks the tree depth first and returns the routes that handle w:
// the first matching child (and later siblings while continue is set), or
// the node itself when no child matches.
func (r *Route) Match(w *Warning) []*Route {
	var out []*Route
	for _, c := range r.Routes {
		if !c.Matchers.Match(w) {
			continue
		}
		out = append(out, c.Match(w)...)
		if !c.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = []*Route{r}
	}
	return out
}

// ID is the route's path in the tree.
func (r *Route) ID() string { return r.id }

// find returns the route with the given id in the tree under r, or nil.
func (r *Route) find(id string) *Route {
	if r.id == id {
		return r
	}
	for _, c := range r.Routes {
		if strings.HasPrefix(id, c.id) {
			if f := c.find(id); f != nil {
				return f
			}
		}
	}
	return nil
}

// DefaultDigestAt is when the default digest goes out: 08:00 in
// Asia/Shanghai, the start of a center's working day.
const DefaultDigestAt = 8 * time.Hour

// DefaultRoutes are the root's children when the configuration gives
// none, not finished: a red warning also goes to the city; yellow rule
// alarms go into one daily digest per center (at DefaultDigestAt, grouped
// by kind and level, without resolve messages: a rule alarm is an event).
// Red and orange ones, and every other kind, are sent at once.
func DefaultRoutes() []*Route {
	noResolved := false
	return []*Route{
		{Matchers: Matchers{Level: []string{"red"}}, Targets: []string{TargetSelf, TargetCounty, TargetCity}},
		{Matchers: Matchers{Kind: []string{KindRuleAlarm}, Level: []string{"yellow"}}, GroupBy: []string{"kind", "level"},
			SendResolved: &noResolved, Digest: true, DigestAt: DefaultDigestAt},
	}
}

// DefaultRoute is the routing used when the configuration gives none: a
// warning goes to its own center and its banner; a red one also goes to
// the city; yellow rule alarms go into a daily digest (DefaultRoutes).
func DefaultRoute() *Route {
	r := &Route{Routes: DefaultRoutes()}
	r.Finish()
	return r
}

// nextFlush is when a group of the route is evaluated first (created at
// now) or next (evaluated at now): after group_wait or group_interval, or
// at the next digest time of day for a digest route.
func (r *Route) nextFlush(prev, now time.Time, first bool) time.Time {
	if r.Digest {
		l := now.In(schemas.Zone())
		t := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schemas.Zone()).Add(r.DigestAt)
		if !t.After(now) {
			t = time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, schemas.Zone()).Add(r.DigestAt)
		}
		return t
	}
	if first {
		return now.Add(r.Timing.GroupWait)
	}
	next := prev
	for !next.After(now) {
		next = next.Add(r.Timing.GroupInterval)
	}
	return next
}

// groupKey is the route, the receiver and the group_by label values.
func groupKey(r *Route, receiver string, w *Warning) (key string, labels map[string]string) {
	labels = map[string]string{}
	all := w.Labels()
	by := r.GroupBy
	if len(by) == 1 && by[0] == "..." {
		by = LabelNames
	}
	parts := []string{r.id, receiver}
	names := append([]string(nil), by...)
	sort.Strings(names)
	for _, n := range names {
		labels[n] = all[n]
		parts = append(parts, n+"="+all[n])
	}
	return strings.Join(parts, "|"), labels
}

// resolveTargets turns a route's targets into center codes for w, in order
// and without duplicates.
func resolveTargets(reg *schemas.Registry, targets []string, w *Warning) []string {
	var out []string
	seen := map[string]bool{}
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, t := range targets {
		switch t {
		case TargetSelf:
			add(w.Region)
		case TargetParent:
			if r, ok := reg.Lookup(w.Region); ok {
				add(r.Parent)
			}
		case TargetTown:
			add(w.Town)
		case TargetCounty:
			add(w.County)
		case TargetCity:
			if w.City != "" {
				add(w.City)
			} else {
				add(reg.Root().Code)
			}
		default:
			add(t)
		}
	}
	return out
}

// InhibitRule mutes target warnings while a source warning fires with the
// same values of the Equal labels (Alertmanager's inhibit_rules).
type InhibitRule struct {
	Source Matchers
	Target Matchers
	Equal  []string
}

// DefaultInhibitRules: a red warning mutes the yellow and blue ones of the
// same kind and region (orange ones still go out: they ask for action the
// same day).
func DefaultInhibitRules() []InhibitRule {
	return []InhibitRule{{
		Source: Matchers{Level: []string{"red"}},
		Target: Matchers{Level: []string{"yellow", "blue"}},
		Equal:  []string{"kind", "region"},
	}}
}

// Silence mutes matching warnings between StartsAt and EndsAt.
type Silence struct {
	ID        string
	Matchers  Matchers
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedBy string
	Comment   string
	CreatedAt time.Time
}

// Active reports whether the silence applies at t.
func (s Silence) Active(t time.Time) bool { return !t.Before(s.StartsAt) && t.Before(s.EndsAt) }

// Ack is an acknowledgement of one warning.
type Ack struct {
	WarningID string
	By        string
	Comment   string
	At        time.Time
}
