-- api_tokens: the analyst API's tokens (issue 8). Only the SHA-256 of a
-- token is stored (hex); the token itself is shown once at creation. Each
-- token has a role (leader, analyst, center_operator, admin) and a region
-- scope: a division-code prefix ("150521" = 科左中旗 and everything below;
-- "" = the whole registry). Revoking writes the same id again with
-- revoked = 1 and a higher version; the highest version wins (read with
-- FINAL).
CREATE TABLE IF NOT EXISTS api_tokens
(
    id String,
    hash String,
    name String,
    role String,
    scope String,
    created DateTime('Asia/Shanghai'),
    revoked UInt8,
    revoked_at Nullable(DateTime('Asia/Shanghai')),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- api_audit: who queried what and when. One row per API request that
-- presented a token (refused ones too): the token id and name, its role and
-- scope, the method, path and query string, the HTTP status, the rows
-- returned and the duration.
CREATE TABLE IF NOT EXISTS api_audit
(
    at DateTime('Asia/Shanghai'),
    token_id String,
    token_name String,
    role String,
    scope String,
    method String,
    path String,
    query String,
    status UInt16,
    rows UInt64,
    duration_ms UInt32,
    remote String
)
ENGINE = MergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (at, token_id);

-- api_daily: the trends' rollup. Per local report day, county, town and
-- category: the cases in their latest version (cases FINAL), those resolved
-- (resolved or closed), evaluated and satisfied (满意 or 基本满意), as plain
-- counts. dim = '' holds all cases; dim = severity, channel, source or status
-- splits the same counts by that field's value (so a trend filtered on one
-- of them sums a slice too); dim = village by the village code ('' for cases
-- located to a town only), for the drill-down below towns. The API recomputes whole days (those that
-- received records since its last refresh) in one insert stamped with
-- computed_at; readers take, for each day, only the rows of its newest
-- computation. A year of a city sums in milliseconds where cases_daily
-- merges millions of hash-set entries.
CREATE TABLE IF NOT EXISTS api_daily
(
    dim String,
    value String,
    day Date,
    county_code String,
    town_code String,
    category String,
    cases UInt64,
    resolved UInt64,
    evaluated UInt64,
    satisfied UInt64,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(day)
ORDER BY (dim, day, county_code, town_code, category, value);
