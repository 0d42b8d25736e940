#!/usr/bin/env bash
# A poison message: one that makes a cryptod worker die.  cryptod here is
# the real one built with PGPMG_TEST_POISON (tests/integration/
# poison_cryptod), which dies, as a bug would, on a message carrying
# "X-Test-Poison: die".  Each death gives the message a 4xx and the parent
# a new worker; other mail keeps flowing meanwhile; at the third death the
# message gets its permanent outcome: incoming, delivered unchanged and
# marked failed; outgoing that policy would encrypt, refused with a 5xx and
# never sent in the clear.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/crypto_lib.sh"
MT=$HERE/mailtool.py
POISON_BIN=$(mktemp -d /tmp/pgpmg-poison.XXXXXX)
trap 'parties_stop; stop_sink; cleanup_env; rm -rf "$POISON_BIN"' EXIT
chmod 0755 "$POISON_BIN"
for p in pgpmgd pgpmgctl smtpd keyd policyd webd; do cp "$BIN/$p" "$POISON_BIN/"; done
cp "$BIN/tests/integration/poison_cryptod" "$POISON_BIN/cryptod"

new_env
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_db
"$POISON_BIN/pgpmgd" -d -f "$CONF" >"$ENV_DIR/pgpmgd.log" 2>&1 &
PGPMGD_PID=$!
BIN=$POISON_BIN wait_all_ready 10 || not_ok "appliance did not start"
party bob bob@partner.test
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1

deaths() { grep -c 'cryptod#[0-9]*\[[0-9]*\] killed by signal SIGABRT' "$ENV_DIR/pgpmgd.log"; }
reply() { grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' <<<"$1" | grep -v ' 221 ' | tail -1; }

# An incoming poison message, and a normal one between its tries.
printf 'From: bob@partner.test\r\nTo: alice@example.com\r\nSubject: poison in\r\nX-Test-Poison: die\r\nX-PGPMG-Decryption: ok\r\n\r\nbody of the poison\r\n' >"$W/p1.eml"
printf 'From: bob@partner.test\r\nTo: carol@example.com\r\nSubject: normal %s\r\n\r\nfine\r\n' >"$W/n.eml"
for try in 1 2 3; do
	out=$(send_file bob@partner.test alice@example.com "$W/p1.eml")
	r=$(reply "$out")
	echo "# try $try: $r"
	if [ $try -lt 3 ]; then
		check "incoming poison, try $try: 4xx" grep -qE '^<\*\* +4[0-9][0-9] ' <<<"$r"
	else
		check "incoming poison, try 3: accepted (its permanent outcome)" \
		    grep -qE '^<- +250 ' <<<"$r"
	fi
	check "try $try: the worker died ($try death(s) logged)" [ "$(deaths)" -eq $try ]
	sed "s/%s/$try/" "$W/n.eml" >"$W/n$try.eml"
	BIN=$POISON_BIN wait_all_ready 5
	out=$(send_file bob@partner.test carol@example.com "$W/n$try.eml")
	check "other mail keeps flowing after death $try" accepted "$out"
done
got_message 'Subject: poison in' "$W/got1.eml"
check "incoming poison delivered, marked failed" \
    grep -q '^failed' <("$MT" header "$W/got1.eml" X-PGPMG-Decryption)
check "incoming poison: the forged header from outside is gone" \
    [ "$("$MT" header "$W/got1.eml" X-PGPMG-Decryption | wc -l)" -eq 1 ]
check "incoming poison: body unchanged" grep -q '^body of the poison' "$W/got1.eml"
check "incoming poison delivered exactly once" \
    [ "$(grep -l '^Subject: poison in' "$ENV_DIR"/sink/* | wc -l)" -eq 1 ]

# An outgoing poison message to a recipient whose key is known: policy
# would encrypt it, so its permanent outcome is a 5xx.
printf 'From: alice@example.com\r\nTo: bob@partner.test\r\nSubject: poison out\r\nX-Test-Poison: die\r\n\r\nsecret body\r\n' >"$W/p2.eml"
before=$(deaths)
for try in 1 2 3; do
	out=$(send_file alice@example.com bob@partner.test "$W/p2.eml")
	r=$(reply "$out")
	echo "# try $try: $r"
	BIN=$POISON_BIN wait_all_ready 5
done
check "outgoing poison, third try: 5xx" grep -qE '^<\*\* +5[0-9][0-9] ' <<<"$r"
check "outgoing poison killed three workers" [ $(($(deaths) - before)) -eq 3 ]
check "outgoing poison never reached the relay in the clear" \
    bash -c '! grep -l "secret body" "$0"/* >/dev/null 2>&1' "$ENV_DIR/sink"
# Once known, it is refused at once, without killing a worker.
out=$(send_file alice@example.com bob@partner.test "$W/p2.eml")
check "a known poison message is refused without another death" \
    bash -c 'grep -qE "^<\*\* +5[0-9][0-9] " <<<"$0" && [ "$1" -eq "$2" ]' \
    "$out" "$(($(deaths) - before))" 3
check "the appliance is still up" all_ready
done_testing
