#!/usr/bin/env bash
# policyd's sealed secrets (policyd/secrets.c, policyd/sealrotate.c)
# against a real PostgreSQL 15 cluster that the suite makes and removes
# (pg_lib.sh):
# - at the first start policyd makes console.session-key: one row of
#   pgpmg.secrets, alg aes-256-gcm, key_id the id of the key file's first
#   key (computed here as docs/DESIGN-NOTES.md shows), a blob that opens
#   with the key file (tests/integration/sealopen) to 32 bytes that
#   appear nowhere in a pg_dump of the database nor in the log;
# - a restart loads the same value and writes nothing;
# - rotation: a new key on the first line, the old one below, a restart:
#   the row is sealed under the new key, opens to the same value, one
#   secret-rotate audit row names the old and the new key id, and
#   `pgpmgctl audit verify` passes;
# - a blob whose ciphertext the superuser altered, a blob copied from
#   another row, and a row under a key the file does not hold are not
#   opened and not replaced: policyd logs an error naming each, the rows
#   stay as they were, no console key is loaded, and policyd keeps
#   serving (`pgpmgctl policy show`); the rotation reads them in pages
#   and reports each once;
# - policyd does not start (so neither does the appliance), with a
#   message naming the file, when the key file is group-readable, holds
#   garbage, or holds no key.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

SEALOPEN=$BIN/tests/integration/sealopen
NAME=console.session-key
new_env
trap pg_cleanup EXIT
LOG=$ENV_DIR/pgpmgd.log
KF=$ENV_DIR/policyd.key
SECONDS=0

# The id of a key given in hex, as docs/DESIGN-NOTES.md computes it.
key_id() {
	{ printf 'pgpmg-seal-key-id\0'; printf "$(printf %s "$1" | sed 's/../\\x&/g')"; } |
	    sha256sum | cut -c1-16
}
first_key() {
	grep -m1 -E '^[[:space:]]*[0-9A-Fa-f]{64}[[:space:]]*$' "$KF" | tr -d ' \t'
}
new_key() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
sql() { pg_psql -c "$1"; }
blob() { sql "SELECT encode(sealed, 'hex') FROM pgpmg.secrets WHERE name = '$1'"; }
# The SHA-256 of a row's value, or the seal error (status 1).
value_hash() { blob "$1" | "$SEALOPEN" "$KF" "$1" - 2>&1; }
rotations() { sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'secret-rotate'"; }
# wait_log ERE SECONDS: until a line of policyd's log matches.
wait_log() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		grep -qE "policyd\[[0-9]+\]: .*$1" "$LOG" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# start_failing: pgpmgd must give up within 5 s; sets rc and OUT.
start_failing() {
	"$BIN/pgpmgd" -d -f "$CONF" >"$LOG" 2>&1 &
	PGPMGD_PID=$!
	if wait_exit "$PGPMGD_PID" 5; then wait "$PGPMGD_PID"; rc=$?; else rc=-1; fi
	[ "$rc" -ge 0 ] && PGPMGD_PID=
	OUT=$(cat "$LOG")
}
restart() {
	stop_appliance
	start_appliance || { echo "Bail out! the appliance did not come up again"; exit 1; }
}

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
echo "# up after ${SECONDS}s"

# ---------------------------------------------------------------- made
K1=$(first_key)
ID1=$(key_id "$K1")
check "policyd loads the console key once the database is up" wait_log 'secrets: the console key is loaded' 5
check "policyd names the key ring's sealing key at start ($ID1)" \
    grep -qE "policyd\[[0-9]+\]: secrets: policyd-key-file holds 1 key; new values are sealed under key $ID1" "$LOG"
check "making the value is logged, with its size and key" \
    grep -qE "policyd\[[0-9]+\]: secrets: $NAME made: 32 random bytes, sealed under key $ID1" "$LOG"
[ "$(sql "SELECT name || ' ' || alg || ' ' || key_id || ' ' || octet_length(sealed) FROM pgpmg.secrets")" = \
    "$NAME aes-256-gcm $ID1 82" ] &&
    ok "pgpmg.secrets: one row, aes-256-gcm, under the first key's id, 50 + 32 bytes" ||
    { not_ok "the secrets row"; sql "SELECT name, alg, key_id, octet_length(sealed) FROM pgpmg.secrets" | sed 's/^/#   /'; }
out=$(blob "$NAME" | "$SEALOPEN" -x "$KF" "$NAME" - 2>&1)
H1=$(sed -n 1p <<<"$out") P1=$(sed -n 2p <<<"$out")
if [[ $H1 =~ ^[0-9a-f]{64}$ && $P1 =~ ^[0-9a-f]{64}$ ]] &&
    [ "$(printf "$(sed 's/../\\x&/g' <<<"$P1")" | sha256sum | cut -c1-64)" = "$H1" ]; then
	ok "the blob opens with the key file to 32 bytes"
else
	not_ok "the blob does not open: $out"
fi
B64=$(printf "$(sed 's/../\\x&/g' <<<"$P1")" | base64 -w0)
(cd / && runuser -u postgres -- "$PG_BINDIR/pg_dump" -h "$PG_SOCK" pgpmg) >"$ENV_DIR/dump.sql"
check "the dump holds the sealed blob (the check below can see a value)" \
    grep -qi "$(blob "$NAME")" "$ENV_DIR/dump.sql"
check "the value appears nowhere in the dump, in hex or base64" \
    bash -c '! grep -qiF "$1" "$3" && ! grep -qF "$2" "$3"' _ "$P1" "$B64" "$ENV_DIR/dump.sql"
check "... nor in the log" bash -c '! grep -qiF "$1" "$3" && ! grep -qF "$2" "$3"' _ "$P1" "$B64" "$LOG"
[ "$(rotations)" = 0 ] && ok "making a value is not audited" || not_ok "a secret-rotate row at start"

# ---------------------------------------------------------------- restart
B1=$(blob "$NAME")
restart
check "after a restart the console key is loaded again" wait_log 'secrets: the console key is loaded' 5
[ "$(value_hash "$NAME")" = "$H1" ] && [ "$(blob "$NAME")" = "$B1" ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.secrets")" = 1 ] &&
    ok "the same value, the same blob, still one row" || not_ok "the value changed on restart"
check "and nothing was made" bash -c '! grep -q "secrets: .* made:" "$1"' _ "$LOG"

# ---------------------------------------------------------------- rotation
K2=$(new_key)
ID2=$(key_id "$K2")
printf '# the new key, %s\n%s\n# the old one, until the rotation is done\n%s\n' \
    "$(date -u +%F)" "$K2" "$K1" >"$KF"
restart
check "rotation: policyd re-seals the value under the new key" \
    wait_log "secrets: $NAME re-sealed from key $ID1 to key $ID2 \\(audit row [0-9]+\\)" 10
[ "$(sql "SELECT alg || ' ' || key_id FROM pgpmg.secrets WHERE name = '$NAME'")" = "aes-256-gcm $ID2" ] &&
    [ "$(blob "$NAME")" != "$B1" ] && ok "the row names the new key id, and its blob is new" ||
    not_ok "the row was not re-sealed"
[ "$(value_hash "$NAME")" = "$H1" ] && ok "it opens to the same value" || not_ok "another value after rotation"
row=$(sql "SELECT actor || '|' || subject || '|' || (details::json ->> 'old-key-id') || '|' ||
    (details::json ->> 'new-key-id') || '|' || (details::json ->> 'alg') FROM pgpmg.audit_log WHERE kind = 'secret-rotate'")
[ "$row" = "policyd|$NAME|$ID1|$ID2|aes-256-gcm" ] &&
    ok "one secret-rotate audit row: policyd, the name, the old and the new key id" ||
    { not_ok "the secret-rotate row"; echo "# $row"; }
check "the audit row holds no value" bash -c '! pg_psql -c "SELECT details FROM pgpmg.audit_log" | grep -qiF "$1"' _ "$P1"
out=$(ctl audit verify 2>&1)
check "audit verify passes" grep -qE '^audit chain: [0-9]+ rows, ok' <<<"$out"
check "the console key is loaded (from the old key, or the new)" wait_log 'secrets: the console key is loaded' 5

# ---------------------------------------------------------------- does not open
B2=$(blob "$NAME")
# A blob sealed for another row (the old one, under the old key, which
# the file still holds), and 17 under a key the file does not hold: more
# than one page of the rotation's reads (16).
sql "INSERT INTO pgpmg.secrets (name, key_id, sealed) VALUES ('test.copied', '$ID1', decode('$B1', 'hex'))"
sql "INSERT INTO pgpmg.secrets (name, key_id, sealed) SELECT 'test.lost.' || lpad(i::text, 2, '0'),
    'deadbeefdeadbeef', '\\x504753310110'::bytea || convert_to('deadbeefdeadbeef', 'UTF8') ||
    decode(repeat('00', 60), 'hex') FROM generate_series(1, 17) AS i"
# One bit of the console key's ciphertext (offset 50) flipped.
sql "UPDATE pgpmg.secrets SET sealed = set_byte(sealed, 50, get_byte(sealed, 50) # 1) WHERE name = '$NAME'"
before=$(sql "SELECT name || ' ' || key_id || ' ' || encode(sealed, 'hex') || ' ' || updated_at FROM pgpmg.secrets ORDER BY name")
restart
check "an altered blob: policyd logs an error naming it, and why" \
    wait_log "secrets: the value of $NAME in pgpmg.secrets does not open: authentication failed" 5
check "a blob copied from another row: not re-sealed, logged with why" \
    wait_log "secrets: test.copied cannot be re-sealed under key $ID2: it does not open: authentication failed" 10
check "a row under a key not in the file: not re-sealed, logged naming the key" \
    wait_log "secrets: test.lost.01 cannot be re-sealed under key $ID2: it does not open: sealed under key deadbeefdeadbeef, which policyd-key-file does not hold" 10
check "the run's summary: none re-sealed, 18 left (two pages read, none twice)" \
    wait_log "secrets: rotation: 0 values re-sealed under key $ID2, 18 left under other keys" 5
[ "$(grep -c 'policyd.*secrets: test.lost.[0-9]* cannot be re-sealed' "$LOG")" = 17 ] &&
    ok "each row under the missing key is logged once in the run" ||
    not_ok "rows logged: $(grep -c 'policyd.*secrets: test.lost.[0-9]* cannot be re-sealed' "$LOG")"
[ "$(sql "SELECT name || ' ' || key_id || ' ' || encode(sealed, 'hex') || ' ' || updated_at FROM pgpmg.secrets ORDER BY name")" = "$before" ] &&
    ok "every row stays exactly as it was (none replaced)" || not_ok "a broken row was changed"
check "no console key is loaded from the altered blob" \
    bash -c '! grep -q "secrets: the console key is loaded" "$1"' _ "$LOG"
[ "$(rotations)" = 1 ] && ok "and nothing more was audited" || not_ok "secret-rotate rows: $(rotations)"
[ "$(value_hash "$NAME")" = "sealopen: authentication failed (wrong key, altered value or wrong context)" ] &&
    ok "sealopen refuses the altered blob too" || not_ok "sealopen: $(value_hash "$NAME")"
[ "$(value_hash test.copied)" != "$H1" ] && [ "$(value_hash test.copied | cut -c1-9)" = "sealopen:" ] &&
    ok "the copied blob does not open under its new name" || not_ok "the copied blob opened"
out=$(ctl policy show 2>&1)
check "policyd keeps serving: policy show works" grep -qx 'mode possible' <<<"$out"
check "policyd is still there" all_ready
# Put the value back: it opens again, and nothing was lost.
sql "UPDATE pgpmg.secrets SET sealed = decode('$B2', 'hex') WHERE name = '$NAME'"
[ "$(value_hash "$NAME")" = "$H1" ] && ok "the stored blob, put back, opens to the same value" ||
    not_ok "the blob put back"
out=$(ctl audit verify 2>&1)
check "audit verify still passes" grep -qE '^audit chain: [0-9]+ rows, ok' <<<"$out"
check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1"' _ "$LOG"
stop_appliance

# ---------------------------------------------------------------- refusals
cp -p "$KF" "$ENV_DIR/saved.key"
chmod 0640 "$KF"
start_failing
check "a group-readable key file: the appliance does not start (rc $rc), naming the file" \
    bash -c '[ "$0" -gt 0 ] && grep -qF "policyd-key-file $1 must be a regular file owned by root with mode 0600" <<<"$2"' \
    "$rc" "$KF" "$OUT"
chmod 0600 "$KF"
printf 'this is not a key\n' >"$KF"
start_failing
check "garbage in the key file: policyd refuses to start (rc $rc), naming the file and the line" \
    bash -c '[ "$0" -gt 0 ] && grep -qF "policyd-key-file $1: line 1: a key is 64 hex digits" <<<"$2"' \
    "$rc" "$KF" "$OUT"
check "... and the appliance stops with it" grep -q "policyd is gone: stopping all processes" <<<"$OUT"
printf '# no key here\n\n' >"$KF"
start_failing
check "a key file without a key: refused (rc $rc)" \
    bash -c '[ "$0" -gt 0 ] && grep -qF "policyd-key-file $1: no key" <<<"$2"' "$rc" "$KF" "$OUT"
cp -p "$ENV_DIR/saved.key" "$KF"
start_appliance; rc=$?
check "the right file again: the appliance starts (rc $rc)" [ "$rc" -eq 0 ]

echo "# done after ${SECONDS}s"
done_testing
