// Package transform turns raw Kafka message bytes into storable rows: it
// decodes the record contract, validates it, normalizes times, region codes
// and full-width characters, classifies free text into the taxonomy, masks
// personal data and derives flags.
//
// It is pure: no I/O, no clock (the caller passes the current time), no
// logging. It imports only schemas. Whatever it rejects comes back as an
// error with a reason, for the dead-letter topic.
//
// # Decoding
//
// A message is one JSON object (record.schema.json). Decoding is strict:
// field names match exactly (case-sensitive), unknown and duplicate fields,
// null values, numbers sent as strings, fractions for integers and anything
// after the object are rejected; so are empty, oversized, non-UTF-8
// messages and NUL bytes, raw or escaped. A record whose contract version
// this build does not know is rejected as unsupported_contract even when
// its fields also look wrong, because a newer contract may add or retype
// fields. Each rejection is a *RejectError with a stable Reason.
//
// # Validation and normalization
//
// Required: case_id, version (≥ 1), source, reported_at, region_code,
// parties (≥ 1), status. Enumerated fields must hold a value of
// schemas.Enums, category a code of the taxonomy. Times are RFC 3339 with
// an offset, not before 1990 and not more than Options.FutureTolerance after
// now; due_at may lie up to ten years ahead. Full-width digits, letters and
// spaces become ASCII in case_id, repeat_of, region_code, grid_id,
// assigned_unit, summary, category_text and the party names before
// anything else looks at them. Times become UTC; ReportedDate is the
// Asia/Shanghai calendar day of reported_at. A region code becomes the
// registry's code, with its level and every ancestor code filled.
//
// # Classification and masking
//
// Without a category, the first taxonomy keyword (leaves before groups)
// found in category_text, else in summary, decides it ("keyword:<kw>");
// nothing found gives "other" ("default"). With a learned model
// (Options.Model, package transform/classify) the model decides instead,
// on the masked text, recording "model:<version>" and its confidence;
// with Options.KeywordsFirst a keyword still decides when one is found.
// Then summary and category_text
// are masked (see Mask): ID, bank card, mobile and landline numbers, e-mail
// addresses and the party names, and the names and organisations of
// party_details. The names themselves are never stored.
//
// # Party keys
//
// With Options.PartyKeySecret, the parties of party_details become
// pseudonymous keys before masking (parties.go): "<PartyKeyID>:" and the
// first 16 bytes of HMAC-SHA256 over the kind and the normalised ID
// number, phone number, name with the case's village code, or
// organisation name (NormalizeOrg). Only the keys, their kinds and masked
// labels reach the row; without a secret no key is derived.
//
// Text is not HTML-escaped here: "<script>" stays text, and escaping is the
// job of whatever renders it.
package transform
