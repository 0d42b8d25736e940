#!/usr/bin/env bash
# The real trip: mail submitted to a private Postfix goes through pgpmg as
# its after-queue content filter (the master.cf and main.cf lines of
# docs/postfix.md), back into Postfix's reinjection port, and on to the
# next hop, an smtp-sink.  Once over SMTP and once over LMTP.  Every
# message arrives exactly once, byte-identical, and Postfix's queue ends
# empty.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/smtp_lib.sh"
. "$HERE/postfix.sh"

PF=
cleanup() {
	[ -n "$PF" ] && [ -d "$PF/etc" ] && pf_stop "$PF" >/dev/null 2>&1
	stop_sink
	cleanup_env
	[ -n "$PF" ] && rm -rf "$PF"
}
trap cleanup EXIT

N=20
for mode in smtp lmtp; do
	new_env
	if [ "$mode" = lmtp ]; then
		sed -i "s/^listen smtp .*/listen smtp 127.0.0.1:$SMTP_PORT lmtp/" "$CONF"
	fi
	# The relay of pgpmg is Postfix's reinjection port.
	REINJECT=$RELAY_PORT
	SUBMIT=$(free_port)
	NEXTHOP=$(free_port)
	while [ "$NEXTHOP" = "$SUBMIT" ]; do NEXTHOP=$(free_port); done
	start_sink "$NEXTHOP" "$ENV_DIR/sink" || not_ok "$mode: sink did not start"
	start_appliance || not_ok "$mode: appliance did not start"
	PF=$(mktemp -d /tmp/pgpmg-pf.XXXXXX)
	chmod 0755 "$PF"
	# Postfix's smtpd offers STARTTLS, so pgpmg's relay client (relay-tls
	# opportunistic, the default) uses it, inside smtpd's sandbox.
	"$REPO/scripts/mkcert.sh" "$PF/tls" >/dev/null 2>&1
	export PF_MAIN_EXTRA="smtpd_tls_cert_file = $PF/tls/cert.pem
smtpd_tls_key_file = $PF/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1"
	pf_start "$PF" "$SUBMIT" "$mode" "$SMTP_PORT" "$REINJECT" "$NEXTHOP" \
	    >"$ENV_DIR/pf_start.log" 2>&1
	check "$mode: private Postfix started with pgpmg as content filter" pf_running "$PF"

	for i in $(seq 1 "$N"); do
		swaks --server "127.0.0.1:$SUBMIT" --from alice@example.com \
		    --to "bob$i@example.org" --header "Subject: trip $mode $i" \
		    --header "Message-ID: <trip-$mode-$i@example.com>" \
		    --body "body of message $i over $mode" \
		    --hide-all --timeout 20 >/dev/null 2>&1 ||
		    not_ok "$mode: submission $i refused"
	done
	for ((t = 0; t < 300; t++)); do
		[ "$(sink_count "$ENV_DIR/sink")" -ge "$N" ] && break
		sleep 0.1
	done
	n=$(sink_count "$ENV_DIR/sink")
	check "$mode: the sink received exactly $N ($n)" [ "$n" -eq "$N" ]
	check "$mode: Postfix's queue is empty" pf_wait_queue_empty "$PF" 10
	check "$mode: Postfix handed every message to pgpmg" \
	    test "$(pf_log "$PF" | grep -c "relay=127.0.0.1\[127.0.0.1\]:$SMTP_PORT,.*status=sent .*relayed")" -eq "$N"
	dup=$(grep -h '^Message-ID: <trip-' "$ENV_DIR"/sink/* | sort | uniq -d | wc -l)
	check "$mode: no message arrived twice" [ "$dup" -eq 0 ]
	f=$(grep -l "Subject: trip $mode 7" "$ENV_DIR"/sink/* | head -1)
	check "$mode: the body came through unchanged" \
	    grep -q "^body of message 7 over $mode\$" "$f"
	check "$mode: pgpmg passed XFORWARD on (the reinjection port logged the client)" \
	    bash -c 'grep -q "orig_client=" <<<"$0"' "$(pf_log "$PF")"

	check "$mode: pgpmg relayed over TLS (STARTTLS to the reinjection port)" \
	    test "$(pf_log "$PF" | grep -c "TLS connection established from localhost")" -ge 1
	pf_stop "$PF" >/dev/null 2>&1
	rm -rf "$PF"
	PF=
	stop_sink
	cleanup_env
done
done_testing
