package config

import (
	"strings"
	"testing"
)

// retry.max_permanent_attempts defaults to 3 and must be at least 1.
func TestMaxPermanentAttempts(t *testing.T) {
	if got := Default().Warnings.Retry.MaxPermanentAttempts; got != 3 {
		t.Errorf("default max_permanent_attempts %d, want 3", got)
	}
	c, err := Parse([]byte("warnings:\n  retry: {max_permanent_attempts: 5}\n"))
	if err != nil || c.Warnings.Retry.MaxPermanentAttempts != 5 {
		t.Errorf("max_permanent_attempts 5: %d, %v", c.Warnings.Retry.MaxPermanentAttempts, err)
	}
	_, err = Parse([]byte("warnings:\n  retry: {max_permanent_attempts: 0}\n"))
	if err == nil || !strings.Contains(err.Error(), "warnings.retry.max_permanent_attempts") {
		t.Errorf("max_permanent_attempts 0: %v, want an error naming the key", err)
	}
}

// Redacted hides every place a robot's credential sits: the secret, the
// query (WeCom key, DingTalk token), Feishu's token in the path and user
// info; a generic webhook keeps its path.
func TestWarningsRedactedHidesKeysInPathAndUserInfo(t *testing.T) {
	c, err := Parse([]byte(`
warnings:
  channels:
    fs: {type: feishu, url: "https://open.feishu.cn/open-apis/bot/v2/hook/fs-token-1b2c3d", secret: "fs-secret-9"}
    wc: {type: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wc-key-4e5f"}
    dt: {type: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=dt-token-6a7b"}
    hook: {type: webhook, url: "https://svc:hook-pass-8c9d@intranet.example/riskwatch/hook"}
`))
	if err != nil {
		t.Fatal(err)
	}
	red := c.Warnings.Redacted()
	out, err := Config{Warnings: red}.YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"fs-token", "fs-secret", "wc-key", "dt-token", "hook-pass"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("redacted section still holds %q:\n%s", secret, out)
		}
	}
	for n, want := range map[string]string{
		"fs":   "https://open.feishu.cn/open-apis/bot/v2/hook/redacted",
		"hook": "https://redacted@intranet.example/riskwatch/hook",
		"wc":   "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=redacted",
	} {
		if got := red.Channels[n].URL; got != want {
			t.Errorf("%s: redacted URL %q, want %q", n, got, want)
		}
	}
	if c.Warnings.Channels["fs"].URL != "https://open.feishu.cn/open-apis/bot/v2/hook/fs-token-1b2c3d" {
		t.Error("Redacted changed the original")
	}
}

// A bad channel URL is reported by its key, without its value (which holds
// the robot's key).
func TestBadChannelURLErrorHidesTheValue(t *testing.T) {
	_, err := Parse([]byte("warnings:\n  channels:\n    wc: {type: wecom, url: \"qyapi.weixin.qq.com/send?key=wc-key-0f1e\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "warnings.channels.wc.url") || strings.Contains(err.Error(), "wc-key") {
		t.Errorf("error %v: want one naming warnings.channels.wc.url without the key", err)
	}
}

// warnings.forecast is off by default; its bad values name their keys and
// a route may match the kind forecast.
func TestWarningsForecast(t *testing.T) {
	d := Default().Warnings.Forecast
	if d.Enabled || d.Factor != 1 || d.MinCases != 3 || d.Level != "yellow" {
		t.Errorf("default warnings.forecast %+v", d)
	}
	c, err := Parse([]byte("warnings:\n  forecast: {enabled: true, factor: 1.2, min_cases: 5, level: orange}\n  routes: [{matchers: {kind: forecast}, targets: [self]}]\n"))
	if err != nil || !c.Warnings.Forecast.Enabled || c.Warnings.Forecast.Factor != 1.2 || c.Warnings.Forecast.MinCases != 5 || c.Warnings.Forecast.Level != "orange" {
		t.Errorf("warnings.forecast parsed as %+v, %v", c.Warnings.Forecast, err)
	}
	for yaml, key := range map[string]string{
		"warnings:\n  forecast: {factor: 0}\n":      "warnings.forecast.factor",
		"warnings:\n  forecast: {min_cases: -1}\n":  "warnings.forecast.min_cases",
		"warnings:\n  forecast: {level: purple}\n":  "warnings.forecast.level",
		"warnings:\n  forecast: {enabled: maybe}\n": "enabled",
		"warnings:\n  forecast: {threshold: 3}\n":   "threshold",
	} {
		if _, err := Parse([]byte(yaml)); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", yaml, err, key)
		}
	}
}

// A route may match the kind emerging (新发问题); a kind that does not exist
// names the key.
func TestWarningsRouteMatchesEmerging(t *testing.T) {
	c, err := Parse([]byte("warnings:\n  routes: [{matchers: {kind: emerging}, targets: [town]}]\n"))
	if err != nil || len(c.Warnings.Routes) != 1 {
		t.Fatalf("route on kind emerging: %+v, %v", c.Warnings.Routes, err)
	}
	if _, err := Parse([]byte("warnings:\n  routes: [{matchers: {kind: emergent}, targets: [town]}]\n")); err == nil || !strings.Contains(err.Error(), "kind") {
		t.Errorf("kind emergent: %v, want an error naming the key", err)
	}
}
