package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

// TestMarkdownHTMLEscapesAndKeepsSafeLinks: the robots' markdown becomes
// HTML with its text escaped; links other than http(s) and site-relative
// ones stay text.
func TestMarkdownHTMLEscapesAndKeepsSafeLinks(t *testing.T) {
	got := string(markdownHTML("### 标题<script>alert(1)</script>\n> 接收单位：科尔沁区\n\n**【红色】某镇**\n正文\n" +
		"[查看详情](javascript:alert(1))\n[查看详情](http://127.0.0.1:8080/console/?region=150502000000&x=\"y\")\n"))
	for _, want := range []string{
		"<h3>标题&lt;script&gt;alert(1)&lt;/script&gt;</h3>",
		"<blockquote>接收单位：科尔沁区</blockquote>",
		"<p><strong>【红色】某镇</strong></p>",
		"<p>[查看详情](javascript:alert(1))</p>",
		`<a href="http://127.0.0.1:8080/console/?region=150502000000&amp;x=&#34;y&#34;" target="_blank" rel="noopener noreferrer">查看详情</a>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdownHTML lacks %s in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<script") || strings.Contains(got, `href="javascript`) {
		t.Errorf("markdownHTML let markup through:\n%s", got)
	}
}

// TestDemoInboxReceivesSignedMessagesOnce: the hook keeps a message with a
// valid signature and a recent timestamp once per idempotency key, refuses
// other signatures and stale timestamps, and the page shows a token only
// the centers inside its scope.
func TestDemoInboxReceivesSignedMessagesOnce(t *testing.T) {
	now := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	in := &demoInbox{secret: "s3cret", seen: map[string]bool{}, now: func() time.Time { return now }}
	post := func(p channel.WebhookPayload, secret string, ts time.Time) int {
		body, _ := json.Marshal(p)
		req := httptest.NewRequest("POST", "/console/inbox/hook", strings.NewReader(string(body)))
		req.Header.Set("X-Riskwatch-Timestamp", strconv.FormatInt(ts.Unix(), 10))
		req.Header.Set("X-Riskwatch-Signature", channel.WebhookSignature(secret, ts.Unix(), body))
		rec := httptest.NewRecorder()
		in.receive(rec, req)
		return rec.Code
	}
	msg := func(id, receiver, name, title string) channel.WebhookPayload {
		return channel.WebhookPayload{ID: id, Receiver: receiver, ReceiverName: name, Level: "red", Title: title,
			Text: "### " + title + "\n> 接收单位：" + name + "\n\n**【红色】" + title + "**\n正文\n"}
	}
	if c := post(msg("d1", "150521000000", "科尔沁左翼中旗", "甲预警"), "s3cret", now); c != http.StatusOK {
		t.Fatalf("signed message: %d", c)
	}
	if c := post(msg("d1", "150521000000", "科尔沁左翼中旗", "甲预警"), "s3cret", now.Add(time.Second)); c != http.StatusOK {
		t.Fatalf("retry of the signed message: %d", c)
	}
	if c := post(msg("d2", "150502000000", "科尔沁区", "乙预警"), "s3cret", now); c != http.StatusOK {
		t.Fatalf("second message: %d", c)
	}
	if c := post(msg("d3", "150502000000", "科尔沁区", "伪造"), "other", now); c != http.StatusUnauthorized {
		t.Errorf("message signed with another secret: %d, want 401", c)
	}
	if c := post(msg("d4", "150502000000", "科尔沁区", "过期"), "s3cret", now.Add(-10*time.Minute)); c != http.StatusUnauthorized {
		t.Errorf("message with a 10-minute-old timestamp: %d, want 401", c)
	}
	page := func(scope, query string) (int, string) {
		req := httptest.NewRequest("GET", "/console/inbox"+query, nil)
		req = req.WithContext(api.WithPrincipal(req.Context(), api.Principal{Name: "t", Role: "admin", Scope: scope}))
		rec := httptest.NewRecorder()
		in.page(rec, req)
		return rec.Code, rec.Body.String()
	}
	_, all := page("", "")
	if n := strings.Count(all, `<div class="card wecom">`); n != 2 {
		t.Errorf("%d WeCom cards for two messages (one of them delivered twice), want 2", n)
	}
	for _, bad := range []string{"伪造", "过期"} {
		if strings.Contains(all, bad) {
			t.Errorf("the page shows the refused message %s", bad)
		}
	}
	_, scoped := page("150521", "")
	if !strings.Contains(scoped, "甲预警") || strings.Contains(scoped, "乙预警") {
		t.Errorf("a token scoped to 150521 sees the wrong messages:\n%s", scoped)
	}
	_, one := page("", "?center=150502000000")
	if !strings.Contains(one, "乙预警") || strings.Contains(one, "<h3>甲预警") {
		t.Errorf("?center=150502000000 shows the wrong messages")
	}
	if c, _ := page("", "?center=abc"); c != http.StatusBadRequest {
		t.Errorf("?center=abc: %d, want 400", c)
	}
}
