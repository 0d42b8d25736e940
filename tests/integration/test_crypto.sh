#!/usr/bin/env bash
# The gateway's crypto, end to end through smtpd, cryptod and keyd, with
# smtp-sink as the relay and real correspondents (GnuPG homes of their
# own) on the other side.  Messages carry UTF-8 and ISO-8859-1 text, an
# HTML alternative and a binary attachment.  What the gateway emits is read
# back by GnuPG, and by Sequoia (sq) and RNP (Thunderbird's engine).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/crypto_lib.sh"
MT=$HERE/mailtool.py
# The same text but for line ends at the very end (swaks adds one).
same_text() {
	python3 -c 'import sys
a, b = [open(f, "rb").read().rstrip(b"\r\n") for f in sys.argv[1:]]
sys.exit(a != b)' "$1" "$2"
}
export -f same_text

cleanup() { parties_stop; stop_sink; [ -n "${KEEP:-}" ] && { stop_appliance; echo "# kept $ENV_DIR"; return; }; cleanup_env; }
trap cleanup EXIT

EXTRA_CONF="inline-pgp legacy@partner.test"
new_env
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"

# ---- keys: the gateway holds alice's; bob, carol and dave are outside
# correspondents whose public keys the admin imported; eve has no key.
ALICE=$(ctl key generate alice@example.com 2>&1 | tail -1)
check "gateway key generated for alice@example.com" \
    grep -qE '^[0-9A-F]{40}$' <<<"$ALICE"
for p in bob carol dave frank legacy; do party "$p" "$p@partner.test"; done
for p in bob carol dave legacy; do
	pgpg "$p" --armor --export "$p@partner.test" | ctl key import - \
	    >/dev/null 2>&1 || not_ok "import of $p's key refused"
done
BOB=$(party_fpr bob bob@partner.test)
FRANK=$(party_fpr frank frank@partner.test)
ctl key export alice@example.com >"$W/alice.asc" 2>/dev/null
for p in bob carol dave frank legacy; do pgpg "$p" --import "$W/alice.asc" 2>/dev/null; done
check "alice's exported key is her gateway key" \
    grep -q "$ALICE" <(pgpg bob --with-colons --list-keys alice@example.com)
n=0

# ---- outgoing, to a recipient with a known key: PGP/MIME, signed
"$MT" mixed alice@example.com bob@partner.test "Grüße, verschlüsselt" >"$W/out1.eml"
out=$(send_file alice@example.com bob@partner.test "$W/out1.eml")
check "outgoing to bob accepted" accepted "$out"
n=$((n + 1)); wait_sink $n
got_message 'X-Rcpt-Args: .*|^To: bob@partner.test' "$W/got1.eml"
ct=$("$MT" header "$W/got1.eml" Content-Type)
check "arrives as multipart/encrypted (RFC 3156)" \
    grep -q 'multipart/encrypted; protocol="application/pgp-encrypted"' <<<"$ct"
check "version part says Version: 1" \
    bash -c '"$0" part "$1" 1 | grep -q "^Version: 1"' "$MT" "$W/got1.eml"
"$MT" body "$W/got1.eml" 2 >"$W/enc1.asc"
pgpg bob --status-fd 3 --decrypt "$W/enc1.asc" >"$W/dec1.eml" 3>"$W/st1" 2>/dev/null
check "bob's gpg decrypts it" grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$W/st1"
check "with a good signature from alice's gateway key" \
    bash -c 'grep -q "^\[GNUPG:\] GOODSIG" "$0" && grep -q "VALIDSIG.* $1\$\|VALIDSIG $1 " "$0"' \
    "$W/st1" "$ALICE"
"$MT" entity "$W/out1.eml" >"$W/out1.ent"
check "content is the original, part for part and byte for byte once decoded" \
    "$MT" same-content "$W/out1.ent" "$W/dec1.eml"
check "8-bit parts were re-encoded (nothing 8-bit inside)" \
    bash -c '! LC_ALL=C grep -q "[^[:print:][:space:]]" "$0"' "$W/dec1.eml"
check "routing headers stay outside" bash -c \
    'for h in From To Date Message-ID; do "$0" header "$1" $h | grep -q . || exit 1; done' \
    "$MT" "$W/got1.eml"
check "outer Subject is \"...\"" [ "$("$MT" header "$W/got1.eml" Subject)" = "..." ]
check "the real Subject travels inside, as protected headers" bash -c \
    '"$0" header "$1" Content-Type | grep -q "protected-headers=\"v1\"" &&
     "$0" header "$1" Subject | grep -q "^=?UTF-8?B?"' "$MT" "$W/dec1.eml"

# Other readers: Sequoia and RNP, holding only bob's secret key.
pgpg bob --export-secret-keys bob@partner.test >"$W/bob.sec"
if command -v sq >/dev/null; then
	# --signer-cert: sq fails unless the signature verifies
	sq decrypt --recipient-key "$W/bob.sec" --signer-cert "$W/alice.asc" \
	    "$W/enc1.asc" >"$W/sq1.eml" 2>"$W/sq1.err"
	check "Sequoia decrypts it and verifies alice's signature" \
	    bash -c 'grep -q "^1 good signature" "$0" &&
	      "$1" same-content "$2" "$3"' "$W/sq1.err" "$MT" \
	    "$W/out1.ent" "$W/sq1.eml"
else
	not_ok "sq is not installed (make deps)"
fi
if command -v rnp >/dev/null; then
	mkdir -p -m 0700 "$W/rnp"
	rnpkeys --homedir "$W/rnp" --import "$W/bob.sec" >/dev/null 2>&1
	rnpkeys --homedir "$W/rnp" --import "$W/alice.asc" >/dev/null 2>&1
	rnp --homedir "$W/rnp" --password '' --decrypt "$W/enc1.asc" \
	    --output "$W/rnp1.eml" >"$W/rnp1.err" 2>&1
	check "RNP (Thunderbird's engine) decrypts it" \
	    "$MT" same-content "$W/out1.ent" "$W/rnp1.eml"
	check "RNP reports alice's valid signature" grep -qi 'Good signature\|signature.*valid' "$W/rnp1.err"
else
	not_ok "rnp is not installed (make deps)"
fi

# ---- outgoing, no recipient key: signed (multipart/signed)
"$MT" mixed alice@example.com eve@elsewhere.test "signed only" >"$W/out2.eml"
out=$(send_file alice@example.com eve@elsewhere.test "$W/out2.eml")
check "outgoing to eve (no key) accepted" accepted "$out"
n=$((n + 1)); wait_sink $n
got_message '^To: eve@elsewhere.test' "$W/got2.eml"
check "arrives as multipart/signed, micalg and protocol set" bash -c \
    '"$0" header "$1" Content-Type | grep -q "multipart/signed; micalg=pgp-sha[0-9]*; protocol=\"application/pgp-signature\""' \
    "$MT" "$W/got2.eml"
"$MT" part "$W/got2.eml" 1 >"$W/signed2.ent"
"$MT" body "$W/got2.eml" 2 >"$W/sig2.asc"
check "bob's gpg verifies the signed part exactly as it came" \
    bash -c 'gpg --homedir "$0" --batch --status-fd 1 --verify "$1" "$2" 2>/dev/null | grep -q GOODSIG' \
    "$PARTY_DIR/bob" "$W/sig2.asc" "$W/signed2.ent"
if command -v sq >/dev/null; then
	check "Sequoia verifies the signature" sq verify --signer-cert \
	    "$W/alice.asc" --detached "$W/sig2.asc" "$W/signed2.ent"
fi
"$MT" entity "$W/out2.eml" >"$W/out2.ent"
check "signed content is the original" "$MT" same-content "$W/out2.ent" "$W/signed2.ent"
check "the signed part is 7-bit (survives any MTA)" \
    bash -c '! LC_ALL=C grep -q "[^[:print:][:space:]]" "$0"' "$W/signed2.ent"

# ---- three recipients with keys: one message, encrypted once to all three
"$MT" mixed alice@example.com bob@partner.test "to three" >"$W/out3.eml"
out=$(send_file alice@example.com bob@partner.test,carol@partner.test,dave@partner.test "$W/out3.eml")
check "message to three accepted" accepted "$out"
n=$((n + 1)); wait_sink $n
sleep 0.3
check "exactly one message reached the relay" [ "$(sink_count "$ENV_DIR/sink")" -eq $n ]
got_message 'Message-ID: <mixed-' "$W/got3.eml"
"$MT" body "$W/got3.eml" 2 >"$W/enc3.asc"
check "encrypted once, to three keys" [ "$(gpg --batch --list-packets \
    "$W/enc3.asc" 2>/dev/null | grep -c '^:pubkey enc packet')" -eq 3 ]
ok3=0
for p in bob carol dave; do
	pgpg "$p" --decrypt "$W/enc3.asc" >/dev/null 2>&1 && ok3=$((ok3 + 1))
done
check "each of the three decrypts it" [ $ok3 -eq 3 ]

# ---- incoming PGP/MIME, encrypted and signed by bob to alice
"$MT" mixed bob@partner.test alice@example.com "incoming pgp/mime" >"$W/in4.orig"
"$MT" entity "$W/in4.orig" >"$W/in4.ent"
pgpg bob --armor --sign --encrypt -u bob@partner.test -r alice@example.com \
    --output "$W/in4.asc" "$W/in4.ent"
"$MT" wrap-encrypted bob@partner.test alice@example.com "incoming pgp/mime" \
    "$W/in4.asc" >"$W/in4.eml"
out=$(send_file bob@partner.test alice@example.com "$W/in4.eml")
check "incoming PGP/MIME accepted" accepted "$out"
n=$((n + 1)); wait_sink $n
got_message 'Subject: incoming pgp/mime' "$W/got4.eml"
check "X-PGPMG-Decryption: ok" [ "$("$MT" header "$W/got4.eml" X-PGPMG-Decryption)" = ok ]
check "X-PGPMG-Signature: good, with bob's fingerprint and address" \
    grep -q "^good; fingerprint=$BOB; address=bob@partner.test$" \
    <("$MT" header "$W/got4.eml" X-PGPMG-Signature)
check "decrypted content is what bob wrote" "$MT" same-content "$W/in4.orig" "$W/got4.eml"

# ---- incoming inline PGP, ISO-8859-1 text, quoted-printable
printf 'geheime Nachricht: Caf\xc3\xa9 \xe2\x9c\x93\n' >"$W/secret.txt"
pgpg bob --armor --sign --encrypt -u bob@partner.test -r alice@example.com \
    --output "$W/in5.asc" "$W/secret.txt"
{ printf 'Gr\xfc\xdfe vorher\n'; cat "$W/in5.asc"; printf 'nachher\n'; } >"$W/in5.body"
"$MT" plain bob@partner.test alice@example.com "incoming inline" iso-8859-1 \
    quoted-printable "$W/in5.body" >"$W/in5.eml"
out=$(send_file bob@partner.test alice@example.com "$W/in5.eml")
check "incoming inline PGP accepted" accepted "$out"
n=$((n + 1)); wait_sink $n
got_message 'Subject: incoming inline' "$W/got5.eml"
check "inline: X-PGPMG-Decryption: ok" [ "$("$MT" header "$W/got5.eml" X-PGPMG-Decryption)" = ok ]
check "inline: signature good" grep -q "^good; fingerprint=$BOB" \
    <("$MT" header "$W/got5.eml" X-PGPMG-Signature)
check "inline: plaintext in place, text around it kept, now UTF-8" bash -c \
    'python3 - "$0" <<"PY"
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
t = m.get_payload(decode=True).decode(m.get_content_charset())
assert "geheime Nachricht: Café ✓" in t, t
assert "Grüße vorher" in t and "nachher" in t, t
assert "BEGIN PGP" not in t, t
PY' "$W/got5.eml"

# ---- a tampered message: marked failed, the original intact, a notice
sed '5s/./X/;6s/./Y/' "$W/in4.asc" >"$W/in6.asc"
"$MT" wrap-encrypted bob@partner.test alice@example.com "tampered" \
    "$W/in6.asc" >"$W/in6.eml"
out=$(send_file bob@partner.test alice@example.com "$W/in6.eml")
check "tampered message accepted (mail is never dropped)" accepted "$out"
n=$((n + 2)); wait_sink $n
got_message 'Subject: tampered' "$W/got6.eml"
check "tampered: X-PGPMG-Decryption: failed" \
    grep -q '^failed' <("$MT" header "$W/got6.eml" X-PGPMG-Decryption)
check "tampered: the original delivered unchanged" \
    cmp -s <("$MT" part "$W/in6.eml" 2) <("$MT" part "$W/got6.eml" 2)
check "tampered: the recipient gets a notice from the null sender" \
    bash -c 'f=$(grep -l "^Subject: A message to you could not be decrypted" "$0"/*) &&
      grep -q "^To: alice@example.com\|X-Rcpt-Args\|alice@example.com" "$f" &&
      grep -q "^Return-Path: <>\|^X-Mail-Args:.*\|MAIL FROM:<>" "$f"' "$ENV_DIR/sink"

# ---- incoming multipart/signed: good, bad, unknown key
"$MT" mixed bob@partner.test alice@example.com "signed by bob" >"$W/in7.orig"
"$MT" entity "$W/in7.orig" | "$MT" crlf >"$W/in7.ent"
pgpg bob --armor --detach-sign -u bob@partner.test --output "$W/in7.sig" "$W/in7.ent"
"$MT" wrap-signed bob@partner.test alice@example.com "signed by bob" \
    "$W/in7.ent" "$W/in7.sig" >"$W/in7.eml"
send_file bob@partner.test alice@example.com "$W/in7.eml" >/dev/null
n=$((n + 1)); wait_sink $n
got_message 'Subject: signed by bob' "$W/got7.eml"
check "multipart/signed from bob: good" \
    grep -q "^good; fingerprint=$BOB; address=bob@partner.test" \
    <("$MT" header "$W/got7.eml" X-PGPMG-Signature)
check "multipart/signed: decryption none" [ "$("$MT" header "$W/got7.eml" X-PGPMG-Decryption)" = none ]
sed 's/Zeile zwei/Zeile 2wei/' "$W/in7.ent" >"$W/in8.ent"
"$MT" wrap-signed bob@partner.test alice@example.com "tampered signed" \
    "$W/in8.ent" "$W/in7.sig" >"$W/in8.eml"
send_file bob@partner.test alice@example.com "$W/in8.eml" >/dev/null
n=$((n + 1)); wait_sink $n
got_message 'Subject: tampered signed' "$W/got8.eml"
check "a changed signed part: bad" grep -q '^bad' <("$MT" header "$W/got8.eml" X-PGPMG-Signature)
check "a changed signed part: delivered as it came" \
    cmp -s <("$MT" part "$W/in8.eml" 1) <("$MT" part "$W/got8.eml" 1)
pgpg frank --armor --detach-sign -u frank@partner.test --output "$W/in9.sig" "$W/in7.ent"
"$MT" wrap-signed frank@partner.test alice@example.com "signed by frank" \
    "$W/in7.ent" "$W/in9.sig" >"$W/in9.eml"
send_file frank@partner.test alice@example.com "$W/in9.eml" >/dev/null
n=$((n + 1)); wait_sink $n
got_message 'Subject: signed by frank' "$W/got9.eml"
check "a signer the gateway does not know: unknown-key" \
    grep -q '^unknown-key' <("$MT" header "$W/got9.eml" X-PGPMG-Signature)

# ---- forged result headers from outside are removed
printf 'From: mallory@partner.test\r\nTo: alice@example.com\r\nSubject: forged\r\nX-PGPMG-Signature: good; fingerprint=%s\r\nX-PGPMG-Decryption: ok\r\nx-pgpmg-decryption: ok\r\n\r\nhello\r\n' \
    "$ALICE" >"$W/in10.eml"
send_file mallory@partner.test alice@example.com "$W/in10.eml" >/dev/null
n=$((n + 1)); wait_sink $n
got_message 'Subject: forged' "$W/got10.eml"
check "forged X-PGPMG-* fields are stripped; ours says none" bash -c \
    '[ "$("$0" header "$1" X-PGPMG-Decryption)" = none ] &&
     [ -z "$("$0" header "$1" X-PGPMG-Signature)" ]' "$MT" "$W/got10.eml"

# ---- mail between outside parties, and already encrypted mail, pass
cp "$W/in4.eml" "$W/in11.eml"
out=$(send_file alice@example.com bob@partner.test "$W/in11.eml")
n=$((n + 1)); wait_sink $n
got_message 'Subject: incoming pgp/mime' "$W/got11.eml"
check "already encrypted outgoing mail is not encrypted again" \
    cmp -s <("$MT" part "$W/in11.eml" 2) <("$MT" part "$W/got11.eml" 2)

# ---- inline PGP for a legacy reader (inline-pgp legacy@partner.test)
printf 'Gr\xfc\xdfe an den alten Leser.\r\nZweite Zeile.\r\n' >"$W/legacy.txt"
"$MT" plain alice@example.com legacy@partner.test "inline out" iso-8859-1 \
    8bit "$W/legacy.txt" >"$W/out12.eml"
out=$(send_file alice@example.com legacy@partner.test "$W/out12.eml")
n=$((n + 1)); wait_sink $n
got_message 'Subject: inline out' "$W/got12.eml"
check "inline: text/plain kept, with its charset" \
    grep -q '^text/plain; charset=iso-8859-1' <("$MT" header "$W/got12.eml" Content-Type)
check "inline: the body is one armoured PGP message" bash -c \
    'sed -n "/^\r\?$/,\$p" "$0" | grep -q "^-----BEGIN PGP MESSAGE-----"' "$W/got12.eml"
sed -n '/^\r\?$/,$p' "$W/got12.eml" >"$W/got12.asc"
pgpg legacy --status-fd 3 --decrypt "$W/got12.asc" >"$W/dec12.txt" 3>"$W/st12" 2>/dev/null
check "inline: the legacy reader decrypts the original text, signed by alice" \
    bash -c 'grep -q GOODSIG "$0" && same_text "$1" "$2"' "$W/st12" "$W/legacy.txt" "$W/dec12.txt"
"$MT" mixed alice@example.com legacy@partner.test "inline fallback" >"$W/out13.eml"
send_file alice@example.com legacy@partner.test "$W/out13.eml" >/dev/null
n=$((n + 1)); wait_sink $n
got_message 'To: legacy@partner.test' "$W/got13.eml"
check "inline: a multipart message falls back to PGP/MIME" \
    grep -q multipart/encrypted <("$MT" header "$W/got13.eml" Content-Type)

# ---- protected headers arriving: the inner Subject is the real one
printf 'Content-Type: text/plain; charset=utf-8; protected-headers="v1"\r\nSubject: the real subject\r\nFrom: bob@partner.test\r\n\r\nprotected body\r\n' >"$W/in14.ent"
pgpg bob --armor --sign --encrypt -u bob@partner.test -r alice@example.com \
    --output "$W/in14.asc" "$W/in14.ent"
"$MT" wrap-encrypted bob@partner.test alice@example.com "..." \
    "$W/in14.asc" >"$W/in14.eml"
send_file bob@partner.test alice@example.com "$W/in14.eml" >/dev/null
n=$((n + 1)); wait_sink $n
got_message '^protected body' "$W/got14.eml"
check "protected headers: the real Subject replaces \"...\"" \
    [ "$("$MT" header "$W/got14.eml" Subject)" = "the real subject" ]

# ---- two internal recipients, encrypted to one: only she reads it
CAROL=$(ctl key generate carol@example.com 2>&1 | tail -1)
send_file bob@partner.test alice@example.com,carol@example.com "$W/in4.eml" >/dev/null
n=$((n + 3)); wait_sink $n
alice_copy=$(grep -l '^X-Rcpt-Args: <alice@example.com>' "$ENV_DIR"/sink/* | xargs ls -t | head -1)
carol_copy=$(grep -l '^X-Rcpt-Args: <carol@example.com>' "$ENV_DIR"/sink/* | xargs grep -L 'could not be decrypted' | xargs ls -t | head -1)
check "encrypted to alice only: alice gets it decrypted" \
    grep -q '^X-PGPMG-Decryption: ok' "$alice_copy"
check "encrypted to alice only: carol gets it as it came, marked, and a notice" \
    bash -c 'grep -q "^X-PGPMG-Decryption: failed" "$0" &&
      grep -q "^-----BEGIN PGP MESSAGE-----" "$0" &&
      grep -l "^X-Rcpt-Args: <carol@example.com>" "$1"/* | xargs grep -q "could not be decrypted"' \
    "$carol_copy" "$ENV_DIR/sink"

check "the appliance is still up" all_ready
done_testing
