# Shared helpers for the shell integration suites: a private appliance in
# a temporary directory, on free loopback ports, with TAP output.
# Sourced, not run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${PGPMG_BIN:-$REPO/build}
T_NUM=0
T_FAILED=0

ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $*"; }
not_ok() { T_NUM=$((T_NUM + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_NUM - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
done_testing() { echo "1..$T_NUM"; [ "$T_FAILED" -eq 0 ]; }

# A loopback port nobody listens on, outside the kernel's ephemeral range
# (32768-60999) so that no outgoing connection takes it meanwhile.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# new_env: a fresh directory with a configuration, in $ENV_DIR and $CONF.
# The directory must be traversable by the daemons' users (mktemp makes
# 0700, so open it up; nothing secret lives in it but the homes, which
# pgpmgd creates 0700 for their owners).
new_env() {
	ENV_DIR=$(mktemp -d /tmp/pgpmg-it.XXXXXX)
	chmod 0755 "$ENV_DIR"
	mkdir -m 0755 "$ENV_DIR/empty" "$ENV_DIR/pgsock" "$ENV_DIR/www"
	SMTP_PORT=$(free_port); WEB_PORT=$(free_port); RELAY_PORT=$(free_port)
	while [ "$WEB_PORT" = "$SMTP_PORT" ]; do WEB_PORT=$(free_port); done
	while [ "$RELAY_PORT" = "$SMTP_PORT" ] || [ "$RELAY_PORT" = "$WEB_PORT" ]; do
		RELAY_PORT=$(free_port)
	done
	CONF=$ENV_DIR/pgpmg.conf
	cat >"$CONF" <<CONF
listen smtp 127.0.0.1:$SMTP_PORT
listen web 127.0.0.1:$WEB_PORT
relay 127.0.0.1:$RELAY_PORT
internal-domain example.com
control-socket $ENV_DIR/pgpmgd.sock
tls-certificate $ENV_DIR/tls/cert.pem
tls-key $ENV_DIR/tls/key.pem
database "host=$ENV_DIR/pgsock dbname=pgpmg user=_pgpmg_policyd"
database-admin "host=$ENV_DIR/pgsock dbname=pgpmg user=postgres"
policyd-key-file $ENV_DIR/policyd.key
chroot $ENV_DIR/empty
keyd-home $ENV_DIR/keyd
keyd-passphrase-file $ENV_DIR/keyd.passphrase
cryptod-home $ENV_DIR/cryptod
web-root $ENV_DIR/www
cryptod-workers ${WORKERS:-2}
log-level debug
smtp-tls ${SMTP_TLS:-no}
${EXTRA_CONF:-}
CONF
	# webd speaks HTTPS only, so every appliance needs the pair (smtpd
	# uses it only with SMTP_TLS=yes); and webd's own files.
	"$REPO/scripts/mkcert.sh" "$ENV_DIR/tls" >/dev/null 2>&1 ||
	    echo "# mkcert failed"
	cp -R "$REPO/webd/www/." "$ENV_DIR/www/"
}

# start_db: the suite's own PostgreSQL cluster, migrated, once per
# new_env (policyd decides every message: no database, no mail).  NO_DB=1
# leaves it out, for suites about a missing database.
start_db() {
	[ -z "${NO_DB:-}" ] || return 0
	[ -n "${DB_ENV:-}" ] && [ "$DB_ENV" = "$ENV_DIR" ] && return 0
	# A suite that runs its own cluster (pg_lib.sh) keeps it.
	[ -d "$ENV_DIR/pgdata" ] && return 0
	# A suite that made a new environment without cleanup_env: the
	# previous environment's cluster stops here, not never.
	if [ -n "${DB_ENV:-}" ]; then
		pg_stop
		DB_ENV=
	fi
	pg_start >/dev/null 2>&1 && pg_migrate >/dev/null 2>&1 ||
	    { echo "# the suite's PostgreSQL did not start"; return 1; }
	DB_ENV=$ENV_DIR
}

# start_appliance: pgpmgd -d in the background, log in $ENV_DIR/pgpmgd.log;
# waits until every child is ready with all its channels up.
start_appliance() {
	start_db
	"$BIN/pgpmgd" -d -f "$CONF" >"$ENV_DIR/pgpmgd.log" 2>&1 &
	PGPMGD_PID=$!
	wait_all_ready 10 || return 1
	# Key changes wait for the database (policyd records them): when the
	# suite has one running, give policyd a moment to connect.
	if [ -n "${DB_ENV:-}" ] || [ -d "$ENV_DIR/pgdata" ]; then
		wait_db_up 5
	fi
	return 0
}

# wait_db_up SECONDS: until policyd said its database is up (or not).
wait_db_up() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		grep -q "policyd\[[0-9]*\]: database: up" "$ENV_DIR/pgpmgd.log" \
		    2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

ctl() { "$BIN/pgpmgctl" -f "$CONF" "$@"; }

# True when every child is ready and all its peer channels are up.
all_ready() {
	local out
	out=$(ctl status 2>/dev/null) || return 1
	[ -n "$out" ] || return 1
	awk 'NR > 1 { split($NF, p, "/"); if ($5 != "ready" || p[1] != p[2]) bad = 1 }
	    END { exit bad }' <<<"$out"
}

wait_all_ready() {
	local limit=$1 i
	for ((i = 0; i < limit * 20; i++)); do
		all_ready && return 0
		sleep 0.05
	done
	return 1
}

# pid of a child from the status table (name as printed: smtpd, cryptod#0)
child_pid() { ctl status | awk -v n="$1" '$1 == n { print $2 }'; }

# Every process whose parent chain leads to pgid $1 (by session/pgrp we
# cannot tell; use the ppid tree of the given pid).
descendants() {
	local p=$1 c
	for c in $(pgrep -P "$p" 2>/dev/null); do
		echo "$c"
		descendants "$c"
	done
}

# True while pid runs (a zombie has exited: it only waits to be reaped).
running() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# Wait for a pid to exit, at most $2 seconds; true when it did.
wait_exit() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 50; i++)); do
		running "$pid" || return 0
		sleep 0.02
	done
	return 1
}

stop_appliance() {
	[ -n "${PGPMGD_PID:-}" ] || return 0
	kill -TERM "$PGPMGD_PID" 2>/dev/null
	wait "$PGPMGD_PID" 2>/dev/null
	PGPMGD_PID=
}

cleanup_env() {
	stop_appliance
	if [ -n "${DB_ENV:-}" ] && [ "$DB_ENV" = "${ENV_DIR:-}" ]; then
		pg_stop
		DB_ENV=
	fi
	[ -n "${ENV_DIR:-}" ] && rm -rf "$ENV_DIR"
}

# ---- keyd (test_keyd*.sh)
# keyd_setup, after new_env: $T, a scratch directory for gpg homes and key
# files (cleaned by keyd_cleanup), $KH keyd's home, $EXTRA the restricted
# agent socket; ctl and its variables exported for `bash -c` checks.
keyd_setup() {
	T=$(mktemp -d /tmp/pgpmg-keyd.XXXXXX)
	chmod 0755 "$T"
	mkdir -m 0700 "$T/pub"
	KH=$ENV_DIR/keyd
	EXTRA=$ENV_DIR/cryptod/agent/S.gpg-agent.extra
	export BIN CONF T KH EXTRA
	export -f ctl
}

# Stop the agents gpg started in scratch homes, remove the scratch.
keyd_cleanup() {
	local h
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	for h in "$T"/*/; do
		[ -e "$h/S.gpg-agent" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	done
	rm -rf "$T"
}

# Run a command as a pgpmg user: its uid, its group, no other group.
as_user() {
	local u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
}
as_cryptod() { as_user _pgpmg_cryptod "$@"; }
export -f as_user as_cryptod

# Keys from outside, made in $1 (a scratch home with its own agent):
# dave (public, armoured) and erin (public, binary) of example.org; carol
# (a key pair of example.com, passphrase in carol.pw) and frank (a key
# pair of example.org, frank.pw).  Sets DAVE, ERIN, CAROL, FRANK.
keyd_make_keys() {
	local d=$1 h=$1/outside n
	mkdir -m 0700 "$h"
	echo "carol's passphrase" >"$d/carol.pw"
	echo "frank's passphrase" >"$d/frank.pw"
	echo "not carol's passphrase" >"$d/wrong.pw"
	for n in "Dave <dave@example.org>:" "Erin <erin@example.org>:" \
	    "Carol <carol@example.com>:$d/carol.pw" "Frank <frank@example.org>:$d/frank.pw"; do
		gpg --homedir "$h" --batch --pinentry-mode loopback \
		    --passphrase "$(cat "${n#*:}" 2>/dev/null)" \
		    --quick-gen-key "${n%%:*}" ed25519 sign,cert 1y 2>/dev/null
		local f
		f=$(gpg --homedir "$h" --with-colons -k "${n%%:*}" 2>/dev/null |
		    awk -F: '/^fpr/ { print $10; exit }')
		gpg --homedir "$h" --batch --pinentry-mode loopback \
		    --passphrase "$(cat "${n#*:}" 2>/dev/null)" \
		    --quick-add-key "$f" cv25519 encr 1y 2>/dev/null
	done
	fpr_of() { gpg --homedir "$h" --with-colons -k "$1" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'; }
	DAVE=$(fpr_of dave@example.org); ERIN=$(fpr_of erin@example.org)
	CAROL=$(fpr_of carol@example.com); FRANK=$(fpr_of frank@example.org)
	gpg --homedir "$h" -a --export "$DAVE" >"$d/dave.asc"
	gpg --homedir "$h" --export "$ERIN" >"$d/erin.gpg"
	gpg --homedir "$h" --batch --pinentry-mode loopback --passphrase-file "$d/carol.pw" \
	    -a --export-secret-keys "$CAROL" >"$d/carol.sec.asc"
	gpg --homedir "$h" --batch --pinentry-mode loopback --passphrase-file "$d/frank.pw" \
	    -a --export-secret-keys "$FRANK" >"$d/frank.sec.asc"
	gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	export DAVE ERIN CAROL FRANK
}

# A copy of keyd's home that root's own gpg (and agent) may use.
keyd_copy_home() {
	cp -r "$KH" "$1"
	rm -f "$1"/S.* "$1/gpg.conf" "$1/gpg-agent.conf"
	chmod 0700 "$1"
}

# Sign with a key through keyd's agent, as keyd's user, on the standard
# socket, with the pinentry cancelled: it works only when keyd preset the
# passphrase.
keyd_sign_as_keyd() {
	echo x | as_user _pgpmg_keyd gpg --homedir "$KH" --batch --pinentry-mode cancel \
	    -u "$1" --sign >/dev/null 2>&1
}
export -f keyd_sign_as_keyd

# The suites' PostgreSQL (start_db above).
. "$REPO/tests/integration/pg_lib.sh"

# True when the PHC string $1 is the scrypt of the bytes on stdin, by
# Python's hashlib (OpenSSL underneath, but none of our code).
scrypt_matches() {
	python3 -c '
import base64, hashlib, hmac, re, sys
m = re.fullmatch(r"\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)", sys.argv[1])
if not m:
    sys.exit(2)
b64 = lambda s: base64.b64decode(s + "=" * (-len(s) % 4))
ln, r, p = (int(x) for x in m.group(1, 2, 3))
salt, want = b64(m.group(4)), b64(m.group(5))
got = hashlib.scrypt(sys.stdin.buffer.read(), salt=salt, n=1 << ln, r=r, p=p,
    maxmem=256 << 20, dklen=len(want))
sys.exit(0 if hmac.compare_digest(got, want) else 1)' "$1"
}
