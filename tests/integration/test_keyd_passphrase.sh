#!/usr/bin/env bash
# keyd's master passphrase file (keyd-passphrase-file): made by pgpmgd on
# the first start, refused with a clear message when it is not root's
# 0600 file, too short, does not open the keys, or went missing while keys
# exist; an administrator's own file works.  Needs root.
set -u
. "$(dirname "$0")/lib.sh"
trap 'keyd_cleanup; cleanup_env' EXIT

# start_failing: pgpmgd must give up within 5 s; sets rc and LOG.
start_failing() {
	"$BIN/pgpmgd" -d -f "$CONF" >"$ENV_DIR/pgpmgd.log" 2>&1 &
	PGPMGD_PID=$!
	if wait_exit "$PGPMGD_PID" 5; then wait "$PGPMGD_PID"; rc=$?; else rc=-1; fi
	[ "$rc" -ge 0 ] && PGPMGD_PID=
	LOG=$(cat "$ENV_DIR/pgpmgd.log")
}

new_env
keyd_setup
PF=$ENV_DIR/keyd.passphrase
start_appliance || not_ok "first start"
org=$(ctl key list | awk -F'\t' '$5 ~ /org/ { print $1 }')
stop_appliance
cp -p "$PF" "$T/saved"

chmod 0644 "$PF"
start_failing
check "a passphrase file readable by others is refused (rc $rc)" bash -c \
    '[ "$0" -gt 0 ] && grep -q "keyd-passphrase-file .* mode 0600" <<<"$1"' "$rc" "$LOG"
chmod 0600 "$PF"
chown nobody "$PF"
start_failing
check "a passphrase file not owned by root is refused (rc $rc)" bash -c \
    '[ "$0" -gt 0 ] && grep -q "owned by root" <<<"$1"' "$rc" "$LOG"
chown root "$PF"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PF"
start_failing
check "another passphrase: keyd refuses to start (rc $rc)" bash -c \
    '[ "$0" -gt 0 ] && grep -q "does not unlock the organisation key" <<<"$1"' "$rc" "$LOG"
check "... and says so before the appliance runs" \
    grep -q "keyd is gone: stopping all processes" <<<"$LOG"

echo short >"$PF"
start_failing
check "a short passphrase is refused ($(grep -o 'shorter than [0-9]* characters' <<<"$LOG"))" \
    bash -c '[ "$0" -gt 0 ] && grep -q "shorter than 32 characters" <<<"$1"' "$rc" "$LOG"

rm -f "$PF"
start_failing
check "a missing passphrase file beside existing keys is refused (rc $rc)" bash -c \
    '[ "$0" -gt 0 ] && grep -q "is missing, but .* holds secret keys" <<<"$1"' "$rc" "$LOG"
check "... and no new passphrase was made" test ! -e "$PF"

cp -p "$T/saved" "$PF"
start_appliance; rc=$?
check "the right file again: the appliance starts (rc $rc)" [ "$rc" -eq 0 ]
check "with the same organisation key" \
    bash -c 'ctl key list | grep -q "^$0"' "$org"
stop_appliance
keyd_cleanup
cleanup_env

# An administrator's own passphrase (at least 32 characters, any
# printable ones) in a file of their choosing; and RSA-3072 keys.
new_env
keyd_setup
printf '%s\n' 'correct-horse-battery-staple-0123456789' >"$T/admin.pass"
chmod 0400 "$T/admin.pass"
printf 'keyd-passphrase-file %s\nkey-algorithm rsa3072\nkey-lifetime 365\n' \
    "$T/admin.pass" >>"$CONF"
sed -i "\|keyd-passphrase-file $ENV_DIR|d" "$CONF"
t0=$(date +%s%N)
start_appliance; rc=$?
echo "# first start with an RSA-3072 organisation key: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "an administrator's own passphrase file (0400) works (rc $rc)" [ "$rc" -eq 0 ]
check "pgpmgd did not make another one" test ! -e "$ENV_DIR/keyd.passphrase"
t0=$(date +%s%N)
f=$(ctl key generate ivan@example.com); rc=$?
echo "# generate (RSA-3072 + RSA-3072, certified): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "generate works with it (rc $rc)" [ "$rc" -eq 0 ]
cols=$(ctl key export "$f" | gpg --show-keys --with-colons 2>/dev/null)
check "key-algorithm rsa3072: RSA-3072 primary and subkey" bash -c \
    'grep -q "^pub:[^:]*:3072:1:" <<<"$0" && grep -q "^sub:[^:]*:3072:1:" <<<"$0"' "$cols"
check "key-lifetime 365: it expires in a year" \
    bash -c 'ctl key list | grep -qP "^$0\tyes\t[0-9-]+\t$1\t"' "$f" "$(date -u -d '+365 days' +%F)"
done_testing
