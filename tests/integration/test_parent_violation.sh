#!/usr/bin/env bash
# A child that sends pgpmgd a malformed message or one it may not send is
# treated as compromised: pgpmgd logs the violation, kills it, and
# supervises the death as usual (a cryptod worker is replaced; pgpmgd
# keeps serving).  The offender is tests/integration/evil_child installed
# as cryptod beside a copy of the real binaries.
set -u
. "$(dirname "$0")/lib.sh"
trap 'cleanup_env; rm -rf "${EVIL_BIN:-}"' EXIT

EVIL_BIN=$(mktemp -d /tmp/pgpmg-evil.XXXXXX)
chmod 0755 "$EVIL_BIN"
for p in pgpmgd pgpmgctl smtpd keyd policyd webd; do cp "$BIN/$p" "$EVIL_BIN/"; done
cp "$BIN/tests/integration/evil_child" "$EVIL_BIN/cryptod"

for mode in bad-priority type-not-allowed string-without-nul oversize bytes-left-over; do
	echo "$mode" >"$EVIL_BIN/evil.mode"
	WORKERS=1 new_env
	"$EVIL_BIN/pgpmgd" -d -f "$CONF" >"$ENV_DIR/pgpmgd.log" 2>&1 &
	PGPMGD_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 'protocol violation' "$ENV_DIR/pgpmgd.log")" -ge 2 ] && break
		sleep 0.05
	done
	check "$mode: pgpmgd logs the violation" \
	    grep -q "cryptod#0\[[0-9]*\]: protocol violation" "$ENV_DIR/pgpmgd.log"
	check "$mode: the offender is killed" \
	    grep -q "cryptod#0\[[0-9]*\] killed by signal SIGKILL" "$ENV_DIR/pgpmgd.log"
	check "$mode: and replaced, pgpmgd keeps running" \
	    bash -c 'grep -q "restarting cryptod#0" "$0" && kill -0 "$1"' \
	    "$ENV_DIR/pgpmgd.log" "$PGPMGD_PID"
	check "$mode: the forged line was never written" \
	    bash -c '! grep -q "forged" "$0"' "$ENV_DIR/pgpmgd.log"
	cleanup_env
done
done_testing
