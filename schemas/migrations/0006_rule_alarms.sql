-- rule_alarms: alarms raised on the stream, right after the record is
-- stored: group dispute, large amount, extreme-risk words, repeat petition,
-- superior-assigned. One row per (rule, case); a later version of the case
-- replaces the row (its detail may change), so re-delivery never adds one.
CREATE TABLE IF NOT EXISTS rule_alarms
(
    rule String,
    source String,
    case_id String,
    case_version UInt32,
    level Enum8('blue' = 1, 'yellow' = 2, 'orange' = 3, 'red' = 4),
    county_code String,
    town_code String,
    region_code String,
    category String,
    detail String,
    reported_at DateTime('Asia/Shanghai'),
    detected_at DateTime('Asia/Shanghai')
)
ENGINE = ReplacingMergeTree(case_version)
PARTITION BY toYear(reported_at)
ORDER BY (rule, source, case_id);
