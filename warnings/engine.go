package warnings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Controls are the silences and acknowledgements shared with the CLI
// (stored in ClickHouse by the wiring; re-read on every tick).
type Controls interface {
	// Silences returns the silences that have not ended at now.
	Silences(ctx context.Context, now time.Time) ([]Silence, error)
	// Acks returns the acknowledgements of the given warnings.
	Acks(ctx context.Context, ids []string) ([]Ack, error)
}

// Sink receives every change of a warning's state (for the warnings table).
type Sink interface {
	WriteWarnings(ctx context.Context, ws []Warning) error
}

// State persists the engine's state and the notifications it queues; the
// outbox implements it. Commit is atomic: the notification log and the
// queued messages are written together.
type State interface {
	Load() (Saved, error)
	Commit(c Change) error
}

// Saved is what the engine restores at start.
type Saved struct {
	Warnings  []Warning
	Groups    []GroupState
	Watermark time.Time
}

// Change is one tick's writes.
type Change struct {
	Warnings     []Warning
	DropWarnings []string
	Groups       []GroupState
	DropGroups   []string
	Watermark    time.Time
	Enqueue      []Entry
}

func (c *Change) empty() bool {
	return len(c.Warnings)+len(c.DropWarnings)+len(c.Groups)+len(c.DropGroups)+len(c.Enqueue) == 0 && c.Watermark.IsZero()
}

// GroupState is an aggregation group's timers and notification log: what
// was last sent to its receiver (Alertmanager's nflog entry).
type GroupState struct {
	Key        string            `json:"key"`
	Route      string            `json:"route"`
	Receiver   string            `json:"receiver"`
	Labels     map[string]string `json:"labels"`
	CreatedAt  time.Time         `json:"created_at"`
	NextFlush  time.Time         `json:"next_flush"`
	LastSentAt time.Time         `json:"last_sent_at,omitzero"`
	// Sent is the firing set of the last notification: id → level.
	Sent map[string]Level `json:"sent"`
	Seq  uint64           `json:"seq"`
}

// Config is the engine's routing and timing.
type Config struct {
	Regions *schemas.Registry
	Builder *Builder
	// Route is the finished routing tree (DefaultRoute when nil).
	Route   *Route
	Inhibit []InhibitRule
	// Centers maps a center's region code to its channel names; "*" serves
	// every center without an entry of its own.
	Centers map[string][]string
	// EscalateAfter is how long a red warning may stay unacknowledged
	// before its region's parent center gets an escalation (0: never);
	// EscalateLevels how many levels up (default 1).
	EscalateAfter  time.Duration
	EscalateLevels int
	// RuleAlarmTTL is how long a rule alarm (an event) fires.
	RuleAlarmTTL time.Duration
	// SnapshotEvery is how often the index results are re-read.
	SnapshotEvery time.Duration
	// RuleAlarmLag re-reads rule alarms this far behind the watermark, for
	// rows stored after a poll with an earlier detection time.
	RuleAlarmLag time.Duration
	Log          *slog.Logger
}

// ErrUnknownWarning is returned when an id names no current warning.
var ErrUnknownWarning = errors.New("unknown warning")

// Engine evaluates warnings, groups and timers at the times it is given.
// It is safe for concurrent use.
type Engine struct {
	cfg      Config
	rules    RuleAlarmSource
	snaps    SnapshotSource
	controls Controls
	sink     Sink
	state    State

	mu        sync.Mutex
	warnings  map[string]*Warning
	groups    map[string]*GroupState
	watermark time.Time
	lastSnap  time.Time
	silences  []Silence
	// silencesRead is set once the silences were read (or set) at least
	// once: until then nothing is flushed or escalated, since a muted
	// warning would be pushed (after a restart, say, with ClickHouse down).
	silencesRead bool
	dirty        map[string]bool
	sinkQueue    map[string]bool // warnings whose latest state the sink has not taken
	dropped      []string
	dirtyGroup   map[string]bool
	dropGroups   []string
	// unsent holds the queue entries of a commit that failed: the groups
	// already count them as sent, so the next commit queues them again.
	unsent []Entry
}

// NewEngine restores the engine from state. Any of the sources, controls
// and sink may be nil (tests leave out what they do not need).
func NewEngine(cfg Config, rules RuleAlarmSource, snaps SnapshotSource, controls Controls, sink Sink, state State) (*Engine, error) {
	if cfg.Route == nil {
		cfg.Route = DefaultRoute()
	}
	if cfg.Inhibit == nil {
		cfg.Inhibit = DefaultInhibitRules()
	}
	if cfg.EscalateLevels <= 0 {
		cfg.EscalateLevels = 1
	}
	if cfg.RuleAlarmTTL <= 0 {
		cfg.RuleAlarmTTL = 24 * time.Hour
	}
	if cfg.SnapshotEvery <= 0 {
		cfg.SnapshotEvery = 30 * time.Second
	}
	if cfg.RuleAlarmLag <= 0 {
		cfg.RuleAlarmLag = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Builder == nil {
		cfg.Builder = &Builder{Regions: cfg.Regions}
	}
	e := &Engine{cfg: cfg, rules: rules, snaps: snaps, controls: controls, sink: sink, state: state,
		silencesRead: controls == nil, warnings: map[string]*Warning{}, groups: map[string]*GroupState{},
		dirty: map[string]bool{}, sinkQueue: map[string]bool{}, dirtyGroup: map[string]bool{}}
	if state != nil {
		saved, err := state.Load()
		if err != nil {
			return nil, fmt.Errorf("cannot restore the warning engine: %w", err)
		}
		for i := range saved.Warnings {
			w := saved.Warnings[i]
			e.warnings[w.ID] = &w
		}
		for i := range saved.Groups {
			g := saved.Groups[i]
			if g.Sent == nil {
				g.Sent = map[string]Level{}
			}
			e.groups[g.Key] = &g
		}
		e.watermark = saved.Watermark
	}
	return e, nil
}

// Run ticks every interval until ctx ends. Errors of one tick are logged;
// the next tick tries again.
func (e *Engine) Run(ctx context.Context, interval time.Duration, now func() time.Time) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := e.Tick(ctx, now()); err != nil && ctx.Err() == nil {
			e.cfg.Log.Warn("warning tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick reads the sources, updates warnings, flushes the groups that are
// due at now and queues their notifications. It returns the notifications
// queued.
func (e *Engine) Tick(ctx context.Context, now time.Time) ([]Notification, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	if e.snaps != nil && (e.lastSnap.IsZero() || now.Sub(e.lastSnap) >= e.cfg.SnapshotEvery) {
		errs = append(errs, e.snapshot(ctx, now)...)
		e.lastSnap = now
	}
	if e.rules != nil {
		if err := e.pollRules(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	for _, w := range e.warnings {
		if w.State == Firing && !w.ExpiresAt.IsZero() && !now.Before(w.ExpiresAt) {
			e.resolve(w, now)
		}
	}
	if err := e.readControls(ctx, now); err != nil {
		errs = append(errs, err)
	}
	var notes []Notification
	if e.silencesRead {
		notes = e.flush(now)
		notes = append(notes, e.escalate(now)...)
	} // else groups keep their timers and flush at the first tick after the silences were read
	e.gc()
	if err := e.commit(ctx, now, notes); err != nil {
		errs = append(errs, err)
		return nil, errors.Join(errs...)
	}
	return notes, errors.Join(errs...)
}

// Upsert adds or updates a firing warning at now (sources call it through
// Tick; tests and other producers may call it directly).
func (e *Engine) Upsert(w Warning, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.upsert(w, now)
}

// Resolve resolves the warning id at now.
func (e *Engine) Resolve(id string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if w, ok := e.warnings[id]; ok && w.State == Firing {
		e.resolve(w, now)
	}
}

// Ack acknowledges a warning: its group is no longer repeated for it and
// it does not escalate.
func (e *Engine) Ack(id, by, comment string, at time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.warnings[id]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownWarning, id)
	}
	e.applyAck(w, Ack{WarningID: id, By: by, Comment: comment, At: at})
	return nil
}

// Warnings returns a copy of the current warnings, most urgent first.
func (e *Engine) Warnings() []Warning {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Warning, 0, len(e.warnings))
	for _, w := range e.warnings {
		out = append(out, *w)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level > out[j].Level
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (e *Engine) applyAck(w *Warning, a Ack) {
	if w.Acked() || a.At.Before(w.StartsAt) {
		return // an ack of an earlier episode does not count
	}
	w.AckedBy, w.AckedAt = a.By, a.At
	if w.AckedBy == "" {
		w.AckedBy = "-"
	}
	w.Version++
	e.touch(w)
}

func (e *Engine) touch(w *Warning) {
	e.dirty[w.ID] = true
	if e.sink != nil {
		e.sinkQueue[w.ID] = true
	}
}

func (e *Engine) upsert(nw Warning, now time.Time) {
	w, ok := e.warnings[nw.ID]
	if !ok {
		nw.State, nw.StartsAt, nw.UpdatedAt, nw.Version = Firing, now, now, 1
		nw.ResolvedAt = time.Time{}
		e.warnings[nw.ID] = &nw
		e.touch(&nw)
		return
	}
	if w.State == Resolved {
		// A new episode of the same condition.
		ver := w.Version
		nw.State, nw.StartsAt, nw.UpdatedAt, nw.Version = Firing, now, now, ver+1
		*w = nw
		e.touch(w)
		return
	}
	if w.Level != nw.Level || w.Title != nw.Title || w.Body != nw.Body || w.Link != nw.Link || !w.ExpiresAt.Equal(nw.ExpiresAt) {
		w.Level, w.Title, w.Body, w.Link, w.ExpiresAt = nw.Level, nw.Title, nw.Body, nw.Link, nw.ExpiresAt
		w.Category, w.RegionName = nw.Category, nw.RegionName
		w.UpdatedAt = now
		w.Version++
		e.touch(w)
	}
}

func (e *Engine) resolve(w *Warning, now time.Time) {
	w.State, w.ResolvedAt, w.UpdatedAt = Resolved, now, now
	w.Version++
	e.touch(w)
}

// snapshot re-reads the indices; a kind whose source failed keeps its
// warnings as they are (an error never resolves anything).
func (e *Engine) snapshot(ctx context.Context, now time.Time) []error {
	var errs []error
	apply := func(kind string, cur map[string]Warning) {
		for _, w := range cur {
			e.upsert(w, now)
		}
		for id, w := range e.warnings {
			if w.Kind == kind && w.State == Firing {
				if _, ok := cur[id]; !ok {
					e.resolve(w, now)
				}
			}
		}
	}
	b := e.cfg.Builder
	if rows, err := e.snaps.RiskBands(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cannot read risk bands: %w", err))
	} else {
		cur := map[string]Warning{}
		for _, r := range rows {
			if w, ok := b.FromBand(r); ok {
				cur[w.ID] = w
			}
		}
		apply(KindRiskBand, cur)
	}
	if rows, err := e.snaps.StatAlarms(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cannot read statistical alarms: %w", err))
	} else {
		cur := map[string]Warning{}
		for _, r := range rows {
			w := b.FromStatAlarm(r)
			cur[w.ID] = w
		}
		apply(KindStatAlarm, cur)
	}
	if rows, err := e.snaps.SupervisionLights(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cannot read supervision lights: %w", err))
	} else {
		cur := map[string]Warning{}
		for _, r := range rows {
			if w, ok := b.FromSupervision(r); ok {
				cur[w.ID] = w
			}
		}
		apply(KindSupervision, cur)
	}
	return errs
}

// ruleBatch is the page size of the rule-alarm poll (a variable for tests).
var ruleBatch = 5000

func (e *Engine) pollRules(ctx context.Context, now time.Time) error {
	since := e.watermark.Add(-e.cfg.RuleAlarmLag)
	if floor := now.Add(-e.cfg.RuleAlarmTTL); since.Before(floor) {
		since = floor // older alarms have expired anyway
	}
	offset := 0
	for range 100 { // bounded: at most 100 pages per tick
		rows, err := e.rules.RuleAlarmsSince(ctx, since, offset, ruleBatch)
		if err != nil {
			return fmt.Errorf("cannot read rule alarms: %w", err)
		}
		for _, r := range rows {
			w, err := e.cfg.Builder.FromRuleAlarm(r, e.cfg.RuleAlarmTTL)
			if err != nil {
				e.cfg.Log.Warn("skipping rule alarm", "err", err)
				continue
			}
			if r.DetectedAt.After(e.watermark) {
				e.watermark = r.DetectedAt
			}
			if !w.ExpiresAt.After(now) {
				continue // an old event (first start over a full table)
			}
			if old, ok := e.warnings[w.ID]; ok && old.State == Resolved {
				continue // an event is not raised twice
			}
			e.upsert(w, now)
		}
		if len(rows) < ruleBatch {
			return nil
		}
		// Next page: the rows after the last one read. Detection times have
		// second resolution, so many rows can share one: skip those seen.
		last := rows[len(rows)-1].DetectedAt
		if last.Equal(since) {
			offset += len(rows)
			continue
		}
		n := 0
		for _, r := range rows {
			if r.DetectedAt.Equal(last) {
				n++
			}
		}
		since, offset = last, n
	}
	return nil
}

func (e *Engine) readControls(ctx context.Context, now time.Time) error {
	if e.controls == nil {
		return nil
	}
	var errs []error
	if s, err := e.controls.Silences(ctx, now); err != nil {
		errs = append(errs, fmt.Errorf("cannot read silences: %w", err))
	} else {
		e.silences, e.silencesRead = s, true
	}
	var ids []string
	for id, w := range e.warnings {
		if w.State == Firing && !w.Acked() {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		sort.Strings(ids)
		acks, err := e.controls.Acks(ctx, ids)
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot read acknowledgements: %w", err))
		}
		for _, a := range acks {
			if w, ok := e.warnings[a.WarningID]; ok {
				e.applyAck(w, a)
			}
		}
	}
	return errors.Join(errs...)
}

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
				CreatedAt: now, NextFlush: now.Add(m.route.Timing.GroupWait), Sent: map[string]Level{}}
			e.groups[key] = g
			e.dirtyGroup[key] = true
		}
		if now.Before(g.NextFlush) {
			continue
		}
		for !g.NextFlush.After(now) {
			g.NextFlush = g.NextFlush.Add(m.route.Timing.GroupInterval)
		}
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

// gc drops resolved warnings that no group still has to report, so that
// memory follows the live warnings, not the history.
func (e *Engine) gc() {
	referenced := map[string]bool{}
	for _, g := range e.groups {
		for id := range g.Sent {
			referenced[id] = true
		}
	}
	for id, w := range e.warnings {
		if w.Kind == KindRuleAlarm && !w.DetectedAt.Before(e.watermark.Add(-2*e.cfg.RuleAlarmLag)) {
			continue // its row is still read by the poll
		}
		if w.State == Resolved && !referenced[id] && !e.sinkQueue[id] {
			delete(e.warnings, id)
			delete(e.dirty, id)
			e.dropped = append(e.dropped, id)
		}
	}
	for key, g := range e.groups {
		if len(g.Sent) == 0 && g.LastSentAt.IsZero() && !g.NextFlush.IsZero() {
			continue // waiting for its first flush
		}
		if len(g.Sent) == 0 {
			delete(e.groups, key)
			delete(e.dirtyGroup, key)
			e.dropGroups = append(e.dropGroups, key)
		}
	}
}

// Entry is one notification queued for one channel.
type Entry struct {
	// DeliveryID is the idempotency key: the same on every retry.
	DeliveryID   string       `json:"delivery_id"`
	Channel      string       `json:"channel"`
	Notification Notification `json:"notification"`
	Attempts     int          `json:"attempts"`
	// PermanentFailures counts the attempts that failed permanently
	// (Result.Permanent).
	PermanentFailures int       `json:"permanent_failures,omitempty"`
	NextAt            time.Time `json:"next_at"`
	CreatedAt         time.Time `json:"created_at"`
	Seq               uint64    `json:"seq"`
}

// DeliveryID is the idempotency key of a notification on a channel.
func DeliveryID(notificationID, channel string) string {
	h := sha256.Sum256([]byte(notificationID + "\x00" + channel))
	return hex.EncodeToString(h[:16])
}

func (e *Engine) channelsFor(center string) []string {
	if ch, ok := e.cfg.Centers[center]; ok {
		return ch
	}
	return e.cfg.Centers["*"]
}

func (e *Engine) commit(ctx context.Context, now time.Time, notes []Notification) error {
	var c Change
	for id := range e.dirty {
		if w, ok := e.warnings[id]; ok {
			c.Warnings = append(c.Warnings, *w)
		}
	}
	c.DropWarnings = e.dropped
	for key := range e.dirtyGroup {
		if g, ok := e.groups[key]; ok {
			c.Groups = append(c.Groups, *g)
		}
	}
	c.DropGroups = e.dropGroups
	c.Watermark = e.watermark
	c.Enqueue = append(c.Enqueue, e.unsent...)
	for _, n := range notes {
		chans := e.channelsFor(n.Receiver)
		if len(chans) == 0 && len(e.cfg.Centers) > 0 {
			// With no centers configured at all, warnings are only stored (the
			// wiring says so once at start).
			e.cfg.Log.Warn("no channel for center; notification not sent", "center", n.Receiver, "notification", n.ID)
		}
		for _, ch := range chans {
			c.Enqueue = append(c.Enqueue, Entry{DeliveryID: DeliveryID(n.ID, ch), Channel: ch, Notification: n, NextAt: now, CreatedAt: now})
		}
	}
	if e.state != nil && !c.empty() {
		if err := e.state.Commit(c); err != nil {
			// Nothing of c was written (Commit is atomic); the dirty marks
			// stay, and the notifications are queued with the next commit.
			e.unsent = c.Enqueue
			return fmt.Errorf("cannot commit warning state: %w", err)
		}
	}
	e.unsent = nil
	e.dirty, e.dirtyGroup, e.dropped, e.dropGroups = map[string]bool{}, map[string]bool{}, nil, nil
	if e.sink != nil && len(e.sinkQueue) > 0 {
		ws := make([]Warning, 0, len(e.sinkQueue))
		for id := range e.sinkQueue {
			if w, ok := e.warnings[id]; ok {
				ws = append(ws, *w)
			}
		}
		if err := e.sink.WriteWarnings(ctx, ws); err != nil {
			return fmt.Errorf("cannot store warnings: %w", err)
		}
		e.sinkQueue = map[string]bool{}
	}
	return nil
}
