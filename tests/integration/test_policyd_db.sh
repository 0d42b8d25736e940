#!/usr/bin/env bash
# policyd's database connection against a real PostgreSQL 15 cluster that
# the suite makes and removes (pg_lib.sh): it connects and reports up;
# survives `pg_ctl stop -m immediate` twice, answering "unavailable" at
# once while the server is away and reconnecting after it returns; starts
# without a database and connects once one appears; and never blocks: with
# the server frozen by SIGSTOP (hung, not closed), policyd still answers
# every status request at once, while its query in flight and then its
# connection attempts time out after database-timeout.
#
# Status requests go through the control socket and the parent to policyd
# (tests/integration/dbstatus): the plain request is answered from
# policyd's state without touching the database, so its answer time is
# policyd's loop latency; -c runs the health statement.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

PGBIN=/usr/lib/postgresql/15/bin
DBSTATUS=$BIN/tests/integration/dbstatus
# Short, so that the hung-server checks take seconds.
TIMEOUT=2
# What "at once" means for an answer that never waits for the server:
# generous against a loaded machine, far below TIMEOUT.
PROMPT_MS=500

EXTRA_CONF="database-timeout $TIMEOUT"
new_env
trap pg_cleanup EXIT

dbstat() { "$DBSTATUS" "$@" "$ENV_DIR/pgpmgd.sock"; }
field() { sed -n "s/.*\\<$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_db STATE SECONDS: poll until policyd says state=STATE.
wait_db() {
	local want=$1 limit=$2 i out
	for ((i = 0; i < limit * 20; i++)); do
		out=$(dbstat 2>/dev/null) && [ "$(field state "$out")" = "$want" ] && return 0
		sleep 0.05
	done
	echo "# wanted state=$want, last: $out"
	return 1
}

# check_health EXPECT: the health statement's outcome is EXPECT.
check_health() {
	local out
	out=$(dbstat -c) || { echo "# $out"; return 1; }
	[ "$(field check "$out")" = "$1" ] || { echo "# $out"; return 1; }
}

pg_immediate_stop() {
	(cd / && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate \
	    -w -s stop)
}
pg_restart() { "$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null; }

# The server's processes: the postmaster and its children.
pg_pids() {
	local pm
	pm=$(head -1 "$PG_DATA/postmaster.pid") || return 1
	echo "$pm" $(pgrep -P "$pm")
}

policyd_pid() { child_pid policyd; }

# ---------------------------------------------------------------- up
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
# policyd prepares statements on pgpmg's tables: without them the
# connection stays down (and says why).
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
PID=$(policyd_pid)

check "policyd connects and reports up" wait_db up 5
out=$(dbstat -c)
check "the health statement runs (prepared at connect)" \
    grep -q "check=ok .*text=PostgreSQL 15" <<<"$out"
check "the connection is logged up once" \
    test "$(grep -c 'policyd.*database: up (PostgreSQL 15' "$ENV_DIR/pgpmgd.log")" = 1

# ---------------------------------------------------------------- restarts
for round in 1 2; do
	pg_immediate_stop
	check "round $round: down after pg_ctl stop -m immediate" wait_db down 3
	t0=$(now_ms)
	out=$(dbstat -c)
	t=$(($(now_ms) - t0))
	check "round $round: a query is answered unavailable at once (${t} ms)" \
	    test "$(field check "$out")" = unavailable -a "$t" -lt "$PROMPT_MS"
	check "round $round: policyd keeps running" \
	    test "$(policyd_pid)" = "$PID" -a -d "/proc/$PID"
	pg_restart
	t0=$(now_ms)
	wait_db up 8
	rc=$?
	t=$(($(now_ms) - t0))
	check "round $round: reconnects after the restart (${t} ms)" test "$rc" = 0
	check "round $round: statements re-prepared, queries work" check_health ok
done
check "each loss is logged once, the retries are not" \
    test "$(grep -c 'policyd.*database: connection lost' "$ENV_DIR/pgpmgd.log")" = 2 -a \
    "$(grep -c 'policyd.*database: unavailable' "$ENV_DIR/pgpmgd.log")" = 0

# ---------------------------------------------------------------- no database at start
stop_appliance
pg_stop
cat "$ENV_DIR/pgpmgd.log" >"$ENV_DIR/first.log"
start_appliance
check "the appliance starts while the database is down" test "$?" = 0
PID=$(policyd_pid)
out=$(dbstat)
check "policyd reports down" grep -q "state=down\|state=connecting" <<<"$out"
check "a query is answered unavailable" check_health unavailable
check "the first failure is logged once, with the reason" \
    grep -q "policyd.*database: unavailable: .*retrying in the background" "$ENV_DIR/pgpmgd.log"
pg_restart
check "policyd connects once the database appears" wait_db up 8
check "queries work" check_health ok
check "policyd is the process it was" test "$(policyd_pid)" = "$PID"

# ---------------------------------------------------------------- a hung server
# SIGSTOP freezes the server with its sockets open: nothing is refused or
# closed, nothing answers.  A health check goes in flight and must time
# out after TIMEOUT; meanwhile, and while the connection attempts that
# follow hang too, every plain status request must come back at once.
PIDS=$(pg_pids)
kill -STOP $PIDS
t0=$(now_ms)
dbstat -c >"$ENV_DIR/hung.out" 2>&1 &
HUNG=$!
worst=0
bad=0
# Across the query timeout and at least one hanging connection attempt.
deadline=$((t0 + 3 * TIMEOUT * 1000 + 500))
while [ "$(now_ms)" -lt "$deadline" ]; do
	out=$(dbstat) || bad=1
	ms=$(field ms "$out")
	[ -n "$ms" ] || { bad=1; ms=0; }
	[ "$ms" -gt "$worst" ] && worst=$ms
	ctl status >/dev/null || bad=1
	sleep 0.1
done
wait "$HUNG"
out=$(cat "$ENV_DIR/hung.out")
ms=$(field ms "$out")
check "a query on the hung server is answered unavailable after ~${TIMEOUT} s (${ms} ms)" \
    test "$(field check "$out")" = unavailable -a "${ms:-0}" -ge $((TIMEOUT * 1000 - 200)) \
    -a "${ms:-0}" -lt $((TIMEOUT * 1000 + 1500))
check "policyd answers status at once while the server hangs (worst ${worst} ms)" \
    test "$bad" = 0 -a "$worst" -lt "$PROMPT_MS"
check "the dropped query is logged" \
    grep -q "policyd.*database: connection lost: health: no answer within $TIMEOUT s" "$ENV_DIR/pgpmgd.log"
check "connection attempts to the hung server time out too" \
    grep -q "policyd.*database: attempt failed: no connection within $TIMEOUT s" "$ENV_DIR/pgpmgd.log"
out=$(dbstat)
check "policyd reports the server not up while it hangs" \
    grep -q "state=down\|state=connecting" <<<"$out"
kill -CONT $PIDS
check "policyd reconnects once the server resumes" wait_db up 10
check "queries work after the hang" check_health ok
check "policyd never restarted" test "$(policyd_pid)" = "$PID"

# ---------------------------------------------------------------- sandbox
LOGS=("$ENV_DIR/first.log" "$ENV_DIR/pgpmgd.log")
grep -q "SANDBOX_DEBUG build" "${LOGS[@]}" && debug="a SANDBOX_DEBUG build" ||
    debug="not a SANDBOX_DEBUG build: meaningful with one"
check "no syscall was trapped ($debug)" \
    bash -c '! grep -q "trapped syscall" "$@"' _ "${LOGS[@]}"
check "policyd wrote nothing to stderr (libpq's notices are logged)" \
    bash -c '! grep -hv "^pgpmg/" "$@" | grep -qi "fatal\|terminating"' _ "${LOGS[@]}"

done_testing
