#!/usr/bin/env bash
# policyd's console operations (policyd/console_op.c and the files that
# carry them out) against the real appliance, a real PostgreSQL 15
# cluster that the suite makes and removes (pg_lib.sh) and real gpg.
# webd is replaced by tests/integration/auth_webd, which sends IMSG_WEBD_OP
# over the real protocol (console_lib.sh).
# - the checks before every operation: no session, or one that expired,
#   is denied; a user's session asking for an administrator's operation
#   is denied; an operation that asks for the password again: none given
#   is "password" without counting, a wrong one is "password", counted
#   and audited, and enough of them lock;
# - each operation's output in its documented format, and every change's
#   audit row with the actor admin:ADDRESS (or user:ADDRESS);
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/console_lib.sh"

console_setup
WORKERS=1
EXTRA_CONF="database-timeout 5"
new_env
trap 'pg_cleanup; console_cleanup; keyd_cleanup' EXIT
LOG=$ENV_DIR/pgpmgd.log
OUT=$ENV_DIR/out
SECONDS=0

PW_ALICE="alice's s3cret, with spaces"
PW_BOB="bob-password-1"
PW_MALLORY="mallory-password-1"
PW_DAVE="dave-password-1"

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
console_start || { echo "Bail out! appliance not ready"; exit 1; }
wait_log 'secrets: the console key is loaded' 10 ||
    { echo "Bail out! no console key"; exit 1; }
echo "# up after ${SECONDS}s"

# alice and dave are administrators, bob and mallory users; their passwords
# are cheap hashes (every operation that asks for the password again
# checks it: the suite would otherwise spend most of its time in scrypt).
ctl user add alice@example.com --role admin --name "Alice Liddell" >/dev/null
ctl user add bob@example.com >/dev/null
ctl user add mallory@example.com >/dev/null
ctl user add dave@example.com --role admin >/dev/null
for u in alice bob mallory dave; do
	v=PW_${u^^}
	sql "UPDATE pgpmg.users SET password_hash = '$(cheap_phc "${!v}")' WHERE address = '$u@example.com'"
	ctl user set "$u@example.com" portal yes >/dev/null
done
login() { web "l LOGIN $(enc "$1") $(enc "$2") $3"; ans l | awk '$1 == "ok" { print $2 }'; }
SA=$(login alice@example.com "$PW_ALICE" 192.0.2.1)
SB=$(login bob@example.com "$PW_BOB" 192.0.2.2)
SM=$(login mallory@example.com "$PW_MALLORY" 192.0.2.3)
SD=$(login dave@example.com "$PW_DAVE" 192.0.2.4)
[ ${#SA} = 64 ] && [ ${#SB} = 64 ] && [ ${#SM} = 64 ] && [ ${#SD} = 64 ] ||
    { echo "Bail out! the logins failed"; exit 1; }
# op TAG NAME SESSION PASSWORD ARG...: one operation, from the session's
# client; its answer by opans TAG, opdata TAG.
declare -A CLIENT=([$SA]=192.0.2.1 [$SB]=192.0.2.2 [$SM]=192.0.2.3 [$SD]=192.0.2.4)
opline() {
	local tag=$1 name=$2 sid=$3 pw=$4 line a
	shift 4
	line="$tag OP $name $sid ${CLIENT[$sid]:-192.0.2.99} $(enc "$pw")"
	for a in "$@"; do line="$line $(enc "$a")"; done
	printf '%s' "$line"
}
op() { web "$(opline "$@")"; }
echo "# users and sessions after ${SECONDS}s"

# ---------------------------------------------------------------- the checks
NOSES=0000000000000000000000000000000000000000000000000000000000000000
web "$(opline n POLICY_SHOW $NOSES "")" "$(opline g POLICY_SHOW garbage "")" \
    "$(opline u POLICY_SHOW "$SB" "")" "$(opline a POLICY_SHOW "$SA" "")"
[ "$(opans n | cut -d' ' -f1-2)" = "denied 0" ] && [ "$(opans g | cut -d' ' -f1)" = denied ] &&
    ok "no session: denied" || { not_ok "no session"; show; }
[ "$(opans u)" = "denied 0 only an administrator may do this" ] && [ -z "$(opdata u)" ] &&
    ok "a user's session asking for an administrator's operation: denied, nothing shown" || { not_ok "user: $(opans u)"; show; }
grep -qE 'policyd\[[0-9]+\]: console: user:bob@example.com asked for policy-show, which only an administrator may do: denied' "$LOG" &&
    ok "... and logged" || not_ok "the denial is not logged"
[ "$(opans a)" = "ok 0 " ] && [ "$(opdata a | head -1)" = "mode possible" ] &&
    [ "$(opdata a | grep -c .)" = 9 ] && ok "policy show: ok, pgpmgctl's nine lines" || { not_ok "policy show"; show; }

base=$(last_audit)
fails() { sql "SELECT failed_logins FROM pgpmg.users WHERE address = '$1'"; }
op p POLICY_SET "$SA" "" mode all
[ "$(opans p)" = "password 0 this needs your password" ] && [ "$(fails alice@example.com)" = 0 ] &&
    [ "$(last_audit)" = "$base" ] &&
    ok "an operation that asks for the password, without one: password, not counted, not audited" ||
    { not_ok "no password: $(opans p)"; show; }
op p POLICY_SET "$SA" "not her password" mode all
row=$(sql "SELECT kind || '|' || (details::json ->> 'reason') || '|' || (details::json ->> 'reauth')
    FROM pgpmg.audit_log WHERE id > $base")
[ "$(opans p)" = "password 0 the password is wrong" ] && [ "$(fails alice@example.com)" = 1 ] &&
    [ "$row" = "login-failed|wrong password|true" ] &&
    [ "$(sql "SELECT mode FROM pgpmg.policy")" = possible ] &&
    ok "a wrong password: password, counted and audited as a failed reauth; nothing changed" ||
    { not_ok "wrong password: $(opans p) $row"; show; }
base=$(last_audit)
op p POLICY_SET "$SA" "$PW_ALICE" mode all
row=$(sql "SELECT kind || '|' || actor FROM pgpmg.audit_log WHERE id > $base ORDER BY id" | tr '\n' ' ')
[ "$(opans p)" = "ok 0 " ] && [ "$(opdata p)" = "mode: possible -> all" ] &&
    [ "$row" = "login|admin:alice@example.com policy-change|admin:alice@example.com " ] &&
    [ "$(fails alice@example.com)" = 0 ] &&
    ok "the right password: done, audited as policy-change by admin:alice@example.com" ||
    { not_ok "policy set: $(opans p) / $row"; show; }
op s POLICY_SHOW "$SA" ""
[ "$(opdata s | grep -E '^(mode|updated-by) ')" = "mode all
updated-by admin:alice@example.com" ] && ok "policy show has it, updated by admin:alice@example.com" ||
    { not_ok "policy show after"; show; }

echo "# checks after ${SECONDS}s"
# Enough wrong passwords lock, as failed logins do.
got=""
for i in 1 2 3 4 5; do
	op m POLICY_SET "$SD" "wrong-$i" mode off
	got="$got $(opans m | cut -d' ' -f1-2)"
done
[ "$got" = " password 0 password 0 password 0 password 0 locked 1" ] &&
    [ "$(fails dave@example.com)" = 5 ] &&
    ok "wrong passwords again and again: the fifth locks (locked 1)" || not_ok "lock:$got"
op m POLICY_SET "$SD" "$PW_DAVE" mode off
[ "$(opans m | cut -d' ' -f1-2)" = "locked 1" ] && [ "$(sql "SELECT mode FROM pgpmg.policy")" = all ] &&
    ok "while locked even the right password is refused, and nothing changes" || not_ok "locked: $(opans m)"
sql "UPDATE pgpmg.users SET locked_until = NULL, failed_logins = 0 WHERE address = 'dave@example.com'"

echo "# done after ${SECONDS}s"
done_testing
