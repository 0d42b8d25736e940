#!/usr/bin/env bash
# The private-Postfix harness (postfix.sh) by itself, without pgpmg.
#
# smtp mode: the pgpmg transport points at the instance's own reinjection
# port (content_filter=pgpmg:[127.0.0.1]:REINJECT_PORT), a legal
# pass-through since that listener has an empty content_filter.  Mail
# thus takes exactly the master.cf lines pgpmg will use: submission smtpd
# -> queue -> pgpmg transport (smtp client, XFORWARD) -> reinjection smtpd
# -> queue -> relayhost -> smtp-sink.
#
# lmtp mode: the reinjection smtpd speaks SMTP, so it cannot stand in
# for an LMTP filter; an smtp-sink -L does (a dead end: it does not
# reinject).  This checks the config passes postfix check, starts, and
# that the pgpmg transport really delivers over LMTP.
#
# Needs root (Postfix runs as root with mail_owner=postfix).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/postfix.sh"

T_START=$SECONDS
TOP=$(mktemp -d /tmp/pgpmg-pf.XXXXXX)
chmod 0755 "$TOP"
SINKS=()
cleanup() {
	local s
	for d in "$TOP/smtp" "$TOP/lmtp"; do
		[ -d "$d/etc" ] && pf_stop "$d" >/dev/null 2>&1
	done
	for s in "${SINKS[@]}"; do pf_sink_stop "$s"; done
	rm -rf "$TOP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fingerprint_system() {
	# what a private instance must never touch
	{
		ls -la --time-style=full-iso /etc/postfix
		find /var/spool/postfix -maxdepth 2 -printf '%p %m %T@\n' 2>/dev/null | sort
	} | md5sum
}
SYSTEM_BEFORE=$(fingerprint_system)

# distinct free ports
PORTS=()
while [ ${#PORTS[@]} -lt 6 ]; do
	p=$(free_port)
	case " ${PORTS[*]} " in *" $p "*) continue ;; esac
	PORTS+=("$p")
done
SMTP_PORT=${PORTS[0]} REINJECT_PORT=${PORTS[1]} NEXTHOP_PORT=${PORTS[2]}
L_SMTP_PORT=${PORTS[3]} L_REINJECT_PORT=${PORTS[4]} L_FILTER_PORT=${PORTS[5]}

# ---------------------------------------------------------------- smtp
D=$TOP/smtp
mkdir -m 0755 "$D"
pf_sink_start "$D/sink" "$NEXTHOP_PORT"
rc=$?; SINKS+=("$PF_SINK_PID")
check "smtp-sink next hop listens on 127.0.0.1:$NEXTHOP_PORT" [ "$rc" -eq 0 ]

t0=$SECONDS
pf_start "$D" "$SMTP_PORT" smtp "$REINJECT_PORT" "$REINJECT_PORT" "$NEXTHOP_PORT"
rc=$?
check "pf_start (smtp; filter -> reinjection port) in $((SECONDS - t0)) s" [ "$rc" -eq 0 ]
if [ "$rc" -ne 0 ]; then
	pf_log "$D" | tail -20 | sed 's/^/# /'
	done_testing; exit 1
fi
check "postfix -c DIR/etc check is clean" \
    bash -c '[ -z "$(postfix -c "$0/etc" check 2>&1)" ]' "$D"

pc() { postconf -c "$D/etc" "$@" 2>&1; }
check "queue_directory is the test's ($(pc -h queue_directory))" \
    [ "$(pc -h queue_directory)" = "$D/queue" ]
check "master.pid is in the test's queue" [ -s "$D/queue/pid/master.pid" ]
check "content_filter on the submission listener" \
    [ "$(pc -P "127.0.0.1:$SMTP_PORT/inet/content_filter" | sed 's/.* = //')" \
    = "pgpmg:[127.0.0.1]:$REINJECT_PORT" ]
check "pgpmg transport is smtp(8), maxproc 10" \
    bash -c 'postconf -c "$0/etc" -M pgpmg/unix | grep -qE "^pgpmg +unix +- +- +n +- +10 +smtp"' "$D"
for kv in smtp_send_xforward_command=yes smtp_data_done_timeout=1200 \
    disable_dns_lookups=yes max_use=20; do
	check "pgpmg transport: -o $kv" \
	    [ "$(pc -P "pgpmg/unix/${kv%%=*}" | sed 's/.* = //')" = "${kv#*=}" ]
done
v=$(pc -P "127.0.0.1:$REINJECT_PORT/inet/content_filter")
check "reinjection listener: content_filter set, and empty ($v)" \
    bash -c '[[ $0 =~ ^127\.0\.0\.1:[0-9]+/inet/content_filter\ =\ ?$ ]]' "$v"
check "reinjection listener trusts XFORWARD from 127.0.0.0/8" \
    [ "$(pc -P "127.0.0.1:$REINJECT_PORT/inet/smtpd_authorized_xforward_hosts" | sed 's/.* = //')" = 127.0.0.0/8 ]
check "pgpmg_destination_recipient_limit = 1 (smtp default)" \
    [ "$(pc -h pgpmg_destination_recipient_limit)" = 1 ]
listen=$(ss -Htln | awk '{ print $4 }' | grep -E ":($SMTP_PORT|$REINJECT_PORT)\$" | sort -u | tr '\n' ' ')
want=$(printf '127.0.0.1:%s\n' "$SMTP_PORT" "$REINJECT_PORT" | sort -u | tr '\n' ' ')
check "both listeners on 127.0.0.1 only ($listen)" [ "$listen" = "$want" ]

# 18 messages with smtp-source over 3 sessions, 2 with swaks (known bodies)
t0=$SECONDS
pf_source "$D" 18 3 -l 4096 -f sender@pgpmg.test -t rcpt@example.org \
    >"$TOP/source.out" 2>&1
check "smtp-source sent 18 messages over 3 sessions" [ $? -eq 0 ]

# A body with dot-stuffing cases, an 8-bit line, a long line and a
# trailing space; the file sent has no final newline (see pf_send).
MSG=$TOP/msg.eml
{
	printf 'From: <sender@pgpmg.test>\nTo: <body@example.org>\n'
	printf 'Subject: harness byte check\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n\n'
	printf '.a line that starts with a dot\n..two dots\n.\n'
	printf 'caf\xc3\xa9 \xe2\x82\xac 8-bit\n'
	printf 'trailing space \n\n\tafter an empty line, a tab\n'
	head -c 900 /dev/zero | tr '\0' x; printf '\n'
	printf 'last line\n'
} >"$MSG"
head -c -1 "$MSG" >"$MSG.send"
sed '1,/^$/d' "$MSG" >"$TOP/expected.body"
ok_swaks=0
for i in 1 2; do
	pf_send "$D" sender@pgpmg.test "body$i@example.org" --data @"$MSG.send" \
	    >>"$TOP/swaks.out" 2>&1 && ok_swaks=$((ok_swaks + 1))
done
check "swaks sent 2 messages" [ "$ok_swaks" -eq 2 ]

pf_wait_sink "$D/sink" 20 15
pf_wait_queue_empty "$D" 10
check "queue empty after delivery (postqueue -p)" [ $? -eq 0 ]
check "queue files: none ($(pf_queue_count "$D"))" [ "$(pf_queue_count "$D")" -eq 0 ]
sleep 0.3 # a duplicate would show by now: the queue is empty
n=$(pf_sink_count "$D/sink")
check "sink received exactly 20 messages ($n) in $((SECONDS - t0)) s" [ "$n" -eq 20 ]
[ "$n" -eq 20 ] || pf_log "$D" | grep -vE 'connect from|disconnect from' | tail -20 | sed 's/^/# /'

# every message went through the pgpmg transport and was reinjected
n=$(grep -cE "postfix/smtp\[.*relay=127\.0\.0\.1\[127\.0\.0\.1\]:$REINJECT_PORT,.*status=sent" "$D/maillog")
check "20 deliveries by the pgpmg transport to the reinjection port ($n)" [ "$n" -eq 20 ]
n=$(grep -cE "orig_queue_id=[0-9A-F]+, orig_client=" "$D/maillog")
check "the reinjection smtpd accepted XFORWARD for all 20 ($n)" [ "$n" -eq 20 ]
n=$(grep -cE "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$NEXTHOP_PORT,.*status=sent" "$D/maillog")
check "20 relayed to the next hop ($n)" [ "$n" -eq 20 ]
# (the one warning tolerated is about this VM's clocks, not the config:
# "file system clock is N seconds ahead" / "resetting file time stamps")
bad() {
	grep -E "warning|fatal|panic" "$1/maillog" |
	    grep -vE "file system clock is .* ahead|resetting file time stamps"
}
n=$(bad "$D" | wc -l)
check "no warning, fatal or panic in the log ($n)" [ "$n" -eq 0 ]
[ "$n" -eq 0 ] || bad "$D" | head -5 | sed 's/^/# /'

# byte-compare the known bodies
same=0
for f in $(grep -l '^X-Rcpt-Args: <body[12]@example.org>' "$D"/sink/* 2>/dev/null); do
	pf_dump_body "$f" | cmp -s - "$TOP/expected.body" && same=$((same + 1))
done
check "both swaks bodies arrived byte-identical ($same/2)" [ "$same" -eq 2 ]
src=$(grep -l '^X-Rcpt-Args: <rcpt@example.org>' "$D"/sink/* 2>/dev/null | wc -l)
check "18 smtp-source messages for rcpt@example.org ($src)" [ "$src" -eq 18 ]

# stop: no process of the instance may remain
pids=$(pf_pids "$D" | tr '\n' ' ')
check "pf_pids lists master and children before stop ($pids)" \
    [ "$(wc -w <<<"$pids")" -ge 3 ]
t0=$SECONDS
pf_stop "$D"
check "pf_stop stops cleanly in $((SECONDS - t0)) s" [ $? -eq 0 ]
left=""
for p in $pids; do pf_alive "$p" && left="$left $p"; done
check "no process of the smtp instance remains (${left:-none})" [ -z "$left" ]
check "pf_pids is empty after stop" [ -z "$(pf_pids "$D")" ]
check "its ports are closed" \
    bash -c '! ss -Htln | grep -qE ":($0|$1)\$"' "$SMTP_PORT" "$REINJECT_PORT"

# ---------------------------------------------------------------- lmtp
L=$TOP/lmtp
mkdir -m 0755 "$L"
pf_sink_start "$L/filter" "$L_FILTER_PORT" -L
rc=$?; SINKS+=("$PF_SINK_PID")
check "LMTP stand-in (smtp-sink -L) on 127.0.0.1:$L_FILTER_PORT" [ "$rc" -eq 0 ]
t0=$SECONDS
pf_start "$L" "$L_SMTP_PORT" lmtp "$L_FILTER_PORT" "$L_REINJECT_PORT" "$NEXTHOP_PORT"
rc=$?
check "pf_start (lmtp) in $((SECONDS - t0)) s" [ "$rc" -eq 0 ]
check "postfix -c DIR/etc check is clean (lmtp)" \
    bash -c '[ -z "$(postfix -c "$0/etc" check 2>&1)" ]' "$L"
check "pgpmg transport is lmtp(8)" \
    bash -c 'postconf -c "$0/etc" -M pgpmg/unix | grep -qE "^pgpmg +unix +- +- +n +- +10 +lmtp"' "$L"
for kv in lmtp_send_xforward_command=yes lmtp_data_done_timeout=1200; do
	check "pgpmg transport: -o $kv" [ "$(postconf -c "$L/etc" -P \
	    "pgpmg/unix/${kv%%=*}" 2>&1 | sed 's/.* = //')" = "${kv#*=}" ]
done
check "pgpmg_destination_recipient_limit = 50 (lmtp default)" \
    [ "$(postconf -c "$L/etc" -h pgpmg_destination_recipient_limit)" = 50 ]
if [ "$rc" -eq 0 ]; then
	pf_source "$L" 5 1 -f sender@pgpmg.test -t lmtp@example.org \
	    >>"$TOP/source.out" 2>&1
	pf_wait_sink "$L/filter" 5 10
	pf_wait_queue_empty "$L" 5
	n=$(pf_sink_count "$L/filter")
	check "the LMTP stand-in received exactly 5 messages ($n)" [ "$n" -eq 5 ]
	n=$(grep -l '^X-Client-Proto: LMTP' "$L"/filter/* 2>/dev/null | wc -l)
	check "all 5 came over LMTP ($n)" [ "$n" -eq 5 ]
	n=$(grep -cE "postfix/lmtp\[.*relay=127\.0\.0\.1\[127\.0\.0\.1\]:$L_FILTER_PORT,.*status=sent" "$L/maillog")
	check "log: 5 sent by the lmtp pgpmg transport ($n)" [ "$n" -eq 5 ]
	n=$(bad "$L" | wc -l)
	check "no warning, fatal or panic in the lmtp log ($n)" [ "$n" -eq 0 ]
	[ "$n" -eq 0 ] || bad "$L" | head -5 | sed 's/^/# /'
fi
pids=$(pf_pids "$L")
pf_stop "$L"
check "pf_stop (lmtp)" [ $? -eq 0 ]
left=""
for p in $pids; do pf_alive "$p" && left="$left $p"; done
check "no process of the lmtp instance remains (${left:-none})" [ -z "$left" ]

# ---------------------------------------------------------------- system
check "/etc/postfix and /var/spool/postfix untouched" \
    [ "$(fingerprint_system)" = "$SYSTEM_BEFORE" ]
echo "# $((SECONDS - T_START)) s"
done_testing
