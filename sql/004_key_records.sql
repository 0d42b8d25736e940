-- 004_key_records.sql: what the record of keys needs beyond 001.
--
-- keyd holds the keys; pgpmg.keys is their record, which policyd keeps in
-- step with keyd's inventory (policyd/keyrecord.c).  A sync stamps every
-- row it names with its own random id (synced); at its end the rows it
-- did not stamp are keys keyd no longer has, and go (audited).  0 is a
-- row no sync has named yet.

ALTER TABLE pgpmg.keys ADD COLUMN synced bigint NOT NULL DEFAULT 0
    CHECK (synced >= 0);
