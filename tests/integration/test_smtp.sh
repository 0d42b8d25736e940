#!/usr/bin/env bash
# The mail trip without cryptography: smtp-source -> pgpmg -> smtp-sink.
# 1000 messages over 10 sessions arrive exactly once and byte-identical;
# the envelope's DSN parameters are passed on; LMTP answers per
# recipient; and every fault of the relay or of a stage gets the reply
# Postfix needs, with a retry after the fault delivering exactly once.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtp_lib.sh"
trap 'stop_sink; cleanup_env' EXIT

MSG=$(mktemp /tmp/pgpmg-msg.XXXXXX)
trap 'stop_sink; cleanup_env; rm -f "$MSG"' EXIT
{
	printf 'From: Alice <alice@example.com>\nTo: bob@example.org\n'
	printf 'Subject: pass-through\nMessage-ID: <t1@example.com>\n\n'
	printf '.a line that starts with a dot\n..and two\n.\n'
	for i in $(seq 1 150); do
		printf 'line %03d of the body, long enough to make ten kilobytes..........\n' "$i"
	done
} >"$MSG"

# ---- the baseline: what smtp-source sends, as the sink stores it
new_env
start_sink "$RELAY_PORT" "$ENV_DIR/direct" || not_ok "sink did not start"
smtp-source -F "$MSG" -f alice@example.com -t bob@example.org \
    "127.0.0.1:$RELAY_PORT" >/dev/null 2>&1
sleep 0.2
stop_sink
base=$(find "$ENV_DIR/direct" -type f | head -1)
sink_body "$base" >"$ENV_DIR/expected"
check "baseline body captured" test -s "$ENV_DIR/expected"

# ---- 1000 messages, 10 parallel sessions
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"
t0=$(date +%s%N)
smtp-source -s 10 -m 1000 -d -F "$MSG" -f alice@example.com \
    -t bob@example.org "127.0.0.1:$SMTP_PORT" >"$ENV_DIR/source.log" 2>&1
rc=$?
t1=$(date +%s%N)
check "smtp-source: 1000 messages accepted (rc $rc, $(( (t1 - t0) / 1000000 )) ms)" [ "$rc" -eq 0 ]
for ((i = 0; i < 100; i++)); do
	[ "$(sink_count "$ENV_DIR/sink")" -ge 1000 ] && break
	sleep 0.05
done
n=$(sink_count "$ENV_DIR/sink")
check "the sink received exactly 1000 ($n)" [ "$n" -eq 1000 ]
bad=0
for f in "$ENV_DIR"/sink/*; do
	sink_body "$f" | cmp -s - "$ENV_DIR/expected" || bad=$((bad + 1))
done
check "every body is byte-identical to what was sent ($bad differ)" [ "$bad" -eq 0 ]

# ---- ESMTP envelope: DSN parameters and XFORWARD reach the relay
rm -rf "$ENV_DIR/sink"/*
out=$(smtp_chat "$SMTP_PORT" 'EHLO client.example.com\r\n' \
    'XFORWARD NAME=mx.example.net ADDR=192.0.2.7 PROTO=ESMTP\r\n' \
    'MAIL FROM:<alice@example.com> RET=HDRS ENVID=abc+2B1\r\n' \
    'RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org\r\n' \
    'DATA\r\n' 'Subject: dsn\r\n\r\nhello\r\n.\r\n' 'QUIT\r\n')
check "ESMTP transaction accepted" grep -q '^250 2.0.0' <<<"$out"
f=$(find "$ENV_DIR/sink" -type f | head -1)
env=$(sink_envelope "$f" 2>/dev/null)
echo "$env" | sed 's/^/# /'
check "RET and ENVID passed on" grep -q 'RET=HDRS.*ENVID=abc+2B1\|ENVID=abc+2B1.*RET=HDRS' <<<"$env"
check "NOTIFY and ORCPT passed on" grep -q 'NOTIFY=SUCCESS,FAILURE.*ORCPT=rfc822;bob@example.org' <<<"$env"
stop_appliance

# ---- faults: each gets the right reply, and after it clears a retry
# delivers exactly once
send_one() {	# send_one SUBJECT: one message with swaks; prints the reply lines
	swaks --server "127.0.0.1:$SMTP_PORT" --from alice@example.com \
	    --to bob@example.org --header "Subject: $1" --body "fault test $1" \
	    --hide-informational --timeout 20 2>&1
}
delivered() { grep -l "Subject: $1" "$ENV_DIR"/sink/* 2>/dev/null | wc -l; }

stop_sink
start_appliance || not_ok "appliance did not start"
out=$(send_one relay-down)
check "relay down: 4xx" grep -qE '^<\*\* 4[0-9][0-9] ' <<<"$out"
start_sink "$RELAY_PORT" "$ENV_DIR/sink"
out=$(send_one relay-down)
check "relay back: delivered exactly once" [ "$(delivered relay-down)" -eq 1 ]

stop_sink
start_sink "$RELAY_PORT" "$ENV_DIR/sink" -r RCPT
out=$(send_one relay-4xx)
check "relay answers 4xx: 4xx" grep -qE '^<\*\* 4[0-9][0-9] ' <<<"$out"
stop_sink
start_sink "$RELAY_PORT" "$ENV_DIR/sink"
send_one relay-4xx >/dev/null
check "after the 4xx: delivered exactly once" [ "$(delivered relay-4xx)" -eq 1 ]

stop_sink
start_sink "$RELAY_PORT" "$ENV_DIR/sink" -f DATA
out=$(send_one relay-5xx)
check "relay answers 5xx: 5xx" grep -qE '^<\*\* 5[0-9][0-9] ' <<<"$out"
check "relay 5xx: nothing delivered" [ "$(delivered relay-5xx)" -eq 0 ]
stop_sink
start_sink "$RELAY_PORT" "$ENV_DIR/sink"
send_one relay-5xx >/dev/null
check "after the 5xx cleared: delivered exactly once" [ "$(delivered relay-5xx)" -eq 1 ]

# UTF-8 addresses need SMTPUTF8 at the relay, which smtp-sink lacks: a
# permanent 553 5.6.7, never a downgrade.  An 8-bit body goes through.
out=$(perl "$(dirname "$0")/smtpclient.pl" "$SMTP_PORT" r 'S:EHLO c.example.com\r\n' \
    'S:MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8 BODY=8BITMIME\r\n' \
    'S:RCPT TO:<z\xc3\xbc@example.org>\r\n' 'S:DATA\r\n' \
    'S:Subject: utf8\r\n\r\nhi\r\n.\r\n' 'S:QUIT\r\n')
check "UTF-8 addresses to a relay without SMTPUTF8: 553 5.6.7" grep -q '^553 5.6.7' <<<"$out"
out=$(perl "$(dirname "$0")/smtpclient.pl" "$SMTP_PORT" r 'S:EHLO c.example.com\r\n' \
    'S:MAIL FROM:<alice@example.com> BODY=8BITMIME\r\n' \
    'S:RCPT TO:<bob@example.org>\r\n' 'S:DATA\r\n' \
    'S:Subject: eightbit\r\n\r\ngr\xc3\xbc\xc3\x9fe\r\n.\r\n' 'S:QUIT\r\n')
check "8BITMIME message accepted" grep -q '^250 2.0.0' <<<"$out"
f=$(grep -l '^Subject: eightbit' "$ENV_DIR"/sink/* | head -1)
check "8-bit body relayed unchanged, with BODY=8BITMIME" bash -c \
    'grep -q "^X-Mail-Args: .*BODY=8BITMIME" "$0" &&
     grep -q "^gr$(printf "\xc3\xbc\xc3\x9f")e$" "$0"' "${f:-/nonexistent}"

# a stage killed mid-message: the worker is stopped, gets the job, dies
for w in $(ctl status | awk '$1 ~ /^cryptod#/ { print $2 }'); do
	kill -STOP "$w"
done
send_one stage-killed >"$ENV_DIR/killed.out" &
swaks_pid=$!
sleep 0.5
for w in $(ctl status | awk '$1 ~ /^cryptod#/ { print $2 }'); do
	kill -KILL "$w"
done
t0=$(date +%s%N)
wait "$swaks_pid"
check "a stage killed mid-message: 4xx" grep -qE '^<\*\* 4[0-9][0-9] ' "$ENV_DIR/killed.out"
# the new workers serve the next message within 2 s of the kill
for ((i = 0; i < 40; i++)); do
	send_one stage-killed | grep -q '^<-  250 2.0.0 Ok: relayed' && break
	sleep 0.05
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "new cryptod workers served the next message ${ms} ms after the kill" [ "$ms" -lt 2000 ]
check "after the stage came back: delivered exactly once ($(delivered stage-killed))" \
    [ "$(delivered stage-killed)" -eq 1 ]
stop_appliance

# ---- LMTP: one reply per recipient
new_env
sed -i "s/^listen smtp .*/listen smtp 127.0.0.1:$SMTP_PORT lmtp/" "$CONF"
stop_sink
start_sink "$RELAY_PORT" "$ENV_DIR/sink"
start_appliance || not_ok "appliance did not start (LMTP)"
out=$(smtp_chat "$SMTP_PORT" 'LHLO client.example.com\r\n' \
    'MAIL FROM:<alice@example.com>\r\n' 'RCPT TO:<a@example.org>\r\n' \
    'RCPT TO:<b@example.org>\r\n' 'RCPT TO:<c@example.org>\r\n' \
    'DATA\r\n' 'Subject: lmtp\r\n\r\nhi\r\n.\r\n' 'QUIT\r\n')
n=$(sed -n '/^354/,/^221/p' <<<"$out" | grep -c '^250 2.1.5')
check "LMTP: one 250 per recipient after the data ($n)" [ "$n" -eq 3 ]
stop_appliance

done_testing
