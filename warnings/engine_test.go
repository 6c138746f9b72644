package warnings

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

const (
	city    = "150500000000" // 通辽市
	kzz     = "150521000000" // 科尔沁左翼中旗
	baokang = "150521100000" // 保康镇
	baolong = "150521101000" // 宝龙山镇
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func registry(t *testing.T) *schemas.Registry {
	t.Helper()
	g, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// fakeRules serves rule alarms like the store would.
type fakeRules struct{ rows []RuleAlarmRow }

func (f *fakeRules) RuleAlarmsSince(_ context.Context, since time.Time, offset, limit int) ([]RuleAlarmRow, error) {
	var out []RuleAlarmRow
	for _, r := range f.rows {
		if !r.DetectedAt.Before(since) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].DetectedAt.Equal(out[j].DetectedAt) {
			return out[i].DetectedAt.Before(out[j].DetectedAt)
		}
		return out[i].CaseID < out[j].CaseID
	})
	out = out[min(offset, len(out)):]
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

type fakeControls struct {
	silences []Silence
	acks     []Ack
	silErr   error // Silences fails with it when set
}

func (f *fakeControls) Silences(context.Context, time.Time) ([]Silence, error) {
	if f.silErr != nil {
		return nil, f.silErr
	}
	return f.silences, nil
}
func (f *fakeControls) Acks(_ context.Context, ids []string) ([]Ack, error) {
	var out []Ack
	for _, a := range f.acks {
		for _, id := range ids {
			if a.WarningID == id {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

type rig struct {
	t        *testing.T
	e        *Engine
	ob       *Outbox
	path     string
	rules    *fakeRules
	controls *fakeControls
	cfg      Config
}

func newRig(t *testing.T, mod func(*Config)) *rig {
	t.Helper()
	reg := registry(t)
	r := &rig{t: t, rules: &fakeRules{}, controls: &fakeControls{}, path: filepath.Join(t.TempDir(), "outbox.db")}
	r.cfg = Config{Regions: reg, Builder: &Builder{Regions: reg, BaseURL: "http://rw.test"},
		Centers: map[string][]string{"*": {"hook"}}}
	if mod != nil {
		mod(&r.cfg)
	}
	r.open()
	return r
}

func (r *rig) open() {
	r.t.Helper()
	ob, err := OpenOutbox(r.path, time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { ob.Close() })
	e, err := NewEngine(r.cfg, r.rules, nil, r.controls, nil, ob)
	if err != nil {
		r.t.Fatal(err)
	}
	r.e, r.ob = e, ob
}

func (r *rig) restart() {
	r.t.Helper()
	if err := r.ob.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.open()
}

func (r *rig) alarm(rule, level, town, caseID string, detected time.Time) string {
	r.rules.rows = append(r.rules.rows, RuleAlarmRow{Rule: rule, Source: "platform", CaseID: caseID, Level: level,
		CountyCode: town[:6] + "000000", TownCode: town, RegionCode: town, Category: "labor.wage_arrears",
		Detail: "群体性矛盾纠纷：涉及40人", ReportedAt: detected, DetectedAt: detected})
	return WarningID(KindRuleAlarm, rule, town, "platform:"+caseID)
}

func (r *rig) tick(now time.Time) []Notification {
	r.t.Helper()
	ns, err := r.e.Tick(context.Background(), now)
	if err != nil {
		r.t.Fatal(err)
	}
	return ns
}

// run ticks every step from a to b (inclusive) and returns what was sent,
// with the time of each.
func (r *rig) run(a, b time.Time, step time.Duration) []sent {
	var out []sent
	for now := a; !now.After(b); now = now.Add(step) {
		for _, n := range r.tick(now) {
			out = append(out, sent{now, n})
		}
	}
	return out
}

type sent struct {
	at time.Time
	n  Notification
}

func receivers(ss []sent) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.n.Receiver)
	}
	sort.Strings(out)
	return out
}

func ids(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.ID)
	}
	sort.Strings(out)
	return out
}

func TestDefaultRouteTownBannerAndCityForRed(t *testing.T) {
	r := newRig(t, nil)
	r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	r.alarm("extreme_words", "red", baolong, "C2", at(0))
	// group_wait 30 s: nothing before it ends.
	if got := r.run(at(0), at(29*time.Second), time.Second); len(got) != 0 {
		t.Fatalf("sent during group_wait: %+v", got)
	}
	got := r.run(at(30*time.Second), at(31*time.Second), time.Second)
	want := sortedIDs(baokang, baolong, city, kzz, kzz)
	if rs := receivers(got); strings.Join(rs, ",") != strings.Join(want, ",") {
		t.Fatalf("receivers %v, want %v", rs, want)
	}
	for _, s := range got {
		if !s.at.Equal(at(30*time.Second)) || s.n.Reason != ReasonFirst || len(s.n.Firing) != 1 {
			t.Errorf("notification %+v at %v", s.n, s.at)
		}
		w := s.n.Firing[0]
		if s.n.Receiver == city && w.Level != Red {
			t.Errorf("the city got a %v warning", w.Level)
		}
	}
	// The Chinese text names the town with its banner and the category.
	for _, s := range got {
		if s.n.Receiver == baokang {
			w := s.n.Firing[0]
			if w.Title != "科尔沁左翼中旗保康镇发生群体性矛盾纠纷（拖欠工资）" && !strings.HasPrefix(w.Title, "科尔沁左翼中旗保康镇发生群体性矛盾纠纷（") {
				t.Errorf("title %q", w.Title)
			}
			if w.Link != "http://rw.test/console/?region="+baokang {
				t.Errorf("link %q", w.Link)
			}
			if !strings.HasPrefix(s.n.Title(), "【橙色预警】") {
				t.Errorf("notification title %q", s.n.Title())
			}
		}
	}
	// Pending in the outbox: one entry per notification (one channel "*").
	p, err := r.ob.Pending()
	if err != nil || len(p) != 5 {
		t.Fatalf("pending %d (%v), want 5", len(p), err)
	}
}

func TestGroupingRepeatAndAck(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, Timing: Timing{GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour}}
		c.Route.Finish()
	})
	a := r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	b := r.alarm("large_amount", "orange", baokang, "C2", at(10*time.Second))
	got := r.run(at(0), at(40*time.Second), time.Second)
	if len(got) != 1 || !got[0].at.Equal(at(30*time.Second)) || strings.Join(ids(got[0].n.Firing), ",") != strings.Join(sortedIDs(a, b), ",") {
		t.Fatalf("want one grouped notification with both at +30s, got %+v", got)
	}
	// A third warning in the same group waits for the next group_interval tick
	// (+30s+5m), not for group_wait.
	c := r.alarm("superior_assigned", "yellow", baokang, "C3", at(time.Minute))
	got = r.run(at(41*time.Second), at(6*time.Minute), time.Second)
	if len(got) != 1 || !got[0].at.Equal(at(5*time.Minute+30*time.Second)) || got[0].n.Reason != ReasonNew || len(got[0].n.Firing) != 3 {
		t.Fatalf("want the new warning at +5m30s, got %+v", got)
	}
	// Nothing changes: the next message is the repeat, an hour after the last
	// one, on a group_interval tick (+5m30s+1h).
	got = r.run(at(6*time.Minute), at(66*time.Minute), 10*time.Second)
	if len(got) != 1 || !got[0].at.Equal(at(65*time.Minute+30*time.Second)) || got[0].n.Reason != ReasonRepeat {
		t.Fatalf("want one repeat at +1h5m30s, got %+v", got)
	}
	// Acknowledging all three stops the repeats.
	for _, id := range []string{a, b, c} {
		r.controls.acks = append(r.controls.acks, Ack{WarningID: id, By: "张三", At: at(70 * time.Minute)})
	}
	if got = r.run(at(66*time.Minute), at(4*time.Hour), 30*time.Second); len(got) != 0 {
		t.Fatalf("repeats after ack: %d, first at %v", len(got), got[0].at)
	}
	// A new warning in the group is still sent.
	r.alarm("group_dispute", "red", baokang, "C4", at(4*time.Hour))
	got = r.run(at(4*time.Hour), at(4*time.Hour+10*time.Minute), 30*time.Second)
	if len(got) != 1 || got[0].n.Reason != ReasonNew {
		t.Fatalf("new warning after ack: %+v", got)
	}
}

func sortedIDs(ids ...string) []string { sort.Strings(ids); return ids }

func TestResolveNotifiesAndQuickResolveIsSilent(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, GroupBy: []string{"..."}}
		c.Route.Finish()
	})
	a := r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	b := r.alarm("group_dispute", "orange", baolong, "C2", at(0))
	r.run(at(0), at(10*time.Second), time.Second)
	r.e.Resolve(b, at(11*time.Second)) // resolved within group_wait: never sent
	got := r.run(at(11*time.Second), at(31*time.Second), time.Second)
	if len(got) != 1 || got[0].n.Firing[0].ID != a {
		t.Fatalf("want only %s, got %+v", a, got)
	}
	r.e.Resolve(a, at(time.Minute))
	got = r.run(at(32*time.Second), at(10*time.Minute), 2*time.Second)
	if len(got) != 1 || got[0].n.Reason != ReasonResolved || !got[0].at.Equal(at(5*time.Minute+30*time.Second)) ||
		len(got[0].n.Resolved) != 1 || got[0].n.Status() != Resolved || !strings.HasPrefix(got[0].n.Title(), "【预警解除】") {
		t.Fatalf("want one resolve notice at +5m30s, got %+v", got)
	}
	// Memory follows the live warnings: the groups are gone; the resolved
	// events are kept only while the poll can still read their rows.
	if len(r.e.groups) != 0 {
		t.Errorf("%d groups kept", len(r.e.groups))
	}
	c := r.alarm("group_dispute", "orange", baolong, "C9", at(20*time.Minute))
	r.run(at(20*time.Minute), at(21*time.Minute), 10*time.Second)
	if ws := r.e.Warnings(); len(ws) != 1 || ws[0].ID != c {
		t.Errorf("warnings kept after resolution: %+v", ws)
	}
}

func TestInhibitionRedMutesYellowOfSameKindAndRegion(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, GroupBy: []string{"..."}}
		c.Route.Finish()
	})
	red := r.alarm("extreme_words", "red", baokang, "C1", at(0))
	yellow := r.alarm("superior_assigned", "yellow", baokang, "C2", at(0))
	other := r.alarm("superior_assigned", "yellow", baolong, "C3", at(0)) // another town: not inhibited
	got := r.run(at(0), at(time.Minute), time.Second)
	var sentIDs []string
	for _, s := range got {
		sentIDs = append(sentIDs, ids(s.n.Firing)...)
	}
	sort.Strings(sentIDs)
	if strings.Join(sentIDs, ",") != strings.Join(sortedIDs(red, other), ",") {
		t.Fatalf("sent %v, want the red and the other town's yellow only (yellow %s)", sentIDs, yellow)
	}
	// Once the red resolves, the yellow is no longer muted.
	r.e.Resolve(red, at(2*time.Minute))
	got = r.run(at(time.Minute), at(7*time.Minute), 10*time.Second)
	var fired []string
	for _, s := range got {
		fired = append(fired, ids(s.n.Firing)...)
	}
	if strings.Join(fired, ",") != yellow {
		t.Fatalf("after the red resolved, fired %v, want [%s]", fired, yellow)
	}
}

func TestSilenceWithExpiry(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}}
		c.Route.Finish()
	})
	r.controls.silences = []Silence{{ID: "s1", Matchers: Matchers{Region: []string{kzz}, Kind: []string{KindRuleAlarm}},
		StartsAt: at(0), EndsAt: at(20 * time.Minute), CreatedBy: "李四", Comment: "已现场处置"}}
	a := r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	if got := r.run(at(0), at(19*time.Minute), 30*time.Second); len(got) != 0 {
		t.Fatalf("silenced warning sent: %+v", got)
	}
	// After the silence expires it goes out at the next group_interval tick.
	got := r.run(at(19*time.Minute+30*time.Second), at(30*time.Minute), 30*time.Second)
	if len(got) != 1 || got[0].n.Firing[0].ID != a || got[0].at.Before(at(20*time.Minute)) || got[0].at.After(at(25*time.Minute+30*time.Second)) {
		t.Fatalf("want one notification between +20m and +25m30s, got %+v", got)
	}
}

func TestEscalationOfUnacknowledgedRed(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.EscalateAfter = 30 * time.Minute
		c.Route = &Route{Targets: []string{TargetSelf}}
		c.Route.Finish()
	})
	red := r.alarm("extreme_words", "red", baokang, "C1", at(0))
	acked := r.alarm("extreme_words", "red", baolong, "C2", at(0))
	r.controls.acks = []Ack{{WarningID: acked, By: "王五", At: at(10 * time.Minute)}}
	got := r.run(at(0), at(29*time.Minute), 30*time.Second)
	for _, s := range got {
		if s.n.Reason == ReasonEscalated {
			t.Fatalf("escalated early at %v", s.at)
		}
	}
	got = r.run(at(29*time.Minute+30*time.Second), at(3*time.Hour), 30*time.Second)
	var esc []sent
	for _, s := range got {
		if s.n.Reason == ReasonEscalated {
			esc = append(esc, s)
		}
	}
	if len(esc) != 1 || esc[0].n.Receiver != kzz || esc[0].n.Firing[0].ID != red || !esc[0].at.Equal(at(30*time.Minute)) {
		t.Fatalf("want one escalation of %s to %s at +30m, got %+v", red, kzz, esc)
	}
	if !strings.HasPrefix(esc[0].n.Title(), "【升级提醒】") {
		t.Errorf("title %q", esc[0].n.Title())
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, Timing: Timing{GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: time.Hour}}
		c.Route.Finish()
	})
	r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	if got := r.run(at(0), at(time.Minute), 10*time.Second); len(got) != 1 {
		t.Fatalf("before restart: %d notifications", len(got))
	}
	r.restart()
	// The same alarm is read again after the restart (the watermark lags):
	// it is neither new nor first; the next message is the hourly repeat.
	got := r.run(at(time.Minute), at(65*time.Minute), 30*time.Second)
	if len(got) != 1 || got[0].n.Reason != ReasonRepeat || !got[0].at.Equal(at(60*time.Minute+30*time.Second)) {
		t.Fatalf("after restart: %+v", got)
	}
	// Queued notifications survive too: 2 entries, none delivered.
	p, err := r.ob.Pending()
	if err != nil || len(p) != 2 || p[0].Notification.ID == p[1].Notification.ID {
		t.Fatalf("pending after restart: %d (%v)", len(p), err)
	}
}

func TestRouteMatchingContinue(t *testing.T) {
	root := &Route{Targets: []string{TargetSelf}, Routes: []*Route{
		{Matchers: Matchers{Kind: []string{KindSupervision}}, Targets: []string{TargetCounty}, Continue: true},
		{Matchers: Matchers{Level: []string{"red"}, Category: []string{"labor"}}, Targets: []string{TargetCity}},
		{Matchers: Matchers{Region: []string{kzz}}, Targets: []string{"150521000000"}},
	}}
	root.Finish()
	reg := registry(t)
	b := &Builder{Regions: reg}
	w := func(kind string, lv Level, cat, region string) *Warning {
		x := &Warning{Kind: kind, Level: lv, Category: cat}
		b.place(x, region)
		return x
	}
	cases := []struct {
		w    *Warning
		want []string
	}{
		{w(KindSupervision, Red, "labor.wage_arrears", baokang), []string{"root.0", "root.1"}}, // continue
		{w(KindRuleAlarm, Red, "labor.wage_arrears", "150502001000"), []string{"root.1"}},
		{w(KindRuleAlarm, Orange, "family", baokang), []string{"root.2"}},
		{w(KindRuleAlarm, Orange, "family", "150502001000"), []string{"root"}}, // no child: the root
	}
	for i, c := range cases {
		var got []string
		for _, r := range root.Match(c.w) {
			got = append(got, r.ID())
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("case %d: routes %v, want %v", i, got, c.want)
		}
	}
	if got := resolveTargets(reg, []string{TargetSelf, TargetParent, TargetCounty, TargetCity}, cases[0].w); strings.Join(got, ",") != baokang+","+kzz+","+city {
		t.Errorf("targets %v", got)
	}
}

func TestLimiterQueuesNotDrops(t *testing.T) {
	l := &limiter{n: 20}
	now := t0
	var waited []time.Duration
	for i := range 25 {
		d := l.wait(now)
		if d > 0 {
			waited = append(waited, d)
			now = now.Add(d)
		}
		l.record(now)
		now = now.Add(time.Second)
		_ = i
	}
	// 20 go in the first 20 s; the 21st waits until a minute after the first.
	if len(waited) == 0 || waited[0] != 40*time.Second {
		t.Fatalf("waits %v, want the 21st to wait 40s", waited)
	}
	if len(l.times) != 20 {
		t.Errorf("limiter keeps %d times, want 20", len(l.times))
	}
}

// Many alarms detected in the same second (one ingest batch) span several
// pages of the poll; none is lost.
func TestRulePollPagesThroughOneSecond(t *testing.T) {
	old := ruleBatch
	ruleBatch = 3
	t.Cleanup(func() { ruleBatch = old })
	r := newRig(t, nil)
	want := map[string]bool{}
	for i := range 10 {
		want[r.alarm("group_dispute", "orange", baokang, fmt.Sprintf("S%02d", i), at(0))] = true
	}
	for i := range 4 {
		want[r.alarm("group_dispute", "orange", baolong, fmt.Sprintf("T%02d", i), at(time.Second))] = true
	}
	r.tick(at(2 * time.Second))
	got := map[string]bool{}
	for _, w := range r.e.Warnings() {
		got[w.ID] = true
	}
	if len(got) != len(want) {
		t.Fatalf("%d warnings after one tick, want %d", len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("warning %s missing", id)
		}
	}
}

type fakeSnaps struct {
	bands  []BandRow
	stats  []StatAlarmRow
	lights []SupervisionRow
	fail   bool
}

func (f *fakeSnaps) RiskBands(context.Context) ([]BandRow, error) {
	if f.fail {
		return nil, fmt.Errorf("clickhouse down")
	}
	return f.bands, nil
}
func (f *fakeSnaps) StatAlarms(context.Context) ([]StatAlarmRow, error) { return f.stats, nil }
func (f *fakeSnaps) SupervisionLights(context.Context) ([]SupervisionRow, error) {
	return f.lights, nil
}

// Index results fire while their condition holds and resolve when it
// clears; a failing source resolves nothing.
func TestSnapshotWarningsFireAndResolve(t *testing.T) {
	reg := registry(t)
	snaps := &fakeSnaps{}
	ob, err := OpenOutbox(filepath.Join(t.TempDir(), "o.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	route := &Route{Targets: []string{TargetSelf}, GroupBy: []string{"..."}, Timing: Timing{GroupWait: -1, GroupInterval: time.Minute}}
	route.Finish()
	e, err := NewEngine(Config{Regions: reg, Builder: &Builder{Regions: reg, BaseURL: "http://rw.test/"}, Route: route,
		SnapshotEvery: time.Minute, Centers: map[string][]string{"*": {"hook"}}}, nil, snaps, nil, nil, ob)
	if err != nil {
		t.Fatal(err)
	}
	weekEnd := time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai)
	snaps.bands = []BandRow{
		{Window: "week", WindowStart: weekEnd.AddDate(0, 0, -7), WindowEnd: weekEnd, Region: kzz, Score: 6.2, Band: "orange",
			Drivers: []string{"A4|0.4|3|1"}},
		{Window: "week", WindowStart: weekEnd.AddDate(0, 0, -7), WindowEnd: weekEnd, Region: baolong, Score: 4.1, Band: "yellow"},
	}
	snaps.stats = []StatAlarmRow{{Window: "week", WindowEnd: weekEnd, Region: baokang, Category: "labor", Detector: "ears-c1",
		Observed: 9, Expected: 2.5, UpperBound: 6.1}}
	snaps.lights = []SupervisionRow{{WindowEnd: weekEnd, Source: "platform", CaseID: "K-7", TownCode: baokang, Category: "family",
		AssignedUnit: "保康镇司法所", Status: "handling", DaysOverdue: 12, Light: "red", Reasons: []string{"超期"}}}
	tick := func(d time.Duration) []Notification {
		ns, err := e.Tick(context.Background(), at(d))
		if err != nil && !snaps.fail {
			t.Fatal(err)
		}
		return ns
	}
	ns := tick(0)
	byKind := map[string]Warning{}
	for _, n := range ns {
		for _, w := range n.Firing {
			byKind[w.Kind] = w
		}
	}
	if len(ns) != 3 || len(byKind) != 3 {
		t.Fatalf("want 3 notifications (orange band, stat alarm, red light; the yellow band is below warnings.bands), got %d: %+v", len(ns), byKind)
	}
	if w := byKind[KindRiskBand]; w.Title != "科尔沁左翼中旗社会矛盾风险指数橙色预警" || !strings.Contains(w.Body, "周风险指数 6.2") ||
		!strings.Contains(w.Body, "主要驱动指标：群体性纠纷占比") || w.Link != "http://rw.test/console/?region="+kzz || w.Level != Orange {
		t.Errorf("band warning %+v", w)
	}
	if w := byKind[KindStatAlarm]; w.Title != "科尔沁左翼中旗保康镇劳资纠纷周案件量异常增多" || !strings.Contains(w.Body, "受理劳资纠纷 9 件") ||
		!strings.Contains(w.Body, "基线预期 2.5 件") || w.Level != Yellow {
		t.Errorf("stat warning %+v", w)
	}
	if w := byKind[KindSupervision]; w.Level != Red || !strings.Contains(w.Title, "督办红灯") || !strings.Contains(w.Body, "已超期 12 天") ||
		!strings.Contains(w.Body, "保康镇司法所") || w.Link != "http://rw.test/reports/" {
		t.Errorf("supervision warning %+v", w)
	}
	// The sources are read again only every SnapshotEvery.
	snaps.bands[0].Band = "normal"
	if ns := tick(30 * time.Second); len(ns) != 0 {
		t.Fatalf("re-read before snapshot_every: %+v", ns)
	}
	// A failing source changes nothing, even after snapshot_every.
	snaps.fail = true
	if ns := tick(2 * time.Minute); len(ns) != 0 {
		t.Fatalf("a source error resolved something: %+v", ns)
	}
	snaps.fail = false
	// The band drops and the case leaves the snapshot: both resolve; the
	// statistical alarm still fires.
	snaps.lights = nil
	ns = tick(4 * time.Minute)
	var resolved []string
	for _, n := range ns {
		if n.Reason != ReasonResolved || len(n.Firing) != 0 {
			t.Errorf("unexpected notification %+v", n)
		}
		for _, w := range n.Resolved {
			resolved = append(resolved, w.Kind)
		}
	}
	sort.Strings(resolved)
	if strings.Join(resolved, ",") != "risk_band,supervision" {
		t.Fatalf("resolved %v, want risk_band and supervision", resolved)
	}
	if ws := e.Warnings(); len(ws) != 1 || ws[0].Kind != KindStatAlarm || ws[0].State != Firing {
		t.Errorf("left %+v", ws)
	}
}

func TestSendResolvedFalseRecordsWithoutMessage(t *testing.T) {
	f := false
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, SendResolved: &f,
			Timing: Timing{GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: 10 * time.Minute}}
		c.Route.Finish()
	})
	a := r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	b := r.alarm("large_amount", "orange", baokang, "C2", at(0))
	if got := r.run(at(0), at(31*time.Second), time.Second); len(got) != 1 || len(got[0].n.Firing) != 2 {
		t.Fatalf("first: %+v", got)
	}
	r.e.Resolve(b, at(40*time.Second))
	// No message for the resolution; the repeat at +10m30s lists only a.
	got := r.run(at(32*time.Second), at(11*time.Minute), 2*time.Second)
	if len(got) != 1 || got[0].n.Reason != ReasonRepeat || strings.Join(ids(got[0].n.Firing), ",") != a || len(got[0].n.Resolved) != 0 ||
		!got[0].at.Equal(at(10*time.Minute+30*time.Second)) {
		t.Fatalf("want only the repeat of %s at +10m30s, got %+v", a, got)
	}
	// When the last one resolves, nothing is sent either.
	r.e.Resolve(a, at(12*time.Minute))
	if got := r.run(at(11*time.Minute), at(30*time.Minute), 10*time.Second); len(got) != 0 {
		t.Fatalf("resolved message sent with send_resolved false: %+v", got)
	}
}

// failingState fails the Commit calls while fail is set; Commit being
// atomic, a failed one writes nothing.
type failingState struct {
	*Outbox
	fail  bool
	tried int
}

func (f *failingState) Commit(c Change) error {
	f.tried++
	if f.fail {
		return errors.New("disk full")
	}
	return f.Outbox.Commit(c)
}

// TestFailedCommitLosesNoNotification: the tick that flushes a group fails
// to write the outbox; the group counts the notification as sent, so the
// next tick must queue it anyway: after the disk recovers the outbox holds
// the first notification for the town and for its banner, once each.
func TestFailedCommitLosesNoNotification(t *testing.T) {
	r := newRig(t, nil)
	fs := &failingState{Outbox: r.ob}
	e, err := NewEngine(r.cfg, r.rules, nil, r.controls, nil, fs)
	if err != nil {
		t.Fatal(err)
	}
	r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	for now := at(0); now.Before(at(30 * time.Second)); now = now.Add(time.Second) {
		if _, err := e.Tick(context.Background(), now); err != nil {
			t.Fatal(err)
		}
	}
	fs.fail = true
	if _, err := e.Tick(context.Background(), at(30*time.Second)); err == nil {
		t.Fatal("the tick whose commit failed returned no error")
	}
	fs.fail = false
	if _, err := e.Tick(context.Background(), at(31*time.Second)); err != nil {
		t.Fatal(err)
	}
	pending, err := r.ob.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pending {
		got = append(got, p.Notification.Receiver+"/"+string(p.Notification.Reason))
	}
	sort.Strings(got)
	want := []string{baokang + "/" + string(ReasonFirst), kzz + "/" + string(ReasonFirst)}
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("outbox holds %v, want %v", got, want)
	}
}

// After a restart, a failed read of the silences must not let the restored
// groups flush without them: nothing is sent until the silences were read
// once; then the silenced warning stays muted and the other one goes out.
func TestNoFlushBeforeSilencesWereRead(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}}
		c.Route.Finish()
	})
	r.controls.silences = []Silence{{ID: "s1", Matchers: Matchers{Region: []string{baokang}, Kind: []string{KindRuleAlarm}},
		StartsAt: at(0), EndsAt: at(time.Hour), CreatedBy: "李四", Comment: "已现场处置"}}
	r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	if got := r.run(at(0), at(time.Minute), 10*time.Second); len(got) != 0 {
		t.Fatalf("silenced warning sent: %+v", got)
	}
	r.restart()
	r.controls.silErr = errors.New("clickhouse: connection refused")
	b := r.alarm("group_dispute", "orange", baolong, "C2", at(90*time.Second))
	for now := at(90 * time.Second); !now.After(at(10 * time.Minute)); now = now.Add(10 * time.Second) {
		ns, err := r.e.Tick(context.Background(), now)
		if err == nil {
			t.Fatal("a tick without silences returned no error")
		}
		if len(ns) != 0 {
			t.Fatalf("sent at %v before the silences were read: %+v", now.Sub(t0), ns)
		}
	}
	r.controls.silErr = nil
	got := r.run(at(10*time.Minute+10*time.Second), at(20*time.Minute), 10*time.Second)
	// b's group starts when the engine first flushes: sent after group_wait.
	if len(got) != 1 || strings.Join(ids(got[0].n.Firing), ",") != b || got[0].at.After(at(11*time.Minute)) {
		t.Fatalf("after the silences were read: want only %s by +11m, got %+v", b, got)
	}
}

// A warning that moves to another route (orange → red) leaves its old
// group empty: the old receiver is told at the group's next flush that
// the warning is resolved for it, unless its route has send_resolved
// false; the new group sends it as new.
func TestRerouteNotifiesTheOldGroupResolved(t *testing.T) {
	for _, sendResolved := range []bool{true, false} {
		t.Run(fmt.Sprint("send_resolved=", sendResolved), func(t *testing.T) {
			sr := sendResolved
			r := newRig(t, func(c *Config) {
				c.Route = &Route{Targets: []string{TargetSelf}, SendResolved: &sr,
					Timing: Timing{GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour},
					Routes: []*Route{{Matchers: Matchers{Level: []string{"red"}}, Targets: []string{TargetCounty}}}}
				c.Route.Finish()
			})
			a := r.alarm("group_dispute", "orange", baokang, "C1", at(0))
			if got := r.run(at(0), at(40*time.Second), 10*time.Second); len(got) != 1 || got[0].n.Receiver != baokang {
				t.Fatalf("first: %+v", got)
			}
			r.rules.rows[0].Level = "red" // now routed to the banner's center
			got := r.run(at(50*time.Second), at(5*time.Minute), 10*time.Second)
			var toTown, toCounty []sent
			for _, s := range got {
				switch s.n.Receiver {
				case baokang:
					toTown = append(toTown, s)
				case kzz:
					toCounty = append(toCounty, s)
				}
			}
			if len(toCounty) != 1 || toCounty[0].n.Reason != ReasonFirst || strings.Join(ids(toCounty[0].n.Firing), ",") != a {
				t.Errorf("banner center: %+v", toCounty)
			}
			if !sendResolved {
				if len(toTown) != 0 {
					t.Errorf("send_resolved false, yet the town got %+v", toTown)
				}
				return
			}
			if len(toTown) != 1 || toTown[0].n.Reason != ReasonResolved || len(toTown[0].n.Firing) != 0 ||
				strings.Join(ids(toTown[0].n.Resolved), ",") != a || toTown[0].n.Resolved[0].State != Resolved ||
				toTown[0].at.After(at(2*time.Minute)) {
				t.Errorf("town center: want one resolved notice for %s by +2m, got %+v", a, toTown)
			}
			if w := r.e.Warnings(); len(w) != 1 || w[0].State != Firing {
				t.Errorf("the warning itself changed: %+v", w)
			}
		})
	}
}

// When one warning of a group moves to another route and another stays,
// the old group's next message reports the moved one resolved (with
// send_resolved) and keeps the other firing.
func TestRerouteOfOneWarningResolvesItInTheOldGroup(t *testing.T) {
	r := newRig(t, func(c *Config) {
		c.Route = &Route{Targets: []string{TargetSelf}, GroupBy: []string{"region"},
			Timing: Timing{GroupWait: 30 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour},
			Routes: []*Route{{Matchers: Matchers{Level: []string{"red"}}, Targets: []string{TargetCounty}}}}
		c.Route.Finish()
	})
	a := r.alarm("group_dispute", "orange", baokang, "C1", at(0))
	b := r.alarm("large_amount", "orange", baokang, "C2", at(0))
	if got := r.run(at(0), at(40*time.Second), 10*time.Second); len(got) != 1 || len(got[0].n.Firing) != 2 {
		t.Fatalf("first: %+v", got)
	}
	r.rules.rows[0].Level = "red"
	got := r.run(at(50*time.Second), at(5*time.Minute), 10*time.Second)
	var toTown []sent
	for _, s := range got {
		if s.n.Receiver == baokang {
			toTown = append(toTown, s)
		}
	}
	if len(toTown) != 1 || toTown[0].n.Reason != ReasonResolved || strings.Join(ids(toTown[0].n.Resolved), ",") != a ||
		strings.Join(ids(toTown[0].n.Firing), ",") != b || toTown[0].n.Resolved[0].State != Resolved {
		t.Errorf("town center: want one message resolving %s with %s firing, got %+v", a, b, toTown)
	}
}

// A rule alarm of a case reported long before it arrived (history loaded
// at start: a backfill, an import, the demo's two years) is never pushed;
// one of a case reported within the TTL is.
func TestRuleAlarmOfHistoryIsNotPushed(t *testing.T) {
	r := newRig(t, nil)
	old := r.alarm("group_dispute", "orange", baokang, "OLD", at(0))
	r.rules.rows[0].ReportedAt = at(-400 * 24 * time.Hour)
	fresh := r.alarm("group_dispute", "orange", baolong, "NEW", at(0))
	r.rules.rows[1].ReportedAt = at(-2 * time.Hour)
	got := r.run(at(0), at(31*time.Second), time.Second)
	var pushed []string
	for _, s := range got {
		for _, w := range s.n.Firing {
			pushed = append(pushed, w.ID)
		}
	}
	for _, id := range pushed {
		if id == old {
			t.Errorf("the alarm of a case reported 400 days ago was pushed: %v", pushed)
		}
	}
	found := false
	for _, id := range pushed {
		found = found || id == fresh
	}
	if !found {
		t.Errorf("the alarm of a case reported 2 hours ago was not pushed: %v", pushed)
	}
}
