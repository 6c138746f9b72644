-- updated_at: the event time of a version (the record's updated_at, or the
-- ingest time when the record has none). Windowed figures take the state of
-- each case at the window end T from its newest version in case_events with
-- updated_at <= T. Rows stored before this migration get their ingest time.
-- ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS: each ALTER adds its
-- column or fails whole.
ALTER TABLE cases ADD COLUMN updated_at DateTime('Asia/Shanghai') DEFAULT ingested_at;

ALTER TABLE case_events ADD COLUMN updated_at DateTime('Asia/Shanghai') DEFAULT ingested_at;

-- case_events_mv copies updated_at too. A materialized view's query cannot
-- be altered on 18.16, so it is dropped and created again; rows inserted in
-- between (during a live migration) would miss case_events, which is why
-- `riskwatch migrate` runs before ingest starts.
DROP TABLE IF EXISTS case_events_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS case_events_mv TO case_events
AS SELECT
    source, case_id, version, contract, channel, reported_at, reported_date,
    region_code, region_level, city_code, county_code, town_code, village_code,
    category, category_group, severity, parties, amount_cny,
    status, assigned_unit, due_at, resolved_at, feedback_at, evaluated_at, satisfaction,
    repeat_of, petition, superior_assigned, escalated, group_dispute, large_amount,
    ingested_at, _topic, _partition, _offset, updated_at
FROM cases;

-- case_state: the state of every case at a window end `at`, built once per
-- window end (one GROUP BY over case_events) and read by every job of that
-- window end without FINAL. Each build has its own id and partition, so
-- that two processes building the same window end never mix their rows; the
-- store drops its older builds.
CREATE TABLE IF NOT EXISTS case_state
(
    build UInt64,
    at DateTime('Asia/Shanghai'),
    source Enum8('' = 0, 'platform' = 1, 'fengqiao_board' = 2, 'hotline' = 3, 'grid' = 4, 'import' = 5),
    case_id String,
    reported_at DateTime('Asia/Shanghai'),
    reported_date Date,
    region_code String,
    county_code String,
    town_code String,
    village_code String,
    category String,
    category_group String,
    severity Enum8('' = 0, 'simple' = 1, 'general' = 2, 'difficult' = 3),
    parties UInt32,
    amount_cny Decimal(18, 2),
    status Enum8('' = 0, 'accepted' = 1, 'routed' = 2, 'handling' = 3, 'resolved' = 4, 'failed' = 5, 'closed' = 6),
    assigned_unit String,
    due_at Nullable(DateTime('Asia/Shanghai')),
    resolved_at Nullable(DateTime('Asia/Shanghai')),
    evaluated_at Nullable(DateTime('Asia/Shanghai')),
    satisfaction Enum8('' = 0, 'satisfied' = 1, 'basic' = 2, 'dissatisfied' = 3),
    repeat_of String,
    petition UInt8,
    superior_assigned UInt8,
    escalated UInt8
)
ENGINE = MergeTree
PARTITION BY build
ORDER BY (county_code, town_code, village_code, reported_at);
