# Helpers for the crypto suites: outside parties with their own GnuPG
# homes (what a correspondent's mail client would hold), sending through
# the appliance, and the message the sink received.  Sourced after lib.sh
# and smtp_lib.sh, once new_env has run.

# party NAME ADDRESS: a GnuPG home $PARTY_DIR/NAME with an ed25519/cv25519
# key for ADDRESS, no passphrase (a correspondent's client, not the
# gateway's custody).
party() {
	local h=$PARTY_DIR/$1
	mkdir -p -m 0700 "$h"
	gpg --homedir "$h" --batch --quiet --pinentry-mode loopback \
	    --passphrase '' --quick-gen-key "$1 <$2>" future-default default 1y \
	    2>/dev/null
}

# Stop the parties' gpg-agents (gpg starts one per home); for cleanup.
parties_stop() {
	local h
	for h in "${PARTY_DIR:-/nonexistent}"/*/; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	done
	return 0
}

pgpg() { local h=$PARTY_DIR/$1; shift; gpg --homedir "$h" --batch --quiet \
    --trust-model always --pinentry-mode loopback --passphrase '' "$@"; }

party_fpr() {
	pgpg "$1" --with-colons --list-keys "$2" 2>/dev/null |
	    awk -F: '$1 == "fpr" { print $10; exit }'
}

# send FROM TO[,TO...] FILE: through the appliance; prints swaks' replies.
send_file() {
	swaks --server "127.0.0.1:$SMTP_PORT" --from "$1" --to "$2" \
	    --data "@$3" --hide-informational --timeout 30 2>&1
}

accepted() { grep -q '^<-  250 ' <<<"$1" && ! grep -qE '^<\*\* ' <<<"$1"; }

# wait_sink N: until the sink holds N messages (at most 10 s).
wait_sink() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(sink_count "$ENV_DIR/sink")" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# got_message PATTERN OUT: the body of the newest sink file that matches
# PATTERN (grep -E), as CRLF, into OUT; false when there is none.
got_message() {
	local f
	f=$(grep -lE "$1" "$ENV_DIR"/sink/* 2>/dev/null | xargs -r ls -t |
	    head -1)
	[ -n "$f" ] || return 1
	sink_body "$f" | "$HERE/mailtool.py" crlf >"$2"
	GOT_FILE=$f
}
