package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/internal/subscriptions"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// sharePrefix is where signed report links are served (no login).
const sharePrefix = "/share/"

// channelTypes maps the configured channels to their types.
func channelTypes(c config.Warnings) map[string]string {
	out := make(map[string]string, len(c.Channels))
	for n, ch := range c.Channels {
		out[n] = ch.Type
	}
	return out
}

// configSubscriptions checks the configured subscriptions against the
// registry (errors name the key).
func configSubscriptions(cfg config.Config, reg *schemas.Registry) ([]subscriptions.Subscription, error) {
	var out []subscriptions.Subscription
	types := channelTypes(cfg.Warnings)
	for i, c := range cfg.Subscriptions.List {
		kind, owner, scope := subscriptions.OwnerCenter, c.Center, ""
		if c.Leader != "" {
			kind, owner, scope = subscriptions.OwnerLeader, c.Leader, c.Scope
		}
		s, err := subscriptions.New(reg, types, kind, owner, scope, c.Region, c.Kind, c.Channels)
		if err != nil {
			return nil, fmt.Errorf("subscriptions.list[%d].%w", i, err)
		}
		s.Source = "config"
		out = append(out, s)
	}
	return out, nil
}

// storedSubscription turns a stored row into a subscription.
func storedSubscription(r store.ReportSubscription) subscriptions.Subscription {
	return subscriptions.Subscription{ID: r.ID, Owner: r.Owner, OwnerKind: r.OwnerKind, Scope: r.OwnerScope, Region: r.Region,
		Kind: r.Kind, Channels: r.Channels, Source: "cli"}
}

// linkSecret is the deployment secret that signs report links: the
// configured one, or a random one kept in link.key next to the outbox
// (made on first use, so links survive restarts).
func linkSecret(c config.Config) ([]byte, error) {
	s := c.Subscriptions
	switch {
	case s.LinkSecret != "":
		return []byte(s.LinkSecret), nil
	case s.LinkSecretEnv != "":
		v := os.Getenv(s.LinkSecretEnv)
		if len(v) < 16 {
			return nil, fmt.Errorf("subscriptions.link_secret_env: %s is empty or shorter than 16 characters", s.LinkSecretEnv)
		}
		return []byte(v), nil
	case s.LinkSecretFile != "":
		b, err := os.ReadFile(s.LinkSecretFile)
		if err != nil {
			return nil, fmt.Errorf("subscriptions.link_secret_file: %w", err)
		}
		if v := strings.TrimSpace(string(b)); len(v) >= 16 {
			return []byte(v), nil
		}
		return nil, fmt.Errorf("subscriptions.link_secret_file: shorter than 16 characters")
	}
	p := filepath.Join(filepath.Dir(c.Warnings.Outbox), "link.key")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("cannot make the link secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the link secret's directory: %w", err)
	}
	v := hex.EncodeToString(k)
	if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("cannot write the link secret: %w", err)
	}
	return []byte(v), nil
}

// newDispatcher builds the subscriptions' dispatcher of `riskwatch run`:
// the configured subscriptions and those stored by the CLI (read at each
// run of a job), rendering with g.
func newDispatcher(cfg config.Config, st *store.Store, reg *schemas.Registry, g *reportgen.Generator, log *slog.Logger) (*subscriptions.Dispatcher, error) {
	fromConfig, err := configSubscriptions(cfg, reg)
	if err != nil {
		return nil, err
	}
	secret, err := linkSecret(cfg)
	if err != nil {
		return nil, err
	}
	at, _ := cfg.Subscriptions.SendAtOfDay()
	return subscriptions.NewDispatcher(subscriptions.Options{
		Reports: g, Registry: reg, ChannelTypes: channelTypes(cfg.Warnings), Admins: cfg.Subscriptions.Admins,
		SendAt: at, Secret: secret, LinkTTL: cfg.Subscriptions.LinkTTL, Log: log.With("component", "subscriptions"),
		List: func(ctx context.Context) ([]subscriptions.Subscription, error) {
			rows, err := st.ReportSubscriptions(ctx)
			if err != nil {
				return nil, err
			}
			out := append([]subscriptions.Subscription(nil), fromConfig...)
			for _, r := range rows {
				out = append(out, storedSubscription(r))
			}
			return out, nil
		},
	}), nil
}

const subscriptionsUsage = `用法 usage:
  riskwatch subscriptions list [--config FILE]                        订阅列表 (configured and added)
  riskwatch subscriptions add (--center CODE | --leader NAME --scope CODE)
                              --kind KIND [--region CODE] --channels A,B   添加订阅
  riskwatch subscriptions remove ID                                   删除订阅 (added ones; configured ones live in the file)

  --center   the subscribing center's region code (its scope is itself)
  --leader   the subscribing leader's name, with --scope the leader's region
  --kind     the report kind (day, week, month, bulletin, or a kind added to the reports)
  --region   the report's region (default: the owner's own); must lie inside the owner's scope
  --channels channels of warnings.channels (wecom, dingtalk, feishu, webhook, email)
`

func subscriptionsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, subscriptionsUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub := args[0]
	fs := flag.NewFlagSet("riskwatch subscriptions "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file")
	center := fs.String("center", "", "")
	leader := fs.String("leader", "", "")
	scope := fs.String("scope", "", "")
	kind := fs.String("kind", "", "")
	region := fs.String("region", "", "")
	chans := fs.String("channels", "", "")
	switch sub {
	case "list", "add", "remove":
	default:
		fmt.Fprintf(stderr, "riskwatch subscriptions: unknown command %q\n\n%s", sub, subscriptionsUsage)
		return 2
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "riskwatch subscriptions "+sub+": "+format+"\n", a...)
		return 2
	}
	if want := map[string]int{"list": 0, "add": 0, "remove": 1}[sub]; len(pos) != want {
		return bad("want %d argument(s), got %d", want, len(pos))
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return bad("%v", err)
	}
	reg, err := loadRegions(cfg)
	if err != nil {
		return bad("%v", err)
	}
	fromConfig, err := configSubscriptions(cfg, reg)
	if err != nil {
		return bad("%v", err)
	}
	var added subscriptions.Subscription
	if sub == "add" {
		ownerKind, owner := subscriptions.OwnerCenter, *center
		switch {
		case *center != "" && *leader != "":
			return bad("give --center or --leader, not both")
		case *center == "" && *leader == "":
			return bad("give the owner: --center CODE or --leader NAME --scope CODE")
		case *leader != "":
			ownerKind, owner = subscriptions.OwnerLeader, *leader
			if *scope == "" {
				return bad("--scope: a leader's subscription needs the leader's region")
			}
		}
		var list []string
		for _, c := range strings.Split(*chans, ",") {
			if c = strings.TrimSpace(c); c != "" {
				list = append(list, c)
			}
		}
		added, err = subscriptions.New(reg, channelTypes(cfg.Warnings), ownerKind, owner, *scope, *region, *kind, list)
		if err != nil {
			return bad("--%v", err)
		}
		for _, s := range fromConfig {
			if s.ID == added.ID {
				return bad("the configuration already has this subscription (%s)", s.ID)
			}
		}
	}
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch subscriptions: %v\n", err)
		return 1
	}
	defer cleanup()
	if _, err := migrateAndLoad(ctx, cfg, st, log, io.Discard); err != nil {
		fmt.Fprintf(stderr, "riskwatch subscriptions: %v\n", err)
		return 1
	}
	if err := subscriptionsRun(ctx, st, reg, sub, pos, added, fromConfig, stdout); err != nil {
		fmt.Fprintf(stderr, "riskwatch subscriptions %s: %v\n", sub, err)
		if errors.Is(err, errUnknownSubscription) {
			return 2
		}
		return 1
	}
	return 0
}

var errUnknownSubscription = errors.New("no added subscription with this id")

func subscriptionsRun(ctx context.Context, st *store.Store, reg *schemas.Registry, sub string, pos []string,
	added subscriptions.Subscription, fromConfig []subscriptions.Subscription, out io.Writer) error {
	rows, err := st.ReportSubscriptions(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	switch sub {
	case "add":
		for _, r := range rows {
			if r.ID == added.ID {
				return fmt.Errorf("subscription %s exists already", added.ID)
			}
		}
		err := st.WriteReportSubscription(ctx, store.ReportSubscription{ID: added.ID, Owner: added.Owner, OwnerKind: added.OwnerKind,
			OwnerScope: added.Scope, Region: added.Region, Kind: added.Kind, Channels: added.Channels, Created: now,
			Version: uint64(now.UnixNano())})
		if err != nil {
			return err
		}
		r, _ := reg.Lookup(added.Region)
		fmt.Fprintf(out, "已添加订阅 %s：%s 订阅 %s %s，经 %s 推送\n", added.ID, added.OwnerName(reg), r.Name, kindZH(added.Kind),
			strings.Join(added.Channels, "、"))
	case "remove":
		for _, s := range fromConfig {
			if s.ID == pos[0] {
				return fmt.Errorf("subscription %s is in the configuration file (subscriptions.list): remove it there", s.ID)
			}
		}
		for _, r := range rows {
			if r.ID == pos[0] {
				r.Removed, r.Version = true, uint64(now.UnixNano())
				if err := st.WriteReportSubscription(ctx, r); err != nil {
					return err
				}
				fmt.Fprintf(out, "已删除订阅 %s\n", r.ID)
				return nil
			}
		}
		return fmt.Errorf("%w %q", errUnknownSubscription, pos[0])
	case "list":
		all := append([]subscriptions.Subscription(nil), fromConfig...)
		for _, r := range rows {
			all = append(all, storedSubscription(r))
		}
		tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "编号 ID\t订阅人 OWNER\t范围 SCOPE\t报告 REPORT\t通道 CHANNELS\t来源 SOURCE")
		for _, s := range all {
			r, _ := reg.Lookup(s.Region)
			sc, _ := reg.Lookup(s.Scope)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\n", s.ID, s.OwnerName(reg), sc.Name, r.Name, kindZH(s.Kind),
				strings.Join(s.Channels, ","), s.Source)
		}
		fmt.Fprintf(tw, "共 %d 条\n", len(all))
		return tw.Flush()
	}
	return nil
}

func kindZH(kind string) string {
	if k, ok := reportgen.LookupKind(kind); ok {
		return k.NameZH
	}
	return kind
}
