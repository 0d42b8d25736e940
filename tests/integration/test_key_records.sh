#!/usr/bin/env bash
# The record of keys in PostgreSQL (pgpmg.keys, pgpmg.key_addresses) and
# the audit of key changes: pgpmgctl's key commands go through policyd,
# which asks keyd, records the change with its audit row, and answers.
# - the organisation key is recorded at start; generate, import, revoke and
#   delete each show in the record, with one audit row naming the actor;
# - the recorded armour is the key: gpg and Sequoia read it;
# - addresses with SQL metacharacters are stored verbatim;
# - a key pair is never deleted (revoked instead), and a refused change
#   is not audited;
# - while the database is down every change is refused and none is made;
#   reading works; after the restart changes work again;
# - the record follows keyd: rows removed or added behind its back are
#   mended at the next connection, a removal audited;
# - an inventory larger than one statement's parameters goes in chunks,
#   and a key too large for the record is left out without breaking it;
# - `pgpmgctl audit verify` passes on the trail.
set -u
. "$(dirname "$0")/lib.sh"
trap 'keyd_cleanup; cleanup_env' EXIT

EXTRA_CONF="database-timeout 3"
new_env
keyd_setup
. "$REPO/tests/integration/pg_lib.sh"
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
# start_db made the suite's cluster; pg_lib.sh's helpers need its paths.
PG_DATA=$ENV_DIR/pgdata PG_SOCK=$ENV_DIR/pgsock PG_LOG=$ENV_DIR/postgres.log
export PG_DATA PG_SOCK PG_LOG

q() { pg_psql -c "$1"; }
audit_n() { q "SELECT count(*) FROM pgpmg.audit_log WHERE kind LIKE 'key-%'"; }
export -f q audit_n
# wait_for SECONDS SQL EXPECTED
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ "$(q "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# ---- the organisation key, recorded once keyd and the database are up
org=$(ctl key list | awk -F'\t' '$5 ~ /org/ { print $1 }')
check "the organisation key is recorded: internal, generated, armoured" \
    wait_for 10 "SELECT internal, source, armoured LIKE '-----BEGIN PGP PUBLIC KEY BLOCK-----%' FROM pgpmg.keys WHERE fingerprint = '$org'" "t|generated|t"
check "... with its address" [ "$(q "SELECT address FROM pgpmg.key_addresses WHERE fingerprint = '$org'")" = postmaster@example.com ]
check "a sync that changes nothing is not audited" [ "$(audit_n)" -eq 0 ]

# ---- generate
alice=$(ctl key generate alice@example.com); rc=$?
check "generate alice (rc $rc)" [ "$rc" -eq 0 ]
row=$(q "SELECT address, internal, held, source, revoked, expires - created > interval '729 days' FROM pgpmg.keys WHERE fingerprint = '$alice'")
check "recorded when pgpmgctl returns: internal, held, generated, expires after key-lifetime ($row)" \
    [ "$row" = "alice@example.com|t|t|generated|f|t" ]
row=$(q "SELECT actor, subject, details::json->>'argument', details::json->>'source' FROM pgpmg.audit_log WHERE kind = 'key-generate'")
check "one key-generate audit row: actor, fingerprint, argument ($row)" \
    [ "$row" = "pgpmgctl (uid 0)|$alice|alice@example.com|generated" ]
q "SELECT armoured FROM pgpmg.keys WHERE fingerprint = '$alice'" >"$T/alice.db.asc"
mkdir -m 0700 "$T/reader"
check "gpg reads the recorded armour (CRC-24 checked): alice's key" bash -c \
    'gpg --homedir "$0" --batch --with-colons --import-options show-only --import "$1" 2>/dev/null | grep -q "^fpr:::::::::$2:"' \
    "$T/reader" "$T/alice.db.asc" "$alice"
check "... and it is keyd's export, byte for byte once dearmoured" bash -c \
    'cmp -s <(gpg --homedir "$0" --batch --dearmor <"$1") <(ctl key export "$2" | gpg --homedir "$0" --batch --dearmor)' \
    "$T/reader" "$T/alice.db.asc" "$alice"
if command -v sq >/dev/null; then
	check "Sequoia (sq) reads it too" bash -c \
	    'sq inspect "$0" 2>/dev/null | grep -qi "$1"' "$T/alice.db.asc" "$alice"
else
	not_ok "sq is not installed (make deps installs it)"
fi

# ---- import of an external key whose addresses carry SQL metacharacters
G=$T/ext
mkdir -m 0700 "$G"
gx() { gpg --homedir "$G" --batch --quiet --passphrase '' --pinentry-mode loopback "$@"; }
odd="o'brien--\$1%s@ext.example"
gx --quick-gen-key "Bob O'Brien \"; DROP TABLE pgpmg.keys; -- <$odd>" ed25519 cert never
bob=$(gx --list-keys --with-colons "$odd" | awk -F: '/^fpr/ { print $10; exit }')
gx --quick-add-uid "$bob" "Bob <bob@ext.example>" 2>/dev/null
gx --quick-add-uid "$bob" "Old <old@ext.example>" 2>/dev/null
gx --quick-revoke-uid "$bob" "Old <old@ext.example>" 2>/dev/null
# The owner is the primary user ID's address: make it the odd one (gpg
# would otherwise pick the newest self-signature, by the second).
gx --quick-set-primary-uid "$bob" "Bob O'Brien \"; DROP TABLE pgpmg.keys; -- <$odd>" 2>/dev/null
gx --armor --export "$bob" >"$T/bob.asc"
out=$(ctl key import "$T/bob.asc"); rc=$?
check "import bob (rc $rc)" [ "$rc" -eq 0 ] && [ "$out" = "$bob" ]
row=$(q "SELECT address, internal, source FROM pgpmg.keys WHERE fingerprint = '$bob'")
check "recorded verbatim: the owner address with its quote, dashes, \$1 and %s ($row)" \
    [ "$row" = "$odd|f|imported" ]
addrs=$(q "SELECT string_agg(address, ' ' ORDER BY address) FROM pgpmg.key_addresses WHERE fingerprint = '$bob'")
check "key_addresses: the valid user IDs' addresses, not the revoked one ($addrs)" \
    [ "$addrs" = "bob@ext.example $odd" ]
check "the tables are all still there" \
    [ "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'pgpmg'")" -ge 11 ]
check "one key-import audit row naming bob's key" \
    [ "$(q "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'key-import' AND subject = '$bob'")" -eq 1 ]

# An internal user's own public key (the gateway holds no secret part),
# whose encryption subkey expires long before its primary key: the record
# says internal, not held, and the date encryption stops.
gx --quick-gen-key "Pat <pat@example.com>" ed25519 cert 3y
pat=$(gx --list-keys --with-colons pat@example.com | awk -F: '/^fpr/ { print $10; exit }')
gx --quick-add-key "$pat" cv25519 encr 40d
gx --armor --export "$pat" >"$T/pat.asc"
sub_exp=$(gx --list-keys --with-colons "$pat" | awk -F: '/^sub/ { print $7; exit }')
ctl key import "$T/pat.asc" >/dev/null
row=$(q "SELECT internal, held, extract(epoch FROM expires)::bigint FROM pgpmg.keys WHERE fingerprint = '$pat'")
check "an internal user's public key: internal, not held, expires when its encryption subkey does ($row)" \
    [ "$row" = "t|f|$sub_exp" ]

# A renewal (the same key with a new expiry) is an import that changes
# the record, not a refusal.
gx --quick-set-expire "$pat" 80d '*'
gx --armor --export "$pat" >"$T/pat2.asc"
sub_exp=$(gx --list-keys --with-colons "$pat" | awk -F: '/^sub/ { print $7; exit }')
out=$(ctl key import "$T/pat2.asc" 2>&1); rc=$?
row=$(q "SELECT extract(epoch FROM expires)::bigint FROM pgpmg.keys WHERE fingerprint = '$pat'")
check "a renewed key imports (rc $rc: $out) and the record has the new date ($row)" \
    [ "$rc" -eq 0 ] && [ "$row" = "$sub_exp" ]

# ---- revoke
out=$(ctl key revoke "$alice"); rc=$?
row=$(q "SELECT revoked, revoked_at IS NOT NULL FROM pgpmg.keys WHERE fingerprint = '$alice'")
check "revoke alice (rc $rc): recorded revoked, with the time ($row)" \
    [ "$rc" -eq 0 ] && [ "$row" = "t|t" ]
check "one key-revoke audit row" \
    [ "$(q "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'key-revoke' AND subject = '$alice'")" -eq 1 ]

# ---- delete
before=$(audit_n)
out=$(ctl key delete "$alice" 2>&1); rc=$?
check "a key pair is not deleted: exit 2, says revoke ($out)" \
    bash -c '[ "$0" -eq 2 ] && grep -q "revoke it instead" <<<"$1"' "$rc" "$out"
check "... still recorded, and the refusal is not audited" bash -c \
    '[ "$(q "SELECT count(*) FROM pgpmg.keys WHERE fingerprint = '\''$0'\''")" -eq 1 ] && [ "$(audit_n)" -eq "$1" ]' \
    "$alice" "$before"
out=$(ctl key delete alice@example.com 2>&1); rc=$?
check "delete takes a fingerprint, not an address: exit 1" [ "$rc" -eq 1 ]
out=$(ctl key delete "$bob"); rc=$?
check "delete bob's public key (rc $rc): gone from the record and key_addresses" \
    bash -c '[ "$0" -eq 0 ] && [ "$(q "SELECT count(*) FROM pgpmg.keys WHERE fingerprint = '\''$1'\''") $(q "SELECT count(*) FROM pgpmg.key_addresses WHERE fingerprint = '\''$1'\''")" = "0 0" ]' \
    "$rc" "$bob"
row=$(q "SELECT actor, details::json->'removed'->>0 FROM pgpmg.audit_log WHERE kind = 'key-delete' AND subject = '$bob'")
check "one key-delete audit row, naming the removed record ($row)" \
    [ "$row" = "pgpmgctl (uid 0)|$bob" ]
check "... and keyd no longer has it" bash -c '! ctl key list | grep -q "^$0"' "$bob"

# ---- the database down: no change is made, reading works
pg_stop
n_keys=$(ctl key list | wc -l)
out=$(ctl key generate carol@example.com 2>&1); rc=$?
check "database down: generate refused, exit 2, says why ($out)" \
    bash -c '[ "$0" -eq 2 ] && grep -q "database is unavailable" <<<"$1"' "$rc" "$out"
out=$(ctl key import "$T/bob.asc" 2>&1); rc=$?
check "database down: import refused too (rc $rc)" [ "$rc" -eq 2 ]
check "database down: keyd made nothing; list still works" \
    bash -c '[ "$(ctl key list | wc -l)" -eq "$0" ] && ! ctl key list | grep -q carol@' "$n_keys"
check "database down: export still works" bash -c 'ctl key export "$0" | grep -q "BEGIN PGP PUBLIC KEY"' "$alice"
"$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null
check "database back: policyd reconnects" bash -c \
    'for i in $(seq 100); do [ "$(grep -c "policyd\[[0-9]*\]: database: up" "$0")" -ge 2 ] && exit 0; sleep 0.1; done; exit 1' \
    "$ENV_DIR/pgpmgd.log"
carol=$(ctl key generate carol@example.com); rc=$?
check "database back: generate works and is recorded (rc $rc)" \
    bash -c '[ "$0" -eq 0 ] && [ "$(q "SELECT source FROM pgpmg.keys WHERE fingerprint = '\''$1'\''")" = generated ]' "$rc" "$carol"

# ---- the record follows keyd
q "DELETE FROM pgpmg.keys WHERE fingerprint = '$carol'"
q "INSERT INTO pgpmg.keys (fingerprint, address, internal, source, created, armoured) VALUES ('$(printf 'AB%.0s' {1..20})', 'ghost@ext.example', false, 'imported', now(), '-----BEGIN PGP PUBLIC KEY BLOCK-----')"
before=$(audit_n)
"$PG_SH" stop "$PG_DATA" >/dev/null && "$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null
check "after a reconnect the row removed behind keyd's back is back" \
    wait_for 15 "SELECT count(*) FROM pgpmg.keys WHERE fingerprint = '$carol'" 1
check "... and the row keyd never had is gone" \
    wait_for 5 "SELECT count(*) FROM pgpmg.keys WHERE address = 'ghost@ext.example'" 0
row=$(q "SELECT actor, subject FROM pgpmg.audit_log WHERE kind = 'key-delete' AND id > (SELECT max(id) - 2 FROM pgpmg.audit_log)")
check "... its removal audited by the sync ($row)" \
    [ "$row" = "policyd (key sync)|$(printf 'AB%.0s' {1..20})" ]

# ---- a large inventory: in chunks; a key too large for the record
# Photo IDs make keys of a chosen size (gpg takes any JPEG-looking file).
photo_key() { # NAME BYTES: a key of NAME@big.example with a photo of BYTES
	local f
	gx --quick-gen-key "$1 <$1@big.example>" ed25519 cert never
	f=$(gx --list-keys --with-colons "$1@big.example" | awk -F: '/^fpr/ { print $10; exit }')
	{ printf '\xff\xd8\xff\xe0'; head -c "$2" /dev/urandom; } >"$T/$1.jpg"
	printf 'addphoto\n%s\ny\nsave\n' "$T/$1.jpg" |
	    gx --yes --command-fd 0 --edit-key "$f" >/dev/null 2>&1
	gx --export "$f" >"$T/$1.gpg"
	echo "$f"
}
big=()
for n in big1 big2 big3; do
	big+=("$(photo_key "$n" 700000)")
	ctl key import "$T/$n.gpg" >/dev/null || echo "# import of $n failed"
done
huge=$(photo_key huge 900000)
ctl key import "$T/huge.gpg" >/dev/null || echo "# import of huge failed"
check "three 700 kB keys (an inventory over 2 MiB): all recorded" \
    [ "$(q "SELECT count(*) FROM pgpmg.keys WHERE fingerprint IN ('${big[0]}', '${big[1]}', '${big[2]}')")" -eq 3 ]
check "... in more than one statement" \
    grep -qE "key record: .*\(([3-9]|[1-9][0-9]+) statements\)" "$ENV_DIR/pgpmgd.log"
check "the key whose armour exceeds 1 MiB is left out of the record, logged" \
    bash -c '[ "$(q "SELECT count(*) FROM pgpmg.keys WHERE fingerprint = '\''$0'\''")" -eq 0 ] && grep -q "key $0 is too large to record" "$1"' \
    "$huge" "$ENV_DIR/pgpmgd.log"
check "... while its import is audited and the rest stays in step" bash -c \
    '[ "$(q "SELECT count(*) FROM pgpmg.audit_log WHERE kind = '\''key-import'\'' AND subject = '\''$0'\''")" -eq 1 ] && [ "$(q "SELECT count(*) FROM pgpmg.keys")" -eq "$(($(ctl key list | wc -l) - 1))" ]' \
    "$huge"

# ---- the trail
out=$(ctl audit verify 2>&1); rc=$?
check "pgpmgctl audit verify passes ($out)" [ "$rc" -eq 0 ]
check "no child logged a fatal error" bash -c '! grep -q "fatal" "$0"' "$ENV_DIR/pgpmgd.log"
done_testing
