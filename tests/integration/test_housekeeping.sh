#!/usr/bin/env bash
# policyd's scheduled jobs (policyd/housekeeping.c) against a real
# PostgreSQL 15 cluster that the suite makes and removes (pg_lib.sh), with
# housekeeping-interval 1 so that a tick comes every second:
# - keys rows written directly as the superuser: an internal key that
#   expires in 10 days, an external one in 20, an internal one in 60, a
#   revoked one in 5, one that expired 3 days ago, one without expiry;
#   exactly the expected notices appear (recipient, kind, ref FPR@EXPIRY,
#   a subject with the address, the fingerprint and the expiry in UTC, a
#   body that says what to do), and the run is logged with its counts;
# - more ticks add nothing (ON CONFLICT on the partial unique index);
# - a key whose expiry moved (still within 30 days) gets one new notice;
# - a notice older than notice-retention is purged, a recent one stays;
# - with the database stopped (fast) policyd keeps running and answering
#   (`policy show`: unavailable), and after the restart the jobs work
#   again: a key added then gets its notice.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

EXTRA_CONF="database-timeout 3
housekeeping-interval 1"
new_env
trap pg_cleanup EXIT
LOG=$ENV_DIR/pgpmgd.log
SECONDS=0

DAY=86400
NOW=$(date +%s)
# A fingerprint: 40 upper-case hex digits, the first four given.
fpr() { printf '%s%036d' "$1" 0; }
K_INT10=$(fpr A010) K_EXT20=$(fpr B020) K_INT60=$(fpr C060)
K_REV5=$(fpr D005) K_GONE3=$(fpr E003) K_NEVER=$(fpr F000)
K_LATE=$(fpr A007)
E_INT10=$((NOW + 10 * DAY)) E_EXT20=$((NOW + 20 * DAY))
E_INT60=$((NOW + 60 * DAY)) E_REV5=$((NOW + 5 * DAY))
E_GONE3=$((NOW - 3 * DAY)) E_LATE=$((NOW + 7 * DAY))
# The ext20 key's expiry moved by a week, still within 30 days.
E_EXT27=$((NOW + 27 * DAY))

# add_key FPR ADDRESS INTERNAL EXPIRES|NULL [REVOKED]: a keys row, as the
# superuser (keyd's store is not involved: the jobs read only the table).
add_key() {
	local exp=NULL
	[ "$4" = NULL ] || exp="pg_catalog.to_timestamp($4)"
	pg_psql -c "INSERT INTO pgpmg.keys (fingerprint, address, internal,
	    source, created, expires, revoked, armoured) VALUES ('$1', '$2',
	    $3, 'imported', pg_catalog.to_timestamp($((NOW - 400 * DAY))), $exp,
	    ${5:-false}, '-----BEGIN PGP PUBLIC KEY BLOCK-----
not a key: the jobs never read it
-----END PGP PUBLIC KEY BLOCK-----')"
}
# Every notice of a key, one "recipient kind ref" line each, in byte
# order (whatever the database's collation).
notices() {
	pg_psql -c "SELECT recipient || ' ' || kind || ' ' || ref
	    FROM pgpmg.notices WHERE kind LIKE 'key-%'" | LC_ALL=C sort
}
count() { pg_psql -c "SELECT count(*) FROM pgpmg.notices $1"; }
# wait_for SECONDS SQL-CONDITION: until count(*) WHERE it is non-zero.
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(count "WHERE $2")" != 0 ] && return 0
		sleep 0.1
	done
	return 1
}
utc() { date -u -d "@$1" '+%Y-%m-%d %H:%M UTC'; }
runs() { grep -c 'policyd.*housekeeping: run of the' "$LOG"; }
# The runs after the connection came up (skipped ones too: the timer fired).
after_up() { grep -c 'policyd.*housekeeping: .*run of the new connection' "$LOG"; }

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
add_key "$K_INT10" alice@example.com true "$E_INT10" &&
    add_key "$K_EXT20" bob@partner.example false "$E_EXT20" &&
    add_key "$K_INT60" carol@example.com true "$E_INT60" &&
    add_key "$K_REV5" dave@example.com true "$E_REV5" true &&
    add_key "$K_GONE3" erin@example.com true "$E_GONE3" &&
    add_key "$K_NEVER" frank@partner.example false NULL ||
    { echo "Bail out! could not add the keys"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
PID=$(child_pid policyd)
echo "# up after ${SECONDS}s"

# ---------------------------------------------------------------- the notices
wait_for 10 "kind = 'key-expired'" && wait_for 5 "kind = 'key-expiring'"
want="admin key-expired $K_GONE3@$E_GONE3
admin key-expiring $K_INT10@$E_INT10
admin key-expiring $K_EXT20@$E_EXT20
alice@example.com key-expiring $K_INT10@$E_INT10
erin@example.com key-expired $K_GONE3@$E_GONE3"
got=$(notices)
[ "$got" = "$want" ] &&
    ok "exactly the expected notices: expiring within 30 days or expired within 30, not revoked; the owner of an internal key and admin" ||
    { not_ok "the notices"; sed 's/^/#   got: /' <<<"$got"; sed 's/^/#  want: /' <<<"$want"; }

subj() {
	pg_psql -c "SELECT subject FROM pgpmg.notices WHERE recipient = '$1'
	    AND kind = '$2' AND ref LIKE '$3@%'"
}
body() {
	pg_psql -c "SELECT body FROM pgpmg.notices WHERE recipient = '$1'
	    AND kind = '$2' AND ref LIKE '$3@%'"
}
s=$(subj admin key-expiring "$K_INT10")
[ "$s" = "The key of alice@example.com ($K_INT10) expires on $(utc "$E_INT10")" ] &&
    ok "the subject names the address, the fingerprint and the expiry in UTC" ||
    not_ok "subject: $s"
s=$(subj erin@example.com key-expired "$K_GONE3")
[ "$s" = "The key of erin@example.com ($K_GONE3) expired on $(utc "$E_GONE3")" ] &&
    ok "the same for an expired key, to its owner" || not_ok "subject: $s"
s=$(subj admin key-expiring "$K_EXT20")
grep -qF "$K_EXT20" <<<"$s" && grep -qF "bob@partner.example" <<<"$s" &&
    ok "an external key's notice to admin names it too" || not_ok "subject: $s"
b=$(body alice@example.com key-expiring "$K_INT10")
grep -q '^Your key '"$K_INT10"' expires on ' <<<"$b" && grep -q 'in the console' <<<"$b" &&
    ok "the owner's body says what happens and what to do" || not_ok "body: $b"
b=$(body admin key-expiring "$K_INT10")
grep -qF "\`pgpmgctl key revoke $K_INT10\` and then \`pgpmgctl key generate alice@example.com\`" <<<"$b" &&
    ok "the administrators' body for an internal key names the pgpmgctl commands" ||
    not_ok "body: $b"
b=$(body admin key-expired "$K_GONE3")
grep -qF '`pgpmgctl key generate erin@example.com`' <<<"$b" &&
    ok "for an internal key that expired: pgpmgctl key generate" || not_ok "body: $b"
b=$(body admin key-expiring "$K_EXT20")
grep -qF '`pgpmgctl key import FILE`' <<<"$b" &&
    ok "for an external key: pgpmgctl key import" || not_ok "body: $b"
check "the run is logged with its counts" bash -c 'grep -q "policyd.*housekeeping: 3 key-expiring notices added" "$1" &&
    grep -q "policyd.*housekeeping: 2 key-expired notices added" "$1"' _ "$LOG"

# ---------------------------------------------------------------- no duplicates
before=$(runs)
sleep 3.5
after=$(runs)
[ "$after" -ge $((before + 2)) ] && [ "$(notices)" = "$want" ] &&
    ok "$((after - before)) more runs add nothing" ||
    { not_ok "more runs (runs $before -> $after)"; notices | sed 's/^/#   /'; }
[ "$(grep -c 'policyd.*housekeeping: .* notices\? added' "$LOG")" = 2 ] &&
    ok "a run that adds nothing logs nothing at info" || not_ok "log of empty runs"

# ---------------------------------------------------------------- expiry moved
pg_psql -c "UPDATE pgpmg.keys SET expires = pg_catalog.to_timestamp($E_EXT27)
    WHERE fingerprint = '$K_EXT20'"
wait_for 5 "ref = '$K_EXT20@$E_EXT27'"
[ "$(count "WHERE ref LIKE '$K_EXT20@%'")" = 2 ] &&
    [ "$(count "WHERE ref = '$K_EXT20@$E_EXT27' AND recipient = 'admin'")" = 1 ] &&
    [ "$(count "")" = 6 ] &&
    ok "an expiry moved within the 30 days gives one new notice" ||
    { not_ok "moved expiry"; notices | sed 's/^/#   /'; }
sleep 1.5
[ "$(count "")" = 6 ] && ok "and only one" || not_ok "moved expiry: more notices"

# ---------------------------------------------------------------- purge
pg_psql -c "INSERT INTO pgpmg.notices (created_at, recipient, kind, ref, subject)
    VALUES (pg_catalog.now() - interval '100 days', 'admin', 'info', 'old', 'old'),
    (pg_catalog.now() - interval '10 days', 'admin', 'info', 'recent', 'recent')"
for ((i = 0; i < 50; i++)); do
	[ "$(count "WHERE ref = 'old'")" = 0 ] && break
	sleep 0.1
done
[ "$(count "WHERE ref = 'old'")" = 0 ] && [ "$(count "WHERE ref = 'recent'")" = 1 ] &&
    ok "a notice older than notice-retention (90 days) is purged, a recent one stays" ||
    not_ok "purge"
check "the purge is logged" grep -q 'policyd.*housekeeping: 1 notice older than 90 days purged' "$LOG"
[ "$(count "WHERE kind LIKE 'key-%'")" = 6 ] && ok "the key notices stay" ||
    not_ok "key notices purged"
check "no job failed while the database was up" \
    bash -c '! grep -q "housekeeping: .* failed" "$1"' _ "$LOG"

# ---------------------------------------------------------------- database down
pg_stop
for ((i = 0; i < 100; i++)); do
	ctl policy show >/dev/null 2>&1 || break
	sleep 0.05
done
before=$(runs)
sleep 2.5
out=$(ctl policy show 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q 'the database is unavailable' <<<"$out" &&
    ok "database down: policyd answers, unavailable" || not_ok "policy show while down ($rc): $out"
[ "$(child_pid policyd)" = "$PID" ] && ok "policyd keeps running while the database is down" ||
    not_ok "policyd restarted"
[ "$(runs)" = "$before" ] && ok "no run while the database is down" ||
    not_ok "runs while down: $before -> $(runs)"
ups=$(after_up)
"$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null ||
    { echo "Bail out! PostgreSQL did not start again"; exit 1; }
for ((i = 0; i < 100; i++)); do
	ctl policy show >/dev/null 2>&1 && break
	sleep 0.1
done
add_key "$K_LATE" grace@partner.example false "$E_LATE"
wait_for 5 "ref = '$K_LATE@$E_LATE'"
[ "$(count "WHERE ref = '$K_LATE@$E_LATE' AND recipient = 'admin' AND kind = 'key-expiring'")" = 1 ] &&
    ok "after the restart the jobs work again: a new key gets its notice" ||
    { not_ok "after restart"; notices | sed 's/^/#   /'; }
for ((i = 0; i < 50; i++)); do
	[ "$(after_up)" -gt "$ups" ] && break
	sleep 0.1
done
[ "$(after_up)" -gt "$ups" ] && ok "a run follows the connection coming up again" ||
    not_ok "no run after the connection came up"
[ "$(child_pid policyd)" = "$PID" ] && ok "the same policyd throughout" || not_ok "policyd restarted"

check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1"' _ "$LOG"
check "policyd ran throughout" bash -c '! grep -q "policyd.*\(fatal\|exited\)" "$1"' _ "$LOG"
echo "# done after ${SECONDS}s"
done_testing
