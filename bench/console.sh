#!/usr/bin/env bash
# The console's benchmark (issue 6).  In one run, on one private appliance
# with its own PostgreSQL and the first admin made by pgpmgctl:
#   1. a sign-in through webd -> policyd -> scrypt, one after another,
#      against its baseline, the same scrypt in Python in this run (ratio
#      target <= 1.5: the console adds little to the hash it must do);
#   2. sign-ins from 8 clients at once: what policyd's one verifier thread
#      gives (about 1/scrypt per second) and how many were told busy;
#   3. a signed-in page (/admin/policy: a session lookup and three
#      statements) against a static file, each on a new TLS connection;
#   4. mail during a sign-in storm: smtp-source -> smtpd -> cryptod
#      (which asks policyd for every message's plan) -> smtp-sink, alone
#      and while 4 clients sign in without pause (target ratio >= 0.7:
#      the hashes run off policyd's event loop, so planning is not held up).
# Prints numbers and ratios; exits 0 unless something is broken.
#
# Environment: BENCH_LOGINS (10), BENCH_PARALLEL (24), BENCH_PAGES (30),
# BENCH_MSGS (300).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
. tests/integration/lib.sh

LOGINS=${BENCH_LOGINS:-10}
PARALLEL=${BENCH_PARALLEL:-24}
PAGES=${BENCH_PAGES:-30}
MSGS=${BENCH_MSGS:-300}
LOAD="python3 $REPO/bench/console_load.py"

echo "== bench/console.sh: $LOGINS sign-ins, $PARALLEL from 8 clients, $PAGES pages, $MSGS messages alone and in a sign-in storm"
for t in smtp-source smtp-sink python3 psql; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (make deps)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 0; }
[ -x "$BIN/pgpmgd" ] || { echo "BROKEN: $BIN/pgpmgd missing (make)"; exit 1; }
scripts/ensure-users.sh || { echo "BROKEN: cannot create pgpmg users"; exit 1; }

SINK_PID=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	[ -n "$SINK_PID" ] && { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; }
	cleanup_env
}
trap cleanup EXIT
new_env
sed -i 's/^log-level debug$/log-level info/' "$CONF"
smtp-sink -u nobody -c "127.0.0.1:$RELAY_PORT" 1024 >"$ENV_DIR/sink.out" 2>"$ENV_DIR/sink.err" &
SINK_PID=$!
start_appliance || { echo "BROKEN: appliance did not start"; tail -20 "$ENV_DIR/pgpmgd.log"; exit 1; }
PW=$(ctl user add admin@example.com --admin 2>/dev/null) || { echo "BROKEN: user add --admin"; exit 1; }
load() { $LOAD "$WEB_PORT" admin@example.com "$PW" "$@"; }
med() { sed -nE 's/.* median=([0-9.]+).*/\1/p'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

base=$(load scrypt "$LOGINS") || { echo "BROKEN: scrypt baseline"; exit 1; }
seq=$(load login "$LOGINS") || { echo "BROKEN: sign-ins failed: $seq"; exit 1; }
echo "$base"; echo "$seq"
echo "sign-in / scrypt: $(ratio "$(med <<<"$seq")" "$(med <<<"$base")") (target <= 1.5)"

par=$(load parallel "$PARALLEL") || { echo "BROKEN: parallel sign-ins: $par"; exit 1; }
echo "$par"
echo "sign-ins per second from 8 clients x scrypt: $(awk -v a="$(sed -nE 's/.*logins_per_s=([0-9.]+).*/\1/p' <<<"$par")" \
    -v b="$(med <<<"$base")" 'BEGIN { printf "%.2f", a * b }') (one verifier thread: about 1)"
pages=$(load pages "$PAGES") || { echo "BROKEN: pages: $pages"; exit 1; }
echo "$pages"
echo "signed-in page / static file: $(ratio "$(grep ^page <<<"$pages" | med)" "$(grep ^static <<<"$pages" | med)")"

# mail MSGS: seconds for smtp-source to hand them all over.
mail() {
	local t0 t1
	t0=$(date +%s.%N)
	smtp-source -s 4 -m "$MSGS" -l 2048 -f sender@example.com -t rcpt@partner.example \
	    "127.0.0.1:$SMTP_PORT" || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
alone=$(mail) || { echo "BROKEN: smtp-source"; exit 1; }
storm_s=$(awk -v a="$alone" 'BEGIN { s = int(a * 3) + 5; print s }')
load storm "$storm_s" >"$ENV_DIR/storm.out" &
STORM=$!
sleep 2
busy=$(mail) || { echo "BROKEN: smtp-source in the storm"; exit 1; }
wait "$STORM"
echo "mail alone: $alone s; in the sign-in storm: $busy s; $(cat "$ENV_DIR/storm.out")"
echo "mail throughput in the storm / alone: $(ratio "$alone" "$busy") (target >= 0.7)"
