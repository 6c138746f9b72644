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
