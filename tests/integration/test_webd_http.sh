#!/usr/bin/env bash
# webd's HTTP/1.1-over-TLS core on a running appliance: TLS 1.2 and 1.3
# work, 1.0 and 1.1 and plaintext do not; the security headers are on
# every response, errors included; every malformed or oversized request
# gets its status (400, 405, 408, 413, 414, 431, 501, 505) and the next
# client is served by the same webd; no path reaches outside the web
# root, not even through a symbolic link; a slow client is cut off at
# the head deadline; the connection and request caps hold; nothing of a
# request is echoed.  No database: policyd is not asked for anything yet.
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_env EXIT
CLIENT=$(dirname "$0")/httpsclient.py

NO_DB=1
EXTRA_CONF='web-head-timeout 2
web-body-timeout 2
web-idle-timeout 3
web-max-connections 8
web-max-requests 3'
new_env
# Bait outside the web root, and links to it and within it.
echo "secret outside the web root" >"$ENV_DIR/outside.txt"
chmod 0644 "$ENV_DIR/outside.txt"
ln -s "$ENV_DIR/outside.txt" "$ENV_DIR/www/static/outside.txt"
ln -s ../robots.txt "$ENV_DIR/www/static/inside.txt"
echo "<p>not served</p>" >"$ENV_DIR/www/static/page.html"
echo "hidden" >"$ENV_DIR/www/static/.hidden.txt"
start_appliance || not_ok "appliance did not start"
WEBD_PID=$(child_pid webd)

h() { /usr/bin/python3 "$CLIENT" "$WEB_PORT" "$@"; }
status_of() { awk '/^HTTP\/1\.1 [0-9]/ { s = $2 } END { print s }' <<<"$1"; }
# the bytes of a request, built by python: h - reads them from stdin
gen() { /usr/bin/python3 -c "import sys; sys.stdout.write($1)"; }
GOOD='GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
serves_next() { [ "$(status_of "$(h "$GOOD")")" = 200 ]; }
# Connections still closing count against the cap for a moment.
serves_soon() {
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do serves_next && return 0; sleep 0.2; done
	return 1
}
# expect DESCRIPTION STATUS OUTPUT: the final status, then the next
# client is served.
expect() {
	local d=$1 want=$2 out=$3 got
	got=$(status_of "$out")
	if [ "$got" = "$want" ]; then ok "$d: $want"; else
		not_ok "$d: got ${got:-no answer}, want $want"
		sed 's/^/#   /' <<<"$out" | head -20
	fi
	check "$d: the next request is served" serves_next
}
# Every response carries these, whatever its status.
SECURITY=(
	"Strict-Transport-Security: max-age=31536000; includeSubDomains"
	"Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	"X-Content-Type-Options: nosniff"
	"Referrer-Policy: same-origin"
	"X-Frame-Options: DENY"
)
headers_of() { tr -d '\r' <<<"$1" | sed -n '/^HTTP\/1\.1 [0-9]/,/^$/p'; }
has_security_headers() {
	local hdr l
	hdr=$(headers_of "$1")
	for l in "${SECURITY[@]}"; do grep -qFx "$l" <<<"$hdr" || return 1; done
	grep -qE '^Content-Length: [0-9]+$' <<<"$hdr"
}
has_header() { headers_of "$2" | grep -qFx "$1"; }
body_of() { tr -d '\r' <<<"$1" | sed '1,/^$/d' | grep -v '^END '; }

# ---- TLS
out=$(curl -sk --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' \
    "https://127.0.0.1:$WEB_PORT/login")
check "GET /login over TLS 1.2 (curl): $out" [ "$out" = 200 ]
out=$(curl -sk --tlsv1.3 -o /dev/null -w '%{http_code}' \
    "https://127.0.0.1:$WEB_PORT/login")
check "GET /login over TLS 1.3 (curl): $out" [ "$out" = 200 ]
out=$(h -v 1.2 "$GOOD")
check "TLS 1.2: ECDHE with an AEAD ($(head -1 <<<"$out"))" grep -qE \
    '^TLS TLSv1\.2 ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$' <<<"$out"
check "TLS 1.2: 200" [ "$(status_of "$out")" = 200 ]
out=$(h -v 1.3 "$GOOD")
check "TLS 1.3: $(head -1 <<<"$out")" grep -q '^TLS TLSv1\.3 ' <<<"$out"
for v in tls1 tls1_1; do
	out=$(openssl s_client -connect "127.0.0.1:$WEB_PORT" -"$v" \
	    -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1); rc=$?
	check "-$v is refused (protocol version alert)" bash -c \
	    '[ "$0" -ne 0 ] && grep -q "alert protocol version" <<<"$1"' "$rc" "$out"
done
out=$(openssl s_client -connect "127.0.0.1:$WEB_PORT" -tls1_2 \
    -cipher 'ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0' </dev/null 2>&1); rc=$?
check "TLS 1.2 with CBC suites only is refused (handshake failure)" bash -c \
    '[ "$0" -ne 0 ] && grep -q "alert handshake failure" <<<"$1"' "$rc" "$out"
out=$(openssl s_client -connect "127.0.0.1:$WEB_PORT" -alpn h2 </dev/null 2>&1); rc=$?
check "ALPN h2 alone is refused (no_application_protocol)" bash -c \
    '[ "$0" -ne 0 ] && grep -q "no application protocol" <<<"$1"' "$rc" "$out"
out=$(h -p 'GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n')
check "plain HTTP on the TLS port gets no HTTP answer" \
    bash -c '! grep -q "HTTP/1" <<<"$0"' "$out"
check "after plain HTTP the next request is served" serves_next
out=$(h '')
check "a connection that never asks is closed at the head deadline, silently" \
    bash -c '! grep -q "HTTP/1" <<<"$0" && grep -qE "^END eof [23]\." <<<"$0"' "$out"

# ---- the pages, and the headers on every kind of response
out=$(h "$GOOD")
check "GET /login: 200" [ "$(status_of "$out")" = 200 ]
check "200: every security header" has_security_headers "$out"
check "200: text/html; charset=utf-8" has_header "Content-Type: text/html; charset=utf-8" "$out"
check "200: Cache-Control: no-store" has_header "Cache-Control: no-store" "$out"
check "the login form: address, password, csrf, posting to /login" bash -c \
    'grep -q "name=\"address\"" <<<"$0" && grep -q "type=\"password\"" <<<"$0" &&
    grep -q "name=\"csrf\" value=\"\"" <<<"$0" &&
    grep -q "<form method=\"post\" action=\"/login\">" <<<"$0"' "$out"
len=$(headers_of "$out" | awk -F': ' '$1 == "Content-Length" { print $2 }')
body=$(body_of "$out")
check "Content-Length is the body's length ($len)" \
    [ "$len" -eq "$(printf '%s\n' "$body" | wc -c)" ]
out=$(h 'HEAD /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "HEAD /login: 200, the same Content-Length, no body" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 200 ] &&
    grep -q "^Content-Length: $1" <<<"$0" && ! grep -q "<html" <<<"$0"' "$out" "$len"
out=$(h 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "GET /: 303 to /login" bash -c '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 303 ] &&
    grep -q "^Location: /login" <<<"$0"' "$out"
check "303: every security header" has_security_headers "$out"
out=$(h 'GET /nothere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "GET /nothere: 404" [ "$(status_of "$out")" = 404 ]
check "404: every security header" has_security_headers "$out"
check "404: an HTML page with charset" has_header "Content-Type: text/html; charset=utf-8" "$out"
out=$(h 'GET  /login HTTP/1.1\r\nHost: localhost\r\n\r\n')
check "400: every security header" has_security_headers "$out"
check "400: Connection: close" has_header "Connection: close" "$out"
out=$(h 'POST /robots.txt HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=1&b=2')
check "POST /robots.txt: 405" [ "$(status_of "$out")" = 405 ]
check "405: Allow: GET, HEAD" has_header "Allow: GET, HEAD" "$out"
check "405: every security header" has_security_headers "$out"
out=$(h 'GET /static/pgpmg.css HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "GET /static/pgpmg.css: 200 text/css" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 200 ] &&
    grep -q "^Content-Type: text/css; charset=utf-8" <<<"$0"' "$out"
check "static: every security header" has_security_headers "$out"
# A stylesheet with a brace too few or too many drops every rule after it
# without a word from the browser: its blocks are flat and all closed.
check "the stylesheets' blocks are all closed, none nested" python3 -c '
import re, sys
for f in sys.argv[1:]:
    s = re.sub(r"/\*.*?\*/", "", open(f).read(), flags=re.S)
    d = 0
    for c in s:
        d += {"{": 1, "}": -1}.get(c, 0)
        if d not in (0, 1):
            sys.exit(f)
    if d:
        sys.exit(f)' "$REPO"/webd/www/static/*.css
out=$(h 'GET /robots.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "GET /robots.txt: 200 text/plain, Disallow: /" bash -c \
    'grep -q "^Content-Type: text/plain; charset=utf-8" <<<"$0" &&
    grep -q "^Disallow: /" <<<"$0"' "$out"
out=$(h 'POST /robots.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nabc')
check "Expect: 100-continue: 100, then the final answer" bash -c \
    'grep -q "^HTTP/1.1 100 Continue" <<<"$0" && grep -q "^HTTP/1.1 405 " <<<"$0"' "$out"

# ---- malformed and oversized requests
expect "malformed request line" 400 "$(h 'GET  /login HTTP/1.1\r\nHost: localhost\r\n\r\n')"
expect "bare LF" 400 "$(h 'GET /login HTTP/1.1\nHost: localhost\n\n')"
expect "bare CR" 400 "$(h 'GET /login HTTP/1.1\rHost: localhost\r\n\r\n')"
expect "obs-fold" 400 "$(h 'GET /login HTTP/1.1\r\nHost: localhost\r\nX: 1\r\n folded\r\n\r\n')"
expect "space before the colon" 400 "$(h 'GET /login HTTP/1.1\r\nHost : localhost\r\n\r\n')"
expect "no Host in HTTP/1.1" 400 "$(h 'GET /login HTTP/1.1\r\n\r\n')"
expect "two Hosts" 400 "$(h 'GET /login HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')"
expect "absolute-form target" 400 "$(h 'GET https://evil.example/login HTTP/1.1\r\nHost: localhost\r\n\r\n')"
expect "17 KiB of header fields" 431 "$(gen '"GET /login HTTP/1.1\r\nHost: a\r\n" + "".join("X-%d: %s\r\n" % (i, "a" * 1000) for i in range(17)) + "\r\n"' | h -)"
expect "64 header fields (the limit)" 200 "$(gen '"GET /login HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + "".join("X-%d: v\r\n" % i for i in range(62)) + "\r\n"' | h -)"
expect "65 header fields" 431 "$(gen '"GET /login HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + "".join("X-%d: v\r\n" % i for i in range(63)) + "\r\n"' | h -)"
expect "a 3000-byte target" 414 "$(gen '"GET /" + "a" * 2999 + " HTTP/1.1\r\nHost: a\r\n\r\n"' | h -)"
expect "a 2048-byte target (the limit)" 404 "$(gen '"GET /" + "a" * 2047 + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"' | h -)"
out=$(h -t 5 'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 70000\r\n\r\n')
expect "Content-Length 70000" 413 "$out"
check "413 at once, without waiting for the body ($(tail -1 <<<"$out"))" \
    grep -qE '^END eof 0\.' <<<"$out"
expect "two Content-Lengths" 400 "$(h 'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: 10\r\n\r\nabc')"
expect "a signed Content-Length" 400 "$(h 'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: +3\r\n\r\nabc')"
expect "Transfer-Encoding" 501 "$(h 'POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')"
expect "an unknown method" 501 "$(h 'BREW /login HTTP/1.1\r\nHost: localhost\r\n\r\n')"
expect "PUT" 501 "$(h 'PUT /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n')"
expect "HTTP/2.0 in the request line" 505 "$(h 'GET /login HTTP/2.0\r\nHost: localhost\r\n\r\n')"
expect "HTTP/0.9" 400 "$(h 'GET /login\r\n\r\n')"
expect "NUL in a header" 400 "$(h 'GET /login HTTP/1.1\r\nHost: localhost\r\nX: a\x00b\r\n\r\n')"

# ---- the web root's walls
for p in '/static/../etc/passwd' '/static/%2e%2e/%2e%2e/etc/passwd' \
    '/static/..%2fetc%2fpasswd' '/static/%2e%2e%2f%2e%2e%2fetc%2fpasswd' \
    '//etc/passwd' '/static//etc/passwd' '/static/..%5c..%5cetc%5cpasswd' \
    '/static/%00' '/static/.%2e/outside.txt'; do
	out=$(h "GET $p HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
	s=$(status_of "$out")
	check "$p: $s, nothing from outside" bash -c \
	    '[ "$1" = 400 ] || [ "$1" = 404 ]; r=$?; ! grep -q "root:\|secret outside" <<<"$0" && [ $r -eq 0 ]' "$out" "$s"
done
check "after the traversals the next request is served" serves_next
out=$(h 'GET /static/outside.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "a link in static/ to a file outside is not followed: $(status_of "$out")" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 404 ] && ! grep -q "secret outside" <<<"$0"' "$out"
out=$(h 'GET /static/inside.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')
check "a link in static/ to a file inside is not followed either: $(status_of "$out")" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 404 ] && ! grep -q "Disallow" <<<"$0"' "$out"
expect "a type we do not serve (.html)" 404 "$(h 'GET /static/page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')"
expect "a dot file" 404 "$(h 'GET /static/.hidden.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n')"

# ---- nothing of the request comes back
out=$(h 'GET /%3Cscript%3Ealert(1)%3C/script%3E-m4rk3r?q=%3Cb%3Eq-m4rk3r HTTP/1.1\r\nHost: localhost\r\nX-Echo: <i>h-m4rk3r</i>\r\nConnection: close\r\n\r\n')
check "404 for a path with markup: nothing of it is echoed" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 404 ] &&
    ! grep -qi "m4rk3r\|<script\|alert(1)\|<b>\|<i>" <<<"$0"' "$out"
out=$(h 'GET /<b>p-m4rk3r</b> HTTP/1.1\r\nHost: localhost\r\nBad Name: v-m4rk3r\r\n\r\n')
check "400 for a bad field: nothing of the request is echoed" bash -c \
    '[ "$(awk "/^HTTP/ { print \$2 }" <<<"$0")" = 400 ] && ! grep -q "m4rk3r" <<<"$0"' "$out"

# ---- keep-alive, Connection: close, the request cap
K='GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n'
out=$(h -t 1 "$K$K")
check "two pipelined requests on one connection: two 200s" \
    [ "$(grep -c '^HTTP/1.1 200' <<<"$out")" -eq 2 ]
check "and the connection stays open (idle, not closed)" grep -q '^END timeout' <<<"$out"
out=$(h "$GOOD$K")
check "Connection: close is honoured: one answer, then the close" bash -c \
    '[ "$(grep -c "^HTTP/1.1 200" <<<"$0")" -eq 1 ] && grep -q "^END eof" <<<"$0"' "$out"
out=$(h "$K$K$K$K")
check "web-max-requests 3: three answers, the third says close, then the close" bash -c \
    '[ "$(grep -c "^HTTP/1.1 200" <<<"$0")" -eq 3 ] &&
    [ "$(grep -c "^Connection: close" <<<"$0")" -eq 1 ] && grep -q "^END eof" <<<"$0"' "$out"
out=$(h 'GET /login HTTP/1.0\r\n\r\n')
check "HTTP/1.0: 200 and Connection: close" bash -c \
    'grep -q "^HTTP/1.1 200" <<<"$0" && grep -q "^Connection: close" <<<"$0" &&
    grep -q "^END eof" <<<"$0"' "$out"

# ---- deadlines and the connection cap
K='GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n'
out=$(h -s 1 -t 10 'GET /login HTTP/1.1\r\nHost: localhost\r\n\r\n')
expect "one byte a second: cut off at the head deadline" 408 "$out"
check "cut off after about 2 s ($(tail -1 <<<"$out"))" grep -qE '^END eof [23]\.' <<<"$out"
out=$(h -t 10 'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc')
expect "a body that stops short: cut off at the body deadline" 408 "$out"
check "cut off after about 2 s ($(tail -1 <<<"$out"))" grep -qE '^END eof [23]\.' <<<"$out"
out=$(h -t 10 "$K")
check "an idle keep-alive connection is closed after web-idle-timeout ($(tail -1 <<<"$out"))" \
    bash -c 'grep -q "^HTTP/1.1 200" <<<"$0" && grep -qE "^END eof [34]\." <<<"$0"' "$out"
out=$(h -H 8 -t 3 "$GOOD")
check "a ninth connection over web-max-connections 8 is closed at once" bash -c \
    '! grep -q "HTTP/1" <<<"$0" && grep -qE "^END (eof|error) 0\." <<<"$0"' "$out"
check "once the eight are gone, the next request is served" serves_soon

check "webd is the same process ($WEBD_PID)" [ "$(child_pid webd)" = "$WEBD_PID" ]
check "no fatal in the log" bash -c '! grep -q "fatal" "$0"' "$ENV_DIR/pgpmgd.log"
done_testing
