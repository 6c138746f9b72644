package warnings

import (
	"strings"
	"time"
)

// SetSilences replaces the silences until the next read of the controls.
func (e *Engine) SetSilences(s []Silence) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.silences, e.silencesRead = s, true
}

// muter answers whether a warning is silenced or inhibited at a time.
type muter struct {
	silences []Silence
	rules    []InhibitRule
	sources  []map[string]bool // per rule: equal-label keys of firing sources
	now      time.Time
}

func equalKey(w *Warning, names []string) string {
	l := w.Labels()
	var b strings.Builder
	for _, n := range names {
		b.WriteString(l[n])
		b.WriteByte(0)
	}
	return b.String()
}

func (e *Engine) newMuter(now time.Time) *muter {
	m := &muter{silences: e.silences, rules: e.cfg.Inhibit, now: now}
	for _, r := range m.rules {
		src := map[string]bool{}
		for _, w := range e.warnings {
			// As in Alertmanager, a silenced source still inhibits.
			if w.State == Firing && r.Source.Match(w) {
				src[equalKey(w, r.Equal)] = true
			}
		}
		m.sources = append(m.sources, src)
	}
	return m
}

func (m *muter) silenced(w *Warning) bool {
	for _, s := range m.silences {
		if s.Active(m.now) && !s.Matchers.Empty() && s.Matchers.Match(w) {
			return true
		}
	}
	return false
}

func (m *muter) inhibited(w *Warning) bool {
	for i, r := range m.rules {
		if !r.Target.Match(w) || !m.sources[i][equalKey(w, r.Equal)] {
			continue
		}
		if r.Source.Match(w) {
			continue // matches both sides: not inhibited by its peers
		}
		return true
	}
	return false
}

func (m *muter) muted(w *Warning) bool { return m.silenced(w) || m.inhibited(w) }
