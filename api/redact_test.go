package api

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedactURLs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`Post "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET": dial tcp: i/o timeout`,
			`Post "https://qyapi.weixin.qq.com/…": dial tcp: i/o timeout`},
		{`{"errmsg":"invalid webhook url https:\/\/qyapi.weixin.qq.com\/cgi-bin\/webhook\/send?key=SECRET"}`,
			`{"errmsg":"invalid webhook url https:\/\/qyapi.weixin.qq.com\/…"}`},
		{"https://oapi.dingtalk.com/robot/send?access_token=SECRET&timestamp=1&sign=SECRET", "https://oapi.dingtalk.com/…"},
		{"https://open.feishu.cn/open-apis/bot/v2/hook/SECRET", "https://open.feishu.cn/…"},
		{"http://user:SECRET@hooks.example.com:8080", "http://hooks.example.com:8080"},
		{"HTTPS://HOST.example/x?KEY=SECRET", "HTTPS://HOST.example/…"},
		{"bare query send?key=SECRET&x=1 and token=SECRET", "bare query send?key=…&x=1 and token=…"},
		{"status 500 from https://example.com/", "status 500 from https://example.com/"},
		{"no url here", "no url here"},
	} {
		got := redactURLs(c.in)
		if got != c.want {
			t.Errorf("redactURLs(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("redactURLs(%q) keeps the secret: %q", c.in, got)
		}
	}
}

// TestQueryFailureLogHasNoToken: the server log line of a failed query
// keeps the path and query without the token in any spelling.
func TestQueryFailureLogHasNoToken(t *testing.T) {
	tok, _, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	body := tok[len(tokenPrefix):]
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	for _, target := range []string{"/api/kpis/" + tok + "?x=rwk%5F" + body, "/api/kpis?x=%72wk_" + body + "&token[]=" + tok + "&region=150521"} {
		r := httptest.NewRequest("GET", target, nil)
		writeErr(httptest.NewRecorder(), r, errors.New("store down"), log)
	}
	out := buf.String()
	if strings.Contains(out, body[:20]) {
		t.Errorf("the log holds the token:\n%s", out)
	}
	if !strings.Contains(out, "region=150521") || !strings.Contains(out, "store down") {
		t.Errorf("the log lost the request:\n%s", out)
	}
}
