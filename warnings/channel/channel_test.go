package channel

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/warnings"
)

// The expected signatures below were computed independently with Python's
// hmac/hashlib/base64/urllib, not with this package:
//
//	python3 -c 'import hmac,hashlib,base64,urllib.parse
//	s="SEC0123456789abcdef"; ts=1764115200003
//	sig=base64.b64encode(hmac.new(s.encode(),f"{ts}\n{s}".encode(),hashlib.sha256).digest()).decode()
//	print(sig, urllib.parse.quote_plus(sig))'
//
//	python3 -c 'import hmac,hashlib,base64
//	fs="fs-secret-中文"; t=1764115200
//	print(base64.b64encode(hmac.new(f"{t}\n{fs}".encode(),b"",hashlib.sha256).digest()).decode())'
//
//	python3 -c 'import hmac,hashlib
//	body=b"{\"id\":\"abc\",\"title\":\"\xe7\xba\xa2\"}"
//	print("sha256="+hmac.new(b"hook-secret",b"1764115200."+body,hashlib.sha256).hexdigest())'
func TestSignatureVectors(t *testing.T) {
	if got, want := DingTalkSign("SEC0123456789abcdef", 1764115200000), "p7bGmZp3hKDvy866v4Crjf4zbMHlNht6BWqklR7gTQk="; got != want {
		t.Errorf("DingTalkSign = %s, want %s", got, want)
	}
	if got, want := DingTalkSign("SEC0123456789abcdef", 1764115200003), "qMoEB02mlNLEgzR5CZgjB+YINQCazVU/KzJ034x6gxo="; got != want {
		t.Errorf("DingTalkSign = %s, want %s", got, want)
	}
	u, err := DingTalkURL("https://gw.example.gov.cn/robot/send?access_token=T", "SEC0123456789abcdef", 1764115200003)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "sign=qMoEB02mlNLEgzR5CZgjB%2BYINQCazVU%2FKzJ034x6gxo%3D") || !strings.Contains(u, "timestamp=1764115200003") ||
		!strings.Contains(u, "access_token=T") || !strings.HasPrefix(u, "https://gw.example.gov.cn/robot/send?") {
		t.Errorf("DingTalkURL = %s", u)
	}
	if got, want := FeishuSign("fs-secret-中文", 1764115200), "ACeKzE40lbYshmtLOlsAFHP0hL/HzFSNylY2XRcY6x8="; got != want {
		t.Errorf("FeishuSign = %s, want %s", got, want)
	}
	body := []byte(`{"id":"abc","title":"红"}`)
	if got, want := WebhookSignature("hook-secret", 1764115200, body), "sha256=c6c03ea89637777b647be1539ecd626e35b407ad3342ead2ad1f6f75b07f4449"; got != want {
		t.Errorf("WebhookSignature = %s, want %s", got, want)
	}
}

func note(nFiring int) *warnings.Notification {
	n := &warnings.Notification{ID: "n1", GroupKey: "g", Receiver: "150521000000", ReceiverName: "科尔沁左翼中旗",
		Reason: warnings.ReasonFirst, CreatedAt: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
	for i := range nFiring {
		n.Firing = append(n.Firing, warnings.Warning{ID: strings.Repeat("a", i%7+1), Level: warnings.Orange, Kind: warnings.KindRuleAlarm,
			Title: "保康镇发生群体性矛盾纠纷（劳资纠纷）", Body: "案件 C-1，涉及40人。", Link: "http://x/console/?region=150521100000",
			State: warnings.Firing, Region: "150521100000", RegionName: "保康镇"})
	}
	return n
}

func TestTruncateUTF8(t *testing.T) {
	cases := []struct {
		in     string
		limit  int
		suffix string
		want   string
	}{
		{"短文本", 100, "…", "短文本"},
		{"第一行\n第二行\n第三行", 23, "…", "第一行\n第二行\n…"}, // 20 bytes + "…" fit: cut after the 2nd line
		{"第一行\n第二行\n第三行", 22, "…", "第一行\n…"},      // the 2nd line's break does not fit
		{"一二三四五", 10, "", "一二三"},                  // no line break: rune boundary (9 bytes)
		{"一二三四五", 8, "", "一二"},
		{"ab\n一二三四五六七八", 12, "…", "ab\n一二…"}, // the break keeps under half the room: rune boundary
		{"ab\n一二三四五六七八", 7, "…", "ab\n…"},    // the break keeps at least half
	}
	for _, c := range cases {
		if got := TruncateUTF8(c.in, c.limit, c.suffix); got != c.want {
			t.Errorf("TruncateUTF8(%q, %d) = %q, want %q", c.in, c.limit, got, c.want)
		}
	}
}

func TestWeComBodyFitsLimit(t *testing.T) {
	n := note(200) // far more than 4096 bytes of markdown
	if len(n.Markdown()) <= WeComMaxBytes {
		t.Fatalf("test notification too short: %d bytes", len(n.Markdown()))
	}
	b, err := WeComBody(n)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	c := got.Markdown.Content
	if got.MsgType != "markdown" || len(c) > 4096 || len(c) < 3500 || !utf8.ValidString(c) {
		t.Fatalf("msgtype %q, content %d bytes, valid %v", got.MsgType, len(c), utf8.ValidString(c))
	}
	if !strings.HasSuffix(c, "已截断，请点击链接查看）") || !strings.HasPrefix(c, "### 【橙色预警】") {
		t.Errorf("content does not start with the title or end with the cut notice: %q … %q", c[:40], c[len(c)-60:])
	}
	// Cut on a line boundary: the line before the notice is whole.
	body := strings.TrimSuffix(c, truncated)
	if !strings.HasSuffix(body, "\n") {
		t.Errorf("not cut at a line end: %q", body[len(body)-40:])
	}
}

type recorded struct {
	url    string
	header http.Header
	body   []byte
}

func recorder(t *testing.T, answer func(n int) (int, string)) (*httptest.Server, func() []recorded) {
	var mu sync.Mutex
	var got []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, recorded{url: r.URL.String(), header: r.Header.Clone(), body: b})
		n := len(got)
		mu.Unlock()
		code, body := answer(n)
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded { mu.Lock(); defer mu.Unlock(); return append([]recorded(nil), got...) }
}

func fixedNow() time.Time { return time.Unix(1764115200, 3_000_000) }

func TestRobotsReadTheBody(t *testing.T) {
	for _, c := range []struct {
		typ, answer string
		code        int
		ok          bool
	}{
		{TypeWeCom, `{"errcode":0,"errmsg":"ok"}`, 200, true},
		{TypeWeCom, `{"errcode":45009,"errmsg":"api freq out of limit"}`, 200, false},
		{TypeDingTalk, `{"errcode":0,"errmsg":"ok"}`, 200, true},
		{TypeDingTalk, `{"errcode":310000,"errmsg":"sign not match"}`, 200, false},
		{TypeFeishu, `{"code":0,"msg":"success","data":{}}`, 200, true},
		{TypeFeishu, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, 200, false},
		{TypeFeishu, `<html>gateway</html>`, 200, false},
		{TypeWeCom, `{"errcode":0}`, 502, false},
	} {
		srv, got := recorder(t, func(int) (int, string) { return c.code, c.answer })
		ch, err := New(Options{Type: c.typ, URL: srv.URL + "/hook?access_token=T", Secret: "SEC0123456789abcdef", Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		res := ch.Send(context.Background(), note(1), "d1")
		if (res.Err == nil) != c.ok {
			t.Errorf("%s answering %d %s: err %v, want ok=%v", c.typ, c.code, c.answer, res.Err, c.ok)
		}
		if res.StatusCode != c.code || res.Response != c.answer {
			t.Errorf("%s: logged status %d response %q", c.typ, res.StatusCode, res.Response)
		}
		reqs := got()
		if len(reqs) != 1 {
			t.Fatalf("%s: %d requests", c.typ, len(reqs))
		}
		r := reqs[0]
		switch c.typ {
		case TypeDingTalk:
			if !strings.Contains(r.url, "timestamp=1764115200003") || !strings.Contains(r.url, "sign=qMoEB02mlNLEgzR5CZgjB%2BYINQCazVU%2FKzJ034x6gxo%3D") {
				t.Errorf("dingtalk url %s", r.url)
			}
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct{ Title, Text string }
			}
			if err := json.Unmarshal(r.body, &m); err != nil || m.MsgType != "markdown" || !strings.Contains(m.Markdown.Text, "保康镇") {
				t.Errorf("dingtalk body %s (%v)", r.body, err)
			}
		case TypeFeishu:
			var m struct {
				Timestamp, Sign string
				MsgType         string `json:"msg_type"`
			}
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatal(err)
			}
			// Independent vector for this secret and second (python3 as above with
			// fs="SEC0123456789abcdef", t=1764115200).
			if m.Timestamp != "1764115200" || m.Sign != "m+S/M6mV3qNUqJgtMMzwLf8/HXOP1YfzHj9mXa9uOac=" || m.MsgType != "post" {
				t.Errorf("feishu body %s", r.body)
			}
		}
	}
}

func TestWebhookHeaders(t *testing.T) {
	srv, got := recorder(t, func(n int) (int, string) {
		if n == 1 {
			return 503, "busy"
		}
		return 202, "accepted"
	})
	ch, err := New(Options{Type: TypeWebhook, URL: srv.URL, Secret: "hook-secret", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	n := note(2)
	if res := ch.Send(context.Background(), n, "key-1"); res.Err == nil || res.StatusCode != 503 || res.Response != "busy" {
		t.Fatalf("503 answer: %+v", res)
	}
	if res := ch.Send(context.Background(), n, "key-1"); res.Err != nil || res.StatusCode != 202 {
		t.Fatalf("202 answer: %+v", res)
	}
	reqs := got()
	for _, r := range reqs {
		if r.header.Get("Idempotency-Key") != "key-1" || r.header.Get("X-Riskwatch-Timestamp") != "1764115200" {
			t.Errorf("headers %v", r.header)
		}
		if sig := r.header.Get("X-Riskwatch-Signature"); sig != WebhookSignature("hook-secret", 1764115200, r.body) || !strings.HasPrefix(sig, "sha256=") {
			t.Errorf("signature %s does not verify", sig)
		}
		var p WebhookPayload
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != "key-1" || p.Status != "firing" || p.Level != "orange" || len(p.Warnings) != 2 || p.Receiver != "150521000000" {
			t.Errorf("payload %+v", p)
		}
	}
}

func TestFeishuBodyStructuredAndBounded(t *testing.T) {
	b, err := FeishuBody(note(1), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		MsgType string `json:"msg_type"`
		Content struct {
			Post struct {
				ZhCN struct {
					Title   string
					Content [][]map[string]string
				} `json:"zh_cn"`
			}
		}
		Sign *string
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	c := m.Content.Post.ZhCN
	if m.MsgType != "post" || c.Title != "【橙色预警】保康镇发生群体性矛盾纠纷（劳资纠纷）" || len(c.Content) != 3 || m.Sign != nil {
		t.Fatalf("post %s", b)
	}
	link := c.Content[2][1]
	if link["tag"] != "a" || link["href"] != "http://x/console/?region=150521100000" || c.Content[1][0]["text"] != "【橙色】保康镇发生群体性矛盾纠纷（劳资纠纷）" {
		t.Errorf("paragraphs %v", c.Content)
	}
	big, err := FeishuBody(note(400), "s", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(big) > 20*1024 || !strings.Contains(string(big), "另有") {
		t.Errorf("400 warnings: %d bytes, cut notice present %v", len(big), strings.Contains(string(big), "另有"))
	}
}

// Errors a retry cannot cure are marked permanent, so that the outbox
// dead-letters them instead of blocking the channel; rate limits, server
// errors and timeouts are not.
func TestPermanentErrorsAreClassified(t *testing.T) {
	for _, c := range []struct {
		typ, answer string
		code        int
		permanent   bool
	}{
		{TypeWeCom, `{"errcode":93000,"errmsg":"invalid webhook url"}`, 200, true},
		{TypeWeCom, `{"errcode":45009,"errmsg":"api freq out of limit"}`, 200, false},
		{TypeWeCom, `{"errcode":-1,"errmsg":"system busy"}`, 200, false},
		{TypeDingTalk, `{"errcode":310000,"errmsg":"keywords not in content"}`, 200, true},
		{TypeDingTalk, `{"errcode":130101,"errmsg":"send too fast"}`, 200, false},
		{TypeFeishu, `{"code":9499,"msg":"Bad Request"}`, 200, true},
		{TypeFeishu, `{"code":19021,"msg":"sign match fail"}`, 200, true},
		{TypeFeishu, `{"code":19022,"msg":"ip not allowed"}`, 200, true},
		{TypeFeishu, `{"code":19024,"msg":"Key Words Not Found"}`, 200, true},
		{TypeFeishu, `{"code":11232,"msg":"frequency limited"}`, 200, false},
		{TypeWeCom, `not found`, 404, true},
		{TypeDingTalk, `slow down`, 429, false},
		{TypeFeishu, `timeout`, 408, false},
		{TypeFeishu, `bad gateway`, 502, false},
		{TypeWebhook, `no such receiver`, 400, true},
		{TypeWebhook, `gone`, 410, true},
		{TypeWebhook, `slow down`, 429, false},
		{TypeWebhook, `busy`, 503, false},
	} {
		srv, _ := recorder(t, func(int) (int, string) { return c.code, c.answer })
		ch, err := New(Options{Type: c.typ, URL: srv.URL + "/hook?key=K", Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		res := ch.Send(context.Background(), note(1), "d1")
		if res.Err == nil || res.Permanent != c.permanent {
			t.Errorf("%s answering %d %s: err %v permanent %v, want permanent=%v", c.typ, c.code, c.answer, res.Err, res.Permanent, c.permanent)
		}
	}
}

// A connection error names scheme and host only: the robot's key or token
// in the URL's query, path or user info never reaches the delivery log.
func TestConnectionErrorHidesTheKey(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // refused from now on
	for _, c := range []struct{ typ, url string }{
		{TypeWeCom, "http://" + addr + "/cgi-bin/webhook/send?key=wecom-key-693a91f6"},
		{TypeDingTalk, "http://" + addr + "/robot/send?access_token=ding-token-5f2c"},
		{TypeFeishu, "http://" + addr + "/open-apis/bot/v2/hook/feishu-token-8b1e"},
		{TypeWebhook, "http://user:hook-pass-77a1@" + addr + "/hook/path-token-c3d4"},
	} {
		ch, err := New(Options{Type: c.typ, URL: c.url, Secret: "SECsecret", Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		res := ch.Send(context.Background(), note(1), "d1")
		if res.Err == nil {
			t.Fatalf("%s: no error from a refused connection", c.typ)
		}
		msg := res.Err.Error()
		for _, secret := range []string{"wecom-key", "ding-token", "feishu-token", "hook-pass", "path-token", "/robot/send", "SECsecret"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s: error %q holds %q", c.typ, msg, secret)
			}
		}
		if !strings.Contains(msg, "http://"+addr) || !strings.Contains(msg, "refused") {
			t.Errorf("%s: error %q does not say where and why", c.typ, msg)
		}
	}
	// Nor does a configuration error print the URL.
	if _, err := New(Options{Type: TypeWeCom, URL: "qyapi/cgi-bin/webhook/send?key=bad-key-123"}); err == nil ||
		strings.Contains(err.Error(), "bad-key-123") {
		t.Errorf("New with a bad URL: %v", err)
	}
}

// One long line after a short heading: the cut keeps nearly all the room,
// not just the heading (the last line break is too early to use).
func TestWeComTruncationOfOneLongLine(t *testing.T) {
	md := "## 预警\n" + strings.Repeat("保康镇发生群体性矛盾纠纷，", 400)
	got := TruncateUTF8(md, WeComMaxBytes, truncated)
	if len(got) > WeComMaxBytes || len(got) < WeComMaxBytes-len(truncated)-3 || !utf8.ValidString(got) ||
		!strings.HasSuffix(got, truncated) || !strings.HasPrefix(got, "## 预警\n保康镇") {
		t.Errorf("cut to %d bytes (valid %v): %.80q…", len(got), utf8.ValidString(got), got)
	}
}
