-- party_keys: the pseudonymous keys transform derives from a record's
-- party_details (HMAC-SHA256 under the deployment secret, prefixed with the
-- secret's key id: "k1:<32 hex>"); party_key_kinds says what each key was
-- derived from (id, phone, name, org) and party_labels what may be shown
-- for it (a person's surname and *, an organisation's normalised name).
-- The raw names, ID numbers and phone numbers are never stored. Rows stored
-- before this migration have no keys. cases only: case_events keeps no
-- party data.
ALTER TABLE cases ADD COLUMN party_keys Array(String);

ALTER TABLE cases ADD COLUMN party_key_kinds Array(String);

ALTER TABLE cases ADD COLUMN party_labels Array(String);
