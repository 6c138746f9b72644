// Package links finds linked cases: the same party (a pseudonymous key
// derived by transform from an ID number, a phone number, a name within a
// village, or an organisation name) in several cases.
//
// Where it sits: the links_day job (jobs.LinksJob) reads the party keys of
// the cases reported in the last 90 days (the latest version of each case),
// calls Find, and writes case_links; the warnings engine turns new links
// into 关联预警. The package reads nothing and writes nothing, and sees only
// keys and masked labels, never a name, ID or phone number.
//
// Rules (Options): a key is a link when, within the window,
//   - repeat_party: it is in at least MinCases cases (3), or
//   - cross_town: its cases lie in at least MinTowns towns (2), or
//   - org_villages: it is an organisation's key and its cases lie in at
//     least MinVillages villages (2): one contractor owing wages in
//     several villages.
//
// One person usually has several keys (ID number, phone, name): groups of
// person keys with the same label whose cases are a subset of another
// group's cases are merged into it, so a person is one link, not three.
package links
