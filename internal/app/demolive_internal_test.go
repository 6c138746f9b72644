package app

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
)

// fakeSender keeps what the trickle sends.
type fakeSender struct {
	mu   sync.Mutex
	recs []ingest.Record
}

func (f *fakeSender) Send(_ context.Context, recs ...ingest.Record) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs = append(f.recs, recs...)
	return nil
}

// TestDemoTrickleSendsAtTheRateOnAFakeClock: with demo.rate 6 and a clock
// that moves a minute per tick, two fake hours bring about 720 new cases
// (give or take the Poisson noise), all reported after the start and keyed
// by their case id, and the outbreaks are announced.
func TestDemoTrickleSendsAtTheRateOnAFakeClock(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Demo.Rate, cfg.Demo.OutbreakEvery = 6, 20*time.Minute
	start := time.Date(2026, 12, 7, 21, 0, 0, 0, schemas.Shanghai)
	var mu sync.Mutex
	clock := start
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Minute)
		if clock.After(start.Add(2 * time.Hour)) {
			cancel()
			return start.Add(2 * time.Hour)
		}
		return clock
	}
	var out bytes.Buffer
	sent := &fakeSender{}
	if err := demoTrickle(ctx, cfg, reg, sent, start, &out, now, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	newCases := 0
	for _, r := range sent.recs {
		var rec struct {
			CaseID     string    `json:"case_id"`
			Version    int       `json:"version"`
			ReportedAt time.Time `json:"reported_at"`
		}
		if err := json.Unmarshal(r.Value, &rec); err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != rec.CaseID {
			t.Errorf("record of %s keyed %q", rec.CaseID, r.Key)
		}
		if !rec.ReportedAt.After(start) || rec.ReportedAt.After(start.Add(2*time.Hour)) {
			t.Errorf("case %s reported at %s, outside the two fake hours after %s", rec.CaseID, rec.ReportedAt, start)
		}
		if rec.Version == 1 {
			newCases++
		}
	}
	// 720 baseline cases, plus the outbreaks' case a minute.
	if newCases < 720-4*int(math.Sqrt(720)) || newCases > 720+4*int(math.Sqrt(720))+120 {
		t.Errorf("%d new cases in two fake hours at 6 a minute, want about 720 (plus outbreaks)", newCases)
	}
	if n := strings.Count(out.String(), "injected outbreak live-"); n < 2 {
		t.Errorf("%d outbreaks announced in two hours at one every 20 minutes, want at least 2:\n%s", n, out.String())
	}
}
