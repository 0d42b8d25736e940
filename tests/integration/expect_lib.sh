# shellcheck shell=bash
# expect_lib.sh — the checks of the suites that run a command and judge
# its status and output (test_users.sh, test_policy_admin.sh).  Sourced
# after lib.sh; the suite sets OUT (and ERR for run_split).
#
# run CMD...: stdout and stderr in $OUT, status in $RC.
run() { "$@" >"$OUT" 2>&1; RC=$?; return 0; }
# run_split CMD...: stdout in $OUT, stderr in $ERR.
run_split() { "$@" >"$OUT" 2>"$ERR"; RC=$?; return 0; }
show() { sed 's/^/#   /' "$OUT" | head -20; }
# expect RC TEXT DESCRIPTION: the last run ended with RC and its output
# is exactly TEXT.
expect() {
	if [ "$RC" -eq "$1" ] && [ "$(cat "$OUT")" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3 (status $RC, wanted $1)"; show
		printf '%s\n' "$2" | sed 's/^/#  wanted: /'
	fi
}
# expect_re RC ERE DESCRIPTION
expect_re() {
	if [ "$RC" -eq "$1" ] && grep -qE -- "$2" "$OUT"; then
		ok "$3"
	else
		not_ok "$3 (status $RC, wanted $1 and /$2/)"; show
	fi
}
