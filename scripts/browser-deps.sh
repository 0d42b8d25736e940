#!/usr/bin/env bash
# browser-deps.sh — install the browser tests' one npm package,
# playwright-core, exactly as tests/browser/package-lock.json pins it, with
# `npm ci`.  Never a browser: the tests drive Debian's chromium (deps.sh
# installs it), so the download is switched off and no install script
# runs.  Idempotent; called by deps.sh.
#
#   scripts/browser-deps.sh            install when needed, say so
#   scripts/browser-deps.sh --ensure   the same, silent when nothing to do
#
# Node.js and npm are the machine's own (the image's Node.js 20, with its
# npm), not Debian's: Debian 12's nodejs is 18, older than the pinned
# playwright-core accepts (engines: node >= 20), and Debian's npm package
# conflicts with the image's nodejs package, so installing it would make
# apt replace Node.js 20 with 18 under everyone else's feet.
set -eu

# The oldest Node.js the pinned playwright-core supports (its "engines").
NODE_MAJOR_MIN=20

ensure=0
case "${1-}" in
"") ;;
--ensure) ensure=1 ;;
*) echo "usage: $0 [--ensure]" >&2; exit 2 ;;
esac

die() { echo "browser-deps: $*" >&2; exit 1; }

dir=$(cd "$(dirname "$0")/../tests/browser" && pwd)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
    die "node and npm not found: the browser tests need Node.js >= $NODE_MAJOR_MIN with npm (not Debian 12's nodejs 18)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge "$NODE_MAJOR_MIN" ] ||
    die "node $(node --version) is older than $NODE_MAJOR_MIN, which playwright-core needs"

# Installed already when node_modules holds the version the lock pins.
want=$(node -p "require('$dir/package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('$dir/node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$have" = "$want" ]; then
	[ "$ensure" = 1 ] || echo "browser-deps: playwright-core $have present"
	exit 0
fi

echo "browser-deps: npm ci in tests/browser (playwright-core $want)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts \
    --no-audit --no-fund --no-update-notifier) </dev/null >"$log" 2>&1; then
	cat "$log" >&2
	die "npm ci failed in $dir"
fi
