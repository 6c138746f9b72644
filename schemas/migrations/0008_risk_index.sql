-- risk_index: the social contradiction risk index (SCRI, RISK_INDEX.md §5)
-- per region and window, written by the risk_week and risk_month jobs. One
-- row per unit (county and town level) with every component: the raw, used
-- (smoothed) and 0–10 values of the 11 indicators in spec order, the
-- dimension scores, the geometric index and its 1-dp score, the index band
-- and the final band with the reasons they differ, the top-3 drivers, the
-- sensitivity agreement, the spec fingerprint and versions, and the
-- hysteresis state the next window starts from. Missing indicator values
-- are stored as nan inside the arrays. A driver is stored as
-- "code|attribution|value|reference value". A window computed again replaces
-- its rows (the newest computed_at wins; read with FINAL).
CREATE TABLE IF NOT EXISTS risk_index
(
    window Enum8('day' = 1, 'week' = 2, 'month' = 3),
    window_start DateTime('Asia/Shanghai'),
    window_end DateTime('Asia/Shanghai'),
    level UInt8,
    region_code String,
    parent_code String,
    `index` Nullable(Float64),
    score Nullable(Float64),
    band_index String,
    band String,
    band_reasons Array(String),
    funnel_flag String,
    reliability String,
    n_cases UInt64,
    missing_share Float64,
    rank UInt32,
    indicator_names Array(String),
    indicator_raw Array(Float64),
    indicator_values Array(Float64),
    indicator_scores Array(Float64),
    dimension_names Array(String),
    dimension_scores Array(Float64),
    drivers_prev Array(String),
    drivers_siblings Array(String),
    agreement Nullable(Float64),
    unstable UInt8,
    spec_fingerprint String,
    spec_version String,
    seed UInt64,
    state String,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window, window_end, level, region_code);
