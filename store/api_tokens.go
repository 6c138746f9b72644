package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file holds the analyst API's tokens (api_tokens, their last use and
// revocation generation) and its audit log (api_audit).

// APIToken is one row of api_tokens.
type APIToken struct {
	ID, Hash, Name, Role, Scope string
	Created                     time.Time
	Revoked                     bool
	RevokedAt                   *time.Time
	// Expires is when the token stops working (nil = never).
	Expires *time.Time
	Version uint64
}

const apiTokenColumns = "id, hash, name, role, scope, created, revoked, revoked_at, expires, version"

// APIInsertToken stores a token (or a new version of one).
func (s *Store) APIInsertToken(ctx context.Context, t APIToken) error {
	var rev uint8
	if t.Revoked {
		rev = 1
	}
	return s.insertColumns(ctx, "api_tokens", apiTokenColumns, []any{
		[]string{t.ID}, []string{t.Hash}, []string{t.Name}, []string{t.Role}, []string{t.Scope},
		[]time.Time{t.Created}, []uint8{rev}, []*time.Time{t.RevokedAt}, []*time.Time{t.Expires}, []uint64{t.Version}})
}

func (s *Store) apiTokens(ctx context.Context, where string, args ...any) ([]APIToken, error) {
	rows, err := s.conn.Query(ctx, "SELECT "+apiTokenColumns+" FROM api_tokens FINAL "+where+" ORDER BY created, id", args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read API tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		var t APIToken
		var rev uint8
		if err := rows.Scan(&t.ID, &t.Hash, &t.Name, &t.Role, &t.Scope, &t.Created, &rev, &t.RevokedAt, &t.Expires, &t.Version); err != nil {
			return nil, fmt.Errorf("cannot read API token: %w", err)
		}
		t.Revoked = rev == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// APITokens lists every token (revoked ones too), oldest first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) { return s.apiTokens(ctx, "") }

// APITokenByHash returns the token with the SHA-256 hex hash; ok is false
// when there is none.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (t APIToken, ok bool, err error) {
	ts, err := s.apiTokens(ctx, "WHERE hash = ?", hash)
	if err != nil || len(ts) == 0 {
		return APIToken{}, false, err
	}
	return ts[0], true, nil
}

// ErrAPITokenNotFound is returned when revoking an unknown token id.
var ErrAPITokenNotFound = errors.New("no such API token")

// APITokenGeneration is the highest version in api_tokens. Every revocation
// raises it (APIRevokeToken writes a version above it), so a server that
// caches tokens compares it with the value it saw last to learn, in one
// small query, that some token changed.
func (s *Store) APITokenGeneration(ctx context.Context) (uint64, error) {
	var g uint64
	if err := s.conn.QueryRow(ctx, "SELECT max(version) FROM api_tokens").Scan(&g); err != nil {
		return 0, fmt.Errorf("cannot read the API token generation: %w", err)
	}
	return g, nil
}

// APITokenUse is one token's latest use.
type APITokenUse struct {
	ID       string
	LastUsed time.Time
	Remote   string
}

// APIMarkTokensUsed stores the latest use of tokens in one insert.
func (s *Store) APIMarkTokensUsed(ctx context.Context, us []APITokenUse) error {
	if len(us) == 0 {
		return nil
	}
	ids, at, rem := make([]string, len(us)), make([]time.Time, len(us)), make([]string, len(us))
	for i, u := range us {
		ids[i], at[i], rem[i] = u.ID, u.LastUsed, u.Remote
	}
	return s.insertColumns(ctx, "api_token_use", "id, last_used, remote", []any{ids, at, rem})
}

// APITokensLastUse returns each used token's latest use by id.
func (s *Store) APITokensLastUse(ctx context.Context) (map[string]APITokenUse, error) {
	rows, err := s.conn.Query(ctx, "SELECT id, max(last_used), argMax(remote, last_used) FROM api_token_use GROUP BY id")
	if err != nil {
		return nil, fmt.Errorf("cannot read the API tokens' last use: %w", err)
	}
	defer rows.Close()
	out := map[string]APITokenUse{}
	for rows.Next() {
		var u APITokenUse
		if err := rows.Scan(&u.ID, &u.LastUsed, &u.Remote); err != nil {
			return nil, fmt.Errorf("cannot read an API token's last use: %w", err)
		}
		out[u.ID] = u
	}
	return out, rows.Err()
}

// APIRevokeToken marks the token id revoked at `at`. Revoking twice keeps the
// first time. The new version lies above every version in the table, so
// that APITokenGeneration changes.
func (s *Store) APIRevokeToken(ctx context.Context, id string, at time.Time) (APIToken, error) {
	ts, err := s.apiTokens(ctx, "WHERE id = ?", id)
	if err != nil {
		return APIToken{}, err
	}
	if len(ts) == 0 {
		return APIToken{}, fmt.Errorf("%w: %q", ErrAPITokenNotFound, id)
	}
	t := ts[0]
	if t.Revoked {
		return t, nil
	}
	g, err := s.APITokenGeneration(ctx)
	if err != nil {
		return APIToken{}, err
	}
	t.Revoked, t.RevokedAt, t.Version = true, &at, max(g, t.Version)+1
	return t, s.APIInsertToken(ctx, t)
}

// APIAuditEntry is one row of api_audit.
type APIAuditEntry struct {
	At                              time.Time
	TokenID, TokenName, Role, Scope string
	Method, Path, Query             string
	Status                          uint16
	Rows                            uint64
	DurationMS                      uint32
	Remote                          string
	// Requests is how many requests the entry stands for (0 is written
	// as 1): refused authentication is coalesced per address.
	Requests uint32
}

// APIWriteAudit stores audit entries in one insert.
func (s *Store) APIWriteAudit(ctx context.Context, es []APIAuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	at := make([]time.Time, n)
	var str [9][]string
	for i := range str {
		str[i] = make([]string, n)
	}
	st, rs, dm, rq := make([]uint16, n), make([]uint64, n), make([]uint32, n), make([]uint32, n)
	for i, e := range es {
		rq[i] = max(e.Requests, 1)
		at[i] = e.At
		for j, v := range []string{e.TokenID, e.TokenName, e.Role, e.Scope, e.Method, e.Path, e.Query, e.Remote} {
			str[j][i] = v
		}
		st[i], rs[i], dm[i] = e.Status, e.Rows, e.DurationMS
	}
	return s.insertColumns(ctx, "api_audit",
		"at, token_id, token_name, role, scope, method, path, query, status, rows, duration_ms, remote, requests",
		[]any{at, str[0], str[1], str[2], str[3], str[4], str[5], str[6], st, rs, dm, str[7], rq})
}

// APIAudit returns the newest audit entries of tokens whose scope starts
// with scope ("" = all), at most limit, newest first.
func (s *Store) APIAudit(ctx context.Context, scope string, limit int) ([]APIAuditEntry, error) {
	rows, err := s.conn.Query(ctx, `SELECT at, token_id, token_name, role, scope, method, path, query, status, rows, duration_ms, remote, requests
FROM api_audit WHERE scope LIKE ? ORDER BY at DESC LIMIT ?`, likePrefix(scope), limit)
	if err != nil {
		return nil, fmt.Errorf("cannot read the API audit log: %w", err)
	}
	defer rows.Close()
	var out []APIAuditEntry
	for rows.Next() {
		var e APIAuditEntry
		if err := rows.Scan(&e.At, &e.TokenID, &e.TokenName, &e.Role, &e.Scope, &e.Method, &e.Path, &e.Query,
			&e.Status, &e.Rows, &e.DurationMS, &e.Remote, &e.Requests); err != nil {
			return nil, fmt.Errorf("cannot read an API audit entry: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
