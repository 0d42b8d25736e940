#!/usr/bin/env bash
# When a message becomes several output messages (recipient groups) and
# one group is relayed while the next fails:
#  - over SMTP there is one reply: the failure's 4xx.  Groups go out one
#    at a time and the first failure stops the rest, so Postfix's retry
#    repeats only the groups already relayed (the stated duplicate risk,
#    docs/postfix.md), and a group never tried is never duplicated;
#  - over LMTP every recipient gets its own reply, and a retry for the
#    failed recipient alone delivers each message exactly once.
# cryptod is replaced here by split_cryptod (one group per recipient);
# the relay is fakerelay.pl, which accepts one message and then 451s.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtp_lib.sh"
SPLIT_BIN=$(mktemp -d /tmp/pgpmg-split.XXXXXX)
trap 'stop_fake; cleanup_env; rm -rf "$SPLIT_BIN"' EXIT
chmod 0755 "$SPLIT_BIN"
for p in pgpmgd pgpmgctl smtpd keyd policyd webd; do cp "$BIN/$p" "$SPLIT_BIN/"; done
cp "$BIN/tests/integration/split_cryptod" "$SPLIT_BIN/cryptod"

start_split() {
	"$SPLIT_BIN/pgpmgd" -d -f "$CONF" >"$ENV_DIR/pgpmgd.log" 2>&1 &
	PGPMGD_PID=$!
	BIN=$SPLIT_BIN wait_all_ready 10
}
start_fake() {	# start_fake ACCEPT
	mkdir -p "$ENV_DIR/sink"
	perl "$(dirname "$0")/fakerelay.pl" "$RELAY_PORT" "$ENV_DIR/sink" "$1" &
	SINK_PID=$!
	for ((i = 0; i < 100; i++)); do
		ss -Htln "sport = :$RELAY_PORT" | grep -q . && return 0
		sleep 0.02
	done
}
# fakerelay forks per connection, and smtpd keeps relay sessions open:
# stop the children too, or smtpd would go on talking to the old one.
stop_fake() { pkill -P "$SINK_PID" 2>/dev/null; stop_sink; }
# copies of RECIPIENT in the sink
copies() { grep -l "^X-Rcpt-Args: <$1>" "$ENV_DIR"/sink/* 2>/dev/null | wc -l; }
RCPTS=('S:RCPT TO:<a@example.org>\r\n' 'S:RCPT TO:<b@example.org>\r\n'
    'S:RCPT TO:<c@example.org>\r\n')
MSG='Subject: groups\r\n\r\none message, three groups\r\n.\r\n'

# ---- SMTP
new_env
start_fake 1
start_split || not_ok "appliance did not start"
out=$(perl "$(dirname "$0")/smtpclient.pl" "$SMTP_PORT" r 'S:EHLO c.example.com\r\n' \
    'S:MAIL FROM:<s@example.com>\r\n' "${RCPTS[@]}" 'S:DATA\r\n' "S:$MSG" 'S:QUIT\r\n')
check "SMTP: group 1 relayed, group 2 failed: the reply is 4xx" \
    grep -qE '^4[0-9][0-9] ' <<<"$(sed -n '/^354/,$p' <<<"$out" | sed -n 2p)"
check "SMTP: group 3 was never tried (c has no copy)" [ "$(copies c@example.org)" -eq 0 ]
check "SMTP: the partial relay is logged" grep -q "1 of 3 groups relayed" "$ENV_DIR/pgpmgd.log"
stop_fake
start_fake 100
out=$(perl "$(dirname "$0")/smtpclient.pl" "$SMTP_PORT" r 'S:EHLO c.example.com\r\n' \
    'S:MAIL FROM:<s@example.com>\r\n' "${RCPTS[@]}" 'S:DATA\r\n' "S:$MSG" 'S:QUIT\r\n')
check "SMTP retry: 250" grep -q '^250 2.0.0 Ok: relayed as 3 messages' <<<"$out"
check "SMTP retry: a got the duplicate the retry risks (2 copies)" [ "$(copies a@example.org)" -eq 2 ]
check "SMTP retry: b and c exactly once" \
    test "$(copies b@example.org)" -eq 1 -a "$(copies c@example.org)" -eq 1
stop_fake
cleanup_env

# ---- LMTP
new_env
sed -i "s/^listen smtp .*/listen smtp 127.0.0.1:$SMTP_PORT lmtp/" "$CONF"
start_fake 1
start_split || not_ok "appliance did not start (LMTP)"
out=$(perl "$(dirname "$0")/smtpclient.pl" "$SMTP_PORT" r 'S:LHLO c.example.com\r\n' \
    'S:MAIL FROM:<s@example.com>\r\n' "${RCPTS[@]:0:2}" 'S:DATA\r\n' "S:$MSG" r 'S:QUIT\r\n')
replies=$(sed -n '/^354/,/^221/p' <<<"$out" | sed '1d;$d')
echo "$replies" | sed 's/^/# /'
ok1=$(grep -c '^250 2.1.5' <<<"$replies"); fail1=$(grep -cE '^4[0-9][0-9] ' <<<"$replies")
check "LMTP: one recipient 250, the other 4xx ($ok1, $fail1)" test "$ok1" -eq 1 -a "$fail1" -eq 1
first=$(grep -l '^X-Rcpt-Args' "$ENV_DIR"/sink/* | head -1)
got=$(grep -o '<[ab]@example.org>' "$first")
other=$([ "$got" = "<a@example.org>" ] && echo b || echo a)
stop_fake
start_fake 100
out=$(perl "$(dirname "$0")/smtpclient.pl" "$SMTP_PORT" r 'S:LHLO c.example.com\r\n' \
    'S:MAIL FROM:<s@example.com>\r\n' "S:RCPT TO:<$other@example.org>\\r\\n" \
    'S:DATA\r\n' "S:$MSG" 'S:QUIT\r\n')
check "LMTP retry of the failed recipient: 250" grep -q '^250 2.1.5' <<<"$out"
check "LMTP: each recipient got exactly one copy" \
    test "$(copies a@example.org)" -eq 1 -a "$(copies b@example.org)" -eq 1

done_testing
