package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/warnwire"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/warnings"
)

// warningRoles may acknowledge warnings and set silences.
var warningRoles = []string{"leader", "center_operator", "admin"}

// mountWarnings starts the warning engine and its senders inside `riskwatch
// run` and registers the acknowledgement and silence endpoints. Its stop
// function stops ticking, lets the attempts in flight finish and closes the
// outbox, before the store closes.
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
	ctx, cancel := context.WithCancel(env.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.Run(ctx); err != nil {
			log.Error("warning engine stopped", "err", err)
		}
	}()
	h := &warningHandlers{st: env.st, engine: svc.Engine, regions: env.regions, now: time.Now, maxSilence: env.cfg.Warnings.MaxSilence}
	guard := env.requireRole
	if guard == nil {
		guard = passthrough
	}
	wrap := guard(warningRoles...)
	env.mux.Handle("POST /api/v1/warnings/{id}/ack", wrap(http.HandlerFunc(h.ack)))
	env.mux.Handle("GET /api/v1/silences", wrap(http.HandlerFunc(h.listSilences)))
	env.mux.Handle("POST /api/v1/silences", wrap(http.HandlerFunc(h.createSilence)))
	env.mux.Handle("DELETE /api/v1/silences/{id}", wrap(http.HandlerFunc(h.deleteSilence)))
	// Dead letters (notifications a channel refused for good) are the
	// admin's: listing and requeueing go through the running server, which
	// holds the outbox file.
	admin := guard("admin")
	env.mux.Handle("GET /api/v1/warnings/dead", admin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dead, err := svc.Outbox.Dead()
		if err != nil {
			jsonError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		out := make([]map[string]any, 0, len(dead))
		for _, e := range dead {
			out = append(out, map[string]any{"delivery_id": e.DeliveryID, "channel": e.Channel, "receiver": e.Notification.Receiver,
				"notification_id": e.Notification.ID, "attempts": e.Attempts, "created_at": e.CreatedAt})
		}
		writeJSON(w, http.StatusOK, map[string]any{"dead": out})
	})))
	env.mux.Handle("POST /api/v1/warnings/dead/{delivery_id}/requeue", admin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := svc.Outbox.Requeue(r.PathValue("delivery_id"), time.Now())
		switch {
		case errors.Is(err, warnings.ErrUnknownDelivery):
			jsonError(w, http.StatusNotFound, "delivery_id: %v", err)
		case err != nil:
			jsonError(w, http.StatusInternalServerError, "%v", err)
		default:
			writeJSON(w, http.StatusOK, map[string]any{"requeued": e.DeliveryID, "channel": e.Channel})
		}
	})))
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

type warningHandlers struct {
	st      *store.Store
	engine  *warnings.Engine
	regions *schemas.Registry
	now     func() time.Time
	// maxSilence bounds a silence's length (warnings.max_silence).
	maxSilence time.Duration
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, code int, format string, a ...any) {
	writeJSON(w, code, map[string]string{"error": fmt.Sprintf(format, a...)})
}

// decodeBody reads a small JSON body strictly; an empty body is allowed
// when optional.
func decodeBody(r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
	return nil
}

type ackRequest struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
}

// caller returns the token's region scope (a division-code prefix, ""
// for everything) and name; both empty without authentication.
func caller(r *http.Request) (scope, name string) {
	if p, ok := api.PrincipalFrom(r.Context()); ok {
		return p.Scope, p.Name
	}
	return "", ""
}

// inScope reports whether every region matcher lies inside the scope, and
// there is at least one when the scope is limited.
func inScope(scope string, regions []string) bool {
	if scope == "" {
		return true
	}
	if len(regions) == 0 {
		return false
	}
	for _, r := range regions {
		if !strings.HasPrefix(r, scope) {
			return false
		}
	}
	return true
}

// warningRegion finds the region of a warning in the store or the engine.
func (h *warningHandlers) warningRegion(ctx context.Context, id string) (string, bool, error) {
	rows, err := h.st.Warnings(ctx, store.WarningFilter{IDs: []string{id}, Limit: 1})
	if err != nil {
		return "", false, err
	}
	if len(rows) > 0 {
		return rows[0].RegionCode, true, nil
	}
	if h.engine != nil {
		for _, w := range h.engine.Warnings() {
			if w.ID == id {
				return w.Region, true, nil
			}
		}
	}
	return "", false, nil
}

func (h *warningHandlers) ack(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req ackRequest
	if err := decodeBody(r, &req, true); err != nil {
		jsonError(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	scope, name := caller(r)
	region, ok, err := h.warningRegion(r.Context(), id)
	switch {
	case err != nil:
		jsonError(w, http.StatusInternalServerError, "%v", err)
		return
	case !ok:
		jsonError(w, http.StatusNotFound, "id: no warning %q", id)
		return
	case !inScope(scope, []string{region}):
		jsonError(w, http.StatusForbidden, "id: warning %q is outside your region scope", id)
		return
	}
	by := name
	if by == "" {
		by = req.By
	}
	if by == "" {
		by = "api"
	}
	at := h.now()
	err = warnwire.Ack(r.Context(), h.st, h.engine, id, by, req.Comment, at)
	switch {
	case errors.Is(err, warnings.ErrUnknownWarning):
		jsonError(w, http.StatusNotFound, "id: no warning %q", id)
	case err != nil:
		jsonError(w, http.StatusInternalServerError, "%v", err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "acked_by": by, "acked_at": at.UTC().Format(time.RFC3339)})
	}
}

// silenceJSON is a silence in the API.
type silenceJSON struct {
	ID        string            `json:"id"`
	Matchers  warnings.Matchers `json:"matchers"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	CreatedBy string            `json:"created_by"`
	Comment   string            `json:"comment"`
	CreatedAt time.Time         `json:"created_at"`
	Status    string            `json:"status"` // pending, active, expired
}

func silenceOut(r store.WarningSilence, now time.Time) silenceJSON {
	m, _ := warnings.ParseMatchers(r.Matchers)
	status := "active"
	switch {
	case now.Before(r.StartsAt):
		status = "pending"
	case !now.Before(r.EndsAt):
		status = "expired"
	}
	return silenceJSON{ID: r.ID, Matchers: m, StartsAt: r.StartsAt, EndsAt: r.EndsAt, CreatedBy: r.CreatedBy,
		Comment: r.Comment, CreatedAt: r.CreatedAt, Status: status}
}

func (h *warningHandlers) listSilences(w http.ResponseWriter, r *http.Request) {
	all := r.URL.Query().Get("all") == "true"
	now := h.now()
	rows, err := h.st.WarningSilences(r.Context(), now, all)
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	scope, _ := caller(r)
	out := make([]silenceJSON, 0, len(rows))
	for _, s := range rows {
		o := silenceOut(s, now)
		if inScope(scope, o.Matchers.Region) {
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"silences": out})
}

type silenceRequest struct {
	Matchers  warnings.Matchers `json:"matchers"`
	StartsAt  *time.Time        `json:"starts_at"`
	EndsAt    *time.Time        `json:"ends_at"`
	Duration  string            `json:"duration"`
	CreatedBy string            `json:"created_by"`
	Comment   string            `json:"comment"`
}

// newSilence validates a silence request; errors name the field. A silence
// may last at most maxLen from its start (or from now, when it started
// earlier).
func newSilence(req silenceRequest, regions *schemas.Registry, now time.Time, maxLen time.Duration) (store.WarningSilence, error) {
	m := req.Matchers
	if m.Empty() {
		return store.WarningSilence{}, errors.New("matchers: at least one of level, kind, category, rule, region is required")
	}
	// Round-trip through the stored form to validate names and values.
	if _, err := warnings.ParseMatchers(m.Strings()); err != nil {
		return store.WarningSilence{}, fmt.Errorf("matchers: %w", err)
	}
	for _, k := range m.Kind {
		if !isKind(k) {
			return store.WarningSilence{}, fmt.Errorf("matchers.kind: %q is not a kind (%s)", k, strings.Join(warnings.Kinds, ", "))
		}
	}
	if regions != nil {
		for _, code := range m.Region {
			if _, ok := regions.Lookup(code); !ok {
				return store.WarningSilence{}, fmt.Errorf("matchers.region: unknown region code %q", code)
			}
		}
	}
	if strings.TrimSpace(req.CreatedBy) == "" {
		return store.WarningSilence{}, errors.New("created_by: required (who set the silence)")
	}
	if strings.TrimSpace(req.Comment) == "" {
		return store.WarningSilence{}, errors.New("comment: required (why)")
	}
	start := now
	if req.StartsAt != nil {
		start = *req.StartsAt
	}
	var end time.Time
	switch {
	case req.EndsAt != nil && req.Duration != "":
		return store.WarningSilence{}, errors.New("ends_at: give ends_at or duration, not both")
	case req.EndsAt != nil:
		end = *req.EndsAt
	case req.Duration != "":
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return store.WarningSilence{}, fmt.Errorf("duration: %q is not a positive duration", req.Duration)
		}
		end = start.Add(d)
	default:
		return store.WarningSilence{}, errors.New("ends_at: required (or duration)")
	}
	if !end.After(start) || !end.After(now) {
		return store.WarningSilence{}, fmt.Errorf("ends_at: %s is not after the start and now", end.Format(time.RFC3339))
	}
	from := start
	if from.Before(now) {
		from = now
	}
	if maxLen > 0 && end.Sub(from) > maxLen {
		param := "ends_at"
		if req.Duration != "" {
			param = "duration"
		}
		return store.WarningSilence{}, fmt.Errorf("%s: the silence would last %s, longer than warnings.max_silence (%s); set a shorter one and renew it if needed",
			param, end.Sub(from).Round(time.Minute), maxLen)
	}
	return store.WarningSilence{ID: warnwire.NewSilenceID(), Matchers: m.Strings(), StartsAt: start, EndsAt: end,
		CreatedBy: req.CreatedBy, Comment: req.Comment, CreatedAt: now, UpdatedAt: now}, nil
}

func isKind(k string) bool {
	for _, x := range warnings.Kinds {
		if x == k {
			return true
		}
	}
	return false
}

func (h *warningHandlers) createSilence(w http.ResponseWriter, r *http.Request) {
	var req silenceRequest
	if err := decodeBody(r, &req, false); err != nil {
		jsonError(w, http.StatusBadRequest, "body: %v", err)
		return
	}
	now := h.now()
	scope, name := caller(r)
	if name != "" {
		// The author is the token's name, never what the body claims.
		if req.CreatedBy != "" && req.CreatedBy != name {
			jsonError(w, http.StatusBadRequest, "created_by: the author of a silence is the token's name (%s); leave created_by out", name)
			return
		}
		req.CreatedBy = name
	}
	s, err := newSilence(req, h.regions, now, h.maxSilence)
	if err != nil {
		jsonError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if !inScope(scope, req.Matchers.Region) {
		jsonError(w, http.StatusForbidden, "matchers.region: a silence must name regions inside your scope %s", scope)
		return
	}
	if err := h.st.WriteWarningSilence(r.Context(), s); err != nil {
		jsonError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, silenceOut(s, now))
}

// expireSilence ends a silence now by writing a new version of it.
func expireSilence(ctx context.Context, st *store.Store, id string, now time.Time) (store.WarningSilence, error) {
	all, err := st.WarningSilences(ctx, now, true)
	if err != nil {
		return store.WarningSilence{}, err
	}
	for _, s := range all {
		if s.ID != id {
			continue
		}
		if !now.Before(s.EndsAt) {
			return s, nil // already over
		}
		s.EndsAt, s.UpdatedAt = now, now
		if s.StartsAt.After(now) {
			s.StartsAt = now
		}
		return s, st.WriteWarningSilence(ctx, s)
	}
	return store.WarningSilence{}, fmt.Errorf("no silence %q", id)
}

func (h *warningHandlers) deleteSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	now := h.now()
	if scope, _ := caller(r); scope != "" {
		all, err := h.st.WarningSilences(r.Context(), now, true)
		if err != nil {
			jsonError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		for _, x := range all {
			if m, _ := warnings.ParseMatchers(x.Matchers); x.ID == id && !inScope(scope, m.Region) {
				jsonError(w, http.StatusForbidden, "id: silence %q reaches outside your region scope", id)
				return
			}
		}
	}
	s, err := expireSilence(r.Context(), h.st, id, now)
	if err != nil {
		if strings.HasPrefix(err.Error(), "no silence") {
			jsonError(w, http.StatusNotFound, "id: %v", err)
			return
		}
		jsonError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, http.StatusOK, silenceOut(s, now))
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
		if t, err := time.ParseInLocation(layout, s, schemas.Shanghai); err == nil {
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
		req := silenceRequest{CreatedBy: *by, Comment: *comment}
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
		if silence, err = newSilence(req, regions, now, cfg.Warnings.MaxSilence); err != nil {
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
				w.StartsAt.In(schemas.Shanghai).Format("2006-01-02 15:04"), w.Title)
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
			silence.EndsAt.In(schemas.Shanghai).Format("2006-01-02 15:04"), silence.CreatedBy, silence.Comment)
	case "silences":
		rows, err := st.WarningSilences(ctx, now, all)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "编号 ID\t条件\t开始\t结束\t设置人\t说明\t状态")
		for _, r := range rows {
			s := silenceOut(r, now)
			status := map[string]string{"active": "生效中", "pending": "未开始", "expired": "已结束"}[s.Status]
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, strings.Join(r.Matchers, " "),
				r.StartsAt.In(schemas.Shanghai).Format("01-02 15:04"), r.EndsAt.In(schemas.Shanghai).Format("01-02 15:04"),
				r.CreatedBy, r.Comment, status)
		}
	case "unsilence":
		s, err := expireSilence(ctx, st, pos[0], now)
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
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\n", d.AttemptedAt.In(schemas.Shanghai).Format("01-02 15:04:05"),
				name(d.Receiver), d.Channel, d.Reason, d.Attempt, d.Status, d.StatusCode, d.LatencyMS, d.Error)
		}
	}
	return nil
}
