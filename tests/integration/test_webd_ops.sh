#!/usr/bin/env bash
# webd's side of the console's operations, against a stand-in policyd
# (tests/integration/ops_policyd.c: it answers webd from a script and
# writes down every operation it was asked; the real policyd's side is
# test_console_pages.sh's).  webd is the real one, over HTTPS:
# - the dashboard asks STATUS, STATS and FAILURES and shows the
#   processes, the database, the chart and the failures, everything
#   escaped; the policy page asks POLICY_SHOW, RULE_LIST, DOMAIN_LIST and
#   offers policydef's values with the current one selected; the users
#   page asks USER_LIST;
# - every page keeps the rules (htmlcheck.py): tags closed, no inline
#   script or style, unique ids, one csrf field in every form, and the
#   "Your password" field in every form that posts a change;
# - a change is sent with the form's fields as its arguments and the
#   password given again, and answered with the page again, the outcome
#   in a banner and the status of console_error's table (200, 400, 401,
#   403, 404, 409, 429 and 503 with Retry-After, 500); a missing password,
#   a field given twice, a value over ADMIN_ARG_MAX or a password over
#   1024 bytes is refused without asking; a wrong csrf token, a user's
#   session or no session asks nothing;
# - a new user's and a reset password's one-time password is shown once,
#   and is in no log;
# - output over ADMIN_OUTPUT_MAX is a failure; a descriptor with an answer
#   is closed (webd's descriptors do not grow); an answer that comes after
#   its client left is dropped;
# - each malformed answer (an unknown request, an error out of range,
#   bytes left over, a wait without LOCKED, a descriptor with a refusal or
#   a DATA, an over-long chunk, the wrong type, a session id that would
#   end a header, a session without a user, a second answer) is fatal to
#   webd, naming it, and so stops the appliance.
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web_lib.sh"

STAND_IN=$(mktemp -d /tmp/pgpmg-ops.XXXXXX)
chmod 0755 "$STAND_IN"
for p in pgpmgd pgpmgctl smtpd cryptod keyd webd; do cp "$BIN/$p" "$STAND_IN/"; done
cp "$BIN/tests/integration/ops_policyd" "$STAND_IN/policyd"
WORKERS=1
new_env
web_init
trap 'cleanup_env; rm -rf "$STAND_IN"' EXIT
LOG=$ENV_DIR/pgpmgd.log
OPS=$ENV_DIR/opsd.log
HTMLCHECK="python3 $(dirname "$0")/htmlcheck.py"
CLIENT=$(dirname "$0")/httpsclient.py
SECONDS=0

A=$(printf 'a%.0s' $(seq 64)); B=$(printf 'b%.0s' $(seq 64))
CA=$(printf 'c%.0s' $(seq 64)); CB=$(printf 'd%.0s' $(seq 64))

start() {
	: >"$LOG"
	"$STAND_IN/pgpmgd" -d -f "$CONF" >>"$LOG" 2>&1 &
	PGPMGD_PID=$!
	BIN=$STAND_IN wait_all_ready 10
}
start || { echo "Bail out! appliance not ready"; exit 1; }
WEBD_PID=$(BIN=$STAND_IN child_pid webd)
show() { sed 's/^/#   /' "$WH"; head -c 3000 "$WB" | sed 's/^/#   /'; }
nops() { [ -f "$OPS" ] && wc -l <"$OPS" || echo 0; }
# ops_since N: the operations asked after the first N, as "NAME args"
ops_since() { tail -n +"$(($1 + 1))" "$OPS" |
	sed -E 's/^OP ([A-Z_]+) session=[^ ]* client=[^ ]* password=(.*) args=(.*)$/\1 args=\3 password=\2/'; }
page_ok() { $HTMLCHECK --csrf "$CA" --password-forms /admin/ <"$WB"; }
count_in_body() { grep -oF -- "$1" "$WB" | wc -l; }

# ---------------------------------------------------------------- dashboard
n=$(nops)
get /admin "$A"
check "the dashboard: 200" [ "$ST" = 200 ]
out=$(page_ok) && ok "the dashboard keeps the page rules" || { not_ok "dashboard page: $out"; }
[ "$(ops_since "$n" | awk '{ print $1 }' | tr '\n' ' ')" = "STATUS STATS FAILURES " ] &&
    ok "it asked STATUS, STATS, FAILURES in turn" || not_ok "dashboard ops: $(ops_since "$n")"
check "under the session, from the client, without a password or arguments" bash -c \
    '[ "$(tail -n 3 "$0" | grep -c "session=$1 client=127.0.0.1 password= args=|||||$")" = 3 ]' "$OPS" "$A"
check "the processes: webd's sandbox state read" bash -c \
    'grep -q "<td>webd</td><td>101</td><td>ready</td><td>00:01:01</td><td>_pgpmg_webd</td><td>filter</td><td>yes</td>" "$0" &&
    grep -q "<td>empty</td><td>ABI 3</td><td>1/1</td>" "$0"' "$WB"
check "the parent up for a day, a worker down" bash -c \
    'grep -q "<td>parent</td><td>100</td><td>ready</td><td>1d 01h</td>" "$0" &&
    grep -q "<tr class=\"down\"><td>cryptod#1</td><td>-</td><td>down</td>" "$0"' "$WB"
check "the database, escaped" body_has '<span class="state">up</span> for 120 s: PostgreSQL 15 &lt;b&gt;x&lt;/b&gt;'
check "a line it did not understand is counted" body_has "1 line of policyd's answer could not be read."
check "the chart" bash -c 'grep -q "<figure class=\"chart\">" "$0" && grep -q "<svg" "$0"' "$WB"
check "the failures, escaped" bash -c \
    'grep -qF "&lt;script&gt;alert(1)&lt;/script&gt;" "$0" && ! grep -q "<script" "$0" &&
    grep -qF "no key &amp; policy all+bounce" "$0"' "$WB"

# ---------------------------------------------------------------- policy
n=$(nops)
get /admin/policy "$A"
check "the policy page: 200" [ "$ST" = 200 ]
out=$(page_ok) && ok "the policy page keeps the page rules" || not_ok "policy page: $out"
[ "$(ops_since "$n" | awk '{ print $1 }' | tr '\n' ' ')" = "POLICY_SHOW RULE_LIST DOMAIN_LIST " ] &&
    ok "it asked POLICY_SHOW, RULE_LIST, DOMAIN_LIST" || not_ok "policy ops: $(ops_since "$n")"
check "a form per setting, the current value selected" bash -c \
    'for k in mode keyword missing-key sign decrypt protected-headers; do
	grep -q "<input type=\"hidden\" name=\"key\" value=\"$k\">" "$0" || exit 1; done
    grep -q "<option selected>all</option>" "$0" && grep -q "<option selected>hold</option>" "$0" &&
    grep -q "value=\"\[secure\] &quot;q&quot;\"" "$0"' "$WB"
check "the modes and missing-key actions as policydef names them" bash -c \
    'for v in off possible all keyword plain bounce; do grep -q "<option[^>]*>$v</option>" "$0" || exit 1; done' "$WB"
check "rule actions: all+bounce, keyword+hold, no off+hold" bash -c \
    'grep -q "<option>all+bounce</option>" "$0" && grep -q "<option>keyword+hold</option>" "$0" &&
    ! grep -q "off+hold" "$0"' "$WB"
check "the rules, escaped" bash -c \
    'grep -q "<td>12</td><td>200</td><td>domain</td><td>partner.example</td><td>all+bounce</td>" "$0" &&
    grep -qF "<td>&lt;i&gt;x&lt;/i&gt;@partner.example</td>" "$0"' "$WB"
check "the domains" bash -c 'grep -q "<li>example.com</li>" "$0" && grep -q "<li>example.org</li>" "$0"' "$WB"
check "who changed it last" body_has "Version 7, changed 2026-01-02T03:04:05Z by admin:alice@example.com."

n=$(nops)
post /admin/policy/set "$A" "csrf=$CA" key=mode value=possible "password=my pw&x"
check "a setting changed: 200" [ "$ST" = 200 ]
check "the banner says it" body_has '<p class="result ok" role="status">Done. mode: off -&gt; possible</p>'
[ "$(ops_since "$n" | head -1)" = "POLICY_SET args=mode|possible|||| password=my pw&x" ] &&
    ok "sent as POLICY_SET mode possible, with the password as typed" || not_ok "policy set: $(ops_since "$n")"
[ "$(ops_since "$n" | awk '{ print $1 }' | tr '\n' ' ')" = "POLICY_SET POLICY_SHOW RULE_LIST DOMAIN_LIST " ] &&
    ok "then the page's lists again" || not_ok "after the change: $(ops_since "$n")"
out=$(page_ok) && ok "the answer page keeps the page rules" || not_ok "answer page: $out"

# expect_change DESCRIPTION STATUS RETRY-AFTER BANNER-TEXT PATH FIELDS...
expect_change() {
	local d=$1 st=$2 ra=$3 text=$4 path=$5 n
	shift 5
	n=$(nops)
	post "$path" "$A" "csrf=$CA" "$@"
	if [ "$ST" = "$st" ] && [ "$(hdr Retry-After)" = "$ra" ] && body_has "$text" &&
	    body_has 'id="domain-list"'; then
		ok "$d: $st${ra:+, Retry-After: $ra}, the banner, the page"
	else
		not_ok "$d: $ST, Retry-After '$(hdr Retry-After)'"; show
	fi
}
expect_change "a wrong password" 401 "" '<p class="result error" role="status">Your password was wrong' \
    /admin/policy/set key=mode value=all password=wrong
expect_change "locked" 429 42 "Try again in 42 seconds." /admin/policy/set key=mode value=all password=locked
expect_change "busy" 503 2 "Too many password checks at once" /admin/policy/set key=mode value=all password=busy
expect_change "denied" 403 "" "This is not yours to do" /admin/policy/set key=mode value=all password=denied
expect_change "an invalid value (policyd's message, escaped)" 400 "" \
    'The value was not accepted: nothing was changed. mode: &quot;&lt;b&gt;bad&lt;/b&gt;&quot; is not one of' \
    /admin/policy/set key=mode value=invalid password=pw
expect_change "a rule that exists" 409 "" "That exists already. a rule for domain x exists" \
    /admin/rules/add scope=domain pattern=exists action=all priority=100 password=pw
expect_change "no such rule" 404 "" "There is no such entry. no rule 99" /admin/rules/del id=missing password=pw
expect_change "the database unavailable" 503 10 "The database is unavailable" \
    /admin/domains/add name=unavailable password=pw
expect_change "a failure" 500 "" "The operation failed. the database refused: test" \
    /admin/domains/del name=fail password=pw
expect_change "output over ADMIN_OUTPUT_MAX" 500 "" "the output was longer than the console shows" \
    /admin/domains/add name=big password=pw

n=$(nops)
post /admin/rules/add "$A" "csrf=$CA" scope=domain pattern=partner.example action=all+bounce priority=200 password=pw
[ "$ST" = 200 ] && [ "$(ops_since "$n" | head -1)" = "RULE_ADD args=domain|partner.example|all+bounce|200|| password=pw" ] &&
    ok "a rule: scope, pattern, action, priority in order" || not_ok "rule add: $ST $(ops_since "$n" | head -1)"
n=$(nops)
post /admin/rules/add "$A" "csrf=$CA" scope=domain pattern=partner.example action=all password=pw
[ "$ST" = 200 ] && [ "$(ops_since "$n" | head -1)" = "RULE_ADD args=domain|partner.example|all||| password=pw" ] &&
    ok "a field not given is sent empty (the default priority)" || not_ok "rule add without priority: $(ops_since "$n" | head -1)"
for f in "rules/del id=12:RULE_DEL args=12|||||" "domains/add name=example.net:DOMAIN_ADD args=example.net|||||" \
    "domains/del name=example.org:DOMAIN_DEL args=example.org|||||"; do
	read -r path field <<<"${f%%:*}"
	n=$(nops)
	post "/admin/$path" "$A" "csrf=$CA" "$field" password=pw
	[ "$ST" = 200 ] && [ "$(ops_since "$n" | head -1)" = "${f#*:} password=pw" ] &&
	    ok "/admin/$path: ${f#*:}" || not_ok "/admin/$path: $ST $(ops_since "$n" | head -1)"
done

# Refused here: nothing of the change is sent, the page's lists are.
# not_sent DESCRIPTION STATUS PATH FIELDS...
not_sent() {
	local d=$1 st=$2 path=$3 n
	shift 3
	n=$(nops)
	post "$path" "$A" "csrf=$CA" "$@"
	if [ "$ST" = "$st" ] && [ "$(ops_since "$n" | awk '{ print $1 }' | tr '\n' ' ')" = "POLICY_SHOW RULE_LIST DOMAIN_LIST " ]; then
		ok "$d: $st, not sent"
	else
		not_ok "$d: $ST, sent: $(ops_since "$n" | awk '{ print $1 }' | tr '\n' ' ')"; show
	fi
}
not_sent "no password" 401 /admin/policy/set key=mode value=all
check "401: it says to give the password" body_has "Give your password to confirm the change."
not_sent "an empty password" 401 /admin/policy/set key=mode value=all password=
not_sent "a field given twice" 400 /admin/policy/set key=mode value=all value=off password=pw
not_sent "a value of 801 bytes" 400 /admin/domains/add "name=$(printf 'd%.0s' $(seq 801))" password=pw
n=$(nops)
post /admin/domains/add "$A" "csrf=$CA" "name=$(printf 'd%.0s' $(seq 800))" password=pw
[ "$ST" = 200 ] && ops_since "$n" | head -1 | grep -q "^DOMAIN_ADD args=d\{800\}|||||" &&
    ok "a value of 800 bytes (ADMIN_ARG_MAX) is sent" || not_ok "800 bytes: $ST"
not_sent "a password of 1025 bytes" 400 /admin/policy/set key=mode value=all "password=$(printf 'p%.0s' $(seq 1025))"
n=$(nops)
post /admin/policy/set "$A" "csrf=$CB" key=mode value=all password=pw
[ "$ST" = 403 ] && [ "$(nops)" = "$n" ] && ok "another session's csrf token: 403, nothing asked" || not_ok "csrf: $ST"
post /admin/policy/set "$A" key=mode value=all password=pw
[ "$ST" = 403 ] && [ "$(nops)" = "$n" ] && ok "no csrf token: 403, nothing asked" || not_ok "no csrf: $ST"
post /admin/domains/add "$B" "csrf=$CB" name=example.net password=pw
[ "$ST" = 403 ] && [ "$(nops)" = "$n" ] && body_has "for administrators" &&
    ok "a user's session on a change: the 403 page, nothing asked" || not_ok "user change: $ST"
get /admin/users "$B"
[ "$ST" = 403 ] && [ "$(nops)" = "$n" ] && ok "a user's session on /admin/users: 403, nothing asked" || not_ok "user page: $ST"
post /admin/domains/add "" "csrf=$CA" name=example.net password=pw
[ "$ST" = 403 ] && [ "$(nops)" = "$n" ] && ok "no session on a change: 403, nothing asked" || not_ok "no session: $ST"

# ---------------------------------------------------------------- users
n=$(nops)
get /admin/users "$A"
check "the users page: 200" [ "$ST" = 200 ]
out=$(page_ok) && ok "the users page keeps the page rules" || not_ok "users page: $out"
[ "$(ops_since "$n")" = "USER_LIST args=||||| password=" ] && ok "it asked USER_LIST" || not_ok "users ops: $(ops_since "$n")"
check "the users, escaped, a user without a name" bash -c \
    'grep -qF "<tr><td>alice@example.com</td><td>Alice &lt;Liddell&gt;</td><td>admin</td><td>yes</td><td>no</td></tr>" "$0" &&
    grep -qF "<tr><td>carol@example.com</td><td></td><td>none</td><td>no</td><td>no</td></tr>" "$0"' "$WB"
check "the forms: add, role, sign-in, name, reset" bash -c \
    'for a in /admin/users/add /admin/users/set /admin/users/reset; do grep -q "action=\"$a\"" "$0" || exit 1; done
    [ "$(grep -c "action=\"/admin/users/set\"" "$0")" = 3 ] && grep -q "<option value=\"off\">off: disabled</option>" "$0"' "$WB"
n=$(nops)
post /admin/users/add "$A" "csrf=$CA" address=new@example.com "name=New <One>" role=user password=pw
check "a user added: 200" [ "$ST" = 200 ]
[ "$(ops_since "$n" | head -1)" = "USER_ADD args=new@example.com|New <One>|user||| password=pw" ] &&
    ok "sent as USER_ADD address, name, role" || not_ok "user add: $(ops_since "$n" | head -1)"
[ "$(count_in_body One-Time-1)" = 1 ] && body_has '<code class="password">One-Time-1</code>' &&
    body_has "The one-time password of <strong>new@example.com</strong>, shown this once" &&
    ok "the one-time password, shown once" || { not_ok "one-time password on the page"; show; }
out=$(page_ok) && ok "that page keeps the page rules" || not_ok "user add page: $out"
n=$(nops)
post /admin/users/reset "$A" "csrf=$CA" address=bob@example.com password=pw
[ "$ST" = 200 ] && [ "$(ops_since "$n" | head -1)" = "USER_RESET args=bob@example.com||||| password=pw" ] &&
    [ "$(count_in_body One-Time-2)" = 1 ] && ! body_has One-Time-1 &&
    ok "a reset: USER_RESET, the new password shown once" || { not_ok "reset: $ST"; show; }
get /admin/users "$A"
check "and on the next page it is gone" bash -c '! grep -q "One-Time" "$0"' "$WB"
check "no one-time password in any log" bash -c '! grep -q "One-Time" "$0"' "$LOG"
n=$(nops)
post /admin/users/set "$A" "csrf=$CA" address=bob@example.com field=portal value=off password=pw
[ "$ST" = 200 ] && [ "$(ops_since "$n" | head -1)" = "USER_SET args=bob@example.com|portal|off||| password=pw" ] &&
    ok "disable: USER_SET address portal off" || not_ok "user set: $ST $(ops_since "$n" | head -1)"
n=$(nops)
post /admin/users/set "$A" "csrf=$CA" address=bob@example.com field=role value=admin password=wrong
[ "$ST" = 401 ] && ! body_has "One-Time" && ok "a role with a wrong password: 401" || not_ok "role, wrong password: $ST"

# ---------------------------------------------------------------- descriptors, late answers
fds() { ls "/proc/$WEBD_PID/fd" | wc -l; }
get /admin "$A"
f0=$(fds)
for i in $(seq 20); do post /admin/domains/add "$A" "csrf=$CA" name=fd password=pw; [ "$ST" = 200 ] || break; done
f1=$(fds)
[ "$ST" = 200 ] && [ "$f1" -le "$f0" ] && ok "20 answers with a descriptor: each closed ($f0 -> $f1 open)" ||
    not_ok "descriptors: $ST, $f0 -> $f1"
h() { /usr/bin/python3 "$CLIENT" "$WEB_PORT" "$@"; }
body="csrf=$CA&name=slow&password=pw"
h -t 0.5 "POST /admin/domains/add HTTP/1.1\\r\\nHost: 127.0.0.1:$WEB_PORT\\r\\nOrigin: $ORIGIN\\r\\nCookie: __Host-pgpmg=$A\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: ${#body}\\r\\n\\r\\n$body" >/dev/null
for ((i = 0; i < 60; i++)); do
	grep -q 'operation request [0-9]*: answered after its connection went away: dropped' "$LOG" && break
	sleep 0.1
done
check "an answer after its client left is dropped" grep -q 'operation request [0-9]*: answered after its connection went away: dropped' "$LOG"
get /admin "$A"
[ "$ST" = 200 ] && [ "$(BIN=$STAND_IN child_pid webd)" = "$WEBD_PID" ] &&
    ok "and webd serves on, the same process" || not_ok "after the late answer: $ST"
post /login "" address=alice@example.com password=pw
[ "$ST" = 303 ] && [ "$(sid_of_cookie)" = "$A" ] && ok "a sign-in through the stand-in" || not_ok "sign-in: $ST"

# ---------------------------------------------------------------- malformed answers
# evil HOW EXPECTED: one malformed answer; webd must die naming it, and
# the appliance stop.
evil() {
	local how=$1 want=$2
	stop_appliance
	start || { not_ok "evil: the appliance did not come up"; return; }
	case $how in
	login-*) post /login "" "address=evil-${how#login-}@example.com" password=pw ;;
	session) get /admin "$(printf '9%.0s' $(seq 64))" ;;
	*) post /admin/domains/add "$A" "csrf=$CA" "name=evil-$how" password=pw ;;
	esac
	if wait_exit "$PGPMGD_PID" 10 && grep -qE "webd\[[0-9]+\]: fatal: $want" "$LOG"; then
		ok "malformed answer $how: webd dies ($(grep -oE "fatal: $want" "$LOG" | head -1)), the appliance stops"
	else
		not_ok "malformed answer $how"; grep -E 'webd\[|fatal' "$LOG" | tail -5 | sed 's/^/#   /'
	fi
	wait "$PGPMGD_PID" 2>/dev/null
	PGPMGD_PID=
}
evil 1 'POLICYD_OP_DONE for request [0-9]+, which was not asked'
evil 2 'malformed POLICYD_OP_DONE'
evil 3 'malformed POLICYD_OP_DONE'
evil 4 "POLICYD_OP_DONE's fields do not agree"
evil 5 "POLICYD_OP_DONE's fields do not agree"
evil 6 'malformed POLICYD_OP_DATA'
evil 7 'POLICYD_LOGOUT for operation request [0-9]+'
evil 10 'POLICYD_OP_DONE for request [0-9]+, which was not asked'
evil 11 'POLICYD_OP_DATA with a descriptor'
evil login-8 "POLICYD_LOGIN's fields do not agree"
evil session "POLICYD_SESSION's fields do not agree"

echo "# ${SECONDS}s"
done_testing
