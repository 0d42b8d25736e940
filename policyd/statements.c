/*
 * The statements policyd prepares at every connection.  Every table is
 * qualified with its schema (pgpmg) and every function with pg_catalog,
 * so that no object someone created earlier in the search path can stand
 * in for the one we mean.  Values only ever travel as parameters.
 *
 * Statements that change something and append to the audit log do both
 * in one statement (data-modifying WITH), which is one transaction: the
 * change is never made without its audit row.  The audit row's JSON is
 * made by json_build_object from the parameters, so any string is quoted
 * by the server.  A unique violation on an audit_log constraint means
 * another writer appended first (sql/002_audit.sql): audit.c retries.
 */
#include "policyd/statements.h"

/* The policy row as JSON, keyed by the names of `policy set`. */
#define POLICY_JSON(t) \
	"pg_catalog.json_build_object('mode', " t ".mode, 'keyword', " t \
	".keyword, 'missing-key', " t ".missing_key, 'sign', " t ".sign, " \
	"'decrypt', " t ".decrypt, 'protected-headers', " t \
	".protected_headers)"
#define RULE_JSON(t) \
	"pg_catalog.json_build_object('id', " t ".id, 'scope', " t ".scope, " \
	"'pattern', " t ".pattern, 'priority', " t ".priority, 'action', " t \
	".action, 'missing-key', " t ".missing_key)"
/* A user as JSON, keyed by the fields of `user set`: whether there is a
 * password, never the hash. */
#define USER_JSON(t) \
	"pg_catalog.json_build_object('address', " t ".address, 'name', " t \
	".display_name, 'role', " t ".role, 'portal', " t ".portal_login, " \
	"'password', CASE WHEN " t ".password_hash IS NULL THEN 'none' " \
	"ELSE 'set' END)"
/* The one row of an address, whatever its case (the unique index is on
 * lower(address)). */
#define USER_WHERE_ADDRESS(p) \
	"WHERE pg_catalog.lower(address) = pg_catalog.lower(" p ") "

/*
 * A key notice of KIND (housekeeping.c) for every key that is not revoked
 * and that WHERE takes, $1 being the days of the window: to 'admin', and
 * for an internal key to its owner too.  ref is "FPR@EXPIRY", the expiry
 * in seconds since 1970, so that a key whose expiry moved gets a notice
 * again.  The notices' unique index is partial (WHERE ref IS NOT NULL):
 * ON CONFLICT must name its columns and its predicate to use it.  k.expiry
 * is the expiry as people read it, in UTC whatever the session's
 * TimeZone.  The texts are SQL string literals, so none has an
 * apostrophe.
 */
#define KEY_NOTICE(kind, where, subject, owner, admin_int, admin_ext) \
	"INSERT INTO pgpmg.notices (recipient, kind, ref, subject, body) " \
	"SELECT r.rcpt, '" kind "', k.fingerprint || '@' || k.secs, " \
	subject ", CASE WHEN r.rcpt <> 'admin' THEN " owner " " \
	"WHEN k.internal THEN " admin_int " ELSE " admin_ext " END " \
	"FROM (SELECT fingerprint, address, internal, " \
	"pg_catalog.floor(pg_catalog.extract('epoch', expires))::bigint " \
	"AS secs, pg_catalog.to_char(expires AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD HH24:MI') || ' UTC' AS expiry FROM pgpmg.keys " \
	"WHERE NOT revoked AND " where ") AS k " \
	"CROSS JOIN LATERAL (VALUES ('admin'), (CASE WHEN k.internal THEN " \
	"k.address END)) AS r(rcpt) WHERE r.rcpt IS NOT NULL " \
	"ON CONFLICT (kind, recipient, ref) WHERE ref IS NOT NULL DO NOTHING"
#define KEY_WINDOW	"pg_catalog.make_interval(days => $1::integer)"

/*
 * The console (console.c, console_login.c).  A live session: its user may
 * log in, it was used within the idle timeout and made within the
 * lifetime ($I and $L: seconds), all by the database's clock, the same
 * for every gateway.
 */
#define SESSION_LIVE(i, l) \
	"u.portal_login AND u.role <> 'none' " \
	"AND s.last_seen > pg_catalog.now() - " \
	"pg_catalog.make_interval(secs => " i "::integer) " \
	"AND s.created_at > pg_catalog.now() - " \
	"pg_catalog.make_interval(secs => " l "::integer) "
/* Seconds left of an account's lock, 0 when it has none. */
#define LOCK_LEFT(t) \
	"COALESCE(GREATEST(0, pg_catalog.ceil(pg_catalog.extract('epoch', " \
	t ".locked_until - pg_catalog.now())))::bigint, 0)"
/* Who logged in (or out), for the audit log: "admin:ADDRESS" or
 * "user:ADDRESS". */
#define CONSOLE_ACTOR(t) \
	"CASE WHEN " t ".role = 'admin' THEN 'admin:' ELSE 'user:' END || " \
	t ".address"
/* A time as the console shows it: ISO 8601 in UTC, to the second. */
#define ISO_UTC(e) \
	"pg_catalog.to_char((" e ") AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/*
 * Which part of pgpmg wrote an audit row, from its actor: the console
 * (admin:, user:, and 'console' for the failed logins), pgpmgctl
 * ("pgpmgctl (uid N)", "pgpmgctl:root"), cryptod (a message's result,
 * which policyd records for it), policyd itself, or other (a row someone
 * wrote by hand).  The console's audit view shows and filters by it.
 */
#define AUDIT_PROCESS(t) \
	"CASE WHEN " t ".actor = 'console' OR " t ".actor LIKE 'admin:%' " \
	"OR " t ".actor LIKE 'user:%' THEN 'console' " \
	"WHEN " t ".actor LIKE 'pgpmgctl%' THEN 'pgpmgctl' " \
	"WHEN " t ".actor = 'policyd' AND " t ".kind IN ('decrypt-failed', " \
	"'refused', 'held', 'released') THEN 'cryptod' " \
	"WHEN " t ".actor LIKE 'policyd%' THEN 'policyd' ELSE 'other' END"

const struct db_statement policyd_statements[] = {
	{ STMT_HEALTH, "SELECT pg_catalog.version()", 0 },

	{ STMT_POLICY_GENERATION,
	    "SELECT generation FROM pgpmg.policy_changes", 0 },
	{ STMT_POLICY_LOAD,
	    "SELECT p.mode, p.keyword, p.missing_key, p.sign, p.decrypt, "
	    "p.protected_headers, p.version, c.generation "
	    "FROM pgpmg.policy p CROSS JOIN pgpmg.policy_changes c", 0 },
	/* $1: at most this many (one more than policyd keeps). */
	{ STMT_RULES_LOAD,
	    "SELECT id, scope, pattern, priority, action, missing_key "
	    "FROM pgpmg.rules ORDER BY id LIMIT $1::bigint", 1 },
	{ STMT_DOMAINS_LOAD,
	    "SELECT name FROM pgpmg.domains ORDER BY name LIMIT $1::bigint", 1 },
	/*
	 * $1 actor, $2 the configuration's internal domains, one per line.
	 * Only into an empty table that was never managed (no domain-add or
	 * domain-delete in the audit log): the configuration seeds the list
	 * once, and a list an admin emptied stays empty.
	 */
	{ STMT_DOMAINS_SEED,
	    "WITH cand AS (SELECT DISTINCT pg_catalog.lower(t.n) AS name "
	    "FROM pg_catalog.string_to_table($2, E'\\n') AS t(n) "
	    "WHERE t.n <> ''), "
	    "ins AS (INSERT INTO pgpmg.domains (name, created_by) "
	    "SELECT cand.name, $1 FROM cand "
	    "WHERE NOT EXISTS (SELECT 1 FROM pgpmg.domains) "
	    "AND NOT EXISTS (SELECT 1 FROM pgpmg.audit_log a "
	    "WHERE a.kind IN ('domain-add', 'domain-delete')) "
	    "ON CONFLICT DO NOTHING RETURNING name), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'domain-add', ins.name, pg_catalog.json_build_object("
	    "'before', NULL, 'after', pg_catalog.json_build_object('name', "
	    "ins.name), 'source', 'internal-domain in the configuration')::text "
	    "FROM ins RETURNING id) "
	    "SELECT ins.name FROM ins", 2 },

	/* $1 the hour (seconds since 1970, a whole hour), $2 direction,
	 * $3..$9 the counts to add. */
	{ STMT_STATS_ADD,
	    "INSERT INTO pgpmg.stats_hourly AS s (hour, direction, messages, "
	    "encrypted, signed, decrypted, sig_good, sig_bad, failures) "
	    "VALUES (pg_catalog.to_timestamp($1::double precision), $2, "
	    "$3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, "
	    "$8::bigint, $9::bigint) "
	    "ON CONFLICT (hour, direction) DO UPDATE SET "
	    "messages = s.messages + EXCLUDED.messages, "
	    "encrypted = s.encrypted + EXCLUDED.encrypted, "
	    "signed = s.signed + EXCLUDED.signed, "
	    "decrypted = s.decrypted + EXCLUDED.decrypted, "
	    "sig_good = s.sig_good + EXCLUDED.sig_good, "
	    "sig_bad = s.sig_bad + EXCLUDED.sig_bad, "
	    "failures = s.failures + EXCLUDED.failures", 9 },
	/* $1 kind, $2 subject, $3 direction, $4 sender, $5 recipient,
	 * $6 detail, $7 the worker that reported it. */
	{ STMT_AUDIT_RESULT,
	    "INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "VALUES ('policyd', $1, $2, pg_catalog.json_build_object("
	    "'direction', $3::text, 'sender', $4::text, 'recipient', $5::text, "
	    "'detail', $6::text, 'reported-by', $7::text)::text)", 7 },

	/*
	 * $1 HOUSEKEEPING_WARN_DAYS: keys that expire within it.  After the
	 * subject, three bodies: the owner's, and the administrators' for
	 * an internal key and for an external one.
	 */
	{ STMT_NOTICE_KEY_EXPIRING, KEY_NOTICE("key-expiring",
	    "expires > pg_catalog.now() AND "
	    "expires <= pg_catalog.now() + " KEY_WINDOW,
	    "'The key of ' || k.address || ' (' || k.fingerprint || ') "
	    "expires on ' || k.expiry",
	    "'Your key ' || k.fingerprint || ' expires on ' || k.expiry || "
	    "'. After that correspondents can no longer encrypt to it, and "
	    "the gateway no longer signs your mail with it. Renew or replace "
	    "it in the console before then, or ask the administrators to.'",
	    "'The key ' || k.fingerprint || ' of the internal address ' || "
	    "k.address || ' expires on ' || k.expiry || '. After that mail "
	    "to ' || k.address || ' can no longer be encrypted to it, and the "
	    "gateway no longer signs mail from ' || k.address || ' with it. "
	    "Renew or replace it in the console, or with `pgpmgctl key "
	    "revoke ' || k.fingerprint || '` and then `pgpmgctl key generate "
	    "' || k.address || '`.'",
	    "'The key ' || k.fingerprint || ' of ' || k.address || ' expires "
	    "on ' || k.expiry || '. After that mail to ' || k.address || ' "
	    "can no longer be encrypted to it, and goes as the policy says "
	    "for a recipient without a key. Import the renewed or new key of "
	    "the correspondent in the console, or with `pgpmgctl key import "
	    "FILE`.'"), 1 },
	/* $1 HOUSEKEEPING_WARN_DAYS: keys that expired within it. */
	{ STMT_NOTICE_KEY_EXPIRED, KEY_NOTICE("key-expired",
	    "expires <= pg_catalog.now() AND "
	    "expires > pg_catalog.now() - " KEY_WINDOW,
	    "'The key of ' || k.address || ' (' || k.fingerprint || ') "
	    "expired on ' || k.expiry",
	    "'Your key ' || k.fingerprint || ' expired on ' || k.expiry || "
	    "': correspondents can no longer encrypt to it, and the gateway "
	    "no longer signs your mail with it. Renew or replace it in the "
	    "console, or ask the administrators to.'",
	    "'The key ' || k.fingerprint || ' of the internal address ' || "
	    "k.address || ' expired on ' || k.expiry || ': mail to ' || "
	    "k.address || ' can no longer be encrypted to it, and the "
	    "gateway no longer signs mail from ' || k.address || ' with it. "
	    "Renew or replace it in the console, or with `pgpmgctl key "
	    "generate ' || k.address || '`.'",
	    "'The key ' || k.fingerprint || ' of ' || k.address || ' expired "
	    "on ' || k.expiry || ': mail to ' || k.address || ' can no longer "
	    "be encrypted to it, and goes as the policy says for a recipient "
	    "without a key. Import the renewed or new key of the "
	    "correspondent in the console, or with `pgpmgctl key import "
	    "FILE`.'"), 1 },
	/* $1 notice-retention (days), $2 HOUSEKEEPING_PURGE_BATCH: the
	 * oldest first, at most that many. */
	{ STMT_NOTICES_PURGE,
	    "DELETE FROM pgpmg.notices WHERE id IN (SELECT id "
	    "FROM pgpmg.notices WHERE created_at < pg_catalog.now() - "
	    "pg_catalog.make_interval(days => $1::integer) "
	    "ORDER BY created_at LIMIT $2::bigint)", 2 },

	{ STMT_POLICY_SHOW,
	    "SELECT mode, keyword, missing_key, sign, decrypt, "
	    "protected_headers, version, pg_catalog.to_char(updated_at AT TIME "
	    "ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), updated_by "
	    "FROM pgpmg.policy", 0 },
	/*
	 * $1 actor, $2..$7 the new mode, keyword, missing_key, sign,
	 * decrypt, protected_headers (NULL: unchanged), $8 the setting's
	 * name.  The old row is locked and read in the same statement
	 * (FROM ... FOR UPDATE), so "before" is the row this update
	 * replaced, even when another gateway changed it a moment ago.
	 */
	{ STMT_POLICY_SET,
	    "WITH chg AS (UPDATE pgpmg.policy AS p SET "
	    "mode = COALESCE($2, o.mode), "
	    "keyword = COALESCE($3, o.keyword), "
	    "missing_key = COALESCE($4, o.missing_key), "
	    "sign = COALESCE($5::boolean, o.sign), "
	    "decrypt = COALESCE($6::boolean, o.decrypt), "
	    "protected_headers = COALESCE($7::boolean, "
	    "o.protected_headers), updated_by = $1 "
	    "FROM (SELECT id, mode, keyword, missing_key, sign, decrypt, "
	    "protected_headers FROM pgpmg.policy FOR UPDATE) AS o "
	    "WHERE p.id = o.id "
	    "RETURNING " POLICY_JSON("o") " AS before, " POLICY_JSON("p")
	    " AS after, p.version), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'policy-change', $8, pg_catalog.json_build_object("
	    "'setting', $8::text, 'before', chg.before, 'after', "
	    "chg.after)::text FROM chg RETURNING id) "
	    "SELECT chg.before ->> $8::text, chg.after ->> $8::text, "
	    "chg.version, aud.id FROM chg, aud", 8 },
	/* $1 actor, $2 scope, $3 pattern, $4 priority, $5 action, $6
	 * missing_key (NULL: the global one). */
	{ STMT_RULE_ADD,
	    "WITH ins AS (INSERT INTO pgpmg.rules (scope, pattern, priority, "
	    "action, missing_key, created_by) VALUES ($2, $3, $4::integer, $5, "
	    "$6, $1) RETURNING id, scope, pattern, priority, action, "
	    "missing_key), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'rule-add', 'rule ' || ins.id, "
	    "pg_catalog.json_build_object('before', NULL, 'after', "
	    RULE_JSON("ins") ")::text FROM ins RETURNING id) "
	    "SELECT ins.id, aud.id FROM ins, aud", 6 },
	/* $1 actor, $2 id. */
	{ STMT_RULE_DEL,
	    "WITH del AS (DELETE FROM pgpmg.rules WHERE id = $2::bigint "
	    "RETURNING id, scope, pattern, priority, action, missing_key), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'rule-delete', 'rule ' || del.id, "
	    "pg_catalog.json_build_object('before', " RULE_JSON("del")
	    ", 'after', NULL)::text FROM del RETURNING id) "
	    "SELECT del.id, del.scope, del.pattern, aud.id FROM del, aud", 2 },
	/* In the order that decides between rules of one recipient:
	 * priority, then address before domain. */
	{ STMT_RULE_LIST,
	    "SELECT id, priority, scope, pattern, action, missing_key "
	    "FROM pgpmg.rules ORDER BY priority DESC, scope = 'address' DESC, "
	    "pattern, id LIMIT $1::bigint", 1 },
	/* $1 actor, $2 name. */
	{ STMT_DOMAIN_ADD,
	    "WITH ins AS (INSERT INTO pgpmg.domains (name, created_by) "
	    "VALUES ($2, $1) RETURNING name), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'domain-add', ins.name, pg_catalog.json_build_object("
	    "'before', NULL, 'after', pg_catalog.json_build_object('name', "
	    "ins.name))::text FROM ins RETURNING id) "
	    "SELECT ins.name, aud.id FROM ins, aud", 2 },
	{ STMT_DOMAIN_DEL,
	    "WITH del AS (DELETE FROM pgpmg.domains WHERE name = $2 "
	    "RETURNING name), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'domain-delete', del.name, pg_catalog.json_build_object("
	    "'before', pg_catalog.json_build_object('name', del.name), "
	    "'after', NULL)::text FROM del RETURNING id) "
	    "SELECT del.name, aud.id FROM del, aud", 2 },
	{ STMT_DOMAIN_LIST,
	    "SELECT name FROM pgpmg.domains ORDER BY name LIMIT $1::bigint",
	    1 },
	/*
	 * The record of keys (keyrecord.c).  $1: a chunk of keyd's
	 * inventory, JSON lines; $2: the source of keys new to the record
	 * ('' for generated when keyd holds the secret part, else
	 * imported); $3: the sync's id, stamped on every row this chunk
	 * names.  A key without an address or an armour keyd could give
	 * keeps its row as it was (only stamped).  Answers how many rows
	 * were added, updated and kept.
	 */
	{ STMT_KEYS_UPSERT,
	    "WITH inv AS (SELECT pg_catalog.upper(x.fpr) AS fpr, x.secret, "
	    "x.created, x.expires, x.revoked, x.address, x.addresses, "
	    "x.armoured "
	    "FROM pg_catalog.string_to_table($1::text, E'\\n') AS l(line) "
	    "CROSS JOIN LATERAL pg_catalog.json_to_record(l.line::json) AS "
	    "x(fpr text, secret boolean, created bigint, expires bigint, "
	    "revoked boolean, address text, addresses text[], armoured text) "
	    "WHERE l.line <> ''), "
	    "rec AS (SELECT * FROM inv WHERE address IS NOT NULL "
	    "AND armoured IS NOT NULL), "
	    "ups AS (INSERT INTO pgpmg.keys AS k (fingerprint, address, "
	    "internal, held, source, created, expires, revoked, revoked_at, "
	    "armoured, synced) "
	    "SELECT rec.fpr, rec.address, rec.secret OR EXISTS (SELECT 1 "
	    "FROM pgpmg.domains d WHERE d.name = pg_catalog.lower("
	    "pg_catalog.split_part(rec.address, '@', 2))), rec.secret, "
	    "CASE WHEN $2::text <> '' "
	    "THEN $2::text WHEN rec.secret THEN 'generated' ELSE 'imported' END, "
	    "pg_catalog.to_timestamp(rec.created), "
	    "CASE WHEN rec.expires IS NOT NULL THEN pg_catalog.to_timestamp("
	    "GREATEST(rec.expires, rec.created + 1)) END, rec.revoked, "
	    "CASE WHEN rec.revoked THEN pg_catalog.now() END, rec.armoured, "
	    "$3::bigint FROM rec "
	    "ON CONFLICT (fingerprint) DO UPDATE SET address = "
	    "EXCLUDED.address, internal = EXCLUDED.internal, held = "
	    "EXCLUDED.held, created = "
	    "EXCLUDED.created, expires = EXCLUDED.expires, revoked = "
	    "EXCLUDED.revoked, revoked_at = CASE WHEN NOT EXCLUDED.revoked "
	    "THEN NULL WHEN k.revoked THEN k.revoked_at ELSE "
	    "pg_catalog.now() END, armoured = EXCLUDED.armoured, synced = "
	    "EXCLUDED.synced, updated_at = CASE WHEN (k.address, k.internal, "
	    "k.held, k.expires, k.revoked, k.armoured) IS DISTINCT FROM "
	    "(EXCLUDED.address, EXCLUDED.internal, EXCLUDED.held, "
	    "EXCLUDED.expires, "
	    "EXCLUDED.revoked, EXCLUDED.armoured) THEN pg_catalog.now() "
	    "ELSE k.updated_at END "
	    "RETURNING k.fingerprint, (k.xmax = 0) AS inserted), "
	    "kept AS (UPDATE pgpmg.keys k SET synced = $3::bigint FROM inv "
	    "WHERE k.fingerprint = inv.fpr AND (inv.address IS NULL OR "
	    "inv.armoured IS NULL) RETURNING k.fingerprint), "
	    "adel AS (DELETE FROM pgpmg.key_addresses ka USING rec "
	    "WHERE ka.fingerprint = rec.fpr AND NOT (ka.address = ANY "
	    "(rec.addresses)) RETURNING ka.fingerprint), "
	    "ains AS (INSERT INTO pgpmg.key_addresses (fingerprint, address) "
	    "SELECT DISTINCT rec.fpr, a.address FROM rec CROSS JOIN LATERAL "
	    "pg_catalog.unnest(rec.addresses) AS a(address) "
	    "ON CONFLICT DO NOTHING RETURNING fingerprint) "
	    "SELECT (SELECT pg_catalog.count(*) FROM ups WHERE inserted), "
	    "(SELECT pg_catalog.count(*) FROM ups WHERE NOT inserted), "
	    "(SELECT pg_catalog.count(*) FROM kept), "
	    "(SELECT pg_catalog.count(*) FROM adel), "
	    "(SELECT pg_catalog.count(*) FROM ains)", 3 },
	/*
	 * The end of a sync: $1 its id; rows it did not stamp are keys keyd
	 * no longer has.  The audit row: $2 actor, $3 kind ('' when no
	 * operation caused the sync: then a row only if keys were removed,
	 * as key-delete), $4 subject, $5 the operation's argument, $6
	 * keyd's answer, $7 the source given.
	 */
	{ STMT_KEYS_PRUNE,
	    "WITH del AS (DELETE FROM pgpmg.keys WHERE synced <> $1::bigint "
	    "RETURNING fingerprint), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $2::text, CASE WHEN $3::text <> '' THEN $3::text ELSE 'key-delete' END, "
	    "pg_catalog.left(CASE WHEN $3::text <> '' THEN $4::text ELSE (SELECT "
	    "pg_catalog.string_agg(fingerprint, ' ') FROM del) END, 2000), "
	    "pg_catalog.json_build_object('argument', $5::text, 'result', $6::text, "
	    "'source', $7::text, 'removed', (SELECT COALESCE("
	    "pg_catalog.json_agg(fingerprint), '[]'::json) FROM del))::text "
	    "WHERE $3::text <> '' OR EXISTS (SELECT 1 FROM del) RETURNING id) "
	    "SELECT (SELECT pg_catalog.count(*) FROM del), "
	    "(SELECT pg_catalog.count(*) FROM aud)", 7 },

	/*
	 * The console's list of keys (console_keys.c): $1 at most this many,
	 * $2 NULL or an address (the keys whose record lists it: its owner
	 * or any of its user IDs' addresses, whatever the case), $3 NULL or
	 * a fingerprint.  Times in UTC, ISO 8601; the addresses of the user
	 * IDs joined by commas (keyd lists none with a comma), in byte order.
	 */
	{ STMT_KEY_LIST,
	    "SELECT k.fingerprint, CASE WHEN k.internal THEN 'internal' "
	    "ELSE 'external' END, k.source, "
	    "pg_catalog.to_char(k.created AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "COALESCE(pg_catalog.to_char(k.expires AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-'), "
	    "CASE WHEN k.revoked THEN 'yes' ELSE 'no' END, "
	    "CASE WHEN k.held THEN 'yes' ELSE 'no' END, "
	    "COALESCE((SELECT pg_catalog.string_agg(a.address, ',' "
	    "ORDER BY a.address COLLATE pg_catalog.\"C\") "
	    "FROM pgpmg.key_addresses a WHERE a.fingerprint = k.fingerprint), "
	    "k.address) "
	    "FROM pgpmg.keys k "
	    "WHERE ($2::text IS NULL OR "
	    "pg_catalog.lower(k.address) = pg_catalog.lower($2::text) OR "
	    "EXISTS (SELECT 1 FROM pgpmg.key_addresses a "
	    "WHERE a.fingerprint = k.fingerprint AND "
	    "pg_catalog.lower(a.address) = pg_catalog.lower($2::text))) "
	    "AND ($3::text IS NULL OR k.fingerprint = $3::text) "
	    "ORDER BY pg_catalog.lower(k.address) COLLATE pg_catalog.\"C\", "
	    "k.fingerprint LIMIT $1::bigint", 3 },

	/*
	 * $1 actor, $2 address, $3 display name, $4 role, $5 the PHC string
	 * of a password (the console's new users) or NULL (pgpmgctl's: no
	 * password), $6 the portal login (NULL: off, the schema's default).
	 * The audit row says whether there is a password, never the hash.
	 */
	{ STMT_USER_ADD,
	    "WITH ins AS (INSERT INTO pgpmg.users (address, display_name, "
	    "role, password_hash, portal_login, password_changed_at) "
	    "VALUES ($2, $3, $4, $5::text, COALESCE($6::boolean, false), "
	    "CASE WHEN $5::text IS NOT NULL THEN pg_catalog.now() END) "
	    "RETURNING address, display_name, role, "
	    "portal_login, password_hash), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'user-add', ins.address, pg_catalog.json_build_object("
	    "'before', NULL, 'after', " USER_JSON("ins") ")::text FROM ins "
	    "RETURNING id) "
	    "SELECT ins.address, ins.role, aud.id FROM ins, aud", 6 },
	/* $1: at most this many.  In byte order of the lower-case address,
	 * whatever the database's collation, so the order is the same on
	 * every installation. */
	{ STMT_USER_LIST,
	    "SELECT address, role, portal_login, locked_until IS NOT NULL AND "
	    "locked_until > pg_catalog.now(), display_name FROM pgpmg.users "
	    "ORDER BY pg_catalog.lower(address) COLLATE pg_catalog.\"C\", "
	    "address COLLATE pg_catalog.\"C\" LIMIT $1::bigint", 1 },
	/*
	 * $1 actor, $2 address, $3..$5 the new display name, role,
	 * portal_login (NULL: unchanged), $6 the field's name.  The old row
	 * is locked and read in the same statement, as for the policy.
	 * Turning the portal login on without a password fails the table's
	 * CHECK (23514).
	 */
	{ STMT_USER_SET,
	    "WITH chg AS (UPDATE pgpmg.users AS u SET "
	    "display_name = COALESCE($3, o.display_name), "
	    "role = COALESCE($4, o.role), "
	    "portal_login = COALESCE($5::boolean, o.portal_login), "
	    "updated_at = pg_catalog.now() "
	    "FROM (SELECT id, address, display_name, role, portal_login, "
	    "password_hash FROM pgpmg.users " USER_WHERE_ADDRESS("$2")
	    "FOR UPDATE) AS o "
	    "WHERE u.id = o.id "
	    "RETURNING u.address, " USER_JSON("o") " AS before, "
	    USER_JSON("u") " AS after), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'user-change', chg.address, "
	    "pg_catalog.json_build_object('field', $6::text, 'before', "
	    "chg.before, 'after', chg.after)::text FROM chg RETURNING id) "
	    "SELECT chg.address, chg.before ->> $6::text, "
	    "chg.after ->> $6::text, aud.id FROM chg, aud", 6 },
	/*
	 * $1 actor, $2 address, $3 the new PHC string (checked by policyd
	 * and by the schema).  A new password ends a lockout.  The audit row
	 * says whether there was a password, never what either hash is.
	 */
	{ STMT_USER_PASSWD,
	    "WITH chg AS (UPDATE pgpmg.users AS u SET password_hash = $3, "
	    "password_changed_at = pg_catalog.now(), failed_logins = 0, "
	    "locked_until = NULL, updated_at = pg_catalog.now() "
	    "FROM (SELECT id, password_hash, failed_logins, locked_until "
	    "FROM pgpmg.users " USER_WHERE_ADDRESS("$2") "FOR UPDATE) AS o "
	    "WHERE u.id = o.id "
	    "RETURNING u.address, o.password_hash IS NOT NULL AS had, "
	    "o.failed_logins, o.locked_until IS NOT NULL AND "
	    "o.locked_until > pg_catalog.now() AS locked), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'password-change', chg.address, "
	    "pg_catalog.json_build_object('before', "
	    "pg_catalog.json_build_object('password', "
	    "CASE WHEN chg.had THEN 'set' ELSE 'none' END, "
	    "'failed-logins', chg.failed_logins, 'locked', chg.locked), "
	    "'after', pg_catalog.json_build_object('password', 'set', "
	    "'failed-logins', 0, 'locked', false))::text FROM chg "
	    "RETURNING id) "
	    "SELECT chg.address, aud.id FROM chg, aud", 3 },
	/* $1 actor, $2 address. */
	{ STMT_USER_DEL,
	    "WITH del AS (DELETE FROM pgpmg.users " USER_WHERE_ADDRESS("$2")
	    "RETURNING address, display_name, role, portal_login, "
	    "password_hash), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT $1, 'user-delete', del.address, "
	    "pg_catalog.json_build_object('before', " USER_JSON("del")
	    ", 'after', NULL)::text FROM del RETURNING id) "
	    "SELECT del.address, aud.id FROM del, aud", 2 },
	/*
	 * The console.  $1 the address as typed: the one account it names
	 * whatever its case, with its lock's seconds left.
	 */
	{ STMT_CONSOLE_USER,
	    "SELECT k.key, u.id, u.address, u.role, u.portal_login, "
	    "u.password_hash, u.failed_logins, " LOCK_LEFT("u") " "
	    "FROM (SELECT pg_catalog.lower($1) AS key) k "
	    "LEFT JOIN pgpmg.users u ON pg_catalog.lower(u.address) = k.key",
	    1 },
	/*
	 * A good login: $1 the user's id, $2 the hash the password was
	 * checked against, $3 the SHA-256 of the new session id (hex), $4
	 * the client, $5 CONSOLE_SESSIONS_PER_USER.  Only while the account
	 * may still log in with that very hash (it may have changed during
	 * the check): then the count is cleared, the session made (the
	 * oldest beyond $5 ended) and the login audited, all or nothing.
	 * The audit row names the session by the first 16 digits of its
	 * hash, as the logout's does.
	 */
	{ STMT_CONSOLE_LOGIN_OK,
	    "WITH u AS (UPDATE pgpmg.users SET failed_logins = 0, "
	    "locked_until = NULL, last_login = pg_catalog.now() "
	    "WHERE id = $1::bigint AND password_hash = $2 AND portal_login "
	    "AND role <> 'none' RETURNING id, address, role), "
	    "old AS (DELETE FROM pgpmg.sessions WHERE id_hash IN (SELECT "
	    "s.id_hash FROM pgpmg.sessions s, u WHERE s.user_id = u.id "
	    "ORDER BY s.last_seen DESC, s.created_at DESC "
	    "OFFSET $5::bigint - 1) RETURNING id_hash), "
	    "ses AS (INSERT INTO pgpmg.sessions (id_hash, user_id, client, "
	    "last_client) SELECT pg_catalog.decode($3, 'hex'), u.id, $4, $4 "
	    "FROM u RETURNING id_hash), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT " CONSOLE_ACTOR("u") ", 'login', u.address, "
	    "pg_catalog.json_build_object('client', $4::text, 'session', "
	    "pg_catalog.left($3::text, 16))::text FROM u, ses RETURNING id) "
	    "SELECT u.address, u.role, aud.id, (SELECT pg_catalog.count(*) "
	    "FROM old) FROM u, aud", 5 },
	/*
	 * A failed check of an account's password: $1 its id, $2 the
	 * client, $3 the reason, $4 the lock's seconds by the count of
	 * failures (lockout_sql_table(): the n-th element for the n-th
	 * failure, the last for every one beyond), $5 whether it was a
	 * reauth, $6 LOCKOUT_HARD.  The count goes up by one under the
	 * row's lock, so two gateways counting at once lose nothing; a
	 * lock only ever grows.  One audit row, and a lockout row besides
	 * from LOCKOUT_HARD failures on; both in one INSERT, which the
	 * chain's trigger links one after the other.
	 */
	{ STMT_CONSOLE_LOGIN_FAILED,
	    "WITH o AS (SELECT id, failed_logins FROM pgpmg.users "
	    "WHERE id = $1::bigint FOR UPDATE), "
	    "l AS (SELECT o.id, o.failed_logins + 1 AS n, ($4::integer[])["
	    "LEAST(o.failed_logins + 1, pg_catalog.array_length("
	    "$4::integer[], 1))] AS secs FROM o), "
	    "u AS (UPDATE pgpmg.users AS x SET failed_logins = l.n, "
	    "last_failure = pg_catalog.now(), locked_until = CASE "
	    "WHEN l.secs > 0 THEN GREATEST(x.locked_until, pg_catalog.now() + "
	    "pg_catalog.make_interval(secs => l.secs)) ELSE x.locked_until "
	    "END FROM l WHERE x.id = l.id "
	    "RETURNING x.address, l.n, l.secs), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT 'console', r.kind, u.address, r.details FROM u "
	    "CROSS JOIN LATERAL (VALUES ('login-failed', "
	    "pg_catalog.json_build_object('client', $2::text, 'reason', "
	    "$3::text, 'failed-logins', u.n, 'locked-for', u.secs, 'reauth', "
	    "$5::boolean)::text), (CASE WHEN u.n >= $6::integer THEN 'lockout' "
	    "END, pg_catalog.json_build_object('client', $2::text, "
	    "'failed-logins', u.n, 'seconds', u.secs)::text)) AS r(kind, "
	    "details) WHERE r.kind IS NOT NULL RETURNING kind) "
	    "SELECT u.n, u.secs, (SELECT pg_catalog.count(*) FROM aud "
	    "WHERE kind = 'lockout'), (SELECT pg_catalog.count(*) FROM aud) "
	    "FROM u", 6 },
	/*
	 * A failed attempt that changes no account: an address that is no
	 * account, or an attempt refused unchecked while locked.  $1 the
	 * address (as stored, or as typed made printable), $2 the client,
	 * $3 the reason, $4 the count of failures (NULL: not counted here),
	 * $5 the lock's seconds, $6 whether it was a reauth, $7 whether this
	 * failure locked an unknown address for console-lockout (a lockout
	 * row besides).
	 */
	{ STMT_CONSOLE_AUDIT_FAILED,
	    "INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT 'console', r.kind, $1, r.details FROM (VALUES "
	    "('login-failed', pg_catalog.json_build_object('client', $2::text, "
	    "'reason', $3::text, 'failed-logins', $4::integer, 'locked-for', "
	    "$5::integer, 'reauth', $6::boolean)::text), (CASE WHEN "
	    "$7::boolean THEN 'lockout' END, pg_catalog.json_build_object("
	    "'client', $2::text, 'failed-logins', $4::integer, 'seconds', "
	    "$5::integer, 'known', false)::text)) AS r(kind, details) "
	    "WHERE r.kind IS NOT NULL RETURNING kind", 7 },
	/*
	 * A session by the SHA-256 of its id ($1, hex), if live ($2 idle,
	 * $3 lifetime); its last_seen and last_client ($4) written when
	 * older than $5 seconds.
	 */
	{ STMT_CONSOLE_SESSION,
	    "WITH s AS (SELECT s.id_hash, s.last_seen, u.id, u.address, "
	    "u.role, u.display_name FROM pgpmg.sessions s "
	    "JOIN pgpmg.users u ON u.id = s.user_id "
	    "WHERE s.id_hash = pg_catalog.decode($1, 'hex') AND "
	    SESSION_LIVE("$2", "$3") "), "
	    "t AS (UPDATE pgpmg.sessions x SET last_seen = pg_catalog.now(), "
	    "last_client = $4 FROM s WHERE x.id_hash = s.id_hash AND "
	    "s.last_seen <= pg_catalog.now() - "
	    "pg_catalog.make_interval(secs => $5::integer) RETURNING x.id_hash) "
	    "SELECT s.id, s.address, s.role, s.display_name, "
	    "(SELECT pg_catalog.count(*) FROM t) FROM s", 5 },
	/* $1 the SHA-256 of the session id (hex): ended, live or not, with
	 * its audit row. */
	{ STMT_CONSOLE_LOGOUT,
	    "WITH d AS (DELETE FROM pgpmg.sessions s USING pgpmg.users u "
	    "WHERE s.id_hash = pg_catalog.decode($1, 'hex') AND u.id = s.user_id "
	    "RETURNING u.address, u.role, s.client, s.last_client), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT " CONSOLE_ACTOR("d") ", 'logout', d.address, "
	    "pg_catalog.json_build_object('session', pg_catalog.left($1::text, "
	    "16), 'client', d.last_client, 'login-client', d.client)::text "
	    "FROM d RETURNING id) "
	    "SELECT d.address, aud.id FROM d, aud", 1 },
	/* A reauth: the live session's user ($1 the session's hash, $2
	 * idle, $3 lifetime), in the columns of STMT_CONSOLE_USER, and the
	 * client the session was last used from. */
	{ STMT_CONSOLE_REAUTH_USER,
	    "SELECT u.id, u.address, u.role, u.portal_login, u.password_hash, "
	    "u.failed_logins, " LOCK_LEFT("u") ", s.last_client "
	    "FROM pgpmg.sessions s "
	    "JOIN pgpmg.users u ON u.id = s.user_id "
	    "WHERE s.id_hash = pg_catalog.decode($1, 'hex') AND "
	    SESSION_LIVE("$2", "$3"), 3 },
	/* A good reauth: $1 the user's id, $2 the hash checked, $3 the
	 * client, $4 the session's hash (hex).  As a good login, without a
	 * new session. */
	{ STMT_CONSOLE_REAUTH_OK,
	    "WITH u AS (UPDATE pgpmg.users SET failed_logins = 0, "
	    "locked_until = NULL WHERE id = $1::bigint AND password_hash = $2 "
	    "AND portal_login AND role <> 'none' RETURNING address, role), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT " CONSOLE_ACTOR("u") ", 'login', u.address, "
	    "pg_catalog.json_build_object('client', $3::text, 'session', "
	    "pg_catalog.left($4::text, 16), 'reauth', true)::text FROM u "
	    "RETURNING id) "
	    "SELECT u.address, aud.id FROM u, aud", 4 },
	/* The scheduled jobs: sessions that are no longer live by this
	 * gateway's timeouts ($1 idle, $2 lifetime), at most $3. */
	{ STMT_SESSIONS_PURGE,
	    "DELETE FROM pgpmg.sessions WHERE id_hash IN (SELECT id_hash "
	    "FROM pgpmg.sessions WHERE last_seen <= pg_catalog.now() - "
	    "pg_catalog.make_interval(secs => $1::integer) OR created_at <= "
	    "pg_catalog.now() - pg_catalog.make_interval(secs => $2::integer) "
	    "LIMIT $3::bigint)", 3 },

	/*
	 * The console's dashboard (console_audit.c): the statistics of the
	 * last $1 hours, both directions added up, one row per hour that had
	 * messages, oldest first.
	 */
	{ STMT_STATS_HOURS,
	    "SELECT pg_catalog.floor(pg_catalog.extract('epoch', hour))::bigint, "
	    "pg_catalog.sum(messages), pg_catalog.sum(encrypted), "
	    "pg_catalog.sum(signed), pg_catalog.sum(decrypted), "
	    "pg_catalog.sum(sig_good), pg_catalog.sum(sig_bad), "
	    "pg_catalog.sum(failures) FROM pgpmg.stats_hourly "
	    "WHERE hour > pg_catalog.now() - "
	    "pg_catalog.make_interval(hours => $1::integer) "
	    "GROUP BY hour ORDER BY hour", 1 },
	/*
	 * The last $1 messages that failed or were refused, and failed
	 * logins, newest first (the kind index finds them however long the
	 * log), each with a detail in words from its JSON.
	 */
	{ STMT_FAILURES,
	    "SELECT " ISO_UTC("a.at") ", a.kind, a.actor, a.subject, "
	    "CASE WHEN a.kind IN ('login-failed', 'lockout') THEN "
	    "pg_catalog.concat_ws(', ', d.j ->> 'reason', 'client ' || "
	    "(d.j ->> 'client'), 'failed logins ' || (d.j ->> 'failed-logins')) "
	    "ELSE pg_catalog.concat_ws(', ', d.j ->> 'detail', 'from ' || "
	    "(d.j ->> 'sender'), 'to ' || (d.j ->> 'recipient')) END "
	    "FROM pgpmg.audit_log a CROSS JOIN LATERAL (SELECT "
	    "a.details::json AS j) d "
	    "WHERE a.kind IN ('decrypt-failed', 'refused', 'held', "
	    "'login-failed', 'lockout') "
	    "ORDER BY a.at DESC, a.id DESC LIMIT $1::bigint", 1 },
	/*
	 * The audit log, newest first, at most $7 rows, filtered by what is
	 * not NULL: $1 the process (AUDIT_PROCESS), $2 the kind, $3 a part of
	 * the actor (strpos: no pattern characters), $4 since, $5 until
	 * (times with their zone), $6 rows before this id (the next page).
	 */
	{ STMT_AUDIT_LIST,
	    "SELECT a.id, " ISO_UTC("a.at") ", p.process, a.actor, a.kind, "
	    "a.subject, a.details FROM pgpmg.audit_log a CROSS JOIN LATERAL "
	    "(SELECT " AUDIT_PROCESS("a") " AS process) p "
	    "WHERE ($1::text IS NULL OR p.process = $1::text) "
	    "AND ($2::text IS NULL OR a.kind = $2::text) "
	    "AND ($3::text IS NULL OR pg_catalog.strpos(a.actor, $3::text) > 0) "
	    "AND ($4::timestamptz IS NULL OR a.at >= $4::timestamptz) "
	    "AND ($5::timestamptz IS NULL OR a.at < $5::timestamptz) "
	    "AND ($6::bigint IS NULL OR a.id < $6::bigint) "
	    "ORDER BY a.id DESC LIMIT $7::bigint", 7 },
	/*
	 * The chain's check (auditverify.c): $2 rows after id $1, as the
	 * canonical form needs them: the time as microseconds since 1970
	 * (extract gives an exact numeric in PostgreSQL 15), the texts as
	 * stored, the hashes in hex.
	 */
	{ STMT_AUDIT_CHUNK,
	    "SELECT id, (pg_catalog.extract('epoch', at) * 1000000)::bigint, "
	    "actor, kind, subject, details, pg_catalog.encode(prev_hash, 'hex'), "
	    "pg_catalog.encode(hash, 'hex') FROM pgpmg.audit_log "
	    "WHERE id > $1::bigint ORDER BY id LIMIT $2::bigint", 2 },
	/* The last $1 notices, to anybody, newest first. */
	{ STMT_NOTICE_LIST,
	    "SELECT id, " ISO_UTC("created_at") ", kind, recipient, subject "
	    "FROM pgpmg.notices ORDER BY id DESC LIMIT $1::bigint", 1 },

	/*
	 * Sealed values (secrets.c).  The blob travels as hex both ways:
	 * encode() spells it the same whatever the session's bytea_output.
	 * $1 name.
	 */
	{ STMT_SECRET_GET,
	    "SELECT pg_catalog.encode(sealed, 'hex') FROM pgpmg.secrets "
	    "WHERE name = $1", 1 },
	/* $1 name, $2 the sealing key's id, $3 the blob in hex.  A row that
	 * another gateway made first stays: both then read it back. */
	{ STMT_SECRET_CREATE,
	    "INSERT INTO pgpmg.secrets (name, alg, key_id, sealed) "
	    "VALUES ($1, 'aes-256-gcm', $2, pg_catalog.decode($3, 'hex')) "
	    "ON CONFLICT (name) DO NOTHING RETURNING name", 3 },
	/* Rotation (sealrotate.c): rows not sealed under $1, the first
	 * key, after the name $2 in byte order, at most $3. */
	{ STMT_SECRETS_STALE,
	    "SELECT name, pg_catalog.encode(sealed, 'hex') FROM pgpmg.secrets "
	    "WHERE key_id <> $1 AND name COLLATE \"C\" > $2 "
	    "ORDER BY name COLLATE \"C\" LIMIT $3::bigint", 3 },
	/*
	 * $1 name, $2 the blob as it was read (hex), $3 the new key's id,
	 * $4 the new blob (hex), $5 the old key's id.  Only a row still
	 * holding what was read is changed (another gateway may have
	 * re-sealed it, or an administrator replaced it, meanwhile), with
	 * its audit row in the same statement; no row is the answer then.
	 */
	{ STMT_SECRET_ROTATE,
	    "WITH upd AS (UPDATE pgpmg.secrets SET alg = 'aes-256-gcm', "
	    "key_id = $3, sealed = pg_catalog.decode($4, 'hex'), "
	    "updated_at = pg_catalog.now() "
	    "WHERE name = $1 AND sealed = pg_catalog.decode($2, 'hex') "
	    "RETURNING name, key_id), "
	    "aud AS (INSERT INTO pgpmg.audit_log (actor, kind, subject, details) "
	    "SELECT 'policyd', 'secret-rotate', upd.name, "
	    "pg_catalog.json_build_object('alg', 'aes-256-gcm', "
	    "'old-key-id', $5::text, 'new-key-id', upd.key_id)::text "
	    "FROM upd RETURNING id) "
	    "SELECT upd.name, aud.id FROM upd, aud", 5 },
};

const size_t policyd_nstatements =
    sizeof(policyd_statements) / sizeof(policyd_statements[0]);
