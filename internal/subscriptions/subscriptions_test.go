package subscriptions

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/warnings"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

func tongliao(t *testing.T) *schemas.Registry {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

var testChannels = map[string]string{"hook": channel.TypeWebhook, "admin": channel.TypeWebhook, "mail": channel.TypeEmail}

// A subscription names only regions inside its owner's scope, like a
// token of that scope; kinds, levels and channels are checked too.
func TestNewRefusesRegionsOutsideTheOwnersScope(t *testing.T) {
	reg := tongliao(t)
	for _, c := range []struct {
		kind, owner, scope, region, report string
		chans                              []string
		want                               string
	}{
		{OwnerLeader, "科左中旗政法委书记", "150521000000", "150500000000", "week", []string{"hook"}, "outside the owner's scope"},
		{OwnerLeader, "科左中旗政法委书记", "150521", "150522000000", "week", []string{"hook"}, "outside the owner's scope"},
		{OwnerCenter, "150521000000", "", "150502000000", "month", []string{"hook"}, "outside the owner's scope"},
		{OwnerCenter, "150521000000", "150500000000", "", "month", []string{"hook"}, "a center's scope is the center itself"},
		{OwnerLeader, "市领导", "150500000000", "150500000000", "quarter", []string{"hook"}, `"quarter" is not a report kind`},
		{OwnerLeader, "市领导", "150500000000", "150500000000", "week", []string{"nope"}, `"nope" is not defined`},
		{OwnerLeader, "市领导", "159900000000", "150500000000", "week", []string{"hook"}, "scope:"},
	} {
		_, err := New(reg, testChannels, c.kind, c.owner, c.scope, c.region, c.report, c.chans)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s scope %s region %s %s: %v, want an error with %q", c.kind, c.owner, c.scope, c.region, c.report, err, c.want)
		}
	}
	s, err := New(reg, testChannels, OwnerLeader, "市政法委书记", "150500000000", "150521000000", "week", []string{"hook", "mail"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Region != "150521000000" || s.ScopePrefix(reg) != "1505" || !strings.HasPrefix(s.ID, "sub_") {
		t.Errorf("the city leader's subscription to a banner: %+v (scope prefix %s)", s, s.ScopePrefix(reg))
	}
	c, err := New(reg, testChannels, OwnerCenter, "150521", "", "", "month", []string{"hook"})
	if err != nil || c.Region != "150521000000" || c.Scope != "150521000000" || c.OwnerName(reg) != "科尔沁左翼中旗综治中心" {
		t.Errorf("a center's own subscription: %+v %v", c, err)
	}
}

// The subscription jobs fire on the report day by 08:00 local time and
// wait for the jobs the report reads.
func TestJobsSendByEightAfterTheReportsJobs(t *testing.T) {
	d := NewDispatcher(Options{SendAt: 7*time.Hour + 30*time.Minute})
	jobs := d.Jobs()
	if len(jobs) != len(reportgen.Kinds()) {
		t.Fatalf("%d jobs for %d kinds", len(jobs), len(reportgen.Kinds()))
	}
	after := time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC) // Mon 7 Dec 00:00 in Shanghai
	for _, j := range jobs {
		if len(j.After) == 0 {
			t.Errorf("%s waits for no job", j.Name)
		}
		if !j.OnlyNamedBackfill {
			t.Errorf("%s runs in a backfill of every job: it would send old reports", j.Name)
		}
		k, _ := reportgen.LookupKind(strings.TrimPrefix(j.Name, "subscriptions_"))
		if want := reportgen.KindReads(k.Window, k.Report); !slices.Equal(j.After, want) {
			t.Errorf("%s: After %v, want the report's jobs %v", j.Name, j.After, want)
		}
		if k.Name == reportgen.KindBulletin && !slices.Equal(j.After, []string{"risk_month"}) {
			t.Errorf("%s: After %v, want the monthly risk index only", j.Name, j.After)
		}
		next, err := reportgen.Schedule{Spec: j.Spec}.Next(after)
		if err != nil {
			t.Fatal(err)
		}
		local := next.In(schemas.Zone())
		if local.Hour() != 7 || local.Minute() != 30 {
			t.Errorf("%s fires at %s, want 07:30 local", j.Name, local)
		}
		if got := k.Window.Align(next); !got.Equal(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, schemas.Zone())) {
			t.Errorf("%s at %s: not on a report day (window end %s)", j.Name, local, got)
		}
	}
}

// fakeReports renders into memory; fail makes a region's render fail.
type fakeReports struct {
	mu       sync.Mutex
	dir      string
	rendered map[string]int
	fail     map[string]bool
}

func (f *fakeReports) Render(_ context.Context, specs []reportgen.Spec, formats []string) ([]reportgen.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range specs {
		if f.fail[s.Region] {
			return nil, errors.New("PNG and PDF need Chromium: no browser")
		}
		f.rendered[reportgen.ReportPath(s, reportgen.HTML)]++
	}
	return nil, nil
}

func (f *fakeReports) Rendered(s reportgen.Spec) (reportgen.Summary, map[string]string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rel := reportgen.ReportPath(s, reportgen.HTML)
	if f.rendered[rel] == 0 {
		return reportgen.Summary{}, nil, false, nil
	}
	return reportgen.Summary{Title: "通辽市矛盾纠纷风险预警周报", Period: "2026年11月30日至12月6日", Accepted: "321", ResolveRate: "88.2%",
			Overdue: "4", Judgement: "总体平稳，局部升温", Red: []string{"科尔沁区"}, Orange: []string{"开鲁县", "库伦旗"}},
		map[string]string{reportgen.HTML: filepath.Join(f.dir, rel)}, true, nil
}

// receiver is a webhook that refuses the first requests, then accepts; it
// keeps the accepted payloads by idempotency key.
type receiver struct {
	mu       sync.Mutex
	refuse   int
	refused  int
	accepted map[string][]channel.WebhookPayload
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.refused < r.refuse {
		r.refused++
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	var p channel.WebhookPayload
	_ = json.Unmarshal(b, &p)
	r.accepted[req.Header.Get("Idempotency-Key")] = append(r.accepted[req.Header.Get("Idempotency-Key")], p)
}

func (r *receiver) payloads() map[string][]channel.WebhookPayload {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]channel.WebhookPayload{}
	for k, v := range r.accepted {
		out[k] = append([]channel.WebhookPayload(nil), v...)
	}
	return out
}

type memLog struct {
	mu sync.Mutex
	ds []warnings.Delivery
}

func (m *memLog) WriteDeliveries(_ context.Context, ds []warnings.Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ds = append(m.ds, ds...)
	return nil
}

// Each (subscription, report) is delivered exactly once: through the
// outbox's retries, runs of the job again, a report rendered again and a
// restart (the outbox closed and opened, a new dispatcher); every attempt
// is in the delivery log. A report that fails to render reaches the admin
// channel, and its subscribers get nothing.
func TestDeliveryExactlyOncePerSubscriptionAndReport(t *testing.T) {
	reg := tongliao(t)
	rcv := &receiver{refuse: 3, accepted: map[string][]channel.WebhookPayload{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "outbox.db")
	reps := &fakeReports{dir: t.TempDir(), rendered: map[string]int{}, fail: map[string]bool{"150522000000": true}}
	leader, err := New(reg, testChannels, OwnerLeader, "市政法委书记", "150500000000", "", "week", []string{"hook"})
	if err != nil {
		t.Fatal(err)
	}
	center, err := New(reg, testChannels, OwnerCenter, "150521000000", "", "", "week", []string{"hook"})
	if err != nil {
		t.Fatal(err)
	}
	broken, err := New(reg, testChannels, OwnerCenter, "150522000000", "", "", "week", []string{"hook"})
	if err != nil {
		t.Fatal(err)
	}
	dlog := &memLog{}
	end := time.Date(2026, 12, 7, 0, 0, 0, 0, schemas.Zone())
	run := func(ob *warnings.Outbox) (uint64, error) {
		d := NewDispatcher(Options{Reports: reps, Registry: reg, ChannelTypes: testChannels, Admins: []string{"admin"},
			SendAt: 7 * time.Hour, Secret: []byte("0123456789abcdef0123"), LinkTTL: 7 * 24 * time.Hour,
			List: func(context.Context) ([]Subscription, error) { return []Subscription{leader, center, broken}, nil }})
		d.Attach(ob, "http://127.0.0.1:8080/share/")
		return d.Deliver(context.Background(), "week", end.Add(7*time.Hour))
	}
	senders := func(ob *warnings.Outbox) func() {
		hook, err := channel.New(channel.Options{Type: channel.TypeWebhook, URL: srv.URL, Secret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = ob.RunSenders(ctx, warnings.SenderOptions{
				Channels: []warnings.ChannelSpec{{Name: "hook", Type: channel.TypeWebhook, Channel: hook},
					{Name: "admin", Type: channel.TypeWebhook, Channel: hook}},
				BaseBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, DeliveryLog: dlog})
		}()
		return func() { cancel(); <-done }
	}
	waitPending := func(ob *warnings.Outbox) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			n, _, err := ob.Counts()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d messages still queued after 20 s", n)
			}
		}
	}

	ob, err := warnings.OpenOutbox(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	n, err := run(ob)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "150522000000") {
		t.Fatalf("first run: %d queued, %v; want 2 and the broken report's error", n, err)
	}
	stop := senders(ob)
	waitPending(ob)
	// The job runs again (the scheduler retries the failed run), the
	// report is rendered again.
	reps.mu.Lock()
	for k := range reps.rendered {
		reps.rendered[k]++
	}
	reps.mu.Unlock()
	if n, _ := run(ob); n != 0 {
		t.Errorf("second run queued %d messages, want 0", n)
	}
	stop()
	ob.Close()
	// A restart.
	ob, err = warnings.OpenOutbox(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	if n, _ := run(ob); n != 0 {
		t.Errorf("the run after a restart queued %d messages, want 0", n)
	}
	stop = senders(ob)
	waitPending(ob)
	time.Sleep(100 * time.Millisecond)
	stop()

	got := rcv.payloads()
	perSub := map[string]int{}
	admin := 0
	for _, ps := range got {
		if len(ps) != 1 {
			t.Errorf("a delivery id accepted %d times", len(ps))
		}
		for _, p := range ps {
			switch p.Reason {
			case warnings.ReasonReport:
				perSub[p.ReceiverName]++
				for _, want := range []string{"受理 321 件", "化解率 88.2%", "超期 4 件", "研判结论：总体平稳，局部升温",
					"红色风险单位（1）：科尔沁区", "橙色风险单位（2）：开鲁县、库伦旗", "(http://127.0.0.1:8080/share/2026-12-06/week/"} {
					if !strings.Contains(p.Text, want) {
						t.Errorf("the card for %s lacks %q:\n%s", p.ReceiverName, want, p.Text)
					}
				}
				if p.Receiver == "150522000000" {
					t.Errorf("the broken report's subscriber got a message: %s", p.Text)
				}
			case warnings.ReasonReportFailed:
				admin++
				if !strings.Contains(p.Title, "【报告生成失败】") || !strings.Contains(p.Text, "no browser") {
					t.Errorf("the admins' notice: %s\n%s", p.Title, p.Text)
				}
			}
		}
	}
	if perSub["市政法委书记"] != 1 || perSub["科尔沁左翼中旗综治中心"] != 1 || len(perSub) != 2 {
		t.Errorf("messages per subscriber: %v, want one each for the leader and the center", perSub)
	}
	if admin != 1 {
		t.Errorf("the admins got %d notices of the failed report, want 1", admin)
	}
	dlog.mu.Lock()
	retries, delivered := 0, 0
	for _, d := range dlog.ds {
		switch d.Status {
		case warnings.StatusRetry:
			retries++
		case warnings.StatusDelivered:
			delivered++
		}
	}
	dlog.mu.Unlock()
	if retries != 3 || delivered != 3 {
		t.Errorf("delivery log: %d retries and %d deliveries, want 3 and 3", retries, delivered)
	}
	t.Logf("accepted %d messages (%d subscriber cards, %d admin notice); delivery log %d retries, %d delivered", len(got), len(perSub), admin, retries, delivered)
}

// TestBulletinIsSubscribable: the monthly ranking bulletin is a kind like
// the others: a city or county subscribes to it (a town cannot: it has no
// bulletin), and its delivery renders and sends the bulletin, not the
// monthly report.
func TestBulletinIsSubscribable(t *testing.T) {
	reg := tongliao(t)
	if _, err := New(reg, testChannels, OwnerCenter, "150521101000", "", "", reportgen.KindBulletin, []string{"hook"}); err == nil {
		t.Error("a town subscribed to a bulletin, which towns do not have")
	}
	sub, err := New(reg, testChannels, OwnerLeader, "市政法委书记", "150500000000", "", reportgen.KindBulletin, []string{"hook"})
	if err != nil {
		t.Fatal(err)
	}
	reps := &fakeReports{dir: t.TempDir(), rendered: map[string]int{}, fail: map[string]bool{}}
	d := NewDispatcher(Options{Reports: reps, Registry: reg, ChannelTypes: testChannels,
		SendAt: 7 * time.Hour, Secret: []byte("0123456789abcdef0123"), LinkTTL: 7 * 24 * time.Hour,
		List: func(context.Context) ([]Subscription, error) { return []Subscription{sub}, nil }})
	ob, err := warnings.OpenOutbox(filepath.Join(t.TempDir(), "outbox.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	d.Attach(ob, "http://127.0.0.1:8080/share/")
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, schemas.Zone())
	n, err := d.Deliver(context.Background(), reportgen.KindBulletin, end.Add(7*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Deliver: %d queued, %v; want 1", n, err)
	}
	var paths []string
	for p := range reps.rendered {
		paths = append(paths, p)
	}
	if len(paths) != 1 || !strings.Contains(paths[0], "/bulletin/") {
		t.Errorf("rendered %v, want the city's bulletin of November", paths)
	}
}
