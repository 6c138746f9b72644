-- forecasts: the forecasts of every region × category group series, written
-- by the forecast jobs (forecast_week: 1–4 weeks ahead, forecast_day: 1–14
-- days ahead). One row per series, origin (the end of the last window the
-- model saw) and horizon: the window forecast (target_end), the point
-- forecast, the bounds of the 80 % and 95 % prediction intervals, the model
-- chosen by rolling-origin validation and the training window
-- [train_from, train_to) of window ends. Levels: 2 city, 3 county (旗县区),
-- 4 town (苏木乡镇街道). A window computed again replaces its rows (the
-- newest fitted_at wins; read with FINAL).
CREATE TABLE IF NOT EXISTS forecasts
(
    window Enum8('day' = 1, 'week' = 2),
    origin DateTime('Asia/Shanghai'),
    horizon UInt8,
    target_end DateTime('Asia/Shanghai'),
    level UInt8,
    region_code String,
    category String,
    point Float64,
    lower80 Float64,
    upper80 Float64,
    lower95 Float64,
    upper95 Float64,
    model String,
    train_from DateTime('Asia/Shanghai'),
    train_to DateTime('Asia/Shanghai'),
    fitted_at DateTime
)
ENGINE = ReplacingMergeTree(fitted_at)
PARTITION BY toYear(origin)
ORDER BY (window, origin, level, region_code, category, horizon);
