#!/usr/bin/env bash
# The appliance as a whole: configuration check, five sandboxed children,
# supervision (a cryptod worker is replaced, any other death stops all),
# clean stop on SIGTERM, the control socket's access check, and what each
# executable links.  Needs root (users, chroots, namespaces).
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup_env EXIT

# ---- pgpmgd -n
new_env
out=$("$BIN/pgpmgd" -n -f "$CONF" 2>&1); rc=$?
check "pgpmgd -n accepts the test configuration" [ "$rc" -eq 0 ]
printf 'relay 127.0.0.1:10026\nlisen smtp 1.2.3.4:25\n' >"$ENV_DIR/bad.conf"
out=$("$BIN/pgpmgd" -n -f "$ENV_DIR/bad.conf" 2>&1); rc=$?
check "pgpmgd -n rejects a bad file with exit 1" [ "$rc" -eq 1 ]
check "the message names file:line ($out)" grep -q "bad.conf:2:" <<<"$out"
out=$("$BIN/pgpmgd" -n -f "$ENV_DIR/missing.conf" 2>&1); rc=$?
check "pgpmgd -n on a missing file exits 1 naming it" \
    bash -c '[ "$0" -eq 1 ] && grep -q missing.conf <<<"$1"' "$rc" "$out"

# ---- start and inspect
start_appliance
rc=$?
check "all children ready with every channel up" [ "$rc" -eq 0 ]
status=$(ctl status)
echo "$status" | sed 's/^/# /'
for p in smtpd cryptod#0 cryptod#1 keyd policyd webd; do
	row=$(awk -v n="$p" '$1 == n' <<<"$status")
	# PROCESS PID USER UPTIME STATE SECCOMP NNP CAPEFF NETNS LANDLOCK... ROOT
	read -r name pid user _ state seccomp nnp capeff netns ll rest <<<"$row"
	base=${p%%#*}
	check "$p runs as _pgpmg_$base" [ "$user" = "_pgpmg_$base" ]
	check "$p: Seccomp 2, NoNewPrivs 1, CapEff 0 ($seccomp $nnp $capeff)" \
	    test "$seccomp" = 2 -a "$nnp" = 1 -a "$capeff" = 0000000000000000
	root=$(readlink "/proc/$pid/root")
	check "$p: root $root or Landlock ($ll) other than the host's" \
	    bash -c '[ "$0" != / ] || [ "$1" != - ]' "$root" "$ll"
	case $base in
	cryptod|keyd|policyd|webd)
		check "$p has an empty network namespace" [ "$netns" = empty ];;
	smtpd)
		check "$p keeps the host network (relay)" [ "$netns" = host ];;
	esac
done
# fork+exec left each child nothing but its channels, /dev/null and the
# event loop's own descriptors: no file, no directory, no stray socket of
# the parent's (the listeners go only to smtpd and webd).  webd alone
# holds one directory, its web root, which it opens files relative to.
for p in smtpd cryptod#0 keyd policyd webd; do
	pid=$(awk -v n="$p" '$1 == n { print $2 }' <<<"$status")
	files=$(for fd in /proc/"$pid"/fd/*; do readlink "$fd"; done |
	    grep -vE '^(socket:|pipe:|anon_inode:|/dev/null$)' | tr '\n' ' ')
	if [ "$p" = webd ]; then
		check "webd holds its web root open, once" [ "$files" = "$ENV_DIR/www " ]
		files=${files#"$ENV_DIR/www "}
	fi
	check "$p holds no file or directory open (${files:-none})" [ -z "$files" ]
done
check "pgpmgd's control socket did not leak into smtpd" bash -c \
    '! for fd in /proc/$0/fd/*; do readlink "$fd"; done | grep -q "$1"' \
    "$(awk '$1 == "smtpd" { print $2 }' <<<"$status")" "pgpmgd.sock"

uids=$(awk 'NR > 1 && $1 !~ /^cryptod#[1-9]/ { print $3 }' <<<"$status" | sort -u | wc -l)
check "five children, five distinct users" [ "$uids" -eq 5 ]

# ---- smtpd answers on the listener the parent handed it
reply=$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT; head -1 <&3")
check "smtpd greets on its listener ($reply)" grep -q '^220 ' <<<"$reply"

# ---- the control socket refuses a user outside _pgpmg: first by its
# mode, and, if an admin opened the mode up, by the credential check
check "control socket is root:_pgpmg 0660" \
    test "$(stat -c %U:%G:%a "$ENV_DIR/pgpmgd.sock")" = root:_pgpmg:660
# nobody runs its own copy: the checkout may sit in a directory nobody
# cannot enter (mktemp -d makes 0700), which would refuse it for the
# wrong reason.
cp "$BIN/pgpmgctl" "$ENV_DIR/pgpmgctl" && chmod 0755 "$ENV_DIR/pgpmgctl"
out=$(runuser -u nobody -- "$ENV_DIR/pgpmgctl" -s "$ENV_DIR/pgpmgd.sock" status 2>&1); rc=$?
check "pgpmgctl as nobody is refused by the socket's mode ($out)" \
    bash -c '[ "$0" -ne 0 ] && grep -q "Permission denied" <<<"$1"' "$rc" "$out"
chmod 0666 "$ENV_DIR/pgpmgd.sock"
out=$(runuser -u nobody -- "$ENV_DIR/pgpmgctl" -s "$ENV_DIR/pgpmgd.sock" status 2>&1); rc=$?
check "pgpmgctl as nobody is refused by the credential check ($out)" \
    bash -c '[ "$0" -ne 0 ] && grep -q "closed the connection" <<<"$1"' "$rc" "$out"
check "pgpmgd logs the refused client" grep -q "refused a client" "$ENV_DIR/pgpmgd.log"
check "no status line reached nobody" bash -c '! grep -q smtpd <<<"$0"' "$out"
chmod 0660 "$ENV_DIR/pgpmgd.sock"

# ---- a cryptod worker is replaced within 2 s, with fresh channels
old=$(child_pid 'cryptod#0')
kill -KILL "$old"
t0=$(date +%s%N)
wait_all_ready 2; rc=$?
t1=$(date +%s%N)
new=$(child_pid 'cryptod#0')
check "a new cryptod#0 serves its peers within 2 s ($(( (t1 - t0) / 1000000 )) ms)" \
    bash -c '[ "$0" -eq 0 ] && [ -n "$1" ] && [ "$1" != "$2" ]' "$rc" "$new" "$old"
check "pgpmgd logged the worker's death and its signal" \
    grep -q "cryptod#0\[$old\] killed by signal SIGKILL" "$ENV_DIR/pgpmgd.log"
check "pgpmgd is still running" kill -0 "$PGPMGD_PID"

# ---- SIGTERM stops everything within 5 s, exit 0
kids=$(descendants "$PGPMGD_PID")
t0=$(date +%s%N)
kill -TERM "$PGPMGD_PID"
wait "$PGPMGD_PID"; rc=$?
t1=$(date +%s%N)
PGPMGD_PID=
check "SIGTERM: pgpmgd exits 0 within 5 s ($(( (t1 - t0) / 1000000 )) ms)" \
    bash -c '[ "$0" -eq 0 ] && [ "$1" -lt 5000 ]' "$rc" "$(( (t1 - t0) / 1000000 ))"
left=0; for k in $kids; do running "$k" && left=$((left + 1)); done
check "SIGTERM: no child left behind" [ "$left" -eq 0 ]
check "SIGTERM: control socket removed" [ ! -e "$ENV_DIR/pgpmgd.sock" ]
check "SIGTERM: an orderly stop, no child logged a fatal error" \
    bash -c '! sed -n "/SIGTERM: stopping/,\$p" "$0" | grep -E "fatal|lost channel"' \
    "$ENV_DIR/pgpmgd.log"

# ---- SIGKILL to any other child: logged, everything stops within 2 s, exit != 0
for victim in smtpd keyd policyd webd; do
	start_appliance || not_ok "$victim: appliance did not start"
	vpid=$(child_pid "$victim")
	kids=$(descendants "$PGPMGD_PID")
	t0=$(date +%s%N)
	kill -KILL "$vpid"
	if wait_exit "$PGPMGD_PID" 2; then
		wait "$PGPMGD_PID"; rc=$?
	else
		rc=-1
	fi
	t1=$(date +%s%N)
	PGPMGD_PID=
	check "SIGKILL $victim: pgpmgd exits non-zero within 2 s (rc $rc, $(( (t1 - t0) / 1000000 )) ms)" \
	    bash -c '[ "$0" -gt 0 ]' "$rc"
	check "SIGKILL $victim: logged with the signal" \
	    grep -q "$victim\[$vpid\] killed by signal SIGKILL" "$ENV_DIR/pgpmgd.log"
	left=0; for k in $kids; do running "$k" && left=$((left + 1)); done
	check "SIGKILL $victim: no process of the appliance left" [ "$left" -eq 0 ]
done

# ---- each executable links only what it needs
check "smtpd links neither gpgme nor libpq" \
    bash -c '[ "$(ldd "$0/smtpd" | grep -cE "libgpgme|libpq")" -eq 0 ]' "$BIN"
check "webd does not link gpgme" \
    bash -c '[ "$(ldd "$0/webd" | grep -c libgpgme)" -eq 0 ]' "$BIN"
check "only policyd links libpq" \
    bash -c 'for p in pgpmgd smtpd cryptod keyd webd; do ldd "$0/$p" | grep -q libpq && exit 1; done; ldd "$0/policyd" | grep -q libpq' "$BIN"
check "pgpmgd links no crypto, database or sandbox library" \
    bash -c '! ldd "$0/pgpmgd" | grep -qE "libgpgme|libpq|libssl|libseccomp"' "$BIN"

done_testing
