package warnings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"
)

type member struct {
	route    *Route
	receiver string
	labels   map[string]string
	ws       []*Warning
}

// flush evaluates every group that is due (Alertmanager's dispatcher and
// dedup stage).
func (e *Engine) flush(now time.Time) []Notification {
	ids := make([]string, 0, len(e.warnings))
	for id := range e.warnings {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	members := map[string]*member{}
	for _, id := range ids {
		w := e.warnings[id]
		for _, r := range e.cfg.Route.Match(w) {
			for _, rc := range resolveTargets(e.cfg.Regions, r.Targets, w) {
				key, labels := groupKey(r, rc, w)
				m := members[key]
				if m == nil {
					m = &member{route: r, receiver: rc, labels: labels}
					members[key] = m
				}
				m.ws = append(m.ws, w)
			}
		}
	}
	mute := e.newMuter(now)
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	for k := range e.groups {
		if members[k] == nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []Notification
	for _, key := range keys {
		m := members[key]
		g := e.groups[key]
		if m == nil {
			// The group has no warnings left (all dropped or re-routed). As
			// Alertmanager does, its receiver hears at the group's next flush
			// that what it was sent is resolved here.
			if len(g.Sent) > 0 && now.Before(g.NextFlush) {
				continue
			}
			if n, ok := e.dropNotice(g, now); ok {
				out = append(out, n)
			}
			delete(e.groups, key)
			delete(e.dirtyGroup, key)
			e.dropGroups = append(e.dropGroups, key)
			continue
		}
		if g == nil {
			anyFiring := false
			for _, w := range m.ws {
				anyFiring = anyFiring || w.State == Firing
			}
			if !anyFiring {
				continue
			}
			g = &GroupState{Key: key, Route: m.route.id, Receiver: m.receiver, Labels: m.labels,
				CreatedAt: now, NextFlush: m.route.nextFlush(time.Time{}, now, true), Sent: map[string]Level{}}
			e.groups[key] = g
			e.dirtyGroup[key] = true
		}
		if now.Before(g.NextFlush) {
			continue
		}
		g.NextFlush = m.route.nextFlush(g.NextFlush, now, false)
		e.dirtyGroup[key] = true
		if n, ok := e.decide(g, m, mute, now); ok {
			out = append(out, n)
			continue
		}
		anyFiring := false
		for _, w := range m.ws {
			anyFiring = anyFiring || w.State == Firing
		}
		if !anyFiring && len(g.Sent) == 0 {
			// Everything resolved before it was ever sent.
			delete(e.groups, key)
			delete(e.dirtyGroup, key)
			e.dropGroups = append(e.dropGroups, key)
		}
	}
	return out
}

// dropNotice is the resolved notification of a group whose warnings all
// left it (re-routed after a change of level, say): the warnings it last
// sent are reported resolved for this receiver, unless the group's route
// has send_resolved false. A route no longer in the tree counts as
// send_resolved true.
func (e *Engine) dropNotice(g *GroupState, now time.Time) (Notification, bool) {
	if len(g.Sent) == 0 {
		return Notification{}, false
	}
	if r := e.cfg.Route.find(g.Route); r != nil && r.SendResolved != nil && !*r.SendResolved {
		return Notification{}, false
	}
	ids := make([]string, 0, len(g.Sent))
	for id := range g.Sent {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var resolved []Warning
	for _, id := range ids {
		w, ok := e.warnings[id]
		if !ok {
			continue
		}
		c := *w
		if c.State == Firing {
			// Still firing, in another group: resolved for this one.
			c.State, c.ResolvedAt = Resolved, now
		}
		resolved = append(resolved, c)
	}
	if len(resolved) == 0 {
		return Notification{}, false
	}
	return Notification{
		ID:       notificationID(g.Key, g.CreatedAt, g.Seq+1),
		GroupKey: g.Key, Receiver: g.Receiver, ReceiverName: e.regionName(g.Receiver),
		Reason: ReasonResolved, Resolved: resolved, CreatedAt: now,
	}, true
}

// decide is the dedup stage for one due group.
func (e *Engine) decide(g *GroupState, m *member, mute *muter, now time.Time) (Notification, bool) {
	var firing, resolved []Warning
	cur := map[string]Level{}
	unacked := false
	member := make(map[string]bool, len(m.ws))
	for _, w := range m.ws {
		member[w.ID] = true
	}
	// A warning sent by this group that left it while still firing (re-
	// routed after a change of level, say) is resolved for this receiver.
	left := make([]string, 0)
	for id := range g.Sent {
		if w, ok := e.warnings[id]; ok && !member[id] && w.State == Firing {
			left = append(left, id)
		}
	}
	sort.Strings(left)
	for _, id := range left {
		c := *e.warnings[id]
		c.State, c.ResolvedAt = Resolved, now
		resolved = append(resolved, c)
	}
	for _, w := range m.ws {
		switch {
		case w.State == Firing && !mute.muted(w):
			firing = append(firing, *w)
			cur[w.ID] = w.Level
			unacked = unacked || !w.Acked()
		case w.State == Resolved:
			if _, sent := g.Sent[w.ID]; sent {
				resolved = append(resolved, *w)
			}
		}
	}
	reason := ""
	switch {
	case len(firing) > 0 && len(g.Sent) == 0:
		reason = ReasonFirst
	case len(firing) > 0 && !subset(cur, g.Sent):
		reason = ReasonNew
	case len(firing) == 0 && len(resolved) > 0:
		reason = ReasonResolved
	case len(resolved) > 0 && *m.route.SendResolved:
		reason = ReasonResolved
	case len(firing) > 0 && unacked && !now.Before(g.LastSentAt.Add(m.route.Timing.RepeatInterval)):
		reason = ReasonRepeat
	}
	if reason == "" {
		// Muted warnings drop out of the log, so that they notify again as
		// new once the silence ends.
		// Without send_resolved, a resolution is recorded without a message
		// (Alertmanager's nflog does the same).
		for id := range g.Sent {
			if _, ok := cur[id]; !ok {
				if w := e.warnings[id]; w == nil || w.State == Firing || !*m.route.SendResolved {
					delete(g.Sent, id)
				}
			}
		}
		return Notification{}, false
	}
	g.Sent = cur
	g.LastSentAt = now
	g.Seq++
	if reason == ReasonResolved && len(firing) == 0 && !*m.route.SendResolved {
		return Notification{}, false // recorded, not sent
	}
	if len(firing) > 0 && !*m.route.SendResolved {
		resolved = nil
	}
	return Notification{
		ID:       notificationID(g.Key, g.CreatedAt, g.Seq),
		GroupKey: g.Key, Receiver: g.Receiver, ReceiverName: e.regionName(g.Receiver),
		Reason: reason, Firing: firing, Resolved: resolved, CreatedAt: now,
	}, true
}

func subset(a, b map[string]Level) bool {
	for id, l := range a {
		if bl, ok := b[id]; !ok || bl != l {
			return false
		}
	}
	return true
}

func notificationID(key string, created time.Time, seq uint64) string {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", key, created.UnixNano(), seq))
	return hex.EncodeToString(h[:16])
}

func (e *Engine) regionName(code string) string {
	if e.cfg.Regions != nil {
		if r, ok := e.cfg.Regions.Lookup(code); ok {
			return r.Name
		}
	}
	return code
}

// escalate sends a red warning that nobody acknowledged in time to the
// center EscalateLevels above its region, once per episode.
func (e *Engine) escalate(now time.Time) []Notification {
	if e.cfg.EscalateAfter <= 0 {
		return nil
	}
	var out []Notification
	ids := make([]string, 0)
	for id, w := range e.warnings {
		if w.Level == Red && w.State == Firing && !w.Acked() && !w.Escalated && !now.Before(w.StartsAt.Add(e.cfg.EscalateAfter)) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	mute := e.newMuter(now)
	for _, id := range ids {
		w := e.warnings[id]
		if mute.muted(w) {
			continue
		}
		w.Escalated = true
		w.Version++
		e.touch(w)
		up := w.Region
		for range e.cfg.EscalateLevels {
			if r, ok := e.cfg.Regions.Lookup(up); ok && r.Parent != "" {
				up = r.Parent
			}
		}
		if up == w.Region {
			continue // nothing above
		}
		key := "escalation|" + w.ID
		out = append(out, Notification{
			ID: notificationID(key, w.StartsAt, 1), GroupKey: key, Receiver: up, ReceiverName: e.regionName(up),
			Reason: ReasonEscalated, Firing: []Warning{*w}, CreatedAt: now,
		})
	}
	return out
}
