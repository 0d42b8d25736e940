#!/usr/bin/env bash
# The browser tests: every tests/browser/test_*.mjs, run by node's test
# runner against a private appliance (tests/integration/lib.sh) in
# Debian's chromium, driven by playwright-core.  The browser runs as an
# unprivileged user with chromium's own sandbox and a private home in the
# environment, and trusts the appliance's self-signed certificate and no
# other.  Screenshots land in tests/browser/out/.  Prints TAP (node's,
# with harness failures as "not ok" lines), which scripts/check.sh counts;
# exits non-zero when anything failed.
#
#   bash tests/browser/run.sh      after `make all` and `make deps`
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"

CHROMIUM=/usr/bin/chromium
# Who the browser runs as: not root, so that chromium keeps its sandbox
# (as root it would need --no-sandbox), and nobody that owns anything.
BROWSER_USER=nobody
# The whole node run, every test file: a handful of page loads take
# seconds, so five minutes means a hung browser, not a slow machine.
BROWSER_RUN_TIMEOUT=300

OTHER_PID=
cleanup() {
	[ -n "$OTHER_PID" ] && kill "$OTHER_PID" 2>/dev/null && wait "$OTHER_PID" 2>/dev/null
	cleanup_env
}
trap cleanup EXIT

# harness_fail MESSAGE: the harness cannot run the tests; say so as TAP.
harness_fail() { not_ok "browser harness: $*"; done_testing; exit 1; }

[ -x "$CHROMIUM" ] || harness_fail "$CHROMIUM not found (make deps)"
NODE=$(command -v node) || harness_fail "node not found (make deps)"
[ -f "$HERE/node_modules/playwright-core/package.json" ] ||
    harness_fail "playwright-core not installed in $HERE (make deps)"

# The sign-in page needs no database; a page that does drops NO_DB, and
# start_appliance then starts the suite's own cluster.
NO_DB=1
new_env

# The browser's own directory: its home, its temporary files (chromium's
# profile among them) and its screenshots, owned by it and by nobody else.
B=$ENV_DIR/browser
mkdir -m 0700 "$B" "$B/home" "$B/tmp" "$B/out"
chown -R "$BROWSER_USER:$(id -gn "$BROWSER_USER")" "$B"

# A second TLS server with a certificate of its own, which the browser
# must refuse: the proof that it trusts the appliance's key only.
OTHER_PORT=$(free_port)
while [ "$OTHER_PORT" = "$SMTP_PORT" ] || [ "$OTHER_PORT" = "$WEB_PORT" ] ||
    [ "$OTHER_PORT" = "$RELAY_PORT" ]; do
	OTHER_PORT=$(free_port)
done
"$REPO/scripts/mkcert.sh" "$ENV_DIR/other-tls" >/dev/null 2>&1 ||
    harness_fail "mkcert failed for the second server"
openssl s_server -quiet -www -accept "127.0.0.1:$OTHER_PORT" \
    -cert "$ENV_DIR/other-tls/cert.pem" -key "$ENV_DIR/other-tls/key.pem" \
    </dev/null >"$ENV_DIR/other-tls.log" 2>&1 &
OTHER_PID=$!

start_appliance || {
	sed 's/^/# /' "$ENV_DIR/pgpmgd.log" | tail -20
	harness_fail "the appliance did not start"
}
for ((i = 0; i < 100; i++)); do
	ss -Htln "sport = :$OTHER_PORT" | grep -q . && break
	sleep 0.05
done
ss -Htln "sport = :$OTHER_PORT" | grep -q . ||
    harness_fail "the second TLS server did not start"

# The browser trusts the server key whose SubjectPublicKeyInfo hashes to
# this (chromium's --ignore-certificate-errors-spki-list; browser.mjs).
SPKI=$(openssl x509 -in "$ENV_DIR/tls/cert.pem" -noout -pubkey |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64) ||
    harness_fail "cannot hash the certificate's key"

# The tests and playwright-core where the browser user can read them: a
# checkout under a private directory (mktemp -d makes 0700) is not.
src=$HERE
if ! as_user "$BROWSER_USER" test -r "$HERE/node_modules/playwright-core/package.json"; then
	src=$ENV_DIR/browser-src
	mkdir -m 0755 "$src"
	cp -R "$HERE/package.json" "$HERE"/*.mjs "$HERE/node_modules" "$src/"
	chmod -R a+rX "$src"
	echo "# the tests run from a copy in $src ($BROWSER_USER cannot read $HERE)"
fi

tests=("$src"/test_*.mjs)
cd "$src" || harness_fail "cannot enter $src"
timeout -k 10 "$BROWSER_RUN_TIMEOUT" \
    setpriv --reuid="$BROWSER_USER" --regid="$(id -g "$BROWSER_USER")" --clear-groups \
    env -i PATH=/usr/bin:/bin HOME="$B/home" TMPDIR="$B/tmp" \
    PGPMG_WEB_URL="https://127.0.0.1:$WEB_PORT" \
    PGPMG_OTHER_TLS_URL="https://127.0.0.1:$OTHER_PORT" \
    PGPMG_WEB_SPKI="$SPKI" PGPMG_BROWSER_OUT="$B/out" \
    "$NODE" --test --test-reporter=tap --test-concurrency=1 "${tests[@]}"
rc=$?
cd "$REPO" || exit 1
[ "$rc" -eq 124 ] && not_ok "browser harness: the tests ran past ${BROWSER_RUN_TIMEOUT}s"

# A browser left behind by a killed run: its processes name the profile
# under this run's own directory.
if leftover=$(pgrep -u "$BROWSER_USER" -f -- "$B/tmp/"); then
	echo "# killing a browser left behind: ${leftover//$'\n'/ }"
	# shellcheck disable=SC2086 # one pid a word
	kill -KILL $leftover
fi

mkdir -p "$HERE/out"
for f in "$B"/out/*.png; do
	[ -f "$f" ] && cp "$f" "$HERE/out/"
done
if [ "$rc" -ne 0 ]; then
	echo "# pgpmgd.log, last lines:"
	sed 's/^/#   /' "$ENV_DIR/pgpmgd.log" | tail -20
fi
exit "$rc"
