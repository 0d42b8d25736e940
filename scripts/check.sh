#!/usr/bin/env bash
# Runs every test suite that `make check` built and ends with one summary
# line, "N passed, N failed".  Criterion suites report their own counts;
# shell suites print TAP-style "ok"/"not ok" lines.  Exits non-zero when
# anything failed or crashed.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
suites_failed=()
log_dir=$(mktemp -d /tmp/pgpmg-check.XXXXXX)

# run_criterion NAME BINARY [ARGS]
run_criterion() {
	local name=$1 bin=$2 out rc line p f c
	shift 2
	out="$log_dir/${name//\//_}.log"
	echo "== $name"
	"$bin" --jobs=1 "$@" >"$out" 2>&1
	rc=$?
	grep -E '^\[(----|FAIL)\]|Synthesis' "$out" | sed 's/^/   /'
	line=$(grep -a 'Synthesis:' "$out" | tail -1)
	if [ -z "$line" ]; then
		echo "   no summary (exit $rc); see $out"
		tail -20 "$out" | sed 's/^/   | /'
		failed=$((failed + 1)); suites_failed+=("$name"); return
	fi
	# Criterion passes a test that LeakSanitizer complained about: a
	# sanitizer report anywhere fails the suite.
	if grep -qE 'ERROR: (Leak|Address)Sanitizer|runtime error:' "$out"; then
		echo "   sanitizer report; see $out"
		grep -E 'ERROR: |runtime error:' "$out" | head -5 | sed 's/^/   | /'
		failed=$((failed + 1)); suites_failed+=("$name")
	fi
	p=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failing: ([0-9]+).*/\1/' <<<"$line")
	c=$(sed -E 's/.*Crashing: ([0-9]+).*/\1/' <<<"$line")
	passed=$((passed + p)); failed=$((failed + f + c))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] || [ "$c" -ne 0 ]; then
		suites_failed+=("$name")
		[ "$f" -eq 0 ] && [ "$c" -eq 0 ] && failed=$((failed + 1))
	fi
}

# run_tap NAME SCRIPT
run_tap() {
	local name=$1 script=$2 out rc p f
	out="$log_dir/${name//\//_}.log"
	echo "== $name"
	SECONDS=0
	bash "$script" >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok' "$out")
	f=$(grep -c '^not ok' "$out")
	grep -E '^not ok' "$out" | sed 's/^/   /'
	echo "   $p ok, $f not ok (${SECONDS}s)"
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		suites_failed+=("$name")
		[ "$f" -eq 0 ] && { failed=$((failed + 1)); tail -20 "$out" | sed 's/^/   | /'; }
	fi
}

for t in build/tests/unit/test_*; do
	[ -x "$t" ] && run_criterion "unit/$(basename "$t")" "$t"
done
for t in build-asan/tests/unit/test_*; do
	[ -x "$t" ] && ASAN_OPTIONS=detect_leaks=1 \
	    run_criterion "asan/$(basename "$t")" "$t"
done
[ -x build/tests/sandbox/test_sandbox ] &&
	run_criterion sandbox build/tests/sandbox/test_sandbox
# The children run as their own users, and gpg-agent runs keyd, as
# _pgpmg_keyd, as its pinentry: like an installed appliance, the binaries
# must be reachable by those users.  A checkout in a private directory
# (mktemp -d makes 0700) is not, so the suites then run from a copy.
bin_copy=
if ! runuser -u _pgpmg_keyd -- test -x build/keyd 2>/dev/null; then
	bin_copy=$(mktemp -d /tmp/pgpmg-bin.XXXXXX)
	chmod 0755 "$bin_copy"
	mkdir -p "$bin_copy/tests/integration"
	cp build/pgpmgd build/pgpmgctl build/smtpd build/cryptod build/keyd \
	    build/policyd build/webd "$bin_copy/"
	cp build/tests/integration/* "$bin_copy/tests/integration/"
	export PGPMG_BIN=$bin_copy
	echo "(integration suites run from a copy of build/ in $bin_copy)"
fi
for t in build/tests/integration/test_*; do
	[ -x "$t" ] && run_criterion "integration/$(basename "$t")" "$t"
done
for t in tests/integration/test_*.sh; do
	[ -f "$t" ] && run_tap "integration/$(basename "$t" .sh)" "$t"
done
# The browser tests: Debian's chromium, driven by playwright-core, on a
# private appliance (tests/browser/run.sh prints TAP).
run_tap browser tests/browser/run.sh
# testssl.sh against webd and smtpd's STARTTLS (about two minutes; also
# `make tls-check` on its own).
run_tap tls scripts/tls-check.sh
# The fuzz targets run a bounded number of inputs as a regression check;
# `make fuzz` builds them for longer runs by hand.
for t in build-fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	name="fuzz/$(basename "$t")"
	echo "== $name"
	# Seeds, if any, from a scratch copy: libFuzzer writes what it finds
	# into its first corpus directory, and the checkout must stay clean.
	seeds=tests/fuzz/corpus/$(basename "$t" | sed 's/^fuzz_//')
	corpus=()
	if [ -d "$seeds" ]; then
		corpus=("$log_dir/corpus-$(basename "$t")")
		cp -r "$seeds" "${corpus[0]}"
	fi
	if "$t" -runs=20000 -seed=1 "${corpus[@]}" \
	    >"$log_dir/$(basename "$t").log" 2>&1; then
		passed=$((passed + 1)); echo "   ok (20000 runs)"
	else
		failed=$((failed + 1)); suites_failed+=("$name")
		tail -20 "$log_dir/$(basename "$t").log" | sed 's/^/   | /'
	fi
done

[ -n "$bin_copy" ] && rm -rf "$bin_copy"
if [ "${#suites_failed[@]}" -ne 0 ]; then
	echo "failed suites: ${suites_failed[*]} (logs in $log_dir)"
else
	rm -rf "$log_dir"
fi
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "${#suites_failed[@]}" -eq 0 ]
