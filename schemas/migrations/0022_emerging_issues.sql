-- emerging_issues: bursts of similar complaints in one town within a few
-- days, across categories, written by the emerging_day job (one row per
-- cluster and window end). members are the case ids; representative is the
-- masked summary of the member most similar to the others. A window end
-- computed again writes new rows with a later computed_at; readers keep the
-- newest computed_at of each window end.
CREATE TABLE IF NOT EXISTS emerging_issues
(
    window_end DateTime('Asia/Shanghai'),
    county_code String,
    town_code String,
    cluster_key String,
    representative String,
    size UInt32,
    villages Array(String),
    categories Array(String),
    first_at DateTime('Asia/Shanghai'),
    last_at DateTime('Asia/Shanghai'),
    members Array(String),
    expected Float64,
    p Float64,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window_end, town_code, cluster_key);
