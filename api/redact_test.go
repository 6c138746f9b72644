package api

import (
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
