package config

import (
	"fmt"
	"time"
)

// Subscriptions configures the reports pushed to their subscribers
// (section `subscriptions`): when they are sent, how long their links
// open the report, who hears of a report that failed, and the
// subscriptions of the configuration (`riskwatch subscriptions add` stores
// more in ClickHouse).
type Subscriptions struct {
	// SendAt is the local time (HH:MM, deployment time zone, at the latest
	// 08:00) at which a report is sent on its report day, once the jobs it
	// reads have succeeded.
	SendAt string `yaml:"send_at"`
	// LinkTTL is how long a message's signed link opens the report.
	LinkTTL time.Duration `yaml:"link_ttl"`
	// The deployment secret that signs the links: inline, from the
	// environment or a file; none given: a random secret kept in
	// link.key next to warnings.outbox.
	LinkSecret     string `yaml:"link_secret"`
	LinkSecretEnv  string `yaml:"link_secret_env"`
	LinkSecretFile string `yaml:"link_secret_file"`
	// Admins are the channels told about a report that could not be
	// rendered (its subscribers get nothing).
	Admins StringList `yaml:"admins"`
	// List holds the configured subscriptions.
	List []Subscription `yaml:"list"`
}

// Subscription is one configured subscription: its owner (a center, by
// region code, or a named leader with a region scope), the report (kind
// and region; the region defaults to the owner's) and the channels.
type Subscription struct {
	Center   string     `yaml:"center"`
	Leader   string     `yaml:"leader"`
	Scope    string     `yaml:"scope"`
	Region   string     `yaml:"region"`
	Kind     string     `yaml:"kind"`
	Channels StringList `yaml:"channels"`
}

func defaultSubscriptions() Subscriptions {
	return Subscriptions{SendAt: "07:00", LinkTTL: 7 * 24 * time.Hour}
}

// SendAtOfDay returns SendAt as the time after midnight.
func (c Subscriptions) SendAtOfDay() (time.Duration, error) {
	t, err := time.Parse("15:04", c.SendAt)
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", c.SendAt)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// validate checks what needs no registry; the regions, scopes and kinds
// are checked where the registry is loaded.
func (c Subscriptions) validate(w Warnings, bad func(key, format string, a ...any)) {
	if d, err := c.SendAtOfDay(); err != nil {
		bad("subscriptions.send_at", "%v", err)
	} else if d > 8*time.Hour {
		bad("subscriptions.send_at", "%s is after 08:00: reports are sent by 08:00 local time", c.SendAt)
	}
	if c.LinkTTL <= 0 {
		bad("subscriptions.link_ttl", "must be positive")
	}
	n := 0
	for _, v := range []string{c.LinkSecret, c.LinkSecretEnv, c.LinkSecretFile} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		bad("subscriptions.link_secret", "give at most one of link_secret, link_secret_env and link_secret_file")
	}
	if c.LinkSecretEnv != "" && !envNameLike.MatchString(c.LinkSecretEnv) {
		bad("subscriptions.link_secret_env", "%q is not an environment variable name", c.LinkSecretEnv)
	}
	if c.LinkSecret != "" && len(c.LinkSecret) < 16 {
		bad("subscriptions.link_secret", "must be at least 16 characters")
	}
	for _, ch := range c.Admins {
		if _, ok := w.Channels[ch]; !ok {
			bad("subscriptions.admins", "channel %q is not defined under warnings.channels", ch)
		}
	}
	if (len(c.List) > 0 || len(c.Admins) > 0) && !w.Enabled {
		bad("subscriptions", "subscriptions are delivered through the warnings outbox: set warnings.enabled")
	}
	for i, s := range c.List {
		key := fmt.Sprintf("subscriptions.list[%d]", i)
		switch {
		case s.Center != "" && s.Leader != "":
			bad(key, "give center or leader, not both")
		case s.Center == "" && s.Leader == "":
			bad(key, "give the owner: center (a region code) or leader (a name, with scope)")
		case s.Leader != "" && s.Scope == "":
			bad(key+".scope", "a leader's subscription needs the leader's region scope")
		case s.Center != "" && s.Scope != "":
			bad(key+".scope", "a center's scope is the center itself; leave scope out")
		}
		if s.Kind == "" {
			bad(key+".kind", "missing (a report kind: day, week, month, …)")
		}
		if len(s.Channels) == 0 {
			bad(key+".channels", "lists no channel")
		}
		for _, ch := range s.Channels {
			if _, ok := w.Channels[ch]; !ok {
				bad(key+".channels", "channel %q is not defined under warnings.channels", ch)
			}
		}
	}
}

// Redacted returns the section with the link secret hidden.
func (c Subscriptions) Redacted() Subscriptions {
	if c.LinkSecret != "" {
		c.LinkSecret = "<redacted>"
	}
	return c
}
