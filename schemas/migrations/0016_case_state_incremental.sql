-- case_state builds are incremental: the state at a window end T is the
-- state of a full build at B < T with the cases that have a version in
-- effect between B and T (or were reported since B) grouped again, each
-- from its row of that build and its newer versions, into a delta read
-- over it. A row keeps the case key's 64-bit hash (the GROUP BY key of a
-- build) and the version it holds, so that a later build can merge it with
-- the newer versions. Rows of builds made before this migration have 0 in
-- both and are never used as the base of another build (builds are per
-- process).
ALTER TABLE case_state ADD COLUMN key UInt64;

ALTER TABLE case_state ADD COLUMN version UInt32;

-- case_updates: every version again, with the columns of a case's state,
-- ordered by updated_at, so that the versions between two window ends are
-- read from their own granules (case_events is ordered by case). Builds of
-- case_state read only this table. Duplicates are harmless there: a build
-- takes each case's newest version.
CREATE TABLE IF NOT EXISTS case_updates
(
    source Enum8('' = 0, 'platform' = 1, 'fengqiao_board' = 2, 'hotline' = 3, 'grid' = 4, 'import' = 5),
    case_id String,
    version UInt32,
    updated_at DateTime('Asia/Shanghai'),
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
PARTITION BY toYear(updated_at)
ORDER BY updated_at;

CREATE MATERIALIZED VIEW IF NOT EXISTS case_updates_mv TO case_updates
AS SELECT
    source, case_id, version, updated_at, reported_at, reported_date, region_code, county_code, town_code, village_code,
    category, category_group, severity, parties, amount_cny, status, assigned_unit, due_at, resolved_at, evaluated_at,
    satisfaction, repeat_of, petition, superior_assigned, escalated
FROM cases;

-- The versions stored before this migration (a version inserted while it
-- runs may land twice: harmless, see above).
INSERT INTO case_updates
SELECT
    source, case_id, version, updated_at, reported_at, reported_date, region_code, county_code, town_code, village_code,
    category, category_group, severity, parties, amount_cny, status, assigned_unit, due_at, resolved_at, evaluated_at,
    satisfaction, repeat_of, petition, superior_assigned, escalated
FROM case_events;
