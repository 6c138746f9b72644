package warnings

import (
	"strings"
	"testing"
	"time"
)

// withLevel keeps the notifications that carry a firing warning of the
// level (the orange ones repeat every repeat_interval until acknowledged).
func withLevel(ss []sent, l Level) []sent {
	var out []sent
	for _, s := range ss {
		for _, w := range s.n.Firing {
			if w.Level == l {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func firstOnly(ss []sent) []sent {
	var out []sent
	for _, s := range ss {
		if s.n.Reason == ReasonFirst {
			out = append(out, s)
		}
	}
	return out
}

// With the default routing, yellow rule alarms wait for the daily digest at
// 08:00 Shanghai: one message per center a day, listing the alarms since the
// last digest, and no resolve messages; orange ones are sent at once.
func TestDefaultRouteDigestsYellowRuleAlarms(t *testing.T) {
	r := newRig(t, func(c *Config) { c.RuleAlarmTTL = 24 * time.Hour })
	// t0 is 17:00 in Shanghai: the next digests are at +15h and +39h.
	y1 := r.alarm("superior_assigned", "yellow", baokang, "Y1", at(0))
	y2 := r.alarm("superior_assigned", "yellow", baokang, "Y2", at(2*time.Hour))
	o := r.alarm("group_dispute", "orange", baokang, "O1", at(0))
	got := r.run(at(0), at(15*time.Hour-time.Minute), time.Minute)
	if y := withLevel(got, Yellow); len(y) > 0 {
		t.Fatalf("a yellow rule alarm was pushed before the digest, at %v to %s", y[0].at, y[0].n.Receiver)
	}
	got = firstOnly(got)
	if rs := receivers(got); strings.Join(rs, ",") != strings.Join(sortedIDs(baokang, kzz), ",") || ids(got[0].n.Firing)[0] != o {
		t.Fatalf("the orange alarm: %+v", got)
	}
	if !got[0].at.Equal(at(time.Minute)) {
		t.Errorf("the orange alarm went out at %v, want after group_wait", got[0].at)
	}

	digest := at(15 * time.Hour)
	if l := digest.In(time.FixedZone("CST", 8*3600)); l.Hour() != 8 || l.Minute() != 0 {
		t.Fatalf("test clock: the digest tick is %v", l)
	}
	got = withLevel(r.run(at(15*time.Hour), at(39*time.Hour-time.Minute), time.Minute), Yellow)
	if rs := receivers(got); strings.Join(rs, ",") != strings.Join(sortedIDs(baokang, kzz), ",") {
		t.Fatalf("digest receivers %v, want the town and its banner once each", rs)
	}
	for _, s := range got {
		if !s.at.Equal(digest) || s.n.Reason != ReasonFirst || strings.Join(ids(s.n.Firing), ",") != strings.Join(sortedIDs(y1, y2), ",") {
			t.Errorf("digest to %s at %v: %s %v, want both yellow alarms at 08:00", s.n.Receiver, s.at, s.n.Reason, ids(s.n.Firing))
		}
	}

	// The next day's digest lists only the new alarm; the old ones resolved
	// (24 h) without a message.
	y3 := r.alarm("superior_assigned", "yellow", baokang, "Y3", at(20*time.Hour))
	got = r.run(at(39*time.Hour), at(64*time.Hour), time.Minute)
	for _, s := range got {
		if len(s.n.Resolved) > 0 {
			t.Errorf("a resolve message for %v at %v", ids(s.n.Resolved), s.at)
		}
	}
	got = withLevel(got, Yellow)
	if len(got) != 2 {
		t.Fatalf("second day: %d messages, want one per center: %+v", len(got), got)
	}
	for _, s := range got {
		if !s.at.Equal(at(39*time.Hour)) || len(s.n.Resolved) != 0 || strings.Join(ids(s.n.Firing), ",") != y3 {
			t.Errorf("second digest to %s at %v: firing %v resolved %d", s.n.Receiver, s.at, ids(s.n.Firing), len(s.n.Resolved))
		}
	}
}

// A configured route without a digest sends yellow rule alarms at once.
func TestDigestIsPerRoute(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, Routes: []*Route{
			{Matchers: Matchers{Kind: []string{KindRuleAlarm}, Level: []string{"yellow"}, Region: []string{kzz}}},
			{Matchers: Matchers{Kind: []string{KindRuleAlarm}, Level: []string{"yellow"}}, Digest: true, DigestAt: 7*time.Hour + 30*time.Minute},
		}}
		c.Route.Finish()
	})
	r.alarm("superior_assigned", "yellow", baokang, "Y1", at(0))
	r.alarm("superior_assigned", "yellow", "150502001000", "Y2", at(0)) // 科尔沁区: the digest route
	got := firstOnly(r.run(at(0), at(15*time.Hour), time.Minute))
	if len(got) != 2 || got[0].n.Receiver != baokang || !got[0].at.Equal(at(30*time.Second).Truncate(time.Minute).Add(time.Minute)) ||
		got[1].n.Receiver != "150502001000" || !got[1].at.Equal(at(14*time.Hour+30*time.Minute)) {
		for _, s := range got {
			t.Logf("%v → %s", s.at, s.n.Receiver)
		}
		t.Fatalf("want 保康镇 at once and 科尔沁区's town at 07:30")
	}
}
