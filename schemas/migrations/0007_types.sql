-- type_ranks: the high-frequency dispute types of every region (city, county
-- and town levels) and window (issue 5), written by the types jobs. One row
-- per (region, category) that had cases in the window or in one of the four
-- previous windows. baseline is the mean count of the previous 4 windows;
-- yoy_cases is the count of the same window a year earlier, NULL when the
-- region had no cases at all then (the data do not reach back that far);
-- growth is cases / baseline - 1, NULL when the baseline is 0; p is the
-- one-sided Poisson tail P(X >= cases | lambda = max(baseline, 0.5)) and z
-- the standardised excess (cases - lambda) / sqrt(lambda); significant and
-- surging are 0/1 flags (rules in internal/jobs/types.go). A window computed
-- again replaces its rows (the newest computed_at wins; read with FINAL).
CREATE TABLE IF NOT EXISTS type_ranks
(
    window Enum8('day' = 1, 'week' = 2, 'month' = 3),
    window_end DateTime('Asia/Shanghai'),
    level UInt8,
    region_code String,
    category String,
    category_name_zh String,
    rank UInt16,
    cases UInt64,
    share Float64,
    baseline Float64,
    yoy_cases Nullable(UInt64),
    growth Nullable(Float64),
    z Nullable(Float64),
    p Nullable(Float64),
    significant UInt8,
    surging UInt8,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window, window_end, level, region_code, category);
