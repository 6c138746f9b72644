package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/transform/classify"
)

// TestHandlerUsesConfiguredModel: transform.model makes the ingest
// handler classify by the model; a file that is not a model fails the
// start naming the key.
func TestHandlerUsesConfiguredModel(t *testing.T) {
	var ex []classify.Example
	for _, s := range []string{"公交车班次太少", "公交线路取消了", "公交站牌被拆了", "路口红绿灯坏了"} {
		ex = append(ex, classify.Example{Text: s, Label: "other"}, classify.Example{Text: s + "，请解决", Label: "other"})
	}
	for _, s := range []string{"老板不给工钱", "包工头跑了没发钱", "年底讨要血汗钱", "工地欠我们的钱"} {
		ex = append(ex, classify.Example{Text: s, Label: "labor.wage_arrears"}, classify.Example{Text: s + "，请解决", Label: "labor.wage_arrears"})
	}
	m, err := classify.Train(ex, classify.Options{Version: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.model")
	if err := writeModel(path, m); err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Transform.Model = path
	h, err := newHandler(cfg, reg, func() time.Time { return time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(map[string]any{"case_id": "c1", "version": 1, "source": "platform", "reported_at": "2026-03-01T10:00:00+08:00",
		"region_code": "150502000000", "parties": 3, "status": "accepted", "summary": "包工头跑了，年底讨要血汗钱"})
	row, rej := h(ingest.Message{Value: rec})
	if rej != nil {
		t.Fatalf("rejected: %+v", rej)
	}
	if row.Category != "labor.wage_arrears" || row.CategoryRule != "model:h1" || row.CategoryConfidence <= 0.5 {
		t.Errorf("classified %s by %s (%.2f), want labor.wage_arrears by model:h1", row.Category, row.CategoryRule, row.CategoryConfidence)
	}

	bad := filepath.Join(dir, "bad.model")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Transform.Model = bad
	if _, err := newHandler(cfg, reg, time.Now); err == nil || !strings.Contains(err.Error(), "transform.model: "+bad) {
		t.Errorf("bad model file: %v", err)
	}
}

// TestDemoTrainsModelAtStart: with the demo on and no transform.model, the
// handler classifies uncategorised records by a model trained on the
// demo's staff-labelled cases.
func TestDemoTrainsModelAtStart(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Demo.Enabled = true
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	h, err := newHandler(cfg, reg, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	// A noise complaint in the demo's words, without a category.
	rec, _ := json.Marshal(map[string]any{"case_id": "c1", "version": 1, "source": "platform", "reported_at": "2025-02-20T10:00:00+08:00",
		"region_code": "150502000000", "parties": 2, "status": "accepted", "summary": "居民反映小区广场舞音响声音过大，每晚持续到十点以后，严重影响休息"})
	row, rej := h(ingest.Message{Value: rec})
	if rej != nil {
		t.Fatalf("rejected: %+v", rej)
	}
	if !strings.HasPrefix(row.CategoryRule, "model:demo-") || row.Category != "neighbor.noise" || row.CategoryConfidence <= 0 {
		t.Errorf("classified %s by %s (%.2f), want neighbor.noise by model:demo-…", row.Category, row.CategoryRule, row.CategoryConfidence)
	}
	cfg.Demo.TrainModel = false
	if h, err = newHandler(cfg, reg, func() time.Time { return now }); err != nil {
		t.Fatal(err)
	}
	if row, _ = h(ingest.Message{Value: rec}); !strings.HasPrefix(row.CategoryRule, "keyword:") {
		t.Errorf("demo.train_model false: rule %s, want a keyword", row.CategoryRule)
	}
}
