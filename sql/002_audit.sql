-- 002_audit.sql: the audit log, append-only and hash-chained.
--
-- Every row is chained to the one before it: hash = SHA-256 of the row's
-- canonical form (pgpmg.audit_canonical below), which includes the hash of
-- the previous row (prev_hash; 32 zero bytes for row 1).  The chain is
-- made here, in a BEFORE INSERT trigger, under a transaction-scoped
-- advisory lock, so that several inserters (several gateways sharing one
-- database) append one after another and never fork it; id is the
-- previous id plus one, and prev_hash is UNIQUE, so even a stale snapshot
-- cannot fork it (such an insert fails with a unique violation).
--
-- `pgpmgctl audit verify` recomputes every hash in C (common/auditchain.c)
-- from the stored columns, independently of these functions; the canonical
-- form is documented there and in docs/DESIGN-NOTES.md.  It is, as UTF-8
-- bytes, with \n a line feed and LEN the length in bytes, in decimal:
--
--   pgpmg-audit-v1\n
--   id=ID\n                          decimal, no sign, no leading zeros
--   at=YYYY-MM-DDTHH:MM:SS.ffffffZ\n  the time in UTC, microseconds
--   actor=LEN:ACTOR\n
--   kind=LEN:KIND\n
--   subject=LEN:SUBJECT\n
--   details=LEN:DETAILS\n
--   prev=HEX\n                       prev_hash, 64 lower-case hex digits
--
-- Callers insert actor, kind, subject and details only (the only columns
-- policyd may name); id, at, prev_hash and hash are the trigger's.
-- UPDATE, DELETE and TRUNCATE are refused by a trigger, for everybody,
-- the owner included (ENABLE ALWAYS: session_replication_role does not
-- silence it).  The owner or a superuser can still disable the trigger
-- and alter the table: that is what the chain and `audit verify` catch.

CREATE TABLE pgpmg.audit_log (
	id		bigint PRIMARY KEY CHECK (id > 0),
	at		timestamptz NOT NULL,
	-- who: "admin:alice@example.com", "pgpmgctl:root", "policyd", ...
	actor		text NOT NULL CHECK (octet_length(actor) BETWEEN 1 AND 400),
	kind		text NOT NULL CHECK (kind IN (
			    'schema-migrate',
			    'policy-change',
			    'rule-add', 'rule-change', 'rule-delete',
			    'domain-add', 'domain-delete',
			    'user-add', 'user-change', 'user-delete',
			    'password-change',
			    'key-generate', 'key-import', 'key-upload',
			    'key-revoke', 'key-delete',
			    'login', 'login-failed', 'logout', 'lockout',
			    'decrypt-failed', 'refused', 'held', 'released',
			    'secret-rotate')),
	-- what: an address, a fingerprint, a rule id, a message id
	subject		text NOT NULL DEFAULT ''
			    CHECK (octet_length(subject) <= 2000),
	-- JSON text, kept verbatim (not jsonb, which would rewrite it):
	-- for a policy change {"before": {...}, "after": {...}}
	details		text NOT NULL DEFAULT '{}'
			    CHECK (octet_length(details) <= 65536
			    AND details::json IS NOT NULL),
	prev_hash	bytea NOT NULL UNIQUE CHECK (octet_length(prev_hash) = 32),
	hash		bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_log_at ON pgpmg.audit_log (at);
CREATE INDEX audit_log_kind ON pgpmg.audit_log (kind, at);

CREATE FUNCTION pgpmg.audit_canonical(p_id bigint, p_at timestamptz,
    p_actor text, p_kind text, p_subject text, p_details text,
    p_prev_hash bytea) RETURNS bytea
    LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
	SELECT convert_to(
	    'pgpmg-audit-v1' || E'\n' ||
	    'id=' || p_id::text || E'\n' ||
	    'at=' || to_char(p_at AT TIME ZONE 'UTC',
	        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\n' ||
	    'actor=' || octet_length(p_actor) || ':' || p_actor || E'\n' ||
	    'kind=' || octet_length(p_kind) || ':' || p_kind || E'\n' ||
	    'subject=' || octet_length(p_subject) || ':' || p_subject || E'\n' ||
	    'details=' || octet_length(p_details) || ':' || p_details || E'\n' ||
	    'prev=' || encode(p_prev_hash, 'hex') || E'\n',
	    'UTF8')
$$;

CREATE FUNCTION pgpmg.audit_chain() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	last_id		bigint;
	last_hash	bytea;
BEGIN
	-- One inserter at a time, until its transaction ends; then the next
	-- one sees its row (READ COMMITTED takes a new snapshot here).
	PERFORM pg_advisory_xact_lock(1885826407, 1);	-- 'pgmg', audit
	SELECT a.id, a.hash INTO last_id, last_hash
	    FROM pgpmg.audit_log a ORDER BY a.id DESC LIMIT 1;
	IF last_id IS NULL THEN
		NEW.id := 1;
		NEW.prev_hash := decode(repeat('00', 32), 'hex');
	ELSE
		NEW.id := last_id + 1;
		NEW.prev_hash := last_hash;
	END IF;
	NEW.at := clock_timestamp();
	NEW.hash := sha256(pgpmg.audit_canonical(NEW.id, NEW.at, NEW.actor,
	    NEW.kind, NEW.subject, NEW.details, NEW.prev_hash));
	RETURN NEW;
END
$$;

CREATE FUNCTION pgpmg.audit_refuse() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RAISE EXCEPTION 'pgpmg.audit_log is append-only: % refused', TG_OP
	    USING ERRCODE = 'insufficient_privilege',
	    HINT = 'audit rows are never changed or removed';
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON pgpmg.audit_log
    FOR EACH ROW EXECUTE FUNCTION pgpmg.audit_chain();
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON pgpmg.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION pgpmg.audit_refuse();
ALTER TABLE pgpmg.audit_log ENABLE ALWAYS TRIGGER audit_log_chain;
ALTER TABLE pgpmg.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;

REVOKE ALL ON FUNCTION pgpmg.audit_chain() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgpmg.audit_refuse() FROM PUBLIC;
REVOKE ALL ON FUNCTION pgpmg.audit_canonical(bigint, timestamptz, text,
    text, text, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pgpmg.audit_canonical(bigint, timestamptz, text,
    text, text, text, bytea) TO _pgpmg_policyd;

-- policyd appends and reads; it never names the chain's columns.
GRANT SELECT ON pgpmg.audit_log TO _pgpmg_policyd;
GRANT INSERT (actor, kind, subject, details) ON pgpmg.audit_log
    TO _pgpmg_policyd;
