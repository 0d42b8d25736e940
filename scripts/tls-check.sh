#!/usr/bin/env bash
# tls-check.sh — testssl.sh against a private appliance (its test
# certificate from scripts/mkcert.sh): webd's HTTPS port, and smtpd's SMTP
# port through STARTTLS.  Each run is judged by the severities in
# testssl's JSON findings (scripts/testssl-verdict.py): no SSLv3, TLS 1.0
# or 1.1, no weak cipher, no vulnerability, nothing else above INFO but the
# test certificate's own shortcomings.  Prints TAP (scripts/check.sh runs
# it too); exits non-zero when anything failed.
#
#   make tls-check        or, after `make all`:   scripts/tls-check.sh
#
# testssl stays on loopback: the targets are addresses (--ip, and
# --nodns none: no lookup at all), and without --phone-out it fetches no
# CRL and asks no OCSP responder.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/integration/lib.sh

TESTSSL=/usr/bin/testssl
# One target takes about 75 s alone on two cores, 100-160 s with both at
# once: five minutes means a hang, not a slow machine.
TESTSSL_TIMEOUT=300
# testssl's own bounds for a TCP connect and one openssl call: loopback
# answers at once, so a few seconds only catch a daemon that stopped.
TESTSSL_CONNECT_TIMEOUT=5
TESTSSL_OPENSSL_TIMEOUT=10
# What testssl checks: protocols, cipher categories, forward secrecy,
# server preferences, server defaults (the certificate) and every
# vulnerability; headers on HTTPS.  Left out: the per-cipher listing and
# client simulations, which inform and judge nothing above.
TESTSSL_CHECKS=(-p -s -f -P -S -U)

bin_copy=
cleanup() {
	cleanup_env
	[ -n "$bin_copy" ] && rm -rf "$bin_copy"
}
trap cleanup EXIT

fail() { not_ok "tls-check: $*"; done_testing; exit 1; }

[ -x "$TESTSSL" ] || fail "$TESTSSL not found (make deps)"
[ -x "$BIN/pgpmgd" ] || fail "$BIN/pgpmgd not found (make all)"
# The children run as their own users and must reach their binaries (as
# in scripts/check.sh): a checkout in a private directory is copied.
if ! runuser -u _pgpmg_keyd -- test -x "$BIN/keyd" 2>/dev/null; then
	bin_copy=$(mktemp -d /tmp/pgpmg-bin.XXXXXX)
	chmod 0755 "$bin_copy"
	for p in pgpmgd pgpmgctl smtpd cryptod keyd policyd webd; do
		cp "$BIN/$p" "$bin_copy/" || fail "cannot copy $BIN/$p"
	done
	BIN=$bin_copy
fi

# TLS on both listeners; no database: nothing here reaches policyd.
NO_DB=1
SMTP_TLS=yes
new_env
start_appliance || {
	sed 's/^/# /' "$ENV_DIR/pgpmgd.log" | tail -20
	fail "the appliance did not start"
}

# testssl NAME TARGET [OPTIONS]: one run in the background, its findings
# in $ENV_DIR/NAME.json and its report in $ENV_DIR/NAME.txt.
testssl_start() {
	local name=$1 target=$2
	shift 2
	timeout -k 10 "$TESTSSL_TIMEOUT" "$TESTSSL" --quiet --color 0 \
	    --warnings batch --nodns none --ip 127.0.0.1 \
	    --connect-timeout "$TESTSSL_CONNECT_TIMEOUT" \
	    --openssl-timeout "$TESTSSL_OPENSSL_TIMEOUT" \
	    "${TESTSSL_CHECKS[@]}" "$@" --jsonfile "$ENV_DIR/$name.json" \
	    "$target" </dev/null >"$ENV_DIR/$name.txt" 2>&1
}

# Both at once: testssl is mostly bash forking openssl, so two runs on two
# cores gain little (135 s against 150 one after the other, seen once).  webd at /login, a
# page that answers 200, for the header checks.
SECONDS=0
(cd "$ENV_DIR" && testssl_start webd "https://127.0.0.1:$WEB_PORT/login" -h) &
web_pid=$!
(cd "$ENV_DIR" && testssl_start smtpd "127.0.0.1:$SMTP_PORT" -t smtp) &
smtp_pid=$!
wait "$web_pid"; web_rc=$?
wait "$smtp_pid"; smtp_rc=$?
echo "# testssl: both targets in ${SECONDS}s"

# testssl's exit status adds up its checks' return values (a check that
# met something odd counts); only a timeout means no verdict.  The
# findings decide.
for t in webd:$web_rc smtpd:$smtp_rc; do
	name=${t%%:*} rc=${t#*:}
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		not_ok "$name: testssl ran past ${TESTSSL_TIMEOUT}s"
		tail -5 "$ENV_DIR/$name.txt" | sed 's/^/#   /'
		continue
	fi
	out=$(/usr/bin/python3 scripts/testssl-verdict.py "$name" "$ENV_DIR/$name.json")
	echo "$out"
	n=$(grep -c '^ok' <<<"$out"); f=$(grep -c '^not ok' <<<"$out")
	T_NUM=$((T_NUM + n + f)); T_FAILED=$((T_FAILED + f))
	# The whole report outlives the environment when it failed.
	if [ "$f" -ne 0 ]; then
		mkdir -p build/tls-check
		cp "$ENV_DIR/$name.txt" "$ENV_DIR/$name.json" "$ENV_DIR/pgpmgd.log" \
		    build/tls-check/ &&
		    echo "#   testssl's report: build/tls-check/$name.txt, $name.json; the appliance's log: pgpmgd.log"
	fi
done
done_testing
