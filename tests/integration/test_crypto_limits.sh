#!/usr/bin/env bash
# cryptod's limits, end to end: a compression bomb inside an OpenPGP
# message is stopped at crypto-max-output (the message is delivered as it
# came, marked failed, and the recipient told); MIME nested deeper than 50
# or with a header block above 1 MiB is refused with a clear 5xx; and the
# gateway keeps serving.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/crypto_lib.sh"
MT=$HERE/mailtool.py
trap 'parties_stop; stop_sink; cleanup_env' EXIT

EXTRA_CONF="crypto-max-output 8388608"
new_env
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$ENV_DIR/sink" || not_ok "sink did not start"
start_appliance || not_ok "appliance did not start"
ctl key generate alice@example.com >/dev/null 2>&1
party bob bob@partner.test
ctl key export alice@example.com >"$W/alice.asc" 2>/dev/null
pgpg bob --import "$W/alice.asc" 2>/dev/null
reply() { grep -E '^(<-|<\*\*) +[245][0-9][0-9] ' <<<"$1" | grep -v ' 221 ' | tail -1; }
n=0

# 64 MiB of zeros, compressed to a few dozen KiB, encrypted to alice.
head -c $((64 << 20)) /dev/zero >"$W/zeros"
pgpg bob --armor --encrypt --compress-algo zlib -z 9 -r alice@example.com \
    --output "$W/bomb.asc" "$W/zeros"
rm -f "$W/zeros"
echo "# the bomb: $(stat -c %s "$W/bomb.asc") bytes of armour"
"$MT" wrap-encrypted bob@partner.test alice@example.com "bomb" "$W/bomb.asc" >"$W/bomb.eml"
out=$(send_file bob@partner.test alice@example.com "$W/bomb.eml")
check "compression bomb: accepted, not dropped ($(reply "$out"))" accepted "$out"
n=$((n + 2)); wait_sink $n
got_message 'Subject: bomb' "$W/got-bomb.eml"
check "compression bomb: marked failed, above the size limit" \
    grep -q '^failed (decrypted content above the size limit)' \
    <("$MT" header "$W/got-bomb.eml" X-PGPMG-Decryption)
check "compression bomb: the original delivered as it came" \
    cmp -s <("$MT" part "$W/bomb.eml" 2) <("$MT" part "$W/got-bomb.eml" 2)
check "compression bomb: the recipient gets a notice" \
    bash -c 'grep -l "could not be decrypted" "$0"/* | xargs grep -q "size limit"' "$ENV_DIR/sink"
check "no cryptod worker died on it" \
    bash -c '! grep -q "cryptod#[0-9]*\[[0-9]*\] \(killed\|exited\)" "$0"' "$ENV_DIR/pgpmgd.log"

# MIME nested 60 deep (the limit is 50), to alice and from her.
python3 - "$W/deep.eml" <<'PY'
import sys
depth = 60
head = "From: bob@partner.test\r\nTo: alice@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
body = ""
for i in range(depth):
    body += "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i)
body += "Content-Type: text/plain\r\n\r\nthe bottom\r\n"
for i in reversed(range(depth)):
    body += "--b%d--\r\n" % i
open(sys.argv[1], "w").write(head + body)
PY
out=$(send_file bob@partner.test alice@example.com "$W/deep.eml")
check "incoming MIME nested 60 deep: 554 5.6.0 ($(reply "$out"))" \
    grep -qE '554 5\.6\.0 .*deep' <<<"$(reply "$out")"
sed 's/^From: bob@partner.test/From: alice@example.com/; s/^To: alice@example.com/To: bob@partner.test/' \
    "$W/deep.eml" >"$W/deep-out.eml"
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1
out=$(send_file alice@example.com bob@partner.test "$W/deep-out.eml")
check "outgoing MIME nested 60 deep, to be encrypted: 554 5.6.0, never in the clear ($(reply "$out"))" \
    grep -qE '554 5\.6\.0' <<<"$(reply "$out")"

# A header block above 1 MiB (1100 fields of 990 octets).
python3 - "$W/bighead.eml" <<'PY'
import sys
f = "".join("X-Filler-%04d: %s\r\n" % (i, "x" * 970) for i in range(1100))
open(sys.argv[1], "w").write("From: bob@partner.test\r\nTo: alice@example.com\r\nSubject: big header\r\n" + f + "\r\nbody\r\n")
PY
out=$(send_file bob@partner.test alice@example.com "$W/bighead.eml")
check "a header block above 1 MiB: 554 5.6.0 ($(reply "$out"))" \
    grep -qE '554 5\.6\.0 .*header' <<<"$(reply "$out")"
check "nothing of the refused messages reached the relay" \
    bash -c '! grep -lE "^Subject: (deep|big header)" "$0"/* >/dev/null 2>&1' "$ENV_DIR/sink"
check "the appliance is still up" all_ready
done_testing
