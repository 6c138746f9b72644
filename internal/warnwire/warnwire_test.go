package warnwire

import (
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/warnings"
)

func TestEngineConfigChecksRegionsAgainstTheRegistry(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ yaml, want string }{
		{"warnings:\n  channels: {h: {type: webhook, url: \"http://127.0.0.1:1/\"}}\n  centers: {\"150599000000\": [h]}\n",
			"warnings.centers.150599000000: not a region"},
		{"warnings:\n  routes:\n    - matchers: {level: red}\n    - matchers: {region: \"150599000000\"}\n",
			"warnings.routes[1].matchers.region: \"150599000000\" is not a region"},
		{"warnings:\n  routes:\n    - routes: [{targets: [self, \"150599000000\"]}]\n",
			"warnings.routes[0].routes[0].targets: \"150599000000\" is not a region"},
	} {
		cfg, err := config.Parse([]byte(c.yaml))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := EngineConfig(cfg.Warnings, reg, "http://x", nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// The configured tree: children inherit the root's timers; an explicit
// group_wait of 0 is kept as "send at once"; without routes the default
// red → city child is added under the configured root.
func TestRouteFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`
warnings:
  group_wait: 0s
  group_interval: 2m
  targets: [self]
  routes:
    - matchers: {kind: supervision}
      targets: [county]
      repeat_interval: 1h
`))
	if err != nil {
		t.Fatal(err)
	}
	r := Route(cfg.Warnings)
	c := r.Routes[0]
	if r.Timing.GroupWait != 0 || r.Timing.GroupInterval != 2*time.Minute || r.Timing.RepeatInterval != 4*time.Hour ||
		c.Timing.GroupWait != 0 || c.Timing.GroupInterval != 2*time.Minute || c.Timing.RepeatInterval != time.Hour ||
		strings.Join(c.Targets, ",") != "county" || strings.Join(c.GroupBy, ",") != "region,kind" || !*c.SendResolved {
		t.Errorf("root %+v child %+v", r.Timing, c)
	}
	def := Route(config.Default().Warnings)
	if len(def.Routes) != 1 || strings.Join(def.Routes[0].Targets, ",") != "self,county,city" ||
		strings.Join(def.Routes[0].Matchers.Level, ",") != "red" || def.Timing.GroupWait != 30*time.Second ||
		def.Routes[0].Timing.GroupWait != 30*time.Second {
		t.Errorf("default tree %+v / %+v", def, def.Routes[0])
	}
	w := &warnings.Warning{Kind: warnings.KindSupervision, Level: warnings.Red}
	if got := r.Match(w); len(got) != 1 || got[0] != c {
		t.Errorf("supervision red matched %v", got)
	}
}

// The configured per-channel timeout reaches the senders (which bound each
// attempt with it), not only the HTTP client.
func TestChannelsCarryTheirTimeout(t *testing.T) {
	cfg, err := config.Parse([]byte("warnings:\n  channels:\n    slow: {type: webhook, url: \"http://127.0.0.1:1/\", timeout: 30s}\n" +
		"    quick: {type: webhook, url: \"http://127.0.0.1:1/\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	chans, err := Channels(cfg.Warnings, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Duration{}
	for _, c := range chans {
		got[c.Name] = c.Timeout
	}
	if got["slow"] != 30*time.Second || got["quick"] != 10*time.Second {
		t.Errorf("channel timeouts %v, want slow 30s and quick 10s", got)
	}
}
