-- 001_init.sql: the schema pgpmg, schema_version, and the tables policyd
-- keeps: internal domains, users, keys, the policy and its rules, notices,
-- statistics per hour, and sealed (encrypted) values.
--
-- Applied by `pgpmgctl db migrate` as the DDL role (database-admin), inside
-- one transaction; never edit a migration that has been applied anywhere:
-- add a new file.  docs/DESIGN-NOTES.md, "policyd and the database",
-- describes every table and the roles.
--
-- Conventions: every object lives in the schema pgpmg, owned by the DDL
-- role; policyd's role _pgpmg_policyd owns nothing and gets exactly the
-- privileges granted below (no DDL).  Text is UTF-8 (checked here), times
-- are timestamptz, enumerations are CHECK constraints, every length is
-- bounded.  Addresses are stored as given; lookups use lower(address).

DO $$
BEGIN
	IF (SELECT pg_encoding_to_char(encoding) FROM pg_database
	    WHERE datname = current_database()) <> 'UTF8' THEN
		RAISE EXCEPTION 'database % is not UTF8', current_database()
		    USING HINT = 'CREATE DATABASE pgpmg ENCODING ''UTF8'' TEMPLATE template0';
	END IF;
	IF current_setting('integer_datetimes') <> 'on' THEN
		RAISE EXCEPTION 'integer_datetimes must be on';
	END IF;
END
$$;

-- policyd's role: the OS user _pgpmg_policyd logs in as it (peer
-- authentication).  scripts/pg.sh creates it; a site's own cluster may
-- not have it yet.  It must hold no power beyond its grants.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '_pgpmg_policyd') THEN
		CREATE ROLE _pgpmg_policyd LOGIN;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '_pgpmg_policyd'
	    AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication
	    OR rolbypassrls)) THEN
		RAISE EXCEPTION 'role _pgpmg_policyd must not be superuser, '
		    'createdb, createrole, replication or bypassrls';
	END IF;
	IF pg_has_role('_pgpmg_policyd', current_user, 'MEMBER') THEN
		RAISE EXCEPTION 'role _pgpmg_policyd must not be a member of '
		    'the DDL role %', current_user;
	END IF;
	-- No schema or temporary table of its own in this database.
	EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC',
	    current_database());
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO _pgpmg_policyd',
	    current_database());
	-- Unqualified names find pgpmg's tables (queries should still say
	-- pgpmg.<table>).
	EXECUTE format('ALTER ROLE _pgpmg_policyd IN DATABASE %I '
	    'SET search_path = pgpmg', current_database());
END
$$;

-- Databases made before PostgreSQL 15 let everybody create in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA pgpmg;
REVOKE ALL ON SCHEMA pgpmg FROM PUBLIC;
GRANT USAGE ON SCHEMA pgpmg TO _pgpmg_policyd;

-- One row per applied migration; pgpmgctl db migrate reads it before
-- anything else and refuses a file whose sha256 differs from its row.
CREATE TABLE pgpmg.schema_version (
	number		integer PRIMARY KEY CHECK (number BETWEEN 1 AND 999),
	name		text NOT NULL UNIQUE
			    CHECK (name ~ '^[0-9]{3}_[a-z0-9_-]{1,64}\.sql$'),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	applied_at	timestamptz NOT NULL DEFAULT now(),
	applied_by	text NOT NULL DEFAULT current_user
			    CHECK (length(applied_by) BETWEEN 1 AND 200)
);

-- The internal domains: mail from these is outgoing, to these incoming.
CREATE TABLE pgpmg.domains (
	name		text PRIMARY KEY
			    CHECK (length(name) <= 253 AND name ~
			    '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 400)
);

-- People: administrators of the console, users of the portal, and
-- internal addresses known for other reasons (role none).
CREATE TABLE pgpmg.users (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	address		text NOT NULL
			    CHECK (length(address) BETWEEN 3 AND 320
			    AND position('@' in address) > 1
			    AND address !~ '[[:cntrl:][:space:]]'),
	display_name	text NOT NULL DEFAULT ''
			    CHECK (length(display_name) <= 200
			    AND display_name !~ '[[:cntrl:]]'),
	role		text NOT NULL DEFAULT 'user'
			    CHECK (role IN ('admin', 'user', 'none')),
	portal_login	boolean NOT NULL DEFAULT false,
	-- A one-way hash string, never anything reversible: scrypt or
	-- Argon2id, as PHC strings ($scrypt$ln=..,r=..,p=..$salt$hash,
	-- $argon2id$v=19$m=..,t=..,p=..$salt$hash) or libxcrypt's $7$.
	password_hash	text
			    CHECK (password_hash IS NULL OR
			    (length(password_hash) BETWEEN 20 AND 512 AND password_hash ~
			    '^\$(scrypt|argon2id|7)\$[A-Za-z0-9+/=.$,-]+$')),
	password_changed_at timestamptz,
	-- Lockout: failed logins since the last good one, and until when
	-- logins are refused.
	failed_logins	integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until	timestamptz,
	last_failure	timestamptz,
	last_login	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (NOT portal_login OR password_hash IS NOT NULL)
);
CREATE UNIQUE INDEX users_address ON pgpmg.users (lower(address));

-- Public keys the gateway knows: of internal users (keyd holds the key
-- pair) and of correspondents outside.  The armoured public key is the
-- record; key_addresses lists every address of its user IDs for lookups.
CREATE TABLE pgpmg.keys (
	fingerprint	text PRIMARY KEY
			    CHECK (fingerprint ~ '^([0-9A-F]{40}|[0-9A-F]{64})$'),
	-- the owning internal address, or the external address it is for
	address		text NOT NULL
			    CHECK (length(address) BETWEEN 3 AND 320
			    AND position('@' in address) > 1
			    AND address !~ '[[:cntrl:][:space:]]'),
	internal	boolean NOT NULL,
	source		text NOT NULL
			    CHECK (source IN ('generated', 'uploaded', 'imported',
			    'keyserver', 'wkd', 'autocrypt')),
	created		timestamptz NOT NULL,
	expires		timestamptz CHECK (expires IS NULL OR expires > created),
	revoked		boolean NOT NULL DEFAULT false,
	revoked_at	timestamptz CHECK (revoked_at IS NULL OR revoked),
	armoured	text NOT NULL
			    CHECK (octet_length(armoured) <= 1048576 AND armoured
			    LIKE '-----BEGIN PGP PUBLIC KEY BLOCK-----%'),
	added_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX keys_address ON pgpmg.keys (lower(address));
-- The daily job: keys that expire soon.
CREATE INDEX keys_expires ON pgpmg.keys (expires)
    WHERE expires IS NOT NULL AND NOT revoked;

CREATE TABLE pgpmg.key_addresses (
	fingerprint	text NOT NULL REFERENCES pgpmg.keys ON DELETE CASCADE,
	address		text NOT NULL
			    CHECK (length(address) BETWEEN 3 AND 320
			    AND position('@' in address) > 1
			    AND address !~ '[[:cntrl:][:space:]]'),
	PRIMARY KEY (fingerprint, address)
);
CREATE INDEX key_addresses_address ON pgpmg.key_addresses (lower(address));

-- The global policy: exactly one row (id is always true).  version grows
-- by one with every update (trigger), so a writer can say "UPDATE ...
-- WHERE version = $n" and a reader can tell that something changed.
CREATE TABLE pgpmg.policy (
	id		boolean PRIMARY KEY DEFAULT true CHECK (id),
	mode		text NOT NULL DEFAULT 'possible'
			    CHECK (mode IN ('off', 'possible', 'all', 'keyword')),
	keyword		text NOT NULL DEFAULT '[secure]'
			    CHECK (length(keyword) BETWEEN 1 AND 100
			    AND keyword !~ '[[:cntrl:]]'),
	missing_key	text NOT NULL DEFAULT 'plain'
			    CHECK (missing_key IN ('plain', 'bounce', 'hold')),
	sign		boolean NOT NULL DEFAULT true,
	decrypt		boolean NOT NULL DEFAULT true,
	protected_headers boolean NOT NULL DEFAULT true,
	version		bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updated_by	text NOT NULL DEFAULT 'migration'
			    CHECK (length(updated_by) BETWEEN 1 AND 400)
);
INSERT INTO pgpmg.policy DEFAULT VALUES;

CREATE FUNCTION pgpmg.policy_bump() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	NEW.version := OLD.version + 1;
	NEW.updated_at := now();
	RETURN NEW;
END
$$;
CREATE TRIGGER policy_bump BEFORE UPDATE ON pgpmg.policy
    FOR EACH ROW EXECUTE FUNCTION pgpmg.policy_bump();

-- Rules that override the global mode for a domain or an address.  The
-- rule with the highest priority that matches wins (policyd documents the
-- matching); the pattern is lower case.
CREATE TABLE pgpmg.rules (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	scope		text NOT NULL CHECK (scope IN ('domain', 'address')),
	pattern		text NOT NULL
			    CHECK (pattern = lower(pattern) AND CASE scope
			    WHEN 'domain' THEN length(pattern) <= 253 AND pattern ~
			    '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'
			    ELSE length(pattern) BETWEEN 3 AND 320
			    AND position('@' in pattern) > 1
			    AND pattern !~ '[[:cntrl:][:space:]]' END),
	priority	integer NOT NULL DEFAULT 100
			    CHECK (priority BETWEEN 0 AND 1000000),
	action		text NOT NULL
			    CHECK (action IN ('off', 'possible', 'all', 'keyword')),
	comment		text NOT NULL DEFAULT ''
			    CHECK (length(comment) <= 500),
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 400),
	UNIQUE (scope, pattern)
);

-- Notices for a user or for the administrators (recipient 'admin'): a key
-- that expires soon, a message that could not be decrypted, one held.
-- ref names what a notice is about; (kind, recipient, ref) is unique, so a
-- scheduled job may insert "ON CONFLICT DO NOTHING" every day.
CREATE TABLE pgpmg.notices (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	created_at	timestamptz NOT NULL DEFAULT now(),
	recipient	text NOT NULL
			    CHECK (recipient = 'admin' OR
			    (length(recipient) BETWEEN 3 AND 320
			    AND position('@' in recipient) > 1
			    AND recipient !~ '[[:cntrl:][:space:]]')),
	kind		text NOT NULL
			    CHECK (kind IN ('key-expiring', 'key-expired',
			    'key-revoked', 'decrypt-failed', 'held', 'refused',
			    'info')),
	ref		text CHECK (length(ref) BETWEEN 1 AND 400),
	subject		text NOT NULL CHECK (length(subject) <= 998),
	body		text NOT NULL DEFAULT ''
			    CHECK (octet_length(body) <= 65536),
	read_at		timestamptz
);
CREATE UNIQUE INDEX notices_once ON pgpmg.notices (kind, recipient, ref)
    WHERE ref IS NOT NULL;
CREATE INDEX notices_recipient ON pgpmg.notices (recipient, created_at);
CREATE INDEX notices_created ON pgpmg.notices (created_at);

-- Statistics per hour and direction; several gateways add to the same
-- row with INSERT ... ON CONFLICT (hour, direction) DO UPDATE.
CREATE TABLE pgpmg.stats_hourly (
	hour		timestamptz NOT NULL
			    CHECK (date_trunc('hour', hour AT TIME ZONE 'UTC')
			    = hour AT TIME ZONE 'UTC'),
	direction	text NOT NULL CHECK (direction IN ('in', 'out')),
	messages	bigint NOT NULL DEFAULT 0 CHECK (messages >= 0),
	encrypted	bigint NOT NULL DEFAULT 0 CHECK (encrypted >= 0),
	signed		bigint NOT NULL DEFAULT 0 CHECK (signed >= 0),
	decrypted	bigint NOT NULL DEFAULT 0 CHECK (decrypted >= 0),
	sig_good	bigint NOT NULL DEFAULT 0 CHECK (sig_good >= 0),
	sig_bad		bigint NOT NULL DEFAULT 0 CHECK (sig_bad >= 0),
	failures	bigint NOT NULL DEFAULT 0 CHECK (failures >= 0),
	PRIMARY KEY (hour, direction)
);

-- Sensitive values, sealed by policyd (policyd/seal.c) with AES-256-GCM
-- under a key only policyd reads (policyd-key-file).  sealed is the
-- self-describing blob: "PGS1", algorithm 1 (aes-256-gcm), key id length
-- 16, the key id, a 96-bit nonce, the 128-bit tag, the ciphertext.  alg
-- and key_id repeat what the blob says, so that rotation can find the
-- rows still sealed under an old key; the CHECK keeps them in step.
-- The additional data is 'pgpmg.secrets:' || name, so a blob copied to
-- another row does not open.
CREATE TABLE pgpmg.secrets (
	name		text PRIMARY KEY
			    CHECK (length(name) BETWEEN 1 AND 400
			    AND name !~ '[[:cntrl:]]'),
	alg		text NOT NULL DEFAULT 'aes-256-gcm'
			    CHECK (alg = 'aes-256-gcm'),
	key_id		text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
	sealed		bytea NOT NULL
			    CHECK (octet_length(sealed) BETWEEN 50 AND 65536 + 50),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT secrets_header CHECK (
	    substring(sealed from 1 for 6) = '\x504753310110'::bytea
	    AND substring(sealed from 7 for 16) = convert_to(key_id, 'UTF8'))
);
CREATE INDEX secrets_key_id ON pgpmg.secrets (key_id);

-- policyd: data, never definitions.
GRANT SELECT ON pgpmg.schema_version TO _pgpmg_policyd;
GRANT SELECT, INSERT, DELETE ON pgpmg.domains TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.users TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.keys TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.key_addresses TO _pgpmg_policyd;
GRANT SELECT, UPDATE ON pgpmg.policy TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.rules TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.notices TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.stats_hourly TO _pgpmg_policyd;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgpmg.secrets TO _pgpmg_policyd;
REVOKE ALL ON FUNCTION pgpmg.policy_bump() FROM PUBLIC;
