package app_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/internal/app"
)

// `riskwatch subscriptions add|list|remove`: a subscription is stored and
// listed with the configured ones; one naming a region outside its owner's
// scope, an unknown kind or channel is refused naming the flag; a
// configured subscription cannot be removed from the command line.
func TestSubscriptionsCommand(t *testing.T) {
	cfg := writeConfig(t, strings.Replace(readFile(t, testConfig(t)), "warnings:\n", `warnings:
  channels:
    city-robot: {type: wecom, url: "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"}
    kzz-mail: {type: email, url: "smtp://127.0.0.1:25", from: "riskwatch@example.org", to: ["kzz@example.org"]}
`, 1)+`subscriptions:
  list:
    - leader: 市政法委书记
      scope: "150500000000"
      kind: week
      channels: [city-robot]
`)
	run := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := app.MainContext(context.Background(), append(append([]string{"subscriptions"}, args...), "--config", cfg), &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "--leader", "科左中旗书记", "--scope", "150521000000", "--region", "150500000000", "--kind", "week", "--channels", "city-robot"},
			"--region: 150500000000 通辽市 is outside the owner's scope 150521000000"},
		{[]string{"add", "--center", "150521000000", "--region", "150522000000", "--kind", "week", "--channels", "kzz-mail"}, "outside the owner's scope"},
		{[]string{"add", "--center", "150521000000", "--kind", "quarter", "--channels", "kzz-mail"}, `--kind: "quarter" is not a report kind`},
		{[]string{"add", "--center", "150521000000", "--kind", "week", "--channels", "nope"}, `--channels: "nope" is not defined`},
		{[]string{"add", "--leader", "某领导", "--kind", "week", "--channels", "city-robot"}, "--scope"},
	} {
		code, _, errs := run(c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, errs, c.want)
		}
	}
	code, out, errs := run("add", "--center", "150521", "--kind", "month", "--channels", "kzz-mail")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errs)
	}
	id := regexp.MustCompile(`sub_[0-9a-f]{12}`).FindString(out)
	if id == "" || !strings.Contains(out, "科尔沁左翼中旗综治中心 订阅 科尔沁左翼中旗 月报") {
		t.Fatalf("add: %q", out)
	}
	if code, _, errs := run("add", "--center", "150521", "--kind", "month", "--channels", "kzz-mail"); code == 0 || !strings.Contains(errs, "exists already") {
		t.Errorf("adding it twice: exit %d %q", code, errs)
	}
	_, out, _ = run("list")
	if !strings.Contains(out, id) || !strings.Contains(out, "市政法委书记") || !strings.Contains(out, "config") || !strings.Contains(out, "共 2 条") {
		t.Errorf("list:\n%s", out)
	}
	cfgID := regexp.MustCompile(`(sub_[0-9a-f]{12})\s+市政法委书记`).FindStringSubmatch(out)
	if cfgID == nil {
		t.Fatalf("list lacks the configured subscription:\n%s", out)
	}
	if code, _, errs := run("remove", cfgID[1]); code == 0 || !strings.Contains(errs, "in the configuration file") {
		t.Errorf("removing a configured subscription: exit %d %q", code, errs)
	}
	if code, out, errs := run("remove", id); code != 0 || !strings.Contains(out, "已删除订阅 "+id) {
		t.Errorf("remove: exit %d %q %q", code, out, errs)
	}
	_, out, _ = run("list")
	if strings.Contains(out, id) || !strings.Contains(out, "共 1 条") {
		t.Errorf("list after remove:\n%s", out)
	}
	if code, _, _ := run("remove", id); code != 2 {
		t.Errorf("removing it again: exit %d, want 2", code)
	}
}
