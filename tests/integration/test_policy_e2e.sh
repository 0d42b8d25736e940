#!/usr/bin/env bash
# The policy matrix end to end: pgpmgctl sets the policy, smtpd takes the
# mail, cryptod asks policyd, and the relay gets the expected form:
# encrypted, signed or plain; or the recipient is bounced (5xx) or held
# (4xx).  bob@partner.test has a key the gateway knows; eve@elsewhere.test
# has none; alice@example.com's key is held (so signing is possible).
# Strings with SQL metacharacters go through verbatim.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/crypto_lib.sh"
MT=$HERE/mailtool.py
trap 'parties_stop; stop_sink; cleanup_env' EXIT

new_env
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"
ctl key generate alice@example.com >/dev/null 2>&1
party bob bob@partner.test
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1
pol() { ctl policy set "$1" "$2" >/dev/null 2>&1 || not_ok "policy set $1 $2"; }

K=0
# form RCPT SUBJECT: FORM is what the relay got for one message
# (encrypted, signed, plain), or the SMTP reply code when it was refused.
# Not in a subshell: K numbers the messages.
form() {
	local out code f
	K=$((K + 1))
	printf 'From: alice@example.com\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <e2e-%s@test>\r\n\r\nbody %s\r\n' \
	    "$1" "$2" "$K" "$K" >"$W/m$K.eml"
	out=$(send_file alice@example.com "$1" "$W/m$K.eml")
	code=$(grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' <<<"$out" |
	    grep -v ' 221 ' | tail -1 | awk '{ print $2 }')
	if [ "$code" != 250 ]; then
		FORM=$code
		return
	fi
	for ((t = 0; t < 100; t++)); do
		f=$(grep -l "^Message-ID: <e2e-$K@test>" "$ENV_DIR"/sink/* 2>/dev/null | head -1)
		[ -n "$f" ] && break
		sleep 0.05
	done
	if grep -q 'multipart/encrypted' "$f"; then FORM=encrypted
	elif grep -q 'multipart/signed' "$f"; then FORM=signed
	else FORM=plain; fi
}
expect() {	# expect DESCRIPTION WANT RCPT SUBJECT
	local got
	form "$3" "$4"
	got=$FORM
	check "$1: $2 (got $got)" [ "$got" = "$2" ]
}

pol mode off
expect "off, key known" signed bob@partner.test "a"
pol sign no
expect "off, sign no" plain bob@partner.test "a"
pol sign yes
pol mode possible
expect "possible, key known" encrypted bob@partner.test "a"
expect "possible, no key" signed eve@elsewhere.test "a"
pol mode all
pol missing-key plain
expect "all, key known" encrypted bob@partner.test "a"
expect "all, no key, missing-key plain" signed eve@elsewhere.test "a"
pol missing-key bounce
expect "all, no key, missing-key bounce" 550 eve@elsewhere.test "a"
pol missing-key hold
expect "all, no key, missing-key hold" 450 eve@elsewhere.test "a"
pol missing-key plain
pol mode keyword
KW="[sec'ure]; DROP TABLE rules; --"
pol keyword "$KW"
check "the keyword is stored verbatim" grep -qF -- "$KW" <(ctl policy show 2>&1)
expect "keyword absent" signed bob@partner.test "plain talk"
expect "keyword present" encrypted bob@partner.test "Report $KW today"
f=$(grep -l "^Message-ID: <e2e-$K@test>" "$ENV_DIR"/sink/*)
sink_body "$f" | "$MT" crlf >"$W/kw.eml"
"$MT" body "$W/kw.eml" 2 >"$W/kw.asc"
pgpg bob --decrypt "$W/kw.asc" >"$W/kw.dec" 2>/dev/null
check "the keyword is removed from the Subject inside" bash -c \
    '"$0" header "$1" Subject | grep -qx "Report today"' "$MT" "$W/kw.dec"

# rules override the mode
pol mode all
pol missing-key bounce
ctl rule add domain elsewhere.test plain 100 >/dev/null 2>&1
expect "all+bounce, domain rule plain" signed eve@elsewhere.test "a"
ctl rule add address "o'brien--@partner.test" all+hold 200 >/dev/null 2>&1
check "an address with SQL metacharacters is listed verbatim" \
    grep -qF "o'brien--@partner.test" <(ctl rule list 2>&1)
expect "address rule all+hold, exactly that address" 450 "o'brien--@partner.test" "a"
expect "the domain has no rule: missing-key bounce" 550 "obrien@partner.test" "a"
ctl rule add domain partner.test off 50 >/dev/null 2>&1
expect "domain rule off, lower than the address rule" 450 "o'brien--@partner.test" "a"
expect "domain rule off for the rest of the domain" signed bob@partner.test "a"

check "the audit trail verifies" ctl audit verify
check "the appliance is still up" all_ready
done_testing
