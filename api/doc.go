// Package api is the analyst API and the Chinese web console.
//
// Where it sits: it reads what ingest and the index jobs wrote (cases,
// region_kpis, hotspots, risk_index, type_ranks, stat_alarms, rule_alarms,
// supervision_cases) and the trends' rollups it refreshes itself
// (api_daily, api_cube_by_place, api_county) through the store's API*
// queries, and serves them as JSON and CSV under /api/ (documented in the
// embedded OpenAPI 3 document at /api/openapi.json) and as the console
// under /console/ (plain HTML and JavaScript embedded from console/, with
// the ECharts build of reports/assets: no request leaves the server).
//
// What it owns: tokens (random, stored as SHA-256, each with a role and a
// region scope: a division-code prefix such as 150521 for 科左中旗), the
// check of every request (RequireRole; other parts read the caller's scope
// with ScopeFrom), parameter validation (400 with a message naming the
// parameter), the row and range limits, and the audit log (api_audit) of
// who queried what and when.
//
// The scope is applied in the SQL of every query: the store binds the
// token's prefix (and the requested region's) as LIKE patterns; a request
// for a region above or beside the scope is refused with 403. One small
// list is filtered in Go after the store read it whole: the emerging
// issues of a window, by their town's code. The case list
// returns masked text only, and free text is masked once more on the way
// out.
//
// What it does not do: compute anything the jobs compute, write any table
// but api_tokens (through the token command), api_audit and the trends'
// rollups api_daily, api_cube_by_place and api_county (RefreshDaily), or serve the
// reports (package reports) and warnings (package warnings), which mount
// their own handlers behind RequireRole.
package api
