#!/usr/bin/env bash
# policyd's decisions, through the plan protocol, against a real
# PostgreSQL 15 cluster that the suite makes and removes (pg_lib.sh).
# cryptod is replaced by tests/integration/plan_cryptod, which reads plan
# requests from the body of a message smtpd hands it and writes policyd's
# answers to a file (only cryptod may ask for plans: the permission
# table).  The policy is changed with pgpmgctl, as an admin would.
# - every global mode x missing-key action x key present or absent x
#   keyword in the Subject or not;
# - every rule action (with and without its own missing-key action)
#   overriding two different global policies; which rule applies;
# - directions: internal recipient, external sender, the null sender;
# - the keyword: any ASCII case, returned as the Subject has it;
# - DONE's flags follow the policy row; an encrypted message is never
#   bounced or held;
# - a change made in the database by someone else (another gateway)
#   applies within a few seconds; a change made through this gateway's
#   pgpmgctl applies from the very next message;
# - with the database stopped (pg_ctl stop -m immediate) every plan is
#   answered tempfail at once, and after it is back, answered again;
# - results become statistics per hour and audit rows (decrypt-failed,
#   refused), hostile strings verbatim; `audit verify` passes;
# - addresses and subjects with quotes, semicolons, comment markers,
#   backslashes and UTF-8 are only bytes: a rule for
#   o'brien;--@example.org matches exactly that address;
# - a worker that breaks the protocol (a count that does not match, more
#   recipients than smtp-max-recipients) is fatal to policyd, as any
#   peer's violation.
set -u
# This suite runs (and stops) its own PostgreSQL.
NO_DB=1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg_lib.sh"

STAND_IN=$(mktemp -d /tmp/pgpmg-plan.XXXXXX)
chmod 0755 "$STAND_IN"
for p in pgpmgd pgpmgctl smtpd keyd policyd webd; do cp "$BIN/$p" "$STAND_IN/"; done
cp "$BIN/tests/integration/plan_cryptod" "$STAND_IN/cryptod"
DBSTATUS=$BIN/tests/integration/dbstatus
WORKERS=1
EXTRA_CONF="database-timeout 3
smtp-max-recipients 100
internal-domain example.net"
new_env
trap 'pg_cleanup; rm -rf "$STAND_IN"' EXIT
PLAN_OUT=$ENV_DIR/plan.out
SECONDS=0

start() {
	"$STAND_IN/pgpmgd" -d -f "$CONF" >>"$ENV_DIR/pgpmgd.log" 2>&1 &
	PGPMGD_PID=$!
	BIN=$STAND_IN wait_all_ready 10
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# plan LINE...: play a script (common lines: see plan_cryptod.c) through
# smtpd and the stand-in; the answers are in $PLAN_OUT, the SMTP reply
# to the message in $REPLY.
plan() {
	: >"$PLAN_OUT"
	{ echo "OUT $PLAN_OUT"; printf '%s\n' "$@"; } >"$ENV_DIR/script"
	REPLY=$(python3 - "$SMTP_PORT" "$ENV_DIR/script" <<'PY'
import smtplib, sys
port, path = int(sys.argv[1]), sys.argv[2]
body = open(path, "rb").read().replace(b"\n", b"\r\n")
msg = b"From: t@example.com\r\nSubject: plan\r\n\r\n" + body
try:
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    s.sendmail("t@example.com", ["x@example.org"], msg)
    print("250")
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode(errors="replace"))
except Exception as e:
    print("error", e)
PY
)
}
# answer TAG [INDEX]: the answer line for a recipient, or the DONE line.
answer() {
	if [ $# = 2 ]; then
		grep -m1 "^$1 rcpt $2 " "$PLAN_OUT"
	else
		grep -m1 "^$1 done " "$PLAN_OUT"
	fi
}
action() { answer "$1" "$2" | cut -d' ' -f4; }
rule() { answer "$1" "$2" | cut -d' ' -f5-; }
setp() { ctl policy set "$1" "$2" >/dev/null || echo "# policy set $1 $2 failed"; }
wait_db() {	# wait_db up|down
	for ((i = 0; i < 200; i++)); do
		"$DBSTATUS" "$ENV_DIR/pgpmgd.sock" 2>/dev/null | grep -q "state=$1" && return 0
		sleep 0.05
	done
	return 1
}

pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
pg_migrate >/dev/null || { echo "Bail out! migrations failed"; exit 1; }
start || { echo "Bail out! appliance not ready"; exit 1; }
for ((i = 0; i < 100; i++)); do
	grep -q 'policyd.*policy: generation .* loaded' "$ENV_DIR/pgpmgd.log" && break
	sleep 0.05
done
echo "# up after ${SECONDS}s"

plan "REQ first - alice@example.com hello" "RCPT bob@partner.example key"
check "the stand-in gets answers and the message is answered" \
    test "$(cut -c1-3 <<<"$REPLY")" = 554
check "policyd answers: encrypt, by the global mode possible (the default)" \
    test "$(answer first 0)" = "first rcpt 0 encrypt global: possible"
check "DONE: ok, sign, decrypt, protected headers (the defaults), no keyword" \
    test "$(answer first)" = "first done ok sign,decrypt,protect "

# ---------------------------------------------------------------- global matrix
# Per mode, for keyword absent then present, for missing-key plain,
# bounce, hold: the recipient without a key, then with one
# (p pass, e encrypt, b bounce, h hold).
declare -A EXPECT=(
	[off]="pppppp pppppp"
	[possible]="pepepe pepepe"
	[all]="pebehe pebehe"
	[keyword]="pppppp pebehe"
)
letter() { case $1 in pass) echo p;; encrypt) echo e;; bounce) echo b;; hold) echo h;; *) echo "?";; esac; }
setp keyword '[secure]'
bad=0
for mode in off possible all keyword; do
	setp mode "$mode"
	# One message per missing-key action, both keyword cases in it.
	declare -A G=()
	for mk in plain bounce hold; do
		setp missing-key "$mk"
		plan "REQ kw0 - alice@example.com no marker here" \
		    "RCPT nokey@partner.example nokey" "RCPT key@partner.example key" \
		    "REQ kw1 - alice@example.com re:%20[SeCuRe]%20offer" \
		    "RCPT nokey@partner.example nokey" "RCPT key@partner.example key"
		for kw in 0 1; do
			G[$kw$mk]="$(letter "$(action kw$kw 0)")$(letter "$(action kw$kw 1)")"
			[ "$(rule kw$kw 0)" = "global: $mode" ] || { bad=1; echo "# rule: $(rule kw$kw 0)"; }
		done
	done
	got="${G[0plain]}${G[0bounce]}${G[0hold]} ${G[1plain]}${G[1bounce]}${G[1hold]}"
	if [ "$got" = "${EXPECT[$mode]}" ]; then
		ok "global mode $mode: $got"
	else
		not_ok "global mode $mode: $got, wanted ${EXPECT[$mode]}"
	fi
	unset G
done
check "every decision names the global mode" test "$bad" = 0

# ---------------------------------------------------------------- rules
# Ten domains, one per rule action; with and without a key; keyword in
# the Subject or not; under two different global policies.
ACTIONS=(off possible all all+plain all+bounce all+hold keyword keyword+plain
    keyword+bounce keyword+hold)
# The rule's effective mode and missing-key action under the global
# missing-key GMK: what it must decide, as in the table above.
rule_expect() {	# rule_expect ACTION GMK KW
	local a=$1 gmk=$2 kw=$3 m mk e i
	m=${a%%+*}; mk=$gmk
	[ "$a" != "$m" ] && mk=${a#*+}
	e=${EXPECT[$m]}
	[ "$kw" = 1 ] && e=${e#* } || e=${e% *}
	case $mk in plain) i=0;; bounce) i=2;; hold) i=4;; esac
	echo "${e:$i:2}"
}
for i in "${!ACTIONS[@]}"; do
	ctl rule add domain "r$i.example" "${ACTIONS[$i]}" 100 >/dev/null || echo "# rule add r$i failed"
done
for global in "all bounce" "off hold"; do
	setp mode "${global% *}"
	setp missing-key "${global#* }"
	lines=()
	for kw in 0 1; do
		subj=$([ "$kw" = 1 ] && echo "x%20[secure]" || echo "x")
		lines+=("REQ k$kw - alice@example.com $subj")
		for i in "${!ACTIONS[@]}"; do
			lines+=("RCPT n@r$i.example nokey" "RCPT k@R$i.Example key")
		done
		lines+=("RCPT n@unruled.example nokey")
	done
	plan "${lines[@]}"
	bad=0
	for kw in 0 1; do
		for i in "${!ACTIONS[@]}"; do
			got="$(letter "$(action k$kw $((2 * i)))")$(letter "$(action k$kw $((2 * i + 1)))")"
			want=$(rule_expect "${ACTIONS[$i]}" "${global#* }" "$kw")
			[ "$got" = "$want" ] || { bad=1; echo "# ${ACTIONS[$i]} kw$kw: $got, wanted $want"; }
			[[ $(rule k$kw $((2 * i))) =~ ^rule\ [0-9]+:\ domain\ r$i\.example$ ]] ||
			    { bad=1; echo "# rule text: $(rule k$kw $((2 * i)))"; }
		done
		[ "$(rule k$kw 20)" = "global: ${global% *}" ] || { bad=1; echo "# $(answer k$kw 20)"; }
	done
	check "every rule action overrides global mode ${global% *}, missing-key ${global#* } (key or not, keyword or not)" \
	    test "$bad" = 0
done
ctl rule list | awk -F'\t' '$4 ~ /^r[0-9]\.example$/ { print $1 }' | while read -r id; do
	ctl rule del "$id" >/dev/null
done

# Which rule applies.
setp mode possible
setp missing-key plain
ctl rule add domain partner.example all+bounce 100 >/dev/null
ctl rule add address vip@partner.example off 100 >/dev/null
ctl rule add domain strict.example all+hold 500 >/dev/null
ctl rule add address boss@strict.example off 499 >/dev/null
ctl rule add address ceo@strict.example off 501 >/dev/null
ctl rule add address "o'brien;--@example.org" all+bounce 100 >/dev/null
plan "REQ w - alice@example.com x" "RCPT VIP@partner.example nokey" "RCPT x@partner.example nokey" \
    "RCPT boss@strict.example nokey" "RCPT ceo@strict.example nokey" "RCPT x@sub.partner.example nokey"
check "equal priority: the address rule" \
    test "$(action w 0) $(rule w 0 | sed 's/rule [0-9]*: //')" = "pass address vip@partner.example"
check "the domain rule for the rest of the domain" \
    test "$(action w 1) $(rule w 1 | sed 's/rule [0-9]*: //')" = "bounce domain partner.example"
check "a domain rule of higher priority beats an address rule" \
    test "$(action w 2) $(rule w 2 | sed 's/rule [0-9]*: //')" = "hold domain strict.example"
check "an address rule of higher priority beats the domain rule" \
    test "$(action w 3)" = pass
check "a domain rule matches that domain only, not its subdomains" \
    test "$(action w 4) $(rule w 4)" = "pass global: possible"

# ---------------------------------------------------------------- directions
setp mode all
setp missing-key bounce
plan "REQ d1 - alice@example.com x" "RCPT carol@EXAMPLE.com nokey" "RCPT dave@example.net key" \
    "RCPT erin@partner.example key" \
    "REQ d2 - mallory@evil.example x" "RCPT carol@example.com nokey" "RCPT erin@elsewhere.example nokey" \
    "REQ d3 - <> x" "RCPT carol@example.com nokey" "RCPT erin@elsewhere.example nokey"
check "internal recipient (any case, any internal domain): incoming" \
    test "$(answer d1 0 | cut -d' ' -f4-) / $(action d1 1)" = "incoming internal recipient / incoming"
check "internal sender, external recipient: by the policy" test "$(action d1 2)" = encrypt
check "external sender, internal recipient: incoming" test "$(action d2 0)" = incoming
check "external sender, external recipient: pass" \
    test "$(answer d2 1 | cut -d' ' -f4-)" = "pass external sender"
check "the null sender: incoming inside, pass outside" test "$(action d3 0) $(action d3 1)" = "incoming pass"

# ---------------------------------------------------------------- keyword, flags
setp mode keyword
setp keyword '[Secure]'
setp missing-key hold
plan "REQ k1 - alice@example.com Re:%20[SECURE]%20contract" "RCPT b@x.example key" "RCPT c@x.example nokey" \
    "REQ k2 - alice@example.com [sEcUrE]" "RCPT b@x.example key" \
    "REQ k3 - alice@example.com no%20marker" "RCPT b@x.example key" \
    "REQ k4 - alice@example.com [secure]" "RCPT vip@partner.example key" \
    "REQ k5 - alice@example.com [secure]" "RCPT b@x.example nokey"
check "keyword in any case: encrypt; without a key: the missing-key action" \
    test "$(action k1 0) $(action k1 1) $(action k2 0)" = "encrypt hold encrypt"
check "the keyword is returned as the Subject has it, for cryptod to remove" \
    test "$(answer k1 | cut -d' ' -f5-)|$(answer k2 | cut -d' ' -f5-)" = "[SECURE]|[sEcUrE]"
check "no keyword in the Subject: pass, nothing to remove" \
    test "$(action k3 0)|$(answer k3 | cut -d' ' -f5-)" = "pass|"
check "a recipient decided by a rule, not the keyword: nothing to remove" \
    test "$(action k4 0)|$(answer k4 | cut -d' ' -f5-)" = "pass|"
setp sign no
setp protected-headers no
plan "REQ f1 - alice@example.com x" "RCPT b@x.example key"
check "DONE's flags follow the policy row (sign no, protected-headers no)" \
    test "$(answer f1 | cut -d' ' -f4)" = decrypt
setp decrypt no
setp sign yes
plan "REQ f2 - alice@example.com x" "RCPT b@x.example key"
check "... (decrypt no, sign yes)" test "$(answer f2 | cut -d' ' -f4)" = sign
setp decrypt yes
setp protected-headers yes
setp mode all
setp missing-key bounce
plan "REQ e1 enc alice@example.com x" "RCPT b@x.example nokey" "RCPT c@x.example key"
check "an encrypted message is never bounced for a missing key" \
    test "$(answer e1 0 | cut -d' ' -f4-)" = "pass global: all (encrypted already)"
check "... and with a key the plan stays encrypt (cryptod passes it as it is)" \
    test "$(action e1 1)" = encrypt

# ---------------------------------------------------------------- hostile strings
# The rule says bounce, the global policy hold.
setp missing-key hold
plan "REQ h1 - alice@example.com x" "RCPT o'brien;--@example.org nokey" \
    "RCPT O'Brien;--@Example.Org nokey" "RCPT o'brien;-@example.org nokey" \
    "RCPT o'brien;--@example.org.evil nokey" "RCPT x'%20OR%201=1;--@example.org nokey" \
    "REQ h2 - alice@example.com '%3B%20DROP%20TABLE%20pgpmg.rules;%20--%20/*%20%5C%5C%20%E2%80%94%20%F0%9F%98%80" \
    "RCPT j%C3%BCrgen@b%C3%BCcher.example nokey"
check "a rule for o'brien;--@example.org matches exactly that address (any ASCII case)" \
    test "$(action h1 0) $(action h1 1) $(rule h1 0 | sed 's/rule [0-9]*: //')" = \
    "bounce bounce address o'brien;--@example.org"
check "... and no other" test "$(action h1 2) $(action h1 3) $(action h1 4)" = "hold hold hold" -a \
    "$(rule h1 2)" = "global: all"
check "hostile subjects and UTF-8 addresses are only bytes" \
    test "$(answer h2 0)" = "h2 rcpt 0 hold global: all"
[ "$(pg_psql -c "SELECT count(*) FROM pgpmg.rules")" = 6 ] && ok "the rules table is whole" ||
    not_ok "rules table"

# ---------------------------------------------------------------- another gateway
# A change written straight into the database, as another gateway's
# policyd (same role) would: it applies within a few seconds.
t0=$(now_ms)
pg_psql_as _pgpmg_policyd -c "UPDATE pgpmg.policy SET mode = 'off', updated_by = 'gateway-2'" >/dev/null
while :; do
	plan "REQ g1 - alice@example.com x" "RCPT b@x.example key"
	[ "$(action g1 0)" = pass ] && break
	[ $(($(now_ms) - t0)) -gt 8000 ] && break
	sleep 0.1
done
t=$(($(now_ms) - t0))
check "a policy change by another gateway applies within a few seconds (${t} ms)" \
    test "$(answer g1 0)" = "g1 rcpt 0 pass global: off" -a "$t" -lt 4000
t0=$(now_ms)
pg_psql_as _pgpmg_policyd -c "INSERT INTO pgpmg.rules (scope, pattern, action, missing_key, created_by)
    VALUES ('domain', 'far.example', 'all', 'hold', 'gateway-2')" >/dev/null
while :; do
	plan "REQ g2 - alice@example.com x" "RCPT b@far.example nokey"
	[ "$(action g2 0)" = hold ] && break
	[ $(($(now_ms) - t0)) -gt 8000 ] && break
	sleep 0.1
done
t=$(($(now_ms) - t0))
check "so does a rule another gateway added (${t} ms)" test "$(action g2 0)" = hold -a "$t" -lt 4000
# Through this gateway: from the very next message.
bad=0
for m in all off all off; do
	ctl policy set mode "$m" >/dev/null
	plan "REQ n - alice@example.com x" "RCPT b@x.example key"
	[ "$(answer n 0)" = "n rcpt 0 $([ $m = all ] && echo encrypt || echo pass) global: $m" ] || bad=1
done
check "a change through pgpmgctl applies from the very next message" test "$bad" = 0

# ---------------------------------------------------------------- database down
pg_immediate_stop() {
	(cd / && runuser -u postgres -- "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop)
}
pg_immediate_stop
wait_db down || wait_db connecting
t0=$(now_ms)
plan "REQ t1 - alice@example.com x" "RCPT b@x.example key" "RCPT c@example.com key" \
    "REQ t2 - bob@elsewhere.example x" "RCPT c@example.com nokey"
t=$(($(now_ms) - t0))
# At once, not after cryptod's 30 s plan timeout (the bound leaves room
# for a busy host).
check "database stopped: every plan is answered tempfail, with no recipient answer (${t} ms)" \
    test "$(cat "$PLAN_OUT")" = "$(printf '%s\n' 't1 done tempfail - ' 't2 done tempfail - ')" \
    -a "$t" -lt 5000
ctl policy set mode all >/dev/null 2>&1
check "and the policy cannot change meanwhile" test "$?" = 2
"$PG_SH" start "$PG_DATA" "$PG_SOCK" "$PG_LOG" >/dev/null
t0=$(now_ms)
while :; do
	plan "REQ t3 - alice@example.com x" "RCPT b@x.example key"
	[ "$(answer t3 | cut -d' ' -f3)" = ok ] && break
	[ $(($(now_ms) - t0)) -gt 10000 ] && break
	sleep 0.1
done
t=$(($(now_ms) - t0))
check "after the restart plans are answered again (${t} ms), with the policy as it is" \
    test "$(answer t3 0)" = "t3 rcpt 0 pass global: off"

# ---------------------------------------------------------------- results
HOUR="date_trunc('hour', now(), 'UTC')"
plan "RESULT out enc,signed 3 alice@example.com b@x.example encrypted" \
    "RESULT out signed 1 alice@example.com c@x.example signed" \
    "RESULT in dec,good 2 x@y.example alice@example.com decrypted" \
    "RESULT in bad 1 x@y.example alice@example.com bad" \
    "RESULT in failed 1 mallory%27;--@evil.example alice@example.com no%20secret%20key;%20'%20OR%201=1%20--%20%E2%80%94%20%5C" \
    "RESULT out refused 1 alice@example.com o'brien;--@example.org rule%207:%20domain%20partner.example;%20no%20key"
for ((i = 0; i < 50; i++)); do
	[ "$(pg_psql -c "SELECT count(*) FROM pgpmg.stats_hourly")" = 2 ] &&
	    [ "$(pg_psql -c "SELECT coalesce(sum(messages), 0) FROM pgpmg.stats_hourly")" = 9 ] && break
	sleep 0.1
done
check "statistics per hour and direction: out" test "$(pg_psql -c "SELECT messages, encrypted, signed,
    decrypted, sig_good, sig_bad, failures FROM pgpmg.stats_hourly WHERE hour = $HOUR AND direction = 'out'")" = \
    "5|3|4|0|0|0|1"
check "statistics per hour and direction: in" test "$(pg_psql -c "SELECT messages, encrypted, signed,
    decrypted, sig_good, sig_bad, failures FROM pgpmg.stats_hourly WHERE hour = $HOUR AND direction = 'in'")" = \
    "4|0|0|2|2|1|1"
row=$(pg_psql -c "SELECT actor || '|' || subject || '|' || (details::json ->> 'sender') || '|' ||
    (details::json ->> 'detail') || '|' || (details::json ->> 'direction') FROM pgpmg.audit_log WHERE kind = 'decrypt-failed'")
check "a decryption failure is audited: sender, recipient and detail verbatim" \
    test "$row" = "policyd|alice@example.com|mallory';--@evil.example|no secret key; ' OR 1=1 -- — \\|in"
row=$(pg_psql -c "SELECT subject || '|' || (details::json ->> 'detail') FROM pgpmg.audit_log WHERE kind = 'refused'")
check "a refusal is audited, with the rule that decided" \
    test "$row" = "o'brien;--@example.org|rule 7: domain partner.example; no key"
run_verify=$(ctl audit verify 2>&1)
check "audit verify passes" grep -q 'audit chain: [0-9]* rows, ok' <<<"$run_verify"

# ---------------------------------------------------------------- violations
check "no syscall was trapped" bash -c '! grep -q "trapped syscall" "$1"' _ "$ENV_DIR/pgpmgd.log"
check "no process died or was restarted so far" \
    bash -c '! grep -q "restarting \|protocol violation\|is gone" "$1"' _ "$ENV_DIR/pgpmgd.log"
plan "RAWRCPT 9000 a@b.example 0" "RAWREQ 9000 2 0"
for ((i = 0; i < 100; i++)); do running "$PGPMGD_PID" || break; sleep 0.05; done
check "a request whose count does not match its recipients is fatal to policyd" \
    grep -q 'policyd.*cryptod#0: request 9000 announces 2 recipients, 1 came' "$ENV_DIR/pgpmgd.log"
stop_appliance
start || echo "# appliance did not start again"
lines=()
for ((i = 0; i <= 100; i++)); do lines+=("RAWRCPT 9001 r$i@b.example 0"); done
plan "${lines[@]}"
for ((i = 0; i < 100; i++)); do running "$PGPMGD_PID" || break; sleep 0.05; done
check "a request with more recipients than smtp-max-recipients is fatal to policyd" \
    grep -q 'policyd.*cryptod#0: request 9001 has more than 100 recipients' "$ENV_DIR/pgpmgd.log"
echo "# done after ${SECONDS}s"
done_testing
