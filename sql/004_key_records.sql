-- 004_key_records.sql: what the record of keys needs beyond 001.
--
-- keyd holds the keys; pgpmg.keys is their record, which policyd keeps in
-- step with keyd's inventory (policyd/keyrecord.c).  A sync stamps every
-- row it names with its own random id (synced); at its end the rows it
-- did not stamp are keys keyd no longer has, and go (audited).  0 is a
-- row no sync has named yet.

ALTER TABLE pgpmg.keys ADD COLUMN synced bigint NOT NULL DEFAULT 0
    CHECK (synced >= 0);

-- Whether keyd holds the secret part (a key pair of the gateway's).  Apart
-- from internal, which says whose the key is: an internal user's key is
-- internal whether the gateway holds its secret part or only the public
-- key the user gave.
ALTER TABLE pgpmg.keys ADD COLUMN held boolean NOT NULL DEFAULT false
    CHECK (NOT held OR internal);
