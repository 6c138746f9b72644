package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/rules"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// DemoPartyKeySecret and DemoPartyKeyID key the demo's parties when no
// transform.party_key_secret is configured. The secret is public: never
// use it for real records.
const (
	DemoPartyKeySecret = "riskwatch-demo-party-key-not-secret"
	DemoPartyKeyID     = "demo"
)

// maxMaskInput bounds how much of a rejected message is masked and kept in
// ingest_errors; the whole message is on the dead-letter topic.
const maxMaskInput = 64 << 10

// newHandler builds the ingest handler: the transform, with rejects turned
// into dead letters whose stored text is masked.
func newHandler(cfg config.Config, reg *schemas.Registry, now func() time.Time) (ingest.Handler, error) {
	o := transform.Options{
		Registry:        reg,
		GroupThreshold:  cfg.Transform.GroupThreshold,
		LargeAmountCNY:  cfg.Transform.LargeAmountCNY,
		FutureTolerance: cfg.Transform.FutureTolerance,
		MaxMessageBytes: cfg.Transform.MaxMessageBytes,
		KeepPlates:      !cfg.Transform.MaskPlates,
		KeywordsFirst:   cfg.Transform.KeywordsFirst,
		PartyKeySecret:  []byte(cfg.Transform.PartyKeySecret),
		PartyKeyID:      cfg.Transform.PartyKeyID,
	}
	if len(o.PartyKeySecret) == 0 && cfg.Demo.Enabled {
		// The demo links its injected parties without any setup; its
		// secret is public, so it is for demo data only.
		o.PartyKeySecret, o.PartyKeyID = []byte(DemoPartyKeySecret), DemoPartyKeyID
	}
	if path := cfg.Transform.Model; path != "" {
		m, err := readModel(path) // classifycmd.go
		if err != nil {
			return nil, fmt.Errorf("transform.model: %w", err)
		}
		o.Model = m
	} else if cfg.Demo.Enabled && cfg.Demo.TrainModel {
		m, err := demoModel(cfg, reg, now()) // classifydemo.go
		if err != nil {
			return nil, err
		}
		o.Model = m
	}
	tr, err := transform.New(o)
	if err != nil {
		return nil, err
	}
	return func(m ingest.Message) (schemas.CaseRow, *ingest.Reject) {
		row, err := tr.Transform(m.Value, transform.Meta{Topic: m.Topic, Partition: int32(m.Partition), Offset: m.Offset, Key: m.Key}, now())
		if err == nil {
			return row, nil
		}
		raw := m.Value
		if len(raw) > maxMaskInput {
			raw = raw[:maxMaskInput]
		}
		rej := &ingest.Reject{Reason: "internal", Detail: err.Error(), Masked: transform.MaskMessage(raw)}
		var re *transform.RejectError
		if errors.As(err, &re) {
			rej.Reason = string(re.Reason)
		}
		return schemas.CaseRow{}, rej
	}, nil
}

// startIngest starts the consumer; the returned channel yields its Run error.
func startIngest(ctx context.Context, cfg config.Config, st *store.Store, reg *schemas.Registry, conn ingest.Conn, log *slog.Logger, pr prometheus.Registerer, late *lateWatch) (*ingest.Consumer, <-chan error, error) {
	h, err := newHandler(cfg, reg, time.Now)
	if err != nil {
		return nil, nil, err
	}
	sink := newAlarmingSink(st, cfg, pr)
	sink.late = late
	in := cfg.Ingest
	c, err := ingest.NewConsumer(ingest.Config{
		Conn: conn, Topic: cfg.Kafka.Topic, DLQTopic: cfg.Kafka.DLQ(), Group: cfg.Kafka.Group,
		BatchRows: in.BatchRows, BatchBytes: in.BatchBytes, BatchAge: in.BatchAge,
		BufferBytes: in.BufferBytes, ShutdownTimeout: in.ShutdownTimeout, FetchBytes: in.FetchBytes,
		Handler: h, Sink: sink, IsTransient: store.IsTransient, IsDataError: store.IsDataError,
		Logger: log.With("component", "ingest"), Metrics: ingest.NewMetrics(pr),
	})
	if err != nil {
		return nil, nil, err
	}
	if pr != nil {
		// The group's lag per partition, asked of Kafka on each scrape.
		pr.MustRegister(ingest.NewLagCollector(conn, cfg.Kafka.Topic, cfg.Kafka.Group))
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	return c, done, nil
}

// alarmingSink stores rows, then raises the stream rule alarms of the rows
// it stored. Both writes are idempotent, so when the alarm insert fails the
// whole batch is retried without harm; alarms fire within a batch interval
// (about a second) of the record's arrival.
type alarmingSink struct {
	*store.Store
	cfg   rules.Config
	now   func() time.Time
	fired *prometheus.CounterVec
	late  *lateWatch // nil: late versions are not watched
}

func (s alarmingSink) InsertCases(ctx context.Context, rows ...[]schemas.CaseRow) error {
	if err := s.Store.InsertCases(ctx, rows...); err != nil {
		return err
	}
	now := s.now()
	s.late.observe(rows, now)
	var alarms []store.RuleAlarm
	for _, rs := range rows {
		for i := range rs {
			for _, a := range rules.Evaluate(&rs[i], s.cfg, now) {
				r := a.Row
				alarms = append(alarms, store.RuleAlarm{Rule: a.Rule, Source: string(r.Source), CaseID: r.CaseID, CaseVersion: r.Version,
					Level: a.Level, CountyCode: r.CountyCode, TownCode: r.TownCode, RegionCode: r.RegionCode, Category: r.Category,
					Detail: a.Detail, ReportedAt: r.ReportedAt, DetectedAt: a.DetectedAt})
			}
		}
	}
	if err := s.Store.InsertRuleAlarms(ctx, alarms); err != nil {
		if store.IsTransient(err) {
			return err
		}
		// Not the cases' fault: hide the DataError so that ingest stops
		// instead of dead-lettering rows that are already stored.
		return fmt.Errorf("cannot store rule alarms: %v", err)
	}
	for _, a := range alarms {
		s.fired.WithLabelValues(a.Rule).Inc()
	}
	return nil
}

func newAlarmingSink(st *store.Store, cfg config.Config, pr prometheus.Registerer) alarmingSink {
	fired := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "riskwatch_rule_alarms_total", Help: "Stream rule alarms raised, by rule.",
	}, []string{"rule"})
	if pr != nil {
		pr.MustRegister(fired)
	}
	return alarmingSink{Store: st, cfg: rules.Config{ExtremeWords: cfg.Rules.ExtremeWords}, now: time.Now, fired: fired}
}
