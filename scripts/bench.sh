#!/usr/bin/env bash
# `make bench`: runs every bench/*.sh in turn.  Benchmarks print numbers and
# ratios measured in the same run; they fail only when something is broken,
# never because the machine is slow.  Exits non-zero when any of them failed.
set -u
cd "$(dirname "$0")/.." || exit 1
failed=()
n=0
for b in bench/*.sh; do
	[ -e "$b" ] || continue
	n=$((n + 1))
	t0=$(date +%s)
	bash "$b"
	rc=$?
	echo "== $b: exit $rc, $(($(date +%s) - t0)) s"
	[ "$rc" -eq 0 ] || failed+=("$b")
done
if [ "${#failed[@]}" -gt 0 ]; then
	echo "bench: $n run, failed: ${failed[*]}"
	exit 1
fi
echo "bench: $n run, none broken"
