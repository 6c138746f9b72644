-- risk_thresholds: the versioned band thresholds of the risk index
-- (RISK_INDEX.md §5.5), one row per calibration of a (window, level): the
-- lower bounds of blue, yellow, orange and red on the 1-dp score and the
-- hysteresis margin that goes with them (the baseline's window-to-window
-- noise of a unit's score, at least 0.2), how they
-- were derived (method: "quantile", calibrated on the baseline's scores so
-- that the published bands hit the target shares, or "inform", the fixed
-- INFORM thresholds when the baseline was too short), the baseline they come
-- from and its size, the target shares and the shares the thresholds give on
-- the baseline (normal, blue, yellow, orange, red). The risk jobs use the
-- newest row of their window and level until `riskwatch risk calibrate`
-- writes another; rows are never updated.
CREATE TABLE IF NOT EXISTS risk_thresholds
(
    version String,
    window Enum8('day' = 1, 'week' = 2, 'month' = 3),
    level UInt8,
    method String,
    baseline_from DateTime('Asia/Shanghai'),
    baseline_to DateTime('Asia/Shanghai'),
    baseline_rows UInt64,
    baseline_windows UInt32,
    blue Float64,
    yellow Float64,
    orange Float64,
    red Float64,
    hysteresis_margin Float64,
    target_shares Array(Float64),
    baseline_shares Array(Float64),
    note String,
    created_at DateTime
)
ENGINE = MergeTree
ORDER BY (window, level, created_at);
-- Every risk_index row names the thresholds version its bands used ('' for
-- rows written before versioned thresholds: the INFORM defaults).
ALTER TABLE risk_index ADD COLUMN thresholds_version String DEFAULT '';
