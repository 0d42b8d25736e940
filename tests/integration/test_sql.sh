#!/usr/bin/env bash
# sql/ and the audit chain against a real PostgreSQL 15 cluster that the
# suite makes and removes (pg_lib.sh):
# - the migrations apply on an empty database; a second run changes
#   nothing (schema dump, schema_version, audit rows);
# - a changed, missing, misnamed, failing or transaction-ending migration
#   is refused, and a failing one leaves nothing behind;
# - policyd's role has no DDL, cannot change the audit log, can append to
#   it and do its normal work; the trigger refuses UPDATE, DELETE and
#   TRUNCATE even for the owner, under session_replication_role too;
# - `pgpmgctl audit verify` passes a real chain (concurrent writers
#   included), as the admin and as policyd's role, and names the row a
#   superuser altered, re-hashed, forged or deleted;
# - hostile strings (SQL metacharacters, quotes, backslashes, UTF-8,
#   control characters) round-trip verbatim and keep the chain valid; NUL
#   is refused.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

new_env
trap pg_cleanup EXIT
SECONDS=0
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
echo "# cluster up after ${SECONDS}s"

CTL=("$BIN/pgpmgctl" -f "$CONF")
# The repository's migrations; the tests' own go after them.
NMIG=$(find "$REPO/sql" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' | wc -l)
NEXT=$(printf %03d $((NMIG + 1)))
NEXT2=$(printf %03d $((NMIG + 2)))
P=_pgpmg_policyd
OUT=$ENV_DIR/out

# run CMD...: its stdout and stderr in $OUT, its status in $RC.
run() { "$@" >"$OUT" 2>&1; RC=$?; return "$RC"; }
# has PATTERN: $OUT matches the extended regular expression.
has() { [ -z "$1" ] || grep -qE -- "$1" "$OUT"; }
show() { sed 's/^/#   /' "$OUT" | head -20; }
# expect RC PATTERN DESCRIPTION: the last run ended with RC and said PATTERN.
expect() {
	if [ "$RC" -eq "$1" ] && has "$2"; then
		ok "$3"
	else
		not_ok "$3 (status $RC, wanted $1 and /$2/)"
		show
	fi
}
# pg_dump (15.14 and later) brackets its output with a random
# \restrict key: not part of the schema.
schema_dump() {
	(cd / && runuser -u postgres -- "$PG_BINDIR/pg_dump" -s -h "$PG_SOCK" pgpmg) |
	    grep -v '^\\\(un\)\{0,1\}restrict '
}
versions() { pg_psql -c "SELECT number, name, sha256, applied_at, applied_by FROM pgpmg.schema_version ORDER BY 1"; }
audit_count() { pg_psql -c "SELECT count(*) FROM pgpmg.audit_log"; }

# ---------------------------------------------------------------- migrate
run pg_migrate
expect 0 'applied 001_init\.sql' "migrations apply on an empty database"
has 'applied 002_audit\.sql' && has "at version $NMIG \\($NMIG applied\\)" &&
    ok "each file applied in order, version $NMIG" || { not_ok "each file applied"; show; }
[ "$(pg_psql -c "SELECT count(*) FROM pgpmg.schema_version WHERE sha256 ~ '^[0-9a-f]{64}$'")" = "$NMIG" ] &&
[ "$(pg_psql -c "SELECT sha256 FROM pgpmg.schema_version WHERE number = 1")" = \
    "$(sha256sum "$REPO/sql/001_init.sql" | cut -d' ' -f1)" ] &&
    ok "schema_version records each file's sha256" || not_ok "schema_version sha256"
[ "$(pg_psql -c "SELECT kind || ' ' || subject || ' ' || actor FROM pgpmg.audit_log ORDER BY id")" = \
    "$(cd "$REPO/sql" && ls [0-9][0-9][0-9]_*.sql | tail -n +2 | sed 's/.*/schema-migrate & pgpmgctl:root/')" ] &&
    ok "the migration after the audit log's is audited" || not_ok "migration audited"

dump1=$(schema_dump); ver1=$(versions); n1=$(audit_count)
[ -n "$dump1" ] && grep -q 'CREATE TABLE pgpmg.audit_log' <<<"$dump1" &&
    ok "schema dump taken" || not_ok "schema dump"
run pg_migrate
expect 0 "at version $NMIG: up to date" "a second run applies nothing"
[ "$(schema_dump)" = "$dump1" ] && ok "a second run leaves the schema as it was" ||
    not_ok "schema changed by a second run"
[ "$(versions)" = "$ver1" ] && [ "$(audit_count)" = "$n1" ] &&
    ok "a second run leaves schema_version and the audit log as they were" ||
    not_ok "schema_version or audit log changed by a second run"

# A changed migration is refused, and nothing is applied.
cp -r "$REPO/sql" "$ENV_DIR/sql-changed"
echo "-- an edit after the fact" >>"$ENV_DIR/sql-changed/001_init.sql"
printf 'CREATE TABLE pgpmg.never (a int);\n' >"$ENV_DIR/sql-changed/${NEXT}_new.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-changed"
expect 2 '001_init\.sql changed since it was applied on .*sha256 recorded [0-9a-f]{64}, file [0-9a-f]{64}' \
    "a changed migration is refused, naming the file and both checksums"
[ "$(pg_psql -c "SELECT to_regclass('pgpmg.never') IS NULL")" = t ] && [ "$(versions)" = "$ver1" ] &&
    ok "nothing applied after the refusal (not even the new $NEXT)" || not_ok "applied despite a changed file"

# Missing, duplicate and misnamed migrations.
mkdir "$ENV_DIR/sql-gap"
cp "$REPO/sql/001_init.sql" "$REPO/sql/002_audit.sql" "$ENV_DIR/sql-gap/"
printf 'SELECT 1;\n' >"$ENV_DIR/sql-gap/004_later.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-gap"
expect 1 'migration 003 is missing \(the next is 004_later\.sql\)' "a gap in the numbers is refused"
mv "$ENV_DIR/sql-gap/004_later.sql" "$ENV_DIR/sql-gap/3_later.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-gap"
expect 1 '3_later\.sql: a migration is named NNN_name\.sql' "a misnamed migration is refused"
rm "$ENV_DIR/sql-gap/3_later.sql"
printf 'SELECT 1;\n' >"$ENV_DIR/sql-gap/002_again.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-gap"
expect 1 'two migrations numbered 002' "two files with one number are refused"

# A failing migration is rolled back whole, and the error names the line.
mkdir "$ENV_DIR/sql-new"
cp "$REPO/sql/"*.sql "$ENV_DIR/sql-new/"
printf -- '-- half of it would be there\nCREATE TABLE pgpmg.half (a int);\n\nCREATE TABLEX pgpmg.oops (a int);\n' \
    >"$ENV_DIR/sql-new/${NEXT}_broken.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-new"
expect 2 "${NEXT}_broken\\.sql:4: syntax error" "a failing migration is refused, with its file and line"
has 'rolled back' && [ "$(pg_psql -c "SELECT to_regclass('pgpmg.half') IS NULL")" = t ] &&
    [ "$(versions)" = "$ver1" ] && ok "nothing of the failing migration remains" ||
    { not_ok "the failing migration left something"; show; }
printf 'CREATE TABLE pgpmg.half (a int);\nSELECT 1 / 0;\n' >"$ENV_DIR/sql-new/${NEXT}_broken.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-new"
expect 2 "${NEXT}_broken\\.sql: division by zero" "a run-time error is refused too"

# A good new migration applies; the repository's sql/ is then too old.
printf 'CREATE TABLE pgpmg.extra (a int);\n' >"$ENV_DIR/sql-new/${NEXT}_broken.sql"
mv "$ENV_DIR/sql-new/${NEXT}_broken.sql" "$ENV_DIR/sql-new/${NEXT}_extra.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-new"
expect 0 "applied ${NEXT}_extra\\.sql" "a new migration applies on top"
run pg_migrate
expect 2 "the database has migration $NEXT \\(${NEXT}_extra\\.sql, applied .*\\), which .* does not have" \
    "an older sql/ than the database is refused"
# A migration may not end the transaction it runs in.
printf 'COMMIT;\nCREATE TABLE pgpmg.loose (a int);\n' >"$ENV_DIR/sql-new/${NEXT2}_commit.sql"
run "${CTL[@]}" db migrate -D "$ENV_DIR/sql-new"
expect 2 "${NEXT2}_commit\\.sql ended the transaction itself" "a migration that commits is caught"
[ "$(pg_psql -c "SELECT count(*) FROM pgpmg.schema_version WHERE number = $((NMIG + 2))")" = 0 ] &&
    ok "and it is not recorded as applied" || not_ok "commit migration recorded"

# No password in a conninfo of pgpmg.conf.
run "${CTL[@]}" audit verify -c "host=$PG_SOCK dbname=pgpmg user=postgres password=secret"
expect 1 'holds a password' "a conninfo with a password is refused"

# ---------------------------------------------------------------- policyd's role
as_p() { pg_psql_as "$P" "$@"; }
# refused DESCRIPTION PATTERN SQL: policyd's role fails with that error.
refused() {
	if run as_p -c "$3"; then
		not_ok "policyd's role: $1 (it was allowed)"
	elif has "$2"; then
		ok "policyd's role: $1"
	else
		not_ok "policyd's role: $1 (other error)"; show
	fi
}
denied='permission denied|must be owner'
refused "no CREATE TABLE in pgpmg" "$denied" "CREATE TABLE pgpmg.evil (a int)"
refused "no CREATE TABLE in public" "$denied" "CREATE TABLE public.evil (a int)"
refused "no temporary table" "$denied" "CREATE TEMP TABLE evil (a int)"
refused "no CREATE SCHEMA" "$denied" "CREATE SCHEMA evil"
refused "no CREATE FUNCTION" "$denied" "CREATE FUNCTION pgpmg.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"
refused "no DROP TABLE" "$denied" "DROP TABLE pgpmg.users"
refused "no ALTER TABLE" "$denied" "ALTER TABLE pgpmg.keys ADD COLUMN x int"
refused "cannot disable the audit triggers" "$denied" "ALTER TABLE pgpmg.audit_log DISABLE TRIGGER ALL"
refused "no UPDATE of the audit log" "$denied" "UPDATE pgpmg.audit_log SET subject = 'x'"
refused "no DELETE from the audit log" "$denied" "DELETE FROM pgpmg.audit_log"
refused "no TRUNCATE of the audit log" "$denied" "TRUNCATE pgpmg.audit_log"
refused "cannot name the chain's columns" "$denied" \
    "INSERT INTO pgpmg.audit_log (id, actor, kind) VALUES (1000, 'x', 'login')"
refused "cannot replay as a replica" "$denied" "SET session_replication_role = replica"
refused "no second policy row" "$denied" "INSERT INTO pgpmg.policy DEFAULT VALUES"
refused "no writing schema_version" "$denied" "DELETE FROM pgpmg.schema_version"
refused "no writing the policy's change generation" "$denied" \
    "UPDATE pgpmg.policy_changes SET generation = 1"

base=$(audit_count)
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, subject, details)
    VALUES ('policyd', 'login', 'alice@example.com', '{\"ok\": true}') RETURNING id"
[ "$RC" -eq 0 ] && grep -qx "$((base + 1))" "$OUT" &&
    ok "policyd's role appends to the audit log (row $((base + 1)))" ||
    { not_ok "policyd's role cannot append"; show; }
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, subject) VALUES
    ('policyd', 'login-failed', 'bob@example.com'), ('policyd', 'lockout', 'bob@example.com'),
    ('policyd', 'refused', '<msg@example.com>') RETURNING id"
[ "$RC" -eq 0 ] && [ "$(tr '\n' ' ' <"$OUT")" = "$((base + 2)) $((base + 3)) $((base + 4)) " ] &&
    ok "one INSERT of several rows chains each" || { not_ok "multi-row insert"; show; }
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, details) VALUES ('policyd', 'login', 'not json')"
expect 1 'invalid input syntax for type json' "details must be JSON"
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind) VALUES ('policyd', 'no-such-kind')"
expect 1 'audit_log_kind_check' "kind is one of the known kinds"

# policyd's ordinary work.
run as_p <<'EOF'
INSERT INTO pgpmg.domains (name, created_by) VALUES ('example.com', 'pgpmgctl:root');
INSERT INTO pgpmg.users (address, display_name, role, portal_login, password_hash)
    VALUES ('alice@example.com', 'Alice', 'admin', true,
    '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');
UPDATE pgpmg.users SET failed_logins = failed_logins + 1, last_failure = now()
    WHERE lower(address) = lower('ALICE@example.com');
UPDATE pgpmg.policy SET mode = 'keyword', keyword = '[secure]', updated_by = 'admin:alice@example.com';
INSERT INTO pgpmg.rules (scope, pattern, priority, action, created_by)
    VALUES ('domain', 'partner.example', 200, 'all', 'admin:alice@example.com');
INSERT INTO pgpmg.stats_hourly (hour, direction, messages, encrypted)
    VALUES (date_trunc('hour', now()), 'out', 1, 1)
    ON CONFLICT (hour, direction) DO UPDATE SET messages = stats_hourly.messages + 1,
    encrypted = stats_hourly.encrypted + 1;
INSERT INTO pgpmg.stats_hourly (hour, direction, messages, encrypted)
    VALUES (date_trunc('hour', now()), 'out', 1, 1)
    ON CONFLICT (hour, direction) DO UPDATE SET messages = stats_hourly.messages + 1,
    encrypted = stats_hourly.encrypted + 1;
INSERT INTO pgpmg.notices (recipient, kind, ref, subject)
    VALUES ('admin', 'key-expiring', 'ABCD', 'a key expires') ON CONFLICT DO NOTHING;
INSERT INTO pgpmg.notices (recipient, kind, ref, subject)
    VALUES ('admin', 'key-expiring', 'ABCD', 'a key expires') ON CONFLICT DO NOTHING;
SELECT version, mode FROM pgpmg.policy;
SELECT messages FROM pgpmg.stats_hourly;
SELECT count(*) FROM pgpmg.notices;
SELECT failed_logins FROM pgpmg.users;
EOF
[ "$RC" -eq 0 ] && [ "$(tr '\n' ' ' <"$OUT")" = "2|keyword 2 1 1 " ] &&
    ok "policyd's role does its work: users, policy (version bumped), rules, stats upsert, notices once" ||
    { not_ok "policyd's ordinary work"; show; }
# A domain, the policy and a rule changed, one row each: from 1, the
# generation counted each, and policyd's cache hears of them through it.
[ "$(pg_psql -c "SELECT generation FROM pgpmg.policy_changes")" = 4 ] &&
    ok "every changed row of policy, rules and domains bumps policy_changes.generation" ||
    not_ok "generation: $(pg_psql -c "SELECT generation FROM pgpmg.policy_changes")"
run as_p -c "INSERT INTO pgpmg.users (address, password_hash) VALUES ('carol@example.com', 'plaintext-password')"
expect 1 'users_password_hash_check' "a password that is not a scrypt/Argon2id hash is refused"
run as_p -c "INSERT INTO pgpmg.stats_hourly (hour, direction) VALUES (now(), 'in')"
expect 1 'stats_hourly_hour_check' "statistics rows are whole hours"
# A sealed value's header must agree with its key_id column.
hdr="'\\x504753310110'::bytea || convert_to('0123456789abcdef', 'UTF8') || decode(repeat('00', 30), 'hex')"
run as_p -c "INSERT INTO pgpmg.secrets (name, key_id, sealed) VALUES ('webd/x', '0123456789abcdef', $hdr)"
expect 0 '' "a sealed value with a matching header is stored"
run as_p -c "INSERT INTO pgpmg.secrets (name, key_id, sealed) VALUES ('webd/y', 'fedcba9876543210', $hdr)"
expect 1 'secrets_header' "a sealed value whose key id differs from its column is refused"

# ---------------------------------------------------------------- append-only
# refused_admin DESCRIPTION SQL: the owner (a superuser) is refused too.
refused_admin() {
	if run pg_psql -c "$2"; then
		not_ok "$1 (it was allowed)"
	elif has 'pgpmg\.audit_log is append-only'; then
		ok "$1"
	else
		not_ok "$1 (other error)"; show
	fi
}
refused_admin "the trigger refuses UPDATE to the owner" "UPDATE pgpmg.audit_log SET subject = 'x' WHERE id = 2"
refused_admin "the trigger refuses DELETE to the owner" "DELETE FROM pgpmg.audit_log WHERE id = 2"
refused_admin "the trigger refuses a DELETE of nothing" "DELETE FROM pgpmg.audit_log WHERE false"
refused_admin "the trigger refuses TRUNCATE to the owner" "TRUNCATE pgpmg.audit_log"
refused_admin "session_replication_role = replica does not silence it" \
    "SET session_replication_role = replica; DELETE FROM pgpmg.audit_log WHERE id = 2"

# ---------------------------------------------------------------- hostile strings
# Each string goes in through psql's :'var' quoting, as policyd's role, and
# must come back byte for byte (compared in hex).
hex() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
roundtrip() {	# DESCRIPTION SUBJECT DETAILS
	local id got
	id=$(printf '%s\n' "INSERT INTO pgpmg.audit_log (actor, kind, subject, details)
	    VALUES ('policyd', 'refused', :'s', :'d') RETURNING id;" |
	    as_p -v s="$2" -v d="$3" 2>&1) || { not_ok "$1: insert failed: $id"; return; }
	got=$(as_p -c "SELECT encode(convert_to(subject, 'UTF8'), 'hex') || ' ' ||
	    encode(convert_to(details, 'UTF8'), 'hex') FROM pgpmg.audit_log WHERE id = $id")
	if [ "$got" = "$(hex "$2") $(hex "$3")" ]; then
		ok "verbatim: $1"
	else
		not_ok "verbatim: $1 (row $id: $got)"
	fi
}
roundtrip "SQL injection" "'; DROP TABLE users; --" \
    '{"before": {"keyword": "x'"'"'); DROP TABLE pgpmg.audit_log;--"}, "after": {"keyword": "[secure]"}}'
roundtrip "quotes and backslashes" "\"double\" 'single' \`back\` \\ \\\\ \\' \\n \\0" \
    '{"s": "\"quoted\" \\\\ back\\\\slash \u0000 escaped NUL"}'
roundtrip "dollar quotes and psql variables" '$$ $tag$ :var :'"'"'var'"'"' %s %n ${x}' '{"a": "$$"}'
roundtrip "UTF-8" "Grüße, 日本語, עברית, 🔐 — ok" '{"name": "Zoë 🔐"}'
roundtrip "control characters" "$(printf 'line1\r\nline2\ttab\001\033[31m')" "$(printf '{\n\t"a": 1\n}')"
roundtrip "empty subject" "" '{}'
roundtrip "2000-byte subject" "$(printf 'x%.0s' $(seq 2000))" '[]'
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, subject) VALUES ('policyd', 'refused', repeat('x', 2001))"
expect 1 'audit_log_subject_check' "a subject longer than 2000 bytes is refused"
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, subject) VALUES ('policyd', 'refused', E'a\\000b')"
expect 1 'invalid byte sequence|null character|0x00' "NUL in a subject is refused (E'\\\\000')"
run as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, subject) VALUES ('policyd', 'refused', U&'a\\0000b')"
expect 1 'invalid Unicode|null character|0x00' "NUL in a subject is refused (U&'\\\\0000')"
# Addresses and display names too (users), through the same quoting.
printf '%s\n' "INSERT INTO pgpmg.users (address, display_name) VALUES (:'a', :'n');" |
    as_p -v a="o'brien;--@example.com" -v n="Robert'); DROP TABLE pgpmg.users;-- \"Bobby\" \\" >/dev/null 2>&1
[ "$(as_p -c "SELECT address || '|' || display_name FROM pgpmg.users WHERE address LIKE 'o''brien%'")" = \
    "o'brien;--@example.com|Robert'); DROP TABLE pgpmg.users;-- \"Bobby\" \\" ] &&
    ok "verbatim: an address and a display name with SQL in them" || not_ok "users round trip"

# ---------------------------------------------------------------- verify
# Writers at once: four sessions, each its own transactions.
for i in 1 2 3 4; do
	for j in $(seq 1 25); do
		echo "INSERT INTO pgpmg.audit_log (actor, kind, subject) VALUES ('policyd#$i', 'login', 'user$j@example.com');"
	done | as_p >/dev/null 2>&1 &
done
wait
as_p -c "INSERT INTO pgpmg.audit_log (actor, kind, subject)
    SELECT 'bulk', 'login', 'u' || g FROM generate_series(1, 1000) g" >/dev/null
N=$(audit_count)
SECONDS_V=$SECONDS
run "${CTL[@]}" audit verify
expect 0 "^audit chain: $N rows, ok\$" "audit verify passes a real chain of $N rows (4 concurrent writers)"
has "^last row $N at [0-9-]{10}T[0-9:.]{15}Z, hash [0-9a-f]{64}\$" &&
    ok "it names the last row and its hash" || { not_ok "last row line"; show; }
[ "$(pg_psql -c "SELECT count(DISTINCT prev_hash) = count(*) AND max(id) = count(*) FROM pgpmg.audit_log")" = t ] &&
    ok "no fork: ids 1..$N, every prev_hash once" || not_ok "chain forked"
echo "# verify of $N rows took $((SECONDS - SECONDS_V))s or less"
if runuser -u "$P" -- test -x "$BIN/pgpmgctl" 2>/dev/null && runuser -u "$P" -- test -r "$CONF"; then
	run runuser -u "$P" -- "$BIN/pgpmgctl" -f "$CONF" audit verify -c "host=$PG_SOCK dbname=pgpmg user=$P"
	expect 0 "^audit chain: $N rows, ok\$" "policyd's role can verify (SELECT is enough)"
else
	ok "# SKIP policyd's user cannot run $BIN/pgpmgctl"
fi

# tamper SQL...: as the superuser, with the append-only trigger disabled.
tamper() {
	pg_psql >/dev/null <<-EOF
	BEGIN;
	ALTER TABLE pgpmg.audit_log DISABLE TRIGGER audit_log_append_only;
	$1
	ALTER TABLE pgpmg.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
	COMMIT;
	EOF
}
subj3=$(pg_psql -c "SELECT subject FROM pgpmg.audit_log WHERE id = 3")
tamper "UPDATE pgpmg.audit_log SET subject = 'mallory@example.com' WHERE id = 3;"
run "${CTL[@]}" audit verify
expect 6 '^audit chain: broken at row 3: its contents were altered' \
    "a superuser's edit of row 3 is caught and named"
has 'audit chain: 2 good rows before it' && ok "it says how many rows were good" || not_ok "good rows"
tamper "UPDATE pgpmg.audit_log SET subject = '$subj3' WHERE id = 3;"
run "${CTL[@]}" audit verify
expect 0 "^audit chain: $N rows, ok" "undoing the edit makes the chain whole again"

tamper "UPDATE pgpmg.audit_log SET at = at - interval '1 microsecond' WHERE id = 9;"
run "${CTL[@]}" audit verify
expect 6 '^audit chain: broken at row 9: its contents were altered' "a changed time (1 µs) is caught"
tamper "UPDATE pgpmg.audit_log SET at = at + interval '1 microsecond' WHERE id = 9;"

hash4=$(pg_psql -c "SELECT encode(hash, 'hex') FROM pgpmg.audit_log WHERE id = 4")
tamper "UPDATE pgpmg.audit_log SET hash = sha256('forged') WHERE id = 4;"
run "${CTL[@]}" audit verify
expect 6 '^audit chain: broken at row 4: its stored hash was replaced' "a forged hash is caught and named"
tamper "UPDATE pgpmg.audit_log SET hash = decode('$hash4', 'hex') WHERE id = 4;"

# Rewritten with a correct new hash: the next row's prev_hash gives it away.
subj5=$(pg_psql -c "SELECT subject FROM pgpmg.audit_log WHERE id = 5")
tamper "UPDATE pgpmg.audit_log SET subject = 'rewritten', hash = sha256(pgpmg.audit_canonical(id, at, actor, kind, 'rewritten', details, prev_hash)) WHERE id = 5;"
run "${CTL[@]}" audit verify
expect 6 '^audit chain: broken at row 6: its prev_hash is not the hash of row 5 \(row 5 was rewritten' \
    "a row rewritten with a recomputed hash is caught at the next row, naming both"
tamper "UPDATE pgpmg.audit_log SET subject = '$subj5', hash = sha256(pgpmg.audit_canonical(id, at, actor, kind, '$subj5', details, prev_hash)) WHERE id = 5;"
run "${CTL[@]}" audit verify
expect 0 "^audit chain: $N rows, ok" "the same contents give the same hash: whole again"

# What the chain alone cannot see, an anchor from an earlier run can: the
# newest row rewritten with a fresh hash, or rows cut off the end.
anchor=$(sed -n 's/^last row \([0-9]*\) at .*, hash \([0-9a-f]*\)$/\1:\2/p' "$OUT")
run "${CTL[@]}" audit verify -a "$anchor"
expect 0 "^audit chain: $N rows, ok" "verify -a ID:HASH passes with the last run's anchor"
run "${CTL[@]}" audit verify -a "${anchor%%:*}:$(printf '0%.0s' $(seq 64))"
expect 6 "^audit chain: broken at row $N: not the row of the anchor" "a wrong anchor hash is named"
run "${CTL[@]}" audit verify -a "12:xyz"
expect 1 '-a wants ID:HASH' "a malformed anchor is a usage error"
tamper "UPDATE pgpmg.audit_log SET subject = 'rewritten', hash = sha256(pgpmg.audit_canonical(id, at, actor, kind, 'rewritten', details, prev_hash)) WHERE id = $N;"
run "${CTL[@]}" audit verify
expect 0 "^audit chain: $N rows, ok" "(a rewritten last row is invisible to the chain alone)"
run "${CTL[@]}" audit verify -a "$anchor"
expect 6 "^audit chain: broken at row $N: not the row of the anchor" "the anchor catches a rewritten last row"
tamper "DELETE FROM pgpmg.audit_log WHERE id > $((N - 3));"
run "${CTL[@]}" audit verify
expect 0 "^audit chain: $((N - 3)) rows, ok" "(rows cut off the end are invisible to the chain alone)"
run "${CTL[@]}" audit verify -a "$anchor"
expect 6 "^audit chain: broken: row $N, the anchor, is gone: the log ends at row $((N - 3))" \
    "the anchor catches rows cut off the end"

tamper "DELETE FROM pgpmg.audit_log WHERE id = 7;"
run "${CTL[@]}" audit verify
expect 6 '^audit chain: broken at row 7: missing \(deleted\): row 8 follows row 6' \
    "a deleted row in the middle is caught and named"

tamper "DELETE FROM pgpmg.audit_log WHERE id = 1;"
run "${CTL[@]}" audit verify
expect 6 '^audit chain: broken at row 1: missing \(deleted\): the first row is 2' "a deleted first row is caught"

echo "# $SECONDS s in all"
done_testing
