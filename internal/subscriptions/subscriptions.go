// Package subscriptions pushes rendered reports to the people who
// subscribed to them: a subscription names its owner (a center or a named
// leader, with a region scope like an API token's), the report (a kind of
// report as package reportgen knows it, and a region inside the owner's
// scope) and the channels (the warning channels: WeCom, DingTalk, Feishu
// robots, the signed webhook, e-mail).
//
// Where it sits: one scheduler job per report kind fires at
// subscriptions.send_at on the report day, after the jobs the report reads
// (scheduler.Job.After); it renders the reports that are missing, builds a
// Chinese card per subscription with a signed, expiring link bound to the
// report and the owner's scope (reportgen.SignLink) and queues it in the
// warnings outbox under the key (subscription, report), so that it is sent
// exactly once however often the job runs, the report is rendered again or
// the process restarts; the outbox's senders retry and write the delivery
// log. A report that fails to render is reported to the admin channels,
// and its subscribers get nothing.
package subscriptions

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/schemas"
)

// Kinds of owners.
const (
	OwnerCenter = "center"
	OwnerLeader = "leader"
)

// Subscription is one subscription.
type Subscription struct {
	ID string
	// Owner is the center's region code or the leader's name; OwnerKind
	// says which.
	Owner     string
	OwnerKind string
	// Scope is the owner's region (a 12-digit code): the center itself or
	// the leader's region. The report's region lies in it.
	Scope string
	// Region is the report's region, Kind the report kind.
	Region   string
	Kind     string
	Channels []string
	// Source is "config" or "cli" (stored in ClickHouse).
	Source string
}

// ScopePrefix is the owner's scope as a division-code prefix, as a token
// of that region has it.
func (s Subscription) ScopePrefix(reg *schemas.Registry) string {
	r, ok := reg.Lookup(s.Scope)
	if !ok {
		return s.Scope
	}
	return api.ScopePrefix(r)
}

// OwnerName is how messages and listings name the owner.
func (s Subscription) OwnerName(reg *schemas.Registry) string {
	if s.OwnerKind == OwnerLeader {
		return s.Owner
	}
	if r, ok := reg.Lookup(s.Owner); ok {
		return r.Name + "综治中心"
	}
	return s.Owner
}

// ID is the stable id of a subscription: a hash of its owner, report and
// region, so that the same subscription has the same id in every process
// (the outbox keys its deliveries by it) and cannot be added twice.
func ID(ownerKind, owner, scope, region, kind string) string {
	h := sha256.Sum256([]byte(ownerKind + "\x00" + owner + "\x00" + scope + "\x00" + region + "\x00" + kind))
	return "sub_" + hex.EncodeToString(h[:6])
}

// New checks a subscription against the registry and the channels and
// returns it with its codes normalized and its id: the kind must be a
// report kind, the region a region of the registry at one of the kind's
// levels and inside the owner's scope (refused otherwise, as a token of
// the owner's scope could not read it), the channels defined. region ""
// is the owner's own region.
func New(reg *schemas.Registry, channels map[string]string, ownerKind, owner, scope, region, kind string, chans []string) (Subscription, error) {
	s := Subscription{OwnerKind: ownerKind, Owner: owner, Kind: kind}
	switch ownerKind {
	case OwnerCenter:
		code, ok := reg.Normalize(owner)
		if !ok {
			return s, fmt.Errorf("center: %q is not a region code of the registry", owner)
		}
		if scope != "" {
			if sc, ok := reg.Normalize(scope); !ok || sc != code {
				return s, fmt.Errorf("scope: a center's scope is the center itself (%s), not %q", code, scope)
			}
		}
		s.Owner, s.Scope = code, code
	case OwnerLeader:
		owner = strings.TrimSpace(owner)
		if owner == "" || len(owner) > 100 || strings.ContainsAny(owner, "\x00\n\r\t") {
			return s, fmt.Errorf("leader: %q is not a name", owner)
		}
		code, ok := reg.Normalize(scope)
		if !ok {
			return s, fmt.Errorf("scope: %q is not a region code of the registry", scope)
		}
		s.Owner, s.Scope = owner, code
	default:
		return s, fmt.Errorf("owner: %q is neither a center nor a leader", ownerKind)
	}
	k, ok := reportgen.LookupKind(kind)
	if !ok {
		return s, fmt.Errorf("kind: %q is not a report kind (%s)", kind, reportgen.KindNames())
	}
	if region == "" {
		region = s.Scope
	}
	code, ok := reg.Normalize(region)
	if !ok {
		return s, fmt.Errorf("region: %q is not a region code of the registry", region)
	}
	r, _ := reg.Lookup(code)
	sr, _ := reg.Lookup(s.Scope)
	if !strings.HasPrefix(code, api.ScopePrefix(sr)) {
		return s, fmt.Errorf("region: %s %s is outside the owner's scope %s %s: a subscription can only name regions inside its owner's scope",
			code, r.Name, sr.Code, sr.Name)
	}
	if !slices.Contains(k.Levels, r.Level) {
		return s, fmt.Errorf("region: %s %s is at level %d (%s); the %s report exists for levels %v", code, r.Name, int(r.Level), r.Level, k.Name, k.Levels)
	}
	s.Region = code
	if len(chans) == 0 {
		return s, fmt.Errorf("channels: none given")
	}
	for _, c := range chans {
		if _, ok := channels[c]; !ok {
			return s, fmt.Errorf("channels: %q is not defined under warnings.channels", c)
		}
	}
	s.Channels = slices.Clone(chans)
	s.ID = ID(s.OwnerKind, s.Owner, s.Scope, s.Region, s.Kind)
	return s, nil
}
