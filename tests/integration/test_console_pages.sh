#!/usr/bin/env bash
# The administrator's pages end to end: real webd, real policyd, its own
# PostgreSQL (pg_lib.sh), every check against what the database and
# `pgpmgctl` say afterwards.  It needs policyd's side of the console's
# operations (IMSG_WEBD_OP, the ops branch): until that is merged the
# suite bails out, on purpose, rather than let an admin's page stop the
# appliance.  test_webd_ops.sh covers webd's side against a stand-in
# meanwhile.
# - the dashboard: every process ready with its seccomp filter and no new
#   privileges, the database, the chart, a failed sign-in among the
#   failures, every line of policyd's answers understood;
# - the policy editor: the mode shown as `policy show` has it; a change
#   made with the right password (audited as admin:ADDRESS), refused with
#   a wrong one (401), a bad value (400), a wrong csrf token (403), each
#   of these leaving the policy as it was; a keyword with markup shown
#   escaped; a rule added (then 409 for the same), deleted (then 404); a
#   domain added (409 again) and deleted; a user's session refused;
# - users: a user added with a one-time password shown once, which signs
#   in once the portal login is on; a reset makes a new one and the old
#   one stops working; the portal login turned off (disabled) refuses the
#   sign-in; the role set; a wrong csrf token adds nobody; no one-time
#   password in the log; the audit chain verifies.
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/web_lib.sh"

if ! policyd_answers_ops; then
	echo "Bail out! policyd does not answer IMSG_WEBD_OP yet: these checks run once the ops branch (policyd's console operations) is merged"
	exit 1
fi

WORKERS=1
EXTRA_CONF='database-timeout 3'
new_env
web_init
trap pg_cleanup EXIT
LOG=$ENV_DIR/pgpmgd.log
HTMLCHECK="python3 $(dirname "$0")/htmlcheck.py"
SECONDS=0

PW_ALICE='alice: <b>s3cret</b> & more'
PW_BOB='bob-password-1'

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
for ((i = 0; i < 200; i++)); do
	grep -q 'secrets: the console key is loaded' "$LOG" && break
	sleep 0.05
done
sql() { pg_psql -c "$1"; }
last_audit() { sql "SELECT coalesce(max(id), 0) FROM pgpmg.audit_log"; }
show() { sed 's/^/#   /' "$WH"; head -c 3000 "$WB" | sed 's/^/#   /'; }
page_ok() { $HTMLCHECK --csrf "$CA" --password-forms /admin/ <"$WB"; }
all_read() { ! grep -q "could not be read" "$WB"; }
mode_now() { ctl policy show | awk '$1 == "mode" { print $2 }'; }
one_time() { grep -oE '<code class="password">[^<]*</code>' "$WB" | sed -E 's/<[^>]*>//g'; }

ctl user add alice@example.com --role admin --name 'Alice <Liddell>' >/dev/null
ctl user add bob@example.com >/dev/null
pids=()
printf '%s\n' "$PW_ALICE" | ctl user passwd alice@example.com >/dev/null &
pids+=($!)
printf '%s\n' "$PW_BOB" | ctl user passwd bob@example.com >/dev/null &
pids+=($!)
wait "${pids[@]}"
for u in alice bob; do ctl user set "$u@example.com" portal yes >/dev/null; done
login alice@example.com "$PW_ALICE" || { echo "Bail out! alice cannot sign in: $ST"; exit 1; }
A=$SID
login bob@example.com "$PW_BOB" || { echo "Bail out! bob cannot sign in: $ST"; exit 1; }
B=$SID
get /admin "$B"
CB=$(csrf_in_body)
post /login "" address=bob@example.com password=not-bobs
echo "# up after ${SECONDS}s"

# ---------------------------------------------------------------- dashboard
get /admin "$A"
check "the dashboard: 200" [ "$ST" = 200 ]
CA=$(csrf_in_body)
out=$(page_ok) && ok "it keeps the page rules" || not_ok "dashboard: $out"
check "every line of policyd's answers understood" all_read
for p in smtpd 'cryptod#0' keyd policyd webd; do
	grep -qE "<td>$p</td><td>[0-9]+</td><td>ready</td><td>[0-9:d h]+</td><td>_pgpmg_[a-z]+</td><td>filter</td><td>yes</td>" "$WB" ||
	    { not_ok "the process $p: not ready, or not filtered"; continue; }
	ok "$p: ready, a seccomp filter, no new privileges"
done
check "the database" bash -c 'grep -q "<p id=\"database\"><span class=\"state\">" "$0"' "$WB"
check "the chart" grep -q '<svg' "$WB"
check "bob's failed sign-in among the failures" bash -c \
    'grep -qE "<td>login-failed</td><td>[^<]*</td><td>bob@example.com</td>" "$0"' "$WB"

# ---------------------------------------------------------------- policy
get /admin/policy "$A"
check "the policy page: 200" [ "$ST" = 200 ]
out=$(page_ok) && ok "it keeps the page rules" || not_ok "policy page: $out"
check "every line understood" all_read
grep -A4 'id="setting-mode"' "$WB" | grep -q "<td class=\"value\">$(mode_now)</td>" &&
    ok "the mode as policy show has it ($(mode_now))" || not_ok "mode on the page"
[ "$(mode_now)" != all ] || ctl policy set mode possible >/dev/null
base=$(last_audit)
post /admin/policy/set "$A" "csrf=$CA" key=mode value=all "password=$PW_ALICE"
[ "$ST" = 200 ] && [ "$(mode_now)" = all ] && body_has '<p class="result ok"' &&
    ok "mode set to all with the password: 200, done" || { not_ok "policy set: $ST, mode $(mode_now)"; show; }
check "the page shows it" bash -c 'grep -A4 "id=\"setting-mode\"" "$0" | grep -q "<td class=\"value\">all</td>"' "$WB"
[ "$(sql "SELECT actor FROM pgpmg.audit_log WHERE id > $base AND kind NOT LIKE 'login%' ORDER BY id DESC LIMIT 1")" = "admin:alice@example.com" ] &&
    ok "audited as admin:alice@example.com" || not_ok "audit actor: $(sql "SELECT actor || ' ' || kind FROM pgpmg.audit_log WHERE id > $base")"
post /admin/policy/set "$A" "csrf=$CA" key=mode value=off password=not-alices
[ "$ST" = 401 ] && [ "$(mode_now)" = all ] && body_has '<p class="result error"' &&
    ok "a wrong password: 401, nothing changed" || { not_ok "wrong password: $ST, mode $(mode_now)"; show; }
post /admin/policy/set "$A" "csrf=$CA" key=mode value=bogus "password=$PW_ALICE"
[ "$ST" = 400 ] && [ "$(mode_now)" = all ] && ok "a bad value: 400, nothing changed" || { not_ok "bad value: $ST"; show; }
base=$(last_audit)
post /admin/policy/set "$A" "csrf=${CA:0:63}0" key=mode value=off "password=$PW_ALICE"
[ "$ST" = 403 ] && [ "$(mode_now)" = all ] && [ "$(last_audit)" = "$base" ] &&
    ok "a wrong csrf token: 403, nothing changed, nothing audited" || not_ok "wrong csrf: $ST, mode $(mode_now)"
post /admin/policy/set "$A" "csrf=$CA" key=keyword 'value=[secret] <b>' "password=$PW_ALICE"
[ "$ST" = 200 ] && body_has 'value="[secret] &lt;b&gt;"' && ! body_has '[secret] <b>' &&
    ok "a keyword with markup: set, shown escaped" || { not_ok "keyword: $ST"; show; }

post /admin/rules/add "$A" "csrf=$CA" scope=domain pattern=partner.example action=all+bounce priority=200 "password=$PW_ALICE"
rule=$(ctl rule list | awk -F'\t' '$4 == "partner.example" { print $1 }')
[ "$ST" = 200 ] && [ -n "$rule" ] && ctl rule list | grep -qP "^$rule\t200\tdomain\tpartner.example\tall\+bounce$" &&
    ok "a rule added (rule $rule, priority 200, all+bounce)" || { not_ok "rule add: $ST"; ctl rule list | sed 's/^/#   /'; }
check "the page lists it" bash -c 'grep -q "<td>$1</td><td>200</td><td>domain</td><td>partner.example</td><td>all+bounce</td>" "$0"' "$WB" "$rule"
post /admin/rules/add "$A" "csrf=$CA" scope=domain pattern=partner.example action=plain priority=200 "password=$PW_ALICE"
check "the same rule again: 409" [ "$ST" = 409 ]
post /admin/rules/del "$A" "csrf=$CA" "id=$rule" "password=$PW_ALICE"
[ "$ST" = 200 ] && [ -z "$(ctl rule list | awk -F'\t' -v r="$rule" '$1 == r')" ] &&
    ok "the rule deleted" || not_ok "rule del: $ST"
post /admin/rules/del "$A" "csrf=$CA" "id=$rule" "password=$PW_ALICE"
check "deleted again: 404" [ "$ST" = 404 ]
post /admin/domains/add "$A" "csrf=$CA" name=example.net "password=$PW_ALICE"
[ "$ST" = 200 ] && ctl domain list | grep -qx example.net && body_has '<li>example.net</li>' &&
    ok "a domain added, and listed" || not_ok "domain add: $ST"
post /admin/domains/add "$A" "csrf=$CA" name=example.net "password=$PW_ALICE"
check "the same domain again: 409" [ "$ST" = 409 ]
post /admin/domains/del "$A" "csrf=$CA" name=example.net "password=$PW_ALICE"
[ "$ST" = 200 ] && ! ctl domain list | grep -qx example.net && ok "the domain deleted" || not_ok "domain del: $ST"
get /admin/policy "$B"
check "a user's session on the policy page: 403" [ "$ST" = 403 ]
post /admin/domains/add "$B" "csrf=$CB" name=example.net "password=$PW_BOB"
[ "$ST" = 403 ] && ! ctl domain list | grep -qx example.net && ok "a user's change: 403, nothing changed" ||
    not_ok "user change: $ST"

# ---------------------------------------------------------------- users
get /admin/users "$A"
check "the users page: 200" [ "$ST" = 200 ]
out=$(page_ok) && ok "it keeps the page rules" || not_ok "users page: $out"
check "every line understood" all_read
check "alice and bob listed, the name escaped" bash -c \
    'grep -qF "<td>alice@example.com</td><td>Alice &lt;Liddell&gt;</td><td>admin</td>" "$0" &&
    grep -qF "<td>bob@example.com</td>" "$0"' "$WB"
post /admin/users/add "$A" "csrf=${CA:0:63}0" address=eve@example.com name=Eve role=admin "password=$PW_ALICE"
[ "$ST" = 403 ] && ! ctl user list | grep -q '^eve@example.com' && ok "a wrong csrf token adds nobody" || not_ok "users add csrf: $ST"
post /admin/users/add "$A" "csrf=$CA" address=new@example.com "name=New <One>" role=user "password=$PW_ALICE"
PW1=$(one_time)
[ "$ST" = 200 ] && [ -n "$PW1" ] && [ "$(grep -c "<code class=\"password\">" "$WB")" = 1 ] &&
    ok "a user added: 200, the one-time password shown once" || { not_ok "user add: $ST"; show; }
ctl user list | grep -qP '^new@example\.com\tuser\t(yes|no)\t(yes|no)\tNew <One>$' &&
    ok "in the user list, the name as given" || { not_ok "user list"; ctl user list | sed 's/^/#   /'; }
post /admin/users/set "$A" "csrf=$CA" address=new@example.com field=portal value=on "password=$PW_ALICE"
[ "$ST" = 200 ] && ctl user list | grep -qP '^new@example\.com\tuser\tyes\t' && ok "the portal login turned on" ||
    { not_ok "portal on: $ST"; show; }
post /login "" address=new@example.com "password=$PW1"
[ "$ST" = 303 ] && [ "$(hdr Location)" = /portal ] && ok "the new user signs in with the one-time password" ||
    not_ok "new user's sign-in: $ST"
post /admin/users/reset "$A" "csrf=$CA" address=new@example.com "password=$PW_ALICE"
PW2=$(one_time)
[ "$ST" = 200 ] && [ -n "$PW2" ] && [ "$PW2" != "$PW1" ] && ok "a reset: a new one-time password" || { not_ok "reset: $ST"; show; }
post /login "" address=new@example.com "password=$PW1"
check "the old one no longer signs in (401)" [ "$ST" = 401 ]
post /login "" address=new@example.com "password=$PW2"
check "the new one does (303)" [ "$ST" = 303 ]
post /admin/users/set "$A" "csrf=$CA" address=new@example.com field=portal value=off "password=$PW_ALICE"
[ "$ST" = 200 ] && ctl user list | grep -qP '^new@example\.com\tuser\tno\t' && ok "disabled (portal off)" || not_ok "disable: $ST"
post /login "" address=new@example.com "password=$PW2"
check "and the sign-in is refused (401)" [ "$ST" = 401 ]
post /admin/users/set "$A" "csrf=$CA" address=new@example.com field=role value=admin "password=$PW_ALICE"
[ "$ST" = 200 ] && ctl user list | grep -qP '^new@example\.com\tadmin\t' && ok "the role set to admin" || not_ok "role: $ST"
post /admin/users/set "$A" "csrf=$CA" address=nobody@example.com field=role value=admin "password=$PW_ALICE"
check "an unknown user: 404" [ "$ST" = 404 ]
get /admin/users "$A"
check "the next page shows no one-time password" bash -c '! grep -q "class=\"password\"" "$0"' "$WB"
check "no one-time password in the log" bash -c '! grep -qF "$1" "$0" && ! grep -qF "$2" "$0"' "$LOG" "$PW1" "$PW2"
check "the audit chain verifies" ctl audit verify

echo "# ${SECONDS}s"
done_testing
