#!/usr/bin/env bash
# pgpmgctl's policy, rule and domain commands against a real PostgreSQL 15
# cluster that the suite makes and removes (pg_lib.sh):
# - the internal domains are seeded once from the configuration;
# - policy show / set round-trip every setting and value; rule add, del,
#   list and domain add, del, list do what they say, with stable output;
# - bad values are refused by pgpmgctl before it connects, and by policyd
#   itself when a client sends them unchecked (tests/integration/ctladmin);
#   nothing changes and nothing is audited then;
# - every change is one audit row (actor "pgpmgctl (uid N)", the uid the
#   control socket saw, before and after as JSON) and `pgpmgctl audit
#   verify` passes afterwards;
# - quotes, semicolons, comment markers, backslashes and UTF-8 in rule
#   patterns and the keyword are stored and listed verbatim; in domain
#   names they are refused;
# - while the database is down every command fails with a clear message
#   and changes nothing; after it is back they work again.
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
SECONDS=0

. "$(dirname "$0")/expect_lib.sh"
audit_count() { pg_psql -c "SELECT count(*) FROM pgpmg.audit_log"; }
raw() { "$CTLADMIN" "$ENV_DIR/pgpmgd.sock" "$@"; }
# ADMIN_OP_* numbers (common/msg.h)
OP_POLICY_SET=2 OP_RULE_ADD=3 OP_RULE_DEL=4 OP_DOMAIN_ADD=6

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start_appliance || { echo "Bail out! appliance not ready"; exit 1; }
for ((i = 0; i < 100; i++)); do
	grep -q 'policyd.*policy: generation .* loaded' "$ENV_DIR/pgpmgd.log" && break
	sleep 0.05
done
echo "# up after ${SECONDS}s"

# ---------------------------------------------------------------- defaults
run ctl domain list
expect 0 "example.com" "the internal domains are seeded from the configuration"
[ "$(pg_psql -c "SELECT actor || ' ' || kind || ' ' || subject FROM pgpmg.audit_log WHERE kind = 'domain-add'")" = \
    "policyd domain-add example.com" ] && ok "the seeding is audited" || not_ok "seeding audited"
check "the seeding is logged, and no difference from the configuration" \
    bash -c 'grep -q "policyd.*1 internal domain from the configuration added" "$1" &&
    ! grep -q "internal-domain lines differ" "$1"' _ "$ENV_DIR/pgpmgd.log"
run ctl policy show
if [ "$RC" -eq 0 ] && [ "$(sed -n 1,6p "$OUT")" = "mode possible
keyword [secure]
missing-key plain
sign yes
decrypt yes
protected-headers yes" ] && grep -qx 'version 1' "$OUT" &&
    grep -qE '^updated-at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "$OUT" &&
    grep -qx 'updated-by migration' "$OUT" && [ "$(wc -l <"$OUT")" = 9 ]; then
	ok "policy show: the schema's defaults, nine KEY VALUE lines"
else
	not_ok "policy show defaults"; show
fi
run ctl rule list
expect 0 "" "rule list: no rules yet"

# ---------------------------------------------------------------- policy set
base=$(audit_count)
changes=0
for kv in "mode off" "mode all" "mode keyword" "mode possible" \
    "missing-key bounce" "missing-key hold" "missing-key plain" \
    "sign no" "sign yes" "decrypt no" "decrypt yes" \
    "protected-headers no" "protected-headers yes" "keyword [vertraulich]"; do
	k=${kv%% *} v=${kv#* }
	before=$(ctl policy show | sed -n "s/^$k //p")
	run ctl policy set "$k" "$v"
	changes=$((changes + 1))
	expect 0 "$k: $before -> $v" "policy set $k $v"
	[ "$(ctl policy show | sed -n "s/^$k //p")" = "$v" ] ||
	    not_ok "policy show does not say $k $v"
done
[ "$(ctl policy show | sed -n 's/^version //p')" = $((1 + changes)) ] &&
    ok "every set bumps the policy's version" || not_ok "version"
[ "$(audit_count)" = $((base + changes)) ] &&
    ok "every set is one audit row ($changes)" || not_ok "audit rows for sets"
row=$(pg_psql -c "SELECT actor || '|' || kind || '|' || subject || '|' || details FROM pgpmg.audit_log
    WHERE kind = 'policy-change' AND subject = 'missing-key' ORDER BY id LIMIT 1")
want='pgpmgctl (uid 0)|policy-change|missing-key|{"setting" : "missing-key", "before" : {"mode" : "possible", "keyword" : "[secure]", "missing-key" : "plain", "sign" : true, "decrypt" : true, "protected-headers" : true}, "after" : {"mode" : "possible", "keyword" : "[secure]", "missing-key" : "bounce", "sign" : true, "decrypt" : true, "protected-headers" : true}}'
[ "$row" = "$want" ] && ok "a policy change's audit row: who, the setting, the row before and after" ||
    { not_ok "policy-change row"; echo "# $row"; }
[ "$(ctl policy show | sed -n 's/^updated-by //p')" = "pgpmgctl (uid 0)" ] &&
    ok "policy show says who changed it last" || not_ok "updated-by"

# ---------------------------------------------------------------- bad values
base=$(audit_count)
run ctl policy set mode everything
expect_re 1 'policy set: mode: "everything" is not one of off, possible, all, keyword' "a bad mode is refused"
run ctl policy set missing-key drop
expect_re 1 'missing-key: "drop" is not one of plain, bounce, hold' "a bad missing-key is refused"
run ctl policy set sign maybe
expect_re 1 'sign: "maybe" is not yes or no' "a bad yes/no is refused"
run ctl policy set colour blue
expect_re 1 'unknown setting "colour"' "an unknown setting is refused"
run ctl policy set keyword "$(printf 'a\tb')"
expect_re 1 'keyword: no control characters' "a keyword with a control character is refused"
run ctl policy set keyword "$(printf 'x%.0s' {1..101})"
expect_re 1 'keyword: at most 100 characters' "a keyword over 100 characters is refused"
run ctl rule add domain 'bad domain' all
expect_re 1 '"bad domain" is not a domain name' "a rule for a bad domain is refused"
run ctl rule add host x.example all
expect_re 1 'scope "host" is not domain or address' "a bad scope is refused"
run ctl rule add address 'no-at-sign' all
expect_re 1 'is not an address' "a rule for a bad address is refused"
run ctl rule add domain x.example possible+bounce
expect_re 1 'only all and keyword' "a missing-key action for a mode that never wants a key is refused"
run ctl rule add domain x.example everything
expect_re 1 'action "everything" is not one of' "a bad action is refused"
run ctl rule add domain x.example all 1000001
expect_re 1 'priority "1000001" is not a number from 0 to 1000000' "a priority out of range is refused"
run ctl rule del 'x;1'
expect_re 1 'is not a rule id' "a bad rule id is refused"
run ctl domain add "ex'ample.com"
expect_re 1 "is not a domain name" "a domain with a quote is refused"
run ctl policy set
expect_re 1 'usage: .*policy set KEY VALUE' "a missing argument prints the usage"
# The same values sent past pgpmgctl's checks: policyd refuses them.
run raw $OP_POLICY_SET mode everything
expect_re 1 '^error 1: mode: "everything" is not one of' "policyd refuses a bad mode itself"
run raw $OP_POLICY_SET keyword "$(printf 'a\x01b')"
expect_re 1 '^error 1: keyword: no control characters' "policyd refuses a control character itself"
run raw $OP_POLICY_SET keyword "$(printf '\xff\xfe')"
expect_re 1 '^error 1: keyword: not valid UTF-8' "policyd refuses bytes that are not UTF-8"
run raw $OP_RULE_ADD domain "x.example'; DROP TABLE pgpmg.rules; --" all
expect_re 1 "^error 1: .*is not a domain name" "policyd refuses an injected domain pattern"
run raw $OP_RULE_ADD address "a@b.example" all "1; DELETE FROM pgpmg.rules"
expect_re 1 '^error 1: priority .* is not a number' "policyd refuses an injected priority"
run raw $OP_RULE_DEL "1 OR 1=1"
expect_re 1 '^error 1: .*is not a rule id' "policyd refuses an injected rule id"
run raw $OP_DOMAIN_ADD "a.example;--"
expect_re 1 '^error 1: .*is not a domain name' "policyd refuses an injected domain"
run raw $OP_DOMAIN_ADD ""
expect_re 1 '^error 1: wrong number of arguments' "policyd refuses a missing argument"
run raw 99
expect_re 1 '^error 1: malformed policy request' "pgpmgd refuses an unknown operation"
[ "$(audit_count)" = "$base" ] && [ "$(pg_psql -c "SELECT count(*) FROM pgpmg.rules")" = 0 ] &&
    [ "$(ctl domain list)" = example.com ] && [ "$(ctl policy show | sed -n 's/^mode //p')" = possible ] &&
    ok "nothing was changed or audited by the refusals" || not_ok "a refusal changed something"

# ---------------------------------------------------------------- rules
base=$(audit_count)
run ctl rule add domain Partner.Example all+bounce 200
expect 0 "added rule 1" "rule add: a domain rule (upper case folded), with its missing-key action"
run ctl rule add address bob@partner.example plain
expect 0 "added rule 2" "rule add: an address rule, default priority"
run ctl rule add domain other.example keyword 200
expect 0 "added rule 3" "rule add: another rule"
run ctl rule add address 'carol@other.example' encrypt+hold 300
expect 0 "added rule 4" "rule add: encrypt is all"
run ctl rule add domain partner.example possible
expect_re 4 'a rule for domain partner.example exists already' "a second rule for one pattern is refused (exit 4)"
run ctl rule list
expect 0 "$(printf '4\t300\taddress\tcarol@other.example\tall+hold
3\t200\tdomain\tother.example\tkeyword
1\t200\tdomain\tpartner.example\tall+bounce
2\t100\taddress\tbob@partner.example\toff')" \
    "rule list: id, priority, scope, pattern, action; by priority, address first"
run ctl rule del 3
expect 0 "deleted rule 3" "rule del"
run ctl rule del 3
expect_re 3 'no rule 3' "deleting it again: no such rule (exit 3)"
run ctl rule list
[ "$RC" = 0 ] && [ "$(cut -f1 "$OUT" | tr '\n' ' ')" = "4 1 2 " ] && ok "the rule is gone" ||
    { not_ok "rule gone"; show; }
[ "$(audit_count)" = $((base + 5)) ] && ok "four adds and one delete: five audit rows" ||
    not_ok "rule audit rows ($(audit_count) - $base)"
row=$(pg_psql -c "SELECT kind || '|' || subject || '|' || details FROM pgpmg.audit_log WHERE kind = 'rule-delete'")
[ "$row" = 'rule-delete|rule 3|{"before" : {"id" : 3, "scope" : "domain", "pattern" : "other.example", "priority" : 200, "action" : "keyword", "missing-key" : null}, "after" : null}' ] &&
    ok "a deletion's audit row holds the rule as it was" || { not_ok "rule-delete row"; echo "# $row"; }

# ---------------------------------------------------------------- domains
base=$(audit_count)
run ctl domain add Example.ORG
expect 0 "added domain example.org" "domain add (lower-cased)"
run ctl domain add example.org
expect_re 4 'example.org is an internal domain already' "domain add twice: exit 4"
run ctl domain list
expect 0 "example.com
example.org" "domain list: one per line, sorted"
run ctl domain del example.org
expect 0 "deleted domain example.org" "domain del"
run ctl domain del example.org
expect_re 3 'example.org is not an internal domain' "domain del of a domain that is not there: exit 3"
[ "$(audit_count)" = $((base + 2)) ] && ok "domain changes audited" || not_ok "domain audit rows"
check "policyd logged that the configuration's list differs, once" \
    test "$(grep -c 'policyd.*internal-domain lines differ and are not used' "$ENV_DIR/pgpmgd.log")" = 1

# ---------------------------------------------------------------- verbatim
# (Patterns are stored in lower case, as the schema wants: these are.)
HOSTILE=("o'brien;--@example.com" "x\\\";drop/**/table/**/pgpmg.rules;--@evil.example"
    "/*c*/'||'@x.example" "jürgen.müller@bücher.example" "a\\\\b\$\$@c.example"
    "');delete/**/from/**/pgpmg.audit_log;--@d.example" "日本語@例え.example")
ids=()
for h in "${HOSTILE[@]}"; do
	run ctl rule add address "$h" all+hold 50
	if [ "$RC" = 0 ] && grep -qE '^added rule [0-9]+$' "$OUT"; then
		ids+=("$(awk '{ print $3 }' "$OUT")")
	else
		not_ok "rule add address $h"; show
	fi
done
bad=0
for i in "${!HOSTILE[@]}"; do
	line=$(ctl rule list | awk -F'\t' -v id="${ids[$i]}" '$1 == id')
	[ "$line" = "$(printf '%s\t50\taddress\t%s\tall+hold' "${ids[$i]}" "${HOSTILE[$i]}")" ] ||
	    { bad=1; echo "# listed: $line"; }
	db=$(pg_psql -c "SELECT pattern FROM pgpmg.rules WHERE id = ${ids[$i]}")
	[ "$db" = "${HOSTILE[$i]}" ] || { bad=1; echo "# stored: $db"; }
	au=$(pg_psql -c "SELECT details::json -> 'after' ->> 'pattern' FROM pgpmg.audit_log
	    WHERE kind = 'rule-add' AND subject = 'rule ${ids[$i]}'")
	[ "$au" = "${HOSTILE[$i]}" ] || { bad=1; echo "# audited: $au"; }
done
[ "$bad" = 0 ] && ok "hostile rule patterns are stored, listed and audited verbatim (${#HOSTILE[@]})" ||
    not_ok "hostile patterns changed on the way"
[ "$(pg_psql -c "SELECT count(*) FROM pgpmg.rules")" = $((3 + ${#HOSTILE[@]})) ] &&
    ok "and no statement ran from them (the rules table is whole)" || not_ok "rules table changed"
for kw in "o'brien\"; DROP TABLE x; --" '\\ /* */ -- $$ %s %n' "[vertraulich–ä😀]"; do
	run ctl policy set keyword "$kw"
	[ "$RC" = 0 ] && [ "$(ctl policy show | sed -n 's/^keyword //p')" = "$kw" ] &&
	    [ "$(pg_psql -c "SELECT keyword FROM pgpmg.policy")" = "$kw" ] ||
	    { not_ok "keyword $kw"; show; continue; }
	ok "keyword stored and shown verbatim: $kw"
done
run ctl rule add address 'JÜRGEN@x.example' off
expect_re 2 'the database refused the pattern "jÜrgen@x.example": a pattern is in lower case' \
    "a pattern with a non-ASCII capital is refused by the schema, and the message says why"
run ctl domain add "bücher.example"
expect_re 1 'not a domain name .*xn--' "a UTF-8 domain is refused, pointing at its xn-- form"
run ctl domain add "xn--bcher-kva.example"
expect 0 "added domain xn--bcher-kva.example" "its xn-- form is taken"

# ---------------------------------------------------------------- another uid
gid=$(getent group _pgpmg | cut -d: -f3)
run setpriv --reuid=65534 --regid="$gid" --clear-groups "$BIN/pgpmgctl" -s "$ENV_DIR/pgpmgd.sock" \
    rule add domain nobody.example off
expect_re 0 '^added rule' "a member of group _pgpmg may change the policy"
[ "$(pg_psql -c "SELECT actor FROM pgpmg.audit_log ORDER BY id DESC LIMIT 1")" = "pgpmgctl (uid 65534)" ] &&
    ok "the audit row names the uid the control socket saw" || not_ok "actor uid"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/pgpmgctl" -s "$ENV_DIR/pgpmgd.sock" \
    rule add domain nobody2.example off
expect_re 1 'closed the connection|Permission denied' "anybody else is turned away"

# ---------------------------------------------------------------- audit verify
run ctl audit verify
expect_re 0 'audit chain: [0-9]+ rows, ok' "audit verify passes after all these changes"

# ---------------------------------------------------------------- database down
(cd / && runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop)
# Until policyd has seen the connection go, a change could still be
# sent, and would get "no answer" instead.
for ((i = 0; i < 100; i++)); do
	"$BIN/tests/integration/dbstatus" "$ENV_DIR/pgpmgd.sock" | grep -q 'state=up' || break
	sleep 0.05
done
for c in "policy show" "policy set mode all" "rule add domain down.example all" \
    "rule del 1" "rule list" "domain add down.example" "domain list"; do
	# shellcheck disable=SC2086
	run ctl $c
	expect_re 2 'the database is unavailable.*' "database down: $c fails with a clear message"
done
grep -q 'nothing was changed' <<<"$(ctl rule del 1 2>&1)" &&
    ok "a change refused while the database is down says nothing was changed" ||
    not_ok "'nothing was changed'"
"$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null
for ((i = 0; i < 100; i++)); do
	ctl rule list >/dev/null 2>&1 && break
	sleep 0.1
done
run ctl rule list
[ "$RC" = 0 ] && [ "$(wc -l <"$OUT")" = $((4 + ${#HOSTILE[@]})) ] &&
    ok "after the restart the commands work, and nothing changed meanwhile" || { not_ok "after restart"; show; }
[ "$(pg_psql -c "SELECT count(*) FROM pgpmg.domains WHERE name = 'down.example'")" = 0 ] &&
    [ "$(pg_psql -c "SELECT mode FROM pgpmg.policy")" = possible ] &&
    ok "no change slipped through while it was down" || not_ok "a change while down"
run ctl audit verify
expect_re 0 'audit chain: [0-9]+ rows, ok' "audit verify still passes"

check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1"' _ "$ENV_DIR/pgpmgd.log"
check "policyd ran throughout" bash -c '! grep -q "policyd.*\(fatal\|exited\)" "$1"' _ "$ENV_DIR/pgpmgd.log"
echo "# done after ${SECONDS}s"
done_testing
