-- The reliability fields of RISK_INDEX.md §5.1 that 0008 lacked: the
-- level's median expected cases per window and whether it reaches the
-- minimum for a full index (20), the vintage of the population figures and
-- how many days before the window end the unit's latest case was reported.
-- One statement: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, and a
-- single ALTER either adds every column or none.
ALTER TABLE risk_index
    ADD COLUMN level_median_expected Float64 DEFAULT nan,
    ADD COLUMN level_gate UInt8 DEFAULT 1,
    ADD COLUMN pop_vintage_year UInt16 DEFAULT 0,
    ADD COLUMN data_lag_days Nullable(Float64);
