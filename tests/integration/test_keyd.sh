#!/usr/bin/env bash
# keyd, the key custodian, and `pgpmgctl key`, with real gpg and a real
# gpg-agent: the organisation key, generate, export, list, import of public
# keys and key pairs, revoke, keys protected at rest, the published
# keyring, and a restart.  The custody boundary as _pgpmg_cryptod is in
# test_keyd_custody.sh, failures of the master passphrase file in
# test_keyd_passphrase.sh.  Needs root.
set -u
. "$(dirname "$0")/lib.sh"
trap 'keyd_cleanup; cleanup_env' EXIT

new_env
keyd_setup

# ---- first start: the master passphrase and the organisation key
t0=$(date +%s%N)
start_appliance; rc=$?
first_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "first start: every child ready (${first_ms} ms)" [ "$rc" -eq 0 ]
check "keyd-passphrase-file made: root 0600, 64 hex digits" bash -c \
    '[ "$(stat -c %U:%a "$0")" = root:600 ] && grep -qxE "[0-9a-f]{64}" "$0"' \
    "$ENV_DIR/keyd.passphrase"
list=$(ctl key list); rc=$?
echo "$list" | sed 's/^/# /'
org=$(awk -F'\t' '$5 ~ /(^|,)org(,|$)/ { print $1 }' <<<"$list")
check "key list works (rc $rc) and shows one organisation key" \
    bash -c '[ "$0" -eq 0 ] && [ "$(wc -w <<<"$1")" -eq 1 ]' "$rc" "$org"
check "its user ID names postmaster of the first internal domain" \
    grep -qP '\tyes\t.*\torg\tpgpmg organisation key <postmaster@example\.com>$' <<<"$list"
check "its fingerprint is recorded in keyd's home" \
    bash -c '[ "$(cat "$0/pgpmg-orgkey")" = "$1" ]' "$KH" "$org"
check "keyd logged how long the organisation key took" \
    grep -q "created the organisation key $org" "$ENV_DIR/pgpmgd.log"
grep -o "created the organisation key .* in [0-9]* ms" "$ENV_DIR/pgpmgd.log" |
    sed 's/.* in /# organisation key made in /'

# ---- keyd's home and the agent's sockets
check "keyd's gpg.conf says no-autostart" grep -qx no-autostart "$KH/gpg.conf"
check "keyd's gpg-agent.conf allows preset passphrases, minimal S2K" \
    bash -c 'grep -qx allow-preset-passphrase "$0" && grep -qx "s2k-count 65536" "$0"' \
    "$KH/gpg-agent.conf"
check "the standard socket is in keyd's home (0700)" bash -c \
    '[ -S "$0/S.gpg-agent" ] && [ "$(stat -c %U:%a "$0")" = _pgpmg_keyd:700 ]' "$KH"
check "the extra socket's directory is _pgpmg_keyd:_pgpmg_cryptod 0750" \
    test "$(stat -c %U:%G:%a "$ENV_DIR/cryptod/agent")" = _pgpmg_keyd:_pgpmg_cryptod:750
check "the extra socket itself is 0666" \
    test "$(stat -c %F:%a "$EXTRA")" = "socket:666"
for w in 0 1; do
	wh=$ENV_DIR/cryptod/$w
	check "worker $w: gpg.conf no-autostart, trust-model always, not lock-never" \
	    bash -c 'grep -qx no-autostart "$0" && grep -qx "trust-model always" "$0" &&
	    ! grep -q lock-never "$0"' "$wh/gpg.conf"
	check "worker $w: S.gpg-agent redirects to the extra socket" bash -c \
	    '[ "$(cat "$0")" = "$(printf "%%Assuan%%\nsocket=%s" "$1")" ]' \
	    "$wh/S.gpg-agent" "$EXTRA"
	check "worker $w: both owned by _pgpmg_cryptod" bash -c \
	    '[ "$(stat -c %U "$0/gpg.conf" "$0/S.gpg-agent" | sort -u)" = _pgpmg_cryptod ]' "$wh"
done
check "the parent handed keyring generation 1 to the workers" \
    grep -q "keyring generation 1 to the cryptod workers" "$ENV_DIR/pgpmgd.log"

# ---- generate
t0=$(date +%s%N)
alice=$(ctl key generate alice@example.com); rc=$?
gen_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# generate (ed25519 + cv25519, certified): $gen_ms ms"
check "generate alice@example.com: a fingerprint (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && grep -qxE "[0-9A-F]{40}" <<<"$1"' "$rc" "$alice"
out=$(ctl key generate bob@example.org 2>&1); rc=$?
check "generate for an external address is refused (rc $rc: $out)" bash -c \
    '[ "$0" -eq 2 ] && grep -q "not in an internal domain" <<<"$1"' "$rc" "$out"
out=$(ctl key generate alice@example.com 2>&1); rc=$?
check "generate twice: KEY_E_EXISTS, exit 4 ($out)" bash -c \
    '[ "$0" -eq 4 ] && grep -q "already held" <<<"$1"' "$rc" "$out"
out=$(ctl key generate 'x y@example.com' 2>&1); rc=$?
check "generate for a malformed address is refused ($out)" [ "$rc" -eq 2 ]
row=$(ctl key list | awk -F'\t' -v f="$alice" '$1 == f')
IFS=$'\t' read -r f held created expires flags uids <<<"$row"
check "list: alice held=yes, no flags, created today" bash -c \
    '[ "$0" = yes ] && [ "$1" = - ] && [ "$2" = "$(date -u +%F)" ]' "$held" "$flags" "$created"
check "list: expires after key-lifetime (730 days): $expires" \
    test "$expires" = "$(date -u -d '+730 days' +%F)"
check "list: the user ID is the address" test "$uids" = alice@example.com
check "the new keyring went to the workers (generation 2)" \
    grep -q "keyring generation 2 to the cryptod workers" "$ENV_DIR/pgpmgd.log"
check "the revocation certificate is kept" test -s "$KH/openpgp-revocs.d/$alice.rev"

# ---- export, read by a separate gpg
ctl key export alice@example.com >"$T/alice.asc"; rc=$?
check "export alice: armoured public key (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && head -1 "$1" | grep -qx -- "-----BEGIN PGP PUBLIC KEY BLOCK-----"' \
    "$rc" "$T/alice.asc"
check "export holds no secret packet" \
    bash -c '! gpg --list-packets "$0" 2>/dev/null | grep -q "secret"' "$T/alice.asc"
ctl key export "$org" >"$T/org.asc"
check "a separate gpg imports it" \
    gpg --homedir "$T/pub" --batch --quiet --import "$T/alice.asc" "$T/org.asc"
cols=$(gpg --homedir "$T/pub" --with-colons --check-sigs "$alice" 2>/dev/null)
check "its primary is ed25519, its subkey cv25519" bash -c \
    'grep -q "^pub:.*:22:.*:ed25519:" <<<"$0" && grep -q "^sub:.*:18:.*:cv25519:" <<<"$0"' "$cols"
check "it carries a good certification by the organisation key" \
    grep -q "^sig:!::[0-9]*:${org: -16}:" <<<"$cols"
out=$(ctl key export nobody@example.com 2>&1); rc=$?
check "export of an unknown address: exit 3 ($out)" \
    bash -c '[ "$0" -eq 3 ] && grep -q "no key for" <<<"$1"' "$rc" "$out"

# ---- secret keys at rest
nkeys=$(ls "$KH/private-keys-v1.d" | grep -c '\.key$')
check "private-keys-v1.d holds $nkeys key files, all passphrase-protected" bash -c \
    'for f in "$0"/*.key; do grep -q "protected-private-key" "$f" &&
    grep -q "(protected openpgp-s2k3" "$f" || exit 1; done' "$KH/private-keys-v1.d"
keyd_copy_home "$T/kcopy"
out=$(gpg --homedir "$T/kcopy" --batch --pinentry-mode loopback --passphrase wrong \
    --export-secret-keys "$alice" 2>/dev/null | wc -c)
check "a copy of the home: the wrong passphrase exports nothing ($out bytes)" [ "$out" -eq 0 ]
out=$(gpg --homedir "$T/kcopy" --batch --pinentry-mode loopback \
    --passphrase-file "$ENV_DIR/keyd.passphrase" --export-secret-keys "$alice" 2>/dev/null | wc -c)
check "the master passphrase opens it ($out bytes)" [ "$out" -gt 0 ]
gpgconf --homedir "$T/kcopy" --kill gpg-agent 2>/dev/null

# ---- import of public keys
keyd_make_keys "$T"
dave=$(ctl key import "$T/dave.asc"); rc=$?
check "import a public key from a file (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && [ "$1" = "$DAVE" ]' "$rc" "$dave"
erin=$(ctl key import - <"$T/erin.gpg"); rc=$?
check "import a binary public key from stdin (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && [ "$1" = "$ERIN" ]' "$rc" "$erin"
check "list: dave and erin held=no" bash -c \
    '[ "$(ctl key list | awk -F"\t" -v d="$0" -v e="$1" "\$1 == d || \$1 == e { print \$2 }" | sort -u)" = no ]' \
    "$DAVE" "$ERIN"
out=$(echo "no key here" | ctl key import - 2>&1); rc=$?
check "import of non-key data is refused, exit 2 ($out)" \
    bash -c '[ "$0" -eq 2 ] && grep -q "no OpenPGP key" <<<"$1"' "$rc" "$out"
head -c 1100000 /dev/zero >"$T/big"
out=$(ctl key import "$T/big" 2>&1); rc=$?
check "import of more than 1 MiB is refused ($out)" [ "$rc" -eq 1 ]

# ---- import of a key pair
files_before=$(ls "$KH/private-keys-v1.d" | sort)
out=$(ctl key import --passphrase-file "$T/wrong.pw" "$T/carol.sec.asc" 2>&1); rc=$?
check "key pair with a wrong passphrase: exit 5 ($out)" \
    bash -c '[ "$0" -eq 5 ] && grep -q "does not unlock" <<<"$1"' "$rc" "$out"
check "... and nothing is left of it" bash -c \
    '[ "$(ls "$0" | sort)" = "$1" ] && ! ctl key list | grep -q "$2"' \
    "$KH/private-keys-v1.d" "$files_before" "$CAROL"
out=$(ctl key import "$T/carol.sec.asc" 2>&1); rc=$?
check "key pair without a passphrase: exit 5 ($out)" [ "$rc" -eq 5 ]
t0=$(date +%s%N)
carol=$(ctl key import --passphrase-file "$T/carol.pw" "$T/carol.sec.asc"); rc=$?
imp_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "# key pair import (check, re-protect, certify): $imp_ms ms"
check "key pair with its passphrase: its fingerprint (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && [ "$1" = "$2" ]' "$rc" "$carol" "$CAROL"
check "list: carol held=yes" bash -c \
    'ctl key list | awk -F"\t" -v c="$0" "\$1 == c && \$2 == \"yes\"" | grep -q .' "$CAROL"
check "carol's key files are protected like the others" bash -c \
    'for f in "$0"/*.key; do grep -q "(protected openpgp-s2k3" "$f" &&
    ! grep -q openpgp-native "$f" || exit 1; done' "$KH/private-keys-v1.d"
ctl key export "$CAROL" >"$T/carol.pub.asc"
gpg --homedir "$T/pub" --batch --quiet --import "$T/carol.pub.asc"
check "carol is certified by the organisation key" bash -c \
    'gpg --homedir "$0" --with-colons --check-sigs "$1" 2>/dev/null | grep -q "^sig:!::[0-9]*:$2:"' \
    "$T/pub" "$CAROL" "${org: -16}"
check "signing with carol through the agent works with the preset alone" \
    keyd_sign_as_keyd "$CAROL"
out=$(ctl key import --passphrase-file "$T/carol.pw" "$T/carol.sec.asc" 2>&1); rc=$?
check "the same key pair again: exit 4 ($out)" [ "$rc" -eq 4 ]
out=$(ctl key import --passphrase-file "$T/frank.pw" "$T/frank.sec.asc" 2>&1); rc=$?
check "a key pair outside the internal domains is refused ($out)" \
    bash -c '[ "$0" -eq 2 ] && grep -q "internal domain" <<<"$1"' "$rc" "$out"

# ---- revoke
out=$(ctl key revoke "$org" 2>&1); rc=$?
check "the organisation key is not revoked here ($out)" [ "$rc" -eq 2 ]
out=$(ctl key revoke "$DAVE" 2>&1); rc=$?
check "someone else's key cannot be revoked ($out)" \
    bash -c '[ "$0" -eq 2 ] && grep -q "only its owner" <<<"$1"' "$rc" "$out"
out=$(ctl key revoke alice@example.com); rc=$?
check "revoke alice (kept certificate): her fingerprint (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && [ "$1" = "$2" ]' "$rc" "$out" "$alice"
out=$(ctl key revoke "$CAROL"); rc=$?
check "revoke carol (imported pair, revkey): her fingerprint (rc $rc)" [ "$rc" -eq 0 ]
check "list shows both revoked" bash -c \
    '[ "$(ctl key list | awk -F"\t" -v a="$0" -v c="$1" "(\$1 == a || \$1 == c) && \$5 ~ /revoked/" | wc -l)" -eq 2 ]' \
    "$alice" "$CAROL"
check "export shows the revocation signature" bash -c \
    'ctl key export "$0" | gpg --list-packets 2>/dev/null | grep -q "sigclass 0x20"' "$alice"
alice2=$(ctl key generate alice@example.com); rc=$?
check "a revoked address gets a new key (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && [ -n "$1" ] && [ "$1" != "$2" ]' "$rc" "$alice2" "$alice"
check "export by address gives both of alice's keys" bash -c \
    '[ "$(ctl key export alice@example.com | gpg --show-keys --with-colons 2>/dev/null | grep -c ^pub:)" -eq 2 ]'
out=$(ctl key revoke nobody@example.com 2>&1); rc=$?
check "revoke of an unknown key: exit 3" [ "$rc" -eq 3 ]
gen=$(grep -o "keyring generation [0-9]* to the cryptod" "$ENV_DIR/pgpmgd.log" | tail -1 | awk '{print $3}')
check "every change published a new keyring (generation $gen)" [ "${gen:-0}" -ge 7 ]

# ---- restart: the same organisation key, the preset again
ctl key list >"$T/list.before"
stop_appliance
t0=$(date +%s%N)
start_appliance; rc=$?
re_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "restart: every child ready (${re_ms} ms)" [ "$rc" -eq 0 ]
echo "# first start ${first_ms} ms, restart ${re_ms} ms"
check "restart: the same keys, the same organisation key" \
    bash -c 'diff "$0" <(ctl key list) >/dev/null' "$T/list.before"
check "restart: no new organisation key was made" \
    bash -c '! grep -q "created the organisation key" "$0" &&
    grep -q "organisation key $1" "$0"' "$ENV_DIR/pgpmgd.log" "$org"
check "restart: the preset works again (sign as keyd, no pinentry)" \
    keyd_sign_as_keyd "$alice2"
check "restart: generate still certifies with the organisation key" bash -c \
    'f=$(ctl key generate grace@example.com) && ctl key export "$f" |
    gpg --homedir "$0" --batch --quiet --import 2>/dev/null &&
    gpg --homedir "$0" --with-colons --check-sigs "$f" 2>/dev/null | grep -q "^sig:!::[0-9]*:$1:"' \
    "$T/pub" "${org: -16}"

# ---- a client that goes away while keyd works breaks nothing
"$BIN/pgpmgctl" -f "$CONF" key generate dan@example.com >/dev/null 2>&1 &
cpid=$!
for ((i = 0; i < 200; i++)); do
	grep -q "parent asks: generate dan@example.com" "$ENV_DIR/pgpmgd.log" && break
	sleep 0.01
done
kill -KILL "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
for ((i = 0; i < 50; i++)); do ctl key list | grep -q dan@example.com && break; sleep 0.05; done
check "a client killed while keyd generates: the key is made anyway" \
    bash -c 'ctl key list | grep -qP "\tyes\t.*\tdan@example.com$"'
check "... and pgpmgd serves the next client" bash -c 'ctl key export dan@example.com | grep -q "BEGIN PGP"'

# ---- pgpmgctl's usage errors
for args in "key" "key frobnicate" "key generate" "key export" "key list extra" \
    "key import" "key import --passphrase-file" "frobnicate"; do
	# shellcheck disable=SC2086 # the words are the arguments
	out=$(ctl $args 2>&1); rc=$?
	check "pgpmgctl $args: exit 1 with a message ($(head -1 <<<"$out"))" \
	    bash -c '[ "$0" -eq 1 ] && grep -qE "usage|unknown|which" <<<"$1"' "$rc" "$out"
done
out=$(ctl key import "$T/missing.asc" 2>&1); rc=$?
check "pgpmgctl key import of a missing file: exit 1, names it" \
    bash -c '[ "$0" -eq 1 ] && grep -q "missing.asc: No such file" <<<"$1"' "$rc" "$out"
out=$(ctl key import --passphrase-file "$T/missing.pw" "$T/carol.sec.asc" 2>&1); rc=$?
check "pgpmgctl with a missing passphrase file: exit 1, names it" \
    bash -c '[ "$0" -eq 1 ] && grep -q "missing.pw" <<<"$1"' "$rc" "$out"
out=$(ctl key generate 'alice@@example.com' 2>&1); rc=$?
check "keyd's refusal comes back as a clear message ($out)" \
    bash -c '[ "$0" -eq 2 ] && grep -q "pgpmgctl: key generate: .*not an address" <<<"$1"' "$rc" "$out"

# ---- nothing logged the master passphrase
check "the master passphrase appears in no log line" \
    bash -c '! grep -qF "$(cat "$0")" "$1"' "$ENV_DIR/keyd.passphrase" "$ENV_DIR/pgpmgd.log"
check "no child logged a fatal error" bash -c '! grep -q "fatal" "$0"' "$ENV_DIR/pgpmgd.log"

done_testing
