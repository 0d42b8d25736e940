#!/usr/bin/env bash
# run.sh — what `make run` runs after the build: the embedded default.
#
# On first use it creates ./run/ (ignored by git):
#   run/pgpmg.conf   the configuration, with absolute paths (never overwritten;
#                    missing keyd-passphrase-file, database-admin and
#                    policyd-key-file lines are added)
#   run/keyd.passphrase  keyd's master passphrase (pgpmgd makes it, root 0600)
#   run/policyd.key  policyd's column key (pgpmgd makes it, root 0600)
#   run/empty/       the empty chroot of the children (root:root 0755)
#   run/tls/         a self-signed certificate for localhost (scripts/mkcert.sh)
#   run/pgdata/      a private PostgreSQL 15 cluster (scripts/pg.sh), with its
#   run/pgsock/      unix socket directory (no TCP) and log run/postgres.log
# Later runs reuse all of it.  Then it makes sure the system users exist,
# starts PostgreSQL, brings the schema up to date (`build/pgpmgctl db
# migrate` with the repository's sql/, as the superuser postgres, which
# pg.sh lets root be) and runs `build/pgpmgd -d` in the foreground.  Ctrl-C or
# SIGTERM stops pgpmgd; the private PostgreSQL is stopped on every way out.
# While the database has no admin, the first (admin@ the internal domain)
# is made once pgpmgd is up, and its random password printed once.
# The exit status is pgpmgd's.
set -eu

die() { echo "run: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] ||
    die "must run as root: pgpmgd creates system users, chroots and network namespaces (try: sudo make run)"

REPO=$(cd -- "$(dirname -- "$0")/.." && pwd -P)
RUN=$REPO/run
CONF=$RUN/pgpmg.conf
PGPMGD=$REPO/build/pgpmgd
PGPMGCTL=$REPO/build/pgpmgctl
PGSH=$REPO/scripts/pg.sh

[ -x "$PGPMGD" ] || die "$PGPMGD is not built (run: make run)"
[ -x "$PGPMGCTL" ] || die "$PGPMGCTL is not built (run: make run)"

# The paths go into pgpmg.conf unquoted and into a libpq conninfo: keep them
# plain.  Unix socket paths must fit in sun_path (107 bytes).
case $REPO in
*[[:space:]\"\'\\#]*) die "the repository path must not contain spaces, quotes, backslashes or '#': $REPO" ;;
esac
[ ${#RUN} -le 92 ] ||
    die "the repository path is too long for unix sockets under $RUN (move it to a shorter path)"

# One `make run` per tree at a time.  The lock fd is closed for every
# program we start, so that no daemon inherits it.
mkdir -p -- "$RUN"
chown root:root -- "$RUN"
chmod 0755 -- "$RUN"
exec 9>"$RUN/.lock"
flock -n 9 || die "another 'make run' is using $RUN"

# Until pgpmgd runs, a signal only sets a flag: the step in progress runs
# to its end with the signals ignored (so no half-made cluster or
# half-started server), then we leave through the EXIT trap.
interrupted=
signalled=
pid=
pg_started=
protected() { (trap '' INT TERM HUP; exec setsid -w "$@" 9>&-); }
check_interrupt() { [ -z "$interrupted" ] || { echo "run: interrupted" >&2; exit 130; }; }

# pgpmgd has been sent SIGTERM and stops everything within 5 s; give it
# 10, then kill it.
stop_pgpmgd() {
	local i=0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "run: pgpmgd did not stop within 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
}

# shellcheck disable=SC2317 # the two trap handlers
cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		stop_pgpmgd
		wait "$pid" 2>/dev/null || true
	fi
	if [ -n "$pg_started" ]; then
		"$PGSH" stop "$RUN/pgdata" 9>&- ||
		    echo "run: could not stop PostgreSQL in $RUN/pgdata" >&2
	fi
	exit "$rc"
}
# shellcheck disable=SC2317
on_signal() {
	interrupted=1
	signalled=$1
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# ---------------------------------------------------------------- ./run
write_conf() {
	local tmp=$CONF.tmp.$$
	cat >"$tmp" <<-EOF
	# pgpmg.conf for the embedded default (\`make run\`), written by
	# scripts/run.sh on first use; it is never overwritten, so edit freely.
	# Syntax and every key: docs/pgpmg.conf.5.

	listen smtp 127.0.0.1:2525
	listen web 127.0.0.1:8443
	relay 127.0.0.1:10026
	internal-domain example.com

	control-socket $RUN/pgpmgd.sock
	tls-certificate $RUN/tls/cert.pem
	tls-key $RUN/tls/key.pem
	database "host=$RUN/pgsock dbname=pgpmg user=_pgpmg_policyd"
	database-admin "host=$RUN/pgsock dbname=pgpmg user=postgres"
	policyd-key-file $RUN/policyd.key

	chroot $RUN/empty
	keyd-home $RUN/keyd
	keyd-passphrase-file $RUN/keyd.passphrase
	cryptod-home $RUN/cryptod
	web-root $REPO/webd/www
	EOF
	chmod 0644 "$tmp"
	mv -f -- "$tmp" "$CONF"
	echo "run: wrote $CONF"
}

[ -e "$CONF" ] || write_conf

# A configuration written before keyd had a master passphrase would let
# pgpmgd make it under /etc/pgpmg: keep the embedded default in ./run.
if ! grep -q '^[[:space:]]*keyd-passphrase-file[[:space:]]' "$CONF"; then
	printf '\n# the master passphrase of keyd (pgpmgd makes it, root 0600)\nkeyd-passphrase-file %s\n' \
	    "$RUN/keyd.passphrase" >>"$CONF"
	echo "run: added keyd-passphrase-file $RUN/keyd.passphrase to $CONF"
fi
# Likewise for the keys that came with the database schema: the DDL role
# of the private cluster, and policyd's key in ./run, not /etc/pgpmg.
if ! grep -q '^[[:space:]]*database-admin[[:space:]]' "$CONF"; then
	printf '\n# the role that owns the schema (pgpmgctl db migrate)\ndatabase-admin "host=%s dbname=pgpmg user=postgres"\n' \
	    "$RUN/pgsock" >>"$CONF"
	echo "run: added database-admin to $CONF"
fi
if ! grep -q '^[[:space:]]*policyd-key-file[[:space:]]' "$CONF"; then
	printf '\n# the key policyd seals sensitive columns with (pgpmgd makes it, root 0600)\npolicyd-key-file %s\n' \
	    "$RUN/policyd.key" >>"$CONF"
	echo "run: added policyd-key-file $RUN/policyd.key to $CONF"
fi

mkdir -p -- "$RUN/empty"
chown root:root -- "$RUN/empty"
chmod 0755 -- "$RUN/empty"
[ -z "$(ls -A -- "$RUN/empty")" ] ||
    die "$RUN/empty must be empty (it is the children's chroot)"

if [ ! -f "$RUN/tls/cert.pem" ] || [ ! -f "$RUN/tls/key.pem" ]; then
	protected "$REPO/scripts/mkcert.sh" "$RUN/tls" ||
	    die "could not make the TLS certificate in $RUN/tls"
	echo "run: made a self-signed certificate in $RUN/tls"
fi
check_interrupt

if [ ! -f "$RUN/pgdata/PG_VERSION" ]; then
	protected "$PGSH" init "$RUN/pgdata" "$RUN/pgsock" ||
	    die "could not create the PostgreSQL cluster in $RUN/pgdata"
fi
check_interrupt

protected "$REPO/scripts/ensure-users.sh" ||
    die "could not create the system users"
check_interrupt

# ---------------------------------------------------------------- start
pg_started=1
protected "$PGSH" start "$RUN/pgdata" "$RUN/pgsock" "$RUN/postgres.log" ||
    die "PostgreSQL did not start; see $RUN/postgres.log"
check_interrupt

# Each migration is one transaction: an interrupted run leaves none half
# applied, and the next `make run` takes up where it stopped.
protected "$PGPMGCTL" -f "$CONF" db migrate -D "$REPO/sql" ||
    die "the database migrations failed (above)"
check_interrupt

conf_value() {	# first value of a statement in the config, for the banner
	awk -v k="$1" -v s="${2-}" '
	    $1 == k && (s == "" || $2 == s) { print (s == "" ? $2 : $3); exit }' "$CONF"
}
cat <<EOF
pgpmg: embedded default in $RUN
  config      $CONF
  smtp        $(conf_value listen smtp), relaying to $(conf_value relay)
  web         https://$(conf_value listen web)/
  database    socket $RUN/pgsock, log $RUN/postgres.log
  inspect     build/pgpmgctl -f $CONF status
  audit       build/pgpmgctl -f $CONF audit verify
  stop        Ctrl-C
EOF

"$PGPMGD" -d -f "$CONF" 9>&- &
pid=$!
# A signal that came before $pid was set has not reached pgpmgd yet.
[ -z "$interrupted" ] || kill -TERM "$pid" 2>/dev/null || true

# The first admin: once pgpmgd answers, and only while the database has
# no admin, one is made with a random password, printed here once (it is
# stored only as its hash).  Sign in with it and change it in the portal.
first_admin() {
	local i pw admins
	for ((i = 0; i < 300; i++)); do
		[ -z "$interrupted" ] && kill -0 "$pid" 2>/dev/null || return 0
		admins=$("$PGPMGCTL" -f "$CONF" user list 2>/dev/null) && break
		sleep 0.1
	done
	[ "$i" -lt 300 ] || { echo "run: pgpmgd did not answer; no admin made" >&2; return 0; }
	printf '%s\n' "$admins" | awk -F'\t' '$2 == "admin" { found = 1 } END { exit !found }' &&
	    return 0
	pw=$("$PGPMGCTL" -f "$CONF" user add "$ADMIN_ADDRESS" --admin --name Administrator 2>/dev/null) || {
		echo "run: could not make the first admin $ADMIN_ADDRESS" >&2
		return 0
	}
	cat <<-EOF
	pgpmg: the first admin, shown this once:
	  sign in     https://$(conf_value listen web)/login
	  address     $ADMIN_ADDRESS
	  password    $pw
	EOF
}
ADMIN_ADDRESS=admin@$(conf_value internal-domain)
first_admin

# wait returns early when a trapped signal arrives: on_signal has passed
# SIGTERM on, so let pgpmgd stop and wait again for its status.  When the
# signal and pgpmgd's exit coincide, bash may lose the status (wait gives
# 127 or -1); then report the signal, as a shell does.
while :; do
	interrupted=
	status=0
	wait "$pid" || status=$?
	if [ -z "$interrupted" ] || [ "$status" -le 128 ]; then
		break
	fi
	stop_pgpmgd
done
if [ -n "$signalled" ] && { [ "$status" -eq 127 ] || [ "$status" -lt 0 ]; }; then
	status=$signalled
fi
pid=
exit "$status"
