package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
)

// The ingest handler derives party keys under transform.party_key_secret
// with its key id, under the public demo secret in a demo run without one,
// and none otherwise.
func TestHandlerPartyKeys(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(map[string]any{"case_id": "c1", "version": 1, "source": "platform", "reported_at": "2026-03-01T10:00:00+08:00",
		"region_code": "150502001001", "parties": 1, "status": "accepted",
		"party_details": []map[string]string{{"name": "王建国", "phone": "13904751234"}}})
	now := func() time.Time { return time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC) }
	keys := func(cfg config.Config) []string {
		t.Helper()
		h, err := newHandler(cfg, reg, now)
		if err != nil {
			t.Fatal(err)
		}
		row, rej := h(ingest.Message{Value: rec})
		if rej != nil {
			t.Fatalf("rejected: %+v", rej)
		}
		return row.PartyKeys
	}
	cfg := config.Default()
	if k := keys(cfg); len(k) != 0 {
		t.Errorf("no secret: keys %q", k)
	}
	cfg.Transform.PartyKeySecret, cfg.Transform.PartyKeyID = "configured-secret-0123", "k7"
	if k := keys(cfg); len(k) != 2 || !strings.HasPrefix(k[0], "k7:") {
		t.Errorf("configured secret: keys %q, want two k7: keys", k)
	}
	cfg = config.Default()
	cfg.Demo.Enabled, cfg.Demo.TrainModel = true, false
	if k := keys(cfg); len(k) != 2 || !strings.HasPrefix(k[0], DemoPartyKeyID+":") {
		t.Errorf("demo: keys %q, want two demo: keys", k)
	}
}
