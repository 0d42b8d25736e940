#!/usr/bin/env bash
# Crypto pipeline benchmark (issue 4).  In one run, on one private
# appliance with N cryptod workers (default: the number of cores), alice's
# key held by the gateway and bob's (outside) public key imported:
#   RSS  one 50 MiB message (text and a base64 attachment) alice -> bob,
#        signed and encrypted, while the RSS of every process of the
#        appliance (pgpmgd and all descendants, gpg and gpg-agent too) is
#        sampled every 10 ms: the peak of the sum, and per process kind
#        (target: < 4 x the message size)
#   C    ceiling: bench/gpgme_loop, N processes with their own copies of a
#        worker's GnuPG home (same keyring, gpg.conf and S.gpg-agent
#        redirect to the same keyd agent), each looping
#        gpgme_op_encrypt_sign of the same payload to bob, signed by
#        alice, armoured, always-trust; messages/s
#   P    pipeline: smtp-source -> pgpmg smtpd -> cryptod (PGP/MIME,
#        signed and encrypted) -> relay -> smtp-sink; messages/s
# C and P alternate, C P P C C P ...; prints each, the medians and the
# ratio P/C (target >= 0.85, on the median of the per-run ratios), the
# CPU each process spent per message on each side, how busy the machine
# was, and where the workers were while the pipeline ran (in gpg, or
# waiting for a job).
# Every pipeline run checks at the sink that each message is
# multipart/encrypted, and decrypts and verifies a few as bob; the big
# message is decrypted and its attachment compared.
# Exits 0 on a slow machine; 1 only when something is broken (appliance
# does not start, messages lost or not encrypted, a loop fails).
#
# Environment: BENCH_CRYPTO_MSGS (1000 per pipeline run),
# BENCH_CRYPTO_SESSIONS (smtp-source -s, default 8 per worker),
# BENCH_CRYPTO_SIZE (10240, body bytes of the message),
# BENCH_CRYPTO_RUNS (7 per side), BENCH_CRYPTO_SECONDS (4, per ceiling
# run), BENCH_CRYPTO_WORKERS (nproc), BENCH_CRYPTO_BIG_MIB (50; 0 skips
# the RSS part), BENCH_BIN (where gpgme_loop and rss_peak are; default
# $PGPMG_BIN/bench), KEEP=1 keeps the directory.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
HERE=$REPO/tests/integration
. tests/integration/lib.sh
. tests/integration/smtp_lib.sh
. tests/integration/crypto_lib.sh

NWORKERS=${BENCH_CRYPTO_WORKERS:-$(nproc)}
MSGS=${BENCH_CRYPTO_MSGS:-1000}
SESSIONS=${BENCH_CRYPTO_SESSIONS:-$((8 * NWORKERS))}
SIZE=${BENCH_CRYPTO_SIZE:-10240}
RUNS=${BENCH_CRYPTO_RUNS:-7}
CEIL_SECONDS=${BENCH_CRYPTO_SECONDS:-4}
BIG_MIB=${BENCH_CRYPTO_BIG_MIB:-50}
HELPERS=${BENCH_BIN:-$BIN/bench}
SAMPLES=3	# messages decrypted and verified per pipeline run

echo "== bench/crypto.sh: sign+encrypt with $NWORKERS cryptod workers: $([ "$BIG_MIB" -gt 0 ] && echo "one $BIG_MIB MiB message (RSS), then ")$RUNS x (ceiling $CEIL_SECONDS s, pipeline $MSGS messages of $SIZE bytes over $SESSIONS sessions)"
for t in smtp-source smtp-sink gpg ss setpriv sha256sum shuf python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed (make deps)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (pgpmgd starts its children as their own users)"; exit 0; }
[ -x "$BIN/pgpmgd" ] || { echo "BROKEN: $BIN/pgpmgd missing (make)"; exit 1; }
for h in gpgme_loop rss_peak syscall_sample; do
	[ -x "$HELPERS/$h" ] || { echo "BROKEN: $HELPERS/$h missing (make bench-build)"; exit 1; }
done
scripts/ensure-users.sh || { echo "BROKEN: cannot create pgpmg users"; exit 1; }

SINK_PID='' SAMPLER_PID='' SHM_SINK=''
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	[ -n "$SAMPLER_PID" ] && { kill "$SAMPLER_PID" 2>/dev/null; wait "$SAMPLER_PID" 2>/dev/null; }
	parties_stop
	stop_sink
	[ -n "$SHM_SINK" ] && rm -rf "$SHM_SINK" "$SHM_SINK.log"
	if [ -n "${KEEP:-}" ]; then stop_appliance; echo "# kept $ENV_DIR"; else cleanup_env; fi
}
trap cleanup EXIT
broken() { echo "BROKEN: $*"; exit 1; }

WORKERS=$NWORKERS new_env
# A benchmark runs with the production log level, not the tests' debug.
sed -i 's/^log-level debug$/log-level info/' "$CONF"
PARTY_DIR=$ENV_DIR/parties
W=$ENV_DIR/work
SINK=$ENV_DIR/sink	# on disk; the throughput runs use one in tmpfs
mkdir -p "$PARTY_DIR" "$W"
start_sink "$RELAY_PORT" "$SINK" || broken "smtp-sink did not start"
start_appliance || { tail -20 "$ENV_DIR/pgpmgd.log"; broken "appliance did not start"; }

# ---- keys: alice's held by the gateway (she signs), bob outside (his
# public key imported: mail to him is encrypted).  bob gets alice's public
# key to verify what arrives.
ALICE=$(ctl key generate alice@example.com 2>&1 | tail -1)
grep -qE '^[0-9A-F]{40}$' <<<"$ALICE" || broken "key generate alice: $ALICE"
party bob bob@partner.test
BOB=$(party_fpr bob bob@partner.test)
pgpg bob --armor --export bob@partner.test | ctl key import - >/dev/null 2>&1 ||
    broken "import of bob's key refused"
ctl key export alice@example.com 2>/dev/null | pgpg bob --import 2>/dev/null

# ---- the message: plain text of pseudo-random words (compresses about
# like prose, 2.4:1), SIZE bytes of body, CRLF once smtp-source sent it.
MSG=$W/msg.txt
{
	printf 'From: Alice <alice@example.com>\nTo: Bob <bob@partner.test>\n'
	printf 'Subject: quarterly figures\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n'
	printf 'Message-ID: <bench.crypto@example.com>\nMIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\n'
	awk -v size="$SIZE" 'BEGIN {
		srand(4);
		nw = split("the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there one all we their has been would when if so no will more other about out up into them some could what then time only new may these two like its over any see first also our most after well such", w, " ");
		while (n < size) {
			l = "";
			while (length(l) < 66)
				l = l (l == "" ? "" : " ") w[int(rand() * nw) + 1] (rand() < 0.1 ? sprintf(" %d", int(rand() * 100000)) : "");
			if (n + length(l) + 2 > size)
				l = substr(l, 1, size - n - 2);
			print l; n += length(l) + 2;
		}
	}'
} >"$MSG"
# The ceiling encrypts the same bytes, as they travel (CRLF).
sed 's/$/\r/' "$MSG" >"$W/payload.eml"

# check_encrypted FILE: a sink file holds a multipart/encrypted message
# that bob decrypts (into $W/check.dec), with a good signature by alice's
# key.
check_encrypted() {
	local f=$1 out=$W/check
	grep -q '^Content-Type: multipart/encrypted;' "$f" || { echo "not multipart/encrypted: $f"; return 1; }
	sink_body "$f" | "$HERE/mailtool.py" crlf >"$out.eml"
	"$HERE/mailtool.py" body "$out.eml" 2 >"$out.asc" || { echo "no second part: $f"; return 1; }
	pgpg bob --status-fd 3 --yes --decrypt --output "$out.dec" "$out.asc" 3>"$out.st" 2>/dev/null
	if ! grep -q '^\[GNUPG:\] DECRYPTION_OKAY' "$out.st" ||
	    ! grep -q "^\[GNUPG:\] VALIDSIG .* $ALICE\$" "$out.st"; then
		echo "bob cannot decrypt it or alice's signature is not good: $f"
		return 1
	fi
}

# smoke N: N messages through the pipeline, all arrive, one is checked.
smoke() {
	local n=$1 i
	smtp-source -s 2 -m "$n" -d -F "$MSG" -f alice@example.com -t bob@partner.test \
	    "127.0.0.1:$SMTP_PORT" >>"$W/source.log" 2>&1 || { echo "smtp-source failed"; return 1; }
	for ((i = 0; i < 100; i++)); do
		[ "$(sink_count "$SINK")" -ge "$n" ] && break
		sleep 0.05
	done
	[ "$(sink_count "$SINK")" -eq "$n" ] || { echo "$(sink_count "$SINK") of $n messages arrived"; return 1; }
	check_encrypted "$(find "$SINK" -type f | head -1)" || return 1
	rm -f "$SINK"/*
}
out=$(smoke 20) || broken "smoke: $out"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# ---- RSS while one big message goes through
RSS_LINE=
if [ "$BIG_MIB" -gt 0 ]; then
	BIG=$W/big.txt
	# text, then a base64 attachment of random bytes, BIG_MIB MiB in all
	# as sent (CRLF): 78 bytes per base64 line of 57 bytes.
	{
		printf 'From: Alice <alice@example.com>\nTo: Bob <bob@partner.test>\n'
		printf 'Subject: the big one\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <bench.big@example.com>\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n\n'
		head -c 2000 "$MSG" | tail -n +10
		printf '\n--b1\nContent-Type: application/octet-stream; name="data.bin"\n'
		printf 'Content-Transfer-Encoding: base64\n'
		printf 'Content-Disposition: attachment; filename="data.bin"\n\n'
	} >"$BIG"
	head_bytes=$(($(wc -c <"$BIG") + $(wc -l <"$BIG") + 10))
	lines=$(( (BIG_MIB * 1048576 - head_bytes) / 78 ))
	head -c $((lines * 57)) /dev/urandom | base64 -w 76 >>"$BIG"
	printf -- '--b1--\n' >>"$BIG"
	BIG_BYTES=$(($(wc -c <"$BIG") + $(wc -l <"$BIG")))
	ATT_SUM=$(grep -E '^[A-Za-z0-9+/=]+$' "$BIG" | sha256sum)

	"$HELPERS/rss_peak" -i 10 "$PGPMGD_PID" >"$W/rss.out" 2>"$W/rss.err" &
	SAMPLER_PID=$!
	sleep 0.2
	t0=$(date +%s%N)
	smtp-source -s 1 -m 1 -F "$BIG" -f alice@example.com -t bob@partner.test \
	    "127.0.0.1:$SMTP_PORT" >>"$W/source.log" 2>&1 || broken "big message: smtp-source failed"
	t1=$(date +%s%N)
	sleep 0.3
	kill -TERM "$SAMPLER_PID"; wait "$SAMPLER_PID"; SAMPLER_PID=
	BIG_MS=$(((t1 - t0) / 1000000))
	wait_sink 1 || broken "big message did not arrive"
	f=$(find "$SINK" -type f | head -1)
	BIG_OUT=$(wc -c <"$f")
	check_encrypted "$f" || broken "big message: not encrypted for bob"
	[ "$(tr -d '\r' <"$W/check.dec" | grep -E '^[A-Za-z0-9+/=]+$' | sha256sum)" = "$ATT_SUM" ] ||
	    broken "big message: the attachment bob decrypted is not the one sent"
	rm -f "$SINK"/* "$W"/check.*
	kv() { awk -v k="$1" '$1 == k { print $2; exit }' "$W/rss.out"; }
	PEAK=$(kv peak_total_rss)
	TARGET_KB=$((4 * BIG_BYTES / 1024))
	RSS_OK=$(awk -v p="$PEAK" -v t="$TARGET_KB" 'BEGIN { print (p > 0 && p < t) ? "met" : "NOT MET" }')
	echo "-- one message of $BIG_BYTES bytes, signed and encrypted ($BIG_OUT bytes at the sink, verified): $BIG_MS ms from connect to 250"
	echo "   sampler: $(head -1 "$W/rss.out")"
	echo "   peak RSS, sum over the appliance: $(mib "$PEAK") ($PEAK kB, $(awk '$1 == "peak_total_rss" { print $6 }' "$W/rss.out") processes, at $(awk '$1 == "peak_total_rss" { print $4 }' "$W/rss.out") ms)"
	echo "   at that peak, kB: $(sed -n 's/^at_peak //p' "$W/rss.out")"
	echo "   peaks of the sums: mapped memfds (RssShmem) $(kv peak_total_shmem) kB, anonymous $(kv peak_total_anon) kB"
	echo "   memfds mapped or not (growth of the system's Shmem): peak $(kv peak_meminfo_shmem_delta) kB"
	echo "   peak per kind (of the sum over its processes), kB:"
	awk '$1 == "kind" { printf "     %-10s %8d  (processes %d, largest one %d)\n", $2, $4, $6, $8 }' "$W/rss.out"
	# The sampler may miss a peak shorter than 10 ms; the kernel's own
	# peak of each process (VmHWM) does not.  Their sum, with the largest
	# gpg, bounds the peak of the sum from above (the processes need not
	# peak together).
	hwm='' hwm_sum=0
	for p in "$PGPMGD_PID" $(descendants "$PGPMGD_PID"); do
		h=$(awk '/^Name:/ { n = $2 } /^VmHWM:/ { if (n != "gpg") printf "%s:%s", n, $2 }' "/proc/$p/status" 2>/dev/null)
		[ -n "$h" ] || continue
		hwm="$hwm $h" hwm_sum=$((hwm_sum + ${h#*:}))
	done
	hwm_sum=$((hwm_sum + $(awk '$1 == "kind" && $2 == "gpg" { print $8 }' "$W/rss.out") + 0))
	echo "   VmHWM (the kernel's peak) of the long-lived processes, kB:$hwm"
	echo "   upper bound of the peak of the sum (these VmHWM and the largest gpg): $(mib "$hwm_sum")"
	RSS_LINE="| peak RSS of the appliance (sum), one $BIG_MIB MiB message | $(mib "$PEAK") | < 4 x $(mib $((BIG_BYTES / 1024))) = $(mib "$TARGET_KB"): $RSS_OK |"
fi

# ---- throughput.  The sink now writes into tmpfs: on disk (ext4) its
# journal costs about 0.5 ms of CPU per message, a third of pgpmg's own
# overhead, and nothing of pgpmg's.
stop_sink
SHM_SINK=$(mktemp -d /dev/shm/pgpmg-bench-sink.XXXXXX)
SINK=$SHM_SINK
start_sink "$RELAY_PORT" "$SINK" || broken "smtp-sink (tmpfs) did not start"
out=$(smoke 20) || broken "smoke after the sink's restart: $out"

# The ceiling's homes: copies of worker 0's home, one per process, owned
# by the workers' user (keyd's agent directory is 0750
# _pgpmg_keyd:_pgpmg_cryptod), and the loop where that user can run it.
CEIL=$ENV_DIR/ceiling
mkdir -p "$CEIL"
HOMES=()
for ((i = 0; i < NWORKERS; i++)); do
	mkdir -p "$CEIL/$i"
	cp "$ENV_DIR/cryptod/0/pubring.kbx" "$ENV_DIR/cryptod/0/gpg.conf" \
	    "$ENV_DIR/cryptod/0/S.gpg-agent" "$CEIL/$i/"
	HOMES+=("$CEIL/$i")
done
cp "$HELPERS/gpgme_loop" "$W/payload.eml" "$CEIL/"
chown -R _pgpmg_cryptod:_pgpmg_cryptod "$CEIL"
chmod 0700 "$CEIL"/*/

# CPU per process from /proc: "name ticks" lines for the appliance and
# the sink.  gpgme runs gpg through a double fork, so each gpg ends up a
# child of pgpmgd, a subreaper: its time shows in pgpmgd's cutime+cstime,
# and that of gpgme's intermediate fork in cryptod's; both are "gpg".
HZ=$(getconf CLK_TCK)
cpu_snapshot() {
	local p
	for p in "$PGPMGD_PID" $(descendants "$PGPMGD_PID") "$SINK_PID"; do
		awk '{ c = $0; sub(/^[^(]*\(/, "", c); name = c; sub(/\).*$/, "", name)
		    sub(/^.*\) /, "", c); split(c, f, " ")
		    if (name != "gpg") print name, f[12] + f[13]
		    if (name == "cryptod" || name == "pgpmgd") print "gpg", f[14] + f[15] }' \
		    "/proc/$p/stat" 2>/dev/null
	done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }'
}
# shellcheck disable=SC2034  # used through cpu_add's and cpu_line's namerefs
declare -A CPU_P=() CPU_C=()
cpu_add() {	# cpu_add ARRAY BEFORE AFTER
	local -n acc=$1
	local name t prev
	while read -r name t; do
		prev=${acc[$name]:-0}
		# shellcheck disable=SC2004  # an associative array's key
		acc[$name]=$((prev + t))
	done < <(awk 'NR == FNR { b[$1] = $2; next } { print $1, $2 - b[$1] }' \
	    <(echo "$2") <(echo "$3"))
}
# The machine's busy and total ticks, from /proc/stat (all tenants).
machine() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
BUSY_P=0 TOTAL_P=0 BUSY_C=0 TOTAL_C=0
machine_add() {	# machine_add SIDE BEFORE AFTER
	local -n b=BUSY_$1 t=TOTAL_$1
	local b0 t0 b1 t1
	read -r b0 t0 <<<"$2"
	read -r b1 t1 <<<"$3"
	b=$((b + b1 - b0)) t=$((t + t1 - t0))
}

# Where the cryptod workers are, sampled every 10 ms (syscall_sample):
# the system call they block in (x86_64 numbers): epoll_wait is
# libevent's loop, waiting for a job; poll is gpgme, waiting for gpg;
# wait4 is gpgme reaping its fork; "running" is on a CPU or runnable.
WORKER_PIDS=$(for ((i = 0; i < NWORKERS; i++)); do child_pid "cryptod#$i"; done)
ARCH=$(uname -m)
state_name() {
	if [ "$ARCH" != x86_64 ] && [ "$1" != running ]; then
		echo "syscall-$1"
		return
	fi
	case $1 in
	232|281) echo job-wait ;; 7) echo gpg ;; 61) echo wait4 ;;
	running) echo running ;; *) echo other ;;
	esac
}
declare -A STATE=()

run_ceiling() {
	as_cryptod "$CEIL/gpgme_loop" -t "$CEIL_SECONDS" -r "$BOB" -u "$ALICE" \
	    -f "$CEIL/payload.eml" -o "$CEIL/sample.asc" "${HOMES[@]}" \
	    >"$W/ceiling.out" 2>"$W/ceiling.err" || { cat "$W/ceiling.err" >&2; return 1; }
	pgpg bob --status-fd 3 --decrypt "$CEIL/sample.asc" 3>&1 >/dev/null 2>&1 |
	    grep -q "^\[GNUPG:\] VALIDSIG .* $ALICE\$" ||
	    { echo "the ceiling's output is not signed by alice for bob" >&2; return 1; }
	awk '$1 == "total" { print $5 }' "$W/ceiling.out"
}

# run_pipeline: one smtp-source run; prints "msgs_per_s elapsed_ms
# source_cpu_ticks", or fails when smtp-source fails, the sink did not get
# every message, one is not multipart/encrypted, or a sample does not
# decrypt and verify as bob.  The workers' states go to $W/state.out.
run_pipeline() {
	local me=$BASHPID t0 t1 rc n i bad f c0 c1 sp
	# shellcheck disable=SC2086  # one pid per word
	"$HELPERS/syscall_sample" -i 10 $WORKER_PIDS >"$W/state.out" &
	sp=$!
	c0=$(awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$me/stat")
	t0=$(date +%s%N)
	smtp-source -s "$SESSIONS" -m "$MSGS" -d -F "$MSG" \
	    -f alice@example.com -t bob@partner.test "127.0.0.1:$SMTP_PORT" \
	    >>"$W/source.log" 2>&1
	rc=$?
	t1=$(date +%s%N)
	# smtp-source's CPU: reaped by this shell, the sampler not yet.
	c1=$(awk '{ sub(/^.*\) /, ""); print $14 + $15 }' "/proc/$me/stat")
	kill -TERM "$sp"
	wait "$sp"
	[ "$rc" -eq 0 ] || { echo "smtp-source exit $rc" >&2; return 1; }
	# pgpmg answers 250 only once the relay has: the sink has them all.
	for ((i = 0; i < 50; i++)); do
		n=$(sink_count "$SINK")
		[ "$n" -ge "$MSGS" ] && break
		sleep 0.02
	done
	[ "$n" -eq "$MSGS" ] || { echo "sink received $n of $MSGS" >&2; return 1; }
	bad=$(grep -rL '^Content-Type: multipart/encrypted;' "$SINK" | wc -l)
	[ "$bad" -eq 0 ] || { echo "$bad of $MSGS arrived not multipart/encrypted" >&2; return 1; }
	for f in $(find "$SINK" -type f | shuf -n "$SAMPLES"); do
		check_encrypted "$f" >&2 || return 1
	done
	rm -f "$SINK"/*
	awk -v n="$MSGS" -v ns=$((t1 - t0)) -v c=$((c1 - c0)) \
	    'BEGIN { printf "%.1f %d %d\n", n / (ns / 1e9), ns / 1e6, c }'
}

C_RATES=() P_RATES=() PAIRS=()
C_OPS=0 C_SELF=0 C_GPG=0 P_SRC=0 C_OPMS=() C_WALL=0 P_WALL=0
echo "-- throughput, sign+encrypt of a $(wc -c <"$W/payload.eml")-byte message (msg/s)"
side_ceiling() {
	local c0 m0 ops self gpg wall
	c0=$(cpu_snapshot) m0=$(machine)
	c=$(run_ceiling) || broken "ceiling run $r"
	cpu_add CPU_C "$c0" "$(cpu_snapshot)"
	machine_add C "$m0" "$(machine)"
	read -r ops self gpg opms wall < <(awk '$1 == "total" { o = $3; s = $9; g = $11 }
	    $1 == "worker" { a += $10; n++; if ($6 > w) w = $6 }
	    END { printf "%d %d %d %.2f %d\n", o, s, g, a / n, w }' "$W/ceiling.out")
	C_OPS=$((C_OPS + ops)) C_SELF=$((C_SELF + self)) C_GPG=$((C_GPG + gpg))
	C_WALL=$((C_WALL + wall))
	C_OPMS+=("$opms")
}
side_pipeline() {
	local c0 m0 out src st i k
	c0=$(cpu_snapshot) m0=$(machine)
	out=$(run_pipeline) || broken "pipeline run $r"
	cpu_add CPU_P "$c0" "$(cpu_snapshot)"
	machine_add P "$m0" "$(machine)"
	read -r p ms src <<<"$out"
	P_SRC=$((P_SRC + src)) P_WALL=$((P_WALL + ms))
	read -ra st <"$W/state.out"
	for ((i = 0; i + 1 < ${#st[@]}; i += 2)); do
		k=$(state_name "${st[i]}")
		STATE[$k]=$(( ${STATE[$k]:-0} + st[i + 1] ))
	done
}
# C P, then P C, and so on: a drift of the machine's speed during a pair
# favours neither side.
for ((r = 1; r <= RUNS; r++)); do
	if ((r % 2)); then side_ceiling; side_pipeline; else side_pipeline; side_ceiling; fi
	ratio=$(awk -v a="$p" -v b="$c" 'BEGIN { printf "%.2f", a / b }')
	echo "   run $r  ceiling: $c msg/s ($opms ms per operation)   pipeline: $p msg/s ($ms ms)   ratio $ratio"
	C_RATES+=("$c") P_RATES+=("$p") PAIRS+=("$ratio")
done
C_MED=$(printf '%s\n' "${C_RATES[@]}" | median)
P_MED=$(printf '%s\n' "${P_RATES[@]}" | median)
RATIO=$(awk -v a="$P_MED" -v b="$C_MED" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
PAIR_MED=$(printf '%s\n' "${PAIRS[@]}" | median)
# The target is judged on the median of the per-run ratios: each pair ran
# back to back, so a slow drift of the machine cancels out, which the
# ratio of the two medians does not.
RATIO_OK=$(awk -v r="$PAIR_MED" 'BEGIN { print (r >= 0.85) ? "met" : "NOT MET" }')

# CPU per message, in microseconds, by process, largest first.
cpu_line() {	# cpu_line ARRAY N [extra "name microseconds" lines]
	local -n a=$1
	local n=$2 k
	shift 2
	{ for k in "${!a[@]}"; do
		awk -v k="$k" -v t="${a[$k]}" -v hz="$HZ" -v n="$n" 'BEGIN { printf "%s %.0f\n", k, t / hz * 1e6 / n }'
	  done; printf '%s\n' "$@"; } | awk '$2 > 0' | sort -k2,2nr |
	    awk '{ printf "%s%s %d", sep, $1, $2; tot += $2; sep = ", " } END { printf "; sum %d", tot }'
}
P_N=$((MSGS * RUNS))
P_CPU=$(cpu_line CPU_P "$P_N" "smtp-source $(awk -v t="$P_SRC" -v hz="$HZ" -v n="$P_N" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')")
C_CPU=$(cpu_line CPU_C "$C_OPS" "gpgme_loop $((C_SELF * 1000 / C_OPS))" "gpg $((C_GPG * 1000 / C_OPS))")
CPU_RATIO=$(awk -v c="${C_CPU##*sum }" -v p="${P_CPU##*sum }" 'BEGIN { printf "%.2f", (p > 0) ? c / p : 0 }')
echo "   CPU per message (user+system, microseconds; gpg as reaped by pgpmgd or gpgme_loop):"
echo "     pipeline: $P_CPU"
echo "     ceiling:  $C_CPU"
# The cores the measured processes used: CPU per message x rate.
cores() { awk -v us="$1" -v n="$2" -v ms="$3" 'BEGIN { printf "%.2f", (ms > 0) ? us * n / (ms * 1e3) : 0 }'; }
echo "   cores used by the measured processes: $(cores "${C_CPU##*sum }" "$C_OPS" "$C_WALL") in the ceiling runs, $(cores "${P_CPU##*sum }" "$P_N" "$P_WALL") in the pipeline runs, of $(nproc)"
echo "   machine busy (all tenants, load average $(cut -d' ' -f1-3 /proc/loadavg)): $(awk -v b="$BUSY_C" -v t="$TOTAL_C" 'BEGIN { printf "%.0f%%", b * 100 / t }') during the ceiling runs, $(awk -v b="$BUSY_P" -v t="$TOTAL_P" 'BEGIN { printf "%.0f%%", b * 100 / t }') during the pipeline runs"
echo "   cryptod workers during the pipeline runs (share of 10 ms samples): $(for k in "${!STATE[@]}"; do echo "$k ${STATE[$k]}"; done |
    sort -k2,2nr | awk '{ k[NR] = $1; v[NR] = $2; t += $2 } END { for (i = 1; i <= NR; i++) printf "%s%s %.1f%%", (i > 1 ? ", " : ""), k[i], v[i] * 100 / t }')"
# A worker's time per job: workers / rate, less the time it waited.
JOB_MS=$(for k in "${!STATE[@]}"; do echo "$k ${STATE[$k]}"; done |
    awk -v w="$NWORKERS" -v p="$P_MED" '{ t += $2 } $1 == "job-wait" { j = $2 }
	END { if (t > 0 && p > 0) printf "%.2f", w / p * 1e3 * (1 - j / t) }')
C_OPMS_MED=$(printf '%s\n' "${C_OPMS[@]}" | median)
echo "   time per job in a cryptod worker: ${JOB_MS:-?} ms (workers / median rate, less its waits for a job); per operation in the ceiling: $C_OPMS_MED ms (median)"

cat <<TABLE

| measure | value | target |
|---|---|---|
| ceiling: bare gpgme sign+encrypt, $NWORKERS processes (median of $RUNS) | $C_MED msg/s | |
| pipeline: smtp-source -> pgpmg -> smtp-sink, $NWORKERS workers, $SESSIONS sessions (median of $RUNS) | $P_MED msg/s | |
| ratio pipeline / ceiling, median of the $RUNS per-run ratios | $PAIR_MED | >= 0.85: $RATIO_OK |
| ratio of the medians | $RATIO | |
| CPU per message, ceiling / pipeline (the ratio when both keep the machine busy) | $CPU_RATIO | |
${RSS_LINE}

raw msg/s  ceiling: ${C_RATES[*]}  pipeline: ${P_RATES[*]}
TABLE
exit 0
