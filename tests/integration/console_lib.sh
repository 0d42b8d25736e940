# shellcheck shell=bash
# console_lib.sh — the console's suites (test_console_auth.sh,
# test_console_ops.sh): the appliance with webd replaced by the stand-in
# tests/integration/auth_webd, which plays console scripts to policyd over
# the real protocol and writes the answers back on the web port.  Sourced
# after lib.sh and pg_lib.sh, before new_env:
#
#   console_setup       a copy of the binaries with the stand-in as webd,
#                       in $STAND_IN (removed by console_cleanup)
#   console_start       pgpmgd from it, log in $LOG; waits until ready
#   console_restart     stop, keep the log so far in $LOG.all, start
#   wait_log ERE SECS   until a line of policyd's log matches
#   enc STRING          %XX for what a script field cannot hold
#   web LINE...         a script; the answers, each after the milliseconds
#                       since the script was sent, into $OUT
#   ans TAG / ms TAG    an answer without its tag and kind / its time
#   opans TAG           an operation's DONE: "CODE WAIT MESSAGE"
#   opdata TAG          its output lines;  opfd TAG: its fd's lines
#                       (each TAG's lines are kept until a later script
#                       answers that TAG again: tags are [A-Za-z0-9_])
#   sql QUERY           psql as the superuser; last_audit: the last row's id
#   cheap_phc PASSWORD  an scrypt PHC of N = 2^10 (the least policyd
#                       takes), made by Python's hashlib: the suites'
#                       accounts whose checks are not what is tested

console_setup() {
	STAND_IN=$(mktemp -d /tmp/pgpmg-console.XXXXXX)
	chmod 0755 "$STAND_IN"
	for p in pgpmgd pgpmgctl smtpd cryptod keyd policyd; do cp "$BIN/$p" "$STAND_IN/"; done
	cp "$BIN/tests/integration/auth_webd" "$STAND_IN/webd"
}

console_cleanup() {
	[ -n "${STAND_IN:-}" ] && rm -rf "$STAND_IN"
}

console_start() {
	"$STAND_IN/pgpmgd" -d -f "$CONF" >>"$LOG" 2>&1 &
	PGPMGD_PID=$!
	BIN=$STAND_IN wait_all_ready 10
}

console_restart() {
	stop_appliance
	cat "$LOG" >>"$LOG.all"; : >"$LOG"
	console_start || { echo "Bail out! the appliance did not come up again"; exit 1; }
	wait_log 'secrets: the console key is loaded' 10
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

wait_log() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		grep -qE "policyd\[[0-9]+\]: .*$1" "$LOG" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

enc() { local s=${1//%/%25}; s=${s// /%20}; s=${s//$'\t'/%09}; printf '%s' "${s:-%-}"; }

web() {
	local t0 line
	t0=$(now_ms)
	: >"$OUT"
	exec 5<>"/dev/tcp/127.0.0.1/$WEB_PORT" || return 1
	printf '%s\n' "$@" END >&5
	while IFS= read -r -t 60 line <&5; do
		[ "$line" = END ] && break
		echo "$(($(now_ms) - t0)) $line" >>"$OUT"
	done
	exec 5<&-
	mkdir -p "$OUT.tags"
	awk -v d="$OUT.tags" '{ t[$2] = 1 } END { for (k in t) printf "" > (d "/" k) }' "$OUT"
	awk -v d="$OUT.tags" '{ print >> (d "/" $2) }' "$OUT"
}

ans() { awk -v t="$1" '$2 == t { sub(/^[^ ]+ [^ ]+ [^ ]+ ?/, ""); print; exit }' "$OUT"; }
ms() { awk -v t="$1" '$2 == t { print $1; exit }' "$OUT"; }
tagged() { cat "$OUT.tags/$2" 2>/dev/null | grep -E "^[0-9]+ $2 $1 " | sed -E "s/^[0-9]+ $2 $1 //"; }
opans() { tagged op "$1"; }
opdata() { tagged data "$1"; }
opfd() { tagged fd "$1"; }
show() { sed 's/^/#   /' "$OUT"; }

sql() { pg_psql -c "$1"; }
last_audit() { sql "SELECT coalesce(max(id), 0) FROM pgpmg.audit_log"; }

cheap_phc() {
	python3 -c 'import base64, hashlib, os, sys
b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
salt = os.urandom(16)
h = hashlib.scrypt(sys.argv[1].encode(), salt=salt, n=1 << 10, r=8, p=1, dklen=32)
print("$scrypt$ln=10,r=8,p=1$" + b64(salt) + "$" + b64(h))' "$1"
}
