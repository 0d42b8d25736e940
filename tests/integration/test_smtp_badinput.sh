#!/usr/bin/env bash
# Every bad input the issue lists gets a clear reply code, and the next
# client is served: early talkers, pipelining after DATA/BDAT/STARTTLS,
# bare CR/LF and every smuggling form of end-of-data, NUL bytes, 8-bit
# commands without SMTPUTF8, invalid addresses, over-long lines, the size,
# recipient, session, error and time limits, TLS garbage, half-closed
# connections.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtp_lib.sh"
trap 'stop_sink; cleanup_env' EXIT
CLIENT=$(dirname "$0")/smtpclient.pl

SMTP_TLS=yes
EXTRA_CONF='smtp-max-message-size 4096
smtp-max-recipients 100
smtp-max-sessions 4
smtp-command-timeout 2
smtp-data-timeout 2
smtp-max-errors 5
smtp-greet-delay 150'
new_env
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"

c() { perl "$CLIENT" "$SMTP_PORT" "$@"; }
# expect DESCRIPTION PATTERN OUTPUT: the reply matched, and the next
# client is greeted and served.
expect() {
	local d=$1 pat=$2 out=$3
	if grep -qE "$pat" <<<"$out"; then ok "$d"; else
		not_ok "$d"; sed 's/^/#   /' <<<"$out"; fi
	check "$d: the next client is served" serves_next "$SMTP_PORT"
}
TXN=('S:EHLO client.example.com\r\n' 'S:MAIL FROM:<a@example.com>\r\n'
    'S:RCPT TO:<b@example.org>\r\n')
data() { c r "${TXN[@]}" 'S:DATA\r\n' "$@"; }

# ---- before the greeting
out=$(c 's:EHLO early.example.com\r\n' a)
expect "early talker: 554 and closed" '^554 .*before the greeting' "$out"
check "early talker: closed" grep -q '^EOF' <<<"$out"

# ---- pipelining where it is not allowed
out=$(c r 's:EHLO x.example.com\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n' a)
expect "commands pipelined after DATA: 554 5.5.0" '^554 5\.5\.0' "$out"
check "pipelined after DATA: no message accepted" bash -c '! grep -q "^250 2.0.0" <<<"$0"' "$out"

# BDAT: the chunk is exactly its counted bytes; what follows is a command
out=$(c r "${TXN[@]}" 's:BDAT 20 LAST\r\nSubject: x\r\n\r\nbody\r\nMAIL FROM:<c@example.com>\r\n' r r 'S:QUIT\r\n')
expect "bytes after a BDAT chunk are the next command" '^250 2\.1\.0' \
    "$(sed -n '/BDAT\|^250 2.0.0 Ok: relayed/,$p' <<<"$out" | tail -n +2)"
check "BDAT message relayed before the next command" grep -q '^250 2.0.0 Ok: relayed' <<<"$out"

out=$(c r 'S:EHLO x.example.com\r\n' 's:STARTTLS\r\nMAIL FROM:<a@example.com>\r\n' a)
expect "plaintext pipelined after STARTTLS: 220 only" '^220 2\.0\.0' "$out"
check "plaintext after STARTTLS: no reply to the injected MAIL" \
    bash -c '! grep -q "^250 2.1.0" <<<"$0"' "$out"

# ---- the data: bare CR/LF and every smuggling form of end-of-data
declare -A SMUGGLE=(
	["<LF>.<LF>"]='s:Subject: x\r\n\r\nhi\n.\nMAIL FROM:<e@example.com>\r\n'
	["<CR>.<CR>"]='s:Subject: x\r\n\r\nhi\r.\rMAIL FROM:<e@example.com>\r\n'
	["<LF>.<CR><LF>"]='s:Subject: x\r\n\r\nhi\n.\r\nMAIL FROM:<e@example.com>\r\n'
	["<CR><LF>.<LF>"]='s:Subject: x\r\n\r\nhi\r\n.\nMAIL FROM:<e@example.com>\r\n'
	["<CR><LF>.<CR>"]='s:Subject: x\r\n\r\nhi\r\n.\rMAIL FROM:<e@example.com>\r\n'
	["<CR>.<CR><LF>"]='s:Subject: x\r\n\r\nhi\r.\r\nMAIL FROM:<e@example.com>\r\n'
	["bare LF in a line"]='s:Subject: x\r\n\r\nhi\nthere\r\n.\r\n'
	["bare CR in a line"]='s:Subject: x\r\n\r\nhi\rthere\r\n.\r\n'
)
for form in "${!SMUGGLE[@]}"; do
	out=$(data "${SMUGGLE[$form]}" a)
	expect "data with $form: 5xx and closed" '^5[0-9][0-9] 5\.5\.2' "$out"
	check "data with $form: nothing relayed" bash -c \
	    '! grep -q "^250 2.0.0" <<<"$0" && grep -q "^EOF" <<<"$0"' "$out"
done

out=$(c r 'S:NOOP\n' 'S:QUIT\r\n')
expect "bare LF ending a command: 500 5.5.2" '^500 5\.5\.2' "$out"

# ---- NUL, 8-bit, addresses, long lines
out=$(c r 'S:NO\0OP\r\n' 'S:QUIT\r\n')
expect "NUL in a command: 500" '^50[01] ' "$out"
out=$(data 'S:Subject: x\r\n\r\nnul\0here\r\n.\r\n' 'S:QUIT\r\n')
expect "NUL in the data: 554 5.6.0" '^554 5\.6\.0' "$out"
out=$(c r 'S:EHLO x.example.com\r\n' 'S:MAIL FROM:<j\xc3\xb6rg@example.com>\r\n' 'S:QUIT\r\n')
expect "8-bit address without SMTPUTF8: 553 5.6.7" '^553 5\.6\.7' "$out"
out=$(c r 'S:EHLO x.example.com\r\n' 'S:NOOP \xff\xfe\r\n' 'S:QUIT\r\n')
expect "8-bit junk in a command: 500 5.5.2" '^500 5\.5\.2' "$out"
out=$(c r 'S:EHLO x.example.com\r\n' 'S:MAIL FROM:<a@@example.com>\r\n' 'S:QUIT\r\n')
expect "invalid sender: 501 5.1.7" '^501 5\.1\.7' "$out"
out=$(c r 'S:EHLO x.example.com\r\n' 'S:MAIL FROM:<a@example.com>\r\n' 'S:RCPT TO:<no domain>\r\n' 'S:QUIT\r\n')
expect "invalid recipient: 501 5.1.3" '^501 5\.1\.3' "$out"
long=$(printf 'x%.0s' $(seq 1 600))
out=$(c r "S:NOOP $long\\r\\n" 'S:QUIT\r\n')
expect "command line over 512: 500 5.5.2" '^500 5\.5\.2' "$out"
line=$(printf 'y%.0s' $(seq 1 999))
out=$(data "S:Subject: x\\r\\n\\r\\n$line\\r\\n.\\r\\n" 'S:QUIT\r\n')
expect "text line over 998: 500 5.5.6" '^500 5\.5\.6' "$out"

# ---- limits
out=$(c r 'S:EHLO x.example.com\r\n' 'S:MAIL FROM:<a@example.com> SIZE=999999\r\n' 'S:QUIT\r\n')
expect "SIZE above the limit: 552 5.3.4" '^552 5\.3\.4' "$out"
big=$(printf 'z%.0s' $(seq 1 900))
out=$(data "S:Subject: x\\r\\n\\r\\n$big\\r\\n$big\\r\\n$big\\r\\n$big\\r\\n$big\\r\\n.\\r\\n" 'S:QUIT\r\n')
expect "message above the limit: 552 5.3.4" '^552 5\.3\.4' "$out"
ehlo=$(c r 'S:EHLO x.example.com\r\n' 'S:QUIT\r\n')
check "EHLO announces SIZE 4096" grep -q '^250-SIZE 4096' <<<"$ehlo"
steps=(r 'S:EHLO x.example.com\r\n' 'S:MAIL FROM:<a@example.com>\r\n')
for i in $(seq 1 101); do steps+=("S:RCPT TO:<r$i@example.org>\\r\\n"); done
steps+=('S:QUIT\r\n')
out=$(c "${steps[@]}")
n=$(grep -c '^250 2.1.5' <<<"$out")
expect "recipient 101: 452 4.5.3 (100 accepted: $n)" '^452 4\.5\.3' "$out"
out=$(c r 'S:FOO\r\n' 'S:BAR\r\n' 'S:BAZ\r\n' 'S:QUX\r\n' 'S:QUUX\r\n' a)
expect "five errors: 421 4.7.0 and closed" '^421 4\.7\.0' "$out"
out=$(c r p:2600 a)
expect "silence past the command timeout: 421 4.4.2" '^421 4\.4\.2' "$out"
out=$(data 's:Subject: slow\r\n\r\nand then nothing' p:2600 a)
expect "silence inside DATA past the data timeout: 421 4.4.2" '^421 4\.4\.2' "$out"
check "data timeout: nothing relayed" bash -c '! grep -q "^250 2.0.0" <<<"$0"' "$out"
# hold the session limit (4), then one more
holders=()
for i in 1 2 3 4; do c r p:1500 >/dev/null & holders+=($!); done
sleep 0.5
out=$(perl "$CLIENT" "$SMTP_PORT" a)
wait "${holders[@]}"
expect "a session beyond the limit: 421 4.7.0" '^421 4\.7\.0' "$out"

# ---- TLS: a real handshake works, garbage does not wedge the server
out=$( (printf 'EHLO tls.example.com\r\n'; sleep 1; printf 'QUIT\r\n'; sleep 1) |
    timeout 10 openssl s_client -connect "127.0.0.1:$SMTP_PORT" -starttls smtp \
    -ign_eof -quiet 2>/dev/null)
check "STARTTLS: EHLO and QUIT over TLS" bash -c \
    'grep -q "^250-PIPELINING" <<<"$0" && grep -q "^221 " <<<"$0"' "$out"
check "STARTTLS: not offered again inside TLS" bash -c '! grep -q STARTTLS <<<"$0"' "$out"
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$SMTP_PORT" -starttls smtp \
    -tls1_1 </dev/null 2>&1)
check "STARTTLS: TLS 1.1 refused" grep -q "Cipher is (NONE)" <<<"$out"
out=$(c r 'S:EHLO x.example.com\r\n' 'S:STARTTLS\r\n' 's:\x16\x03\x01\x00\x05garbagegarbage\r\n' a)
expect "garbage in the TLS handshake: connection closed" '^EOF' "$out"

# ---- half-closed connections
out=$(c r 'S:EHLO x.example.com\r\n' 's:MAIL FROM:<a@example.com>\r\n' h a)
expect "half-closed after a command: answered, then closed" '^EOF' "$out"
out=$(data 's:Subject: x\r\n\r\nhalf a message' h a)
expect "half-closed in the middle of the data: closed" '^EOF' "$out"
check "half-closed data: nothing relayed" bash -c '! grep -q "^250 2.0.0" <<<"$0"' "$out"

done_testing
