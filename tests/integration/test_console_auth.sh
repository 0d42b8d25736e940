#!/usr/bin/env bash
# policyd's console authentication (policyd/console*.c, verifier.c,
# lockout.c) against a real PostgreSQL 15 cluster that the suite makes and
# removes (pg_lib.sh).  webd is replaced by tests/integration/auth_webd
# (console_lib.sh), which plays console scripts to policyd over the real
# protocol (only webd may ask for logins: the permission table) and
# writes the answers back on the web port; passwords are set with
# `pgpmgctl user passwd`.
# - a login returns a 64-hex session id and the role; the session gives
#   the user, the role and a CSRF token equal to the HMAC computed here
#   with the console key (opened with sealopen, as test_secrets.sh does);
#   the table holds the id's SHA-256, and the id is in no dump or log;
# - a wrong password, an unknown address (even one that is not UTF-8), no
#   portal login, role none: all "denied", and each audited with its own
#   reason; an unknown address costs as much as a wrong password;
# - 20 wrong passwords for one account: denied four times, then locked
#   for 1, 2, 4 ... 512, 900 seconds, then console-lockout (an hour);
#   one audit row per attempt and one lockout row; while locked, even the
#   right password is refused unchecked (the lock's waits are checked in
#   the row's timestamps, and waited out by clearing locked_until, except
#   the first, which is waited for);
# - failures for several accounts from one /64 lock that client address,
#   another /64 is not locked, and a good login clears the count;
# - four password checks at once are all the slots: a fifth is busy at
#   once, and policyd answers pgpmgctl and session lookups in
#   milliseconds meanwhile;
# - reauth: the right password, a wrong one (counted and audited), no
#   session;
# - logout ends the session (audited); a session survives a restart;
#   deleting the user, or turning the login off (and on again), ends it;
#   last_seen is written at most once a minute;
# - while the database is down, or the console key does not open, login
#   and session lookups answer "unavailable";
# - idle timeout and lifetime (short values), the purge of expired rows;
# - a password longer than the protocol's 1024 bytes is fatal to policyd
#   (and so to the appliance); `pgpmgctl audit verify` passes.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

. "$(dirname "$0")/console_lib.sh"

console_setup
SEALOPEN=$BIN/tests/integration/sealopen
WORKERS=1
EXTRA_CONF="database-timeout 3"
new_env
trap 'pg_cleanup; console_cleanup' EXIT
LOG=$ENV_DIR/pgpmgd.log
OUT=$ENV_DIR/out
SECONDS=0

PW_ALICE="alice's s3cret, with spaces"
PW_BOB="bob-password-1"
PW_CAROL="carol-password-1"
PW_DAVE="dave-password-1"
PW_MALLORY="mallory-password-1"

# console_lib.sh's, under this suite's names: restart keeps the log so
# far in $LOG.all, so that waits read only the new process's lines.
start() { console_start; }
restart() { console_restart; }
login() { web "l LOGIN $(enc "$1") $(enc "$2") $3"; ans l; }
sid_of() { awk '{ print $2 }' <<<"$1"; }
# The audit rows of kind $1 for subject $2 after row $3: "reason|client".
audit_rows() {
	sql "SELECT coalesce(details::json ->> 'reason', '') || '|' ||
	    coalesce(details::json ->> 'client', '') FROM pgpmg.audit_log
	    WHERE kind = '$1' AND subject = '$2' AND id > $3 ORDER BY id"
}

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start || { echo "Bail out! appliance not ready"; exit 1; }
wait_log 'secrets: the console key is loaded' 10 ||
    { echo "Bail out! no console key"; exit 1; }
echo "# up after ${SECONDS}s"

ctl user add alice@example.com --role admin --name "Alice Liddell" >/dev/null
ctl user add bob@example.com >/dev/null
ctl user add carol@example.com >/dev/null
ctl user add dave@example.com >/dev/null
ctl user add mallory@example.com >/dev/null
# Five scrypt hashes: two at a time, as there are two cores (waiting for
# those alone: pgpmgd is a child of this shell too).
pids=()
for u in alice bob carol dave; do
	v=PW_${u^^}
	printf '%s\n' "${!v}" | ctl user passwd "$u@example.com" >/dev/null &
	pids+=($!)
	case $u in bob|dave) wait "${pids[@]}"; pids=();; esac
done
# mallory, whom the lockout checks fail 20 times, gets an scrypt hash of
# N = 2^10 (the least policyd takes), made here by Python's hashlib and
# stored as the superuser: the lockout counts attempts whatever they cost,
# and 20 checks of our own cost would take 12 s of the suite.
MALLORY_PHC=$(cheap_phc "$PW_MALLORY")
sql "UPDATE pgpmg.users SET password_hash = '$MALLORY_PHC' WHERE address = 'mallory@example.com'"
for u in alice bob dave mallory; do ctl user set "$u@example.com" portal yes >/dev/null; done
ctl user set dave@example.com role none >/dev/null
[ "$(sql "SELECT count(*) FROM pgpmg.users WHERE password_hash IS NOT NULL")" = 5 ] ||
    { echo "Bail out! the users' passwords were not set"; exit 1; }
echo "# users made after ${SECONDS}s"

# ---------------------------------------------------------------- login
base=$(last_audit)
out=$(login alice@example.com "$PW_ALICE" 192.0.2.1)
S1=$(sid_of "$out")
[[ $out =~ ^ok\ [0-9a-f]{64}\ admin\ alice@example\.com$ ]] &&
    ok "login: ok, a session id of 64 hex digits, the role and the address" ||
    { not_ok "login: $out"; show; }
web "s SESSION $S1 192.0.2.1"
read -r st uid addr role csrf name <<<"$(ans s)"
[ "$st $addr $role $name" = "ok alice@example.com admin Alice Liddell" ] &&
    [ "$uid" = "$(sql "SELECT id FROM pgpmg.users WHERE address = 'alice@example.com'")" ] &&
    ok "session: the user's id, address, role and display name" || { not_ok "session: $(ans s)"; show; }
KEY=$(sql "SELECT encode(sealed, 'hex') FROM pgpmg.secrets WHERE name = 'console.session-key'" |
    "$SEALOPEN" -x "$ENV_DIR/policyd.key" console.session-key - | sed -n 2p)
want=$(python3 -c 'import hmac, hashlib, sys
print(hmac.new(bytes.fromhex(sys.argv[1]), b"pgpmg-csrf\0" + sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$KEY" "$S1")
[ -n "$KEY" ] && [ "$csrf" = "$want" ] &&
    ok "the CSRF token is HMAC-SHA-256(console key, \"pgpmg-csrf\" NUL session id)" ||
    not_ok "CSRF token $csrf, want $want"
web "s SESSION $S1 192.0.2.1"
[ "$(ans s | awk '{ print $5 }')" = "$csrf" ] && ok "the same token at every lookup" || not_ok "the token changed"
[ "$(sql "SELECT encode(id_hash, 'hex') FROM pgpmg.sessions")" = "$(printf %s "$S1" | sha256sum | cut -c1-64)" ] &&
    ok "the table holds the SHA-256 of the session id" || not_ok "sessions: $(sql "SELECT encode(id_hash, 'hex') FROM pgpmg.sessions")"
row=$(sql "SELECT actor || '|' || (details::json ->> 'client') || '|' || (details::json ->> 'session')
    FROM pgpmg.audit_log WHERE kind = 'login' AND id > $base")
[ "$row" = "admin:alice@example.com|192.0.2.1|$(printf %s "$S1" | sha256sum | cut -c1-16)" ] &&
    ok "the login is audited: admin:ADDRESS, the client, the session's hash" || { not_ok "login audit row"; echo "# $row"; }

# ---------------------------------------------------------------- denied
base=$(last_audit)
declare -A T
for c in "wrong alice@example.com not-her-password 192.0.2.10" \
    "unknown nobody@example.com $PW_BOB 192.0.2.11" \
    "noportal carol@example.com $PW_CAROL 192.0.2.12" \
    "rolenone dave@example.com $PW_DAVE 192.0.2.13"; do
	read -r tag a p cl <<<"$c"
	t0=$(now_ms)
	r=$(login "$a" "$p" "$cl")
	T[$tag]=$(($(now_ms) - t0))
	[ "$r" = denied ] && ok "$tag: denied (${T[$tag]} ms)" || not_ok "$tag: $r"
done
[ "$(audit_rows login-failed alice@example.com "$base")" = "wrong password|192.0.2.10" ] &&
    [ "$(audit_rows login-failed nobody@example.com "$base")" = "unknown address|192.0.2.11" ] &&
    [ "$(audit_rows login-failed carol@example.com "$base")" = "no portal login|192.0.2.12" ] &&
    [ "$(audit_rows login-failed dave@example.com "$base")" = "role none|192.0.2.13" ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE id > $base")" = 4 ] &&
    ok "each audited once, as login-failed with its own reason and the client" ||
    { not_ok "the denials' audit rows"; sql "SELECT subject, details FROM pgpmg.audit_log WHERE id > $base" | sed 's/^/#   /'; }
[ "${T[unknown]}" -ge $((T[wrong] / 2)) ] && [ "${T[unknown]}" -ge 300 ] &&
    ok "an unknown address costs a password check too (${T[unknown]} ms, a wrong password ${T[wrong]} ms)" ||
    not_ok "unknown ${T[unknown]} ms, wrong ${T[wrong]} ms"
base=$(last_audit)
web "l LOGIN %ff%fe@example.com x 192.0.2.14"
r=$(ans l)
row=$(sql "SELECT subject || '|' || (details::json ->> 'reason') FROM pgpmg.audit_log WHERE id > $base")
[ "$r" = denied ] && [ "$row" = '\xff\xfe@example.com|unknown address' ] &&
    ok "an address that is not UTF-8: denied, audited in \\xNN" || { not_ok "not UTF-8: $r"; echo "# $row"; }

# ---------------------------------------------------------------- account lockout
base=$(last_audit)
M=mallory@example.com
lock_of() {	# the lock's length in whole seconds, from the row's timestamps
	sql "SELECT coalesce(round(extract(epoch FROM locked_until - last_failure))::text, '-')
	    FROM pgpmg.users WHERE address = '$M'"
}
got="" want=""
for i in 1 2 3 4 5; do got="$got $(login $M wrong-$i 198.51.100.$i)"; done
want=" denied denied denied denied locked 1"
[ "$got" = "$want" ] && [ "$(lock_of)" = 1 ] &&
    ok "four failures cost nothing; the fifth locks for a second" || not_ok "answers:$got, lock $(lock_of)"
t0=$(now_ms)
r=$(login $M "$PW_MALLORY" 198.51.100.50)
t=$(($(now_ms) - t0))
[ "$r" = "locked 1" ] && [ "$t" -lt 300 ] &&
    ok "while locked the right password is refused unchecked ($t ms)" || not_ok "locked: $r in $t ms"
sleep 1.1
r=$(login $M wrong-6 198.51.100.6)
[ "$r" = "locked 2" ] && [ "$(lock_of)" = 2 ] && ok "the lock waited out: checked, and the sixth locks for 2 s" ||
    not_ok "sixth: $r, lock $(lock_of)"
got="" want="" locks="" wlocks=""
for i in $(seq 7 20); do
	# The lock waited out, without the wait.
	sql "UPDATE pgpmg.users SET locked_until = NULL WHERE address = '$M'"
	got="$got $(login $M wrong-$i 198.51.100.$i)"
	w=$((1 << (i - 5))); [ $w -gt 900 ] && w=900; [ $i -ge 20 ] && w=3600
	want="$want locked $w"
	locks="$locks $(lock_of)"; wlocks="$wlocks $w"
done
[ "$got" = "$want" ] && ok "then 4, 8 ... 512, 900 s, and an hour at the 20th" ||
    { not_ok "answers"; echo "#  got:$got"; echo "# want:$want"; }
[ "$locks" = "$wlocks" ] && ok "the row's lock agrees with every answer" || { not_ok "locks:$locks"; echo "# want:$wlocks"; }
r=$(login $M "$PW_MALLORY" 198.51.100.51)
[[ $r =~ ^locked\ 3(5[0-9][0-9]|600)$ ]] && ok "after 20 the right password is refused ($r)" || not_ok "after 20: $r"
[ "$(sql "SELECT failed_logins FROM pgpmg.users WHERE address = '$M'")" = 20 ] &&
    ok "the row counts 20 failures (the refusals unchecked do not count)" || not_ok "failed_logins $(sql "SELECT failed_logins FROM pgpmg.users WHERE address = '$M'")"
[ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE subject = '$M' AND kind = 'login-failed' AND id > $base")" = 22 ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE subject = '$M' AND id > $base")" = 23 ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'lockout' AND subject = '$M'")" = 1 ] &&
    ok "the audit log: one login-failed row per attempt (22) and one lockout row" ||
    { not_ok "audit rows for mallory"; sql "SELECT kind, details FROM pgpmg.audit_log WHERE subject = '$M' AND id > $base" | tail -5 | sed 's/^/#   /'; }
row=$(sql "SELECT (details::json ->> 'failed-logins') || '|' || (details::json ->> 'seconds') || '|' ||
    (details::json ->> 'client') FROM pgpmg.audit_log WHERE kind = 'lockout'")
[ "$row" = "20|3600|198.51.100.20" ] && ok "the lockout row: 20 failures, 3600 s, the client" || not_ok "lockout row: $row"
[ "$(audit_rows login-failed $M "$base" | grep -c '^locked|')" = 2 ] &&
    ok "the two refusals unchecked are audited as locked" || not_ok "locked rows"
ctl user list | grep -qP '^mallory@example\.com\tuser\tyes\tyes\t' &&
    ok "user list shows the account locked" || not_ok "user list: $(ctl user list | grep mallory)"
# The lock lifted by hand (as `user passwd` would), with the cheap hash:
# a user keeps at most 16 sessions, a 17th login ends the oldest.
sql "UPDATE pgpmg.users SET failed_logins = 0, locked_until = NULL WHERE address = '$M'"
# One at a time: four at once take every checking slot.
for i in $(seq 1 17); do
	r=$(login $M "$PW_MALLORY" 198.51.100.60)
	[ $i = 1 ] && first=$(sid_of "$r")
done
last=$(sid_of "$r")
web "f SESSION $first 198.51.100.60" "l SESSION $last 198.51.100.60"
[ "$(sql "SELECT count(*) FROM pgpmg.sessions s JOIN pgpmg.users u ON u.id = s.user_id
    WHERE u.address = '$M'")" = 16 ] && [ "$(ans f) $(ans l | cut -d' ' -f1)" = "none ok" ] &&
    ok "at most 16 sessions a user: the 17th login ended the oldest" ||
    not_ok "sessions of mallory: $(sql "SELECT count(*) FROM pgpmg.sessions") / $(ans f) / $(ans l)"
echo "# lockout done after ${SECONDS}s"

# ---------------------------------------------------------------- client lockout
got=""
for i in 1 2 3 4 5; do
	# Two hosts of one /64, other accounts each time (unknown ones).
	got="$got $(login "u$i@example.org" x "2001:db8:1::$((i % 2 + 10))")"
done
[ "$got" = " denied denied denied denied locked 1" ] &&
    ok "five failures from one /64, on five addresses: the client is locked" || not_ok "client:$got"
t0=$(now_ms)
r=$(login alice@example.com "$PW_ALICE" 2001:db8:1::99)
t=$(($(now_ms) - t0))
[ "$r" = "locked 1" ] && [ "$t" -lt 300 ] &&
    ok "a good password from that /64 is refused unchecked ($t ms)" || not_ok "locked client: $r ($t ms)"
r=$(login alice@example.com "$PW_ALICE" 2001:db8:2::1)
S2=$(sid_of "$r")
[ "${r%% *}" = ok ] && ok "another /64 is not locked" || not_ok "another /64: $r"
[ "$(sql "SELECT failed_logins FROM pgpmg.users WHERE address = 'alice@example.com'")" = 0 ] &&
    ok "the good login cleared the account's count" || not_ok "alice's count"
sleep 1.1
r=$(login alice@example.com "$PW_ALICE" 2001:db8:1::98)
S3=$(sid_of "$r")
r2=$(login u6@example.org x 2001:db8:1::97)
[ "${r%% *}" = ok ] && [ "$r2" = denied ] &&
    ok "the lock waited out, a good login clears the client's count (the next failure is the first)" ||
    not_ok "after the client lock: $r / $r2"
# An unknown address counts under the database's folding of its case,
# Unicode letters too, as a known one's row does (lower() under the
# cluster's C.UTF-8): ÖTTO@ and ötto@ are one count, so the lock does not
# tell whether an account exists.  Each attempt from another /64.
got=""
for i in 1 2 3 4 5; do got="$got $(login "ÖTTO@example.org" x "2001:db8:7$i::1")"; done
r=$(login "ötto@example.org" x 2001:db8:76::1)
[ "$got" = " denied denied denied denied locked 1" ] && [ "${r%% *}" = locked ] &&
    ok "ÖTTO@ locked after five failures, and ötto@ is the same count" ||
    not_ok "unknown address in two cases:$got / $r"
echo "# client lockout done after ${SECONDS}s"

# ---------------------------------------------------------------- busy
web "p SESSION $S2 2001:db8:2::1" >/dev/null
t0=$(now_ms)
web "b1 LOGIN n1@example.net x 10.1.0.1" "b2 LOGIN n2@example.net x 10.1.0.2" \
    "b3 LOGIN n3@example.net x 10.1.0.3" "b4 LOGIN n4@example.net x 10.1.0.4" \
    "b5 LOGIN n5@example.net x 10.1.0.5" &
webpid=$!
sleep 0.3
# Meanwhile: pgpmgctl through the parent, and a session lookup.
lat=""
for i in 1 2 3; do
	t1=$(now_ms)
	ctl policy show >/dev/null || lat="$lat fail"
	lat="$lat $(($(now_ms) - t1))"
	sleep 0.2
done
OUT=$ENV_DIR/out2 web "s SESSION $S2 2001:db8:2::1"
slat=$(OUT=$ENV_DIR/out2 ms s)
sst=$(OUT=$ENV_DIR/out2 ans s | cut -d' ' -f1)
wait $webpid
total=$(($(now_ms) - t0))
[ "$(ans b5)" = busy ] && [ "$(ms b5)" -lt 200 ] &&
    ok "a fifth login while four are checked: busy, at once ($(ms b5) ms)" || { not_ok "fifth: $(ans b5)"; show; }
[ "$(ans b1) $(ans b2) $(ans b3) $(ans b4)" = "denied denied denied denied" ] && [ "$(ms b4)" -ge 1800 ] &&
    ok "the four are checked one after the other (the last after $(ms b4) ms)" || { not_ok "the four"; show; }
bad=0; for l in $lat; do [ "$l" = fail ] || [ "$l" -ge 200 ] && bad=1; done
[ $bad = 0 ] && ok "meanwhile policyd answers pgpmgctl at once (policy show:$lat ms)" || not_ok "policy show:$lat ms"
[ "$sst" = ok ] && [ "$slat" -lt 200 ] && ok "... and session lookups ($slat ms)" || not_ok "session lookup: $sst in $slat ms"
check "busy is logged" grep -qE 'policyd\[[0-9]+\]: console: all 4 password checks are taken' "$LOG"
echo "# busy done after ${SECONDS}s"

# ---------------------------------------------------------------- reauth
r=$(login bob@example.com "$PW_BOB" 192.0.2.20)
SB=$(sid_of "$r")
base=$(last_audit)
web "r1 REAUTH $SB $(enc "$PW_BOB")" "r2 REAUTH $SB wrong" \
    "r3 REAUTH 0000000000000000000000000000000000000000000000000000000000000000 $(enc "$PW_BOB")" \
    "r4 REAUTH not-a-session $(enc "$PW_BOB")"
[ "${r%% *} $(ans r1) $(ans r2)" = "ok ok denied" ] &&
    ok "reauth: the right password ok, a wrong one denied" || { not_ok "reauth"; show; }
[ "$(ans r3) $(ans r4)" = "none none" ] && [ "$(ms r4)" -lt 200 ] &&
    ok "reauth without a live session: none, unchecked" || { not_ok "reauth none"; show; }
row=$(sql "SELECT kind || '|' || actor || '|' || (details::json ->> 'reauth') || '|' ||
    coalesce(details::json ->> 'reason', '') || '|' || (details::json ->> 'client')
    FROM pgpmg.audit_log WHERE id > $base ORDER BY id" | tr '\n' ' ')
[ "$row" = "login|user:bob@example.com|true||192.0.2.20 login-failed|console|true|wrong password|192.0.2.20 " ] &&
    ok "both audited, marked reauth, from the session's client" || { not_ok "reauth audit"; echo "# $row"; }
[ "$(sql "SELECT failed_logins FROM pgpmg.users WHERE address = 'bob@example.com'")" = 1 ] &&
    ok "a wrong reauth counts as a failed login" || not_ok "bob's count"

# ---------------------------------------------------------------- logout
base=$(last_audit)
web "o LOGOUT $S1"
[ "$(ans o)" = 1 ] && [ "$(sql "SELECT count(*) FROM pgpmg.sessions WHERE id_hash = sha256('$S1'::bytea)")" = 0 ] &&
    ok "logout removes the session's row" || not_ok "row left"
web "o1 LOGOUT $S3" "s1 SESSION $S3 2001:db8:1::98" "o2 LOGOUT $S3" "o3 LOGOUT garbage"
[ "$(ans o1) | $(ans s1) | $(ans o2) | $(ans o3)" = "1 | none | 0 | 0" ] &&
    ok "logout: 1; the session is none; a second logout 0; garbage 0" || { not_ok "logout"; show; }
row=$(sql "SELECT actor || '|' || subject || '|' || (details::json ->> 'client') FROM pgpmg.audit_log
    WHERE kind = 'logout' AND id > $base ORDER BY id" | tr '\n' ' ')
[ "$row" = "admin:alice@example.com|alice@example.com|192.0.2.1 admin:alice@example.com|alice@example.com|2001:db8:1::98 " ] &&
    ok "each logout audited once, by its user" || { not_ok "logout audit"; echo "# $row"; }

# ---------------------------------------------------------------- last_seen
seen() { sql "SELECT last_seen = created_at, last_client FROM pgpmg.sessions WHERE id_hash = sha256('$1'::bytea)" | tr '\n' ' '; }
web "s SESSION $S2 192.0.2.77"
[ "$(seen "$S2")" = "t|2001:db8:2::1 " ] &&
    ok "a session used within the minute: last_seen and last_client not written" || not_ok "seen: $(seen "$S2")"
sql "UPDATE pgpmg.sessions SET last_seen = now() - interval '2 minutes', created_at = now() - interval '3 minutes'
    WHERE id_hash = sha256('$S2'::bytea)"
web "s SESSION $S2 192.0.2.77"
[ "$(ans s | cut -d' ' -f1)" = ok ] &&
    [ "$(sql "SELECT now() - last_seen < interval '5 s', last_client FROM pgpmg.sessions WHERE id_hash = sha256('$S2'::bytea)" | tr '\n' ' ')" = "t|192.0.2.77 " ] &&
    ok "used two minutes later: last_seen and last_client written" || not_ok "last_seen not written"

# ---------------------------------------------------------------- restart
web "s SESSION $S2 192.0.2.77"
before=$(ans s)
restart
web "s SESSION $S2 192.0.2.77"
[ "$(ans s)" = "$before" ] && [ "${before%% *}" = ok ] &&
    ok "a session survives a restart, with the same CSRF token" || { not_ok "after restart: $(ans s)"; echo "# $before"; }

# ---------------------------------------------------------------- disabled, deleted
ctl user set alice@example.com portal no >/dev/null
web "s SESSION $S2 192.0.2.77"
a=$(ans s)
ctl user set alice@example.com portal yes >/dev/null
web "s SESSION $S2 192.0.2.77"
[ "$a | $(ans s)" = "none | none" ] &&
    ok "turning the login off ends the session, and on again revives none" || not_ok "disabled: $a | $(ans s)"
web "s SESSION $SB 192.0.2.20"
a=$(ans s)
ctl user del bob@example.com >/dev/null
web "s SESSION $SB 192.0.2.20"
[ "${a%% *} $(ans s)" = "ok none" ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.sessions s JOIN pgpmg.users u ON u.id = s.user_id
    WHERE u.address = 'bob@example.com'")" = 0 ] &&
    ok "deleting the user ends their session" || not_ok "deleted: $a / $(ans s)"

# ---------------------------------------------------------------- database down
r=$(login alice@example.com "$PW_ALICE" 192.0.2.30)
S4=$(sid_of "$r")
(cd / && runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop)
for ((i = 0; i < 100; i++)); do grep -q 'database: .*lost\|database: unavailable' "$LOG" && break; sleep 0.05; done
web "l LOGIN alice@example.com $(enc "$PW_ALICE") 192.0.2.31" "s SESSION $S4 192.0.2.30" \
    "r REAUTH $S4 $(enc "$PW_ALICE")" "o LOGOUT $S4"
[ "$(ans l) | $(ans s) | $(ans r) | $(ans o)" = "unavailable | unavailable | unavailable | 2" ] &&
    [ "$(ms l)" -lt 500 ] &&
    ok "database down: login, session, reauth and logout unavailable at once (a logout not confirmed is no \"none\")" || { not_ok "db down"; show; }
"$REPO/scripts/pg.sh" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null
for ((i = 0; i < 200; i++)); do
	web "s SESSION $S4 192.0.2.30"; [ "$(ans s | cut -d' ' -f1)" = ok ] && break; sleep 0.05
done
[ "$(ans s | cut -d' ' -f1)" = ok ] && ok "database back: the session works again" || not_ok "after the database: $(ans s)"

# ---------------------------------------------------------------- no console key
B=$(sql "SELECT encode(sealed, 'hex') FROM pgpmg.secrets WHERE name = 'console.session-key'")
sql "UPDATE pgpmg.secrets SET sealed = set_byte(sealed, 50, get_byte(sealed, 50) # 1) WHERE name = 'console.session-key'"
stop_appliance
cat "$LOG" >>"$LOG.all"; : >"$LOG"
start || { echo "Bail out! the appliance did not come up"; exit 1; }
wait_log 'secrets: the value of console.session-key in pgpmg.secrets does not open' 10
web "l LOGIN alice@example.com $(enc "$PW_ALICE") 192.0.2.32" "s SESSION $S4 192.0.2.30"
[ "$(ans l) | $(ans s)" = "unavailable | unavailable" ] &&
    ok "the console key does not open: login and session unavailable, nothing fails open" ||
    { not_ok "without the key"; show; }
sql "UPDATE pgpmg.secrets SET sealed = decode('$B', 'hex') WHERE name = 'console.session-key'"

# ---------------------------------------------------------------- expiry
stop_appliance
cat >>"$CONF" <<'EOF'
console-idle-timeout 2
console-session-lifetime 5
housekeeping-interval 1
EOF
restart
web "a LOGIN alice@example.com $(enc "$PW_ALICE") 192.0.2.40" "b LOGIN alice@example.com $(enc "$PW_ALICE") 192.0.2.41"
SI=$(ans a | cut -d' ' -f2) SL=$(ans b | cut -d' ' -f2)
web "s SESSION $S4 192.0.2.30"
[ "$(ans s)" = none ] && ok "an older session is dead under the shorter timeouts" || not_ok "S4: $(ans s)"
created=$(sql "SELECT extract(epoch FROM created_at) FROM pgpmg.sessions WHERE id_hash = sha256('$SL'::bytea)")
seq_l="" idle=""
for ((i = 0; i < 12; i++)); do
	sleep 0.6
	# SI once, unused for 3 s (idle 2, within the lifetime of 5).
	if [ $i = 4 ]; then
		web "l SESSION $SL 192.0.2.41" "i SESSION $SI 192.0.2.40"
		idle="$(ans l | cut -d' ' -f1) $(ans i | cut -d' ' -f1)"
	else
		web "l SESSION $SL 192.0.2.41"
	fi
	seq_l="$seq_l $(ans l | cut -d' ' -f1)"
	[ "$(ans l | cut -d' ' -f1)" = none ] && break
done
ended=$(sql "SELECT extract(epoch FROM now()) - $created")
[[ $seq_l =~ ^(\ ok)+\ none$ ]] && python3 -c "import sys; sys.exit(not 5 <= float(sys.argv[1]) < 7)" "$ended" &&
    ok "a session in use every 0.6 s ends at its lifetime (5 s: after${seq_l// ok/ ok}, ${ended%.*}s)" ||
    not_ok "lifetime:$seq_l after $ended s"
[ "$idle" = "ok none" ] &&
    ok "a session unused for longer than the idle timeout ends (while one in use lives)" || not_ok "idle: $idle"
for ((i = 0; i < 50; i++)); do
	[ "$(sql "SELECT count(*) FROM pgpmg.sessions")" = 0 ] && break
	sleep 0.1
done
[ "$(sql "SELECT count(*) FROM pgpmg.sessions")" = 0 ] &&
    grep -qE 'policyd\[[0-9]+\]: housekeeping: [0-9]+ expired console sessions? purged' "$LOG" &&
    ok "the scheduled jobs purge the expired rows" || not_ok "rows left: $(sql "SELECT count(*) FROM pgpmg.sessions")"

# ---------------------------------------------------------------- secrets stay secret
(cd / && runuser -u postgres -- "$PG_BINDIR/pg_dump" -h "$PG_SOCK" pgpmg) >"$ENV_DIR/dump.sql"
cat "$LOG" >>"$LOG.all"
leak=0
for s in "$PW_ALICE" "$PW_BOB" "$PW_MALLORY" "$S1" "$S2" "$SB" "$SL"; do
	grep -qF -- "$s" "$ENV_DIR/dump.sql" "$LOG.all" && { leak=1; echo "# leaked: $s"; }
done
[ $leak = 0 ] && ok "no password and no session id in a dump of the database or in the log" || not_ok "a secret leaked"
check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1"' _ "$LOG.all"
out=$(ctl audit verify 2>&1)
check "audit verify passes" grep -qE '^audit chain: [0-9]+ rows, ok' <<<"$out"

# ---------------------------------------------------------------- the bound
web "x RAWLOGIN alice@example.com 1024 192.0.2.50"
[ "$(ans x)" = denied ] && ok "a password of 1024 bytes is checked (denied)" || not_ok "1024: $(ans x)"
web "x RAWLOGIN alice@example.com 1025 192.0.2.50" >/dev/null 2>&1
if wait_exit "$PGPMGD_PID" 10; then
	wait "$PGPMGD_PID" 2>/dev/null; PGPMGD_PID=
	grep -qE 'policyd\[[0-9]+\]: fatal: malformed WEBD_LOGIN' "$LOG" &&
	    ok "1025 bytes: fatal to policyd (malformed WEBD_LOGIN), and the appliance stops" ||
	    { not_ok "1025: no fatal line"; grep policyd "$LOG" | tail -3 | sed 's/^/#   /'; }
else
	not_ok "1025: the appliance still runs"
fi

echo "# done after ${SECONDS}s"
done_testing
