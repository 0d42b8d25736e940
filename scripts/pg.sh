#!/usr/bin/env bash
# pg.sh — a private PostgreSQL 15 cluster for `make run` and the tests.
#
#   pg.sh init   DATADIR SOCKDIR          initdb, database pgpmg, role _pgpmg_policyd
#   pg.sh start  DATADIR SOCKDIR LOGFILE  start it, unix socket in SOCKDIR, no TCP
#   pg.sh stop   DATADIR                  stop it (fast); nothing to do if stopped
#   pg.sh status DATADIR                  exit 0 when running, 3 when not
#   pg.sh psql   SOCKDIR [ARGS...]        psql as the postgres superuser
#
# Needs root: the server runs as the `postgres` system user (initdb refuses
# root), through runuser.  Authentication is peer only (the OS user
# _pgpmg_policyd is the role _pgpmg_policyd); TCP is off.  The OS users
# root and postgres may log in as the superuser role postgres (a peer map,
# pgpmg_admin in pg_ident.conf): that is the DDL role `pgpmgctl db migrate`
# uses (database-admin); init writes the map, start adds it to a cluster
# made before it existed.  The socket
# directory belongs to postgres with mode 0755, because policyd chroots into
# it.  Every parent directory must be traversable by postgres.
set -eu

PGBIN=/usr/lib/postgresql/15/bin
PGUSER_OS=postgres
DBNAME=pgpmg
DBROLE=_pgpmg_policyd

die() { echo "pg.sh: $*" >&2; exit 1; }
usage() {
	sed -n '3,8s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

need_root() {
	[ "$(id -u)" = 0 ] || die "must run as root (the cluster runs as user $PGUSER_OS)"
	[ -x "$PGBIN/pg_ctl" ] || die "$PGBIN/pg_ctl not found: install postgresql-15 (make deps)"
	getent passwd "$PGUSER_OS" >/dev/null ||
	    die "system user $PGUSER_OS not found: install postgresql-15 (make deps)"
}

# Absolute path, without requiring it to exist.
abspath() { realpath -m -- "$1"; }

# Run a command as postgres, from /, with a clean PG environment.
as_pg() {
	(cd / && env -u PGHOST -u PGPORT -u PGDATA -u PGDATABASE -u PGUSER \
	    runuser -u "$PGUSER_OS" -- "$@")
}

# Every existing ancestor of $1 must be searchable by postgres.
check_traverse() {
	local path=$1 d dirs=()
	d=$(dirname -- "$path")
	while :; do
		[ -d "$d" ] && dirs=("$d" "${dirs[@]}")
		[ "$d" = / ] && break
		d=$(dirname -- "$d")
	done
	local bad
	# shellcheck disable=SC2016 # expanded by the inner sh
	bad=$(as_pg sh -c 'for d; do test -x "$d" || { echo "$d"; exit 1; }; done' \
	    sh "${dirs[@]}") && return 0
	[ -n "$bad" ] || die "cannot check the directories above $path as $PGUSER_OS"
	die "user $PGUSER_OS cannot traverse $bad (mode $(stat -c %a -- "$bad")), needed for $path;
  move the tree elsewhere or run: chmod o+x $bad"
}

# The socket directory: owned by postgres, 0755, and short enough for
# sun_path (107 bytes with "/.s.PGSQL.5432").
prepare_sockdir() {
	local s=$1
	case $s in *\'*|*\ *) die "socket directory must not contain quotes or spaces: $s" ;; esac
	[ ${#s} -le $((107 - 15)) ] ||
	    die "socket directory path too long for a unix socket (${#s} > 92 bytes): $s"
	check_traverse "$s"
	mkdir -p -- "$s" || die "cannot create $s"
	chown "$PGUSER_OS:$PGUSER_OS" -- "$s"
	chmod 0755 -- "$s"
}

pick_locale() {
	if locale -a 2>/dev/null | tr '[:upper:]' '[:lower:]' | tr -d '-' | grep -qx 'c.utf8'; then
		echo C.UTF-8
	else
		echo C
	fi
}

running() { as_pg "$PGBIN/pg_ctl" -D "$1" status >/dev/null 2>&1; }

# The peer map that lets OS root be the role postgres, and the pg_hba line
# that uses it for that role only (first, since the first match wins).
# Idempotent; a running server reloads.  The files keep their owner and
# mode (rewritten in place).
ensure_admin_map() {
	local data=$1 changed='' tmp
	if ! grep -q '^pgpmg_admin[[:space:]]' "$data/pg_ident.conf"; then
		cat >>"$data/pg_ident.conf" <<-EOF

		# pgpmg (scripts/pg.sh): OS users root and postgres are the role
		# postgres, for pgpmgctl db migrate (database-admin)
		pgpmg_admin	root		postgres
		pgpmg_admin	postgres	postgres
		EOF
		changed=1
	fi
	if ! grep -q '^local[[:space:]].*map=pgpmg_admin' "$data/pg_hba.conf"; then
		tmp=$(mktemp)
		{
			echo "# pgpmg (scripts/pg.sh): the role postgres through the peer map"
			echo "# pgpmg_admin (pg_ident.conf); every other role: plain peer, below"
			echo "local	all	postgres	peer	map=pgpmg_admin"
			echo
			cat -- "$data/pg_hba.conf"
		} >"$tmp" && cat -- "$tmp" >"$data/pg_hba.conf"
		rm -f -- "$tmp"
		changed=1
	fi
	if [ -n "$changed" ] && running "$data"; then
		as_pg "$PGBIN/pg_ctl" -D "$data" -s reload ||
		    die "could not reload the server in $data"
	fi
	return 0
}

start_server() {	# DATADIR SOCKDIR LOGFILE
	local data=$1 sock=$2 log=$3
	if running "$data"; then
		return 0
	fi
	mkdir -p -- "$(dirname -- "$log")"
	if ! { touch -- "$log" && chown "$PGUSER_OS:$PGUSER_OS" -- "$log" &&
	    chmod 0640 -- "$log"; }; then
		die "cannot prepare log file $log"
	fi
	check_traverse "$log"
	as_pg "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 60 -s \
	    -o "-k '$sock' -c listen_addresses=''" start ||
	    die "PostgreSQL did not start; see $log"
}

stop_server() {
	local data=$1
	running "$data" || return 0
	as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 -s stop ||
	    die "PostgreSQL in $data did not stop"
}

cmd_init() {
	[ $# -eq 2 ] || usage
	need_root
	local data sock
	data=$(abspath "$1")
	sock=$(abspath "$2")
	if [ -f "$data/PG_VERSION" ]; then
		echo "pg.sh: $data is already a cluster; not touching it" >&2
		prepare_sockdir "$sock"
		return 0
	fi
	if [ -e "$data" ] && [ -n "$(ls -A -- "$data" 2>/dev/null)" ]; then
		die "$data exists and is not empty"
	fi
	check_traverse "$data"
	prepare_sockdir "$sock"
	mkdir -p -- "$data"
	chown "$PGUSER_OS:$PGUSER_OS" -- "$data"
	chmod 0700 -- "$data"

	local tmplog
	tmplog=$(mktemp)
	chmod 0644 "$tmplog"
	# From here on, a failure leaves no half-made cluster behind.
	trap 'stop_server "$data" >/dev/null 2>&1 || true
	      rm -rf -- "$data"; rm -f -- "$tmplog" "$tmplog.sql"' EXIT

	if ! as_pg "$PGBIN/initdb" -D "$data" --auth-local=peer --auth-host=reject \
	    --no-sync -E UTF8 --locale="$(pick_locale)" -U "$PGUSER_OS" >"$tmplog" 2>&1; then
		cat "$tmplog" >&2
		die "initdb failed for $data"
	fi
	ensure_admin_map "$data"
	# Make the cluster self-describing: no TCP, socket in SOCKDIR.
	cat >>"$data/postgresql.conf" <<-EOF

	# pgpmg (scripts/pg.sh): unix socket only
	listen_addresses = ''
	unix_socket_directories = '$sock'
	EOF

	start_server "$data" "$sock" "$tmplog"
	# policyd may connect and no more: the schema is the migrations'
	# (run as the superuser), which grant it only what it needs.
	if ! as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -d postgres \
	    >"$tmplog.sql" 2>&1 <<-EOF
	CREATE ROLE $DBROLE LOGIN;
	CREATE DATABASE $DBNAME ENCODING 'UTF8' TEMPLATE template0;
	REVOKE ALL ON DATABASE $DBNAME FROM PUBLIC;
	GRANT CONNECT ON DATABASE $DBNAME TO $DBROLE;
	EOF
	then
		cat "$tmplog.sql" >&2
		die "could not create database $DBNAME and role $DBROLE"
	fi
	stop_server "$data"
	trap - EXIT
	rm -f -- "$tmplog" "$tmplog.sql"
	echo "pg.sh: new cluster in $data (socket directory $sock)"
}

cmd_start() {
	[ $# -eq 3 ] || usage
	need_root
	local data sock log
	data=$(abspath "$1")
	sock=$(abspath "$2")
	log=$(abspath "$3")
	[ -f "$data/PG_VERSION" ] || die "$data is not a cluster (run: $0 init $data $sock)"
	prepare_sockdir "$sock"
	ensure_admin_map "$data"
	start_server "$data" "$sock" "$log"
}

cmd_stop() {
	[ $# -eq 1 ] || usage
	need_root
	local data
	data=$(abspath "$1")
	[ -f "$data/PG_VERSION" ] || die "$data is not a cluster"
	stop_server "$data"
}

cmd_status() {
	[ $# -eq 1 ] || usage
	need_root
	local data rc=0
	data=$(abspath "$1")
	as_pg "$PGBIN/pg_ctl" -D "$data" status || rc=$?
	return "$rc"
}

cmd_psql() {
	[ $# -ge 1 ] || usage
	need_root
	local sock
	sock=$(abspath "$1")
	shift
	as_pg "$PGBIN/psql" -X -h "$sock" -d "$DBNAME" "$@"
}

[ $# -ge 1 ] || usage
sub=$1
shift
case $sub in
init)	cmd_init "$@" ;;
start)	cmd_start "$@" ;;
stop)	cmd_stop "$@" ;;
status)	cmd_status "$@" ;;
psql)	cmd_psql "$@" ;;
*)	usage ;;
esac
