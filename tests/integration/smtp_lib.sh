# Helpers for the SMTP suites: Postfix's smtp-sink as the relay, raw SMTP
# conversations over bash's /dev/tcp, and message bodies as the sink saw
# them.  Sourced after lib.sh.

# start_sink PORT DIR [smtp-sink options]: every message lands in DIR as
# one file; the sink's own log is DIR.log.
start_sink() {
	local port=$1 dir=$2 i
	shift 2
	mkdir -p "$dir"
	chmod 0777 "$dir"
	smtp-sink -u nobody "$@" -d "$dir/%M." "127.0.0.1:$port" 1024 \
	    >"$dir.log" 2>&1 &
	SINK_PID=$!
	for ((i = 0; i < 200; i++)); do
		ss -Htln "sport = :$port" | grep -q . && return 0
		sleep 0.02
	done
	return 1
}

stop_sink() {
	[ -n "${SINK_PID:-}" ] || return 0
	kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}

sink_count() { find "$1" -type f | wc -l; }

# The message as received: what follows smtp-sink's own header block
# (ending with the three lines of its Received header), without the empty
# line the dump format adds at the end.
sink_body() {
	awk 'body { print; next }
	    /^Received: / { rcvd = 1; next }
	    rcvd && /^\t/ { if (++cont == 2) body = 1; next }' "$1" | sed '$d'
}

# The MAIL/RCPT arguments the sink saw.
sink_envelope() { grep -E '^X-(Mail|Rcpt)-Args: ' "$1"; }

# smtp_talk PORT FORMAT [TIMEOUT]: connect, send the printf FORMAT, and
# print everything the server says until it closes (or TIMEOUT seconds).
smtp_talk() {
	local port=$1 fmt=$2 limit=${3:-3} fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	# shellcheck disable=SC2059
	printf "$fmt" >&"$fd"
	timeout "$limit" cat <&"$fd"
	exec {fd}>&-
	return 0
}

# smtp_wait_talk PORT FORMAT...: like smtp_talk, but reads the greeting
# first and sends each FORMAT only after a reply to the previous one.
smtp_chat() {
	local port=$1 fd line
	shift
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || return 1
	IFS= read -r -t 5 line <&"$fd" && echo "$line"
	for step in "$@"; do
		# shellcheck disable=SC2059
		printf "$step" >&"$fd"
		while IFS= read -r -t 5 line <&"$fd"; do
			echo "$line"
			[[ $line =~ ^[0-9]{3}\  ]] && break
		done
	done
	timeout 2 cat <&"$fd"
	exec {fd}>&-
	return 0
}

# True when the server greets a new client normally (it keeps serving).
serves_next() {
	local out
	out=$(smtp_chat "$1" 'QUIT\r\n')
	grep -q '^220 ' <<<"$out" && grep -q '^221 ' <<<"$out"
}
