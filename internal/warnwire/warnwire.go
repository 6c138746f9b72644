// Package warnwire wires the warnings engine to the store and the
// configuration: it adapts store rows to the engine's sources, keeps
// silences and acknowledgements in ClickHouse (so that the CLI and the
// running server share them), writes warning states and the delivery log,
// and builds the channels from the configuration (secrets from the
// environment or files).
//
// Where it sits: between internal/app (which mounts it in `riskwatch run`
// and the `warnings` command) and the packages warnings, warnings/channel
// and store. Package warnings never imports the store; this package does.
package warnwire

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/warnings"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

// Source reads the engine's inputs from the store.
type Source struct{ St *store.Store }

// RuleAlarmsSince implements warnings.RuleAlarmSource.
func (s Source) RuleAlarmsSince(ctx context.Context, since time.Time, offset, limit int) ([]warnings.RuleAlarmRow, error) {
	rows, err := s.St.WarningRuleAlarmsSince(ctx, since, offset, limit)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.RuleAlarmRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.RuleAlarmRow{Rule: r.Rule, Source: r.Source, CaseID: r.CaseID, Level: r.Level, CountyCode: r.CountyCode,
			TownCode: r.TownCode, RegionCode: r.RegionCode, Category: r.Category, Detail: r.Detail, ReportedAt: r.ReportedAt, DetectedAt: r.DetectedAt}
	}
	return out, nil
}

// RiskBands implements warnings.SnapshotSource.
func (s Source) RiskBands(ctx context.Context) ([]warnings.BandRow, error) {
	rows, err := s.St.WarningRiskBands(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.BandRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.BandRow{Window: r.Window, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, Region: r.RegionCode,
			Score: r.Score, Band: r.Band, Reasons: r.Reasons, Drivers: r.Drivers}
	}
	return out, nil
}

// StatAlarms implements warnings.SnapshotSource.
func (s Source) StatAlarms(ctx context.Context) ([]warnings.StatAlarmRow, error) {
	rows, err := s.St.WarningStatAlarms(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.StatAlarmRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.StatAlarmRow{Window: r.Window, WindowEnd: r.WindowEnd, Region: r.RegionCode, Category: r.Category,
			Detector: r.Detector, Observed: r.Observed, Expected: r.Expected, UpperBound: r.UpperBound}
	}
	return out, nil
}

// Source feeds the forecast warnings too.
var _ warnings.ForecastSource = Source{}

// ForecastThresholds implements warnings.ForecastSource.
func (s Source) ForecastThresholds(ctx context.Context) ([]warnings.ForecastRow, error) {
	rows, err := s.St.WarningForecastThresholds(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.ForecastRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.ForecastRow{Origin: r.Origin, TargetEnd: r.TargetEnd, Region: r.RegionCode, Category: r.Category,
			Point: r.Point, Lower80: r.Lower80, Upper80: r.Upper80, Threshold: r.Threshold}
	}
	return out, nil
}

// Source feeds the 新发问题 warnings too.
var _ warnings.EmergingSource = Source{}

// EmergingIssues implements warnings.EmergingSource.
func (s Source) EmergingIssues(ctx context.Context) ([]warnings.EmergingRow, error) {
	rows, err := s.St.WarningEmergingIssues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.EmergingRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.EmergingRow{WindowEnd: r.WindowEnd, Town: r.TownCode, Key: r.Key, Representative: r.Representative,
			Size: int(r.Size), Villages: r.Villages, Categories: r.Categories, First: r.FirstAt, Last: r.LastAt, Expected: r.Expected}
	}
	return out, nil
}

// Source feeds the 关联预警 warnings too.
var _ warnings.LinkSource = Source{}

// CaseLinks implements warnings.LinkSource.
func (s Source) CaseLinks(ctx context.Context) ([]warnings.LinkRow, error) {
	rows, err := s.St.WarningCaseLinks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.LinkRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.LinkRow{WindowEnd: r.WindowEnd, Key: r.Key, Label: r.Label, Kinds: r.Kinds, Reasons: r.Reasons,
			Scope: r.ScopeCode, Cases: r.CaseIDs, Towns: r.Towns, Villages: r.Villages, First: r.FirstReported, Last: r.LastReported}
	}
	return out, nil
}

// SupervisionLights implements warnings.SnapshotSource.
func (s Source) SupervisionLights(ctx context.Context) ([]warnings.SupervisionRow, error) {
	rows, err := s.St.WarningSupervisionLights(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.SupervisionRow, len(rows))
	for i, r := range rows {
		out[i] = warnings.SupervisionRow{WindowEnd: r.WindowEnd, Source: r.Source, CaseID: r.CaseID, CountyCode: r.CountyCode,
			TownCode: r.TownCode, RegionCode: r.RegionCode, Category: r.Category, AssignedUnit: r.AssignedUnit, Status: r.Status,
			DaysOverdue: r.DaysOverdue, Light: r.Light, Reasons: r.Reasons}
	}
	return out, nil
}

// Controls keeps silences and acknowledgements in the store.
type Controls struct{ St *store.Store }

// Silences implements warnings.Controls.
func (c Controls) Silences(ctx context.Context, now time.Time) ([]warnings.Silence, error) {
	rows, err := c.St.WarningSilences(ctx, now, false)
	if err != nil {
		return nil, err
	}
	out := make([]warnings.Silence, 0, len(rows))
	for _, r := range rows {
		s, err := SilenceFromRow(r)
		if err != nil {
			continue // written by a newer version; never matches everything
		}
		out = append(out, s)
	}
	return out, nil
}

// Acks implements warnings.Controls.
func (c Controls) Acks(ctx context.Context, ids []string) ([]warnings.Ack, error) {
	var out []warnings.Ack
	for len(ids) > 0 { // bounded query size
		n := min(len(ids), 2000)
		rows, err := c.St.WarningAcks(ctx, ids[:n])
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, warnings.Ack{WarningID: r.WarningID, By: r.AckedBy, Comment: r.Comment, At: r.AckedAt})
		}
		ids = ids[n:]
	}
	return out, nil
}

// SilenceFromRow converts a stored silence.
func SilenceFromRow(r store.WarningSilence) (warnings.Silence, error) {
	m, err := warnings.ParseMatchers(r.Matchers)
	if err != nil {
		return warnings.Silence{}, err
	}
	return warnings.Silence{ID: r.ID, Matchers: m, StartsAt: r.StartsAt, EndsAt: r.EndsAt, CreatedBy: r.CreatedBy,
		Comment: r.Comment, CreatedAt: r.CreatedAt}, nil
}

// Sink writes warning states and the delivery log to the store.
type Sink struct {
	St *store.Store
	// Now stamps the row versions (time.Now when nil).
	Now func() time.Time
}

// WarningRow converts a warning for storage.
func WarningRow(w warnings.Warning, version uint64) store.WarningRow {
	l := w.Labels()
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, n)
	}
	sort.Strings(names)
	labels := make([]string, 0, len(names))
	for _, n := range names {
		if l[n] != "" {
			labels = append(labels, n+"="+l[n])
		}
	}
	return store.WarningRow{ID: w.ID, State: w.State, Level: w.Level.String(), Kind: w.Kind, Rule: w.Rule, Subject: w.Subject,
		RegionCode: w.Region, RegionLevel: uint8(w.RegionLevel), CountyCode: w.County, TownCode: w.Town, Category: w.Category,
		Title: w.Title, Body: w.Body, Link: w.Link, Labels: labels, StartsAt: w.StartsAt, ResolvedAt: w.ResolvedAt,
		UpdatedAt: w.UpdatedAt, Version: version}
}

// WriteWarnings implements warnings.Sink. Versions are the write time in
// nanoseconds, so that the latest write wins even after the outbox was
// replaced.
func (s Sink) WriteWarnings(ctx context.Context, ws []warnings.Warning) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	v := uint64(now().UnixNano())
	rows := make([]store.WarningRow, len(ws))
	for i, w := range ws {
		rows[i] = WarningRow(w, v)
	}
	return s.St.WriteWarnings(ctx, rows)
}

// WriteDeliveries implements warnings.DeliveryLog.
func (s Sink) WriteDeliveries(ctx context.Context, ds []warnings.Delivery) error {
	rows := make([]store.WarningDelivery, len(ds))
	for i, d := range ds {
		rows[i] = store.WarningDelivery{NotificationID: d.NotificationID, GroupKey: d.GroupKey, Receiver: d.Receiver,
			Channel: d.Channel, ChannelType: d.ChannelType, Reason: d.Reason, WarningIDs: d.WarningIDs, Attempt: uint32(d.Attempt),
			Status: d.Status, StatusCode: int32(d.StatusCode), Response: d.Response, Error: d.Error,
			LatencyMS: uint32(min(d.Latency.Milliseconds(), 1<<31)), CreatedAt: d.CreatedAt, AttemptedAt: d.AttemptedAt}
	}
	return s.St.WriteWarningDeliveries(ctx, rows)
}

// Matchers converts configured matchers.
func Matchers(m config.WarningMatchers) warnings.Matchers {
	return warnings.Matchers{Level: m.Level, Kind: m.Kind, Category: m.Category, Rule: m.Rule, Region: m.Region}
}

func route(r config.WarningRoute) *warnings.Route {
	out := &warnings.Route{Matchers: Matchers(r.Matchers), Targets: r.Targets, GroupBy: r.GroupBy, Continue: r.Continue,
		SendResolved: r.SendResolved}
	if r.GroupWait != nil {
		out.Timing.GroupWait = *r.GroupWait
		if *r.GroupWait == 0 {
			out.Timing.GroupWait = -1 // an explicit zero, not "inherit"
		}
	}
	if r.GroupInterval != nil {
		out.Timing.GroupInterval = *r.GroupInterval
	}
	if r.RepeatInterval != nil {
		out.Timing.RepeatInterval = *r.RepeatInterval
	}
	// Validated with the configuration.
	out.DigestAt, out.Digest, _ = r.DigestAt()
	for _, c := range r.Routes {
		out.Routes = append(out.Routes, route(c))
	}
	return out
}

// Route builds the finished routing tree of the configuration (with the
// default children when none are configured).
func Route(c config.Warnings) *warnings.Route {
	root := route(c.RootRoute())
	if len(c.Routes) == 0 {
		// Not finished: they inherit the configured root's values.
		root.Routes = warnings.DefaultRoutes()
	}
	root.Finish()
	return root
}

// checkRouteRegions reports region codes in targets and matchers that the
// registry does not know, naming the key.
func checkRouteRegions(regions *schemas.Registry, r config.WarningRoute, key string) error {
	for _, t := range r.Targets {
		switch t {
		case warnings.TargetSelf, warnings.TargetParent, warnings.TargetTown, warnings.TargetCounty, warnings.TargetCity:
			continue
		}
		if _, ok := regions.Lookup(t); !ok {
			return fmt.Errorf("%s.targets: %q is not a region of the registry", key, t)
		}
	}
	for _, code := range r.Matchers.Region {
		if _, ok := regions.Lookup(code); !ok {
			return fmt.Errorf("%s.matchers.region: %q is not a region of the registry", key, code)
		}
	}
	for i, c := range r.Routes {
		if err := checkRouteRegions(regions, c, fmt.Sprintf("%s.routes[%d]", key, i)); err != nil {
			return err
		}
	}
	return nil
}

// EngineConfig builds the engine's configuration.
func EngineConfig(c config.Warnings, regions *schemas.Registry, baseURL string, log *slog.Logger) (warnings.Config, error) {
	lv, err := warnings.ParseLevel(c.StatLevel)
	if err != nil {
		return warnings.Config{}, fmt.Errorf("warnings.stat_level: %w", err)
	}
	flv, err := warnings.ParseLevel(c.Forecast.Level)
	if err != nil {
		return warnings.Config{}, fmt.Errorf("warnings.forecast.level: %w", err)
	}
	forecastRule := warnings.ForecastRule{Enabled: c.Forecast.Enabled, Factor: c.Forecast.Factor, MinCases: c.Forecast.MinCases, Level: flv}
	var inhibit []warnings.InhibitRule
	for _, r := range c.InhibitRules {
		inhibit = append(inhibit, warnings.InhibitRule{Source: Matchers(r.Source), Target: Matchers(r.Target), Equal: r.Equal})
	}
	centers := map[string][]string{}
	for code, chans := range c.Centers {
		if _, ok := regions.Lookup(code); !ok && code != "*" {
			return warnings.Config{}, fmt.Errorf("warnings.centers.%s: not a region of the registry", code)
		}
		centers[code] = chans
	}
	if err := checkRouteRegions(regions, c.RootRoute(), "warnings"); err != nil {
		return warnings.Config{}, err
	}
	return warnings.Config{
		Regions: regions, Builder: &warnings.Builder{Regions: regions, BaseURL: baseURL, Bands: c.Bands, StatLevel: lv, Forecast: forecastRule},
		Route: Route(c), Inhibit: inhibit, Centers: centers, EscalateAfter: c.EscalateAfter, EscalateLevels: c.EscalateLevels,
		RuleAlarmTTL: c.RuleAlarmTTL, SnapshotEvery: c.SnapshotEvery, Log: log,
	}, nil
}

// secret reads a value given inline, from an environment variable or from
// a file.
func secret(inline, env, file string, getenv func(string) string) (string, error) {
	switch {
	case inline != "":
		return inline, nil
	case env != "":
		v := getenv(env)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// Channels builds the configured channels.
func Channels(c config.Warnings, getenv func(string) string) ([]warnings.ChannelSpec, error) {
	names := make([]string, 0, len(c.Channels))
	for n := range c.Channels {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []warnings.ChannelSpec
	for _, n := range names {
		cc := c.Channels[n]
		u, err := secret(cc.URL, cc.URLEnv, cc.URLFile, getenv)
		if err != nil {
			return nil, fmt.Errorf("warnings.channels.%s.url: %w", n, err)
		}
		sec, err := secret(cc.Secret, cc.SecretEnv, cc.SecretFile, getenv)
		if err != nil {
			return nil, fmt.Errorf("warnings.channels.%s.secret: %w", n, err)
		}
		timeout := cc.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		ch, err := channel.New(channel.Options{Type: cc.Type, URL: u, Secret: sec, Client: &http.Client{Timeout: timeout},
			From: cc.From, To: cc.To, Username: cc.Username})
		if err != nil {
			return nil, fmt.Errorf("warnings.channels.%s: %w", n, err)
		}
		per := channel.DefaultPerMinute(cc.Type)
		if cc.PerMinute != nil {
			per = *cc.PerMinute
		}
		// The attempt's deadline is the channel's timeout too (the senders'
		// default would cap it at 10 s).
		out = append(out, warnings.ChannelSpec{Name: n, Type: cc.Type, Channel: ch, PerMinute: per, Timeout: timeout})
	}
	return out, nil
}

// Service is the running warning engine with its outbox and senders.
type Service struct {
	Engine *warnings.Engine
	Outbox *warnings.Outbox
	st     *store.Store
	cfg    config.Warnings
	send   warnings.SenderOptions
	log    *slog.Logger

	closeOnce sync.Once
}

// Options for New.
type Options struct {
	Config  config.Warnings
	Store   *store.Store
	Regions *schemas.Registry
	BaseURL string
	Log     *slog.Logger
	Getenv  func(string) string
	// Metrics registers riskwatch_warnings_* metrics when set.
	Metrics prometheus.Registerer
}

// countingLog counts delivery attempts by channel and status before it
// stores them.
type countingLog struct {
	next     warnings.DeliveryLog
	attempts *prometheus.CounterVec
}

func (c countingLog) WriteDeliveries(ctx context.Context, ds []warnings.Delivery) error {
	for _, d := range ds {
		c.attempts.WithLabelValues(d.Channel, d.Status).Inc()
	}
	return c.next.WriteDeliveries(ctx, ds)
}

// register adds the outbox gauges and the delivery counter.
func register(r prometheus.Registerer, ob *warnings.Outbox, e *warnings.Engine) (*prometheus.CounterVec, error) {
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "riskwatch_warnings_delivery_attempts_total",
		Help: "Delivery attempts of warning notifications, by channel and status (delivered, retry, failed)."}, []string{"channel", "status"})
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riskwatch_warnings_outbox_pending",
		Help: "Notifications queued in the outbox, not yet delivered."}, func() float64 {
		n, _, _ := ob.Counts()
		return float64(n)
	})
	dead := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riskwatch_warnings_outbox_dead",
		Help: "Notifications given up on (retry.give_up_after)."}, func() float64 {
		_, n, _ := ob.Counts()
		return float64(n)
	})
	firing := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "riskwatch_warnings_firing",
		Help: "Warnings firing now."}, func() float64 {
		n := 0
		for _, w := range e.Warnings() {
			if w.State == warnings.Firing {
				n++
			}
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{attempts, pending, dead, firing} {
		if err := r.Register(c); err != nil {
			return nil, fmt.Errorf("cannot register warning metrics: %w", err)
		}
	}
	return attempts, nil
}

// New opens the outbox, restores the engine and builds the channels.
func New(o Options) (*Service, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	ecfg, err := EngineConfig(o.Config, o.Regions, o.BaseURL, o.Log)
	if err != nil {
		return nil, err
	}
	chans, err := Channels(o.Config, o.Getenv)
	if err != nil {
		return nil, err
	}
	ob, err := warnings.OpenOutbox(o.Config.Outbox, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("warnings.outbox: %w", err)
	}
	sink := Sink{St: o.Store}
	e, err := warnings.NewEngine(ecfg, Source{o.Store}, Source{o.Store}, Controls{o.Store}, sink, ob)
	if err != nil {
		ob.Close()
		return nil, err
	}
	var dlog warnings.DeliveryLog = sink
	if o.Metrics != nil {
		attempts, err := register(o.Metrics, ob, e)
		if err != nil {
			ob.Close()
			return nil, err
		}
		dlog = countingLog{next: sink, attempts: attempts}
	}
	r := o.Config.Retry
	return &Service{Engine: e, Outbox: ob, st: o.Store, cfg: o.Config, log: o.Log, send: warnings.SenderOptions{
		Channels: chans, BaseBackoff: r.BaseBackoff, MaxBackoff: r.MaxBackoff, GiveUpAfter: r.GiveUpAfter,
		MaxPermanentAttempts: r.MaxPermanentAttempts,
		Log:                  o.Log, DeliveryLog: dlog,
	}}, nil
}

// Run evaluates and delivers until ctx ends. Shutdown order: stop ticking
// → finish the attempts in flight → write the last delivery-log rows.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = s.Outbox.RunSenders(ctx, s.send)
	}()
	err := s.Engine.Run(ctx, s.cfg.Tick, time.Now)
	wg.Wait()
	return err
}

// Close closes the outbox. It is safe to call twice.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.Outbox.Close() })
	return err
}

// Ack acknowledges a warning: stored for the CLI and later restarts, and
// applied to the engine at once.
func Ack(ctx context.Context, st *store.Store, e *warnings.Engine, id, by, comment string, at time.Time) error {
	rows, err := st.Warnings(ctx, store.WarningFilter{IDs: []string{id}, Limit: 1})
	if err != nil {
		return err
	}
	known := len(rows) > 0
	if !known && e != nil {
		for _, w := range e.Warnings() {
			known = known || w.ID == id
		}
	}
	if !known {
		return fmt.Errorf("%w %q", warnings.ErrUnknownWarning, id)
	}
	if err := st.WriteWarningAck(ctx, store.WarningAck{WarningID: id, AckedBy: by, Comment: comment, AckedAt: at}); err != nil {
		return err
	}
	if e != nil {
		if err := e.Ack(id, by, comment, at); err != nil && !errors.Is(err, warnings.ErrUnknownWarning) {
			return err
		}
	}
	return nil
}

// NewSilenceID returns a random silence id.
func NewSilenceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
