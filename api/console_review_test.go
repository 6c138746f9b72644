package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// TestReviewList: /api/cases?review=1 holds the case the model was unsure
// of, with its rule and confidence, and the console's 分类复核 view shows
// it to an admin; the view's link is hidden from a leader's token.
func TestReviewList(t *testing.T) {
	f := setup(t)
	const period = "from=2026-06-01&to=2026-08-31"
	status, body := f.get(t, "admin", "/api/cases?review=1&"+period)
	var res struct {
		Total       uint64           `json:"total"`
		Sort        string           `json:"sort"`
		ReviewBelow float64          `json:"review_below"`
		Rows        []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(body, &res); status != 200 || err != nil {
		t.Fatalf("%d %v %s", status, err, body)
	}
	if res.Total != 1 || len(res.Rows) != 1 || res.Rows[0]["category_rule"] != "model:fixture" ||
		res.Rows[0]["category_confidence"].(float64) < 0.29 || res.Sort != "category_confidence" || res.ReviewBelow != 0.6 {
		t.Fatalf("review list %+v", res)
	}
	if status, _ := f.get(t, "admin", "/api/cases?review=maybe&"+period); status != 400 {
		t.Errorf("review=maybe: %d, want 400", status)
	}

	b := startBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTab()
	eval := func(js string, out any) {
		t.Helper()
		raw, err := chromedp.Run(tab, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("evaluate %s: %v (%s)", js, err, raw)
		}
	}
	open := func(label, view string) {
		t.Helper()
		if err := browser.Open(tab, browser.Page{URL: f.http.URL + "/console/?token=" + url.QueryEscape(f.tokens[label]) + "&view=" + view + "&" + period,
			Width: 1400, Height: 900}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](`document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'`,
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: the console did not finish rendering: %v", label, err)
		}
	}
	open("admin", "review")
	var cells []string
	eval(`Array.from(document.querySelectorAll('#review-table tbody tr:first-child td')).map(td => td.textContent)`, &cells)
	if png, err := browser.Screenshot(tab); err == nil {
		_ = os.WriteFile(filepath.Join(artifactDir(t), "review.png"), png, 0o644)
	}
	if len(cells) != 6 || cells[3] != "30.0%" || cells[4] != "fixture" || cells[5] == "" {
		t.Errorf("review table's first row %q, want confidence 30.0%%, version fixture and a summary", cells)
	}
	var note string
	eval(`document.getElementById('review-note').textContent`, &note)
	if !strings.Contains(note, "共 1 件置信度低于 60.0%") {
		t.Errorf("review note %q", note)
	}
	var hidden bool
	eval(`document.querySelector('#nav a[data-view=review]').hidden`, &hidden)
	if hidden {
		t.Error("the review link is hidden from the admin")
	}
	open("leader-kzz", "dashboard")
	eval(`document.querySelector('#nav a[data-view=review]').hidden`, &hidden)
	if !hidden {
		t.Error("the review link is shown to a leader")
	}
}
