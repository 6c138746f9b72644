-- Core tables of the record contract (contract version 1).
-- Every statement runs on ClickHouse 18.16 (the Debian build) and on current
-- ClickHouse: no LowCardinality, no DateTime64, no JSON functions.
-- Enum8 codes follow schemas.Enums (index + 1; 0 is "not given").

-- cases: the latest state of each case; ingest writes here. ReplacingMergeTree
-- keeps the row with the highest version per (source, case_id) within a partition; readers use
-- FINAL (or argMax) until merges happen. The partition key uses reported_at,
-- which the contract keeps fixed across a case's versions, so every version
-- of a case lands in the same partition and collapses.
CREATE TABLE IF NOT EXISTS cases
(
    source Enum8('' = 0, 'platform' = 1, 'fengqiao_board' = 2, 'hotline' = 3, 'grid' = 4, 'import' = 5),
    case_id String,
    version UInt32,
    contract UInt16,
    channel Enum8('' = 0, 'visit' = 1, 'phone' = 2, 'online' = 3, 'grid' = 4, 'referral' = 5, 'superior' = 6),
    reported_at DateTime('Asia/Shanghai'),
    reported_date Date,
    occurred_at Nullable(DateTime('Asia/Shanghai')),
    region_code String,
    region_level UInt8,
    city_code String,
    county_code String,
    town_code String,
    village_code String,
    grid_id String,
    lat Nullable(Float64),
    lon Nullable(Float64),
    category String,
    category_group String,
    category_rule String,
    category_text String,
    summary String,
    severity Enum8('' = 0, 'simple' = 1, 'general' = 2, 'difficult' = 3),
    parties UInt32,
    amount_cny Decimal(18, 2),
    status Enum8('' = 0, 'accepted' = 1, 'routed' = 2, 'handling' = 3, 'resolved' = 4, 'failed' = 5, 'closed' = 6),
    assigned_unit String,
    due_at Nullable(DateTime('Asia/Shanghai')),
    resolved_at Nullable(DateTime('Asia/Shanghai')),
    feedback_at Nullable(DateTime('Asia/Shanghai')),
    evaluated_at Nullable(DateTime('Asia/Shanghai')),
    satisfaction Enum8('' = 0, 'satisfied' = 1, 'basic' = 2, 'dissatisfied' = 3),
    repeat_of String,
    petition UInt8,
    superior_assigned UInt8,
    escalated UInt8,
    group_dispute UInt8,
    large_amount UInt8,
    ingested_at DateTime('Asia/Shanghai'),
    _topic String,
    _partition Int32,
    _offset Int64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(reported_date)
ORDER BY (source, case_id);

-- case_events: every version received, as a narrow event row (no free
-- text: cases holds the latest summary). Keyed by (source, case_id, version)
-- so that a re-delivered message collapses instead of counting twice.
CREATE TABLE IF NOT EXISTS case_events
(
    source Enum8('' = 0, 'platform' = 1, 'fengqiao_board' = 2, 'hotline' = 3, 'grid' = 4, 'import' = 5),
    case_id String,
    version UInt32,
    contract UInt16,
    channel Enum8('' = 0, 'visit' = 1, 'phone' = 2, 'online' = 3, 'grid' = 4, 'referral' = 5, 'superior' = 6),
    reported_at DateTime('Asia/Shanghai'),
    reported_date Date,
    region_code String,
    region_level UInt8,
    city_code String,
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
    feedback_at Nullable(DateTime('Asia/Shanghai')),
    evaluated_at Nullable(DateTime('Asia/Shanghai')),
    satisfaction Enum8('' = 0, 'satisfied' = 1, 'basic' = 2, 'dissatisfied' = 3),
    repeat_of String,
    petition UInt8,
    superior_assigned UInt8,
    escalated UInt8,
    group_dispute UInt8,
    large_amount UInt8,
    ingested_at DateTime('Asia/Shanghai'),
    _topic String,
    _partition Int32,
    _offset Int64
)
ENGINE = ReplacingMergeTree(_offset)
PARTITION BY toYear(reported_date)
ORDER BY (source, case_id, version);

-- case_events_mv copies every row written to cases into case_events on the
-- server, so ingest sends each batch once (to cases).
CREATE MATERIALIZED VIEW IF NOT EXISTS case_events_mv TO case_events
AS SELECT
    source, case_id, version, contract, channel, reported_at, reported_date,
    region_code, region_level, city_code, county_code, town_code, village_code,
    category, category_group, severity, parties, amount_cny,
    status, assigned_unit, due_at, resolved_at, feedback_at, evaluated_at, satisfaction,
    repeat_of, petition, superior_assigned, escalated, group_dispute, large_amount,
    ingested_at, _topic, _partition, _offset
FROM cases;

-- cases_daily: per local day, town and category, fed by a materialized view
-- on cases: every inserted row is a version. (Views do not chain on
-- ClickHouse 18.16: a view's writes into case_events would not reach a view
-- on case_events.) Counts are uniqExact states over a 64-bit hash of the case
-- key (source, case_id), so a re-delivered message or a later version of the
-- same case never counts a case twice (a hash collision among a city's cases
-- is astronomically unlikely: ~1e-8 for a million cases). Read with
-- uniqExactMerge(...) … GROUP BY. Village-level figures come from cases
-- itself: villages are small, and the coarser key keeps inserts cheap.
CREATE TABLE IF NOT EXISTS cases_daily
(
    day Date,
    county_code String,
    town_code String,
    category String,
    cases AggregateFunction(uniqExact, UInt64),
    resolved AggregateFunction(uniqExactIf, UInt64, UInt8),
    closed AggregateFunction(uniqExactIf, UInt64, UInt8),
    group_disputes AggregateFunction(uniqExactIf, UInt64, UInt8),
    large_amounts AggregateFunction(uniqExactIf, UInt64, UInt8),
    petitions AggregateFunction(uniqExactIf, UInt64, UInt8),
    dissatisfied AggregateFunction(uniqExactIf, UInt64, UInt8)
)
ENGINE = AggregatingMergeTree()
PARTITION BY toYear(day)
ORDER BY (day, county_code, town_code, category);

CREATE MATERIALIZED VIEW IF NOT EXISTS cases_daily_mv TO cases_daily
AS SELECT
    reported_date AS day,
    county_code,
    town_code,
    category,
    uniqExactState(cityHash64(toString(source), case_id)) AS cases,
    uniqExactIfState(cityHash64(toString(source), case_id), toUInt8(status IN ('resolved', 'closed'))) AS resolved,
    uniqExactIfState(cityHash64(toString(source), case_id), toUInt8(status = 'closed')) AS closed,
    uniqExactIfState(cityHash64(toString(source), case_id), group_dispute) AS group_disputes,
    uniqExactIfState(cityHash64(toString(source), case_id), large_amount) AS large_amounts,
    uniqExactIfState(cityHash64(toString(source), case_id), petition) AS petitions,
    uniqExactIfState(cityHash64(toString(source), case_id), toUInt8(satisfaction = 'dissatisfied')) AS dissatisfied
FROM cases
GROUP BY day, county_code, town_code, category;

-- regions: the registry the service runs with, reloaded by `riskwatch migrate`
-- when it changes. The row with the newest loaded_at wins (read with FINAL).
CREATE TABLE IF NOT EXISTS regions
(
    code String,
    name String,
    short_name String,
    level UInt8,
    parent_code String,
    population UInt64,
    population_source String,
    loaded_at DateTime
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY code;

-- categories: the taxonomy, reloaded like regions.
CREATE TABLE IF NOT EXISTS categories
(
    code String,
    parent_code String,
    name_zh String,
    name_en String,
    keywords Array(String),
    loaded_at DateTime
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY code;

-- reference_loads: which version (content hash) of each reference data set is
-- loaded, so that a second migrate loads nothing.
CREATE TABLE IF NOT EXISTS reference_loads
(
    name String,
    checksum String,
    rows UInt64,
    loaded_at DateTime
)
ENGINE = ReplacingMergeTree(loaded_at)
ORDER BY name;

-- ingest_errors: every record that failed decoding or validation. Only masked
-- text is stored here; the raw bytes go to the dead-letter topic.
CREATE TABLE IF NOT EXISTS ingest_errors
(
    at DateTime('Asia/Shanghai'),
    topic String,
    partition Int32,
    offset Int64,
    message_key String,
    reason String,
    detail String,
    raw_size UInt64,
    raw_sha256 String,
    raw_masked String
)
ENGINE = ReplacingMergeTree(at)
PARTITION BY toYYYYMM(at)
ORDER BY (topic, partition, offset);

-- job_runs: one row per (job, window) attempt; the newest attempt wins.
CREATE TABLE IF NOT EXISTS job_runs
(
    job String,
    window_start DateTime('Asia/Shanghai'),
    window_end DateTime('Asia/Shanghai'),
    status Enum8('running' = 1, 'ok' = 2, 'failed' = 3, 'panicked' = 4),
    started_at DateTime('Asia/Shanghai'),
    duration_ms UInt64,
    rows_written UInt64,
    error String
)
ENGINE = ReplacingMergeTree(started_at)
ORDER BY (job, window_end);
