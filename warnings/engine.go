package warnings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
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
