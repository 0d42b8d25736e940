#!/usr/bin/env bash
# pgpmgctl's user commands against a real PostgreSQL 15 cluster that the
# suite makes and removes (pg_lib.sh):
# - user add, list, set, passwd and del do what they say, with stable
#   output; addresses are kept as given and found whatever their case;
# - display names and addresses carrying SQL, format strings, quotes,
#   backslashes and UTF-8 are stored, listed and audited verbatim, and
#   the tables are whole afterwards;
# - control characters and invalid UTF-8 are refused by pgpmgctl (exit 1)
#   and by policyd itself when sent unchecked (tests/integration/ctladmin);
#   nothing changes and nothing is audited then;
# - passwd stores an scrypt PHC string that the schema accepts and that is
#   the password's (checked here with Python's own scrypt), never shown by
#   list, the audit log or the log; --random prints its password once;
# - every change is one audit row, and `pgpmgctl audit verify` passes;
# - while the database is down every command fails clearly and changes
#   nothing; after it is back they work again.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

CTLADMIN=$BIN/tests/integration/ctladmin
EXTRA_CONF="database-timeout 3"
new_env
trap pg_cleanup EXIT
OUT=$ENV_DIR/out
ERR=$ENV_DIR/err
SECONDS=0

. "$(dirname "$0")/expect_lib.sh"
audit_count() { pg_psql -c "SELECT count(*) FROM pgpmg.audit_log"; }
# The users table as text, to show that nothing changed.
users_dump() {
	pg_psql -c "SELECT coalesce(string_agg(id || '|' || address || '|' || display_name || '|' ||
	    role || '|' || portal_login || '|' || coalesce(password_hash, '-') || '|' ||
	    failed_logins || '|' || coalesce(locked_until::text, '-'), E'\n' ORDER BY id), '')
	    FROM pgpmg.users"
}
# A query with psql variables (-v name=value, quoted as :'name'), read
# from stdin: psql interpolates nothing given with -c.
pg_query() { local q=$1; shift; printf '%s\n' "$q" | pg_psql "$@"; }
raw() { "$CTLADMIN" "$ENV_DIR/pgpmgd.sock" "$@"; }
# ADMIN_OP_* numbers (common/msg.h)
OP_USER_ADD=9 OP_USER_LIST=10 OP_USER_SET=11 OP_USER_PASSWD=12 OP_USER_DEL=13
hash_of() { pg_query "SELECT password_hash FROM pgpmg.users WHERE lower(address) = lower(:'a')" -v a="$1"; }
PHC_RE='^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$'

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
for ((i = 0; i < 100; i++)); do
	grep -q 'policyd.*policy: generation .* loaded' "$ENV_DIR/pgpmgd.log" && break
	sleep 0.05
done
echo "# up after ${SECONDS}s"
base0=$(audit_count)
changes=0

# ---------------------------------------------------------------- add, list
run ctl user list
expect 0 "" "user list: no users yet"
run ctl user add alice@example.com
expect 0 "added user alice@example.com" "user add: the defaults"
run ctl user add Bob@Example.com --name "Bob Builder" --role admin
expect 0 "added user Bob@Example.com" "user add with a name and a role; the address kept as given"
run ctl user add --role none carol@example.com --name Carol
expect 0 "added user carol@example.com" "user add: options before and after the address"
changes=$((changes + 3))
run ctl user add bob@example.com
expect_re 4 'user add: a user bob@example.com exists already' "a second user of one address in another case: exit 4"
run ctl user add BOB@EXAMPLE.COM --role user
expect_re 4 'exists already' "and in capitals"
run ctl user list
expect 0 "$(printf 'alice@example.com\tuser\tno\tno\t
Bob@Example.com\tadmin\tno\tno\tBob Builder
carol@example.com\tnone\tno\tno\tCarol')" \
    "user list: address, role, portal, locked, name; by address without case"
[ "$(audit_count)" = $((base0 + changes)) ] && ok "three adds: three audit rows, the refusals none" ||
    not_ok "audit rows after add ($(audit_count) - $base0)"
row=$(pg_psql -c "SELECT actor || '|' || kind || '|' || subject || '|' || details FROM pgpmg.audit_log
    WHERE kind = 'user-add' AND subject = 'Bob@Example.com'")
[ "$row" = 'pgpmgctl (uid 0)|user-add|Bob@Example.com|{"before" : null, "after" : {"address" : "Bob@Example.com", "name" : "Bob Builder", "role" : "admin", "portal" : false, "password" : "none"}}' ] &&
    ok "a user-add audit row: who, the address, the user after" || { not_ok "user-add row"; echo "# $row"; }
[ "$(pg_psql -c "SELECT role || '|' || portal_login || '|' || (password_hash IS NULL) FROM pgpmg.users
    WHERE address = 'alice@example.com'")" = "user|false|true" ] &&
    ok "the defaults: role user, no portal login, no password" || not_ok "defaults"

# ---------------------------------------------------------------- set
base=$(audit_count)
run ctl user set alice@example.com name "Alice Liddell"
expect 0 "alice@example.com name:  -> Alice Liddell" "user set name"
run ctl user set ALICE@EXAMPLE.COM role admin
expect 0 "alice@example.com role: user -> admin" "user set role, the address in another case"
run ctl user set Bob@example.com name ""
expect 0 "Bob@Example.com name: Bob Builder -> " "user set name to nothing"
run ctl user set Bob@example.com name "Bob Builder"
expect 0 "Bob@Example.com name:  -> Bob Builder" "and back"
run ctl user set carol@example.com portal no
expect 0 "carol@example.com portal: no -> no" "user set portal no"
changes=$((changes + 5))
run ctl user set alice@example.com portal yes
expect_re 2 'alice@example.com has no password: the portal login needs one \(user passwd alice@example.com\)' \
    "portal yes without a password: refused, saying why (the schema's CHECK)"
run ctl user set nobody@example.com role user
expect_re 3 'no user nobody@example.com' "user set of an unknown address: exit 3"
[ "$(audit_count)" = $((base + 5)) ] && ok "five sets: five audit rows" || not_ok "audit rows after set"
row=$(pg_psql -c "SELECT details FROM pgpmg.audit_log WHERE kind = 'user-change' AND details::json ->> 'field' = 'role'")
[ "$row" = '{"field" : "role", "before" : {"address" : "alice@example.com", "name" : "Alice Liddell", "role" : "user", "portal" : false, "password" : "none"}, "after" : {"address" : "alice@example.com", "name" : "Alice Liddell", "role" : "admin", "portal" : false, "password" : "none"}}' ] &&
    ok "a user-change audit row: the field, the user before and after" || { not_ok "user-change row"; echo "# $row"; }

# ---------------------------------------------------------------- passwd
base=$(audit_count)
run bash -c 'printf "correct horse battery staple\n" | "$@"' _ "$BIN/pgpmgctl" -f "$CONF" user passwd alice@example.com
expect 0 "password set for alice@example.com" "user passwd: one line of stdin"
changes=$((changes + 1))
alice_hash=$(hash_of alice@example.com)
[[ $alice_hash =~ $PHC_RE ]] && ok "the stored hash is \$scrypt\$ln=17,r=8,p=1\$salt\$hash" ||
    not_ok "stored hash: $alice_hash"
[ "$(pg_query "SELECT :'h' ~ '^\\\$(scrypt|argon2id|7)\\\$[A-Za-z0-9+/=.\$,-]+\$' AND length(:'h') BETWEEN 20 AND 512" -v h="$alice_hash")" = t ] &&
    ok "and it is what the schema's CHECK accepts" || not_ok "schema regex"
printf '%s' "correct horse battery staple" | scrypt_matches "$alice_hash" &&
    ok "it is the scrypt of the password (by Python's hashlib)" || not_ok "Python's scrypt disagrees"
printf '%s' "correct horse battery staplE" | scrypt_matches "$alice_hash" &&
    not_ok "another password matches" || ok "and not of another password"
row=$(pg_psql -c "SELECT kind || '|' || subject || '|' || details FROM pgpmg.audit_log ORDER BY id DESC LIMIT 1")
[ "$row" = 'password-change|alice@example.com|{"before" : {"password" : "none", "failed-logins" : 0, "locked" : false}, "after" : {"password" : "set", "failed-logins" : 0, "locked" : false}}' ] &&
    ok "a password-change audit row says set or none, never a hash" || { not_ok "password-change row"; echo "# $row"; }
run ctl user set alice@example.com portal yes
expect 0 "alice@example.com portal: no -> yes" "with a password the portal login can be turned on"
changes=$((changes + 1))

# A lockout, as the console will record it; a new password ends it.
pg_psql -c "UPDATE pgpmg.users SET failed_logins = 5, locked_until = now() + interval '1 hour'
    WHERE address = 'alice@example.com'"
[ "$(ctl user list | awk -F'\t' '$1 == "alice@example.com" { print $3 $4 }')" = yesyes ] &&
    ok "user list says locked while locked_until is ahead" || not_ok "locked yes"
run bash -c 'printf "pw\r\n" | "$@"' _ "$BIN/pgpmgctl" -f "$CONF" user passwd ALICE@example.com
expect 0 "password set for alice@example.com" "user passwd again, a \\r\\n line end, the address in another case"
changes=$((changes + 1))
printf 'pw' | scrypt_matches "$(hash_of alice@example.com)" &&
    ok "the \\r is not part of the password" || not_ok "\\r\\n"
[ "$(pg_psql -c "SELECT failed_logins || '|' || (locked_until IS NULL) || '|' || (password_changed_at IS NOT NULL)
    FROM pgpmg.users WHERE address = 'alice@example.com'")" = "0|true|true" ] &&
    [ "$(ctl user list | awk -F'\t' '$1 == "alice@example.com" { print $4 }')" = no ] &&
    ok "a new password clears the lockout" || not_ok "lockout not cleared"
row=$(pg_psql -c "SELECT details FROM pgpmg.audit_log ORDER BY id DESC LIMIT 1")
[ "$row" = '{"before" : {"password" : "set", "failed-logins" : 5, "locked" : true}, "after" : {"password" : "set", "failed-logins" : 0, "locked" : false}}' ] &&
    ok "and its audit row says so" || { not_ok "lockout audit row"; echo "# $row"; }

# --random: the password alone on stdout, once; the hash is its.
run_split ctl user passwd Bob@Example.com --random
if [ "$RC" = 0 ] && [ "$(wc -l <"$OUT")" = 1 ] && grep -qxE '[A-HJ-NP-Za-km-z2-9]{20}' "$OUT" &&
    [ "$(cat "$ERR")" = "password set for Bob@Example.com" ]; then
	ok "--random prints a 20-character password, alone on stdout"
else
	not_ok "--random (status $RC)"; show; sed 's/^/#   err: /' "$ERR"
fi
changes=$((changes + 1))
random1=$(cat "$OUT")
bob_hash=$(hash_of bob@example.com)
printf '%s' "$random1" | scrypt_matches "$bob_hash" && ok "its hash is stored" || not_ok "--random's hash"
run_split ctl user passwd --random bob@example.com
changes=$((changes + 1))
[ "$RC" = 0 ] && [ "$(cat "$OUT")" != "$random1" ] && ok "another --random, another password" ||
    not_ok "--random twice"
random2=$(cat "$OUT")

# user add --admin: an admin with a random password, alone on stdout.
run_split ctl user add Boss@Example.com --admin --name "The Boss"
if [ "$RC" = 0 ] && [ "$(wc -l <"$OUT")" = 1 ] && grep -qxE '[A-HJ-NP-Za-km-z2-9]{20}' "$OUT" &&
    [ "$(sed -n 2p "$ERR")" = "password set for Boss@Example.com" ] &&
    [ "$(ctl user list | awk -F'\t' '$1 == "Boss@Example.com" { print $2 "|" $3 "|" $5 }')" = "admin|yes|The Boss" ]; then
	ok "user add --admin makes an admin with the login on and prints its password alone on stdout"
else
	not_ok "user add --admin (status $RC)"; show; sed 's/^/#   err: /' "$ERR"
fi
changes=$((changes + 3))
admin1=$(cat "$OUT")
printf '%s' "$admin1" | scrypt_matches "$(hash_of boss@example.com)" && ok "the admin's hash is the printed password's" ||
    not_ok "--admin's hash"
run_split ctl user add boss@example.com --admin
[ "$RC" = 4 ] && [ ! -s "$OUT" ] && ok "user add --admin of an existing user: exit 4, no password" ||
    { not_ok "--admin twice (status $RC)"; show; }
run ctl user add carl@example.com --admin --role user
expect_re 1 'usage: .*user add ADDRESS' "--admin with --role prints the usage"

# 1024 bytes are a password; 1025 are not.
run bash -c 'head -c 1024 /dev/zero | tr "\0" x | "$@"' _ "$BIN/pgpmgctl" -f "$CONF" user passwd carol@example.com
expect 0 "password set for carol@example.com" "a password of 1024 bytes"
changes=$((changes + 1))
dump=$(users_dump)
abase=$(audit_count)
for p in "" "\n" "a\0b\n" "a\tb\n" "a\033[31mb\n" "a\x7fb\n" "\xc2\x85\n" "\xff\xfe\n" "\xc3\n"; do
	run bash -c 'printf "$1" | "${@:2}"' _ "$p" "$BIN/pgpmgctl" -f "$CONF" user passwd carol@example.com
	expect_re 1 'user passwd: the password (is empty|has a NUL byte|has a control character|is not valid UTF-8)' \
	    "a password \"$p\" is refused"
done
run bash -c 'head -c 1025 /dev/zero | tr "\0" x | "$@"' _ "$BIN/pgpmgctl" -f "$CONF" user passwd carol@example.com
expect_re 1 'the password is longer than 1024 bytes' "a password of 1025 bytes is refused"
run bash -c 'printf "pw\n" | "$@"' _ "$BIN/pgpmgctl" -f "$CONF" user passwd nobody@example.com
expect_re 3 'no user nobody@example.com' "user passwd of an unknown address: exit 3"
run ctl user passwd carol@example.com --randomly
expect_re 1 'usage: .*user passwd ADDRESS \[--random\]' "a misspelt --random prints the usage"
# What policyd takes in place of a hash: only a PHC string within bounds.
for h in "correct horse battery staple" '$scrypt$ln=21,r=8,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg' \
    '$scrypt$ln=20,r=32,p=1$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg' \
    '$argon2id$v=19$m=65536,t=3,p=4$MDEyMzQ1Njc$MDEyMzQ1Njc4OWFiY2RlZg' \
    "\$scrypt\$ln=17,r=8,p=1\$MDEyMzQ1Njc\$MDEyMzQ1Njc4OWFiY2RlZg'; UPDATE pgpmg.users SET role = 'admin'; --"; do
	run raw $OP_USER_PASSWD carol@example.com "$h"
	expect_re 1 '^error 1: not a password hash policyd takes' "policyd refuses as a hash: ${h:0:40}"
done
[ "$(users_dump)" = "$dump" ] && [ "$(audit_count)" = "$abase" ] &&
    ok "nothing was changed or audited by the refused passwords" || not_ok "a refused password changed something"

# The hashes and the passwords appear nowhere they are not meant to.
leak=0
ctl user list >"$ENV_DIR/list"
pg_psql -c "SELECT actor, subject, details FROM pgpmg.audit_log" >"$ENV_DIR/audit"
for s in "$alice_hash" "$bob_hash" "$(hash_of carol@example.com)" "correct horse battery staple" \
    "$random1" "$random2" "$admin1" '$scrypt$'; do
	for f in list audit pgpmgd.log; do
		grep -qF -- "$s" "$ENV_DIR/$f" && { leak=1; echo "# in $f: ${s:0:30}"; }
	done
done
[ "$leak" = 0 ] && ok "no hash or password in user list, the audit log or the log" || not_ok "a hash or password leaked"

# ---------------------------------------------------------------- del
run ctl user del CAROL@example.com
expect 0 "deleted user carol@example.com" "user del, the address in another case"
changes=$((changes + 1))
run ctl user del carol@example.com
expect_re 3 'no user carol@example.com' "deleting it again: exit 3"
row=$(pg_psql -c "SELECT kind || '|' || subject || '|' || details FROM pgpmg.audit_log ORDER BY id DESC LIMIT 1")
[ "$row" = 'user-delete|carol@example.com|{"before" : {"address" : "carol@example.com", "name" : "Carol", "role" : "none", "portal" : false, "password" : "set"}, "after" : null}' ] &&
    ok "a user-delete audit row holds the user as it was, the password as set" || { not_ok "user-delete row"; echo "# $row"; }
[ "$(audit_count)" = $((base0 + changes)) ] && ok "every change so far is exactly one audit row ($changes)" ||
    not_ok "audit rows: $(($(audit_count) - base0)), changes $changes"

# ---------------------------------------------------------------- verbatim
LONG=$(printf 'x%.0s' {1..200})
LONG4=$(printf '\xf0\x9f\x98\x80%.0s' {1..200})
NAMES=("O'Brien" "Robert'); DROP TABLE pgpmg.users;--" '"; DELETE FROM pgpmg.audit_log; --'
    '$1' '%s%n' 'back\slash \\ \\\\' '\x27' "Zoë 山田" "$LONG" "$LONG4" ' lead and trail ' "--name")
ADDRS=("o'brien@example.com" "robert');drop/**/table/**/pgpmg.users;--@evil.example"
    '"x;delete/**/from/**/pgpmg.audit_log;--"@example.com' '$1@example.com' '%s%n@example.com'
    'back\slash\\@example.com' '\x27@example.com' "zoë.山田@例え.example" "long@example.com"
    "long4@example.com" "trail@example.com" "dashes@example.com")
bad=0
users_before=$(pg_psql -c "SELECT count(*) FROM pgpmg.users")
for i in "${!NAMES[@]}"; do
	run ctl user add "${ADDRS[$i]}" --name "${NAMES[$i]}"
	changes=$((changes + 1))
	[ "$RC" = 0 ] && [ "$(cat "$OUT")" = "added user ${ADDRS[$i]}" ] || { bad=1; show; }
done
# What user list prints, what the table holds (psql as the superuser),
# and what the audit rows say, each read once: no value holds a tab or a
# line end, so the lines can be told apart.
ctl user list >"$ENV_DIR/list"
pg_psql -F $'\t' -c "SELECT address, display_name FROM pgpmg.users" >"$ENV_DIR/stored"
pg_psql -F $'\t' -c "SELECT subject, details::json -> 'after' ->> 'name' FROM pgpmg.audit_log
    WHERE kind = 'user-add'" >"$ENV_DIR/audited"
# The line of file $1 whose first field is the address $A, and the rest
# of it after that field (awk -v would read backslashes as escapes).
line_of() { awk -F'\t' '$1 == ENVIRON["A"]' "$ENV_DIR/$1"; }
rest_of() { line_of "$1" | sed 's/^[^\t]*\t//'; }
for i in "${!NAMES[@]}"; do
	export A=${ADDRS[$i]}
	line=$(line_of list)
	[ "$line" = "$(printf '%s\tuser\tno\tno\t%s' "$A" "${NAMES[$i]}")" ] ||
	    { bad=1; echo "# listed: $line"; }
	[ "$(rest_of stored)" = "${NAMES[$i]}" ] || { bad=1; echo "# stored: $(rest_of stored)"; }
	[ "$(rest_of audited)" = "${NAMES[$i]}" ] || { bad=1; echo "# audited: $(rest_of audited)"; }
done
[ "$bad" = 0 ] && ok "hostile names and addresses are stored, listed and audited verbatim (${#NAMES[@]})" ||
    not_ok "a hostile name or address changed on the way"
[ "$(pg_psql -c "SELECT to_regclass('pgpmg.users') IS NOT NULL AND to_regclass('pgpmg.audit_log') IS NOT NULL")" = t ] &&
    [ "$(pg_psql -c "SELECT count(*) FROM pgpmg.users")" = $((users_before + ${#NAMES[@]})) ] &&
    [ "$(audit_count)" = $((base0 + changes)) ] &&
    ok "and no statement ran from them (the tables are whole, nothing deleted)" || not_ok "tables changed"
[ "$(pg_psql -c "SELECT length(display_name) || ' ' || octet_length(display_name) FROM pgpmg.users
    WHERE address = 'long4@example.com'")" = "200 800" ] &&
    ok "200 characters of 4 bytes: the longest name" || not_ok "200 x 4 bytes"
run ctl user set "o'brien@example.com" name "Robert'); DROP TABLE pgpmg.users;--"
expect 0 "o'brien@example.com name: O'Brien -> Robert'); DROP TABLE pgpmg.users;--" "user set name, hostile both ways"
changes=$((changes + 1))
run ctl user del '"x;delete/**/from/**/pgpmg.audit_log;--"@example.com'
expect 0 'deleted user "x;delete/**/from/**/pgpmg.audit_log;--"@example.com' "user del of a hostile address"
changes=$((changes + 1))

# ---------------------------------------------------------------- refusals
dump=$(users_dump)
abase=$(audit_count)
for n in 'a\tb' 'a\nb' 'a\rb' '\033[31mred' 'a\x7fb' 'nel\xc2\x85' 'ls\xe2\x80\xa8' \
    '\xff' 'a\xc3\x28' '\xed\xa0\x80' '\xc0\xaf' 'cut\xe5\xb1'; do
	run ctl user add new@example.com --name "$(printf "$n")"
	expect_re 1 'user add: display name: (no control characters|not valid UTF-8)' "user add: a name \"$n\" is refused"
	run ctl user set alice@example.com name "$(printf "$n")"
	expect_re 1 'user set: display name: (no control characters|not valid UTF-8)' "user set: a name \"$n\" is refused"
done
run ctl user add new@example.com --name "${LONG}y"
expect_re 1 'display name: at most 200 characters' "a name of 201 characters is refused"
# (printf formats: the descriptions show the escapes, not the bytes)
for a in "two@at@example.com" "no-at.example.com" "@example.com" "a@" "sp ace@example.com" \
    'tab\t@example.com' 'ctl\x01@example.com' '\xff@example.com' 'nbsp\xc2\xa0@example.com' \
    'line\xe2\x80\xa8sep@example.com'; do
	run ctl user add "$(printf "$a")"
	expect_re 1 'user add: .*(address|one @)' "user add: the address \"$a\" is refused"
done
run ctl user add "$(printf 'a%.0s' {1..309})@example.com"
expect_re 1 'user add: the address is longer than 320 bytes' "user add: an address of 321 bytes is refused"
run ctl user add new@example.com --role root
expect_re 1 'role "root" is not one of admin, user, none' "an unknown role is refused"
run ctl user add new@example.com --role Admin
expect_re 1 'role "Admin" is not one of' "a role in capitals is refused"
run ctl user add new@example.com --name
expect_re 1 'usage: .*user add ADDRESS' "an option without its value prints the usage"
run ctl user add new@example.com --name a --name b
expect_re 1 'usage: .*user add ADDRESS' "an option twice prints the usage"
run ctl user add new@example.com other@example.com
expect_re 1 'usage: .*user add ADDRESS' "two addresses print the usage"
run ctl user set alice@example.com colour blue
expect_re 1 'unknown field "colour" \(name, role, portal\)' "an unknown field is refused"
run ctl user set alice@example.com portal maybe
expect_re 1 'portal: "maybe" is not yes or no' "a bad portal value is refused"
run ctl user set alice@example.com role ""
expect_re 1 'role: "" is not one of' "an empty role is refused"
# The same values sent past pgpmgctl's checks: policyd refuses them.
run raw $OP_USER_ADD new@example.com "$(printf 'a\tb')"
expect_re 1 '^error 1: display name: no control characters' "policyd refuses a control character itself"
run raw $OP_USER_ADD new@example.com "$(printf '\xff\xfe')"
expect_re 1 '^error 1: display name: not valid UTF-8' "policyd refuses bytes that are not UTF-8"
run raw $OP_USER_ADD new@example.com "$LONG.x"
expect_re 1 '^error 1: display name: at most 200 characters' "policyd refuses a name of 201 characters"
run raw $OP_USER_ADD "two@at@example.com"
expect_re 1 '^error 1: .*an address has one @' "policyd refuses an address with two @"
run raw $OP_USER_ADD "$(printf 'x\r@example.com')"
expect_re 1 '^error 1: .*no white space or control' "policyd refuses a control character in an address"
run raw $OP_USER_ADD new@example.com "" "root'; --"
expect_re 1 '^error 1: role: .* is not one of admin, user, none' "policyd refuses an injected role"
run raw $OP_USER_SET alice@example.com "role = 'admin'; --" admin
expect_re 1 '^error 1: unknown field' "policyd refuses an injected field"
run raw $OP_USER_SET alice@example.com portal "true' OR '1'='1"
expect_re 1 '^error 1: portal: .* is not yes or no' "policyd refuses an injected portal value"
run raw $OP_USER_SET alice@example.com role ""
expect_re 1 '^error 1: role: "" is not one of' "policyd refuses an empty role"
run raw $OP_USER_DEL "x@example.com' OR '1'='1"
expect_re 1 '^error 1: .*white space' "policyd refuses an injected address"
run raw $OP_USER_DEL ""
expect_re 1 '^error 1: wrong number of arguments' "policyd refuses a missing argument"
run raw $OP_USER_LIST extra
expect_re 1 '^error 1: wrong number of arguments' "policyd refuses an argument too many"
run raw 14
expect_re 1 '^error 1: malformed policy request' "pgpmgd refuses an operation beyond the last"
[ "$(users_dump)" = "$dump" ] && [ "$(audit_count)" = "$abase" ] &&
    ok "nothing was changed or audited by the refusals" || not_ok "a refusal changed something"

# ---------------------------------------------------------------- another uid
gid=$(getent group _pgpmg | cut -d: -f3)
run setpriv --reuid=65534 --regid="$gid" --clear-groups "$BIN/pgpmgctl" -s "$ENV_DIR/pgpmgd.sock" \
    user add nobody@example.com --role none
expect 0 "added user nobody@example.com" "a member of group _pgpmg may add a user"
changes=$((changes + 1))
[ "$(pg_psql -c "SELECT actor FROM pgpmg.audit_log ORDER BY id DESC LIMIT 1")" = "pgpmgctl (uid 65534)" ] &&
    ok "the audit row names the uid the control socket saw" || not_ok "actor uid"

# ---------------------------------------------------------------- audit verify
[ "$(audit_count)" = $((base0 + changes)) ] && ok "every change was exactly one audit row ($changes)" ||
    not_ok "audit rows: $(($(audit_count) - base0)), changes $changes"
run ctl audit verify
expect_re 0 'audit chain: [0-9]+ rows, ok' "audit verify passes after all these changes"

# ---------------------------------------------------------------- database down
dump=$(users_dump)
abase=$(audit_count)
(cd / && runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop)
# Until policyd has seen the connection go, a change could still be
# sent, and would get "no answer" instead.
for ((i = 0; i < 100; i++)); do
	"$BIN/tests/integration/dbstatus" "$ENV_DIR/pgpmgd.sock" | grep -q 'state=up' || break
	sleep 0.05
done
run ctl user list
expect_re 2 'user list: the database is unavailable' "database down: user list fails with a clear message"
for c in "user add down@example.com" "user set alice@example.com role none" "user del alice@example.com"; do
	# shellcheck disable=SC2086
	run ctl $c
	expect_re 2 'the database is unavailable .*; nothing was changed' "database down: $c fails, nothing changed"
done
run bash -c 'printf "pw\n" | "$@"' _ "$BIN/pgpmgctl" -f "$CONF" user passwd alice@example.com
expect_re 2 'user passwd: the database is unavailable .*; nothing was changed' "database down: user passwd fails, nothing changed"
run_split ctl user passwd alice@example.com --random
[ "$RC" = 2 ] && [ ! -s "$OUT" ] && ok "database down: user passwd --random prints no password" ||
    { not_ok "--random while down (status $RC)"; show; }
"$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null
for ((i = 0; i < 100; i++)); do
	ctl user list >/dev/null 2>&1 && break
	sleep 0.1
done
[ "$(users_dump)" = "$dump" ] && [ "$(audit_count)" = "$abase" ] &&
    ok "after the restart: nothing changed meanwhile" || not_ok "a change while down"
run ctl user set alice@example.com role none
expect 0 "alice@example.com role: admin -> none" "after the restart the commands work again"
run ctl audit verify
expect_re 0 'audit chain: [0-9]+ rows, ok' "audit verify still passes"

check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1"' _ "$ENV_DIR/pgpmgd.log"
check "policyd ran throughout" bash -c '! grep -q "policyd.*\(fatal\|exited\)" "$1"' _ "$ENV_DIR/pgpmgd.log"
echo "# done after ${SECONDS}s"
done_testing
