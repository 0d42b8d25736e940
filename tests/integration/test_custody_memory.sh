#!/usr/bin/env bash
# No secret key ever reaches cryptod.  An internal user's key pair, whose
# secret scalars the test knows, is imported into the gateway; traffic then
# makes cryptod sign and decrypt with it (through keyd's restricted agent
# socket).  Afterwards every cryptod worker's memory is searched, as root
# through /proc/PID/mem, for those secret bytes, and the worker homes for
# secret key files.  A positive control shows the search finds the bytes
# where they are.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/crypto_lib.sh"
MT=$HERE/mailtool.py
CTRL_PID=
cleanup() {
	[ -n "$CTRL_PID" ] && kill "$CTRL_PID" 2>/dev/null
	parties_stop; stop_sink; cleanup_env
}
trap cleanup EXIT

new_env
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"

# ivan@example.com's own key pair: its secret scalars, then a passphrase,
# then the import.
party ivan ivan@example.com
party bob bob@partner.test
pgpg ivan --export-secret-keys ivan@example.com >"$W/ivan.clear"
mapfile -t SECRETS < <(sq packet dump --mpis "$W/ivan.clear" 2>/dev/null |
    awk '/Unencrypted/ { s = 1; hex = ""; next }
	s && /^ +0000/ { for (i = 2; i <= 17 && $i ~ /^[0-9a-f][0-9a-f]$/; i++) hex = hex $i; next }
	s && hex != "" { print hex; s = 0 }')
check "set-up: ivan's two secret scalars known (${#SECRETS[@]})" [ "${#SECRETS[@]}" -eq 2 ]
pgpg ivan --passphrase ivan-pass --passwd ivan@example.com 2>/dev/null
pgpg ivan --passphrase ivan-pass --export-secret-keys ivan@example.com >"$W/ivan.sec"
printf 'ivan-pass\n' >"$W/ivan.pass"
ctl key import --passphrase-file "$W/ivan.pass" "$W/ivan.sec" >/dev/null 2>&1
check "ivan's key pair imported into the gateway" \
    bash -c '"$0" -f "$1" key list | grep -q "ivan@example.com"' "$BIN/pgpmgctl" "$CONF"
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1
ctl key export ivan@example.com >"$W/ivan.asc" 2>/dev/null
pgpg bob --import "$W/ivan.asc" 2>/dev/null

# Traffic: cryptod signs with ivan's key and decrypts for him.
n=0
for i in 1 2 3; do
	"$MT" mixed ivan@example.com bob@partner.test "out $i" >"$W/out$i.eml"
	send_file ivan@example.com bob@partner.test "$W/out$i.eml" >/dev/null
	printf 'secret number %s\n' "$i" >"$W/m$i.txt"
	pgpg bob --armor --sign --encrypt -u bob@partner.test -r ivan@example.com \
	    --output "$W/in$i.asc" "$W/m$i.txt"
	"$MT" wrap-encrypted bob@partner.test ivan@example.com "in $i" \
	    "$W/in$i.asc" >"$W/in$i.eml"
	send_file bob@partner.test ivan@example.com "$W/in$i.eml" >/dev/null
	n=$((n + 2))
done
wait_sink $n
got_message 'Subject: in 3' "$W/got-in.eml"
check "cryptod decrypted with ivan's key" \
    [ "$("$MT" header "$W/got-in.eml" X-PGPMG-Decryption)" = ok ]
got_message 'Subject: =\?UTF-8\?B\?b3V0IDM' "$W/got-out.eml" ||
    got_message 'To: bob@partner.test' "$W/got-out.eml"
"$MT" body "$W/got-out.eml" 2 >"$W/out.asc"
check "cryptod signed with ivan's key" bash -c \
    'gpg --homedir "$0" --batch --status-fd 1 --decrypt "$1" 2>/dev/null | grep -q GOODSIG' \
    "$PARTY_DIR/bob" "$W/out.asc"

# The search.
for w in $(ctl status | awk '$1 ~ /^cryptod#/ { print $1 ":" $2 }'); do
	name=${w%%:*} pid=${w##*:}
	"$HERE/memscan.py" "$pid" "${SECRETS[@]}" >"$W/scan.$name" 2>&1
	rc=$?
	check "$name ($pid): no secret byte of ivan's key in its memory ($(tail -1 "$W/scan.$name"))" \
	    [ "$rc" -eq 1 ]
	home=$ENV_DIR/cryptod/${name#cryptod#}
	check "$name: no secret key files in its GnuPG home" \
	    bash -c '[ -z "$(find "$0" -path "*private-keys*" -type f)" ]' "$home"
done
# Positive control: the same search in a process that does hold them.
# It says when it holds them: a fixed sleep loses the race on a busy host.
python3 -c 'import sys, time
held = [bytes.fromhex(h) for h in sys.argv[2:]]
open(sys.argv[1], "w").close()
time.sleep(30)' "$W/ctrl.ready" "${SECRETS[@]}" &
CTRL_PID=$!
for ((i = 0; i < 100; i++)); do [ -e "$W/ctrl.ready" ] && break; sleep 0.1; done
check "control: the search finds the bytes where they are" \
    "$HERE/memscan.py" "$CTRL_PID" "${SECRETS[@]}"
done_testing
