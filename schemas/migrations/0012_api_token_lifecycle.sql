-- api_token_use: when each API token was last used and from which address.
-- The API writes a token's row at most once a minute (not once per
-- request); the newest last_used wins (read with max/argMax or FINAL).
CREATE TABLE IF NOT EXISTS api_token_use
(
    id String,
    last_used DateTime('Asia/Shanghai'),
    remote String
)
ENGINE = ReplacingMergeTree(last_used)
ORDER BY id;

-- api_audit.requests: how many requests one row stands for. Refused
-- authentication (401, 429) is written as one row per client address,
-- status and interval with the count here; every other row is one request.
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: each ALTER adds its
-- column or fails whole.
ALTER TABLE api_audit ADD COLUMN requests UInt32 DEFAULT 1;

-- api_tokens.expires: when a token stops working (NULL = never).
ALTER TABLE api_tokens ADD COLUMN expires Nullable(DateTime('Asia/Shanghai'));
