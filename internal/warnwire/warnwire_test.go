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
	if len(def.Routes) != 2 || strings.Join(def.Routes[0].Targets, ",") != "self,county,city" ||
		strings.Join(def.Routes[0].Matchers.Level, ",") != "red" || def.Timing.GroupWait != 30*time.Second ||
		def.Routes[0].Timing.GroupWait != 30*time.Second || def.Routes[0].Digest {
		t.Errorf("default tree %+v / %+v", def, def.Routes[0])
	}
	// The second default child: yellow rule alarms in a daily digest at
	// 08:00 per center, without resolve messages.
	if d := def.Routes[len(def.Routes)-1]; !d.Digest || d.DigestAt != 8*time.Hour || strings.Join(d.Matchers.Kind, ",") != "rule_alarm" ||
		strings.Join(d.Matchers.Level, ",") != "yellow" || *d.SendResolved || strings.Join(d.Targets, ",") != "self,county" ||
		strings.Join(d.GroupBy, ",") != "kind,level" {
		t.Errorf("default digest route %+v", d)
	}
	if c.Digest {
		t.Errorf("a route without digest became one")
	}

	// A configured route may be a digest; a bad time names the key.
	cfg, err = config.Parse([]byte("warnings:\n  routes:\n    - matchers: {kind: rule_alarm, level: [yellow, blue]}\n      digest: \"07:30\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := Route(cfg.Warnings).Routes[0]; !d.Digest || d.DigestAt != 7*time.Hour+30*time.Minute {
		t.Errorf("configured digest route %+v", d)
	}
	if _, err := config.Parse([]byte("warnings:\n  routes:\n    - digest: \"25:00\"\n")); err == nil || !strings.Contains(err.Error(), "warnings.routes[0].digest") {
		t.Errorf("a bad digest time: %v", err)
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
