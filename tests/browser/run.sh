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
# The appliance is a whole one: its own PostgreSQL cluster, keyd with the
# organisation key, the internal domain example.com, and Postfix's
# smtp-sink as the relay.  Before the browser starts, pgpmgctl makes the
# people the tests sign in as (an admin; alice, a user; mallory, whom the
# brute-force test locks out) and a correspondent outside, bob of
# partner.example, whose key pair sits in a GnuPG home the browser user
# owns and whose public key the gateway holds.  Everything the tests need
# of this reaches them in the environment (env -i: listed below, PGPMG_*).
#
# After the node run the harness checks, in the database, what the
# brute-force test says it did (tests/browser/out/bruteforce.json): one
# login-failed audit row per attempt.
#
#   bash tests/browser/run.sh      after `make all` and `make deps`
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/smtp_lib.sh"

CHROMIUM=/usr/bin/chromium
# Who the browser runs as: not root, so that chromium keeps its sandbox
# (as root it would need --no-sandbox), and nobody that owns anything.
BROWSER_USER=nobody
# The whole node run, every test file.  It takes about two minutes: some
# thirty sign-ins and passwords asked again at 0.6 s of scrypt each, the
# brute-force test's waits for locks of 1, 2, 4 and 8 s, page loads of
# well under a second each (every one is bounded by browser.mjs's
# PAGE_TIMEOUT_MS).  Seven minutes means a hung browser, not a slow
# machine.
BROWSER_RUN_TIMEOUT=420
# Keys the console generates live this long (pgpmg.conf key-lifetime):
# not the default, so that the expiry the pages show is seen to be this.
KEY_LIFETIME_DAYS=400

ADMIN=admin@example.com
USER_ADDR=alice@example.com
LOCKOUT_ADDR=mallory@example.com
PARTNER=bob@partner.example

OTHER_PID=
ELSEWHERE_PID=
PARTNER_HOME=
cleanup() {
	[ -n "$OTHER_PID" ] && kill "$OTHER_PID" 2>/dev/null && wait "$OTHER_PID" 2>/dev/null
	[ -n "$ELSEWHERE_PID" ] && kill "$ELSEWHERE_PID" 2>/dev/null && wait "$ELSEWHERE_PID" 2>/dev/null
	# The agent gpg started in the partner's home, as root while the
	# key was made, and as the browser user while the tests decrypted.
	if [ -n "$PARTNER_HOME" ] && [ -d "$PARTNER_HOME" ]; then
		as_user "$BROWSER_USER" gpgconf --homedir "$PARTNER_HOME" --kill gpg-agent 2>/dev/null
		gpgconf --homedir "$PARTNER_HOME" --kill gpg-agent 2>/dev/null
	fi
	stop_sink
	cleanup_env
}
trap cleanup EXIT

# harness_fail MESSAGE: the harness cannot run the tests; say so as TAP.
harness_fail() { not_ok "browser harness: $*"; done_testing; exit 1; }

[ -x "$CHROMIUM" ] || harness_fail "$CHROMIUM not found (make deps)"
NODE=$(command -v node) || harness_fail "node not found (make deps)"
[ -f "$HERE/node_modules/playwright-core/package.json" ] ||
    harness_fail "playwright-core not installed in $HERE (make deps)"
command -v smtp-sink >/dev/null || harness_fail "smtp-sink not found (make deps: postfix)"
command -v gpg >/dev/null || harness_fail "gpg not found (make deps)"

EXTRA_CONF="key-lifetime $KEY_LIFETIME_DAYS"
new_env

# The browser's own directory: its home, its temporary files (chromium's
# profile among them), its screenshots and the partner's GnuPG home,
# owned by it and by nobody else.
B=$ENV_DIR/browser
mkdir -m 0700 "$B" "$B/home" "$B/tmp" "$B/out"
chown -R "$BROWSER_USER:$(id -gn "$BROWSER_USER")" "$B"

# A loopback port for a server of ours, none of the appliance's.
own_port() {
	local p
	while :; do
		p=$(free_port)
		case " $SMTP_PORT $WEB_PORT $RELAY_PORT ${OTHER_PORT:-} " in
		*" $p "*) ;;
		*) echo "$p"; return ;;
		esac
	done
}
wait_listen() {
	local i
	for ((i = 0; i < 100; i++)); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# A second TLS server with a certificate of its own, which the browser
# must refuse: the proof that it trusts the appliance's key only.
OTHER_PORT=$(own_port)
"$REPO/scripts/mkcert.sh" "$ENV_DIR/other-tls" >/dev/null 2>&1 ||
    harness_fail "mkcert failed for the second server"
openssl s_server -quiet -www -accept "127.0.0.1:$OTHER_PORT" \
    -cert "$ENV_DIR/other-tls/cert.pem" -key "$ENV_DIR/other-tls/key.pem" \
    </dev/null >"$ENV_DIR/other-tls.log" 2>&1 &
OTHER_PID=$!

# The relay: every message smtpd relays lands in $SINK as one file, which
# the browser user may read (smtp-sink writes them as that user).
SINK=$ENV_DIR/sink
start_sink "$RELAY_PORT" "$SINK" || harness_fail "smtp-sink did not start"

start_appliance || {
	sed 's/^/# /' "$ENV_DIR/pgpmgd.log" | tail -20
	harness_fail "the appliance did not start"
}
wait_db_up 5 || harness_fail "policyd did not reach its database"
# start_db made the cluster; pg_lib.sh's helpers want its paths.
PG_DATA=$ENV_DIR/pgdata PG_SOCK=$ENV_DIR/pgsock PG_LOG=$ENV_DIR/postgres.log
export PG_DATA PG_SOCK PG_LOG
wait_listen "$OTHER_PORT" || harness_fail "the second TLS server did not start"

# ---- the people: made by pgpmgctl, as an operator would
# The admin's password is printed once, alone on stdout.
ADMIN_PW=$(ctl user add "$ADMIN" --admin 2>/dev/null) && [ -n "$ADMIN_PW" ] ||
    harness_fail "pgpmgctl user add $ADMIN --admin"
# user_with_login ADDRESS: a user with the portal login on; prints the
# random password.
user_with_login() {
	local pw
	ctl user add "$1" >/dev/null 2>&1 &&
	    pw=$(ctl user passwd "$1" --random 2>/dev/null) && [ -n "$pw" ] &&
	    ctl user set "$1" portal yes >/dev/null 2>&1 &&
	    echo "$pw"
}
USER_PW=$(user_with_login "$USER_ADDR") || harness_fail "the user $USER_ADDR"
LOCKOUT_PW=$(user_with_login "$LOCKOUT_ADDR") || harness_fail "the user $LOCKOUT_ADDR"

# ---- the correspondent outside: bob, his key pair in a home the browser
# user owns (the tests decrypt what the gateway sent him), his public key
# imported into the gateway.
PARTNER_HOME=$B/partner
mkdir -m 0700 "$PARTNER_HOME"
pgpg() { gpg --homedir "$PARTNER_HOME" --batch --quiet --pinentry-mode loopback --passphrase '' "$@"; }
pgpg --quick-gen-key "Bob <$PARTNER>" future-default default 1y 2>/dev/null ||
    harness_fail "gpg could not make the partner's key"
PARTNER_FPR=$(pgpg --with-colons --list-keys "$PARTNER" 2>/dev/null |
    awk -F: '$1 == "fpr" { print $10; exit }')
pgpg --armor --export "$PARTNER" | ctl key import - >/dev/null 2>&1 ||
    harness_fail "pgpmgctl key import of $PARTNER's key"
gpgconf --homedir "$PARTNER_HOME" --kill gpg-agent 2>/dev/null
chown -R "$BROWSER_USER:$(id -gn "$BROWSER_USER")" "$PARTNER_HOME"

# ---- elsewhere: another origin of the same site, serving a page that
# posts a form to the console on its own (the cross-site request forgery
# of test_refusals.mjs).  It has the appliance's certificate, so that the
# browser trusts it without trusting anything more, and it is the
# strongest case for the console: https://127.0.0.1 on another port is
# the same site, so the browser sends the SameSite=Strict cookie along,
# and only the console's own checks (Origin, CSRF token) stand in the
# way.  The forged form even carries the admin's password.
ELSEWHERE_PORT=$(own_port)
while [ "$ELSEWHERE_PORT" = "$OTHER_PORT" ]; do ELSEWHERE_PORT=$(own_port); done
mkdir -m 0700 "$ENV_DIR/elsewhere"
FORGED_KEYWORD=forged-by-elsewhere
cat >"$ENV_DIR/elsewhere/forge-policy.html" <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>elsewhere</title></head>
<body>
<form method="post" action="https://127.0.0.1:$WEB_PORT/admin/policy/set">
<input type="hidden" name="csrf" value="">
<input type="hidden" name="key" value="keyword">
<input type="hidden" name="value" value="$FORGED_KEYWORD">
<input type="hidden" name="password" value="$ADMIN_PW">
<button type="submit">win a prize</button>
</form>
<script>document.forms[0].submit();</script>
</body></html>
HTML
(cd "$ENV_DIR/elsewhere" && exec openssl s_server -quiet -WWW \
    -accept "127.0.0.1:$ELSEWHERE_PORT" \
    -cert "$ENV_DIR/tls/cert.pem" -key "$ENV_DIR/tls/key.pem" \
    </dev/null >"$ENV_DIR/elsewhere.log" 2>&1) &
ELSEWHERE_PID=$!
wait_listen "$ELSEWHERE_PORT" || harness_fail "the server elsewhere did not start"

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
SECONDS=0
timeout -k 10 "$BROWSER_RUN_TIMEOUT" \
    setpriv --reuid="$BROWSER_USER" --regid="$(id -g "$BROWSER_USER")" --clear-groups \
    env -i PATH=/usr/bin:/bin HOME="$B/home" TMPDIR="$B/tmp" \
    PGPMG_WEB_URL="https://127.0.0.1:$WEB_PORT" \
    PGPMG_WEB_CERT="$ENV_DIR/tls/cert.pem" \
    PGPMG_OTHER_TLS_URL="https://127.0.0.1:$OTHER_PORT" \
    PGPMG_FORGE_URL="https://127.0.0.1:$ELSEWHERE_PORT/forge-policy.html" \
    PGPMG_FORGED_KEYWORD="$FORGED_KEYWORD" \
    PGPMG_WEB_SPKI="$SPKI" PGPMG_BROWSER_OUT="$B/out" \
    PGPMG_ADMIN="$ADMIN" PGPMG_ADMIN_PASSWORD="$ADMIN_PW" \
    PGPMG_USER="$USER_ADDR" PGPMG_USER_PASSWORD="$USER_PW" \
    PGPMG_LOCKOUT_USER="$LOCKOUT_ADDR" PGPMG_LOCKOUT_PASSWORD="$LOCKOUT_PW" \
    PGPMG_SMTP_PORT="$SMTP_PORT" PGPMG_SINK_DIR="$SINK" \
    PGPMG_PARTNER="$PARTNER" PGPMG_PARTNER_FPR="$PARTNER_FPR" \
    PGPMG_PARTNER_GNUPGHOME="$PARTNER_HOME" \
    PGPMG_KEY_LIFETIME_DAYS="$KEY_LIFETIME_DAYS" \
    "$NODE" --test --test-reporter=tap --test-concurrency=1 "${tests[@]}"
rc=$?
echo "# the node run took ${SECONDS}s"
cd "$REPO" || exit 1
[ "$rc" -eq 124 ] && not_ok "browser harness: the tests ran past ${BROWSER_RUN_TIMEOUT}s"

# A browser left behind by a killed run: its processes name the profile
# under this run's own directory.
if leftover=$(pgrep -u "$BROWSER_USER" -f -- "$B/tmp/"); then
	echo "# killing a browser left behind: ${leftover//$'\n'/ }"
	# shellcheck disable=SC2086 # one pid a word
	kill -KILL $leftover
fi

# ---- the brute force, as the database saw it: every attempt that
# test_bruteforce.mjs made (it writes how many, and how many it expects
# were checked) is one login-failed row of the audit log, with the
# reason "wrong password" when the password was checked and "locked"
# when it was refused unchecked.  Independent of the audit page, which
# the test reads too.
BF=$B/out/bruteforce.json
if [ -f "$BF" ]; then
	read -r bf_total bf_checked <<<"$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["attempts"], d["checked"])' "$BF")"
	rows=$(pg_psql -c "SELECT count(*) FILTER (WHERE details::json ->> 'reason' = 'wrong password')
	    || ' ' || count(*) FILTER (WHERE details::json ->> 'reason' = 'locked') || ' ' || count(*)
	    FROM pgpmg.audit_log WHERE kind = 'login-failed' AND subject = '$LOCKOUT_ADDR'")
	want="$bf_checked $((bf_total - bf_checked)) $bf_total"
	[ "$rows" = "$want" ] &&
	    ok "brute force, in the database: one login-failed row per attempt ($bf_total: $bf_checked checked, the rest refused as locked)" ||
	    not_ok "brute force, in the database: login-failed rows (wrong password, locked, all) are $rows, want $want"
else
	not_ok "brute force, in the database: test_bruteforce.mjs left no record of its attempts (it did not get that far)"
fi

mkdir -p "$HERE/out"
for f in "$B"/out/*.png; do
	[ -f "$f" ] && cp "$f" "$HERE/out/"
done
if [ "$rc" -ne 0 ]; then
	echo "# pgpmgd.log, last lines:"
	sed 's/^/#   /' "$ENV_DIR/pgpmgd.log" | tail -20
	rc=1
fi
[ "$T_FAILED" -eq 0 ] || rc=1
exit "$rc"
