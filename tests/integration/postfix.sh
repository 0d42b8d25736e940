# A private Postfix instance for the integration tests, with pgpmg (or a
# stand-in) as its after-queue content filter.  Sourced, not run.
#
# Everything lives under one directory DIR, which must be traversable by
# the postfix user (every parent o+x; mktemp -d makes 0700: chmod 0755):
#
#   DIR/etc/main.cf, master.cf   the configuration (postfix -c DIR/etc)
#   DIR/queue                    queue_directory, pid/master.pid inside
#   DIR/data                     data_directory (master.lock)
#   DIR/maillog                  the log (maillog_file + postlog service)
#   DIR/pf.env                   the ports, for the helpers below
#
# It listens only on 127.0.0.1, on the ports given, and never reads or
# writes /etc/postfix or the system queue (meta_directory, the read-only
# list of Postfix's own files, is the one thing taken from /etc/postfix).
#
#   pf_start DIR SMTP_PORT FILTER_MODE FILTER_PORT REINJECT_PORT NEXTHOP_PORT
#       SMTP_PORT      where tests submit mail (smtpd with content_filter)
#       FILTER_MODE    smtp | lmtp: how the pgpmg transport talks to the
#                      filter; none: no content filter at all
#       FILTER_PORT    where the filter (pgpmg smtpd) listens
#       REINJECT_PORT  the reinjection smtpd the filter relays to
#       NEXTHOP_PORT   relayhost: where all mail finally goes (a sink)
#     Environment knobs, read by pf_start:
#       PF_RCPT_LIMIT  pgpmg_destination_recipient_limit (default: 1 for
#                      smtp, 50 for lmtp; see docs/postfix.md)
#       PF_CONCURRENCY pgpmg_destination_concurrency_limit and the
#                      transport's maxproc (default 10)
#       PF_MAIN_EXTRA  more main.cf lines, appended last (they win)
#       PF_FILTER_OPTS more "-o name=value" words for the pgpmg transport
#   pf_stop DIR                   stop it; kills what is left, by pid
#   pf_running DIR                true while its master runs
#   pf_pids DIR                   master and all its descendants
#   pf_check DIR                  postfix -c DIR/etc check
#   pf_log DIR                    the instance's log
#   pf_queue DIR                  postqueue -p of the instance
#   pf_queue_count DIR            messages in its queue (files, no daemon)
#   pf_wait_queue_empty DIR SECS  true once the queue is empty
#   pf_wait_log DIR REGEX SECS    true once the log has a matching line
#   pf_send DIR FROM TO [SWAKS-ARGS...]     one message with swaks
#   pf_source DIR COUNT SESSIONS [SMTP-SOURCE-ARGS...]   smtp-source
#   pf_sink_start DUMPDIR PORT [SMTP-SINK-ARGS...]   an smtp-sink (next hop,
#                      or with -L an LMTP stand-in) that dumps each message
#                      to a file in DUMPDIR; its pid in PF_SINK_PID
#   pf_sink_stop [PID]            stop a sink
#   pf_sink_count DUMPDIR         messages a sink has written
#   pf_wait_sink DUMPDIR N SECS   true once it has N
#   pf_dump_message FILE          a dumped message without smtp-sink's
#                                 own X- and Received: lines

PF_HOSTNAME=${PF_HOSTNAME:-pf.pgpmg.test}

# pf_port_listening PORT: something listens on 127.0.0.1:PORT
pf_port_listening() {
	ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# pf_wait_port PORT SECS
pf_wait_port() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		pf_port_listening "$1" && return 0
		sleep 0.05
	done
	return 1
}

pf_write_config() {
	local dir=$1 smtp_port=$2 mode=$3 filter_port=$4 reinject_port=$5 \
	    nexthop_port=$6 conc=${PF_CONCURRENCY:-10} limit filter_line \
	    client p

	case $mode in
	smtp) limit=${PF_RCPT_LIMIT:-1}; client=smtp ;;
	lmtp) limit=${PF_RCPT_LIMIT:-50}; client=lmtp ;;
	none) limit=${PF_RCPT_LIMIT:-50}; client=smtp ;;
	*) echo "pf_start: FILTER_MODE must be smtp, lmtp or none, not '$mode'" >&2
	   return 1 ;;
	esac
	# postfix check creates what is inside the queue, not the queue itself
	mkdir -p "$dir/etc" "$dir/queue" || return 1
	chmod 0755 "$dir" "$dir/etc" "$dir/queue" || return 1

	cat >"$dir/etc/main.cf" <<EOF
# Private Postfix for pgpmg's tests (tests/integration/postfix.sh).
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
# Postfix's list of its own files (postfix-files, postfix-script): read only.
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop

# No syslog on these machines: log to a file through the postlog service.
maillog_file = $dir/maillog
maillog_file_prefixes = $dir

myhostname = $PF_HOSTNAME
mydomain = pgpmg.test
myorigin = \$myhostname
mydestination =
local_recipient_maps =
relay_domains =
alias_maps =
alias_database =
append_dot_mydomain = no
biff = no

inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
# As docs/postfix.md: address rewriting waits until after the filter
# (the reinjection listener sets its own receive_override_options).
receive_override_options = no_address_mappings

# Everything goes to the test's sink.
relayhost = [127.0.0.1]:$nexthop_port
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled

# Retry fast: a test waits seconds, not minutes.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
lmtp_connect_timeout = 5s

# The content filter transport (see master.cf).
pgpmg_destination_recipient_limit = $limit
pgpmg_destination_concurrency_limit = $conc
EOF
	if [ -n "${PF_MAIN_EXTRA:-}" ]; then
		printf '\n# PF_MAIN_EXTRA\n%s\n' "$PF_MAIN_EXTRA" >>"$dir/etc/main.cf"
	fi

	if [ "$mode" = none ]; then
		filter_line=""
	else
		filter_line="  -o content_filter=pgpmg:[127.0.0.1]:$filter_port"
	fi
	{
		cat <<EOF
# Private Postfix for pgpmg's tests (tests/integration/postfix.sh).
# No chroot anywhere: the instance lives in a test directory.
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$smtp_port inet n - n - - smtpd
$filter_line
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd

# The content filter: Postfix hands each queued message to pgpmg here.
pgpmg     unix  -       -       n       -       $conc      $client
  -o ${client}_data_done_timeout=1200
  -o ${client}_send_xforward_command=yes
  -o disable_dns_lookups=yes
  -o max_use=20
  -o disable_mime_output_conversion=yes
  -o ${client}_generic_maps=
EOF
		for p in ${PF_FILTER_OPTS:-}; do
			printf '  %s\n' "$p"
		done
		cat <<EOF

# Reinjection: pgpmg relays processed mail back here.
127.0.0.1:$reinject_port inet n - n - 10 smtpd
  -o content_filter=
  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters
  -o smtpd_helo_restrictions=
  -o smtpd_client_restrictions=
  -o smtpd_sender_restrictions=
  -o smtpd_relay_restrictions=
  -o smtpd_recipient_restrictions=permit_mynetworks,reject
  -o smtpd_data_restrictions=
  -o mynetworks=127.0.0.0/8
  -o smtpd_authorized_xforward_hosts=127.0.0.0/8
  -o smtpd_error_sleep_time=0
  -o smtpd_soft_error_limit=1001
  -o smtpd_hard_error_limit=1000
  -o smtpd_client_connection_count_limit=0
  -o smtpd_client_connection_rate_limit=0
EOF
	} | grep -v '^$' >"$dir/etc/master.cf.tmp" || return 1
	# (blank lines dropped: an empty $filter_line would be harmless,
	# but a master.cf without stray lines is easier to read in a log)
	mv "$dir/etc/master.cf.tmp" "$dir/etc/master.cf"

	cat >"$dir/pf.env" <<EOF
PF_SMTP_PORT=$smtp_port
PF_FILTER_MODE=$mode
PF_FILTER_PORT=$filter_port
PF_REINJECT_PORT=$reinject_port
PF_NEXTHOP_PORT=$nexthop_port
EOF
}

# pf_tty CMD...: run CMD with a terminal for stderr.  Before the
# instance's postlog service runs, a Postfix command reports its fatal
# errors only to a terminal (else to a log that is not there yet).
pf_tty() {
	local q
	if command -v script >/dev/null; then
		q=$(printf '%q ' "$@")
		script -qec "$q" /dev/null
	else
		"$@"
	fi
}

# pf_check DIR: postfix's own check; also creates the queue directories.
pf_check() {
	postfix -c "$1/etc" check
}

pf_master_pid() {
	local pid
	pid=$(awk 'NR == 1 { print $1 }' "$1/queue/pid/master.pid" 2>/dev/null)
	[ -n "$pid" ] && echo "$pid"
}

pf_running() {
	local pid
	pid=$(pf_master_pid "$1") || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# the pid file may be stale: the process must be this instance's master
	grep -qzxF "MAIL_CONFIG=$1/etc" "/proc/$pid/environ" 2>/dev/null
}

pf_descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do
		echo "$c"
		pf_descendants "$c"
	done
}

# pf_pids DIR: every live process of this instance: its master, the
# master's descendants, and anything else started with its MAIL_CONFIG
# (postqueue, postdrop, a daemon that lost its parent).
pf_pids() {
	local dir=$1 pid f p
	{
		if pid=$(pf_master_pid "$dir") && pf_alive "$pid"; then
			echo "$pid"
			pf_descendants "$pid"
		fi
		for f in /proc/[0-9]*/environ; do
			p=${f#/proc/}; p=${p%/environ}
			[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
			grep -qzxF "MAIL_CONFIG=$dir/etc" "$f" 2>/dev/null &&
			    echo "$p"
		done
	} | sort -un | while read -r p; do pf_alive "$p" && echo "$p"; done
}

# pf_alive PID: the process runs (a zombie only waits to be reaped)
pf_alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# pf_start DIR SMTP_PORT FILTER_MODE FILTER_PORT REINJECT_PORT NEXTHOP_PORT
pf_start() {
	local dir=$1 i
	if [ $# -ne 6 ]; then
		echo "usage: pf_start DIR SMTP_PORT FILTER_MODE FILTER_PORT REINJECT_PORT NEXTHOP_PORT" >&2
		return 2
	fi
	case $dir in
	/*) ;;
	*) echo "pf_start: DIR must be absolute: $dir" >&2; return 2 ;;
	esac
	if [ "$dir" = /etc ] || [ "$dir" = /etc/postfix ]; then
		echo "pf_start: refusing the system configuration" >&2; return 2
	fi
	pf_write_config "$@" || return 1
	pf_check "$dir" >>"$dir/check.log" 2>&1 || {
		echo "pf_start: postfix check failed:" >&2
		pf_tty postfix -c "$dir/etc" check >&2
		return 1
	}
	postfix -c "$dir/etc" start >>"$dir/start.log" 2>&1 || {
		echo "pf_start: postfix start failed:" >&2
		cat "$dir/start.log" >&2
		pf_tty postfix -c "$dir/etc" start >&2
		[ -f "$dir/maillog" ] && tail -20 "$dir/maillog" >&2
		return 1
	}
	# master -w returns once master is up; wait for its listeners too.
	for ((i = 0; i < 100; i++)); do
		pf_running "$dir" && pf_port_listening "$2" &&
		    pf_port_listening "$5" && return 0
		sleep 0.05
	done
	echo "pf_start: the instance did not come up" >&2
	[ -f "$dir/maillog" ] && tail -20 "$dir/maillog" >&2
	return 1
}

# pf_stop DIR: what "postfix stop" does (SIGTERM to the master, which
# ends its children), without its one-second sleeps; whatever of this
# instance is still there after 10 s is killed, by pid.
pf_stop() {
	local dir=$1 pid pids p i left
	pids=$(pf_pids "$dir")
	[ -n "$pids" ] || return 0
	if pid=$(pf_master_pid "$dir") && pf_running "$dir"; then
		kill -TERM "$pid" 2>/dev/null
	fi
	for ((i = 0; i < 200; i++)); do
		left=
		for p in $pids; do
			pf_alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "pf_stop: killing what is left:$left" >&2
	for p in $left; do kill -KILL "$p" 2>/dev/null; done
	return 1
}

pf_log() { cat "$1/maillog" 2>/dev/null; }

pf_queue() { postqueue -c "$1/etc" -p; }

# pf_queue_count DIR: queue files in every queue (no daemon needed)
pf_queue_count() {
	local d n=0 q
	for q in maildrop incoming active deferred hold; do
		d="$1/queue/$q"
		[ -d "$d" ] || continue
		n=$((n + $(find "$d" -type f | wc -l)))
	done
	echo "$n"
}

# pf_wait_queue_empty DIR SECS: postqueue says the queue is empty
pf_wait_queue_empty() {
	local dir=$1 limit=$2 i out
	for ((i = 0; i < limit * 10; i++)); do
		out=$(postqueue -c "$dir/etc" -p 2>&1)
		case $out in
		*"Mail queue is empty"*) return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}

# pf_wait_log DIR ERE SECS
pf_wait_log() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1/maillog" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

pf_env() {
	# shellcheck disable=SC1091
	. "$1/pf.env" || { echo "pf: $1 has no pf.env" >&2; return 1; }
}

# pf_send DIR FROM TO [SWAKS-ARGS...]: one message into the instance's
# SMTP port (e.g. --data @FILE, --header "Subject: x").  swaks ends the
# data with CRLF "." CRLF even when the data already ends with a line
# break: a FILE that ends with a newline arrives with one more empty line
# (write it without the last newline to send it byte for byte).
pf_send() {
	local dir=$1 from=$2 to=$3
	shift 3
	pf_env "$dir" || return 1
	swaks --silent 2 --server 127.0.0.1 --port "$PF_SMTP_PORT" \
	    --helo client.pgpmg.test --from "$from" --to "$to" "$@"
}

# pf_source DIR COUNT SESSIONS [SMTP-SOURCE-ARGS...]: COUNT messages over
# SESSIONS parallel sessions (add e.g. -l 10240 -f a@x -t b@y).
pf_source() {
	local dir=$1 count=$2 sessions=$3
	shift 3
	pf_env "$dir" || return 1
	smtp-source -s "$sessions" -m "$count" "$@" "127.0.0.1:$PF_SMTP_PORT"
}

# pf_sink_start DUMPDIR PORT [SMTP-SINK-ARGS...]: smtp-sink on
# 127.0.0.1:PORT as nobody, one dump file per message in DUMPDIR (made
# here), its output in DUMPDIR.log; its pid in PF_SINK_PID.  Add -L for
# an LMTP sink.
pf_sink_start() {
	local dump=$1 port=$2
	shift 2
	mkdir -p "$dump" && chown nobody "$dump" || return 1
	smtp-sink -u nobody -d "$dump/%H%M%S." "$@" \
	    "127.0.0.1:$port" 128 >"$dump.log" 2>&1 </dev/null &
	PF_SINK_PID=$!
	pf_wait_port "$port" 5
}

# pf_sink_stop [PID]: stop a sink (default: the last one started)
pf_sink_stop() {
	local pid=${1:-${PF_SINK_PID:-}}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$pid" = "${PF_SINK_PID:-}" ] && PF_SINK_PID=
	return 0
}

# pf_sink_count DUMPDIR: messages the sink has written
pf_sink_count() {
	find "$1" -type f 2>/dev/null | wc -l
}

# pf_wait_sink DUMPDIR COUNT SECS: the sink has at least COUNT messages
pf_wait_sink() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(pf_sink_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# pf_dump_message FILE: the message as the sink received it (LF line
# ends), without smtp-sink's X-* lines, its three-line Received: header
# and the empty line it appends.
pf_dump_message() {
	awk '
	    state == 0 && /^X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): / { next }
	    state == 0 && /^Received: / { state = 1; next }
	    state == 1 && /^[ \t]/ { next }
	    { state = 2; line[n++] = $0 }
	    END { if (n > 0 && line[n - 1] == "") n--; for (i = 0; i < n; i++) print line[i] }
	' "$1"
}

# pf_dump_body FILE: only the body (after the first empty line)
pf_dump_body() {
	pf_dump_message "$1" | awk 'body { print } !body && $0 == "" { body = 1 }'
}
