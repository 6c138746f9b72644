package config

import (
	"strings"
	"testing"
)

// Bad subscription and e-mail channel settings are refused naming the key;
// a good section parses.
func TestSubscriptionsConfigErrorsNameTheKey(t *testing.T) {
	chans := "warnings:\n  channels:\n    robot: {type: wecom, url: \"http://127.0.0.1:9/send?key=k\"}\n" +
		"    mail: {type: email, url: \"smtp://127.0.0.1:25\", from: \"rw@example.org\", to: [\"a@example.org\"]}\n"
	for _, c := range []struct{ yaml, key string }{
		{"subscriptions:\n  send_at: \"08:30\"\n", "subscriptions.send_at: 08:30 is after 08:00"},
		{"subscriptions:\n  send_at: \"7h\"\n", "subscriptions.send_at"},
		{"subscriptions:\n  link_ttl: 0s\n", "subscriptions.link_ttl"},
		{"subscriptions:\n  link_secret: short\n", "subscriptions.link_secret"},
		{chans + "subscriptions:\n  admins: [nope]\n", "subscriptions.admins"},
		{chans + "subscriptions:\n  list:\n    - {leader: 书记, kind: week, channels: [robot]}\n", "subscriptions.list[0].scope"},
		{chans + "subscriptions:\n  list:\n    - {center: \"150521\", kind: week, channels: [nope]}\n", "subscriptions.list[0].channels"},
		{chans + "subscriptions:\n  list:\n    - {center: \"150521\", leader: x, kind: week, channels: [robot]}\n", "subscriptions.list[0]: give center or leader"},
		{chans + "subscriptions:\n  list:\n    - {center: \"150521\", channels: [robot]}\n", "subscriptions.list[0].kind"},
		{"warnings:\n  channels:\n    m: {type: email, url: \"http://x\", from: \"rw@example.org\", to: [\"a@example.org\"]}\n", "warnings.channels.m.url"},
		{"warnings:\n  channels:\n    m: {type: email, url: \"smtp://x:25\", from: \"nobody\", to: [\"a@example.org\"]}\n", "warnings.channels.m.from"},
		{"warnings:\n  channels:\n    m: {type: email, url: \"smtp://x:25\", from: \"rw@example.org\"}\n", "warnings.channels.m.to"},
	} {
		_, err := Parse([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: %v, want an error naming %q", c.yaml, err, c.key)
		}
	}
	c, err := Parse([]byte(chans + "subscriptions:\n  send_at: \"08:00\"\n  list:\n    - {leader: 书记, scope: \"150500000000\", kind: week, channels: [robot, mail]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Subscriptions.List) != 1 || c.Subscriptions.List[0].Channels[1] != "mail" || c.Warnings.Channels["mail"].To[0] != "a@example.org" {
		t.Errorf("parsed: %+v", c.Subscriptions)
	}
}
