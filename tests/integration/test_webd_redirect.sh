#!/usr/bin/env bash
# The plain-HTTP listener (listen web-redirect) on a running appliance:
# every request it takes is answered 301 to the console at
# https://HOST:WEB_PORT with its path and query as sent, and the
# connection closed; a Host that is no name or address, a missing Host,
# a target outside RFC 3986's origin-form and every malformed head are
# 400 (or the parser's other status), in plain HTTP and without HSTS but
# with the other security headers; a TLS ClientHello is a 400; the head
# deadline and the connection cap are the console's; nothing else is ever
# served there (no file, no page, no cookie); the console itself is
# unchanged.  Then an appliance without the key: nothing listens there.
# No database: nothing here asks policyd for anything.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_env EXIT
CLIENT=$(dirname "$0")/httpsclient.py

NO_DB=1
RPORT=$(free_port)
EXTRA_CONF="listen web-redirect 127.0.0.1:$RPORT
web-head-timeout 2
web-max-connections 8"
new_env
# new_env picked its ports without knowing ours
if [ "$RPORT" = "$WEB_PORT" ] || [ "$RPORT" = "$SMTP_PORT" ] ||
    [ "$RPORT" = "$RELAY_PORT" ]; then
	echo "Bail out! the redirect's port $RPORT collided; run again"
	exit 1
fi
start_appliance || not_ok "appliance did not start"
WEBD_PID=$(child_pid webd)
# ss names every process that holds a listening socket: webd (in a
# network namespace of its own) holds the two the parent made.
webd_listeners() { ss -Htlnp | grep -c "pid=$WEBD_PID,"; }
check "webd holds two listeners, the console's and the redirect's ($(webd_listeners))" \
    [ "$(webd_listeners)" -eq 2 ]
check "the redirect listens on 127.0.0.1:$RPORT" bash -c \
    '[ -n "$(ss -Htln "src 127.0.0.1 and sport = :$0")" ]' "$RPORT"

# r: raw plain HTTP to the redirect listener; h: raw HTTPS to the console
r() { /usr/bin/python3 "$CLIENT" "$RPORT" -p "$@"; }
h() { /usr/bin/python3 "$CLIENT" "$WEB_PORT" "$@"; }
status_of() { awk '/^HTTP\/1\.1 [0-9]/ { s = $2 } END { print s }' <<<"$1"; }
headers_of() { tr -d '\r' <<<"$1" | sed -n '/^HTTP\/1\.1 [0-9]/,/^$/p'; }
has_header() { headers_of "$2" | grep -qFx "$1"; }
location_of() { headers_of "$1" | sed -n 's/^Location: //p'; }
gen() { /usr/bin/python3 -c "import sys; sys.stdout.write($1)"; }
HOST=127.0.0.1:$RPORT
CONSOLE=https://127.0.0.1:$WEB_PORT
GOOD="GET /login HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n"
serves_next() { [ "$(location_of "$(r "$GOOD")")" = "$CONSOLE/login" ]; }
serves_soon() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do serves_next && return 0; sleep 0.2; done
	return 1
}
# Every response of webd's but HSTS, which plain HTTP must not carry.
SECURITY=(
	"Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	"X-Content-Type-Options: nosniff"
	"Referrer-Policy: same-origin"
	"X-Frame-Options: DENY"
)
plain_headers() {
	local hdr l
	hdr=$(headers_of "$1")
	for l in "${SECURITY[@]}"; do grep -qFx "$l" <<<"$hdr" || return 1; done
	grep -qE '^Content-Length: [0-9]+$' <<<"$hdr" &&
	    grep -qFx "Connection: close" <<<"$hdr" &&
	    ! grep -qi '^Strict-Transport-Security' <<<"$hdr" &&
	    ! grep -qi '^Set-Cookie' <<<"$hdr"
}
# moved DESCRIPTION OUTPUT LOCATION: a 301 there, plain headers, closed
moved() {
	local d=$1 out=$2 want=$3 got
	got=$(location_of "$out")
	if [ "$(status_of "$out")" = 301 ] && [ "$got" = "$want" ]; then
		ok "$d: 301 to $want"
	else
		not_ok "$d: got $(status_of "$out") ${got:-no Location}, want 301 $want"
		sed 's/^/#   /' <<<"$out" | head -20
	fi
	check "$d: the security headers but HSTS, Connection: close" \
	    plain_headers "$out"
	check "$d: the connection is closed" grep -q '^END eof' <<<"$out"
}
# refused DESCRIPTION STATUS OUTPUT: that status, plain headers, closed,
# and the next client is redirected
refused() {
	local d=$1 want=$2 out=$3 got
	got=$(status_of "$out")
	if [ "$got" = "$want" ]; then ok "$d: $want"; else
		not_ok "$d: got ${got:-no answer}, want $want"
		sed 's/^/#   /' <<<"$out" | head -20
	fi
	check "$d: no Location, no HSTS, the other security headers" \
	    plain_refusal "$out"
	check "$d: the next request is redirected" serves_next
}
plain_refusal() { [ -z "$(location_of "$1")" ] && plain_headers "$1"; }

# ---- the redirect
out=$(r "$GOOD")
moved "GET /login" "$out" "$CONSOLE/login"
check "301: Moved Permanently, no body, not stored" bash -c \
    'grep -q "^HTTP/1.1 301 Moved Permanently" <<<"$0" &&
    grep -q "^Content-Length: 0" <<<"$0" && grep -q "^Cache-Control: no-store" <<<"$0" &&
    ! grep -q "^Content-Type" <<<"$0"' "$(headers_of "$out")"
out=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://$HOST/login")
check "curl: 301 to $CONSOLE/login ($out)" [ "$out" = "301 $CONSOLE/login" ]
out=$(curl -skL -o /dev/null -w '%{http_code} %{url_effective}' "http://$HOST/login")
check "curl -L lands on the console's sign-in page ($out)" \
    [ "$out" = "200 $CONSOLE/login" ]
T='/static/a%20b/%2e%2E/%2F%E2%82%AC?q=a%2Bb&r=%41&s=/?x:@!$()*+,;=~_.-'
out=$(r "GET $T HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")
moved "a path and query with escapes, byte for byte" "$out" "$CONSOLE$T"
out=$(r "GET / HTTP/1.1\\r\\nHost: Console.Example.COM\\r\\n\\r\\n")
moved "the Host's name, as sent, with the console's port" "$out" \
    "https://Console.Example.COM:$WEB_PORT/"
out=$(r "GET /x HTTP/1.1\\r\\nHost: [::1]:80\\r\\n\\r\\n")
moved "an IPv6 literal, its port replaced" "$out" "https://[::1]:$WEB_PORT/x"
out=$(r "HEAD /login HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")
moved "HEAD /login" "$out" "$CONSOLE/login"
out=$(r "POST /login HTTP/1.1\\r\\nHost: $HOST\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\nContent-Length: 25\\r\\n\\r\\naddress=a&password=secret")
moved "POST /login (301 for every method)" "$out" "$CONSOLE/login"
check "POST: nothing of the body comes back" bash -c '! grep -q secret <<<"$0"' "$out"
out=$(r -t 3 "POST /login HTTP/1.1\\r\\nHost: $HOST\\r\\nContent-Length: 70000\\r\\nExpect: 100-continue\\r\\n\\r\\n")
moved "POST with Expect: 100-continue and no body sent" "$out" "$CONSOLE/login"
check "no 100 Continue, the answer at once ($(tail -1 <<<"$out"))" bash -c \
    '! grep -q "100 Continue" <<<"$0" && grep -qE "^END eof 0\." <<<"$0"' "$out"
out=$(curl -s -o /dev/null -w '%{http_code}' -d 'a=1' "http://$HOST/login")
check "curl POST: 301 ($out)" [ "$out" = 301 ]
out=$(r "GET /login HTTP/1.0\\r\\nHost: $HOST\\r\\n\\r\\n")
moved "HTTP/1.0 with Host" "$out" "$CONSOLE/login"
out=$(r "GET /a HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\nGET /b HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")
moved "two pipelined requests: the first answered" "$out" "$CONSOLE/a"
check "and only the first" [ "$(grep -c '^HTTP/1.1' <<<"$out")" -eq 1 ]
out=$(r -S "$GOOD")
moved "a client that half-closes after its request still gets its answer" \
    "$out" "$CONSOLE/login"

# ---- nothing else is served here
out=$(r "GET /static/pgpmg.css HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")
moved "a static file is not served" "$out" "$CONSOLE/static/pgpmg.css"
check "no stylesheet in it" bash -c '! grep -q "{" <<<"$0"' "$out"
out=$(r "GET /robots.txt HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")
moved "robots.txt is not served" "$out" "$CONSOLE/robots.txt"
out=$(r "GET / HTTP/1.1\\r\\nHost: $HOST\\r\\nCookie: __Host-pgpmg=$(printf 'a%.0s' {1..64})\\r\\n\\r\\n")
moved "a cookie changes nothing" "$out" "$CONSOLE/"

# ---- refused
refused "Host with userinfo" 400 "$(r "GET / HTTP/1.1\\r\\nHost: user@127.0.0.1\\r\\n\\r\\n")"
refused "Host with a bad character" 400 "$(r "GET / HTTP/1.1\\r\\nHost: exa\$mple.com\\r\\n\\r\\n")"
refused "Host with an underscore" 400 "$(r "GET / HTTP/1.1\\r\\nHost: bad_host.example\\r\\n\\r\\n")"
refused "Host ending in a number (a.1)" 400 "$(r "GET / HTTP/1.1\\r\\nHost: a.1\\r\\n\\r\\n")"
refused "Host 1.2.3 (no IPv4 address)" 400 "$(r "GET / HTTP/1.1\\r\\nHost: 1.2.3\\r\\n\\r\\n")"
refused "Host [1.2.3.4] (no IPv6 address)" 400 "$(r "GET / HTTP/1.1\\r\\nHost: [1.2.3.4]\\r\\n\\r\\n")"
refused "a 64-byte label" 400 "$(r "GET / HTTP/1.1\\r\\nHost: $(printf 'a%.0s' {1..64}).example\\r\\n\\r\\n")"
refused "an over-long Host (300 bytes)" 400 "$(gen '"GET / HTTP/1.1\r\nHost: " + ".".join(["a" * 59] * 5) + "\r\n\r\n"' | r -)"
refused "no Host (HTTP/1.1)" 400 "$(r 'GET /login HTTP/1.1\r\n\r\n')"
refused "no Host (HTTP/1.0)" 400 "$(r 'GET /login HTTP/1.0\r\n\r\n')"
refused "two Hosts" 400 "$(r "GET / HTTP/1.1\\r\\nHost: $HOST\\r\\nHost: $HOST\\r\\n\\r\\n")"
refused "a '<' in the target" 400 "$(r "GET /a<b HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")"
refused "a '\"' in the query" 400 "$(r "GET /?q=\" HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")"
refused "a broken escape (%zz)" 400 "$(r "GET /?r=%zz HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")"
refused "absolute-form" 400 "$(r "GET http://evil.example/ HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")"
refused "bare LF" 400 "$(r "GET / HTTP/1.1\\nHost: $HOST\\n\\n")"
refused "PUT (the parser's 501)" 501 "$(r "PUT / HTTP/1.1\\r\\nHost: $HOST\\r\\nContent-Length: 0\\r\\n\\r\\n")"
refused "Transfer-Encoding" 501 "$(r "POST / HTTP/1.1\\r\\nHost: $HOST\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n")"
refused "HTTP/2.0" 505 "$(r "GET / HTTP/2.0\\r\\nHost: $HOST\\r\\n\\r\\n")"
refused "a 3000-byte target" 414 "$(gen '"GET /" + "a" * 2999 + " HTTP/1.1\r\nHost: a\r\n\r\n"' | r -)"
refused "17 KiB of header fields" 431 "$(gen '"GET / HTTP/1.1\r\nHost: a\r\n" + "".join("X-%d: %s\r\n" % (i, "a" * 1000) for i in range(17)) + "\r\n"' | r -)"
out=$(r "GET /<b>m4rk3r</b> HTTP/1.1\\r\\nHost: $HOST\\r\\n\\r\\n")
check "a refused target is not echoed" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 400 ] && ! grep -q m4rk3r <<<"$0"' "$out"

# ---- TLS on the plain port
hello=$(/usr/bin/python3 -c '
import ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
s = ctx.wrap_bio(i, o, server_hostname="localhost")
try:
    s.do_handshake()
except ssl.SSLWantReadError:
    pass
sys.stdout.write("".join("\\x%02x" % b for b in o.read()))')
check "a ClientHello was made (${#hello} characters)" [ "${#hello}" -gt 400 ]
refused "a TLS ClientHello on the plain port" 400 "$(r "$hello")"
out=$(openssl s_client -connect "127.0.0.1:$RPORT" </dev/null 2>&1); rc=$?
check "openssl s_client on the plain port fails (no TLS there)" bash -c \
    '[ "$0" -ne 0 ] && ! grep -q "^New, TLS" <<<"$1"' "$rc" "$out"
check "after TLS on the plain port the next request is redirected" serves_next

# ---- the console's deadline and cap
out=$(r -s 1 -t 10 "$GOOD")
check "one byte a second: 408 at the head deadline ($(tail -1 <<<"$out"))" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 408 ] && grep -qE "^END eof [23]\." <<<"$0"' "$out"
check "408: no HSTS, the other security headers" plain_headers "$out"
out=$(r -t 10 '')
check "a connection that never asks is closed at the head deadline, silently" \
    bash -c '! grep -q "HTTP/1" <<<"$0" && grep -qE "^END eof [23]\." <<<"$0"' "$out"
sleep 1	# connections still closing count against the cap
out=$(r -H 8 -t 3 "$GOOD")
check "a ninth connection over web-max-connections 8 is closed at once" bash -c \
    '! grep -q "HTTP/1" <<<"$0" && grep -qE "^END (eof|error) 0\." <<<"$0"' "$out"
check "once the eight are gone, the next request is redirected" serves_soon
sleep 1
/usr/bin/python3 -c 'import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    for _ in range(8)]
time.sleep(3)' "$RPORT" &
holder=$!
sleep 0.5
out=$(h -t 3 "GET /login HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
check "the cap is shared: eight plain connections leave the console none" bash -c \
    '! grep -q "HTTP/1" <<<"$0" && grep -qE "^END (eof|error) 0\." <<<"$0"' "$out"
wait "$holder"

# ---- the console is unchanged
out=$(h "GET /login HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
check "the console still serves /login over TLS" [ "$(status_of "$out")" = 200 ]
check "and sends HSTS there" has_header \
    "Strict-Transport-Security: max-age=31536000; includeSubDomains" "$out"
out=$(h -p "$GOOD")
check "plain HTTP on the console's port still gets no HTTP answer" \
    bash -c '! grep -q "HTTP/1" <<<"$0"' "$out"

check "webd is the same process ($WEBD_PID)" [ "$(child_pid webd)" = "$WEBD_PID" ]
check "no fatal in the log" bash -c '! grep -q "fatal" "$0"' "$ENV_DIR/pgpmgd.log"

# ---- without listen web-redirect, nothing listens there
cleanup_env
EXTRA_CONF=
new_env
start_appliance || not_ok "the second appliance did not start"
check "without listen web-redirect nothing listens on $RPORT" bash -c \
    '[ -z "$(ss -Htln "sport = :$0")" ]' "$RPORT"
out=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$RPORT/login"); rc=$?
check "and a connection there is refused (curl exit $rc)" [ "$rc" -eq 7 ]
WEBD_PID=$(child_pid webd)
check "webd holds one listener, the console's ($(webd_listeners))" \
    [ "$(webd_listeners)" -eq 1 ]
done_testing
