-- hotspots: the hot-spot analysis of every region and window (issue 5),
-- written by the hotspots job. Per level (county, town, village): case
-- counts, rates per 10,000 residents, empirical-Bayes rates, the Gi* z-score
-- and p-value over the level's neighbours, the Benjamini-Hochberg q-value
-- within the level, the hot/cold flag at q < 0.05 and the emerging hot spot
-- category over the last windows. A window computed again replaces its rows
-- (the newest computed_at wins; read with FINAL).
CREATE TABLE IF NOT EXISTS hotspots
(
    window Enum8('day' = 1, 'week' = 2, 'month' = 3),
    window_start DateTime('Asia/Shanghai'),
    window_end DateTime('Asia/Shanghai'),
    level UInt8,
    region_code String,
    parent_code String,
    cases UInt64,
    population UInt64,
    population_source String,
    rate_per_10k Nullable(Float64),
    eb_rate_per_10k Nullable(Float64),
    gi_z Nullable(Float64),
    gi_p Nullable(Float64),
    gi_q Nullable(Float64),
    hot Int8,
    neighbours_source String,
    ehsa_category String,
    funnel_flag String,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window, window_end, level, region_code);
