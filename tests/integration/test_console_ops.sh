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
echo "# checks done after ${SECONDS}s"

# ---------------------------------------------------------------- policy, rules, domains
# actor_of KIND: the actors of the audit rows of KIND after $base.
actor_of() { sql "SELECT actor FROM pgpmg.audit_log WHERE kind = '$1' AND id > $base ORDER BY id" | tr '\n' ' '; }
base=$(last_audit)
op r RULE_ADD "$SA" "$PW_ALICE" domain partner.example all 50
rid=$(opdata r | sed -n 's/^added rule \([0-9]*\)$/\1/p')
op l RULE_LIST "$SA" ""
[ "$(opans r)" = "ok 0 " ] && [ -n "$rid" ] &&
    [ "$(opdata l)" = "$rid	50	domain	partner.example	all" ] &&
    [ "$(actor_of rule-add)" = "admin:alice@example.com " ] &&
    ok "rule add: \"added rule N\", in rule list, audited by admin:alice@example.com" ||
    { not_ok "rule add: $(opans r) / $(opdata l)"; show; }
op r RULE_ADD "$SA" "$PW_ALICE" planet partner.example all
op t RULE_ADD "$SA" "$PW_ALICE" domain partner.example all 50 "" extra
[ "$(opans r)" = 'invalid 0 scope "planet" is not domain or address' ] &&
    [ "$(opans t)" = "invalid 0 too many values" ] &&
    ok "a bad value, or too many: invalid, with pgpmgctl's message" || { not_ok "invalid: $(opans r) / $(opans t)"; }
op d RULE_DEL "$SA" "$PW_ALICE" "$rid"
op n RULE_DEL "$SA" "$PW_ALICE" "$rid"
[ "$(opans d)" = "ok 0 " ] && [ "$(opdata d)" = "deleted rule $rid" ] &&
    [ "$(opans n)" = "notfound 0 no rule $rid" ] && [ "$(actor_of rule-delete)" = "admin:alice@example.com " ] &&
    ok "rule delete: done and audited; again: notfound" || { not_ok "rule del: $(opans d) / $(opans n)"; }
op a DOMAIN_ADD "$SA" "$PW_ALICE" Example.NET
op x DOMAIN_ADD "$SA" "$PW_ALICE" example.net
op l DOMAIN_LIST "$SA" ""
[ "$(opdata a)" = "added domain example.net" ] && [ "$(opans x | cut -d' ' -f1)" = exists ] &&
    [ "$(opdata l | tr '\n' ' ')" = "example.com example.net " ] &&
    ok "domain add (lower case), a second time exists, domain list" || { not_ok "domains: $(opans a) / $(opans x) / $(opdata l)"; }
op d DOMAIN_DEL "$SA" "$PW_ALICE" example.net
[ "$(opdata d)" = "deleted domain example.net" ] &&
    [ "$(actor_of domain-add)$(actor_of domain-delete)" = "admin:alice@example.com admin:alice@example.com " ] &&
    ok "domain delete; both audited by admin:alice@example.com" || { not_ok "domain del: $(opans d)"; }

# ---------------------------------------------------------------- users
base=$(last_audit)
EVIL="Carol'); DROP TABLE pgpmg.users;-- %s \$1"
op u USER_ADD "$SA" "$PW_ALICE" carol@example.com "$EVIL" user
PW_CAROL=$(opdata u | sed -n 's/^password\t//p')
[ "$(opans u)" = "ok 0 " ] && [ "$(opdata u | grep -c .)" = 1 ] &&
    [[ $PW_CAROL =~ ^[ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789]{22}$ ]] &&
    ok "user add: one line, password and 22 characters of the unambiguous alphabet (127 bits)" ||
    { not_ok "user add: $(opans u)"; show; }
row=$(sql "SELECT display_name || '|' || role || '|' || portal_login || '|' || (password_hash LIKE '\$scrypt\$ln=17,r=8,p=1\$%')
    FROM pgpmg.users WHERE address = 'carol@example.com'")
[ "$row" = "$EVIL|user|true|true" ] &&
    ok "stored: the name verbatim, role user, the portal login on, an scrypt hash of our parameters" || not_ok "carol: $row"
aud=$(sql "SELECT actor || '|' || (details::json -> 'after' ->> 'password') || '|' || (details::json -> 'after' ->> 'portal')
    FROM pgpmg.audit_log WHERE kind = 'user-add' AND id > $base")
[ "$aud" = "admin:alice@example.com|set|true" ] && ! grep -qF -- "$PW_CAROL" "$LOG" &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE details LIKE '%$PW_CAROL%'")" = 0 ] &&
    ok "audited as user-add by admin:alice@example.com (password set), the password in no log or row" ||
    not_ok "user-add audit: $aud"
SC=$(login carol@example.com "$PW_CAROL" 192.0.2.5)
[ ${#SC} = 64 ] && ok "the one-time password logs in" || not_ok "carol's login"
CLIENT[$SC]=192.0.2.5
op l USER_LIST "$SA" ""
[ "$(opdata l | grep -c .)" = 5 ] && opdata l | grep -qxF "carol@example.com	user	yes	no	$EVIL" &&
    ok "user list: pgpmgctl's lines, the name verbatim" || { not_ok "user list"; show; }
op s USER_SET "$SA" "$PW_ALICE" carol@example.com role admin
[ "$(opdata s)" = "carol@example.com role: user -> admin" ] && [ "$(actor_of user-change)" = "admin:alice@example.com " ] &&
    ok "user set: done, audited" || { not_ok "user set: $(opans s)"; }
base=$(last_audit)
op r USER_RESET "$SA" "$PW_ALICE" carol@example.com
PW_C2=$(opdata r | sed -n 's/^password\t//p')
web "o LOGIN carol@example.com $(enc "$PW_CAROL") 192.0.2.5" "n LOGIN carol@example.com $PW_C2 192.0.2.5" "s SESSION $SC 192.0.2.5"
[ "$(opans r)" = "ok 0 " ] && [ ${#PW_C2} = 22 ] && [ "$PW_C2" != "$PW_CAROL" ] &&
    [ "$(ans o)" = denied ] && [ "$(ans n | cut -d' ' -f1)" = ok ] && [ "$(ans s)" = none ] &&
    ok "user reset: a new one-time password; the old one denied, the new one logs in, the old session ended" ||
    { not_ok "reset: $(opans r)"; show; }
[ "$(actor_of password-change)" = "admin:alice@example.com " ] && ok "the reset is audited as password-change" ||
    not_ok "reset audit: $(actor_of password-change)"
op r USER_RESET "$SA" "$PW_ALICE" nobody@example.com
[ "$(opans r)" = "notfound 0 no user nobody@example.com" ] && ok "reset of nobody: notfound" || not_ok "reset nobody: $(opans r)"
op d USER_DEL "$SA" "$PW_ALICE" carol@example.com
[ "$(opdata d)" = "deleted user carol@example.com" ] && [ "$(actor_of user-delete)" = "admin:alice@example.com " ] &&
    ok "user delete (an operation added to the protocol): done, audited" || { not_ok "user del: $(opans d)"; }

# ---------------------------------------------------------------- my password
base=$(last_audit)
op m MY_PASSWORD "$SB" "$PW_BOB" $'bad\x01password'
[ "$(opans m)" = "invalid 0 the password has a control character" ] && ok "my password: a control character is invalid" ||
    not_ok "my password control: $(opans m)"
PW_B2="bob's new password, 1024 bytes at most"
op m MY_PASSWORD "$SB" "$PW_BOB" "$PW_B2"
web "s SESSION $SB 192.0.2.2" "o LOGIN bob@example.com $(enc "$PW_BOB") 192.0.2.2" "n LOGIN bob@example.com $(enc "$PW_B2") 192.0.2.2"
[ "$(opans m)" = "ok 0 " ] && [ "$(opdata m)" = "password set for bob@example.com" ] &&
    [ "$(ans s)" = none ] && [ "$(ans o)" = denied ] && [ "$(ans n | cut -d' ' -f1)" = ok ] &&
    [ "$(actor_of password-change)" = "user:bob@example.com " ] &&
    ok "my password: set, audited by user:bob@example.com; the session ended, the new password logs in" ||
    { not_ok "my password: $(opans m)"; show; }
sql "UPDATE pgpmg.users SET password_hash = '$(cheap_phc "$PW_B2")' WHERE address = 'bob@example.com'"
SB=$(login bob@example.com "$PW_B2" 192.0.2.2); CLIENT[$SB]=192.0.2.2
PW_BOB=$PW_B2
echo "# users done after ${SECONDS}s"

# ---------------------------------------------------------------- malformed
# An argument beyond CONSOLE_ARG_MAX is a protocol violation (webd refuses
# longer input itself): fatal to policyd, and so to the appliance.
op x MY_PASSWORD "$SB" "$PW_BOB" "$(printf 'x%.0s' $(seq 1025))" >/dev/null 2>&1
if wait_exit "$PGPMGD_PID" 10; then
	wait "$PGPMGD_PID" 2>/dev/null; PGPMGD_PID=
	grep -qE 'policyd\[[0-9]+\]: fatal: malformed WEBD_OP' "$LOG" &&
	    ok "an argument of 1025 bytes: fatal to policyd (malformed WEBD_OP), the appliance stops" ||
	    { not_ok "1025: no fatal line"; grep policyd "$LOG" | tail -3 | sed 's/^/#   /'; }
else
	not_ok "1025: the appliance still runs"
fi

echo "# done after ${SECONDS}s"
done_testing
