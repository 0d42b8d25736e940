#!/usr/bin/env bash
# The custody boundary, tried from the outside: as _pgpmg_cryptod, keyd's
# home is closed; through the restricted agent socket (a worker home's
# Assuan redirect) a decryption and a signature work, but a secret export
# yields zero bytes and the key, passphrase and generation commands are
# refused, and the organisation key signs nothing.  keyd and its agent are
# not dumpable, and the agent runs in keyd's walls and dies with keyd; its
# death stops the appliance.  Needs root.
set -u
. "$(dirname "$0")/lib.sh"
trap 'keyd_cleanup; cleanup_env' EXIT

new_env
keyd_setup
start_appliance || not_ok "the appliance did not start"
alice=$(ctl key generate alice@example.com)
keyd_make_keys "$T"
carol=$(ctl key import --passphrase-file "$T/carol.pw" "$T/carol.sec.asc")
org=$(ctl key list | awk -F'\t' '$5 ~ /org/ { print $1 }')
check "set-up: alice generated, carol's pair imported" \
    bash -c '[ -n "$0" ] && [ "$1" = "$CAROL" ] && [ -n "$2" ]' "$alice" "$carol" "$org"

# A worker home as pgpmgd prepares it (its gpg.conf and redirect), with
# the public keys, owned by _pgpmg_cryptod.
W=$ENV_DIR/cryptod/custody
mkdir -m 0700 "$W"
cp "$ENV_DIR/cryptod/0/gpg.conf" "$ENV_DIR/cryptod/0/S.gpg-agent" "$W/"
for k in "$alice" "$carol" "$org"; do ctl key export "$k"; done >"$W/keys.asc"
chown -R _pgpmg_cryptod:_pgpmg_cryptod "$W"
as_cryptod gpg --homedir "$W" --batch --quiet --import "$W/keys.asc" 2>/dev/null
gpg --homedir "$T/pub" --batch --quiet --import "$W/keys.asc" 2>/dev/null

# ---- keyd's home is closed to cryptod
check "as _pgpmg_cryptod: listing keyd's home fails" \
    bash -c '! as_cryptod ls "$KH" >/dev/null 2>&1'
check "as _pgpmg_cryptod: reading a file of keyd's home fails" \
    bash -c '! as_cryptod cat "$KH/gpg.conf" >/dev/null 2>&1'
check "as _pgpmg_cryptod: the private keys directory is out of reach" \
    bash -c '! as_cryptod ls "$KH/private-keys-v1.d" >/dev/null 2>&1'
check "as _pgpmg_cryptod: the agent's standard socket is out of reach" \
    bash -c '! as_cryptod gpg-connect-agent -S "$KH/S.gpg-agent" "GETINFO version" /bye 2>/dev/null | grep -q "^D "'
check "as _pgpmg_smtpd: the extra socket is out of reach too" \
    bash -c '! as_user _pgpmg_smtpd gpg-connect-agent -S "$EXTRA" "GETINFO version" /bye 2>/dev/null | grep -q "^D "'
check "as _pgpmg_cryptod: the extra socket answers" \
    bash -c 'as_cryptod gpg-connect-agent -S "$EXTRA" "GETINFO version" /bye 2>/dev/null | grep -q "^D "'

# ---- no secret leaves: zero bytes, whatever the status says
n=$(as_cryptod gpg --homedir "$W" --batch --export-secret-keys 2>/dev/null | wc -c)
check "export-secret-keys through the agent: $n bytes" [ "$n" -eq 0 ]
n=$(as_cryptod gpg --homedir "$W" --batch --armor --export-secret-keys "$alice" 2>/dev/null | wc -c)
check "export-secret-keys of alice, armoured: $n bytes" [ "$n" -eq 0 ]
n=$(as_cryptod gpg --homedir "$W" --batch --export-secret-subkeys "$carol" 2>/dev/null | wc -c)
check "export-secret-subkeys of carol: $n bytes" [ "$n" -eq 0 ]
n=$(as_cryptod gpg --homedir "$W" --batch --pinentry-mode loopback --passphrase x \
    --export-secret-keys 2>/dev/null | wc -c)
check "export-secret-keys with loopback asked for: $n bytes" [ "$n" -eq 0 ]
as_cryptod gpg --homedir "$W" --list-secret-keys 2>/dev/null | grep -E '^(sec|ssb)' | sed 's/^/# -K: /'

# ---- decrypt and sign: the service cryptod needs
for who in alice@example.com carol@example.com; do
	echo "for $who only" | gpg --homedir "$T/pub" --batch --trust-model always \
	    -e -r "$who" >"$T/msg.gpg" 2>/dev/null
	out=$(as_cryptod gpg --homedir "$W" --batch --decrypt <"$T/msg.gpg" 2>/dev/null)
	check "as _pgpmg_cryptod: decrypt a message to $who" [ "$out" = "for $who only" ]
done
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10; do
	as_cryptod gpg --homedir "$W" --batch --decrypt <"$T/msg.gpg" >/dev/null 2>&1
done
echo "# 10 decryptions through the extra socket: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "signed by alice" | as_cryptod gpg --homedir "$W" --batch -u "$alice" --sign >"$T/signed.gpg" 2>/dev/null
check "as _pgpmg_cryptod: sign with alice's key" \
    bash -c 'gpg --homedir "$T/pub" --batch --trust-model always --verify "$0" 2>&1 |
    grep -q "Good signature"' "$T/signed.gpg"
check "keyd logged each key it unlocked for the restricted socket" \
    grep -q "gpg-agent unlocks keygrip .* for a restricted client" "$ENV_DIR/pgpmgd.log"

# ---- what the restricted socket refuses
grip=$(as_cryptod gpg --homedir "$W" --with-colons --with-keygrip -k "$alice" | awk -F: '/^grp/ { print $10; exit }')
ogrip=$(as_cryptod gpg --homedir "$W" --with-colons --with-keygrip -k "$org" | awk -F: '/^grp/ { print $10; exit }')
for cmd in "PRESET_PASSPHRASE $grip -1 414243" "GET_PASSPHRASE --data x X X X" \
    "GENKEY" "EXPORT_KEY $grip" "IMPORT_KEY" "PASSWD $grip" "DELETE_KEY $grip" \
    "OPTION pinentry-mode=loopback" "CLEAR_PASSPHRASE $grip"; do
	out=$(as_cryptod gpg-connect-agent -S "$EXTRA" "$cmd" /bye 2>/dev/null)
	check "extra socket refuses ${cmd%% *} ($out)" grep -q "^ERR .*Forbidden" <<<"$out"
done
h=$(echo -n x | sha256sum | cut -c1-64)
out=$(as_cryptod gpg-connect-agent -S "$EXTRA" "SIGKEY $grip" "SETHASH --hash=sha256 $h" PKSIGN /bye 2>/dev/null)
check "extra socket: PKSIGN with alice's key works" grep -q "^D (7:sig-val" <<<"$out"
out=$(as_cryptod gpg-connect-agent -S "$EXTRA" "SIGKEY $ogrip" "SETHASH --hash=sha256 $h" PKSIGN /bye 2>/dev/null)
check "extra socket: PKSIGN with the organisation key is refused ($(tail -1 <<<"$out"))" \
    bash -c '! grep -q "^D " <<<"$0" && grep -q "^ERR" <<<"$0"' "$out"
check "keyd logged the refusal" grep -q "organisation key (keygrip $ogrip).*refused" "$ENV_DIR/pgpmgd.log"

# ---- keyd and its agent: not dumpable, the same walls
kp=$(child_pid keyd)
ap=$(pgrep -P "$kp" -x gpg-agent)
check "keyd is not dumpable: /proc/$kp belongs to root" \
    test "$(stat -c %U "/proc/$kp/environ")" = root
check "keyd's own user cannot read its memory or environment" \
    bash -c '! as_user _pgpmg_keyd cat "/proc/$0/environ" >/dev/null 2>&1' "$kp"
check "gpg-agent runs as keyd's child ($ap)" \
    bash -c '[ -n "$0" ] && [ "$(readlink "/proc/$0/exe")" = /usr/bin/gpg-agent ]' "$ap"
st=$(cat "/proc/$ap/status" 2>/dev/null)
check "gpg-agent: uid _pgpmg_keyd, one group" bash -c \
    'grep -qP "^Uid:\t$1\t$1\t$1\t$1$" <<<"$0" && grep -qP "^Groups:\t$2 ?$" <<<"$0"' \
    "$st" "$(id -u _pgpmg_keyd)" "$(id -g _pgpmg_keyd)"
check "gpg-agent: Seccomp 2, NoNewPrivs 1, no capabilities, like keyd" bash -c \
    'for f in Seccomp NoNewPrivs CapEff CapBnd; do
	[ "$(grep "^$f:" <<<"$0")" = "$(grep "^$f:" "/proc/$1/status")" ] || exit 1
    done; grep -qP "^Seccomp:\t2$" <<<"$0" && grep -qP "^NoNewPrivs:\t1$" <<<"$0" &&
    grep -qP "^CapEff:\t0+$" <<<"$0"' "$st" "$kp"
check "gpg-agent: keyd's empty network namespace" bash -c \
    '[ "$(readlink "/proc/$0/ns/net")" = "$(readlink "/proc/$1/ns/net")" ] &&
    [ "$(readlink "/proc/$0/ns/net")" != "$(readlink /proc/1/ns/net)" ]' "$ap" "$kp"
check "gpg-agent: not dumpable either" test "$(stat -c %U "/proc/$ap/environ")" = root
check "gpg-agent: a session of its own (Ctrl-C does not reach it)" \
    test "$(ps -o sid= -p "$ap" | tr -d ' ')" = "$ap"

# ---- the agent's death stops the appliance; keyd's death ends the agent
kill -KILL "$ap"
if wait_exit "$PGPMGD_PID" 3; then wait "$PGPMGD_PID"; rc=$?; else rc=-1; fi
PGPMGD_PID=
check "SIGKILL to gpg-agent: pgpmgd stops, exit $rc" bash -c '[ "$0" -gt 0 ]' "$rc"
check "keyd logged the agent's death as fatal" \
    grep -q "fatal: gpg-agent was killed by signal SIGKILL" "$ENV_DIR/pgpmgd.log"
start_appliance || not_ok "the appliance did not start again"
kp=$(child_pid keyd)
ap=$(pgrep -P "$kp" -x gpg-agent)
kill -KILL "$kp"
check "SIGKILL to keyd: its gpg-agent dies too" wait_exit "$ap" 2
wait_exit "$PGPMGD_PID" 3
done_testing
