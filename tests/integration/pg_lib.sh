# shellcheck shell=bash
# pg_lib.sh — a private PostgreSQL 15 cluster for an integration suite,
# made with scripts/pg.sh in the suite's $ENV_DIR and removed with it.
# Sourced after lib.sh, and used after new_env, whose configuration already
# names $ENV_DIR/pgsock in `database` (policyd's role) and
# `database-admin` (the superuser postgres, which OS root may be through
# pg.sh's peer map):
#
#   pg_start            initdb + start: database pgpmg, role _pgpmg_policyd;
#                       exports PG_DATA, PG_SOCK, PG_LOG (~1.5 s)
#   pg_migrate [ARGS]   pgpmgctl db migrate with the repository's sql/
#   pg_psql ARGS...     psql as the superuser postgres on pgpmg (-X, -q,
#                       ON_ERROR_STOP, unaligned tuples only: -Atq)
#   pg_psql_as USER ARGS...  the same as OS user USER, i.e. role USER
#   pg_stop             stop the server (fast); safe to call twice
#   $PG_BINDIR          PostgreSQL 15's programs (psql, pg_dump, pg_ctl)
#   pg_cleanup          pg_stop, then cleanup_env: use in the EXIT trap
#
# Every parent of $ENV_DIR must be traversable by the postgres user, as it
# is for new_env's /tmp/pgpmg-it.XXXXXX (0755).

PG_SH=$REPO/scripts/pg.sh
# PostgreSQL 15's own programs, not Debian's version-picking wrappers.
PG_BINDIR=/usr/lib/postgresql/15/bin
export PG_BINDIR

pg_start() {
	PG_DATA=$ENV_DIR/pgdata
	PG_SOCK=$ENV_DIR/pgsock
	PG_LOG=$ENV_DIR/postgres.log
	export PG_DATA PG_SOCK PG_LOG
	"$PG_SH" init "$PG_DATA" "$PG_SOCK" >/dev/null &&
	    "$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG"
}

pg_migrate() {
	"$BIN/pgpmgctl" -f "$CONF" db migrate -D "$REPO/sql" "$@"
}

# psql run from / (the caller's directory may be closed to that user),
# with no ~/.psqlrc and no PG* variables of the caller.
pg_psql_as() {
	local u=$1
	shift
	(cd / && env -u PGHOST -u PGPORT -u PGDATABASE -u PGUSER \
	    runuser -u "$u" -- "$PG_BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 \
	    -h "$PG_SOCK" -d pgpmg "$@")
}

pg_psql() { pg_psql_as postgres "$@"; }

pg_stop() {
	[ -n "${PG_DATA:-}" ] && [ -f "$PG_DATA/PG_VERSION" ] || return 0
	"$PG_SH" stop "$PG_DATA" >/dev/null 2>&1 ||
	    echo "# could not stop PostgreSQL in $PG_DATA"
}

pg_cleanup() {
	pg_stop
	cleanup_env
}

export -f pg_psql pg_psql_as
