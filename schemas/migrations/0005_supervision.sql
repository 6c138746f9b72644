-- supervision_cases: the daily 督办 snapshot. One row per case that is open
-- at the window end (lit 红 / 黄 / 绿) or was evaluated 不满意 (flagged for
-- re-handling). A snapshot computed again replaces its rows.
CREATE TABLE IF NOT EXISTS supervision_cases
(
    window_end DateTime('Asia/Shanghai'),
    source String,
    case_id String,
    county_code String,
    town_code String,
    region_code String,
    category String,
    assigned_unit String,
    status String,
    reported_at DateTime('Asia/Shanghai'),
    due_at Nullable(DateTime('Asia/Shanghai')),
    days_overdue Int32,
    light Enum8('green' = 1, 'yellow' = 2, 'red' = 3),
    reasons Array(String),
    rehandle UInt8,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window_end, source, case_id);

-- supervision_units: the same snapshot counted per responsible unit, for
-- assessment (考核).
CREATE TABLE IF NOT EXISTS supervision_units
(
    window_end DateTime('Asia/Shanghai'),
    assigned_unit String,
    county_code String,
    open UInt64,
    green UInt64,
    yellow UInt64,
    red UInt64,
    rehandle UInt64,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window_end, county_code, assigned_unit);
