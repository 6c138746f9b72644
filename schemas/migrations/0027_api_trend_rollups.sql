-- api_cube_by_place: api_cube (migration 0025) ordered by place first
-- (county, town, then day), so that a trend of a county, a town or a
-- village reads that place's rows only, not every row of its days: with
-- about one cube row per distinct case, a town's year read all the city's
-- rows of the year. Same columns and counts as api_cube; it replaces it
-- (the API refreshes and reads this table, and api_cube goes). Its first
-- refresh after this migration recomputes every day, as on an empty
-- database.
CREATE TABLE IF NOT EXISTS api_cube_by_place
(
    day Date,
    county_code String,
    town_code String,
    village_code String,
    region_code String,
    category String,
    severity Enum8('' = 0, 'simple' = 1, 'general' = 2, 'difficult' = 3),
    channel Enum8('' = 0, 'visit' = 1, 'phone' = 2, 'online' = 3, 'grid' = 4, 'referral' = 5, 'superior' = 6),
    source Enum8('' = 0, 'platform' = 1, 'fengqiao_board' = 2, 'hotline' = 3, 'grid' = 4, 'import' = 5),
    status Enum8('' = 0, 'accepted' = 1, 'routed' = 2, 'handling' = 3, 'resolved' = 4, 'failed' = 5, 'closed' = 6),
    cases UInt64,
    resolved UInt64,
    evaluated UInt64,
    satisfied UInt64,
    open_due Array(DateTime('Asia/Shanghai')),
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(day)
ORDER BY (county_code, town_code, day, region_code, village_code, category, severity, channel, source, status);

-- api_county: the cube's counts per one or two of the severity, channel,
-- source and status fields (fields = 'status', 'severity,status' …, in
-- that order of the fields; a and b are their values, b '' for one),
-- summed per day, county and category: a trend with one or two of those
-- filters over a county or the whole registry reads one slice, many cases
-- a row, instead of the cube's one row per distinct case (or api_daily's
-- slices per town). Refreshed with the cube and api_daily from the same
-- fresh cube rows, read like them (the newest computation of each day).
-- Ordered by county before day, so that a county's trend reads its own
-- rows.
CREATE TABLE IF NOT EXISTS api_county
(
    fields String,
    a String,
    b String,
    day Date,
    county_code String,
    category String,
    cases UInt64,
    resolved UInt64,
    evaluated UInt64,
    satisfied UInt64,
    open_due Array(DateTime('Asia/Shanghai')),
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(day)
ORDER BY (fields, county_code, day, category, a, b);

DROP TABLE IF EXISTS api_cube;
