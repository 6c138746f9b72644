package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskwatch/riskwatch/internal/warnwire"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/warnings"
)

// mountWarnings starts the warning engine and its senders inside `riskwatch
// run` and, when the API is mounted (tokens are checked), registers the
// acknowledgement, silence and dead-letter endpoints (warnwire.Mount);
// without the API they are not served at all. Its stop function stops
// ticking, lets the attempts in flight finish and closes the outbox,
// before the store closes.
func mountWarnings(env *serveEnv) (stop func(), err error) {
	if !env.cfg.Warnings.Enabled {
		return nil, nil
	}
	log := env.log.With("component", "warnings")
	svc, err := warnwire.New(warnwire.Options{Config: env.cfg.Warnings, Store: env.st, Regions: env.regions,
		BaseURL: env.baseURL, Log: log, Metrics: env.reg})
	if err != nil {
		return nil, err
	}
	if env.subs != nil { // subscriptions.go
		// Signed links open their report without a login.
		env.mux.Handle("GET "+sharePrefix, env.reports.LinkHandler(sharePrefix, env.subs.Secret(), time.Now))
		env.subs.Attach(svc.Outbox, env.baseURL+sharePrefix)
	}
	ctx, cancel := context.WithCancel(env.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(ctx); err != nil {
			log.Error("warning engine stopped", "err", err)
		}
	}()
	if env.apiMounted {
		svc.Mount(env.mux, env.requireRole, warnwire.HTTPOptions{Regions: env.regions, MaxSilence: env.cfg.Warnings.MaxSilence})
	} else {
		log.Warn("the API is disabled (api.enabled: false): the warning endpoints (ack, silences, dead letters) are not served; use `riskwatch warnings`")
	}
	if len(env.cfg.Warnings.Centers) == 0 {
		log.Warn("no warning centers configured (warnings.centers): warnings are stored and listed, not pushed")
	}
	fmt.Fprintf(env.out, "  预警推送 warnings:  outbox %s, %d channels, %d centers\n", env.cfg.Warnings.Outbox,
		len(env.cfg.Warnings.Channels), len(env.cfg.Warnings.Centers))
	return func() {
		cancel()
		<-done
		if err := svc.Close(); err != nil {
			log.Warn("cannot close the warning outbox", "err", err)
		}
	}, nil
}

const warningsUsage = `用法 usage:
  riskwatch warnings list [--all] [--config FILE]            当前预警 (firing; --all: resolved too)
  riskwatch warnings ack ID [--by NAME] [--comment TEXT]     确认预警 (stops repeats and escalation)
  riskwatch warnings silence --region CODE [--kind K] [--level L] [--category C]
                             --until TIME --comment TEXT [--by NAME]
                                                             静默 (TIME: RFC 3339, "2006-01-02 15:04" Beijing time, or a duration like 2h)
  riskwatch warnings silences [--all]                         静默列表
  riskwatch warnings unsilence ID                             解除静默
  riskwatch warnings deliveries [--limit N]                   推送记录 (delivery log)
`

// parseUntil reads --until: RFC 3339, "2006-01-02 15:04" in Beijing time,
// or a duration from now.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--until: %q is not in the future", s)
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, schemas.Zone()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--until: %q is neither RFC 3339, \"2006-01-02 15:04\" nor a duration like 2h", s)
}

func defaultUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "cli"
}

func warningsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, warningsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("riskwatch warnings "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML)")
	all := fs.Bool("all", false, "list: include resolved warnings / expired silences")
	by := fs.String("by", defaultUser(), "who acknowledges or silences")
	comment := fs.String("comment", "", "why")
	region := fs.String("region", "", "silence: region code (the region and everything below it)")
	kind := fs.String("kind", "", "silence: kind (risk_band, stat_alarm, rule_alarm, supervision)")
	level := fs.String("level", "", "silence: level (red, orange, yellow, blue)")
	category := fs.String("category", "", "silence: category code")
	until := fs.String("until", "", "silence: end time")
	limit := fs.Int("limit", 50, "deliveries: rows")
	// Flags may follow the positional id.
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			return 2
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos = append(pos, rest[0])
			rest = rest[1:]
		}
	}
	need := map[string]int{"list": 0, "ack": 1, "silence": 0, "silences": 0, "unsilence": 1, "deliveries": 0}
	n, ok := need[sub]
	if !ok {
		fmt.Fprintf(stderr, "riskwatch warnings: unknown subcommand %q\n\n%s", sub, warningsUsage)
		return 2
	}
	if len(pos) != n {
		fmt.Fprintf(stderr, "riskwatch warnings %s: want %d argument(s), got %d\n\n%s", sub, n, len(pos), warningsUsage)
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch: %v\n", err)
		return 2
	}
	regions, err := loadRegions(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch: %v\n", err)
		return 2
	}
	now := time.Now()
	var silence store.WarningSilence
	if sub == "silence" {
		req := warnwire.SilenceRequest{CreatedBy: *by, Comment: *comment}
		if *region != "" {
			code, ok := regions.Normalize(*region)
			if !ok {
				fmt.Fprintf(stderr, "riskwatch warnings silence: --region: unknown region code %q\n", *region)
				return 2
			}
			req.Matchers.Region = []string{code}
		}
		for _, f := range []struct {
			v   string
			dst *[]string
		}{{*kind, &req.Matchers.Kind}, {*level, &req.Matchers.Level}, {*category, &req.Matchers.Category}} {
			if f.v != "" {
				*f.dst = []string{f.v}
			}
		}
		if *until == "" {
			fmt.Fprintln(stderr, "riskwatch warnings silence: --until: required")
			return 2
		}
		end, err := parseUntil(*until, now)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch warnings silence: %v\n", err)
			return 2
		}
		req.EndsAt = &end
		if silence, err = warnwire.NewSilence(req, regions, now, cfg.Warnings.MaxSilence); err != nil {
			fmt.Fprintf(stderr, "riskwatch warnings silence: %v\n", strings.NewReplacer("matchers.", "--", "created_by", "--by", "comment:", "--comment:", "ends_at", "--until").Replace(err.Error()))
			return 2
		}
	}
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch warnings: %v\n", err)
		return 1
	}
	defer cleanup()
	if err := warningsRun(ctx, st, regions, sub, pos, *all, *by, *comment, *limit, silence, now, stdout); err != nil {
		fmt.Fprintf(stderr, "riskwatch warnings %s: %v\n", sub, err)
		if errors.Is(err, warnings.ErrUnknownWarning) {
			return 2
		}
		return 1
	}
	return 0
}

func warningsRun(ctx context.Context, st *store.Store, regions *schemas.Registry, sub string, pos []string, all bool,
	by, comment string, limit int, silence store.WarningSilence, now time.Time, out io.Writer) error {
	name := func(code string) string {
		if r, ok := regions.Lookup(code); ok {
			return r.Name
		}
		return code
	}
	levelZH := map[string]string{"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	defer tw.Flush()
	switch sub {
	case "list":
		f := store.WarningFilter{State: warnings.Firing}
		if all {
			f.State = ""
		}
		rows, err := st.Warnings(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "编号 ID\t级别\t类型\t地区\t状态\t开始时间\t标题")
		for _, w := range rows {
			state := map[string]string{"firing": "预警中", "resolved": "已解除"}[w.State]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", w.ID, levelZH[w.Level], warnings.KindZH(w.Kind), name(w.RegionCode), state,
				w.StartsAt.In(schemas.Zone()).Format("2006-01-02 15:04"), w.Title)
		}
		fmt.Fprintf(tw, "共 %d 条\n", len(rows))
	case "ack":
		if err := warnwire.Ack(ctx, st, nil, pos[0], by, comment, now); err != nil {
			return err
		}
		fmt.Fprintf(tw, "已确认预警 %s（%s）：不再重复提醒，也不再升级。运行中的服务在下一轮（约 1 秒内）生效。\n", pos[0], by)
	case "silence":
		if err := st.WriteWarningSilence(ctx, silence); err != nil {
			return err
		}
		fmt.Fprintf(tw, "已设置静默 %s：%s，至 %s（%s：%s）\n", silence.ID, strings.Join(silence.Matchers, " "),
			silence.EndsAt.In(schemas.Zone()).Format("2006-01-02 15:04"), silence.CreatedBy, silence.Comment)
	case "silences":
		rows, err := st.WarningSilences(ctx, now, all)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "编号 ID\t条件\t开始\t结束\t设置人\t说明\t状态")
		for _, r := range rows {
			s := warnwire.SilenceOut(r, now)
			status := map[string]string{"active": "生效中", "pending": "未开始", "expired": "已结束"}[s.Status]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, strings.Join(r.Matchers, " "),
				r.StartsAt.In(schemas.Zone()).Format("01-02 15:04"), r.EndsAt.In(schemas.Zone()).Format("01-02 15:04"),
				r.CreatedBy, r.Comment, status)
		}
	case "unsilence":
		s, err := warnwire.ExpireSilence(ctx, st, pos[0], now)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "已解除静默 %s（%s）\n", s.ID, strings.Join(s.Matchers, " "))
	case "deliveries":
		rows, err := st.WarningDeliveries(ctx, limit)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "时间\t接收单位\t通道\t原因\t第几次\t结果\tHTTP\t耗时ms\t错误")
		for _, d := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\n", d.AttemptedAt.In(schemas.Zone()).Format("01-02 15:04:05"),
				name(d.Receiver), d.Channel, d.Reason, d.Attempt, d.Status, d.StatusCode, d.LatencyMS, d.Error)
		}
	}
	return nil
}
