package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// mountAPI mounts the analyst API (/api/…) and the web console (/console/,
// also GET /) and installs the token check as env.requireRole, so that the
// parts mounted after it (reports, warnings) share tokens, scopes and the
// audit log. Its stop function flushes the audit log.
func mountAPI(env *serveEnv) (stop func(), err error) {
	c := env.cfg.API
	if !c.Enabled {
		return nil, nil
	}
	srv, err := api.New(api.Options{
		Store: apiStore{env.ro, env.st}, Regions: env.regions, Log: env.log,
		MaxRows: c.MaxRows, MaxRangeDays: c.MaxRangeDays, MaxPageSize: c.MaxPageSize, ReviewBelow: env.cfg.Transform.ReviewBelow,
		Audit: c.Audit, TokenCacheTTL: c.TokenCacheTTL, QueryTimeout: c.QueryTimeout, DailyRefresh: c.DailyRefresh,
		MaxConcurrent: c.MaxConcurrent, TokenMaxConcurrent: c.TokenMaxConcurrent, TokenRate: c.TokenRate, TokenBurst: c.TokenBurst,
		RevocationCheck: c.RevocationCheck, AuthFailLimit: c.AuthFailLimit, AuthFailWindow: c.AuthFailWindow,
	})
	if err != nil {
		return nil, err
	}
	srv.Mount(env.mux)
	if c.DailyRefresh > 0 && env.ingested != nil {
		// The console's trends read the rollup: it takes in what ingest
		// stored before the jobs (and the reports) start.
		env.ingested.add(func(ctx context.Context) {
			if err := srv.RefreshDaily(ctx); err != nil && ctx.Err() == nil {
				env.log.Warn("cannot refresh the trends' rollup after ingest caught up", "err", err)
			}
		})
	}
	env.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	env.rootTaken, env.apiMounted = true, true
	// The parts mounted after the API share its token check, each token's
	// request budget and the query limits.
	env.requireRole = func(roles ...string) func(http.Handler) http.Handler {
		check := srv.RequireRole(roles...)
		return func(h http.Handler) http.Handler { return check(srv.Limited(h)) }
	}
	if env.cfg.Demo.Enabled {
		// The demo (make run) is a newcomer's first look: it makes an admin
		// token so that the printed console link opens at once. `riskwatch
		// token create` would start a second ClickHouse on the same data
		// directory while run holds it.
		tok, err := demoToken(env.ctx, env.st)
		if err != nil {
			srv.Close()
			return nil, err
		}
		env.demoToken = tok
		fmt.Fprintf(env.out, "  分析控制台 console: %s/console/?token=%s  (演示管理员令牌 demo admin token; API %s/api/openapi.json)\n", env.baseURL, tok, env.baseURL)
	} else {
		fmt.Fprintf(env.out, "  分析控制台 console: %s/console/?token=…  (API %s/api/openapi.json; tokens: riskwatch token create)\n", env.baseURL, env.baseURL)
	}
	return srv.Close, nil
}

// demoToken stores a new admin token named demo-admin for the whole
// registry and returns it (each start of the demo makes a new one).
func demoToken(ctx context.Context, st *store.Store) (string, error) {
	tok, id, err := api.NewToken()
	if err != nil {
		return "", err
	}
	now := time.Now()
	if err := st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(tok), Name: "demo-admin", Role: "admin",
		Created: now, Version: uint64(now.UnixNano())}); err != nil {
		return "", fmt.Errorf("cannot store the demo token: %w", err)
	}
	return tok, nil
}

const tokenUsage = `riskwatch token: API tokens of the analyst API and console

  riskwatch token create --name NAME --role ROLE [--scope CODE] [--expires AGE] [--config FILE]
        ROLE: leader (领导), analyst (分析员), center_operator (中心操作员), admin (管理员)
        CODE: a region code (150521 = 科左中旗, 9-digit towns, 12-digit codes); empty = the whole registry
        AGE: how long the token works, in days (90d) or hours (36h); empty = until revoked
        prints the token once; only its SHA-256 is stored
  riskwatch token list   [--config FILE]      (with expiry and last use)
  riskwatch token revoke [--config FILE] ID   (returns once running servers refuse the token)
`

// maxTokenAge bounds --expires.
const maxTokenAge = 3660 * 24 * time.Hour

// parseTokenAge reads --expires: a whole number of days ("90d") or a Go
// duration of hours and minutes ("36h", "1h30m"), positive and at most
// maxTokenAge.
func parseTokenAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > int(maxTokenAge/(24*time.Hour)) {
			return 0, fmt.Errorf("--expires: %q is not a number of days from 1 to %d (like 90d)", s, int(maxTokenAge/(24*time.Hour)))
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d > maxTokenAge {
		return 0, fmt.Errorf("--expires: %q is neither days (90d) nor hours (36h) between 1m and %dd", s, int(maxTokenAge/(24*time.Hour)))
	}
	if d < time.Minute {
		return 0, fmt.Errorf("--expires: %q is shorter than a minute", s)
	}
	return d, nil
}

// tokenCommand is `riskwatch token create|list|revoke`.
func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, tokenUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("riskwatch token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file")
	name := fs.String("name", "", "create: who or what the token is for (required)")
	role := fs.String("role", "", "create: "+strings.Join(api.Roles, ", ")+" (required)")
	scope := fs.String("scope", "", "create: region code the token is limited to (empty = everything)")
	expires := fs.String("expires", "", "create: how long the token works (90d, 36h; empty = until revoked)")
	switch sub {
	case "create", "list", "revoke":
	default:
		fmt.Fprintf(stderr, "riskwatch token: unknown command %q\n\n%s", sub, tokenUsage)
		return 2
	}
	// Flags may come before or after the positional ID.
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch token: %v\n", err)
		return 2
	}
	reg, err := loadRegions(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch token: %v\n", err)
		return 2
	}
	// Check the arguments before any server is started.
	var prefix string
	var age time.Duration
	switch sub {
	case "create":
		switch {
		case strings.TrimSpace(*name) == "":
			fmt.Fprintln(stderr, "riskwatch token create: --name is required")
			return 2
		case !slices.Contains(api.Roles, *role):
			fmt.Fprintf(stderr, "riskwatch token create: --role must be one of %s, not %q\n", strings.Join(api.Roles, ", "), *role)
			return 2
		case len(pos) > 0:
			fmt.Fprintf(stderr, "riskwatch token create: unexpected argument %q\n", pos[0])
			return 2
		}
		p, _, err := api.ParseScope(reg, *scope)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch token create: --%v\n", err)
			return 2
		}
		prefix = p
		if *expires != "" {
			if age, err = parseTokenAge(*expires); err != nil {
				fmt.Fprintf(stderr, "riskwatch token create: %v\n", err)
				return 2
			}
		}
	case "revoke":
		if len(pos) != 1 {
			fmt.Fprintln(stderr, "riskwatch token revoke: give exactly one token ID (see riskwatch token list)")
			return 2
		}
	}
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch token: %v\n", err)
		return 1
	}
	defer cleanup()
	if _, err := migrateAndLoad(ctx, cfg, st, log, io.Discard); err != nil {
		fmt.Fprintf(stderr, "riskwatch token: %v\n", err)
		return 1
	}
	now := time.Now()
	switch sub {
	case "create":
		tok, id, err := api.NewToken()
		var exp *time.Time
		if age > 0 {
			e := now.Add(age).Truncate(time.Second)
			exp = &e
		}
		if err == nil {
			err = st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(tok), Name: *name, Role: *role, Scope: prefix,
				Created: now, Expires: exp, Version: uint64(now.UnixNano())})
		}
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch token create: %v\n", err)
			return 1
		}
		_, r, _ := api.ParseScope(reg, prefix)
		fmt.Fprintf(stderr, "令牌已创建 token created: id %s, %s (%s), 范围 scope %s %s\n", id, *role, api.RoleNames[*role], r.ShortName, prefixOrAll(prefix))
		if exp != nil {
			fmt.Fprintf(stderr, "有效期至 expires %s\n", exp.In(schemas.Zone()).Format("2006-01-02 15:04"))
		}
		fmt.Fprintln(stderr, "请妥善保存，令牌只显示这一次 (store it now: it is shown only once)")
		fmt.Fprintln(stdout, tok)
	case "list":
		ts, err := st.APITokens(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch token list: %v\n", err)
			return 1
		}
		uses, err := st.APITokensLastUse(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch token list: %v\n", err)
			return 1
		}
		const layout = "2006-01-02 15:04"
		local := func(t time.Time) string { return t.In(schemas.Zone()).Format(layout) }
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tSCOPE\tCREATED\tEXPIRES\tLAST USED\tSTATUS")
		for _, t := range ts {
			status := "active"
			switch {
			case t.Revoked:
				status = "revoked"
				if t.RevokedAt != nil {
					status += " " + local(*t.RevokedAt)
				}
			case t.Expires != nil && !now.Before(*t.Expires):
				status = "expired"
			}
			expiry, last := "never", "never"
			if t.Expires != nil {
				expiry = local(*t.Expires)
			}
			if u, ok := uses[t.ID]; ok {
				last = local(u.LastUsed) + " " + u.Remote
			}
			_, r, _ := api.ParseScope(reg, t.Scope)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, prefixOrAll(t.Scope), r.ShortName, local(t.Created), expiry, last, status)
		}
		tw.Flush()
	case "revoke":
		t, err := st.APIRevokeToken(ctx, pos[0], now)
		if errors.Is(err, store.ErrAPITokenNotFound) {
			fmt.Fprintf(stderr, "riskwatch token revoke: %v\n", err)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch token revoke: %v\n", err)
			return 1
		}
		// A running server notices the revocation at its next generation
		// check, at most api.revocation_check after the write: waiting that
		// long (and a little) means the token is refused once this returns.
		if wait := cfg.API.RevocationCheck; wait > 0 {
			select {
			case <-time.After(wait + 100*time.Millisecond):
			case <-ctx.Done():
			}
		}
		fmt.Fprintf(stdout, "revoked %s (%s); running servers refuse it from now on\n", t.ID, t.Name)
	}
	return 0
}

func prefixOrAll(p string) string {
	if p == "" {
		return "(all)"
	}
	return p
}
