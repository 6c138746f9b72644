package config

import "time"

// API configures the analyst API and web console (section `api`).
type API struct {
	// Enabled mounts /api/… and /console/ in `riskwatch run`.
	Enabled bool `yaml:"enabled"`
	// MaxRows bounds the rows of one list or trend answer; a trend that
	// would need more is refused with a message to narrow it.
	MaxRows int `yaml:"max_rows"`
	// MaxRangeDays bounds to − from of one request.
	MaxRangeDays int `yaml:"max_range_days"`
	// MaxPageSize bounds page_size of the case list.
	MaxPageSize int `yaml:"max_page_size"`
	// Audit writes who queried what and when into api_audit.
	Audit bool `yaml:"audit"`
	// TokenCacheTTL is how long a looked-up token (or the answer that a
	// token is unknown) is kept before it is read again. Revocation does not
	// wait for it: see RevocationCheck.
	TokenCacheTTL time.Duration `yaml:"token_cache_ttl"`
	// RevocationCheck is how often, at most, the API asks ClickHouse
	// whether any token changed (one small query); a revoked token is
	// refused at the latest this long after the revocation, and `riskwatch
	// token revoke` waits this long before it returns. 0 asks on every
	// request.
	RevocationCheck time.Duration `yaml:"revocation_check"`
	// AuthFailLimit refused tokens from one client address within
	// AuthFailWindow make further requests from it get 429 (with
	// Retry-After) without a token lookup, until the window ends.
	AuthFailLimit  int           `yaml:"auth_fail_limit"`
	AuthFailWindow time.Duration `yaml:"auth_fail_window"`
	// QueryTimeout bounds one request's queries.
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// DailyRefresh is how often the trends' rollups (api_daily,
	// api_cube_by_place, api_county) take in the days that received records: the trends lag ingest by up
	// to this. 0 turns it off (trends then read cases).
	DailyRefresh time.Duration `yaml:"daily_refresh"`
	// MaxConcurrent bounds the API requests that query ClickHouse at once
	// (they share clickhouse.max_open_conns with ingest and the jobs); the
	// others wait up to query_timeout and then get 503.
	MaxConcurrent int `yaml:"max_concurrent"`
	// TokenMaxConcurrent bounds the requests of one token that query at
	// once: its further requests wait for one of its own slots (never for
	// another user's), up to query_timeout, then get 429.
	TokenMaxConcurrent int `yaml:"token_max_concurrent"`
	// TokenRate and TokenBurst are one token's request budget (a token
	// bucket: TokenRate requests a second on average, TokenBurst at once);
	// beyond it the token gets 429 with Retry-After.
	TokenRate  float64 `yaml:"token_rate"`
	TokenBurst int     `yaml:"token_burst"`
}

func defaultAPI() API {
	return API{Enabled: true, MaxRows: 20000, MaxRangeDays: 1100, MaxPageSize: 500, Audit: true,
		TokenCacheTTL: 10 * time.Second, QueryTimeout: 30 * time.Second, DailyRefresh: time.Minute,
		MaxConcurrent: 4, TokenMaxConcurrent: 2, TokenRate: 10, TokenBurst: 40,
		RevocationCheck: time.Second, AuthFailLimit: 10, AuthFailWindow: time.Minute}
}

// validate reports each bad value with its dotted key through bad.
func (c API) validate(bad func(key, format string, a ...any)) {
	if c.MaxRows < 1 || c.MaxRows > 1_000_000 {
		bad("api.max_rows", "must be between 1 and 1000000, got %d", c.MaxRows)
	}
	if c.MaxRangeDays < 1 || c.MaxRangeDays > 3660 {
		bad("api.max_range_days", "must be between 1 and 3660, got %d", c.MaxRangeDays)
	}
	if c.MaxPageSize < 1 || c.MaxPageSize > 10_000 {
		bad("api.max_page_size", "must be between 1 and 10000, got %d", c.MaxPageSize)
	}
	if c.TokenCacheTTL < 0 || c.TokenCacheTTL > 10*time.Minute {
		bad("api.token_cache_ttl", "must be between 0 and 10m, got %s", c.TokenCacheTTL)
	}
	if c.RevocationCheck < 0 || c.RevocationCheck > time.Minute {
		bad("api.revocation_check", "must be between 0 (every request) and 1m, got %s", c.RevocationCheck)
	}
	if c.AuthFailLimit < 1 || c.AuthFailLimit > 100_000 {
		bad("api.auth_fail_limit", "must be between 1 and 100000, got %d", c.AuthFailLimit)
	}
	if c.AuthFailWindow < time.Second || c.AuthFailWindow > time.Hour {
		bad("api.auth_fail_window", "must be between 1s and 1h, got %s", c.AuthFailWindow)
	}
	if c.DailyRefresh != 0 && (c.DailyRefresh < 5*time.Second || c.DailyRefresh > 24*time.Hour) {
		bad("api.daily_refresh", "must be 0 (off) or between 5s and 24h, got %s", c.DailyRefresh)
	}
	if c.MaxConcurrent < 1 || c.MaxConcurrent > 256 {
		bad("api.max_concurrent", "must be between 1 and 256, got %d", c.MaxConcurrent)
	}
	if c.TokenMaxConcurrent < 1 || c.TokenMaxConcurrent > c.MaxConcurrent {
		bad("api.token_max_concurrent", "must be between 1 and api.max_concurrent (%d), got %d", c.MaxConcurrent, c.TokenMaxConcurrent)
	}
	if !(c.TokenRate >= 0.01 && c.TokenRate <= 10_000) {
		bad("api.token_rate", "must be between 0.01 and 10000 requests a second, got %v", c.TokenRate)
	}
	if c.TokenBurst < 1 || c.TokenBurst > 100_000 {
		bad("api.token_burst", "must be between 1 and 100000, got %d", c.TokenBurst)
	}
	if c.QueryTimeout < time.Second || c.QueryTimeout > 10*time.Minute {
		bad("api.query_timeout", "must be between 1s and 10m, got %s", c.QueryTimeout)
	}
}
