package warnwire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/warnings"
)

// Roles may acknowledge warnings and set silences.
var Roles = []string{api.RoleLeader, api.RoleCenterOperator, api.RoleAdmin}

// Guard wraps a handler so that only requests with a token of one of the
// roles pass (the API's RequireRole); the token's scope travels in the
// request's context.
type Guard func(roles ...string) func(http.Handler) http.Handler

// HTTPOptions configure the warning endpoints.
type HTTPOptions struct {
	Regions *schemas.Registry
	// MaxSilence bounds a silence's length (warnings.max_silence); 0 =
	// no bound.
	MaxSilence time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Mount registers the warning endpoints on mux under the API's path
// scheme, behind guard: acknowledgements and silences for Roles, the dead
// letters for admins. The paths of earlier releases (/api/v1/…) answer
// with a permanent redirect (308 keeps the method and the body).
//
//	POST   /api/warnings/{id}/ack
//	GET    /api/silences          POST /api/silences
//	DELETE /api/silences/{id}
//	GET    /api/warnings/dead     POST /api/warnings/dead/{delivery_id}/requeue
func (s *Service) Mount(mux *http.ServeMux, guard Guard, o HTTPOptions) {
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &handlers{st: s.st, engine: s.Engine, outbox: s.Outbox, regions: o.Regions, now: o.Now, maxSilence: o.MaxSilence}
	wrap, admin := guard(Roles...), guard(api.RoleAdmin)
	mux.Handle("POST /api/warnings/{id}/ack", wrap(http.HandlerFunc(h.ack)))
	mux.Handle("GET /api/silences", wrap(http.HandlerFunc(h.listSilences)))
	mux.Handle("POST /api/silences", wrap(http.HandlerFunc(h.createSilence)))
	mux.Handle("DELETE /api/silences/{id}", wrap(http.HandlerFunc(h.deleteSilence)))
	// Dead letters (notifications a channel refused for good) are the
	// admin's: listing and requeueing go through the running server, which
	// holds the outbox file.
	mux.Handle("GET /api/warnings/dead", admin(http.HandlerFunc(h.listDead)))
	mux.Handle("POST /api/warnings/dead/{delivery_id}/requeue", admin(http.HandlerFunc(h.requeue)))
	for _, old := range []string{
		"POST /api/v1/warnings/{id}/ack", "GET /api/v1/silences", "POST /api/v1/silences", "DELETE /api/v1/silences/{id}",
		"GET /api/v1/warnings/dead", "POST /api/v1/warnings/dead/{delivery_id}/requeue",
	} {
		mux.HandleFunc(old, redirectV1)
	}
}

// redirectV1 sends a request for /api/v1/… to the same path without v1.
func redirectV1(w http.ResponseWriter, r *http.Request) {
	u := *r.URL
	u.Path = "/api/" + strings.TrimPrefix(r.URL.Path, "/api/v1/")
	u.RawPath = ""
	http.Redirect(w, r, u.RequestURI(), http.StatusPermanentRedirect)
}

type handlers struct {
	st         *store.Store
	engine     *warnings.Engine
	outbox     *warnings.Outbox
	regions    *schemas.Registry
	now        func() time.Time
	maxSilence time.Duration
}

// FieldError is a refused request naming its field (the API's param).
type FieldError struct {
	Param, Msg string
}

func (e *FieldError) Error() string { return e.Param + ": " + e.Msg }

func fieldErr(param, format string, a ...any) error {
	return &FieldError{Param: param, Msg: fmt.Sprintf(format, a...)}
}

// fail answers err: a FieldError with its status and param, anything else
// with status and no param.
func fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	var fe *FieldError
	if errors.As(err, &fe) {
		api.WriteError(w, r, status, fe.Param, fe.Error())
		return
	}
	api.WriteError(w, r, status, "", err.Error())
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
		return fieldErr("body", "%v", err)
	}
	return nil
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
func (h *handlers) warningRegion(ctx context.Context, id string) (string, bool, error) {
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

type ackRequest struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
}

func (h *handlers) ack(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req ackRequest
	if err := decodeBody(r, &req, true); err != nil {
		fail(w, r, http.StatusBadRequest, err)
		return
	}
	scope, name := caller(r)
	region, ok, err := h.warningRegion(r.Context(), id)
	switch {
	case err != nil:
		fail(w, r, http.StatusInternalServerError, err)
		return
	case !ok:
		fail(w, r, http.StatusNotFound, fieldErr("id", "no warning %q", id))
		return
	case !inScope(scope, []string{region}):
		fail(w, r, http.StatusForbidden, fieldErr("id", "warning %q is outside your region scope", id))
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
	err = Ack(r.Context(), h.st, h.engine, id, by, req.Comment, at)
	switch {
	case errors.Is(err, warnings.ErrUnknownWarning):
		fail(w, r, http.StatusNotFound, fieldErr("id", "no warning %q", id))
	case err != nil:
		fail(w, r, http.StatusInternalServerError, err)
	default:
		api.WriteJSON(w, http.StatusOK, map[string]any{"id": id, "acked_by": by, "acked_at": at.UTC().Format(time.RFC3339)})
	}
}

// SilenceJSON is a silence in the API.
type SilenceJSON struct {
	ID        string            `json:"id"`
	Matchers  warnings.Matchers `json:"matchers"`
	StartsAt  time.Time         `json:"starts_at"`
	EndsAt    time.Time         `json:"ends_at"`
	CreatedBy string            `json:"created_by"`
	Comment   string            `json:"comment"`
	CreatedAt time.Time         `json:"created_at"`
	Status    string            `json:"status"` // pending, active, expired
}

// SilenceOut is a stored silence as the API and the CLI show it at now.
func SilenceOut(r store.WarningSilence, now time.Time) SilenceJSON {
	m, _ := warnings.ParseMatchers(r.Matchers)
	status := "active"
	switch {
	case now.Before(r.StartsAt):
		status = "pending"
	case !now.Before(r.EndsAt):
		status = "expired"
	}
	return SilenceJSON{ID: r.ID, Matchers: m, StartsAt: r.StartsAt, EndsAt: r.EndsAt, CreatedBy: r.CreatedBy,
		Comment: r.Comment, CreatedAt: r.CreatedAt, Status: status}
}

func (h *handlers) listSilences(w http.ResponseWriter, r *http.Request) {
	all := r.URL.Query().Get("all") == "true"
	now := h.now()
	rows, err := h.st.WarningSilences(r.Context(), now, all)
	if err != nil {
		fail(w, r, http.StatusInternalServerError, err)
		return
	}
	scope, _ := caller(r)
	out := make([]SilenceJSON, 0, len(rows))
	for _, s := range rows {
		o := SilenceOut(s, now)
		if inScope(scope, o.Matchers.Region) {
			out = append(out, o)
		}
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"silences": out})
}

// SilenceRequest is a silence to set, from the API's body or the CLI's
// flags.
type SilenceRequest struct {
	Matchers  warnings.Matchers `json:"matchers"`
	StartsAt  *time.Time        `json:"starts_at"`
	EndsAt    *time.Time        `json:"ends_at"`
	Duration  string            `json:"duration"`
	CreatedBy string            `json:"created_by"`
	Comment   string            `json:"comment"`
}

// NewSilence validates a silence request; errors are FieldErrors naming
// the field. A silence may last at most maxLen from its start (or from
// now, when it started earlier); 0 = no bound.
func NewSilence(req SilenceRequest, regions *schemas.Registry, now time.Time, maxLen time.Duration) (store.WarningSilence, error) {
	m := req.Matchers
	if m.Empty() {
		return store.WarningSilence{}, fieldErr("matchers", "at least one of level, kind, category, rule, region is required")
	}
	// Round-trip through the stored form to validate names and values.
	if _, err := warnings.ParseMatchers(m.Strings()); err != nil {
		return store.WarningSilence{}, fieldErr("matchers", "%v", err)
	}
	for _, k := range m.Kind {
		if !slices.Contains(warnings.Kinds, k) {
			return store.WarningSilence{}, fieldErr("matchers.kind", "%q is not a kind (%s)", k, strings.Join(warnings.Kinds, ", "))
		}
	}
	if regions != nil {
		for _, code := range m.Region {
			if _, ok := regions.Lookup(code); !ok {
				return store.WarningSilence{}, fieldErr("matchers.region", "unknown region code %q", code)
			}
		}
	}
	if strings.TrimSpace(req.CreatedBy) == "" {
		return store.WarningSilence{}, fieldErr("created_by", "required (who set the silence)")
	}
	if strings.TrimSpace(req.Comment) == "" {
		return store.WarningSilence{}, fieldErr("comment", "required (why)")
	}
	start := now
	if req.StartsAt != nil {
		start = *req.StartsAt
	}
	var end time.Time
	switch {
	case req.EndsAt != nil && req.Duration != "":
		return store.WarningSilence{}, fieldErr("ends_at", "give ends_at or duration, not both")
	case req.EndsAt != nil:
		end = *req.EndsAt
	case req.Duration != "":
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return store.WarningSilence{}, fieldErr("duration", "%q is not a positive duration", req.Duration)
		}
		end = start.Add(d)
	default:
		return store.WarningSilence{}, fieldErr("ends_at", "required (or duration)")
	}
	if !end.After(start) || !end.After(now) {
		return store.WarningSilence{}, fieldErr("ends_at", "%s is not after the start and now", end.Format(time.RFC3339))
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
		return store.WarningSilence{}, fieldErr(param, "the silence would last %s, longer than warnings.max_silence (%s); set a shorter one and renew it if needed",
			end.Sub(from).Round(time.Minute), maxLen)
	}
	return store.WarningSilence{ID: NewSilenceID(), Matchers: m.Strings(), StartsAt: start, EndsAt: end,
		CreatedBy: req.CreatedBy, Comment: req.Comment, CreatedAt: now, UpdatedAt: now}, nil
}

func (h *handlers) createSilence(w http.ResponseWriter, r *http.Request) {
	var req SilenceRequest
	if err := decodeBody(r, &req, false); err != nil {
		fail(w, r, http.StatusBadRequest, err)
		return
	}
	now := h.now()
	scope, name := caller(r)
	if name != "" {
		// The author is the token's name, never what the body claims.
		if req.CreatedBy != "" && req.CreatedBy != name {
			fail(w, r, http.StatusBadRequest, fieldErr("created_by", "the author of a silence is the token's name (%s); leave created_by out", name))
			return
		}
		req.CreatedBy = name
	}
	s, err := NewSilence(req, h.regions, now, h.maxSilence)
	if err != nil {
		fail(w, r, http.StatusBadRequest, err)
		return
	}
	if !inScope(scope, req.Matchers.Region) {
		fail(w, r, http.StatusForbidden, fieldErr("matchers.region", "a silence must name regions inside your scope %s", scope))
		return
	}
	if err := h.st.WriteWarningSilence(r.Context(), s); err != nil {
		fail(w, r, http.StatusInternalServerError, err)
		return
	}
	api.WriteJSON(w, http.StatusCreated, SilenceOut(s, now))
}

// ErrUnknownSilence is returned (wrapped) by ExpireSilence for an id
// that names no silence.
var ErrUnknownSilence = errors.New("unknown silence")

// ExpireSilence ends a silence now by writing a new version of it.
func ExpireSilence(ctx context.Context, st *store.Store, id string, now time.Time) (store.WarningSilence, error) {
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
	return store.WarningSilence{}, fmt.Errorf("%w %q", ErrUnknownSilence, id)
}

func (h *handlers) deleteSilence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	now := h.now()
	if scope, _ := caller(r); scope != "" {
		all, err := h.st.WarningSilences(r.Context(), now, true)
		if err != nil {
			fail(w, r, http.StatusInternalServerError, err)
			return
		}
		for _, x := range all {
			if m, _ := warnings.ParseMatchers(x.Matchers); x.ID == id && !inScope(scope, m.Region) {
				fail(w, r, http.StatusForbidden, fieldErr("id", "silence %q reaches outside your region scope", id))
				return
			}
		}
	}
	s, err := ExpireSilence(r.Context(), h.st, id, now)
	switch {
	case errors.Is(err, ErrUnknownSilence):
		fail(w, r, http.StatusNotFound, fieldErr("id", "%v", err))
	case err != nil:
		fail(w, r, http.StatusInternalServerError, err)
	default:
		api.WriteJSON(w, http.StatusOK, SilenceOut(s, now))
	}
}

func (h *handlers) listDead(w http.ResponseWriter, r *http.Request) {
	dead, err := h.outbox.Dead()
	if err != nil {
		fail(w, r, http.StatusInternalServerError, err)
		return
	}
	out := make([]map[string]any, 0, len(dead))
	for _, e := range dead {
		out = append(out, map[string]any{"delivery_id": e.DeliveryID, "channel": e.Channel, "receiver": e.Notification.Receiver,
			"notification_id": e.Notification.ID, "attempts": e.Attempts, "created_at": e.CreatedAt})
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"dead": out})
}

func (h *handlers) requeue(w http.ResponseWriter, r *http.Request) {
	e, err := h.outbox.Requeue(r.PathValue("delivery_id"), h.now())
	switch {
	case errors.Is(err, warnings.ErrUnknownDelivery):
		fail(w, r, http.StatusNotFound, fieldErr("delivery_id", "%v", err))
	case err != nil:
		fail(w, r, http.StatusInternalServerError, err)
	default:
		api.WriteJSON(w, http.StatusOK, map[string]any{"requeued": e.DeliveryID, "channel": e.Channel})
	}
}
