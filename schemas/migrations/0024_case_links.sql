-- case_links: linked cases, written by the links_day job (one row per link
-- and window end). A link is one party (a person found by ID number, phone
-- or name within a village, or an organisation) in several cases reported
-- in the 90 days before the window end: in at least 3 cases
-- (repeat_party), in at least 2 towns (cross_town), or an organisation in
-- at least 2 villages (org_villages). link_key is the pseudonymous key of
-- the link's largest group, party_keys all of its keys; label is masked
-- (surname and *, or the organisation's normalised name). scope_code is
-- the town holding every case, else their county, else '' (the city). A
-- window end computed again writes new rows with a later computed_at;
-- readers keep the newest computed_at of each window end (a computation
-- without links writes one marker row with an empty link_key).
CREATE TABLE IF NOT EXISTS case_links
(
    window_end DateTime('Asia/Shanghai'),
    link_key String,
    party_keys Array(String),
    kinds Array(String),
    label String,
    reasons Array(String),
    case_count UInt32,
    town_count UInt32,
    village_count UInt32,
    scope_code String,
    county_codes Array(String),
    town_codes Array(String),
    village_codes Array(String),
    case_ids Array(String),
    first_reported DateTime('Asia/Shanghai'),
    last_reported DateTime('Asia/Shanghai'),
    computed_at DateTime
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYear(window_end)
ORDER BY (window_end, link_key);
