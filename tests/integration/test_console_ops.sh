#!/usr/bin/env bash
# policyd's console operations (policyd/console_op.c and the files that
# carry them out) against the real appliance, a real PostgreSQL 15
# cluster that the suite makes and removes (pg_lib.sh) and real gpg.
# webd is replaced by tests/integration/auth_webd, which sends IMSG_WEBD_OP
# over the real protocol (console_lib.sh).
# - the checks before every operation: no session, or one that expired,
#   is denied; a user's session asking for an administrator's operation
#   is denied; an operation that asks for the password again: none given
#   is "password" without counting, a wrong one is "password", counted
#   and audited, and enough of them lock;
# - each operation's output in its documented format, and every change's
#   audit row with the actor admin:ADDRESS (or user:ADDRESS);
set -u
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"
. "$(dirname "$0")/console_lib.sh"

console_setup
WORKERS=1
EXTRA_CONF="database-timeout 5"
new_env
trap 'pg_cleanup; console_cleanup; keyd_cleanup' EXIT
LOG=$ENV_DIR/pgpmgd.log
OUT=$ENV_DIR/out
SECONDS=0

PW_ALICE="alice's s3cret, with spaces"
PW_BOB="bob-password-1"
PW_MALLORY="mallory-password-1"
PW_DAVE="dave-password-1"

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
console_start || { echo "Bail out! appliance not ready"; exit 1; }
wait_log 'secrets: the console key is loaded' 10 ||
    { echo "Bail out! no console key"; exit 1; }
echo "# up after ${SECONDS}s"

# alice and dave are administrators, bob and mallory users; their passwords
# are cheap hashes (every operation that asks for the password again
# checks it: the suite would otherwise spend most of its time in scrypt).
ctl user add alice@example.com --role admin --name "Alice Liddell" >/dev/null
ctl user add bob@example.com >/dev/null
ctl user add mallory@example.com >/dev/null
ctl user add dave@example.com --role admin >/dev/null
for u in alice bob mallory dave; do
	v=PW_${u^^}
	sql "UPDATE pgpmg.users SET password_hash = '$(cheap_phc "${!v}")' WHERE address = '$u@example.com'"
	ctl user set "$u@example.com" portal yes >/dev/null
done
login() { web "l LOGIN $(enc "$1") $(enc "$2") $3"; ans l | awk '$1 == "ok" { print $2 }'; }
SA=$(login alice@example.com "$PW_ALICE" 192.0.2.1)
SB=$(login bob@example.com "$PW_BOB" 192.0.2.2)
SM=$(login mallory@example.com "$PW_MALLORY" 192.0.2.3)
SD=$(login dave@example.com "$PW_DAVE" 192.0.2.4)
[ ${#SA} = 64 ] && [ ${#SB} = 64 ] && [ ${#SM} = 64 ] && [ ${#SD} = 64 ] ||
    { echo "Bail out! the logins failed"; exit 1; }
# op TAG NAME SESSION PASSWORD ARG...: one operation, from the session's
# client; its answer by opans TAG, opdata TAG.
declare -A CLIENT=([$SA]=192.0.2.1 [$SB]=192.0.2.2 [$SM]=192.0.2.3 [$SD]=192.0.2.4)
opline() {
	local tag=$1 name=$2 sid=$3 pw=$4 line a
	shift 4
	line="$tag OP $name $sid ${CLIENT[$sid]:-192.0.2.99} $(enc "$pw")"
	for a in "$@"; do line="$line $(enc "$a")"; done
	printf '%s' "$line"
}
op() { web "$(opline "$@")"; }
echo "# users and sessions after ${SECONDS}s"

# ---------------------------------------------------------------- the checks
NOSES=0000000000000000000000000000000000000000000000000000000000000000
web "$(opline n POLICY_SHOW $NOSES "")" "$(opline g POLICY_SHOW garbage "")" \
    "$(opline u POLICY_SHOW "$SB" "")" "$(opline a POLICY_SHOW "$SA" "")"
[ "$(opans n | cut -d' ' -f1-2)" = "denied 0" ] && [ "$(opans g | cut -d' ' -f1)" = denied ] &&
    ok "no session: denied" || { not_ok "no session"; show; }
SX=$(login alice@example.com "$PW_ALICE" 192.0.2.9)
sql "UPDATE pgpmg.sessions SET created_at = now() - interval '2 days' WHERE id_hash = sha256('$SX'::bytea)"
web "$(opline x POLICY_SHOW "$SX" "")"
[ "$(opans x)" = "denied 0 no live session" ] && [ -z "$(opdata x)" ] && ok "an expired session: denied" ||
    { not_ok "expired: $(opans x)"; show; }
[ "$(opans u)" = "denied 0 only an administrator may do this" ] && [ -z "$(opdata u)" ] &&
    ok "a user's session asking for an administrator's operation: denied, nothing shown" || { not_ok "user: $(opans u)"; show; }
grep -qE 'policyd\[[0-9]+\]: console: user:bob@example.com asked for policy-show, which only an administrator may do: denied' "$LOG" &&
    ok "... and logged" || not_ok "the denial is not logged"
[ "$(opans a)" = "ok 0 " ] && [ "$(opdata a | head -1)" = "mode possible" ] &&
    [ "$(opdata a | grep -c .)" = 9 ] && ok "policy show: ok, pgpmgctl's nine lines" || { not_ok "policy show"; show; }

base=$(last_audit)
fails() { sql "SELECT failed_logins FROM pgpmg.users WHERE address = '$1'"; }
op p POLICY_SET "$SA" "" mode all
[ "$(opans p)" = "password 0 this needs your password" ] && [ "$(fails alice@example.com)" = 0 ] &&
    [ "$(last_audit)" = "$base" ] &&
    ok "an operation that asks for the password, without one: password, not counted, not audited" ||
    { not_ok "no password: $(opans p)"; show; }
op p POLICY_SET "$SA" "not her password" mode all
row=$(sql "SELECT kind || '|' || (details::json ->> 'reason') || '|' || (details::json ->> 'reauth')
    FROM pgpmg.audit_log WHERE id > $base")
[ "$(opans p)" = "password 0 the password is wrong" ] && [ "$(fails alice@example.com)" = 1 ] &&
    [ "$row" = "login-failed|wrong password|true" ] &&
    [ "$(sql "SELECT mode FROM pgpmg.policy")" = possible ] &&
    ok "a wrong password: password, counted and audited as a failed reauth; nothing changed" ||
    { not_ok "wrong password: $(opans p) $row"; show; }
base=$(last_audit)
op p POLICY_SET "$SA" "$PW_ALICE" mode all
row=$(sql "SELECT kind || '|' || actor FROM pgpmg.audit_log WHERE id > $base ORDER BY id" | tr '\n' ' ')
[ "$(opans p)" = "ok 0 " ] && [ "$(opdata p)" = "mode: possible -> all" ] &&
    [ "$row" = "login|admin:alice@example.com policy-change|admin:alice@example.com " ] &&
    [ "$(fails alice@example.com)" = 0 ] &&
    ok "the right password: done, audited as policy-change by admin:alice@example.com" ||
    { not_ok "policy set: $(opans p) / $row"; show; }
op s POLICY_SHOW "$SA" ""
[ "$(opdata s | grep -E '^(mode|updated-by) ')" = "mode all
updated-by admin:alice@example.com" ] && ok "policy show has it, updated by admin:alice@example.com" ||
    { not_ok "policy show after"; show; }

echo "# checks after ${SECONDS}s"
# Enough wrong passwords lock, as failed logins do.
got=""
for i in 1 2 3 4 5; do
	op m POLICY_SET "$SD" "wrong-$i" mode off
	got="$got $(opans m | cut -d' ' -f1-2)"
done
[ "$got" = " password 0 password 0 password 0 password 0 locked 1" ] &&
    [ "$(fails dave@example.com)" = 5 ] &&
    ok "wrong passwords again and again: the fifth locks (locked 1)" || not_ok "lock:$got"
op m POLICY_SET "$SD" "$PW_DAVE" mode off
[ "$(opans m | cut -d' ' -f1-2)" = "locked 1" ] && [ "$(sql "SELECT mode FROM pgpmg.policy")" = all ] &&
    ok "while locked even the right password is refused, and nothing changes" || not_ok "locked: $(opans m)"
sql "UPDATE pgpmg.users SET locked_until = NULL, failed_logins = 0 WHERE address = 'dave@example.com'"
echo "# checks done after ${SECONDS}s"

# ---------------------------------------------------------------- policy, rules, domains
# actor_of KIND: the actors of the audit rows of KIND after $base.
actor_of() { sql "SELECT actor FROM pgpmg.audit_log WHERE kind = '$1' AND id > $base ORDER BY id" | tr '\n' ' '; }
base=$(last_audit)
op r RULE_ADD "$SA" "$PW_ALICE" domain partner.example all 50
rid=$(opdata r | sed -n 's/^added rule \([0-9]*\)$/\1/p')
op l RULE_LIST "$SA" ""
[ "$(opans r)" = "ok 0 " ] && [ -n "$rid" ] &&
    [ "$(opdata l)" = "$rid	50	domain	partner.example	all" ] &&
    [ "$(actor_of rule-add)" = "admin:alice@example.com " ] &&
    ok "rule add: \"added rule N\", in rule list, audited by admin:alice@example.com" ||
    { not_ok "rule add: $(opans r) / $(opdata l)"; show; }
op r RULE_ADD "$SA" "$PW_ALICE" planet partner.example all
op t RULE_ADD "$SA" "$PW_ALICE" domain partner.example all 50 "" extra
[ "$(opans r)" = 'invalid 0 scope "planet" is not domain or address' ] &&
    [ "$(opans t)" = "invalid 0 too many values" ] &&
    ok "a bad value, or too many: invalid, with pgpmgctl's message" || { not_ok "invalid: $(opans r) / $(opans t)"; }
op d RULE_DEL "$SA" "$PW_ALICE" "$rid"
op n RULE_DEL "$SA" "$PW_ALICE" "$rid"
[ "$(opans d)" = "ok 0 " ] && [ "$(opdata d)" = "deleted rule $rid" ] &&
    [ "$(opans n)" = "notfound 0 no rule $rid" ] && [ "$(actor_of rule-delete)" = "admin:alice@example.com " ] &&
    ok "rule delete: done and audited; again: notfound" || { not_ok "rule del: $(opans d) / $(opans n)"; }
op a DOMAIN_ADD "$SA" "$PW_ALICE" Example.NET
op x DOMAIN_ADD "$SA" "$PW_ALICE" example.net
op l DOMAIN_LIST "$SA" ""
[ "$(opdata a)" = "added domain example.net" ] && [ "$(opans x | cut -d' ' -f1)" = exists ] &&
    [ "$(opdata l | tr '\n' ' ')" = "example.com example.net " ] &&
    ok "domain add (lower case), a second time exists, domain list" || { not_ok "domains: $(opans a) / $(opans x) / $(opdata l)"; }
op d DOMAIN_DEL "$SA" "$PW_ALICE" example.net
[ "$(opdata d)" = "deleted domain example.net" ] &&
    [ "$(actor_of domain-add)$(actor_of domain-delete)" = "admin:alice@example.com admin:alice@example.com " ] &&
    ok "domain delete; both audited by admin:alice@example.com" || { not_ok "domain del: $(opans d)"; }

# ---------------------------------------------------------------- users
base=$(last_audit)
EVIL="Carol'); DROP TABLE pgpmg.users;-- %s \$1"
op u USER_ADD "$SA" "$PW_ALICE" carol@example.com "$EVIL" user
PW_CAROL=$(opdata u | sed -n 's/^password\t//p')
[ "$(opans u)" = "ok 0 " ] && [ "$(opdata u | grep -c .)" = 1 ] &&
    [[ $PW_CAROL =~ ^[ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789]{22}$ ]] &&
    ok "user add: one line, password and 22 characters of the unambiguous alphabet (127 bits)" ||
    { not_ok "user add: $(opans u)"; show; }
row=$(sql "SELECT display_name || '|' || role || '|' || portal_login || '|' || (password_hash LIKE '\$scrypt\$ln=17,r=8,p=1\$%')
    FROM pgpmg.users WHERE address = 'carol@example.com'")
[ "$row" = "$EVIL|user|true|true" ] &&
    ok "stored: the name verbatim, role user, the portal login on, an scrypt hash of our parameters" || not_ok "carol: $row"
aud=$(sql "SELECT actor || '|' || (details::json -> 'after' ->> 'password') || '|' || (details::json -> 'after' ->> 'portal')
    FROM pgpmg.audit_log WHERE kind = 'user-add' AND id > $base")
[ "$aud" = "admin:alice@example.com|set|true" ] && ! grep -qF -- "$PW_CAROL" "$LOG" &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE details LIKE '%$PW_CAROL%'")" = 0 ] &&
    ok "audited as user-add by admin:alice@example.com (password set), the password in no log or row" ||
    not_ok "user-add audit: $aud"
SC=$(login carol@example.com "$PW_CAROL" 192.0.2.5)
[ ${#SC} = 64 ] && ok "the one-time password logs in" || not_ok "carol's login"
CLIENT[$SC]=192.0.2.5
op l USER_LIST "$SA" ""
[ "$(opdata l | grep -c .)" = 5 ] && opdata l | grep -qxF "carol@example.com	user	yes	no	$EVIL" &&
    ok "user list: pgpmgctl's lines, the name verbatim" || { not_ok "user list"; show; }
op s USER_SET "$SA" "$PW_ALICE" carol@example.com role admin
[ "$(opdata s)" = "carol@example.com role: user -> admin" ] && [ "$(actor_of user-change)" = "admin:alice@example.com " ] &&
    ok "user set: done, audited" || { not_ok "user set: $(opans s)"; }
base=$(last_audit)
op r USER_RESET "$SA" "$PW_ALICE" carol@example.com
PW_C2=$(opdata r | sed -n 's/^password\t//p')
web "o LOGIN carol@example.com $(enc "$PW_CAROL") 192.0.2.5" "n LOGIN carol@example.com $PW_C2 192.0.2.5" "s SESSION $SC 192.0.2.5"
[ "$(opans r)" = "ok 0 " ] && [ ${#PW_C2} = 22 ] && [ "$PW_C2" != "$PW_CAROL" ] &&
    [ "$(ans o)" = denied ] && [ "$(ans n | cut -d' ' -f1)" = ok ] && [ "$(ans s)" = none ] &&
    ok "user reset: a new one-time password; the old one denied, the new one logs in, the old session ended" ||
    { not_ok "reset: $(opans r)"; show; }
[ "$(actor_of password-change)" = "admin:alice@example.com " ] && ok "the reset is audited as password-change" ||
    not_ok "reset audit: $(actor_of password-change)"
op r USER_RESET "$SA" "$PW_ALICE" nobody@example.com
[ "$(opans r)" = "notfound 0 no user nobody@example.com" ] && ok "reset of nobody: notfound" || not_ok "reset nobody: $(opans r)"
op d USER_DEL "$SA" "$PW_ALICE" carol@example.com
[ "$(opdata d)" = "deleted user carol@example.com" ] && [ "$(actor_of user-delete)" = "admin:alice@example.com " ] &&
    ok "user delete (an operation added to the protocol): done, audited" || { not_ok "user del: $(opans d)"; }

# ---------------------------------------------------------------- my password
base=$(last_audit)
op m MY_PASSWORD "$SB" "$PW_BOB" $'bad\x01password'
[ "$(opans m)" = "invalid 0 the password has a control character" ] && ok "my password: a control character is invalid" ||
    not_ok "my password control: $(opans m)"
PW_B2="bob's new password, 1024 bytes at most"
op m MY_PASSWORD "$SB" "$PW_BOB" "$PW_B2"
web "s SESSION $SB 192.0.2.2" "o LOGIN bob@example.com $(enc "$PW_BOB") 192.0.2.2" "n LOGIN bob@example.com $(enc "$PW_B2") 192.0.2.2"
[ "$(opans m)" = "ok 0 " ] && [ "$(opdata m)" = "password set for bob@example.com" ] &&
    [ "$(ans s)" = none ] && [ "$(ans o)" = denied ] && [ "$(ans n | cut -d' ' -f1)" = ok ] &&
    [ "$(actor_of password-change)" = "user:bob@example.com " ] &&
    ok "my password: set, audited by user:bob@example.com; the session ended, the new password logs in" ||
    { not_ok "my password: $(opans m)"; show; }
sql "UPDATE pgpmg.users SET password_hash = '$(cheap_phc "$PW_B2")' WHERE address = 'bob@example.com'"
SB=$(login bob@example.com "$PW_B2" 192.0.2.2); CLIENT[$SB]=192.0.2.2
PW_BOB=$PW_B2
echo "# users done after ${SECONDS}s"

# ---------------------------------------------------------------- keys
keyd_setup
G=$T/outside
mkdir -m 0700 "$G"
gx() { gpg --homedir "$G" --batch --quiet --passphrase "${GX_PASS:-}" --pinentry-mode loopback "$@"; }
fpr_of() { gx --with-colons -k "$1" | awk -F: '/^fpr/ { print $10; exit }'; }
newkey() {	# UID: a key with a signing primary and an encryption subkey
	gx --quick-gen-key "$1" ed25519 sign,cert 1y
	gx --quick-add-key "$(fpr_of "$1")" cv25519 encr 1y
}
# mallory's own public key (a name beside the address), one that also
# names alice, and one that names alice only; dave of example.org, an
# external correspondent; and mallory's own key pair (passphrase given).
newkey "Mallory M <mallory@example.com>"; MK=$(fpr_of "Mallory M")
gx -a --export "$MK" >"$T/mallory.asc"
newkey "mixed@example.com"; MIX=$(fpr_of mixed@example.com)
gx --quick-add-uid "$MIX" "mallory@example.com" 2>/dev/null
gx --quick-add-uid "$MIX" "Alice <alice@example.com>" 2>/dev/null
gx --quick-revoke-uid "$MIX" mixed@example.com 2>/dev/null
gx -a --export "$MIX" >"$T/mixed.asc"
newkey "alice@example.com"; FAKE=$(fpr_of alice@example.com)
gx -a --export "$FAKE" >"$T/fake-alice.asc"
newkey "Dave <dave@example.org>"; DK=$(fpr_of dave@example.org)
gx -a --export "$DK" >"$T/dave.asc"
GX_PASS="mallory's passphrase" newkey "Mallory Pair <mallory@example.com>"
MP=$(fpr_of "Mallory Pair")
GX_PASS="mallory's passphrase" gx -a --export-secret-keys "$MP" >"$T/mallory.sec.asc"
GX_PASS="other passphrase" newkey "mallory.pair@example.com"
OP=$(fpr_of mallory.pair@example.com)
GX_PASS="other passphrase" gx -a --export-secret-keys "$OP" >"$T/other.sec.asc"
gpgconf --homedir "$G" --kill gpg-agent 2>/dev/null
echo "# keys made after ${SECONDS}s"
upline() {	# TAG NAME SESSION PASSWORD FILE ARG...
	local tag=$1 name=$2 sid=$3 pw=$4 file=$5 line a
	shift 5
	line="$tag OPUP $name $sid ${CLIENT[$sid]} $(enc "$pw") $file"
	for a in "$@"; do line="$line $(enc "$a")"; done
	printf '%s' "$line"
}
keyrow() { opdata "$1" | awk -F'\t' -v f="$2" '$1 == f'; }
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

base=$(last_audit)
op g KEY_GENERATE "$SA" "$PW_ALICE" bob@example.com
BK=$(opdata g)
op l KEY_LIST "$SA" ""
[ "$(opans g)" = "ok 0 " ] && [[ $BK =~ ^[0-9A-F]{40}$ ]] &&
    [[ $(keyrow l "$BK") =~ ^$BK$'\t'internal$'\t'generated$'\t'$ISO$'\t'$ISO$'\t'no$'\t'yes$'\t'bob@example\.com$ ]] &&
    ok "key generate: the fingerprint; key list: internal, generated, created, an expiry, not revoked, held, the address" ||
    { not_ok "generate: $(opans g) / $(keyrow l "$BK")"; show; }
[ "$(opdata l | awk -F'\t' 'NF != 8' | wc -l)" = 0 ] && [ "$(opdata l | grep -c .)" = "$(sql "SELECT count(*) FROM pgpmg.keys")" ] &&
    ok "every key of the record listed, each in eight fields" || not_ok "key list lines"
[ "$(actor_of key-generate)" = "admin:alice@example.com " ] && ok "audited as key-generate by admin:alice@example.com" ||
    not_ok "key-generate audit: $(actor_of key-generate)"
op e KEY_EXPORT "$SA" "" "${BK,,}"
opfd e >"$T/bob.asc"
mkdir -m 0700 "$T/reader"
[ "$(opans e)" = "ok 0 " ] && [ -z "$(opdata e)" ] && head -1 "$T/bob.asc" | grep -q '^-----BEGIN PGP PUBLIC KEY BLOCK-----' &&
    gpg --homedir "$T/reader" --batch --with-colons --import-options show-only --import "$T/bob.asc" 2>/dev/null |
    grep -q "^fpr:::::::::$BK:" &&
    ok "key export (a fingerprint in lower case): the armour as DONE's fd, which gpg reads" || { not_ok "export: $(opans e)"; show; }
! grep -q 'PRIVATE' "$T/bob.asc" && ok "... the public key only" || not_ok "a secret key in the export"
op x KEY_EXPORT "$SA" "" nothex
[ "$(opans x)" = "invalid 0 a fingerprint is 40 or 64 hexadecimal digits" ] && ok "not a fingerprint: invalid" || not_ok "not fpr: $(opans x)"

# The own-key rule: bob sees and exports his key, mallory sees none of it.
op b MY_KEYS "$SB" ""
op m MY_KEYS "$SM" ""
[ "$(opdata b | cut -f1)" = "$BK" ] && [ -z "$(opdata m)" ] && [ "$(opans m)" = "ok 0 " ] &&
    ok "my keys: bob's own key for bob, nothing for mallory" || { not_ok "my keys: $(opdata b) / $(opdata m)"; }
web "$(opline be MY_KEY_EXPORT "$SB" "" "$BK")" "$(opline me MY_KEY_EXPORT "$SM" "" "$BK")" \
    "$(opline mn MY_KEY_EXPORT "$SM" "" 0123456789ABCDEF0123456789ABCDEF01234567)"
[ "$(opfd be | head -1)" = "-----BEGIN PGP PUBLIC KEY BLOCK-----" ] &&
    ok "my key export: bob exports his own" || { not_ok "bob's export"; show; }
[ "$(opans me)" = "notfound 0 you have no key $BK" ] && [ -z "$(opfd me)" ] &&
    [ "$(opans mn)" = "notfound 0 you have no key 0123456789ABCDEF0123456789ABCDEF01234567" ] &&
    ok "mallory cannot export bob's key: notfound, as for a key nobody has" || { not_ok "mallory's export"; show; }
base=$(last_audit)
op mr MY_KEY_REVOKE "$SM" "$PW_MALLORY" "$BK"
[ "$(opans mr)" = "notfound 0 you have no key $BK" ] &&
    [ "$(sql "SELECT revoked FROM pgpmg.keys WHERE fingerprint = '$BK'")" = f ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE id > $base AND kind <> 'login'")" = 0 ] &&
    ok "mallory cannot revoke bob's key: notfound, nothing revoked or audited" || not_ok "mallory's revoke: $(opans mr)"

# Uploads: the user's own address in every user ID, or nothing.
base=$(last_audit)
web "$(upline u1 MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/mixed.asc")" \
    "$(upline u2 MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/fake-alice.asc")"
[ "$(opans u1)" = "invalid 0 key $MIX has a user ID that is not mallory@example.com: only a key whose every user ID is your address can be uploaded" ] &&
    [ "$(opans u2)" = "invalid 0 key $FAKE has a user ID that is not mallory@example.com: only a key whose every user ID is your address can be uploaded" ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.keys WHERE fingerprint IN ('$MIX', '$FAKE')")" = 0 ] &&
    ! ctl key list | grep -qE "$MIX|$FAKE" &&
    ok "my key import: a key that also names another address, or names another only: invalid, nothing imported" ||
    { not_ok "foreign uploads: $(opans u1) / $(opans u2)"; show; }
web "$(upline u MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/mallory.asc")"
op m MY_KEYS "$SM" ""
row=$(sql "SELECT actor || '|' || subject || '|' || (details::json ->> 'source') FROM pgpmg.audit_log WHERE kind = 'key-upload' AND id > $base")
[ "$(opans u)" = "ok 0 " ] && [ "$(opdata u)" = "$MK" ] &&
    [[ $(keyrow m "$MK") =~ ^$MK$'\t'internal$'\t'uploaded$'\t'$ISO$'\t'$ISO$'\t'no$'\t'no$'\t'mallory@example\.com$ ]] &&
    [ "$row" = "user:mallory@example.com|$MK|uploaded" ] &&
    ok "my key import of mallory's own key (a name beside the address): recorded as uploaded, audited as key-upload by user:mallory@example.com" ||
    { not_ok "mallory's upload: $(opans u) / $row"; show; }
web "$(upline p0 MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/mallory.sec.asc")" \
    "$(upline p1 MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/mallory.sec.asc" "not the passphrase")"
[ "$(opans p0 | cut -d' ' -f1-2)" = "passphrase 0" ] && [ "$(opans p1 | cut -d' ' -f1-2)" = "passphrase 0" ] &&
    ok "a key pair without its passphrase, or with a wrong one: passphrase" || { not_ok "pair: $(opans p0) / $(opans p1)"; }
[ "$(opans p0 | cut -d' ' -f3-)" = "a key pair needs its passphrase" ] || echo "# p0: $(opans p0)"
web "$(upline p MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/mallory.sec.asc" "mallory's passphrase")" \
    "$(upline o MY_KEY_IMPORT "$SM" "$PW_MALLORY" "$T/other.sec.asc" "other passphrase")"
op m MY_KEYS "$SM" ""
[ "$(opans p)" = "ok 0 " ] && [ "$(keyrow m "$MP" | cut -f2,3,7)" = "internal	uploaded	yes" ] &&
    ok "mallory's own key pair with its passphrase: imported, held" || { not_ok "own pair: $(opans p)"; show; }
[ "$(opans o)" = "invalid 0 key $OP has a user ID that is not mallory@example.com: only a key whose every user ID is your address can be uploaded" ] &&
    ok "... a key pair of another address: invalid" || { not_ok "pair of another: $(opans o)"; }

# A key that names mallory among others (imported by an administrator):
# hers to download, not hers alone to revoke.
web "$(upline ix KEY_IMPORT "$SA" "$PW_ALICE" "$T/mixed.asc")"
base=$(last_audit)
web "$(opline xe MY_KEY_EXPORT "$SM" "" "$MIX")"
op xr MY_KEY_REVOKE "$SM" "$PW_MALLORY" "$MIX"
[ "$(opans ix)" = "ok 0 " ] && [ "$(opfd xe | head -1)" = "-----BEGIN PGP PUBLIC KEY BLOCK-----" ] &&
    [ "$(opans xr)" = "invalid 0 key $MIX is not yours alone (it has user IDs of other addresses): an administrator can change it" ] &&
    [ "$(sql "SELECT revoked FROM pgpmg.keys WHERE fingerprint = '$MIX'")" = f ] &&
    [ "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE id > $base AND kind <> 'login'")" = 0 ] &&
    ok "a key of mallory's and another's: she may download it, not revoke it (invalid, nothing revoked or audited)" ||
    { not_ok "shared key: $(opans ix) / $(opans xr)"; show; }

# Revoke and delete.
base=$(last_audit)
op r MY_KEY_REVOKE "$SB" "$PW_BOB" "$BK"
op l KEY_LIST "$SA" ""
[ "$(opans r)" = "ok 0 " ] && [ "$(opdata r)" = "$BK" ] && [ "$(keyrow l "$BK" | cut -f6)" = yes ] &&
    [ "$(actor_of key-revoke)" = "user:bob@example.com " ] &&
    ok "my key revoke: bob revokes his own key; the list shows it revoked; audited by user:bob@example.com" ||
    { not_ok "bob's revoke: $(opans r)"; show; }
web "$(upline i KEY_IMPORT "$SA" "$PW_ALICE" "$T/dave.asc")"
op l KEY_LIST "$SA" ""
[ "$(opans i)" = "ok 0 " ] && [[ $(keyrow l "$DK") =~ ^$DK$'\t'external$'\t'imported$'\t' ]] &&
    [ "$(actor_of key-import)" = "admin:alice@example.com " ] &&
    ok "key import (an administrator's): dave's key external, imported, audited" || { not_ok "import: $(opans i)"; show; }
op d KEY_DELETE "$SA" "$PW_ALICE" "$DK"
op n KEY_DELETE "$SA" "$PW_ALICE" "$BK"
op l KEY_LIST "$SA" ""
[ "$(opans d)" = "ok 0 " ] && [ -z "$(keyrow l "$DK")" ] && [ "$(actor_of key-delete)" = "admin:alice@example.com " ] &&
    ok "key delete: gone from the record, audited" || { not_ok "delete: $(opans d)"; }
[ "$(opans n | cut -d' ' -f1)" = invalid ] && [ -n "$(keyrow l "$BK")" ] &&
    ok "a key pair is not deleted (invalid: revoke it instead)" || not_ok "delete pair: $(opans n)"
op r KEY_REVOKE "$SA" "$PW_ALICE" "$MP"
op l KEY_LIST "$SA" ""
[ "$(opans r)" = "ok 0 " ] && [ "$(keyrow l "$MP" | cut -f6)" = yes ] && [ "$(actor_of key-revoke)" = "user:bob@example.com admin:alice@example.com " ] &&
    ok "key revoke (an administrator's, of mallory's key pair): revoked in the list, audited" || { not_ok "admin revoke: $(opans r)"; }
op g KEY_GENERATE "$SB" "$PW_BOB" bob@example.com
[ "$(opans g)" = "denied 0 only an administrator may do this" ] && ok "a user cannot generate keys" || not_ok "user generate: $(opans g)"
echo "# keys done after ${SECONDS}s"

# ---------------------------------------------------------------- status
op st STATUS "$SA" ""
procs=$(opdata st | grep '^proc	')
[ "$(opans st)" = "ok 0 " ] && [ "$(grep -c . <<<"$procs")" = 5 ] &&
    [ "$(awk -F'\t' 'NF != 14' <<<"$procs" | wc -l)" = 0 ] &&
    [ "$(cut -f2 <<<"$procs" | sort | tr '\n' ' ')" = "cryptod#0 keyd policyd smtpd webd " ] &&
    ok "status: every process, in fourteen fields" || { not_ok "status: $(opans st)"; show; }
bad=""
for p in keyd policyd cryptod#0 smtpd; do
	read -r name pid ready up user sc nnp cap root netns ll pup pexp < <(awk -F'\t' -v n="$p" '$2 == n { $1 = ""; print }' OFS=' ' <<<"$procs")
	u=_pgpmg_${p%#*}
	[ "$pid" = "$(child_pid "$p")" ] && [ "$ready" = 1 ] && [ "$user" = "$u" ] && [ "$sc" = 2 ] &&
	    [ "$nnp" = 1 ] && [ "$cap" = 0000000000000000 ] && [ "$pup" = "$pexp" ] && [ "$pexp" -gt 0 ] || bad="$bad $p"
	case $p in smtpd) [ "$netns" = 0 ] || bad="$bad $p:netns";; *) [ "$netns" = 1 ] || bad="$bad $p:netns";; esac
done
[ -z "$bad" ] && ok "status: each sandboxed process as pgpmgctl status has it: its pid, ready, its user, seccomp 2, no_new_privs, no capability, its network namespace, all peers up" ||
    { not_ok "status fields:$bad"; sed 's/^/#   /' <<<"$procs"; }
db=$(opdata st | grep '^db	')
[[ $db =~ ^db$'\t'up$'\t'[0-9]+$'\t'PostgreSQL\ 15 ]] && ok "status: the database up, with the server's version" || not_ok "db line: $db"
op st STATUS "$SB" ""
[ "$(opans st)" = "denied 0 only an administrator may do this" ] && ok "status is an administrator's" || not_ok "user status: $(opans st)"
# The parent stopped: policyd does not wait for ever.
kill -STOP "$PGPMGD_PID"
t0=$(now_ms)
op st STATUS "$SA" ""
t=$(($(now_ms) - t0))
kill -CONT "$PGPMGD_PID"
[ "$(opans st)" = "unavailable 0 the processes' status: the parent did not answer in time" ] && [ "$t" -ge 4900 ] && [ "$t" -lt 8000 ] &&
    ok "the parent stopped: status unavailable after the timeout ($t ms)" || { not_ok "parent stopped: $(opans st) ($t ms)"; }
sleep 0.5
op st STATUS "$SA" ""
[ "$(opans st)" = "ok 0 " ] && ok "the parent back: status ok again (its late answer dropped)" || not_ok "after CONT: $(opans st)"
echo "# status done after ${SECONDS}s"

# ---------------------------------------------------------------- statistics
# What results.c writes for cryptod's reports, as the superuser writes it
# here: this hour (both directions) and 30 hours ago.
sql "INSERT INTO pgpmg.stats_hourly (hour, direction, messages, encrypted, signed, decrypted, sig_good, sig_bad, failures)
    VALUES (date_trunc('hour', now()), 'out', 10, 7, 9, 0, 0, 0, 1),
    (date_trunc('hour', now()), 'in', 5, 0, 0, 2, 3, 1, 1),
    (date_trunc('hour', now()) - interval '30 hours', 'out', 4, 4, 4, 0, 0, 0, 0)"
H=$(sql "SELECT extract(epoch FROM date_trunc('hour', now()))::bigint")
web "$(opline s STATS "$SA" "")" "$(opline w STATS "$SA" "" 48)" "$(opline x STATS "$SA" "" 169)" \
    "$(opline y STATS "$SA" "" 1x)"
[ "$(opdata s)" = "$H	messages	15
$H	encrypted	7
$H	signed	9
$H	decrypted	2
$H	sig-good	3
$H	sig-bad	1
$H	failed	2" ] && ok "stats: the last 24 hours, one line per hour and outcome, both directions added up" ||
    { not_ok "stats"; show; }
[ "$(opdata w | grep -c .)" = 14 ] && [ "$(opdata w | head -1)" = "$((H - 30 * 3600))	messages	4" ] &&
    ok "stats 48: the hour 30 hours ago first" || { not_ok "stats 48"; opdata w | head -3; }
[ "$(opans x)" = "invalid 0 hours: a number from 1 to 168" ] && [ "$(opans y | cut -d' ' -f1)" = invalid ] &&
    ok "stats: 169 hours or not a number: invalid" || not_ok "stats invalid: $(opans x) / $(opans y)"

# ---------------------------------------------------------------- failures
sql "INSERT INTO pgpmg.audit_log (actor, kind, subject, details) VALUES ('policyd', 'refused',
    'x@partner.example', json_build_object('direction', 'out', 'sender', 'alice@example.com',
    'recipient', 'x@partner.example', 'detail', 'no key, policy all', 'reported-by', 'cryptod#0')::text)"
op f FAILURES "$SA" ""
first=$(opdata f | head -1)
[[ $first =~ ^$ISO$'\t'refused$'\t'policyd$'\t'x@partner\.example$'\t'no\ key,\ policy\ all,\ from\ alice@example\.com,\ to\ x@partner\.example$ ]] &&
    ok "failures: the refusal first, with its detail in words" || { not_ok "failures: $first"; }
opdata f | grep -qE $'^'"$ISO"$'\tlogin-failed\tconsole\tdave@example\.com\twrong password, client 192\\.0\\.2\\.4, failed logins [0-9]+$' &&
    [ "$(opdata f | awk -F'\t' 'NF != 5' | wc -l)" = 0 ] && [ "$(opdata f | grep -c .)" -le 50 ] &&
    ok "failures: the failed password checks too, five fields each, at most 50" || { not_ok "failures lines"; opdata f | sed -n 2,4p; }

# ---------------------------------------------------------------- audit list
audit_op() { web "$(opline a AUDIT_LIST "$SA" "" "$@")"; }
# At least 100 rows, for the bound.
sql "INSERT INTO pgpmg.audit_log (actor, kind, subject) SELECT 'policyd', 'held', 'held' || g FROM generate_series(1, 100) g"
audit_op
n_all=$(opdata a | grep -c .)
top=$(sql "SELECT max(id) FROM pgpmg.audit_log")
[ "$(opans a)" = "ok 0 " ] && [ "$n_all" = 100 ] && [ "$(opdata a | head -1 | cut -f1)" = "$top" ] &&
    [ "$(opdata a | awk -F'\t' 'NF != 7' | wc -l)" = 0 ] &&
    [ "$(opdata a | cut -f1 | sort -rn | tr '\n' ' ')" = "$(opdata a | cut -f1 | tr '\n' ' ')" ] &&
    ok "audit list: 100 rows, newest first, seven fields" || { not_ok "audit list: $(opans a) $n_all"; }
audit_op "" "" "" "" "" "$((top - 99))"
want=$((top - 100)); [ $want -gt 100 ] && want=100
[ "$(opdata a | head -1 | cut -f1)" = "$((top - 100))" ] && [ "$(opdata a | grep -c .)" = "$want" ] &&
    ok "... and the page before an id" || not_ok "before: $(opdata a | head -1)"
audit_op "" policy-change
[ "$(opdata a | cut -f5 | sort -u)" = policy-change ] &&
    [ "$(opdata a | grep -c .)" = "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE kind = 'policy-change'")" ] &&
    ok "by kind: every policy-change row, no other" || not_ok "kind filter"
audit_op console
[ "$(opdata a | cut -f3 | sort -u)" = console ] && ! opdata a | cut -f4 | grep -qvE '^(console|admin:.*|user:.*)$' &&
    ok "by process: console rows, actors admin:, user: and console" || not_ok "process filter: $(opdata a | cut -f3,4 | sort -u | head -3)"
audit_op pgpmgctl
[ "$(opdata a | cut -f4 | sort -u | tr '\n' ' ')" = "pgpmgctl (uid 0) pgpmgctl:root " ] &&
    ok "by process: pgpmgctl's (its commands, the migrations)" || not_ok "pgpmgctl: $(opdata a | cut -f4 | sort -u)"
audit_op cryptod refused
[ "$(opdata a | cut -f3,5 | sort -u)" = "cryptod	refused" ] && [ "$(opdata a | grep -c .)" = 1 ] &&
    ok "by process and kind: cryptod's refusal" || not_ok "cryptod: $(opdata a | cut -f5 | sort -u)"
audit_op "" "" "user:bob"
[ "$(opdata a | cut -f4 | sort -u)" = "user:bob@example.com" ] &&
    [ "$(opdata a | grep -c .)" = "$(sql "SELECT count(*) FROM pgpmg.audit_log WHERE actor = 'user:bob@example.com'")" ] &&
    ok "by a part of the actor" || not_ok "actor filter"
web "$(opline i1 AUDIT_LIST "$SA" "" "" "" "%")" "$(opline i2 AUDIT_LIST "$SA" "" "" "" "_")" \
    "$(opline i3 AUDIT_LIST "$SA" "" "" "x' OR '1'='1")" "$(opline i4 AUDIT_LIST "$SA" "" "" "" "admin' OR actor <> '")" \
    "$(opline i5 AUDIT_LIST "$SA" "" "" "policy-change'; DELETE FROM pgpmg.audit_log; --")"
[ "$(opans i1)$(opans i2)$(opans i3)$(opans i4)$(opans i5)" = "ok 0 ok 0 ok 0 ok 0 ok 0 " ] &&
    [ -z "$(opdata i1)$(opdata i2)$(opdata i3)$(opdata i4)$(opdata i5)" ] &&
    [ "$(sql "SELECT max(id) FROM pgpmg.audit_log")" = "$top" ] &&
    ok "SQL and pattern characters as filters are looked for verbatim: nothing matches, nothing happens" ||
    { not_ok "injection-looking filters"; show; }
audit_op "" user-add "" "" "" ""
opdata a | grep -F "carol@example.com" | cut -f7 | grep -qF "\"name\" : \"$EVIL\"" &&
    ok "a row's details shown as stored: carol's name with its quotes, dollar and percent verbatim" ||
    { not_ok "user-add details"; opdata a | grep carol | sed 's/^/#   /'; }
web "$(opline t1 AUDIT_LIST "$SA" "" "" "" "" 2999-01-01)" "$(opline t2 AUDIT_LIST "$SA" "" "" "" "" "" 2000-01-01)" \
    "$(opline t3 AUDIT_LIST "$SA" "" "" "" "" "2000-01-01T00:00" "2999-12-31T23:59:59+02:00")" \
    "$(opline t4 AUDIT_LIST "$SA" "" "" "" "" "$(date -u +%Y-%m-%dT%H:%M:%S -d '-1 hour')")"
[ -z "$(opdata t1)$(opdata t2)" ] && [ "$(opdata t3 | grep -c .)" = 100 ] && [ "$(opdata t4 | grep -c .)" = 100 ] &&
    ok "since and until: a date, a time, with and without a zone" || { not_ok "times: $(opans t1) / $(opans t2) / $(opans t3)"; }
web "$(opline v1 AUDIT_LIST "$SA" "" bogus)" "$(opline v2 AUDIT_LIST "$SA" "" "" "" "" yesterday)" \
    "$(opline v3 AUDIT_LIST "$SA" "" "" "" "" 2026-13-01)" "$(opline v4 AUDIT_LIST "$SA" "" "" "" "" "" "" -5)" \
    "$(opline v5 AUDIT_LIST "$SA" "" "" "" "" "2026-01-01'; --")"
[ "$(opans v1 | cut -d' ' -f1)$(opans v2 | cut -d' ' -f1)$(opans v3 | cut -d' ' -f1)$(opans v4 | cut -d' ' -f1)$(opans v5 | cut -d' ' -f1)" = invalidinvalidinvalidinvalidinvalid ] &&
    ok "a bad process, time (words, month 13, with SQL) or id: invalid" || { not_ok "invalid filters"; show; }

# ---------------------------------------------------------------- notices
sql "INSERT INTO pgpmg.notices (recipient, kind, subject) VALUES ('admin', 'info', E'two\tfields\nand a line')"
op n NOTICE_LIST "$SA" ""
[[ $(opdata n | head -1) =~ ^[0-9]+$'\t'$ISO$'\t'info$'\t'admin$'\t'two\\x09fields\\x0aand\ a\ line$ ]] &&
    ok "notice list: the newest first; a tab and a line end in the text shown as \\x09 and \\x0a" ||
    { not_ok "notices: $(opdata n | head -1)"; }
echo "# lists done after ${SECONDS}s"

# ---------------------------------------------------------------- audit chain
chain() { op c AUDIT_CHAIN "$SA" ""; opdata c; }
r=$(chain)
[ "$r" = "ok	$(sql "SELECT count(*) FROM pgpmg.audit_log")	$(sql "SELECT max(id) FROM pgpmg.audit_log")" ] &&
    ok "audit chain: ok, the rows and the last id ($r)" || { not_ok "chain: $r $(opans c)"; }
# Many rows: policyd reads them in chunks, and serves others meanwhile.
sql "INSERT INTO pgpmg.audit_log (actor, kind, subject, details)
    SELECT 'policyd', 'refused', 'filler' || g, '{}' FROM generate_series(1, 20000) g"
N=$(sql "SELECT count(*) FROM pgpmg.audit_log"); L=$(sql "SELECT max(id) FROM pgpmg.audit_log")
web "$(opline c AUDIT_CHAIN "$SA" "")" "s SESSION $SA 192.0.2.1" "$(opline c2 AUDIT_CHAIN "$SA" "")"
[ "$(opdata c)" = "ok	$N	$L" ] && ok "audit chain of $N rows: ok in $(ms c) ms" || { not_ok "big chain: $(opdata c) $(opans c)"; }
[ "$(ans s | cut -d' ' -f1)" = ok ] && [ "$(ms s)" -lt 200 ] && [ "$(ms s)" -lt "$(ms c)" ] &&
    ok "... while a session lookup is answered in $(ms s) ms" || { not_ok "session during the chain: $(ans s) $(ms s) ms"; }
[ "$(opans c2)" = "busy 0 the chain is being checked already: try again when that is done" ] &&
    ok "... and a second check at once is busy" || not_ok "second chain: $(opans c2)"
# Tampering, as the database's owner can: a row's contents, at the end
# of a chunk (policyd reads 128 rows at a time).
tamper() { sql "ALTER TABLE pgpmg.audit_log DISABLE TRIGGER audit_log_append_only; $1;
    ALTER TABLE pgpmg.audit_log ENABLE ALWAYS TRIGGER audit_log_append_only"; }
old=$(sql "SELECT subject FROM pgpmg.audit_log WHERE id = 128")
tamper "UPDATE pgpmg.audit_log SET subject = subject || 'x' WHERE id = 128"
r=$(chain)
[ "$r" = "broken	128	its contents were altered (they do not hash to its stored hash, to which row 129 is chained)" ] &&
    ctl audit verify | grep -q '^audit chain: broken at row 128: its contents were altered' &&
    ok "audit chain: a row altered (the last of a chunk): broken at it, as pgpmgctl audit verify says" || not_ok "altered: $r"
tamper "UPDATE pgpmg.audit_log SET subject = '$old' WHERE id = 128"
[ "$(chain | cut -f1)" = ok ] && ok "put back: ok again" || not_ok "put back: $(opdata c)"
tamper "UPDATE pgpmg.audit_log SET hash = sha256('x') WHERE id = 300"
r=$(chain)
[ "$r" = "broken	300	its stored hash was replaced (it matches neither its contents nor the prev_hash of the next row)" ] &&
    ok "a row's stored hash replaced: broken at it" || not_ok "hash replaced: $r"
grep -qE 'policyd\[[0-9]+\]: audit chain: broken at row 300' "$LOG" && ok "... and logged" || not_ok "not logged"
tamper "DELETE FROM pgpmg.audit_log WHERE id IN (300, $((L - 5)))"
r=$(chain)
[ "$r" = "broken	300	missing (deleted): row 301 follows row 299" ] && ok "rows deleted: broken at the first missing" || not_ok "deleted: $r"
echo "# chain done after ${SECONDS}s"

# ---------------------------------------------------------------- malformed
# An argument beyond CONSOLE_ARG_MAX is a protocol violation (webd refuses
# longer input itself): fatal to policyd, and so to the appliance.
op x MY_PASSWORD "$SB" "$PW_BOB" "$(printf 'x%.0s' $(seq 1025))" >/dev/null 2>&1
if wait_exit "$PGPMGD_PID" 10; then
	wait "$PGPMGD_PID" 2>/dev/null; PGPMGD_PID=
	grep -qE 'policyd\[[0-9]+\]: fatal: malformed WEBD_OP' "$LOG" &&
	    ok "an argument of 1025 bytes: fatal to policyd (malformed WEBD_OP), the appliance stops" ||
	    { not_ok "1025: no fatal line"; grep policyd "$LOG" | tail -3 | sed 's/^/#   /'; }
else
	not_ok "1025: the appliance still runs"
fi

echo "# done after ${SECONDS}s"
done_testing
