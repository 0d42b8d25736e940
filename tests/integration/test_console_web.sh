#!/usr/bin/env bash
# webd's side of the console's authentication, on the real appliance with
# real policyd and its own PostgreSQL (pg_lib.sh); users are made with
# `pgpmgctl user add` and `user passwd`, and every request is curl's (or
# a raw one) over HTTPS:
# - the sign-in: 303 to /admin for an admin and /portal for a user, with
#   the cookie `__Host-pgpmg=<64 hex>; Path=/; Secure; HttpOnly;
#   SameSite=Strict`; a wrong password and an unknown address get the same
#   401 form (the address given back escaped, the password never), and an
#   audit row; the fifth failure in a row 429 with Retry-After;
# - sessions: the cookie gets a 403 page on /admin for a user, and opens
#   it for an admin once policyd answers the console's operations (until
#   the ops branch is merged those checks are skipped: an admin's page asks
#   for operations); no cookie, a malformed one (not asked at policyd:
#   webd's log shows no lookup) and an unknown one are sent to /login;
# - CSRF: a POST without Origin, with a foreign one, with "null", with two,
#   is 403 (Sec-Fetch-Site: same-origin stands in for a missing Origin);
#   a signed-in POST with a wrong or missing csrf field is 403 and changes
#   nothing; every refusal is in webd's log, without the token;
# - logout ends the session (the old cookie then goes to /login, audited),
#   clears the cookie, and leaves the user's other session alone;
# - a form that is not UTF-8 is 400, an over-long address or password
#   400, a body over 64 KiB 413, another media type 415, and webd and
#   policyd keep serving, with the same pids;
# - while policyd is stopped (SIGSTOP): a connection closed while it
#   waits cancels its request, whose late answer is dropped; 256 requests
#   waiting fill the table and the next is answered 503 at once; a
#   request that waits 30 s is answered 504; after SIGCONT webd serves on;
# - with the database down, the session lookup and the sign-in are 503
#   with Retry-After;
# - /favicon.ico is 204, cacheable; GET /logout 405.
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/web_lib.sh"

WORKERS=1
# Room for the 257 connections of the pending table's test.
EXTRA_CONF='web-max-connections 300
database-timeout 3'
new_env
web_init
trap 'kill -CONT "${POLICYD_PID:-0}" 2>/dev/null; pg_cleanup' EXIT
LOG=$ENV_DIR/pgpmgd.log
CLIENT=$(dirname "$0")/httpsclient.py
SECONDS=0

PW_ALICE='alice: <b>s3cret</b> & more'
PW_BOB='bob-password-1'
PW_CAROL='carol-password-1'

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
for ((i = 0; i < 200; i++)); do
	grep -q 'secrets: the console key is loaded' "$LOG" && break
	sleep 0.05
done
WEBD_PID=$(child_pid webd)
POLICYD_PID=$(child_pid policyd)
sql() { pg_psql -c "$1"; }
last_audit() { sql "SELECT coalesce(max(id), 0) FROM pgpmg.audit_log"; }
lookups() { grep -c 'session request [0-9]* to policyd' "$LOG"; }
show() { sed 's/^/#   /' "$WH"; head -c 2000 "$WB" | sed 's/^/#   /'; }

ctl user add alice@example.com --role admin --name 'Alice <Liddell>' >/dev/null
ctl user add bob@example.com >/dev/null
ctl user add carol@example.com >/dev/null
pids=()
for u in alice bob carol; do
	v=PW_${u^^}
	printf '%s\n' "${!v}" | ctl user passwd "$u@example.com" >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
for u in alice bob carol; do ctl user set "$u@example.com" portal yes >/dev/null; done
echo "# up, users made after ${SECONDS}s"

# ---------------------------------------------------------------- sign-in
get /login
check "GET /login: 200" [ "$ST" = 200 ]
base=$(last_audit)
post /login "" "address=alice@example.com" "password=$PW_ALICE"
A=$(sid_of_cookie)
[ "$ST" = 303 ] && [ "$(hdr Location)" = /admin ] &&
    ok "an admin's sign-in: 303 to /admin" || { not_ok "admin sign-in: $ST"; show; }
[[ "$(set_cookie)" =~ ^__Host-pgpmg=[0-9a-f]{64}\;\ Path=/\;\ Secure\;\ HttpOnly\;\ SameSite=Strict$ ]] &&
    ok "the cookie: __Host-pgpmg=<64 hex>; Path=/; Secure; HttpOnly; SameSite=Strict" ||
    not_ok "Set-Cookie: $(set_cookie)"
[ "$(grep -ci '^set-cookie:' "$WH")" = 1 ] && ok "one Set-Cookie" || not_ok "Set-Cookie lines: $(grep -ci '^set-cookie:' "$WH")"
[ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'login' AND subject = 'alice@example.com' AND id > $base")" = 1 ] &&
    ok "the sign-in is audited (policyd)" || not_ok "no login audit row"
post /login "" "address=bob@example.com" "password=$PW_BOB"
B=$(sid_of_cookie)
[ "$ST" = 303 ] && [ "$(hdr Location)" = /portal ] && [ -n "$B" ] &&
    ok "a user's sign-in: 303 to /portal" || { not_ok "user sign-in: $ST"; show; }

base=$(last_audit)
post /login "" "address=alice@example.com" "password=not-her-password"
check "a wrong password: 401" [ "$ST" = 401 ]
check "401: no cookie" [ -z "$(set_cookie)" ]
check "401: the form again, with one sentence" bash -c \
    'grep -q "<form method=\"post\" action=\"/login\">" "$0" &&
    grep -q "class=\"result error\"" "$0" && grep -qF "The address or the password is wrong." "$0"' "$WB"
check "401: the address given back" body_has 'value="alice@example.com"'
check "401: not the password" bash -c '! grep -q "not-her-password" "$0"' "$WB"
wrong_body=$(sed 's/alice@example.com/ADDR/' "$WB")
[ "$(sql "SELECT details::json ->> 'reason' FROM pgpmg.audit_log WHERE kind = 'login-failed' AND subject = 'alice@example.com' AND id > $base")" = "wrong password" ] &&
    ok "the wrong password has its audit row" || not_ok "no login-failed row for the wrong password"
post /login "" 'address=nobody"<x>@example.com' "password=$PW_BOB"
check "an unknown address: 401" [ "$ST" = 401 ]
check "its address given back escaped" body_has 'value="nobody&quot;&lt;x&gt;@example.com"'
check "the same page as for a wrong password" [ "$(sed 's/nobody&quot;&lt;x&gt;@example.com/ADDR/' "$WB")" = "$wrong_body" ]
post /login "" "address=alice@example.com" "password="
check "an empty password: 400, not asked" [ "$ST" = 400 ]

# The fifth failure in a row locks carol's account for a second (and
# the client address, whose count bob's good sign-in has just cleared).
post /login "" "address=bob@example.com" "password=$PW_BOB"
B=$(sid_of_cookie)
for i in 1 2 3 4; do
	post /login "" "address=carol@example.com" "password=wrong-$i"
	[ "$ST" = 401 ] || break
done
check "four failures: 401 each" [ "$ST" = 401 ]
post /login "" "address=carol@example.com" "password=wrong-5"
[ "$ST" = 429 ] && [ "$(hdr Retry-After)" = 1 ] &&
    ok "the fifth: 429, Retry-After: 1" || { not_ok "fifth failure: $ST $(hdr Retry-After)"; show; }
check "429: the form and the wait" body_has "try again in 1 seconds"
# The lock waited out; a good sign-in clears the client's count.
sleep 1.2
login alice@example.com "$PW_ALICE" || not_ok "alice signs in after the lock: $ST"
A=$SID

# ---------------------------------------------------------------- sessions
get /admin "$A"
check "the admin's cookie opens /admin: 200" [ "$ST" = 200 ]
check "the page names who is signed in, escaped" bash -c \
    'grep -qF "Alice &lt;Liddell&gt;" "$0" && grep -qF "alice@example.com" "$0" && ! grep -qF "Alice <Liddell>" "$0"' "$WB"
check "the admin's nav, the portal (their own keys and password) last" bash -c 'for p in /admin /admin/policy /admin/users /admin/keys /admin/audit /admin/notices /portal; do
	grep -q "<a href=\"$p\"" "$0" || exit 1; done' "$WB"
CA=$(csrf_in_body)
check "a sign-out form with the session's csrf token" bash -c \
    '[[ $1 =~ ^[0-9a-f]{64}$ ]] && grep -q "action=\"/logout\"" "$0"' "$WB" "$CA"
_curl -I -H "Cookie: __Host-pgpmg=$A" /admin
check "HEAD /admin with the cookie: 200" [ "$ST" = 200 ]
get /admin "$B"
check "a user's cookie on /admin: 403" [ "$ST" = 403 ]
check "403: a page saying so, with the user's nav, no redirect" bash -c \
    'grep -q "for administrators" "$0" && grep -q "href=\"/portal\"" "$0" && ! grep -q "href=\"/admin/policy\"" "$0"' "$WB"
check "403: no Location" [ -z "$(hdr Location)" ]
CB=$(csrf_in_body)
check "403: a sign-out form with the session's csrf token" bash -c \
    '[[ $1 =~ ^[0-9a-f]{64}$ ]] && grep -q "action=\"/logout\"" "$0"' "$WB" "$CB"
_curl -I -H "Cookie: __Host-pgpmg=$B" /admin
check "HEAD /admin with the cookie: 403 too" [ "$ST" = 403 ]
if policyd_answers_ops; then
	get /admin "$A"
	check "the admin's cookie opens /admin: 200" [ "$ST" = 200 ]
	check "the page names who is signed in, escaped" bash -c \
	    'grep -qF "Alice &lt;Liddell&gt;" "$0" && grep -qF "alice@example.com" "$0" && ! grep -qF "Alice <Liddell>" "$0"' "$WB"
	check "the admin's nav, the portal last" bash -c 'for p in /admin /admin/policy /admin/users /admin/keys /admin/audit /admin/notices /portal; do
		grep -q "<a href=\"$p\"" "$0" || exit 1; done' "$WB"
	CA=$(csrf_in_body)
	post /logout "$A" "csrf=$CA"
	[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && ok "the admin signs out" || not_ok "admin logout: $ST"
	get /admin "$A"
	check "and the admin's old cookie goes to /login" [ "$ST" = 303 ]
else
	echo "# SKIP until policyd answers IMSG_WEBD_OP: an admin's cookie opens /admin (200), the admin's nav, the admin signs out"
fi
get /admin
[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && ok "no cookie: 303 to /login" || not_ok "no cookie: $ST"
n0=$(lookups)
for bad in "${B:0:63}" "${B^^}" "${B}0" "$B; __Host-pgpmg=$B" "x$B" ' '; do
	get /admin "$bad"
	[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] || break
done
check "malformed cookies (short, upper case, long, twice, empty): 303 to /login" [ "$ST" = 303 ]
check "and no session lookup for any of them" [ "$(lookups)" = "$n0" ]
get /admin "$(printf '%064d' 7)"
[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && [ "$(lookups)" = $((n0 + 1)) ] &&
    ok "an unknown session: asked, 303 to /login" || not_ok "unknown session: $ST"
[[ "$(set_cookie)" =~ ^__Host-pgpmg=\;\ Max-Age=0\; ]] && ok "and the stale cookie is cleared" ||
    not_ok "unknown session's Set-Cookie: $(set_cookie)"
_curl -H "Cookie: theme=dark; __Host-pgpmg=$B; other=1" /admin
check "the cookie among others: looked up (403 for bob)" [ "$ST" = 403 ]

# ---------------------------------------------------------------- CSRF
# A second session of bob's, for another session's token.
login bob@example.com "$PW_BOB" || not_ok "bob's second sign-in: $ST"
B2=$SID
get /admin "$B2"
CB2=$(csrf_in_body)
check "two sessions, two tokens" bash -c '[ -n "$0" ] && [ "$0" != "$1" ]' "$CB" "$CB2"
n_ref=$(grep -c 'refused:' "$LOG")
_curl -H "Cookie: __Host-pgpmg=$B" --data-urlencode "csrf=$CB" /logout
check "POST without Origin: 403" [ "$ST" = 403 ]
post_h "Origin: https://evil.example" /logout "$B" "csrf=$CB"
check "POST with a foreign Origin: 403" [ "$ST" = 403 ]
post_h "Origin: null" /logout "$B" "csrf=$CB"
check "POST with Origin: null: 403" [ "$ST" = 403 ]
_curl -H "Origin: http://127.0.0.1:$WEB_PORT" -H "Cookie: __Host-pgpmg=$B" --data-urlencode "csrf=$CB" /logout
check "POST with an http:// Origin: 403" [ "$ST" = 403 ]
post_h "Origin: $ORIGIN" /logout "$B" "csrf=$CB"
check "POST with two Origins: 403" [ "$ST" = 403 ]
_curl -H "Origin:" -H "Sec-Fetch-Site: cross-site" --data-urlencode "address=alice@example.com" --data-urlencode "password=x" /login
check "no Origin, Sec-Fetch-Site: cross-site: 403" [ "$ST" = 403 ]
_curl -H "Origin:" -H "Sec-Fetch-Site: same-origin" --data-urlencode "address=alice@example.com" --data-urlencode "password=x" /login
check "no Origin, Sec-Fetch-Site: same-origin: taken (401, a wrong password)" [ "$ST" = 401 ]
post /logout "$B" "csrf=${CB:0:63}0"
check "POST /logout with a wrong csrf: 403" [ "$ST" = 403 ]
post /logout "$B"
check "POST /logout without csrf: 403" [ "$ST" = 403 ]
post /logout "$B" "csrf=$CB" "csrf=$CB"
check "POST /logout with csrf twice: 403" [ "$ST" = 403 ]
post /logout "$B" "csrf=$CB2"
check "POST /logout with another session's token: 403" [ "$ST" = 403 ]
get /admin "$B"
check "after them the session is alive (403, not 303)" [ "$ST" = 403 ]
[ "$(($(grep -c 'refused:' "$LOG") - n_ref))" -ge 10 ] && ok "each refusal is logged" ||
    not_ok "refusals logged: $(($(grep -c 'refused:' "$LOG") - n_ref))"
check "no token in the log" bash -c '! grep -qF "$1" "$0" && ! grep -qF "$2" "$0" && ! grep -qF "$3" "$0"' "$LOG" "$CB" "$B" "$A"
post /logout "" "csrf=$CB"
[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && ok "POST /logout without a session: 303 to /login, nothing to end" ||
    not_ok "logout without session: $ST"

# ---------------------------------------------------------------- logout
base=$(last_audit)
post /logout "$B2" "csrf=$CB2"
[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && ok "a session signs out: 303 to /login" || not_ok "logout: $ST"
[[ "$(set_cookie)" =~ ^__Host-pgpmg=\;\ Max-Age=0\;\ Path=/\;\ Secure\;\ HttpOnly\;\ SameSite=Strict$ ]] &&
    ok "the cookie is cleared (Max-Age=0)" || not_ok "logout Set-Cookie: $(set_cookie)"
[ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'logout' AND id > $base")" = 1 ] &&
    ok "audited as logout" || not_ok "logout rows: $(sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'logout' AND id > $base")"
get /admin "$B2"
[ "$ST" = 303 ] && [ "$(hdr Location)" = /login ] && ok "the old cookie then goes to /login" || not_ok "old cookie: $ST"
post /logout "$B2" "csrf=$CB2"
check "and a form with it is no longer anything (303 to /login)" [ "$ST" = 303 ]
get /admin "$B"
check "bob's other session lives on" [ "$ST" = 403 ]

# ---------------------------------------------------------------- bad input
h() { /usr/bin/python3 "$CLIENT" "$WEB_PORT" "$@"; }
status_of() { awk '/^HTTP\/1\.1 [0-9]/ { s = $2 } END { print s }' <<<"$1"; }
raw_post() {
	local body=$1
	h "POST /login HTTP/1.1\\r\\nHost: 127.0.0.1:$WEB_PORT\\r\\nOrigin: $ORIGIN\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: ${#body}\\r\\nConnection: close\\r\\n\\r\\n$body"
}
out=$(raw_post 'address=%FF%FE@example.com&password=x')
check "a form that is not UTF-8: 400" [ "$(status_of "$out")" = 400 ]
out=$(raw_post 'address=a%00b&password=x')
check "a NUL in the form: 400" [ "$(status_of "$out")" = 400 ]
long=$(printf 'a%.0s' $(seq 1 310))@example.com
post /login "" "address=$long" "password=x"
check "an address of 322 bytes: 400" [ "$ST" = 400 ]
post /login "" "address=alice@example.com" "password=$(printf 'p%.0s' $(seq 1 1025))"
check "a password of 1025 bytes: 400" [ "$ST" = 400 ]
check "over-long input is not sent to policyd (its pid is the same)" [ "$(child_pid policyd)" = "$POLICYD_PID" ]
post /login "" "address=alice@example.com" "password=$(printf 'p%.0s' $(seq 1 1024))"
check "a password of 1024 bytes is asked: 401" [ "$ST" = 401 ]
_curl -H "Origin: $ORIGIN" -H "Content-Type: application/x-www-form-urlencoded" --data-binary "@/dev/fd/3" /login 3< <(head -c 70000 /dev/zero | tr '\0' a)
check "a body of 70000 bytes: 413" [ "$ST" = 413 ]
_curl -H "Origin: $ORIGIN" -H "Content-Type: text/plain" --data-binary "address=a&password=b" /login
check "a text/plain body: 415" [ "$ST" = 415 ]
_curl -H "Origin: $ORIGIN" -H "Content-Type: multipart/form-data; boundary=x" --data-binary "--x--" /login
check "a multipart body: 415" [ "$ST" = 415 ]
get /login
check "after it all, GET /login: 200" [ "$ST" = 200 ]
check "webd and policyd are the same processes" [ "$(child_pid webd) $(child_pid policyd)" = "$WEBD_PID $POLICYD_PID" ]
_curl -X GET /logout
[ "$ST" = 405 ] && [ "$(hdr Allow)" = POST ] && ok "GET /logout: 405, Allow: POST" || not_ok "GET /logout: $ST $(hdr Allow)"
get /favicon.ico
[ "$ST" = 204 ] && [ -z "$(hdr Content-Length)" ] && [ "$(hdr Cache-Control)" = max-age=3600 ] &&
    ok "/favicon.ico: 204, no Content-Length, cacheable" || not_ok "favicon: $ST"

# ---------------------------------------------------------------- waiting
kill -STOP "$POLICYD_PID"
# A request whose connection closes while it waits.
h -t 0.5 "GET /admin HTTP/1.1\\r\\nHost: 127.0.0.1:$WEB_PORT\\r\\nCookie: __Host-pgpmg=$B\\r\\n\\r\\n" >/dev/null
# One that pipelines more than webd holds while it waits: cut off at once,
# not left unread until its deadline (a close would go unseen meanwhile).
out=$(python3 - "$WEB_PORT" "$B" <<'EOF'
import socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20), server_hostname="localhost")
s.sendall(b"GET /admin HTTP/1.1\r\nHost: x\r\nCookie: __Host-pgpmg=%s\r\n\r\n" % sys.argv[2].encode())
time.sleep(0.3)
t = time.monotonic()
try:
    s.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n" * 2500)
    got = s.recv(4096)
    print("closed" if got == b"" else "data", "%.2f" % (time.monotonic() - t))
except (ConnectionError, ssl.SSLError) as e:
    print("closed", "%.2f" % (time.monotonic() - t))
except socket.timeout:
    print("timeout")
EOF
)
[[ $out =~ ^closed\ [0-4]\. ]] && ok "a client that pipelines 90 kB while it waits is closed at once ($out)" ||
    not_ok "pipelining while waiting: $out"
# One that waits out its 30 s, in the background.
h -t 40 "GET /admin HTTP/1.1\\r\\nHost: 127.0.0.1:$WEB_PORT\\r\\nCookie: __Host-pgpmg=$B\\r\\nConnection: close\\r\\n\\r\\n" >"$ENV_DIR/late.out" &
LATE=$!
t0=$(date +%s)
# 253 more fill the table of 256 (the two cut off above keep their slots
# until policyd answers); the next is answered at once.
out=$(python3 - "$WEB_PORT" <<'EOF'
import socket, ssl, sys, time
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def req(i):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname="localhost")
    s.sendall(b"GET /admin HTTP/1.1\r\nHost: x\r\nCookie: __Host-pgpmg=%064x\r\n\r\n" % (i + 1))
    return s
held = [req(i) for i in range(253)]
time.sleep(0.5)
t = time.monotonic()
s = req(1000)
s.settimeout(10)
data = b""
while b"\r\n\r\n" not in data:
    b = s.recv(4096)
    if not b:
        break
    data += b
ra = [l for l in data.split(b"\r\n") if l.lower().startswith(b"retry-after:")]
print(data.split(b"\r\n")[0].decode(), (ra[0].decode() if ra else "no-retry-after"), "%.2f" % (time.monotonic() - t))
for h in held:
    h.close()
s.close()
EOF
)
[[ $out =~ ^HTTP/1.1\ 503\ Service\ Unavailable\ Retry-After:\ 2\ 0\.[0-9]+$ ]] &&
    ok "256 requests wait: the next is answered 503 at once ($out)" || not_ok "a full table: $out"
wait "$LATE"
t1=$(date +%s)
late=$(cat "$ENV_DIR/late.out")
[ "$(status_of "$late")" = 504 ] && [ $((t1 - t0)) -ge 29 ] && [ $((t1 - t0)) -le 33 ] &&
    ok "a request policyd does not answer: 504 after $((t1 - t0)) s" || {
	not_ok "the late request: $(status_of "$late") after $((t1 - t0)) s"; sed 's/^/#   /' <<<"$late" | head; }
kill -CONT "$POLICYD_PID"
for ((i = 0; i < 100; i++)); do
	[ "$(grep -c 'answered after its connection went away: dropped' "$LOG")" -ge 256 ] && break
	sleep 0.1
done
n=$(grep -c 'answered after its connection went away: dropped' "$LOG")
check "every late answer (256) found no connection and was dropped ($n)" [ "$n" -ge 256 ]
get /admin "$B"
check "then the session is looked up again (403 for bob)" [ "$ST" = 403 ]
check "the same webd and policyd" [ "$(child_pid webd) $(child_pid policyd)" = "$WEBD_PID $POLICYD_PID" ]

# ---------------------------------------------------------------- no database
pg_stop
for ((i = 0; i < 100; i++)); do
	get /admin "$B"
	[ "$ST" = 503 ] && break
	sleep 0.1
done
[ "$ST" = 503 ] && [ "$(hdr Retry-After)" = 10 ] &&
    ok "the database down: a session lookup is 503, Retry-After: 10" || not_ok "database down: $ST"
post /login "" "address=alice@example.com" "password=$PW_ALICE"
[ "$ST" = 503 ] && [ -n "$(hdr Retry-After)" ] && [ -z "$(set_cookie)" ] &&
    ok "and a sign-in is 503 with Retry-After, no cookie" || not_ok "sign-in, database down: $ST"
get /login
check "the sign-in page itself is served" [ "$ST" = 200 ]
check "webd still the same process" [ "$(child_pid webd)" = "$WEBD_PID" ]
grep -E 'webd\[[0-9]+\]: .*(fatal|malformed)' "$LOG" | sed 's/^/# /'
check "nothing fatal in webd's log" bash -c '! grep -qE "webd\[[0-9]+\]: .*fatal" "$0"' "$LOG"

echo "# ${SECONDS}s"
done_testing
