package subscriptions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/warnings"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

// Renderer renders and finds reports; *reportgen.Generator implements it.
type Renderer interface {
	Render(ctx context.Context, specs []reportgen.Spec, formats []string) ([]reportgen.Result, error)
	Rendered(s reportgen.Spec) (reportgen.Summary, map[string]string, bool, error)
}

// Queue is where messages wait for their channels; *warnings.Outbox
// implements it.
type Queue interface {
	EnqueueOnce(key string, es []warnings.Entry, now time.Time) (bool, error)
}

// Options configure a Dispatcher.
type Options struct {
	Reports  Renderer
	Registry *schemas.Registry
	// List returns the subscriptions in force (configured and stored).
	List func(ctx context.Context) ([]Subscription, error)
	// ChannelTypes maps each channel name to its type (email needs a PDF).
	ChannelTypes map[string]string
	// Admins are the channels told about a report that failed.
	Admins []string
	// SendAt is the local time of day the messages go out (≤ 08:00).
	SendAt time.Duration
	// Secret signs the links, valid for LinkTTL.
	Secret  []byte
	LinkTTL time.Duration
	Now     func() time.Time
	Log     *slog.Logger
}

// Dispatcher queues the messages of the subscriptions. Its jobs can be
// scheduled before the outbox and the base URL of the links are known
// (Attach): a run waits for them.
type Dispatcher struct {
	o Options

	mu       sync.Mutex
	queue    Queue
	linkBase string
	ready    chan struct{}
	extra    []Subscription
}

// NewDispatcher returns a dispatcher; Attach makes it deliver.
func NewDispatcher(o Options) *Dispatcher {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{o: o, ready: make(chan struct{})}
}

// Attach gives the dispatcher its queue and the base URL of the signed
// links (http://host/share/); runs waiting for them proceed.
func (d *Dispatcher) Attach(q Queue, linkBase string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.queue != nil {
		return
	}
	d.queue, d.linkBase = q, linkBase
	close(d.ready)
}

// Secret is the secret that signs the links.
func (d *Dispatcher) Secret() []byte { return d.o.Secret }

// Add adds a subscription that lives as long as the process (the demo's).
func (d *Dispatcher) Add(s Subscription) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.extra = append(d.extra, s)
}

// Cron returns the 5-field cron spec that fires at sendAt on the report
// days of a window: every day, Mondays, the 1st of the month.
func Cron(w schemas.Window, sendAt time.Duration) string {
	hm := strconv.Itoa(int(sendAt/time.Minute)%60) + " " + strconv.Itoa(int(sendAt/time.Hour))
	switch w {
	case schemas.Week:
		return hm + " * * 1"
	case schemas.Month:
		return hm + " 1 * *"
	}
	return hm + " * * *"
}

// Jobs returns one scheduler job per report kind, named
// subscriptions_<kind>: it fires at SendAt on the report day, waits for
// the jobs the report reads (After) and delivers the report of the window
// that ended before it; the latest missed window is caught up on start.
func (d *Dispatcher) Jobs() []scheduler.Job {
	var out []scheduler.Job
	for _, k := range reportgen.Kinds() {
		k := k
		out = append(out, scheduler.Job{
			Name:    "subscriptions_" + k.Name,
			Window:  k.Window,
			Spec:    Cron(k.Window, d.o.SendAt),
			CatchUp: 1,
			// A backfill of every job sends nothing old.
			OnlyNamedBackfill: true,
			After:             reportgen.KindReads(k.Window, k.Report),
			Run: func(ctx context.Context, at time.Time) (uint64, error) {
				return d.Deliver(ctx, k.Name, at)
			},
		})
	}
	return out
}

func (d *Dispatcher) subscriptions(ctx context.Context) ([]Subscription, error) {
	var out []Subscription
	if d.o.List != nil {
		l, err := d.o.List(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	d.mu.Lock()
	out = append(out, d.extra...)
	d.mu.Unlock()
	return out, nil
}

// Deliver queues the messages of every subscription to the reports of
// kind whose window ends at end, rendering the reports that are missing
// (with a PDF when a subscriber reads e-mail). It returns the number of
// messages queued now; those queued by an earlier run are not queued
// again. A report that cannot be rendered whole is announced to the
// admins once, its subscribers get nothing, and the run fails (so that
// the scheduler records it).
func (d *Dispatcher) Deliver(ctx context.Context, kind string, end time.Time) (uint64, error) {
	k, ok := reportgen.LookupKind(kind)
	if !ok {
		return 0, fmt.Errorf("cannot deliver: %q is not a report kind", kind)
	}
	select {
	case <-d.ready:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	subs, err := d.subscriptions(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot list the subscriptions: %w", err)
	}
	byRegion := map[string][]Subscription{}
	var regions []string
	for _, s := range subs {
		if s.Kind != kind {
			continue
		}
		if _, ok := byRegion[s.Region]; !ok {
			regions = append(regions, s.Region)
		}
		byRegion[s.Region] = append(byRegion[s.Region], s)
	}
	slices.Sort(regions)
	var n uint64
	var errs []error
	for _, region := range regions {
		spec := k.Spec(region, end)
		q, err := d.deliverReport(ctx, spec, byRegion[region])
		n += q
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// formatsFor lists the formats the subscribers of one report need.
func (d *Dispatcher) formatsFor(subs []Subscription) []string {
	formats := []string{reportgen.HTML}
	for _, s := range subs {
		for _, c := range s.Channels {
			if d.o.ChannelTypes[c] == channel.TypeEmail && !slices.Contains(formats, reportgen.PDF) {
				formats = append(formats, reportgen.PDF)
			}
		}
	}
	return formats
}

func (d *Dispatcher) deliverReport(ctx context.Context, spec reportgen.Spec, subs []Subscription) (uint64, error) {
	rel := reportgen.ReportPath(spec, reportgen.HTML)
	formats := d.formatsFor(subs)
	sum, files, ok, err := d.o.Reports.Rendered(spec)
	if err == nil && (!ok || !hasAll(files, formats)) {
		_, err = d.o.Reports.Render(ctx, []reportgen.Spec{spec}, formats)
		if err == nil {
			sum, files, ok, err = d.o.Reports.Rendered(spec)
			if err == nil && (!ok || !hasAll(files, formats)) {
				err = fmt.Errorf("the report lacks a format of %v after rendering", formats)
			}
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		d.o.Log.Error("a subscribed report failed to render; its subscribers get nothing", "report", rel, "err", err)
		d.tellAdmins(spec, sum, err)
		return 0, fmt.Errorf("cannot render the subscribed report %s: %w", rel, err)
	}
	var n uint64
	now := d.o.Now()
	for _, s := range subs {
		card := &warnings.ReportCard{Subscription: s.ID, Report: rel, Title: sum.Title, Period: sum.Period, Accepted: sum.Accepted,
			ResolveRate: sum.ResolveRate, Overdue: sum.Overdue, Judgement: sum.Judgement, Red: sum.Red, Orange: sum.Orange,
			Link: reportgen.SignLink(d.linkBase, d.o.Secret, rel, s.ScopePrefix(d.o.Registry), now.Add(d.o.LinkTTL))}
		if p, ok := files[reportgen.PDF]; ok {
			card.PDF = p
		}
		nt := warnings.Notification{ID: s.ID + "/" + rel, GroupKey: "subscription:" + s.ID, Receiver: s.Scope,
			ReceiverName: s.OwnerName(d.o.Registry), Reason: warnings.ReasonReport, CreatedAt: now, Report: card}
		var es []warnings.Entry
		for _, c := range s.Channels {
			es = append(es, warnings.Entry{DeliveryID: warnings.DeliveryID(nt.ID, c), Channel: c, Notification: nt, NextAt: now, CreatedAt: now})
		}
		queued, err := d.queue.EnqueueOnce(OnceKey(s.ID, rel), es, now)
		if err != nil {
			return n, err
		}
		if queued {
			n += uint64(len(es))
			d.o.Log.Info("subscribed report queued", "subscription", s.ID, "owner", s.Owner, "report", rel, "channels", s.Channels)
		}
	}
	return n, nil
}

// OnceKey is the outbox key of the messages of one subscription about one
// report: they are queued once.
func OnceKey(subscription, report string) string {
	return "subscription\x00" + subscription + "\x00" + report
}

func hasAll(files map[string]string, formats []string) bool {
	for _, f := range formats {
		if _, ok := files[f]; !ok {
			return false
		}
	}
	return true
}

// tellAdmins queues, once per report, a notice to the admin channels that
// the report failed.
func (d *Dispatcher) tellAdmins(spec reportgen.Spec, sum reportgen.Summary, cause error) {
	if len(d.o.Admins) == 0 {
		return
	}
	rel := reportgen.ReportPath(spec, reportgen.HTML)
	title := sum.Title
	if title == "" {
		name := spec.Region
		if r, ok := d.o.Registry.Lookup(spec.Region); ok {
			name = r.Name
		}
		title = fmt.Sprintf("%s %s报告（截至 %s）", name, spec.Window, spec.End.AddDate(0, 0, -1).Format(time.DateOnly))
	}
	now := d.o.Now()
	root := d.o.Registry.Root()
	nt := warnings.Notification{ID: "report-failed/" + rel, GroupKey: "report-failed", Receiver: root.Code, ReceiverName: "系统管理员",
		Reason: warnings.ReasonReportFailed, CreatedAt: now,
		Report: &warnings.ReportCard{Report: rel, Title: title, Period: spec.Window.Prev(spec.End).Format(time.DateOnly) + " 至 " +
			spec.End.AddDate(0, 0, -1).Format(time.DateOnly), Error: channel.TruncateUTF8(cause.Error(), 600, "…")}}
	var es []warnings.Entry
	for _, c := range d.o.Admins {
		es = append(es, warnings.Entry{DeliveryID: warnings.DeliveryID(nt.ID, c), Channel: c, Notification: nt, NextAt: now, CreatedAt: now})
	}
	if _, err := d.queue.EnqueueOnce("report-failed\x00"+rel, es, now); err != nil {
		d.o.Log.Error("cannot tell the admins of a failed report", "report", rel, "err", err)
	}
}
