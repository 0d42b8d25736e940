-- 003_policy_engine.sql: what policyd's policy engine needs beyond 001.
--
-- * rules.missing_key: a rule may name its own missing-key action (what
--   happens to a recipient without a key when the rule's mode wants the
--   message encrypted); NULL means the global one.  Only the modes that
--   can want encryption without a key (all, keyword) may name one.
-- * pgpmg.policy_changes: one row whose generation grows by one with
--   every row changed in pgpmg.policy, pgpmg.rules or pgpmg.domains (and
--   with every TRUNCATE of them), inside the changing transaction.
--   policyd polls it every 2 s and reloads its cache when it moved, so a
--   change made by anybody (pgpmgctl through another gateway sharing the
--   database, the console, a superuser's psql) applies within seconds.
--   The trigger function runs as the schema's owner (SECURITY DEFINER):
--   policyd's role may read the row, never write it.
--
-- docs/DESIGN-NOTES.md, "The policy engine", describes the model.

ALTER TABLE pgpmg.rules ADD COLUMN missing_key text
    CHECK (missing_key IS NULL OR (missing_key IN ('plain', 'bounce', 'hold')
    AND action IN ('all', 'keyword')));

CREATE TABLE pgpmg.policy_changes (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	generation	bigint NOT NULL DEFAULT 1 CHECK (generation >= 1),
	changed_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pgpmg.policy_changes DEFAULT VALUES;

CREATE FUNCTION pgpmg.policy_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE pgpmg.policy_changes SET generation = generation + 1,
	    changed_at = now() WHERE id;
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION pgpmg.policy_changed() FROM PUBLIC;

CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE
    ON pgpmg.policy FOR EACH ROW EXECUTE FUNCTION pgpmg.policy_changed();
CREATE TRIGGER policy_truncated AFTER TRUNCATE
    ON pgpmg.policy FOR EACH STATEMENT EXECUTE FUNCTION pgpmg.policy_changed();
CREATE TRIGGER rules_changed AFTER INSERT OR UPDATE OR DELETE
    ON pgpmg.rules FOR EACH ROW EXECUTE FUNCTION pgpmg.policy_changed();
CREATE TRIGGER rules_truncated AFTER TRUNCATE
    ON pgpmg.rules FOR EACH STATEMENT EXECUTE FUNCTION pgpmg.policy_changed();
CREATE TRIGGER domains_changed AFTER INSERT OR UPDATE OR DELETE
    ON pgpmg.domains FOR EACH ROW EXECUTE FUNCTION pgpmg.policy_changed();
CREATE TRIGGER domains_truncated AFTER TRUNCATE
    ON pgpmg.domains FOR EACH STATEMENT EXECUTE FUNCTION pgpmg.policy_changed();

GRANT SELECT ON pgpmg.policy_changes TO _pgpmg_policyd;
