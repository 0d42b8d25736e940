#!/usr/bin/env bash
# smtpd benchmark (issue 3).  In one run, on one private appliance:
#   A  smtp-source -> pgpmg smtpd -> (cryptod pass-through) -> smtp-sink
#   B  smtp-source -> smtp-sink directly (the baseline)
# run alternately A B A B A B; the medians give messages per second and the
# ratio A/B (target >= 0.5).  Then smtpd's RSS while it holds 1000 idle
# sessions that have each sent EHLO (target <= 64 MiB).
# Prints numbers and whether the targets are met; exits 0 unless something
# is broken (appliance does not start, messages lost, sessions refused).
#
# Environment: BENCH_MSGS (2000), BENCH_SESSIONS (10), BENCH_SIZE (10240),
# BENCH_RUNS (3 per side), BENCH_IDLE (1000 idle sessions).
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
. tests/integration/lib.sh
. tests/integration/smtp_lib.sh

MSGS=${BENCH_MSGS:-2000}
SESSIONS=${BENCH_SESSIONS:-10}
SIZE=${BENCH_SIZE:-10240}
RUNS=${BENCH_RUNS:-3}
IDLE=${BENCH_IDLE:-1000}

echo "== bench/smtpd.sh: $MSGS messages x $SIZE bytes over $SESSIONS sessions, $RUNS runs per side; $IDLE idle sessions"
for t in smtp-source smtp-sink perl ss; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (make deps)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (pgpmgd starts its children as their own users)"; exit 0; }
[ -x "$BIN/pgpmgd" ] || { echo "BROKEN: $BIN/pgpmgd missing (make)"; exit 1; }
scripts/ensure-users.sh || { echo "BROKEN: cannot create pgpmg users"; exit 1; }
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"

SINK_PID=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	[ -n "$SINK_PID" ] && { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; }
	cleanup_env
}
trap cleanup EXIT

EXTRA_CONF="smtp-max-sessions $((IDLE + 100))" new_env
# A benchmark runs with the production log level, not the tests' debug.
sed -i 's/^log-level debug$/log-level info/' "$CONF"

# One sink for both sides, without -d: nothing is written to disk.  -c
# prints running counters ("sess=N quit=N mesg=N", separated by CR) on
# stdout; mesg counts every "." received.
smtp-sink -u nobody -c "127.0.0.1:$RELAY_PORT" 1024 >"$ENV_DIR/sink.out" 2>"$ENV_DIR/sink.err" &
SINK_PID=$!
for ((i = 0; i < 200; i++)); do
	ss -Htln "sport = :$RELAY_PORT" | grep -q . && break
	sleep 0.02
done
start_appliance || { echo "BROKEN: appliance did not start"; tail -20 "$ENV_DIR/pgpmgd.log"; exit 1; }
SMTPD_PID=$(child_pid smtpd)
[ -n "$SMTPD_PID" ] || { echo "BROKEN: no smtpd in pgpmgctl status"; exit 1; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
RSS_FRESH=$(rss_kb "$SMTPD_PID")

sink_mesg() {
	tr '\r' '\n' <"$ENV_DIR/sink.out" | awk -F'mesg=' 'NF > 1 { n = $2 + 0 } END { print n + 0 }'
}

# run_side PORT: one smtp-source run; prints "msgs_per_s elapsed_ms" or
# fails when smtp-source fails or the sink did not count every message.
run_side() {
	local port=$1 before after t0 t1 rc ms i
	before=$(sink_mesg)
	t0=$(date +%s%N)
	smtp-source -s "$SESSIONS" -m "$MSGS" -d -l "$SIZE" \
	    -f alice@example.com -t bob@example.org "127.0.0.1:$port" \
	    >>"$ENV_DIR/source.log" 2>&1
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" -eq 0 ] || { echo "smtp-source exit $rc" >&2; return 1; }
	# pgpmg answers 250 only once the relay has: the sink has counted
	# by now, but its counter line may still be in flight.
	for ((i = 0; i < 50; i++)); do
		after=$(sink_mesg)
		[ $((after - before)) -ge "$MSGS" ] && break
		sleep 0.02
	done
	[ $((after - before)) -eq "$MSGS" ] ||
	    { echo "sink received $((after - before)) of $MSGS" >&2; return 1; }
	ms=$(((t1 - t0) / 1000000))
	awk -v n="$MSGS" -v ns=$((t1 - t0)) -v ms="$ms" \
	    'BEGIN { printf "%.0f %d\n", n / (ns / 1e9), ms }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# CPU time (user + system, in clock ticks) of each process, to see which
# one the pass-through spends its time in: "name ticks" lines.
HZ=$(getconf CLK_TCK)
cpu_snapshot() {
	local name pid
	{ echo "pgpmgd $PGPMGD_PID"; echo "smtp-sink $SINK_PID"
	  ctl status | awk 'NR > 1 { print $1, $2 }'; } |
	while read -r name pid; do
		awk -v n="$name" '{ sub(/^.*\) /, ""); print n, $12 + $13 }' "/proc/$pid/stat" 2>/dev/null
	done
}
declare -A CPU_A=()
cpu_add() {	# cpu_add BEFORE AFTER: adds the differences into CPU_A
	local name t
	while read -r name t; do
		CPU_A[$name]=$(( ${CPU_A[$name]:-0} + t ))
	done < <(awk 'NR == FNR { b[$1] = $2; next } { print $1, $2 - b[$1] }' \
	    <(echo "$1") <(echo "$2"))
}

A_RATES=() B_RATES=() PAIRS=()
echo "-- throughput (msg/s, elapsed ms)"
for ((r = 1; r <= RUNS; r++)); do
	c0=$(cpu_snapshot)
	a=$(run_side "$SMTP_PORT") || { echo "BROKEN: run $r through pgpmg"; tail -5 "$ENV_DIR/source.log"; exit 1; }
	cpu_add "$c0" "$(cpu_snapshot)"
	b=$(run_side "$RELAY_PORT") || { echo "BROKEN: run $r direct to the sink"; tail -5 "$ENV_DIR/source.log"; exit 1; }
	p=$(awk -v a="${a% *}" -v b="${b% *}" 'BEGIN { printf "%.2f", a / b }')
	echo "   run $r  pgpmg: ${a% *} msg/s (${a#* } ms)   direct: ${b% *} msg/s (${b#* } ms)   ratio $p"
	A_RATES+=("${a% *}") B_RATES+=("${b% *}") PAIRS+=("$p")
done
A_MED=$(printf '%s\n' "${A_RATES[@]}" | median)
B_MED=$(printf '%s\n' "${B_RATES[@]}" | median)
RATIO=$(awk -v a="$A_MED" -v b="$B_MED" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
RATIO_OK=$(awk -v r="$RATIO" 'BEGIN { print (r >= 0.5) ? "met" : "NOT MET" }')
PAIR_MED=$(printf '%s\n' "${PAIRS[@]}" | median)
CPU_LINE=$(for k in "${!CPU_A[@]}"; do echo "$k ${CPU_A[$k]}"; done | sort -k2,2nr |
    awk -v hz="$HZ" -v n=$((MSGS * RUNS)) '$2 > 0 { printf "%s%s %.0f", sep, $1, $2 / hz * 1e6 / n; sep = ", " }')
echo "   CPU per message through pgpmg, microseconds: ${CPU_LINE:-(below clock resolution)}"
RSS_AFTER_MAIL=$(rss_kb "$SMTPD_PID")

# ---- idle sessions: IDLE connections that read the greeting, send EHLO,
# read the reply and stay; then smtpd's VmRSS.
echo "-- $IDLE idle sessions"
RSS_BEFORE=$(rss_kb "$SMTPD_PID")
NOFILE=$(awk '/^Max open files/ { print $4 }' "/proc/$SMTPD_PID/limits")
IDLE_OUT=$(perl - "$SMTP_PORT" "$IDLE" "$SMTPD_PID" 30 <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);

my ($port, $want, $pid, $limit) = @ARGV;
my $deadline = time + $limit;
my (%buf, %state);		# state: 0 wants the greeting, 1 the EHLO reply, 2 idle
my $sel = IO::Select->new;
my @socks;
my %n = (connected => 0, greeted => 0, ehlo => 0, refused => 0, closed => 0, errors => 0);
my $connerr = '';

sub service {
	my ($wait) = @_;
	for my $s ($sel->can_read($wait)) {
		my $r = sysread($s, my $chunk, 4096);
		if (!$r) {
			$n{closed}++;
			$sel->remove($s);
			next;
		}
		$buf{$s} .= $chunk;
		while ($buf{$s} =~ s/^([^\n]*)\n//) {
			my $line = $1;
			next unless $line =~ /^(\d{3}) /;	# last line of a reply
			my $code = $1;
			if ($code eq '421') {
				$n{refused}++;
				$sel->remove($s);
				last;
			}
			if ($state{$s} == 0) {
				if ($code eq '220') {
					$n{greeted}++;
					$state{$s} = 1;
					syswrite($s, "EHLO idle.example.com\r\n");
				} else { $n{errors}++; $sel->remove($s); last; }
			} elsif ($state{$s} == 1) {
				if ($code eq '250') { $n{ehlo}++; $state{$s} = 2; $sel->remove($s); }
				else { $n{errors}++; $sel->remove($s); }
				last;
			}
		}
	}
}

for my $i (1 .. $want) {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	    Proto => 'tcp', Timeout => 5);
	if (!$s) { $connerr = "$!"; last; }
	$s->blocking(0);
	push @socks, $s;
	$state{$s} = 0;
	$buf{$s} = '';
	$sel->add($s);
	$n{connected}++;
	service(0) if $i % 50 == 0;
}
service(0.2) while $sel->count && time < $deadline;
# Let smtpd settle, then read its memory with every session still open.
sleep 0.5;
my %st;
if (open(my $fh, '<', "/proc/$pid/status")) {
	while (<$fh>) { $st{$1} = $2 if /^(VmRSS|VmHWM|VmSize):\s+(\d+)/; }
}
# Sessions still open: a read must find nothing (EAGAIN), not EOF.
my $alive = 0;
for my $s (@socks) {
	my $r = sysread($s, my $x, 1);
	$alive++ if !defined $r && $!{EAGAIN};
}
printf "connected=%d greeted=%d ehlo=%d refused=%d closed=%d errors=%d alive=%d rss_kb=%d hwm_kb=%d vsz_kb=%d connerr=%s\n",
    @n{qw(connected greeted ehlo refused closed errors)}, $alive,
    $st{VmRSS} // 0, $st{VmHWM} // 0, $st{VmSize} // 0, $connerr =~ s/\s+/_/gr || '-';
PERL
)
kv() { sed -E "s/.*(^| )$1=([^ ]*).*/\2/" <<<"$IDLE_OUT"; }
IDLE_RSS=$(kv rss_kb) IDLE_HWM=$(kv hwm_kb) EHLO_OK=$(kv ehlo) ALIVE=$(kv alive)
sleep 1
RSS_AFTER_CLOSE=$(rss_kb "$SMTPD_PID")
PER_SESSION=$(awk -v a="${IDLE_RSS:-0}" -v b="$RSS_BEFORE" -v n="${EHLO_OK:-0}" \
    'BEGIN { printf "%.1f", (n > 0) ? (a - b) / n : 0 }')
RSS_OK=$(awk -v r="${IDLE_RSS:-0}" 'BEGIN { print (r > 0 && r <= 65536) ? "met" : "NOT MET" }')
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

echo "   raw: $IDLE_OUT"
echo "   smtpd pid $SMTPD_PID, its open-files limit $NOFILE; client ulimit -n $(ulimit -n)"
echo "   smtpd VmRSS kB: fresh $RSS_FRESH, after mail $RSS_AFTER_MAIL, before sessions $RSS_BEFORE, with sessions $IDLE_RSS (HWM $IDLE_HWM), 1 s after they closed $RSS_AFTER_CLOSE"

cat <<TABLE

| measure | value | target |
|---|---|---|
| pass-through via pgpmg (median of $RUNS) | $A_MED msg/s | |
| smtp-source -> smtp-sink direct (median of $RUNS) | $B_MED msg/s | |
| ratio pgpmg / direct (of the medians) | $RATIO | >= 0.5: $RATIO_OK |
| median of the per-run ratios | $PAIR_MED | |
| smtpd RSS before the idle sessions | $(mib "$RSS_BEFORE") | |
| smtpd RSS with $EHLO_OK idle sessions (after EHLO) | $(mib "${IDLE_RSS:-0}") | <= 64 MiB: $RSS_OK |
| per idle session | $PER_SESSION KiB | |

raw msg/s  pgpmg: ${A_RATES[*]}  direct: ${B_RATES[*]}
TABLE

broken=0
if [ "${EHLO_OK:-0}" -ne "$IDLE" ] || [ "${ALIVE:-0}" -ne "$IDLE" ]; then
	echo "BROKEN: only ${EHLO_OK:-0} of $IDLE sessions got through EHLO (${ALIVE:-0} still open)"
	broken=1
fi
running "$SMTPD_PID" || { echo "BROKEN: smtpd died"; broken=1; }
exit "$broken"
