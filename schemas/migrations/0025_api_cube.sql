-- api_cube: the trends' second rollup, for the trends api_daily
-- cannot answer: two or more of the severity, channel, source and status
-- filters, or one of them on village series. Per local
-- report day, location (county, town, village and the case's own
-- region_code, so that a scope prefix matches exactly as on cases), category,
-- severity, channel, source and status: the cases in their latest version
-- (cases FINAL), those resolved (resolved or closed), evaluated and
-- satisfied (满意 or 基本满意), and open_due, the due dates of the cases not
-- concluded (status not resolved, failed or closed) that have one: the
-- overdue count at any time t is sum(arrayCount(x -> x < t, open_due)).
-- Refreshed with api_daily from the same scan of cases (api_daily's slices
-- are summed from the fresh cube rows): whole days in one insert stamped
-- with computed_at; readers take, for each day, only the rows of its newest
-- computation. Ordered by day first, so a range reads only its days and no
-- FINAL merge is needed.
CREATE TABLE IF NOT EXISTS api_cube
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
ORDER BY (day, county_code, town_code, region_code, village_code, category, severity, channel, source, status);

-- open_due on api_daily: the same due dates per api_daily row (the open
-- cases' of the row's cube rows), so that the overdue metric with at most
-- one of the case filters is summed from api_daily like the other metrics.
-- Rows computed before this migration have none; the API's first refresh
-- after a start recomputes every day before api_daily answers.
ALTER TABLE api_daily ADD COLUMN open_due Array(DateTime('Asia/Shanghai'));
