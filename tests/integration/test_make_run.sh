#!/usr/bin/env bash
# `make run`'s script (scripts/run.sh), run as it is, from a copy of the
# tree (the repository's run/ stays untouched): it makes its private
# PostgreSQL cluster and configuration, starts pgpmgd, and, while the
# database has no admin, makes the first one and prints its random
# password once, which is the password stored (its scrypt by Python's
# hashlib).  A second run prints no password and makes no admin.  The
# copy listens on run.sh's fixed ports (2525, 8443); the suite waits for
# them to be free.
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/pgpmg-run.XXXXXX)
chmod 0755 "$T"
RUNPID=
finish() {
	[ -n "$RUNPID" ] && kill -TERM "$RUNPID" 2>/dev/null && wait "$RUNPID" 2>/dev/null
	rm -rf "$T"
}
trap finish EXIT
mkdir -p "$T/build" "$T/webd"
cp -r "$REPO/scripts" "$REPO/sql" "$T/"
cp -r "$REPO/webd/www" "$T/webd/"
for p in pgpmgd pgpmgctl smtpd cryptod keyd policyd webd; do cp "$BIN/$p" "$T/build/"; done
CTL="$T/build/pgpmgctl -f $T/run/pgpmg.conf"

ports_free() { ! ss -Htln '( sport = :2525 or sport = :8443 )' | grep -q .; }
# start_run LOG: run.sh in the background; true once pgpmgd answers.
start_run() {
	local i
	for ((i = 0; i < 100; i++)); do ports_free && break; sleep 0.1; done
	bash "$T/scripts/run.sh" >"$1" 2>&1 &
	RUNPID=$!
	for ((i = 0; i < 600; i++)); do
		kill -0 "$RUNPID" 2>/dev/null || return 1
		$CTL user list >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
stop_run() {
	kill -TERM "$RUNPID" 2>/dev/null
	wait "$RUNPID"; RC=$?
	RUNPID=
}

if start_run "$T/out1"; then
	ok "run.sh started pgpmgd with its own cluster"
else
	not_ok "run.sh did not start"; sed 's/^/#   /' "$T/out1" | tail -20
	done_testing; exit
fi
# The banner comes right after the user is made.
for ((i = 0; i < 100; i++)); do grep -q '^  password ' "$T/out1" && break; sleep 0.1; done
pw=$(awk '$1 == "password" { print $2 }' "$T/out1")
list=$($CTL user list)
[[ "$pw" =~ ^[A-HJ-NP-Za-km-z2-9]{20}$ ]] && grep -q '^  address     admin@example.com$' "$T/out1" &&
    ok "the first admin's password is printed once, with its address" ||
    { not_ok "no first admin banner"; sed 's/^/#   /' "$T/out1" | tail -20; }
[ "$(awk -F'\t' '$2 == "admin" { print $1 "|" $3 }' <<<"$list")" = "admin@example.com|yes" ] &&
    ok "admin@example.com is the one admin, its console login on" || { not_ok "user list"; echo "# $list"; }
hash=$(psql -h "$T/run/pgsock" -U postgres -d pgpmg -XAtq -c \
    "SELECT password_hash FROM pgpmg.users WHERE address = 'admin@example.com'")
printf '%s' "$pw" | scrypt_matches "$hash" && ok "the printed password is the one stored" ||
    not_ok "the stored hash is not the printed password's"
[ "$(grep -c "$pw" "$T/out1")" = 1 ] && ! grep -rqF "$pw" "$T/run" 2>/dev/null &&
    ok "the password is printed once and written nowhere under run/" || not_ok "the password is elsewhere"
stop_run
[ "$RC" = 143 ] || [ "$RC" = 0 ] && ok "Ctrl-C's SIGTERM stops it (status $RC)" || not_ok "stop status $RC"

if start_run "$T/out2"; then
	sleep 1
	! grep -q 'first admin' "$T/out2" && [ "$($CTL user list | grep -c $'\tadmin\t')" = 1 ] &&
	    ok "a second run makes no admin and prints no password" ||
	    { not_ok "second run"; sed 's/^/#   /' "$T/out2" | tail -10; }
	stop_run
else
	not_ok "run.sh did not start a second time"; sed 's/^/#   /' "$T/out2" | tail -20
fi
done_testing
