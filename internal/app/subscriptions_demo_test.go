package app_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
)

// TestDemoInboxShowsTheSubscribedWeeklyReport: `run --demo` (the shared
// demo run) subscribes the city's leader to the weekly city report; once
// the demo stream is stored and the week computed again from it, the
// report arrives in the demo inbox as a card (受理, 化解率, 超期, 研判结论)
// whose signed link opens the report without a token, while the same link
// bent to another report or a wider scope is refused; the attempt is in
// the delivery log.
func TestDemoInboxShowsTheSubscribedWeeklyReport(t *testing.T) {
	d := sharedDemoRun(t)
	cfg := d.cfg
	m := d.match(t, 5*time.Minute, regexp.MustCompile(`(?s)演示订阅 demo subscription: (\S+) 订阅通辽市周报.*`+
		`(http://127\.0\.0\.1:\d+)/console/inbox\?token=(rwk_[A-Za-z0-9_-]+).*演示数据 demo stream: \d+ records`))
	leader, inbox, token := m[1], m[2]+"/console/inbox", m[3]
	get := func(u, tok string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
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
	card := regexp.MustCompile(`(?s)<div class="card wecom">.*?<h3>【订阅报告】(通辽市[^<]*周报[^<]*)</h3>.*?<strong>受理 (\d+) 件　化解率 ([0-9.]+%|—)　超期 (\d+|—) 件</strong>.*?研判结论：([^<]+)</p>.*?<a href="(http://127\.0\.0\.1:\d+/share/[^"]+)"[^>]*>查看报告</a>`)
	var c []string
	var page string
	for deadline := time.Now().Add(15 * time.Minute); ; time.Sleep(3 * time.Second) {
		s, body := get(inbox, token)
		if s != http.StatusOK {
			t.Fatalf("inbox: %d %s", s, body)
		}
		if c = card.FindStringSubmatch(body); c != nil {
			page = body
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no weekly report card in the inbox within 15 minutes:\n%s", body)
		}
	}
	t.Logf("the weekly report card was there %s after the start of the run: %s, 受理 %s, 化解率 %s, 超期 %s, 研判结论 %s",
		time.Since(d.started).Round(time.Second), c[1], c[2], c[3], c[4], c[5])
	if c[2] == "0" {
		t.Errorf("the card counts 受理 0: the week was not computed again from the stored demo stream")
	}
	if n := strings.Count(page, "<h3>【订阅报告】"); !strings.Contains(page, leader) || n != 2 { // one WeCom and one DingTalk rendering
		t.Errorf("the inbox shows the card %d times (want once as WeCom and once as DingTalk) or lacks %s", n, leader)
	}
	link := html.UnescapeString(c[6])
	s, body := get(link, "")
	if s != http.StatusOK || !strings.Contains(body, c[1]) {
		t.Fatalf("the signed link without a token: %d, the report titled %q not found", s, c[1])
	}
	u, _ := url.Parse(link)
	q := u.Query()
	if q.Get("scope") != "1505" || q.Get("sig") == "" {
		t.Errorf("the link's scope %q, signature %q", q.Get("scope"), q.Get("sig"))
	}
	for name, bent := range map[string]string{
		"another region":  strings.Replace(link, "/150500000000.html", "/150521000000.html", 1),
		"the whole scope": strings.Replace(link, "scope=1505", "scope=", 1),
		"a forged sig":    strings.Replace(link, "sig="+q.Get("sig"), "sig="+strings.Repeat("0", 64), 1),
	} {
		if bent == link {
			t.Fatalf("%s: the link was not changed", name)
		}
		if s, _ := get(bent, ""); s != http.StatusForbidden {
			t.Errorf("the link bent to %s: %d, want 403", name, s)
		}
	}
	// The attempt is in the delivery log: the whole of it, as the demo's
	// warnings delivered after the report push it out of the newest 50.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		var out, errb bytes.Buffer
		if code := app.MainContext(context.Background(), []string{"warnings", "deliveries", "--limit", "1000000", "--config", cfg}, &out, &errb); code != 0 {
			t.Fatalf("warnings deliveries: exit %d %s", code, errb.String())
		}
		if regexp.MustCompile(`demo-inbox-reports\s+report\s+1\s+delivered`).MatchString(out.String()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery log lacks the report's delivery:\n%s", out.String())
		}
	}
}
