package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/internal/browser"
)

// TestDemoInboxShowsWhatTheCentersReceive: `run --demo` produces the two
// years up to today, then starts its trickle; without warnings.centers it
// prints the demo inbox's link; the engine pushes the
// demo's rule alarms to the inbox's signed webhook, and the page (behind
// the console's token check) shows them as the WeCom and DingTalk cards
// the centers would get.
func TestDemoInboxShowsWhatTheCentersReceive(t *testing.T) {
	base := readFile(t, testConfig(t))
	base = strings.Replace(base, "reports:\n", "reports:\n  startup: false\n", 1)
	base = strings.Replace(base, "warnings:\n", "warnings:\n  group_wait: 0s\n", 1)
	cfg := writeConfig(t, base+"demo:\n  ground_truth: "+filepath.Join(t.TempDir(), "gt.csv")+
		"\n  rate: 600\njobs:\n  enabled: false\n")
	// The stream reaches the clock at start (its last case within the day
	// before: a few dozen cases a day, few at night), and the trickle
	// follows it, at the highest demo.rate.
	cst := time.FixedZone("CST", 8*3600)
	started := time.Now()
	m := startRunWithin(t, 5*time.Minute, regexp.MustCompile(`(?s)(http://127\.0\.0\.1:\d+)/console/inbox\?token=(rwk_[A-Za-z0-9_-]+).*`+
		`演示数据 demo stream: \d+ records up to (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) .*演示数据 demo trickle: about 600 new cases a minute`), "run", "--demo", "--config", cfg)
	inbox, token := m[1]+"/console/inbox", m[2]
	if last, err := time.ParseInLocation("2006-01-02 15:04", m[3], cst); err != nil {
		t.Errorf("the demo stream's end %q: %v", m[3], err)
	} else if last.Before(started.Add(-24*time.Hour)) || last.After(time.Now()) {
		t.Errorf("the demo stream ends at %s, want within the day before the start (%s)", m[3], started.In(cst).Format("2006-01-02 15:04"))
	}
	get := func(url, tok string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, _ := get(inbox, ""); s != http.StatusUnauthorized {
		t.Errorf("inbox without a token: %d, want 401", s)
	}
	if s, _ := get(inbox, "rwk_"+strings.Repeat("A", 43)); s != http.StatusUnauthorized {
		t.Errorf("inbox with a made-up token: %d, want 401", s)
	}
	card := regexp.MustCompile(`(?s)<div class="card wecom">.*?<h3>(.*?预警.*?)</h3>.*?<strong>【(红色|橙色|黄色|蓝色)】.*?<a href="http://127\.0\.0\.1:\d+/[^"]*"[^>]*>查看详情</a>`)
	var page string
	for deadline := time.Now().Add(4 * time.Minute); ; time.Sleep(2 * time.Second) {
		s, body := get(inbox, token)
		if s != http.StatusOK {
			t.Fatalf("inbox with the printed token: %d %s", s, body)
		}
		// A card, and a red alarm pushed to the city too (the trickle's
		// alarms arrive over its first seconds: at 600 cases a minute, its
		// first red one comes about 20 s after the start, at 60 about
		// 3.5 min).
		if card.MatchString(body) && strings.Contains(body, "通辽市") {
			page = body
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning card (and none for 通辽市) in the inbox within 4 minutes:\n%s", body)
		}
	}
	for _, want := range []string{"钉钉机器人", "企业微信群机器人", "接收单位：", "通辽市"} {
		if !strings.Contains(page, want) {
			t.Errorf("the inbox page lacks %q", want)
		}
	}
	// No flood of history: the two years produced at start are stored,
	// but only the alarms of cases reported within the rule alarms' TTL
	// (24 h) before the start, and those of the trickle, are pushed.
	time.Sleep(5 * time.Second)
	_, page = get(inbox, token)
	floor := started.Add(-24*time.Hour - time.Minute)
	var oldest time.Time
	reported := regexp.MustCompile(`(\d{4}-\d{2}-\d{2} \d{2}:\d{2})受理`).FindAllStringSubmatch(page, -1)
	for _, m := range reported {
		at, err := time.ParseInLocation("2006-01-02 15:04", m[1], cst)
		if err != nil {
			t.Fatal(err)
		}
		if oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
	}
	if len(reported) == 0 {
		t.Errorf("no case report time on the inbox page")
	} else if oldest.Before(floor) {
		t.Errorf("the inbox shows an alarm of a case reported %s, more than 24 h before the start (%s): history was pushed",
			oldest.Format(time.DateTime), started.In(cst).Format(time.DateTime))
	}
	total := regexp.MustCompile(`接收单位（共 (\d+) 条）`).FindStringSubmatch(page)
	if total == nil {
		t.Fatalf("no message count on the inbox page")
	}
	t.Logf("inbox %s after the start: %s messages; the oldest case shown was reported %s", time.Since(started).Round(time.Second), total[1], oldest.Format(time.DateTime))
	screenshotInbox(t, inbox+"?token="+url.QueryEscape(token))

	// A request with the signature of another secret is refused.
	req, _ := http.NewRequest("POST", inbox+"/hook", strings.NewReader(`{"id":"x","receiver":"150500000000","title":"伪造"}`))
	req.Header.Set("X-Riskwatch-Timestamp", "1765000000")
	req.Header.Set("X-Riskwatch-Signature", "sha256="+strings.Repeat("0", 64))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned post to the hook: %d, want 401", resp.StatusCode)
	}
}

// screenshotInbox opens the inbox in headless Chromium with the printed
// token (moved into the console's cookie), waits for a WeCom card and
// saves a PNG as an artefact: $RISKWATCH_ARTIFACTS/inbox/inbox.png, or in
// the test's temporary directory. The page asks nothing of other hosts.
func screenshotInbox(t *testing.T, link string) {
	t.Helper()
	if _, err := browser.Path(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires Chromium", err)
		}
		t.Skip(err)
	}
	b, err := browser.Start(context.Background(), browser.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeTab()
	if err := browser.Open(tab, browser.Page{URL: link, Width: 1280, Height: 1000, Timeout: time.Minute,
		Ready: `document.querySelector('.card.wecom .body h3') !== null && document.querySelector('.card.ding .body h3') !== null`}); err != nil {
		t.Fatalf("inbox in the browser: %v", err)
	}
	// The first screen (the whole page holds up to 100 messages).
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("cannot take a screenshot of the inbox: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) || len(png) < 10000 {
		t.Fatalf("the screenshot is not a PNG of a page (%d bytes)", len(png))
	}
	dir := t.TempDir()
	if d := os.Getenv("RISKWATCH_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "inbox")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "inbox.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("inbox screenshot: %s", filepath.Join(dir, "inbox.png"))
	// On a phone the page does not scroll sideways.
	if err := browser.Open(tab, browser.Page{URL: link, Width: 390, Height: 844, Timeout: time.Minute,
		Ready: `document.querySelector('.card.wecom .body h3') !== null`}); err != nil {
		t.Fatalf("inbox in the browser at 390 px: %v", err)
	}
	sizes, err := chromedp.Run(tab, chromedp.Evaluate[[2]float64](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if sizes[0] > sizes[1] {
		t.Errorf("the inbox is %v px wide on a %v px screen: it scrolls sideways", sizes[0], sizes[1])
	}
	if png, err := chromedp.Run(tab, chromedp.CaptureScreenshot()); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "inbox_390.png"), png, 0o644)
	}
	if ext := b.External(); len(ext) > 0 {
		t.Errorf("the inbox page asked other hosts: %v", ext)
	}
}
