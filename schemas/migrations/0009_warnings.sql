-- warnings: the warnings the engine raised from risk bands, statistical
-- alarms, rule alarms and supervision lights (issue 7). One row per warning
-- id and state change; the newest version wins (read with FINAL). id is a
-- stable hash of kind, rule, region and window or case, so the same
-- condition seen again updates its row instead of adding one. resolved_at is
-- the zero time (1970) while the warning fires. labels holds the routing
-- labels as name=value strings.
CREATE TABLE IF NOT EXISTS warnings
(
    id String,
    state Enum8('firing' = 1, 'resolved' = 2),
    level Enum8('blue' = 1, 'yellow' = 2, 'orange' = 3, 'red' = 4),
    kind String,
    rule String,
    subject String,
    region_code String,
    region_level UInt8,
    county_code String,
    town_code String,
    category String,
    title String,
    body String,
    link String,
    labels Array(String),
    starts_at DateTime('Asia/Shanghai'),
    resolved_at DateTime('Asia/Shanghai'),
    updated_at DateTime('Asia/Shanghai'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- warning_deliveries: the delivery log. One row per attempt to deliver one
-- notification (a group of warnings for one receiver and channel):
-- notification_id is the idempotency key the receiver sees, status is
-- delivered, retry (a later attempt follows) or failed (given up), with the
-- HTTP status code (0 when no answer came), the start of the response body,
-- the error and the latency.
CREATE TABLE IF NOT EXISTS warning_deliveries
(
    notification_id String,
    group_key String,
    receiver String,
    channel String,
    channel_type String,
    reason String,
    warning_ids Array(String),
    attempt UInt32,
    status Enum8('delivered' = 1, 'retry' = 2, 'failed' = 3),
    status_code Int32,
    response String,
    error String,
    latency_ms UInt32,
    created_at DateTime('Asia/Shanghai'),
    attempted_at DateTime('Asia/Shanghai')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(attempted_at)
ORDER BY (attempted_at, notification_id, attempt);

-- warning_silences: silences set from the CLI or the API. A warning whose
-- labels match every matcher (name=value) is not notified between starts_at
-- and ends_at. Ending a silence early writes a new version with ends_at set
-- to the moment it was lifted. The running engine re-reads the table on
-- each tick.
CREATE TABLE IF NOT EXISTS warning_silences
(
    id String,
    matchers Array(String),
    starts_at DateTime('Asia/Shanghai'),
    ends_at DateTime('Asia/Shanghai'),
    created_by String,
    comment String,
    created_at DateTime('Asia/Shanghai'),
    updated_at DateTime('Asia/Shanghai'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- warning_acks: acknowledgements of warnings (from the CLI or the API). An
-- acknowledged warning is not repeated and does not escalate.
CREATE TABLE IF NOT EXISTS warning_acks
(
    warning_id String,
    acked_by String,
    comment String,
    acked_at DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree(acked_at)
ORDER BY warning_id;
