-- report_subscriptions: who receives which report through which channels
-- (`riskwatch subscriptions add|remove`; the configuration's
-- subscriptions are not stored). A removal writes the row again with
-- removed = 1 and a higher version; the highest version wins (FINAL).
CREATE TABLE IF NOT EXISTS report_subscriptions
(
    id String,
    owner String,
    owner_kind String,
    owner_scope String,
    region String,
    kind String,
    channels Array(String),
    created DateTime('Asia/Shanghai'),
    removed UInt8,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id;
