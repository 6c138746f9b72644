-- region_kpis: the KPIs of every region and window (issue 5), written by the
-- kpi job. A window computed again replaces its rows (the newest computed_at
-- wins; read with FINAL).
CREATE TABLE IF NOT EXISTS region_kpis
(
    window Enum8('day' = 1, 'week' = 2, 'month' = 3),
    window_start DateTime('Asia/Shanghai'),
    window_end DateTime('Asia/Shanghai'),
    level UInt8,
    region_code String,
    parent_code String,
    accepted UInt64,
    resolved UInt64,
    concluded UInt64,
    evaluated UInt64,
    satisfied UInt64,
    overdue UInt64,
    handled UInt64,
    handling_days_sum Float64,
    resolve_rate Nullable(Float64),
    conclude_rate Nullable(Float64),
    satisfaction_rate Nullable(Float64),
    mean_handling_days Nullable(Float64),
    prev_accepted UInt64,
    yoy_accepted UInt64,
    mom_change Nullable(Float64),
    yoy_change Nullable(Float64),
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window, window_end, region_code);
