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
