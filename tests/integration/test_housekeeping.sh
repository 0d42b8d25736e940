#!/usr/bin/env bash
# policyd's scheduled jobs (policyd/housekeeping.c) against a real
# PostgreSQL 15 cluster that the suite makes and removes (pg_lib.sh), on
# real keys that go into the gateway as an admin puts them there: made
# with gpg in a scratch home (lifetimes of days, --faked-system-time for
# the past), then `pgpmgctl key import` (key pairs of example.com with
# --passphrase-file, public keys of partner.example), `key generate` and
# `key revoke`.  policyd records every change in pgpmg.keys before
# pgpmgctl returns, and the jobs read only that record.
# - setup, with housekeeping-interval a day: the keys that would get a
#   notice go in after the run that follows the connection, so that no
#   run sees them; the record holds them all as gpg made them (internal,
#   held = a key pair keyd holds, revoked, the expiry to the second).  keyd takes no key pair that has expired, so erin's key pair
#   goes in while valid and then her public key with a newer
#   self-signature that ended its life 3 days ago.  Then pgpmgd restarts
#   with housekeeping-interval 1, so that a tick comes every second;
# - the keys: a key pair that expires in 10 days, an external key in 20, a
#   key pair in 60, a key pair in 5 that `key revoke` revoked, a key pair
#   that expired 3 days ago, an external key without expiry, a generated
#   one (key-lifetime, 730 days) and the organisation key (no expiry):
#   exactly the expected notices appear (recipient, kind, ref FPR@EXPIRY
#   with the real fingerprint and expiry, a subject with the address, the
#   fingerprint and the expiry in UTC, a body that says what to do), and
#   the run is logged with its counts;
# - more ticks add nothing (ON CONFLICT on the partial unique index);
# - an external key extended by a week (gpg --quick-set-expire, imported
#   again; still within 30 days) is recorded with its new expiry and gets
#   one new notice; keyd takes such a renewed key (and erin's) at the
#   first import;
# - a notice older than notice-retention is purged, a recent one stays;
# - with the database stopped (fast) policyd keeps running and answering
#   (`policy show`: unavailable), runs nothing and refuses a key import;
#   after the restart the jobs work again: a key imported then gets its
#   notice.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

# A day between ticks while the keys go in; 1 s from the restart on.
EXTRA_CONF="database-timeout 3
housekeeping-interval 86400"
new_env
keyd_setup
trap 'keyd_cleanup; pg_cleanup' EXIT
LOG=$ENV_DIR/pgpmgd.log
SECONDS=0

# ---------------------------------------------------------------- the keys
# Made in a scratch home with its own agent (keyd_cleanup stops it); every
# key has an encryption subkey of the primary key's lifetime, the key pairs
# the passphrase in $PW.
G=$T/gpg
PW=$T/owner.pw
mkdir -m 0700 "$G"
# The agent's default S2K count costs a second a passphrase here.
echo "s2k-count 65536" >"$G/gpg-agent.conf"
echo "the owners' passphrase" >"$PW"
gx() { gpg --homedir "$G" --batch --quiet --pinentry-mode loopback --passphrase-file "$PW" "$@"; }
# ago DAYS: gpg's option to work as if it were DAYS days ago.
ago() { echo "--faked-system-time=$(date -u -d "-$1 days" +%Y%m%dT%H%M%S)"; }
fpr_of() { gx --with-colons -k "<$1>" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'; }
# mkkey ADDRESS LIFETIME [gpg option]: the key's fingerprint.
mkkey() {
	local f
	gx ${3:+"$3"} --quick-gen-key "${1%%@*} <$1>" ed25519 cert "$2" 2>/dev/null &&
	    f=$(fpr_of "$1") && [ -n "$f" ] &&
	    gx ${3:+"$3"} --quick-add-key "$f" cv25519 encr "$2" 2>/dev/null &&
	    echo "$f"
}
# The primary key's expiry as gpg has it, in seconds since 1970.
expiry() { gx --with-colons -k "$1" 2>/dev/null | awk -F: '/^pub/ { print $7; exit }'; }
pub() { gx -a --export "$1" >"$T/$1.asc"; }
pair() { gx -a --export-secret-keys "$1" >"$T/$1.sec.asc"; }

K_INT10=$(mkkey alice@example.com 10d) &&
    K_EXT20=$(mkkey bob@partner.example 20d) &&
    K_INT60=$(mkkey carol@example.com 60d) &&
    K_REV5=$(mkkey dave@example.com 5d) &&
    K_GONE3=$(mkkey erin@example.com 1y "$(ago 40)") &&
    K_NEVER=$(mkkey frank@partner.example never) &&
    K_LATE=$(mkkey grace@partner.example 7d) ||
    { echo "Bail out! gpg could not make the keys"; exit 1; }
for k in "$K_INT10" "$K_INT60" "$K_REV5" "$K_GONE3"; do pair "$k"; done
for k in "$K_EXT20" "$K_NEVER" "$K_LATE"; do pub "$k"; done
# erin's key pair went out above while valid for a year; now her key, 40
# days old, gets a self-signature made 30 days ago that gives it 37 days
# of life: it expired 3 days ago.
gx "$(ago 30)" --quick-set-expire "$K_GONE3" 27d 2>/dev/null && pub "$K_GONE3" ||
    { echo "Bail out! gpg could not shorten erin's key"; exit 1; }
E_INT10=$(expiry "$K_INT10") E_EXT20=$(expiry "$K_EXT20")
E_INT60=$(expiry "$K_INT60") E_REV5=$(expiry "$K_REV5")
E_GONE3=$(expiry "$K_GONE3") E_LATE=$(expiry "$K_LATE")
echo "# keys made after ${SECONDS}s"

# ---------------------------------------------------------------- helpers
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
# key_import [--passphrase-file PW] FILE FPR: through policyd, which records
# the key before it answers; true when pgpmgctl answered the fingerprint.
key_import() {
	local out
	out=$(ctl key import "${@:1:$#-1}" 2>&1) && [ "$out" = "${!#}" ] ||
	    { echo "# key import ${*:1:$#-1}: $out"; return 1; }
}
# renew FILE FPR: import a key keyd holds, with a newer self-signature.
# keyd has answered such an update "no key could be imported" (exit 2)
# although gpg merged it (keyd/import.c counts only new and unchanged
# keys), and then nothing recorded it.  A refusal is noted in
# RENEW_REFUSED (a check of its own below) and the file imported again,
# which keyd takes as unchanged and policyd then records: the jobs are
# tested on the record either way.
RENEW_REFUSED=
renew() {
	local out
	out=$(ctl key import "$1" 2>&1) && [ "$out" = "$2" ] && return 0
	RENEW_REFUSED="$RENEW_REFUSED${RENEW_REFUSED:+; }$2: $out"
	key_import "$1" "$2"
}

# ---------------------------------------------------------------- setup
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
# First the keys that no run gives a notice: a run comes 2 s after the
# connection came up, and the next a day later.
key_import --passphrase-file "$PW" "$T/$K_INT60.sec.asc" "$K_INT60" &&
    key_import "$T/$K_NEVER.asc" "$K_NEVER" &&
    K_GEN=$(ctl key generate heidi@example.com) ||
    { echo "Bail out! could not add the keys"; exit 1; }
for ((i = 0; i < 50; i++)); do
	[ "$(after_up)" -gt 0 ] && break
	sleep 0.1
done
[ "$(after_up)" -gt 0 ] || { echo "Bail out! no run after the connection came up"; exit 1; }
# After that run the others, dave's revoked at once, erin's shortened.
key_import --passphrase-file "$PW" "$T/$K_INT10.sec.asc" "$K_INT10" &&
    key_import "$T/$K_EXT20.asc" "$K_EXT20" &&
    key_import --passphrase-file "$PW" "$T/$K_REV5.sec.asc" "$K_REV5" &&
    [ "$(ctl key revoke "$K_REV5")" = "$K_REV5" ] &&
    key_import --passphrase-file "$PW" "$T/$K_GONE3.sec.asc" "$K_GONE3" &&
    renew "$T/$K_GONE3.asc" "$K_GONE3" ||
    { echo "Bail out! could not add the keys"; exit 1; }
ORG=$(ctl key list | awk -F'\t' '$5 ~ /(^|,)org(,|$)/ { print $1 }')

# fingerprint, address, internal, revoked, expiry (seconds) or never.
rec() {
	pg_psql -c "SELECT fingerprint || ' ' || address || ' ' || internal ||
	    ' ' || revoked || ' ' || COALESCE(pg_catalog.floor(pg_catalog.extract(
	    'epoch', expires))::bigint::text, 'never') FROM pgpmg.keys
	    WHERE fingerprint = '$1'"
}
want="$K_INT10 alice@example.com true false $E_INT10
$K_EXT20 bob@partner.example false false $E_EXT20
$K_INT60 carol@example.com true false $E_INT60
$K_REV5 dave@example.com true true $E_REV5
$K_GONE3 erin@example.com true false $E_GONE3
$K_NEVER frank@partner.example false false never
$ORG postmaster@example.com true false never"
got=$(for k in "$K_INT10" "$K_EXT20" "$K_INT60" "$K_REV5" "$K_GONE3" "$K_NEVER" "$ORG"; do rec "$k"; done)
[ "$got" = "$want" ] && [ "$E_GONE3" -lt "$(date +%s)" ] &&
    ok "the record holds every key as gpg made it: owner, key pair or not, revoked, expiry; erin's in the past" ||
    { not_ok "the record"; sed 's/^/#   got: /' <<<"$got"; sed 's/^/#  want: /' <<<"$want"; }
row=$(pg_psql -c "SELECT address, internal, expires - created >= interval '730 days'
    FROM pgpmg.keys WHERE fingerprint = '$K_GEN'")
[ "$row" = "heidi@example.com|t|t" ] &&
    ok "the generated key is recorded, expiring after key-lifetime (730 days)" ||
    not_ok "the generated key: $row"
[ "$(count "")" = 0 ] && ok "no run saw the keys yet: no notice" ||
    { not_ok "notices during the setup"; notices | sed 's/^/#   /'; }

stop_appliance
mv "$LOG" "$ENV_DIR/setup.log"
sed -i 's/^housekeeping-interval 86400$/housekeeping-interval 1/' "$CONF"
start_appliance || { echo "Bail out! appliance not ready again"; exit 1; }
PID=$(child_pid policyd)
echo "# up with housekeeping-interval 1 after ${SECONDS}s"

# ---------------------------------------------------------------- the notices
wait_for 10 "kind = 'key-expired'" && wait_for 5 "kind = 'key-expiring'"
want="admin key-expired $K_GONE3@$E_GONE3
admin key-expiring $K_EXT20@$E_EXT20
admin key-expiring $K_INT10@$E_INT10
alice@example.com key-expiring $K_INT10@$E_INT10
erin@example.com key-expired $K_GONE3@$E_GONE3"
want=$(LC_ALL=C sort <<<"$want")
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
# bob extends his key and its subkey by a week (new self-signatures, now)
# and sends it again: still within 30 days.
gx --quick-set-expire "$K_EXT20" 27d 2>/dev/null &&
    gx --quick-set-expire "$K_EXT20" 27d '*' 2>/dev/null && pub "$K_EXT20" ||
    echo "# gpg could not extend bob's key"
E_EXT27=$(expiry "$K_EXT20")
renew "$T/$K_EXT20.asc" "$K_EXT20" || echo "# the import of bob's extended key failed"
[ -z "$RENEW_REFUSED" ] &&
    ok "keyd takes a renewed key (erin's shortened, bob's extended) at the first import" ||
    not_ok "keyd refused a renewed key it then held: $RENEW_REFUSED"
r=$(rec "$K_EXT20")
[ "$r" = "$K_EXT20 bob@partner.example false false $E_EXT27" ] &&
    [ "$E_EXT27" -ge $((E_EXT20 + 7 * 86400)) ] &&
    ok "the import records the new expiry, a week later" || not_ok "bob's record: $r (want $E_EXT27)"
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
out=$(ctl key import "$T/$K_LATE.asc" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q 'the database is unavailable' <<<"$out" &&
    ok "database down: a key import is refused (exit 2), nothing to record" ||
    not_ok "key import while down ($rc): $out"
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
key_import "$T/$K_LATE.asc" "$K_LATE" &&
    [ "$(rec "$K_LATE")" = "$K_LATE grace@partner.example false false $E_LATE" ] &&
    ok "database back: grace's key (7 days) is imported and recorded" ||
    not_ok "grace's key: $(rec "$K_LATE")"
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

check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1" "$2"' _ "$ENV_DIR/setup.log" "$LOG"
# Before the restart policyd ended as asked (status 0).
check "policyd ran throughout" bash -c '! grep -q "policyd.*\(fatal\|exited\)" "$2" &&
    ! grep -q "policyd.*\(fatal\|exited with status [1-9]\|killed\)" "$1"' _ "$ENV_DIR/setup.log" "$LOG"
echo "# done after ${SECONDS}s"
done_testing
