#!/usr/bin/env bash
# The database goes away in the middle of a load (pg_ctl stop -m
# immediate), then comes back.  Every message either reached the relay
# once, or got a 4xx and went through when sent again after the restart;
# none went out unencrypted where the policy said encrypt (mode all).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/crypto_lib.sh"
trap 'parties_stop; stop_sink; cleanup_env' EXIT

new_env
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"
ctl key generate alice@example.com >/dev/null 2>&1
party bob bob@partner.test
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1
ctl policy set mode all >/dev/null 2>&1
check "policy: encrypt all" grep -q 'all' <(ctl policy show 2>&1)

N=40
send_one() {	# send_one I: prints the final reply code
	printf 'From: alice@example.com\r\nTo: bob@partner.test\r\nSubject: load %s\r\nMessage-ID: <load-%s@test>\r\n\r\nsecret load body %s\r\n' "$1" "$1" "$1" >"$W/m$1.eml"
	send_file alice@example.com bob@partner.test "$W/m$1.eml" |
	    grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' | grep -v ' 221 ' |
	    tail -1 | awk '{ print $2 }'
}
for i in $(seq 1 $N); do
	echo "$i $(send_one "$i")" >>"$W/replies"
	if [ "$i" -eq 10 ]; then
		"$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 ||
		    runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PG_DATA" \
		    -m immediate stop >/dev/null 2>&1
	fi
	if [ "$i" -eq 25 ]; then
		"$REPO/scripts/pg.sh" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null 2>&1
		sleep 3		# policyd's backoff (at most 5 s) and its reload
	fi
done
ok250=$(awk '$2 == 250' "$W/replies" | wc -l)
tmp=$(awk '$2 ~ /^4/' "$W/replies" | wc -l)
other=$(awk '$2 !~ /^(250|4..)$/' "$W/replies" | wc -l)
echo "# $ok250 accepted, $tmp tempfailed, $other other"
check "while the database was down, messages got 4xx ($tmp)" [ "$tmp" -ge 5 ]
check "no message got anything but 250 or 4xx ($other)" [ "$other" -eq 0 ]
# The client retries what got 4xx, as Postfix would.
for i in $(awk '$2 ~ /^4/ { print $1 }' "$W/replies"); do
	r=""
	for t in 1 2 3 4 5; do
		r=$(send_one "$i"); [ "$r" = 250 ] && break; sleep 1
	done
	[ "$r" = 250 ] || not_ok "retry of message $i: $r"
done
wait_sink $N
check "every message reached the relay exactly once" bash -c '
	for i in $(seq 1 "$1"); do
		[ "$(grep -l "^Message-ID: <load-$i@test>" "$0"/* | wc -l)" -eq 1 ] ||
		    { echo "# message $i"; exit 1; }
	done' "$ENV_DIR/sink" "$N"
check "none of them went out in the clear" \
    bash -c '! grep -l "secret load body" "$0"/* >/dev/null 2>&1' "$ENV_DIR/sink"
check "every one is PGP/MIME encrypted" bash -c \
    '[ "$(grep -l "multipart/encrypted" "$0"/* | wc -l)" -eq "$1" ]' "$ENV_DIR/sink" "$N"
check "the appliance stayed up" all_ready
done_testing
