-- cases_daily and its view go: api_daily and api_cube (migrations 0010 and
-- 0025) answer every trend the rollup answered, from the latest version of
-- each case, while cases_daily counted a case again on every day, town or
-- category a later version moved it to. The view ran seven uniqExact
-- states inside every insert into cases, about a quarter of the server's
-- CPU per ingested row; trends asked before the API's first refresh of its
-- rollups now read cases. The view goes first, so that no insert writes
-- into a table being dropped.
DROP TABLE IF EXISTS cases_daily_mv;

DROP TABLE IF EXISTS cases_daily;
