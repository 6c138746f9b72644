-- stat_alarms: the statistical alarms of every region × category series and
-- window (issue 5), written by the alarms jobs. One row per series and window
-- end: the detector that ran (EARS for short history, farringtonFlexible
-- once enough history exists), its parameters, the observed count, the
-- expected count and upper bound (NULL when the detector leaves them
-- undefined) and whether it alarmed. A window computed again replaces its
-- rows (the newest computed_at wins; read with FINAL).
CREATE TABLE IF NOT EXISTS stat_alarms
(
    window Enum8('day' = 1, 'week' = 2),
    window_end DateTime('Asia/Shanghai'),
    level UInt8,
    region_code String,
    category String,
    detector String,
    params String,
    observed Float64,
    expected Nullable(Float64),
    upperbound Nullable(Float64),
    alarm UInt8,
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window, window_end, level, region_code, category, detector);
