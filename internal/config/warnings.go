package config

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Warnings configures the warnings pushed to the centers (section
// `warnings`): where the engine keeps its outbox, how often it
// polls, the routing tree, inhibition, the centers' channels and the
// retries. See docs/warnings.md.
type Warnings struct {
	// Enabled runs the warning engine inside `riskwatch run`.
	Enabled bool `yaml:"enabled"`
	// Outbox is the bbolt file that holds the engine's state and every
	// notification until it is delivered.
	Outbox string `yaml:"outbox"`
	// Tick is how often the engine evaluates (and polls rule alarms).
	Tick time.Duration `yaml:"tick"`
	// SnapshotEvery is how often the index results are re-read.
	SnapshotEvery time.Duration `yaml:"snapshot_every"`
	// RuleAlarmTTL is how long a rule alarm (an event) stays firing.
	RuleAlarmTTL time.Duration `yaml:"rule_alarm_ttl"`
	// Bands are the risk-index bands that raise a warning.
	Bands StringList `yaml:"bands"`
	// StatLevel is the colour of a statistical alarm.
	StatLevel string `yaml:"stat_level"`
	// EscalateAfter: an unacknowledged red warning is sent one level up
	// (EscalateLevels) after this long; 0 turns escalation off.
	EscalateAfter  time.Duration `yaml:"escalate_after"`
	EscalateLevels int           `yaml:"escalate_levels"`
	// The root route, which matches every warning: its targets, grouping
	// and timers are what the routes below inherit. Defaults: targets
	// [self, county], group_by [region, kind], group_wait 30s,
	// group_interval 5m, repeat_interval 4h, send_resolved true.
	Targets        StringList     `yaml:"targets"`
	GroupBy        StringList     `yaml:"group_by"`
	GroupWait      *time.Duration `yaml:"group_wait"`
	GroupInterval  *time.Duration `yaml:"group_interval"`
	RepeatInterval *time.Duration `yaml:"repeat_interval"`
	SendResolved   *bool          `yaml:"send_resolved"`
	// Routes are the root's children. Empty: a red warning also goes to
	// the city ([self, county, city]), and yellow rule alarms go into a
	// daily digest per center at 08:00 (warnings.DefaultRoutes).
	Routes []WarningRoute `yaml:"routes"`
	// InhibitRules mute target warnings while a source warning fires with
	// equal labels. Empty: a red warning mutes the yellow and blue ones of
	// the same kind and region (an orange one is still sent).
	InhibitRules []WarningInhibitRule `yaml:"inhibit_rules"`
	// Centers maps a center's region code to its channel names; "*" serves
	// every center without its own entry.
	Centers map[string]StringList `yaml:"centers"`
	// Channels by name.
	Channels map[string]WarningChannel `yaml:"channels"`
	Retry    WarningRetry              `yaml:"retry"`
	// MaxSilence bounds how long one silence may last (from its start, or
	// from now when it started earlier); a longer one is refused.
	MaxSilence time.Duration `yaml:"max_silence"`
	// Forecast is the forecast warning (预测预警): next week's 80 % lower
	// bound of a series above its unit's threshold. Off by default (see
	// docs/forecast.md for the evaluation).
	Forecast WarningForecast `yaml:"forecast"`
}

// WarningForecast configures the forecast warnings (warnings.forecast).
type WarningForecast struct {
	Enabled bool `yaml:"enabled"`
	// Factor multiplies the unit's threshold (the detectors' upper bound)
	// that the 80 % lower bound must exceed (default 1).
	Factor float64 `yaml:"factor"`
	// MinCases is the smallest 80 % lower bound that warns (default 3).
	MinCases float64 `yaml:"min_cases"`
	// Level is the warning's colour (default yellow).
	Level string `yaml:"level"`
}

// StringList is a YAML list of strings that also accepts a single string.
type StringList []string

// UnmarshalYAML accepts `x` as well as `[x, y]`.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = StringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

// WarningMatchers select warnings by label; every given key must match one
// of its values. region matches a region and everything below it.
type WarningMatchers struct {
	Level    StringList `yaml:"level"`
	Kind     StringList `yaml:"kind"`
	Category StringList `yaml:"category"`
	Rule     StringList `yaml:"rule"`
	Region   StringList `yaml:"region"`
}

// WarningRoute is a node of the routing tree (Alertmanager's route).
type WarningRoute struct {
	Matchers WarningMatchers `yaml:"matchers"`
	// Targets are the centers: self, parent, town, county, city (relative
	// to the warning's region) or region codes. Empty inherits.
	Targets  StringList `yaml:"targets"`
	GroupBy  StringList `yaml:"group_by"`
	Continue bool       `yaml:"continue"`
	// Timers; nil inherits (the root's defaults: 30s, 5m, 4h).
	GroupWait      *time.Duration `yaml:"group_wait"`
	GroupInterval  *time.Duration `yaml:"group_interval"`
	RepeatInterval *time.Duration `yaml:"repeat_interval"`
	SendResolved   *bool          `yaml:"send_resolved"`
	// Digest "HH:MM" makes the route a daily digest sent at that time of
	// day (Asia/Shanghai) instead of after its timers; "" (the default)
	// sends at once. Not inherited.
	Digest string         `yaml:"digest"`
	Routes []WarningRoute `yaml:"routes"`
}

// DigestAt parses a route's digest time: the time of day and whether the
// route is a digest.
func (r WarningRoute) DigestAt() (time.Duration, bool, error) {
	if r.Digest == "" {
		return 0, false, nil
	}
	t, err := time.Parse("15:04", r.Digest)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not a time of day HH:MM", r.Digest)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true, nil
}

// WarningInhibitRule is one inhibition rule.
type WarningInhibitRule struct {
	Source WarningMatchers `yaml:"source"`
	Target WarningMatchers `yaml:"target"`
	Equal  StringList      `yaml:"equal"`
}

// WarningChannel is one delivery channel. The URL (which holds the robot's
// key) and the secret may come from the environment or a file instead of
// the configuration file.
type WarningChannel struct {
	Type       string `yaml:"type"` // webhook, wecom, dingtalk, feishu, email
	URL        string `yaml:"url"`
	URLEnv     string `yaml:"url_env"`
	URLFile    string `yaml:"url_file"`
	Secret     string `yaml:"secret"`
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
	// PerMinute limits messages per minute; nil: the service's documented
	// limit (20 for WeCom and DingTalk, 100 for Feishu, none for webhooks).
	PerMinute *int          `yaml:"per_minute"`
	Timeout   time.Duration `yaml:"timeout"`
	// From, To and Username are an email channel's sender, recipients and
	// SMTP user (the secret is the password); its URL is smtp://host:port.
	From     string     `yaml:"from"`
	To       StringList `yaml:"to"`
	Username string     `yaml:"username"`
}

// WarningRetry configures redelivery.
type WarningRetry struct {
	BaseBackoff time.Duration `yaml:"base_backoff"`
	MaxBackoff  time.Duration `yaml:"max_backoff"`
	// GiveUpAfter moves an undelivered message to the dead letters; 0 never.
	GiveUpAfter time.Duration `yaml:"give_up_after"`
	// MaxPermanentAttempts moves a message to the dead letters after this
	// many attempts that failed permanently (HTTP 4xx other than 408/429,
	// a robot's invalid key, bad signature or keyword miss), so that the
	// messages behind it on its channel flow. Default 3.
	MaxPermanentAttempts int `yaml:"max_permanent_attempts"`
}

func defaultWarnings() Warnings {
	return Warnings{
		Enabled:       true,
		Outbox:        ".run/warnings/outbox.db",
		Tick:          500 * time.Millisecond,
		SnapshotEvery: 30 * time.Second,
		RuleAlarmTTL:  24 * time.Hour,
		Bands:         StringList{"orange", "red"},
		StatLevel:     "yellow",
		EscalateAfter: time.Hour,
		Retry:         WarningRetry{BaseBackoff: time.Second, MaxBackoff: 5 * time.Minute, GiveUpAfter: 72 * time.Hour, MaxPermanentAttempts: 3},
		MaxSilence:    30 * 24 * time.Hour,
		Forecast:      WarningForecast{Factor: 1, MinCases: 3, Level: "yellow"},
	}
}

var (
	warningLevels   = []string{"red", "orange", "yellow", "blue"}
	warningKinds    = []string{"risk_band", "stat_alarm", "rule_alarm", "supervision", "forecast", "emerging", "linked"}
	warningLabels   = []string{"id", "kind", "rule", "level", "category", "region", "town", "county", "city"}
	warningTargets  = []string{"self", "parent", "town", "county", "city"}
	channelTypes    = []string{"webhook", "wecom", "dingtalk", "feishu", "email"}
	regionCodeLike  = regexp.MustCompile(`^[0-9A-Za-z_-]{1,32}$`)
	channelNameLike = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	envNameLike     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

func (m WarningMatchers) validate(key string, bad func(key, format string, a ...any)) {
	for _, v := range m.Level {
		if !oneOf(v, warningLevels) {
			bad(key+".level", "%q is not a level (red, orange, yellow, blue)", v)
		}
	}
	for _, v := range m.Kind {
		if !oneOf(v, warningKinds) {
			bad(key+".kind", "%q is not a kind (%s)", v, strings.Join(warningKinds, ", "))
		}
	}
	for _, v := range m.Region {
		if !regionCodeLike.MatchString(v) {
			bad(key+".region", "%q is not a region code", v)
		}
	}
	for _, f := range []struct {
		n string
		v []string
	}{{"category", m.Category}, {"rule", m.Rule}} {
		for _, v := range f.v {
			if v == "" {
				bad(key+"."+f.n, "empty value")
			}
		}
	}
}

func (m WarningMatchers) empty() bool {
	return len(m.Level)+len(m.Kind)+len(m.Category)+len(m.Rule)+len(m.Region) == 0
}

// RootRoute returns the root of the routing tree: the section's own
// targets, grouping and timers, with Routes as its children.
func (c Warnings) RootRoute() WarningRoute {
	return WarningRoute{Targets: c.Targets, GroupBy: c.GroupBy, GroupWait: c.GroupWait, GroupInterval: c.GroupInterval,
		RepeatInterval: c.RepeatInterval, SendResolved: c.SendResolved, Routes: c.Routes}
}

func (r WarningRoute) validate(key string, root bool, bad func(key, format string, a ...any)) {
	r.Matchers.validate(key+".matchers", bad)
	for _, t := range r.Targets {
		if !oneOf(t, warningTargets) && !regionCodeLike.MatchString(t) {
			bad(key+".targets", "%q is neither self, parent, town, county, city nor a region code", t)
		}
	}
	for _, g := range r.GroupBy {
		if g == "..." && len(r.GroupBy) == 1 {
			continue
		}
		if !oneOf(g, warningLabels) {
			bad(key+".group_by", "%q is not a label (%v, or \"...\" alone)", g, warningLabels)
		}
	}
	if r.GroupWait != nil && *r.GroupWait < 0 {
		bad(key+".group_wait", "must not be negative")
	}
	if r.GroupInterval != nil && *r.GroupInterval <= 0 {
		bad(key+".group_interval", "must be positive")
	}
	if r.RepeatInterval != nil && *r.RepeatInterval <= 0 {
		bad(key+".repeat_interval", "must be positive")
	}
	if _, _, err := r.DigestAt(); err != nil {
		bad(key+".digest", "%v", err)
	}
	for i, c := range r.Routes {
		c.validate(fmt.Sprintf("%s.routes[%d]", key, i), false, bad)
	}
}

// validate reports each bad value with its dotted key through bad.
func (c Warnings) validate(bad func(key, format string, a ...any)) {
	if c.Enabled && c.Outbox == "" {
		bad("warnings.outbox", "required when warnings.enabled is true")
	}
	if c.Tick < 10*time.Millisecond {
		bad("warnings.tick", "must be at least 10ms")
	}
	if c.SnapshotEvery <= 0 {
		bad("warnings.snapshot_every", "must be positive")
	}
	if c.RuleAlarmTTL <= 0 {
		bad("warnings.rule_alarm_ttl", "must be positive")
	}
	for _, b := range c.Bands {
		if !oneOf(b, warningLevels) {
			bad("warnings.bands", "%q is not a band (red, orange, yellow, blue)", b)
		}
	}
	if !oneOf(c.StatLevel, warningLevels) {
		bad("warnings.stat_level", "%q is not a level (red, orange, yellow, blue)", c.StatLevel)
	}
	if !oneOf(c.Forecast.Level, warningLevels) {
		bad("warnings.forecast.level", "%q is not a level (red, orange, yellow, blue)", c.Forecast.Level)
	}
	if !(c.Forecast.Factor > 0) {
		bad("warnings.forecast.factor", "must be positive, got %v", c.Forecast.Factor)
	}
	if c.Forecast.MinCases < 0 {
		bad("warnings.forecast.min_cases", "must not be negative, got %v", c.Forecast.MinCases)
	}
	if c.MaxSilence < time.Minute || c.MaxSilence > 366*24*time.Hour {
		bad("warnings.max_silence", "must be between 1m and 8784h (366 days), got %s", c.MaxSilence)
	}
	if c.EscalateAfter < 0 {
		bad("warnings.escalate_after", "must not be negative (0 turns escalation off)")
	}
	if c.EscalateLevels < 0 || c.EscalateLevels > 4 {
		bad("warnings.escalate_levels", "must be between 0 (default 1) and 4")
	}
	c.RootRoute().validate("warnings", true, bad)
	for i, r := range c.InhibitRules {
		key := fmt.Sprintf("warnings.inhibit_rules[%d]", i)
		if r.Source.empty() {
			bad(key+".source", "must select something")
		}
		if r.Target.empty() {
			bad(key+".target", "must select something")
		}
		r.Source.validate(key+".source", bad)
		r.Target.validate(key+".target", bad)
		for _, e := range r.Equal {
			if !oneOf(e, warningLabels) {
				bad(key+".equal", "%q is not a label (%v)", e, warningLabels)
			}
		}
	}
	names := make([]string, 0, len(c.Channels))
	for n := range c.Channels {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ch := c.Channels[n]
		key := "warnings.channels." + n
		if !channelNameLike.MatchString(n) {
			bad(key, "channel names are letters, digits, '_', '-' and '.'")
		}
		if !oneOf(ch.Type, channelTypes) {
			bad(key+".type", "%q is not a channel type (webhook, wecom, dingtalk, feishu, email)", ch.Type)
		}
		set := 0
		for _, v := range []string{ch.URL, ch.URLEnv, ch.URLFile} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			bad(key+".url", "give exactly one of url, url_env and url_file")
		}
		if ch.Type == "email" {
			if u, err := url.Parse(ch.URL); ch.URL != "" && (err != nil || u.Scheme != "smtp" || u.Host == "") {
				bad(key+".url", "is not an smtp://host:port URL")
			}
			if _, err := mail.ParseAddress(ch.From); err != nil {
				bad(key+".from", "%q is not an e-mail address", ch.From)
			}
			if len(ch.To) == 0 {
				bad(key+".to", "lists no recipient")
			}
			for _, a := range ch.To {
				if _, err := mail.ParseAddress(a); err != nil {
					bad(key+".to", "%q is not an e-mail address", a)
				}
			}
		} else if ch.URL != "" {
			if u, err := url.Parse(ch.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				// The value is not printed: it holds the robot's key.
				bad(key+".url", "is not an absolute http(s) URL")
			}
		}
		if ch.URLEnv != "" && !envNameLike.MatchString(ch.URLEnv) {
			bad(key+".url_env", "%q is not an environment variable name", ch.URLEnv)
		}
		secrets := 0
		for _, v := range []string{ch.Secret, ch.SecretEnv, ch.SecretFile} {
			if v != "" {
				secrets++
			}
		}
		if secrets > 1 {
			bad(key+".secret", "give at most one of secret, secret_env and secret_file")
		}
		if ch.SecretEnv != "" && !envNameLike.MatchString(ch.SecretEnv) {
			bad(key+".secret_env", "%q is not an environment variable name", ch.SecretEnv)
		}
		if ch.Type == "wecom" && secrets > 0 {
			bad(key+".secret", "WeCom robots are not signed (the key in the URL is the credential)")
		}
		if ch.PerMinute != nil && *ch.PerMinute < 0 {
			bad(key+".per_minute", "must not be negative (0: no limit)")
		}
		if ch.Timeout < 0 {
			bad(key+".timeout", "must not be negative")
		}
	}
	centers := make([]string, 0, len(c.Centers))
	for code := range c.Centers {
		centers = append(centers, code)
	}
	sort.Strings(centers)
	for _, code := range centers {
		key := "warnings.centers." + code
		if code != "*" && !regionCodeLike.MatchString(code) {
			bad(key, "%q is not a region code or *", code)
		}
		if len(c.Centers[code]) == 0 {
			bad(key, "lists no channel")
		}
		for _, n := range c.Centers[code] {
			if _, ok := c.Channels[n]; !ok {
				bad(key, "channel %q is not defined under warnings.channels", n)
			}
		}
	}
	r := c.Retry
	if r.BaseBackoff <= 0 {
		bad("warnings.retry.base_backoff", "must be positive")
	}
	if r.MaxBackoff < r.BaseBackoff {
		bad("warnings.retry.max_backoff", "must be at least warnings.retry.base_backoff")
	}
	if r.GiveUpAfter < 0 {
		bad("warnings.retry.give_up_after", "must not be negative (0: never)")
	}
	if r.MaxPermanentAttempts < 1 {
		bad("warnings.retry.max_permanent_attempts", "must be at least 1")
	}
}

// Redacted returns the section with the channels' secrets hidden, for
// printing: the secret, the URL's user info, its query values (WeCom's key,
// DingTalk's access_token) and, for Feishu, the token that is the last
// segment of the path (/open-apis/bot/v2/hook/<TOKEN>). A URL that does
// not parse is hidden whole. The channel map is copied, so the original is
// left as it is.
func (c Warnings) Redacted() Warnings {
	if len(c.Channels) == 0 {
		return c
	}
	chans := make(map[string]WarningChannel, len(c.Channels))
	for n, ch := range c.Channels {
		if ch.Secret != "" {
			ch.Secret = "<redacted>"
		}
		ch.URL = redactURL(ch.Type, ch.URL)
		chans[n] = ch
	}
	c.Channels = chans
	return c
}

func redactURL(typ, raw string) string {
	if raw == "" {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "<redacted>"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q.Set(k, "redacted")
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment, u.RawFragment = "", ""
	if typ == "feishu" || strings.Contains(u.Path, "/bot/v2/hook/") {
		p := strings.TrimSuffix(u.Path, "/")
		if i := strings.LastIndexByte(p, '/'); i >= 0 && i < len(p)-1 {
			u.Path, u.RawPath = p[:i+1]+"redacted", ""
		}
	}
	return u.String()
}
