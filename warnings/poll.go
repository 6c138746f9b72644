package warnings

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

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
	if cur, ok, err := e.forecastSnapshot(ctx); err != nil { // forecast.go
		errs = append(errs, err)
	} else if ok {
		apply(KindForecast, cur)
	}
	if cur, ok, err := e.emergingSnapshot(ctx); err != nil { // emerging.go
		errs = append(errs, err)
	} else if ok {
		apply(KindEmerging, cur)
	}
	if cur, ok, err := e.linkSnapshot(ctx); err != nil { // linked.go
		errs = append(errs, err)
	} else if ok {
		apply(KindLinked, cur)
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
