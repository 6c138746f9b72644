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

// TestEmergingConsole: the console's 新发问题 view lists the latest
// emerging issues in the token's scope with their place, count,
// categories, times and masked representative text for an analyst; its
// link is hidden from a leader's token.
func TestEmergingConsole(t *testing.T) {
	f := setup(t)
	seedEmerging(t, f)
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
		if err := browser.Open(tab, browser.Page{URL: f.http.URL + "/console/?token=" + url.QueryEscape(f.tokens[label]) + "&view=" + view,
			Width: 1400, Height: 900}); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tab, chromedp.Poll[chromedp.Void](`document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'`,
			chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: the console did not finish rendering: %v", label, err)
		}
	}
	open("analyst-kzz", "emerging")
	var rows [][]string
	eval(`Array.from(document.querySelectorAll('#emerging-table tbody tr')).map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.textContent))`, &rows)
	if png, err := browser.Screenshot(tab); err == nil {
		_ = os.WriteFile(filepath.Join(artifactDir(t), "emerging.png"), png, 0o644)
	}
	county, _ := f.reg.Lookup(kzzCode)
	town, _ := f.reg.Lookup(f.town)
	village, _ := f.reg.Lookup(f.reg.Children(f.town)[0].Code)
	if len(rows) != 2 || len(rows[0]) != 5 || rows[0][0] != county.Name+" · "+town.Name+" · "+village.Name || rows[0][1] != "5" ||
		rows[0][2] != "拖欠农民工工资、民间借贷/涉众金融" || rows[0][3] != "2026-09-07 08:30 — 2026-09-09 17:45" ||
		rows[0][4] != "多户反映小区连续停水无人处理" || rows[1][4] != "村民反映土地流转费未兑现（同 FX-0002）" || rows[1][1] != "3" {
		t.Errorf("emerging table %q, want the 5-case issue of %s, then the 3-case one", rows, town.Name)
	}
	var note string
	eval(`document.getElementById('emerging-note').textContent`, &note)
	if !strings.Contains(note, "共 2 个新发问题（截至 2026-09-09") {
		t.Errorf("emerging note %q", note)
	}
	var hidden bool
	eval(`document.querySelector('#nav a[data-view=emerging]').hidden`, &hidden)
	if hidden {
		t.Error("the emerging view is hidden from the analyst")
	}
	open("leader-kzz", "dashboard")
	eval(`document.querySelector('#nav a[data-view=emerging]').hidden`, &hidden)
	if !hidden {
		t.Error("the emerging view is shown to a leader")
	}
}
