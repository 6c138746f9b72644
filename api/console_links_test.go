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

// TestLinksConsole: the console's 关联案件 view lists the links in the
// token's scope with their masked label, counts and case ids for an
// analyst; its link is hidden from a leader's token.
func TestLinksConsole(t *testing.T) {
	f := setup(t)
	seedLinks(t, f)
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
	open("analyst-kzz", "links")
	var rows [][]string
	eval(`Array.from(document.querySelectorAll('#links-table tbody tr')).map(tr => Array.from(tr.querySelectorAll('td')).map(td => td.textContent))`, &rows)
	if png, err := browser.Screenshot(tab); err == nil {
		_ = os.WriteFile(filepath.Join(artifactDir(t), "links.png"), png, 0o644)
	}
	if len(rows) != 2 || len(rows[0]) != 10 || rows[0][0] != "王*" || rows[0][1] != "身份证号" || rows[0][2] != "90天内≥3件" ||
		rows[0][3] != "4" || rows[0][9] != "T-1 T-2 T-3 T-4" || rows[1][0] != "李*" || rows[1][4] != "2" {
		t.Errorf("links table %q, want 王* with 4 cases, then 李* in 2 towns", rows)
	}
	var note string
	eval(`document.getElementById('links-note').textContent`, &note)
	if !strings.Contains(note, "共 2 组关联（截至 2026-09-09") {
		t.Errorf("links note %q", note)
	}
	var hidden bool
	eval(`document.querySelector('#nav a[data-view=links]').hidden`, &hidden)
	if hidden {
		t.Error("the links view is hidden from the analyst")
	}
	open("leader-kzz", "dashboard")
	eval(`document.querySelector('#nav a[data-view=links]').hidden`, &hidden)
	if !hidden {
		t.Error("the links view is shown to a leader")
	}
}
